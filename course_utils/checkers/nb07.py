"""Checkers of notebook 07 (fine-tuning with the Trainer). Each computes the right answers itself, runs the
learner's answer on fresh inputs, and raises ``Wrong`` with a reason the learner can act on (see ``helpers``)."""

from __future__ import annotations

from typing import Any

from .helpers import (Wrong, _shape_of, _plain_nested, close, exercise, expect_callable, kind_of, plain_count,
                      plain_list, plain_number)

# --------------------------------------------------------------------------- 07.head_and_tail

HEAD_TAIL_IDS = [101] + list(range(1000, 1040)) + [102]
HEAD_TAIL_CASES = ((10, 3), (16, 0), (42, 5), (60, 10), (5, 2))

HEAD_AND_TAIL = exercise("07.head_and_tail", hint="a review that fits comes back unchanged; otherwise count what the "
                         "result holds: [CLS], `head` tokens, then enough tokens from the end to make max_length in all "
                         "(and the end still finishes with [SEP]).")


def _ids(value: Any, what: str) -> list[int]:
    """A sequence of token ids (a list, a tuple, a tensor or an array) as a plain list of ints."""
    if _shape_of(value) is not None:
        flat = _plain_nested(value)
        if not isinstance(flat, list) or any(isinstance(item, list) for item in flat):
            raise Wrong(f"{what} should be one flat sequence of token ids, but it is {kind_of(value)}.")
        items = flat
    else:
        items = plain_list(value, what, limit=500)
    return [plain_count(item, "a token id") for item in items]


@HEAD_AND_TAIL.reference
def _() -> list[list[int]]:
    from ..finetune import head_and_tail

    return [head_and_tail(HEAD_TAIL_IDS, max_length, head) for max_length, head in HEAD_TAIL_CASES]


@HEAD_AND_TAIL.run
def _(keep_head_and_tail: Any) -> list[list[int]]:
    expect_callable(keep_head_and_tail, "keep_head_and_tail")
    return [_ids(keep_head_and_tail(list(HEAD_TAIL_IDS), max_length, head), f"keep_head_and_tail(ids, {max_length}, {head})")
            for max_length, head in HEAD_TAIL_CASES]


@HEAD_AND_TAIL.judge
def _(got: list[list[int]], wanted: list[list[int]]) -> None:
    ids = HEAD_TAIL_IDS
    for (max_length, head), answer, right in zip(HEAD_TAIL_CASES, got, wanted):
        if answer == right:
            continue
        if len(ids) <= max_length:
            raise Wrong(f"a review of {len(ids)} tokens fits in max_length={max_length}: return it unchanged.")
        if len(answer) != max_length:
            raise Wrong(f"with max_length={max_length}, head={head} you return {len(answer)} ids; cut to exactly {max_length}.")
        if answer[-1] != 102:
            raise Wrong("the result must still end with [SEP] (id 102 here): keep the very end of the review.")
        if answer[:head + 1] != ids[:head + 1]:
            raise Wrong(f"the result must start with [CLS] and the first {head} tokens after it.")
        raise Wrong(f"with max_length={max_length}, head={head} the tail is wrong: fill the rest with the last tokens.")


# --------------------------------------------------------------------------- 07.padded_tokens

PADDED_TOKENS = exercise("07.padded_tokens", hint="walk through the lengths in runs of batch_size (the last run may be "
                         "shorter); a run costs as many tokens as its size times its longest length.")


def _padding_cases() -> list[tuple[list[int], int]]:
    import random

    rng = random.Random(7)
    return [([5, 9, 3], 2), ([4] * 6, 4), ([rng.randint(10, 300) for _ in range(53)], 16), ([7], 8)]


@PADDED_TOKENS.reference
def _() -> list[int]:
    from ..finetune import padded_tokens

    return [padded_tokens(lengths, batch_size) for lengths, batch_size in _padding_cases()]


@PADDED_TOKENS.run
def _(tokens_per_epoch: Any) -> list[float]:
    expect_callable(tokens_per_epoch, "tokens_per_epoch")
    return [plain_number(tokens_per_epoch(list(lengths), batch_size), "tokens_per_epoch(...)")
            for lengths, batch_size in _padding_cases()]


@PADDED_TOKENS.judge
def _(got: list[float], wanted: list[int]) -> None:
    for (lengths, batch_size), answer, right in zip(_padding_cases(), got, wanted):
        if answer == right:
            continue
        if answer == sum(lengths):
            raise Wrong("that is the number of real tokens; every review in a batch is padded to the batch's longest.")
        for value, reason in _padding_mistakes(lengths, batch_size):
            if answer == value != right:
                raise Wrong(reason)
        raise Wrong(f"for lengths {lengths[:6]}{'...' if len(lengths) > 6 else ''} and batch_size={batch_size}: "
                    f"you count {answer:g} tokens, the batches hold {right}.")


