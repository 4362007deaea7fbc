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
    for text in ("I give it 3/10.", "7 out of 10", "a solid 4/5", "Two stars, generously.", "8.5/10 for the music",
                 "two stars out of five", "3 out of 10 from me", "One star."):
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


def test_vader_reads_plain_verdicts_and_misses_irony():
    plain = ["A wonderful film, funny and warm. I loved it, 9/10.", "Dull, clumsy and far too long. A waste of two hours."]
    ironic = ["Ninety minutes I will never get back, and I want to thank the director for each of them.<br /><br />Sure."]
    assert rs.vader_accuracy(plain, [1, 0]) == 1.0
    assert rs.vader_accuracy(ironic, [0]) == 0.0  # a lexicon reads words, not irony


def test_without_vader_the_row_says_so_and_the_table_names_the_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "vaderSentiment.vaderSentiment", None)  # import fails as if it were not installed
    assert rs.vader_accuracy(["Great."], [1]) is None
    pos = [f"Film {i} was great and I loved the cast." for i in range(10)]
    neg = [f"Film {i} was awful and I hated the cast." for i in range(10)]
    rows = rs.measure((pos[:8] + neg[:8], [1] * 8 + [0] * 8), (pos[8:] + neg[8:], [1, 1, 0, 0]))
    vader = next(row for row in rows if row.name.startswith("VADER"))
    assert vader.value == "not run" and vader.met is None
    assert "Fix: pip install vaderSentiment" in rs.table(rows)


def test_plot_share_counts_words_as_the_lengths_do():
    texts = ["one two three four<br /><br />five six seven eight", "alpha beta"]
    assert rs.plot_share(texts, ["one two three four", ""]) == 0.4


def test_the_new_bounds_catch_a_set_that_is_all_plot_no_ratings_and_ironic():
    pos = [f"In film {i} a man crosses a river and a storm takes his boat.<br /><br />Well then." for i in range(20)]
    neg = [f"In film {i} a woman crosses a river and a storm takes her boat.<br /><br />Quite so." for i in range(20)]
    train, test = (pos[:15] + neg[:15], [1] * 15 + [0] * 15), (pos[15:] + neg[15:], [1] * 5 + [0] * 5)
    plots = [text.split("<br />")[0] for text in train[0] + test[0]]
    rows = {row.name: row for row in rs.measure(train, test, plots=plots)}
    assert rows["share of the words that are retold plot"].value > 0.8 and rows["share of the words that are retold plot"].met is False
    assert rows["share with a rating in the text"].value == 0 and rows["share with a rating in the text"].met is False
    assert rows["VADER accuracy (lexicon, no training)"].met is False  # "storm" reads negative for every review
    assert rows["TF-IDF logistic regression accuracy"].value == 1.0 and rows["TF-IDF logistic regression accuracy"].met is False
    assert "films in both train and test" not in rows  # films unknown: no row rather than a guess


def test_cross_validation_keeps_each_film_on_one_side_and_averages_the_folds(monkeypatch):
    """The cross-validated rows: no film in both the training and the test side of a fold, every film tested once per
    shuffle, and the mean of the folds' accuracies; no rows when the films are not known (IMDb from the Hub)."""
    texts = [f"film{film} review{i} " + ("great" if i % 2 else "awful") for film in range(10) for i in range(6)]
    labels = [i % 2 for film in range(10) for i in range(6)]
    films = [f"film{film}" for film in range(10) for i in range(6)]
    seen = []

    def fake(train, test, model, prepare=rs.as_is, tfidf=False):
        train_films = {text.split()[0] for text in train[0]}
        test_films = {text.split()[0] for text in test[0]}
        assert train_films and test_films and not train_films & test_films
        seen.append(test_films)
        return len(seen) / 10  # 0.1, 0.2, ...: the mean is then easy to check

    monkeypatch.setattr(rs, "classifier_accuracy", fake)
    rs._cross_validated.cache_clear()
    mean = rs.cross_validated_accuracy(texts, labels, films, "naive Bayes", folds=5, seeds=2)
    assert len(seen) == 10 and abs(mean - sum(range(1, 11)) / 10 / 10) < 1e-9
    for shuffle in (seen[:5], seen[5:]):
        assert sorted(film for fold in shuffle for film in fold) == sorted(set(films))
    rs._cross_validated.cache_clear()


def test_cross_validated_rows_are_information_beside_the_served_split():
    pos = [f"Film {i} was great and I loved the cast." for i in range(20)]
    neg = [f"Film {i} was awful and I hated the cast." for i in range(20)]
    train, test = (pos[:15] + neg[:15], [1] * 15 + [0] * 15), (pos[15:] + neg[15:], [1] * 5 + [0] * 5)
    films = ([f"f{i % 5}" for i in range(30)], [f"g{i % 2}" for i in range(10)])
    rows = {row.name: row for row in rs.measure(train, test, films=films)}
    for name in ("naive Bayes", "TF-IDF LR", "last 12 words"):
        row = rows[f"{name}, cross-validated by film"]
        assert row.met is None and row.value == 1.0  # "great"/"awful" in every review: nothing to generalise
    assert not any(name.endswith("cross-validated by film") for name in
                   (row.name for row in rs.measure(train, test)))  # films unknown: no rows
