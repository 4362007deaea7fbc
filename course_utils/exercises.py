"""The checkers of every notebook's exercises, registered by name ("NN.short_name").

Each checker recomputes the right answer (or tries the learner's function on cases) instead of
comparing against a pasted number, and raises ``Wrong`` with a reason the learner can act on.
"""

from __future__ import annotations

from typing import Any

from .checks import Wrong, exercise, expect_callable, expect_type


# --------------------------------------------------------------------------- 00 welcome

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
    from .reviews import read_rows

    expect_type(answer, int, "the number of positive training reviews")
    rows = read_rows()
    right = sum(r["label"] for r in rows if r["split"] == "train")
    total = sum(1 for r in rows if r["split"] == "train")
    if answer == total:
        raise Wrong("that is the number of all training reviews, positive and negative.")
    if answer != right:
        raise Wrong(f"{answer} is not the number of positive training reviews.")
