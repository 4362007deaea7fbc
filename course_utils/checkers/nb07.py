"""Checkers of notebook 07 (fine-tuning with the Trainer): each recomputes the right answer, or tries the learner's
function on cases, and raises ``Wrong`` with a reason the learner can act on."""

from __future__ import annotations

from typing import Any

from .helpers import (Wrong, close, exercise, expect_callable, expect_number, expect_type)


@exercise("07.head_and_tail", hint="if it fits, return it; else ids[:head + 1] + ids[-(max_length - head - 1):].")
def _head_and_tail(keep_head_and_tail: Any) -> None:
    from ..finetune import head_and_tail

    expect_callable(keep_head_and_tail, "keep_head_and_tail")
    ids = [101] + list(range(1000, 1040)) + [102]
    for max_length, head in ((10, 3), (16, 0), (42, 5), (60, 10), (5, 2)):
        wanted = head_and_tail(ids, max_length, head)
        got = list(keep_head_and_tail(list(ids), max_length, head))
        if got == wanted:
            continue
        if len(ids) <= max_length:
            raise Wrong(f"a review of {len(ids)} tokens fits in max_length={max_length}: return it unchanged.")
        if len(got) != max_length:
            raise Wrong(f"with max_length={max_length}, head={head} you return {len(got)} ids; cut to exactly {max_length}.")
        if got[-1] != 102:
            raise Wrong("the result must still end with [SEP] (id 102 here): keep the very end of the review.")
        if got[:head + 1] != ids[:head + 1]:
            raise Wrong(f"the result must start with [CLS] and the first {head} tokens after it.")
        raise Wrong(f"with max_length={max_length}, head={head} the tail is wrong: fill the rest with the last tokens.")


@exercise("07.padded_tokens", hint="for each run of batch_size lengths, add len(batch) * max(batch).")
def _padded_tokens(tokens_per_epoch: Any) -> None:
    import random

    from ..finetune import padded_tokens

    expect_callable(tokens_per_epoch, "tokens_per_epoch")
    rng = random.Random(7)
    cases = [([5, 9, 3], 2), ([4] * 6, 4), ([rng.randint(10, 300) for _ in range(53)], 16), ([7], 8)]
    for lengths, batch_size in cases:
        got = expect_number(tokens_per_epoch(list(lengths), batch_size), "tokens_per_epoch(...)")
        wanted = padded_tokens(lengths, batch_size)
        if got == sum(lengths) and wanted != got:
            raise Wrong("that is the number of real tokens; every review in a batch is padded to the batch's longest.")
        if got != wanted:
            raise Wrong(f"for lengths {lengths[:6]}{'...' if len(lengths) > 6 else ''} and batch_size={batch_size}: "
                        f"you count {got:g} tokens, the batches hold {wanted}. Is the last, shorter batch included?")


@exercise("07.compute_metrics", hint="predictions = eval_prediction.predictions.argmax(axis=-1); then sklearn's "
          "balanced_accuracy_score(labels, predictions) and matthews_corrcoef(labels, predictions).")
def _compute_metrics(compute_metrics_balanced: Any) -> None:
    import numpy as np
    from sklearn.metrics import balanced_accuracy_score, matthews_corrcoef
    from transformers import EvalPrediction

    expect_callable(compute_metrics_balanced, "compute_metrics_balanced")
    rng = np.random.default_rng(3)
    labels = np.array([1] * 95 + [0] * 5)
    always_pos = np.tile([-1.0, 1.0], (100, 1))
    noisy = rng.normal(size=(100, 2)) + np.eye(2)[labels] * 1.5
    for logits in (always_pos, noisy):
        got = compute_metrics_balanced(EvalPrediction(predictions=logits, label_ids=labels))
        expect_type(got, dict, "compute_metrics_balanced(...)")
        predictions = logits.argmax(axis=-1)
        wanted = {"balanced_accuracy": balanced_accuracy_score(labels, predictions), "mcc": matthews_corrcoef(labels, predictions)}
        for name, value in wanted.items():
            if name not in got:
                raise Wrong(f"the dict needs a key {name!r}; it has {sorted(got)}.")
            if not close(expect_number(got[name], name), value):
                raise Wrong(f"{name} is {float(got[name]):.3f} but scikit-learn gives {value:.3f}: take predictions as the "
                            "argmax of the logits, and pass (labels, predictions) in that order.")
