"""Checkers of notebook 00 (welcome): each recomputes the right answer, or tries the learner's
function on cases, and raises ``Wrong`` with a reason the learner can act on."""

from __future__ import annotations

from typing import Any

from .helpers import (Wrong, exercise, expect_callable, expect_type)


@exercise("00.clean_review", hint="replace every '<br />' with a space, then join `text.split()` with single spaces.")
def _clean_review(clean_review: Any) -> None:
    expect_callable(clean_review, "clean_review")
    cases = {
        "Great film.<br /><br />Loved it.": "Great film. Loved it.",
        "  Too   long,<br />too loud.  ": "Too long, too loud.",
        "No breaks here.": "No breaks here.",
        "<br /><br />": "",
    }
    for text, wanted in cases.items():
        got = clean_review(text)
        expect_type(got, str, f"clean_review({text!r})")
        if got != wanted:
            raise Wrong(f"clean_review({text!r}) returned {got!r}, but {wanted!r} was expected.")


@exercise("00.count_positive", hint="a review is positive when its label is 1 (`pos`); sum the labels of the train split.")
def _count_positive(answer: Any) -> None:
    from ..hub import load_reviews

    expect_type(answer, int, "the number of positive training reviews")
    # The data the learner has: the same resolution as the notebook's (real IMDb online or cached,
    # the course's own reviews offline), so the right answer is 12,500 on IMDb and ours offline.
    labels = load_reviews("stanfordnlp/imdb", verbose=False)["train"]["label"]
    right, total = int(sum(labels)), len(labels)
    if answer == total:
        raise Wrong("that is the number of all training reviews, positive and negative.")
    if answer != right:
        raise Wrong(f"{answer} is not the number of positive training reviews.")
