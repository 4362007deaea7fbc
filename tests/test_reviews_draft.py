"""The draft of the next offline reviews (issue 17, course_utils/data/draft): what it already guarantees.

The draft is not served yet (``load_reviews`` still serves ``data/reviews.jsonl``). These tests hold it
to the invariants its builder promises and ratchet the bounds of ``review-stats --draft`` it already
meets, so later writing cannot lose them; the bounds it does not meet yet are listed in the test that
measures them, not hidden.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from course_utils.tools import review_stats as rs


@pytest.fixture(scope="module")
def builder():
    return rs.load_draft_builder()


@pytest.fixture(scope="module")
def rows(builder):
    return builder.build()


def test_the_draft_is_rebuilt_identically(builder, rows):
    assert builder.build() == rows


def test_every_review_is_hand_written_text_placed_once(builder, rows):
    bodies = builder.read_bodies()
    assert len(rows) <= len(bodies) <= len(rows) + 10  # a few left out only to balance the splits
    assert not any("{" in row["text"] or "}" in row["text"] for row in rows), "a placeholder was left unfilled"
    firsts = [body.paragraphs[-1][:60] for body in bodies]
    assert len(set(firsts)) == len(firsts), "two hand-written reviews end the same way"


def test_splits_are_balanced_by_film_and_share_no_film(rows):
    for split in ("train", "test"):
        labels = [r["label"] for r in rows if r["split"] == split]
        assert labels.count(0) == labels.count(1) > 0
    train = {r["film"] for r in rows if r["split"] == "train"}
    test = {r["film"] for r in rows if r["split"] == "test"}
    assert train and test and not train & test


def test_no_sentence_in_more_than_two_reviews_and_no_near_duplicates(rows):
    _, shared = rs.most_shared_sentence([r["text"] for r in rows])
    assert shared <= 2
    similarity, first, second = rs.most_similar_pair([r["text"] for r in rows])
    assert similarity <= 0.5, (rows[first]["text"][:200], rows[second]["text"][:200])


def test_the_retold_plot_says_nothing_about_the_label(rows):
    """The builder's only text of its own choosing is which plot points a review retells: alone they must not predict the label."""
    with_plot = [r for r in rows if r["plot"]]
    train = [r for r in with_plot if r["split"] == "train"]
    test = [r for r in with_plot if r["split"] == "test"]
    assert len(with_plot) > len(rows) / 2 and len(test) > 100
    accuracy = rs.classifier_accuracy(([r["plot"] for r in train], [r["label"] for r in train]),
                                      ([r["plot"] for r in test], [r["label"] for r in test]), "logistic regression")
    assert accuracy < 0.6, accuracy
    assert all(r["text"].count(r["plot"][:80]) == 1 for r in with_plot)


def test_the_bounds_met_so_far_stay_met(rows):
    measured = {row.name: row for row in rs.measure_rows(rows)}
    for name in ("reviews", "share positive", "share with <br /><br />", "share with a rating in the text",
                 "naive Bayes accuracy (as in 04)", "logistic regression on the last 12 words",
                 "most reviews sharing one exact sentence", "films in both train and test"):
        assert measured[name].met, (name, measured[name].value)
    # Not met yet (issue 17 stays open until they are; the draft is then shipped and the notebooks rebuilt):
    not_yet = {name for name, row in measured.items() if row.met is False}
    assert not_yet <= {"distinct lower-case words", "median length (words)",
                       "ninetieth percentile (words)", "reviews over 1,000 words"}, not_yet


def test_lukewarm_reviews_are_about_a_fifth(rows):
    share = np.mean([r["lukewarm"] for r in rows])
    assert 0.15 <= share <= 0.3, share
    assert all(re.search(r"[A-Za-z]", r["text"]) for r in rows)


def test_the_draft_command_prints_its_table(capsys):
    from course_utils.__main__ import main

    main(["review-stats", "--draft"])
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("statistic") and out.strip().endswith("bounds met")


def test_an_installation_without_the_draft_names_the_fix(monkeypatch, tmp_path):
    from course_utils import reviews
    from course_utils.errors import CourseError

    monkeypatch.setattr(reviews, "DATA_DIR", tmp_path)
    with pytest.raises(CourseError, match="Fix: run .* from a clone"):
        rs.load_draft_builder()


def test_a_draft_that_breaks_its_own_rules_is_one_line_with_the_fix(monkeypatch, builder):
    from course_utils.errors import CourseError

    def broken():
        raise ValueError("sentences in more than 2 reviews (rewrite them): [(3, 'Yes, really.')]")

    monkeypatch.setattr(builder, "build", broken)
    monkeypatch.setattr(rs, "load_draft_builder", lambda: builder)
    with pytest.raises(CourseError, match="Yes, really.*Fix: edit the files"):
        rs.draft_rows()
