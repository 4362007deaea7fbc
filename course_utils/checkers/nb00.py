"""Checkers of notebook 00 (welcome). Each computes the right answers itself, runs the learner's answer on
fresh inputs, and raises ``Wrong`` with a reason the learner can act on (see ``helpers``)."""

from __future__ import annotations

from typing import Any

from .helpers import (Wrong, exercise, expect_callable, plain_count, plain_text, shown)

#: Reviews and what clean_review must make of them.
CLEAN_CASES = {
    "Great film.<br /><br />Loved it.": "Great film. Loved it.",
    "  Too   long,<br />too loud.  ": "Too long, too loud.",
    "No breaks here.": "No breaks here.",
    "<br /><br />": "",
    "Tabs\tand\nnew lines.<br />Fine.": "Tabs and new lines. Fine.",
}

CLEAN_REVIEW = exercise("00.clean_review", hint="print one raw review and look at what is not words; what should stand "
                        "in its place so that words do not run together, and how do you then make every gap between "
                        "words exactly one space?")


@CLEAN_REVIEW.run
def _(clean_review: Any) -> list[str]:
    expect_callable(clean_review, "clean_review")
    return [plain_text(clean_review(text), f"clean_review({text!r})", limit=200) for text in CLEAN_CASES]


@CLEAN_REVIEW.judge
def _(got: list[str], wanted: None) -> None:
    for (text, right), answer in zip(CLEAN_CASES.items(), got):
        if answer != right:
            raise Wrong(f"clean_review({text!r}) returned {shown(answer)}, but {right!r} was expected.")


#: Small splits with more positives than negatives (or none of one kind), so that counting the
#: negatives, or every review, never looks right: (positives, negatives).
COUNT_SPLITS = ((5, 2), (0, 3), (4, 0), (7, 9))

COUNT_POSITIVE = exercise("00.count_positive", hint="look at one row of the split: which column says whether a review "
                          "is positive, and which value means `pos`? Then count the rows that have it.",
                          needs=("datasets",))


def _split(positives: int, negatives: int):  # -> datasets.Dataset shaped like IMDb's train split
    from datasets import ClassLabel, Dataset, Features, Value

    labels = [1, 0] * min(positives, negatives) + [1] * (positives - negatives) + [0] * (negatives - positives)
    texts = [f"Review {number}: {'loved it' if label else 'not for me'}." for number, label in enumerate(labels)]
    features = Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    return Dataset.from_dict({"text": texts, "label": labels}, features=features)


@COUNT_POSITIVE.run
def _(count_positive: Any) -> list[int]:
    if not callable(count_positive):
        raise Wrong("this exercise takes a function: count_positive(split), which returns how many reviews of `split` "
                    f"are positive (pass the function's name, without calling it); you gave {shown(count_positive, 30)}.")
    from datasets.utils import logging as datasets_logging

    was_on = datasets_logging.is_progress_bar_enabled()
    datasets_logging.disable_progress_bar()  # split.filter(...) would draw a bar per split inside the verdict
    try:
        return [plain_count(count_positive(_split(*sizes)), "count_positive(split)") for sizes in COUNT_SPLITS]
    finally:
        if was_on:
            datasets_logging.enable_progress_bar()


@COUNT_POSITIVE.judge
def _(got: list[int], wanted: None) -> None:
    for (positives, negatives), answer in zip(COUNT_SPLITS, got):
        if answer == positives:
            continue
        where = f"for a split of {positives} positive and {negatives} negative reviews you return {answer}"
        if answer == negatives:
            raise Wrong(f"{where}: that counts the negative reviews (label 0); positive is label 1, `pos`.")
        if answer == positives + negatives:
            raise Wrong(f"{where}: that is the number of all its reviews, positive and negative.")
        if all(value == 0 for value in got):
            raise Wrong(f"{where}, and 0 for every split: the label column holds numbers (0 and 1; a ClassLabel names "
                        "them neg and pos), so if you compared with the text 'pos', that is never true. Positive is label 1.")
        if len(set(got)) == 1:
            raise Wrong(f"{where}, and the same number for every split: count the split the function is given "
                        "(its argument), not a variable of the notebook.")
        raise Wrong(f"{where}; it has {positives} positive ones.")
