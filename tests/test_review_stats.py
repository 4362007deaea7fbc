"""The review statistics (issue 17's measuring tool): each one computed right on small made-up sets."""

from __future__ import annotations

import subprocess
import sys

from course_utils.tools import review_stats as rs


def test_words_lengths_and_sentences():
    text = "Great film.<br /><br />I'd watch it AGAIN! Really? Yes."
    # as 04 counts words: lower case, apostrophes kept (and the "br" of a line break counts, as it does there)
    assert rs.words(text) == ["great", "film", "br", "br", "i'd", "watch", "it", "again", "really", "yes"]
    assert rs.length_in_words(text) == 8
    assert rs.last_words(text, 3) == "AGAIN! Really? Yes."
    assert rs.sentences(text) == ["Great film.", "I'd watch it AGAIN!", "Really?", "Yes."]


def test_ratings_in_the_text_are_found_and_others_are_not():
    for text in ("I give it 3/10.", "7 out of 10", "a solid 4/5", "Two stars, generously.", "8.5/10 for the music"):
        assert rs.RATING.search(text), text
    for text in ("It runs 110 minutes.", "In 1997/98 it flopped.", "a star is born", "10 out of the 12 songs"):
        assert not rs.RATING.search(text), text


def test_the_most_shared_sentence_counts_each_review_once():
    texts = ["Skip it. Skip it.", "It was fine. Skip it.", "Loved it.", "Skip it!"]
    assert rs.most_shared_sentence(texts) == ("Skip it.", 2)


def test_a_data_set_with_a_fixed_verdict_phrase_fails_the_bounds_it_should():
    pos = [f"The {i}th film had a plot about a town and a river.<br /><br />In the end, a must see." for i in range(40)]
    neg = [f"The {i}th film had a plot about a town and a river.<br /><br />In the end, a total waste." for i in range(40)]
    train = (pos[:30] + neg[:30], [1] * 30 + [0] * 30)
    test = (pos[30:] + neg[30:], [1] * 10 + [0] * 10)
    rows = {row.name: row for row in rs.measure(train, test, films=(["a"] * 60, ["b"] * 20))}
    assert rows["logistic regression on the last 12 words"].value == 1.0 and rows["logistic regression on the last 12 words"].met is False
    assert rows["naive Bayes accuracy (as in 04)"].value == 1.0 and rows["naive Bayes accuracy (as in 04)"].met is False
    assert rows["share with <br /><br />"].value == 1.0 and rows["share with <br /><br />"].met is True
    assert rows["most reviews sharing one exact sentence"].value == 40
    assert rows["films in both train and test"].met is True and rows["reviews"].met is False
    assert rows["share positive"].met is True
    assert rs.table(list(rows.values())).splitlines()[-1].endswith("bounds met")


def test_the_command_measures_the_offline_reviews():
    done = subprocess.run([sys.executable, "-m", "course_utils", "review-stats"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-1500:]
    assert done.stdout.splitlines()[0].startswith("statistic") and "distinct lower-case words" in done.stdout
    assert done.stdout.strip().splitlines()[-1].endswith("bounds met")


def test_the_most_similar_pair_is_found_and_distinct_texts_are_not_similar():
    from course_utils.tools.review_stats import most_similar_pair

    texts = ["the cat sat on the mat and purred all night long",
             "a dog ran across the park chasing a red ball",
             "the cat sat on the mat and purred all night, happily"]
    similarity, first, second = most_similar_pair(texts)
    assert {first, second} == {0, 2} and 0.5 < similarity < 1
    assert most_similar_pair(texts[:2])[0] == 0.0