def _padding_mistakes(lengths: list[int], size: int) -> list[tuple[int, str]]:
    """What the usual miscounts give, each with what it gets wrong."""
    runs = [lengths[i:i + size] for i in range(0, len(lengths), size)]
    padded = sum(len(run) * max(run) for run in runs)
    in_order = sorted(lengths)
    return [(sum(len(run) * max(run) for run in runs if len(run) == size),
             "the last, shorter batch is left out: it is padded and run too."),
            (sum(size * max(run) for run in runs),
             "the last batch is counted as batch_size reviews, but it holds only the reviews that are left."),
            (len(lengths) * max(lengths),
             "that pads every review to the longest of all; each batch is padded only to its own longest."),
            (sum(len(in_order[i:i + size]) * max(in_order[i:i + size]) for i in range(0, len(in_order), size)),
             "you sorted the lengths first; count the batches in the order the lengths are given."),
            (padded - sum(lengths),
             "that counts the padding only; count every token of the padded batches, real ones too.")]


# --------------------------------------------------------------------------- 07.compute_metrics

METRIC_NAMES = ("balanced_accuracy", "mcc")

COMPUTE_METRICS = exercise("07.compute_metrics", hint="the predicted class of each review is the position of its larger "
                           "logit; scikit-learn's two functions each take (true labels, predicted labels), in that order.",
                           needs=("numpy", "sklearn.metrics", "transformers"))


def _metric_cases():  # -> list of (logits, labels), fresh NumPy arrays
    import numpy as np

    rng = np.random.default_rng(3)
    labels = np.array([1] * 95 + [0] * 5)
    return [(np.tile([-1.0, 1.0], (100, 1)), labels.copy()),
            (rng.normal(size=(100, 2)) + np.eye(2)[labels] * 1.5, labels.copy())]


_NOT_FINITE = {"balanced_accuracy": "0 was divided by 0 (a class with no reviews?)",
               "mcc": "MCC's formula is 0/0 when every prediction is one class; scikit-learn's matthews_corrcoef "
                      "returns 0 then"}


@COMPUTE_METRICS.reference
def _() -> list[dict]:
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, matthews_corrcoef

    values = []
    for logits, labels in _metric_cases():
        predictions = logits.argmax(axis=-1)
        values.append({"balanced_accuracy": float(balanced_accuracy_score(labels, predictions)),
                       "mcc": float(matthews_corrcoef(labels, predictions)),
                       "accuracy": float(accuracy_score(labels, predictions))})
    return values


@COMPUTE_METRICS.run
def _(compute_metrics_balanced: Any) -> list[dict]:
    import numpy as np
    from transformers import EvalPrediction

    expect_callable(compute_metrics_balanced, "compute_metrics_balanced")
    answers = []
    for logits, labels in _metric_cases():
        prediction = EvalPrediction(predictions=logits.copy(), label_ids=labels.copy())
        got = compute_metrics_balanced(prediction)
        if not isinstance(got, dict):
            raise Wrong(f"compute_metrics_balanced(...) should return a dict, but it is {kind_of(got)}.")
        keys = [key for key in dict.keys(got) if isinstance(key, str)][:20]
        values = {name: plain_number(dict.__getitem__(got, name), name, _NOT_FINITE[name])
                  for name in METRIC_NAMES if name in keys}
        changed = not (np.array_equal(np.asarray(prediction.label_ids), labels)
                       and np.array_equal(np.asarray(prediction.predictions), logits))
        answers.append({"keys": sorted(keys), "values": values, "changed": changed})
    return answers


@COMPUTE_METRICS.judge
def _(got: list[dict], wanted: list[dict]) -> None:
    for answer, right in zip(got, wanted):
        for name in METRIC_NAMES:
            if name not in answer["values"]:
                raise Wrong(f"the dict needs a key {name!r}; it has {answer['keys']}.")
        if answer["changed"]:
            raise Wrong("your function changed eval_prediction's label_ids or predictions in place: it must only read them.")
        for name in METRIC_NAMES:
            if name == "balanced_accuracy" and close(answer["values"][name], right["accuracy"]) \
                    and not close(right["accuracy"], right[name]):
                raise Wrong(f"balanced_accuracy is {answer['values'][name]:.3f}, the plain accuracy: with 95 positives "
                            "in 100 it rewards calling everything positive. Use balanced_accuracy_score (the mean of "
                            "each class's recall).")
            if not close(answer["values"][name], right[name]):
                raise Wrong(f"{name} is {answer['values'][name]:.3f} but scikit-learn gives {right[name]:.3f}: take predictions "
                            "as the argmax of the logits, and pass (labels, predictions) in that order.")
