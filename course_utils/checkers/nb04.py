"""Checkers of notebook 04 (probability and Bayes). Each computes the right answers itself, runs the learner's
answer on fresh inputs, and raises ``Wrong`` with a reason the learner can act on (see ``helpers``)."""

from __future__ import annotations

import math
from typing import Any

from .helpers import (NOT_FINITE_EXP, Wrong, exercise, expect_callable, expect_value, number_or_none, plain_number,
                      unchanged, watching)

# --------------------------------------------------------------------------- 04.posterior

POSTERIOR_CASES = ((0.02, 0.90, 0.05), (0.5, 0.8, 0.2), (0.3, 0.6, 0.6), (0.001, 0.99, 0.01))

POSTERIOR = exercise("04.posterior", hint="Bayes' rule: the posterior is the joint probability of spoiler and flag, "
                     "divided by the probability of a flag at all (add up both ways a review gets flagged).")


@POSTERIOR.run
def _(posterior: Any) -> list[float]:
    expect_callable(posterior, "posterior")
    return [plain_number(posterior(*case), "what posterior() returns") for case in POSTERIOR_CASES]


@POSTERIOR.judge
def _(got: list[float], wanted: None) -> None:
    for (prior, hit, false_alarm), value in zip(POSTERIOR_CASES, got):
        right = hit * prior / (hit * prior + false_alarm * (1 - prior))
        expect_value(value, right, [(hit, "that is P(flag | spoiler), the likelihood; Bayes' rule turns it around."),
                                    (hit * prior, "you forgot to divide by the evidence P(flag).")],
                     f"posterior({prior}, {hit}, {false_alarm}) gave {{got}}, expected {{wanted}}.")


# --------------------------------------------------------------------------- 04.mle

MLE_CASES = ((0.3, 7, 10), (0.7, 7, 10), (0.5, 1, 4), (0.05, 30, 100), (0.9, 99, 100))

MLE = exercise("04.mle", hint="differentiate the two log terms one at a time; log(1 - q) needs the chain rule.",
               needs=("torch",))


@MLE.reference
def _() -> list[float]:
    import torch

    slopes = []
    for q, k, n in MLE_CASES:
        point = torch.tensor(q, dtype=torch.float64, requires_grad=True)
        (k * point.log() + (n - k) * (1 - point).log()).backward()
        slopes.append(point.grad.item())
    return slopes


@MLE.run
def _(slope: Any) -> list[float]:
    expect_callable(slope, "slope")
    return [plain_number(slope(q, k, n), f"slope({q}, {k}, {n})") for q, k, n in MLE_CASES]


@MLE.judge
def _(got: list[float], wanted: list[float]) -> None:
    for (q, k, n), value, right in zip(MLE_CASES, got, wanted):
        expect_value(value, right, [(-right, "the sign is flipped: the derivative of log(1 - q) is -1 / (1 - q)."),
                                    (k / q, "the failures are missing: the term (n - k) log(1 - q) has a slope too.")],
                     f"slope({q}, {k}, {n}) gave {{got}}; the derivative there is {{wanted}}.")


# --------------------------------------------------------------------------- 04.cross_entropy

CROSS_ENTROPY = exercise("04.cross_entropy", hint="log-probabilities come straight from the logits with logsumexp "
                         "(reread *Softmax: scores into probabilities*: why the maximum is subtracted first); "
                         "then each row's target entry, negated, averaged over the batch.",
                         needs=("torch",))


def _entropy_cases():  # -> list of (logits, targets), fresh tensors
    import torch

    generator = torch.Generator().manual_seed(7)
    return [(torch.randn(6, 2, generator=generator), torch.tensor([0, 1, 1, 0, 1, 0])),
            (torch.randn(4, 5, generator=generator) * 50, torch.tensor([4, 0, 2, 2]))]


@CROSS_ENTROPY.reference
def _() -> list[dict]:
    import torch
    import torch.nn.functional as F

    cases = []
    for logits, targets in _entropy_cases():
        naive = -torch.softmax(logits, dim=1).log()[torch.arange(len(targets)), targets].mean().item()
        cases.append({"right": F.cross_entropy(logits, targets).item(), "naive": naive,
                      "sum": F.cross_entropy(logits, targets, reduction="sum").item(), "size": len(targets)})
    return cases


@CROSS_ENTROPY.run
def _(my_cross_entropy: Any) -> list[dict]:
    expect_callable(my_cross_entropy, "my_cross_entropy")
    answers = []
    for logits, targets in _entropy_cases():
        given = logits.clone(), targets.clone()
        with watching(("cross_entropy",)) as called:
            result = my_cross_entropy(*given)
        if called:
            raise Wrong("your function calls F.cross_entropy, the very function the check compares with: write the "
                        "steps yourself (log-probabilities with logsumexp, each row's target entry, the mean).")
        raw = number_or_none(result) if not isinstance(result, (str, bytes, bool)) else None
        if raw is not None and math.isinf(raw) and raw > 0:
            answers.append({"inf": True})
            continue
        answers.append({"value": plain_number(result, "what my_cross_entropy() returns (one number for the batch)",
                                              NOT_FINITE_EXP),
                        "changed": not (unchanged(logits, given[0]) and unchanged(targets, given[1]))})
    return answers


@CROSS_ENTROPY.judge
def _(got: list[dict], wanted: list[dict]) -> None:
    for answer, case in zip(got, wanted):
        if answer.get("inf"):
            raise Wrong("the loss is inf: for logits of 50x the usual size softmax rounds a very unlikely class to exactly 0, "
                        "and log(0) = -inf. Compute log-probabilities directly, z - logsumexp(z), never log(softmax(z)).")
        value, right = answer["value"], case["right"]
        if abs(value - right) <= 1e-4 * max(1.0, abs(right)) and not answer["changed"]:
            continue
        if answer["changed"]:
            raise Wrong("your function changed the logits (or targets) it was given, in place: the caller's tensors must "
                        "stay as they were; compute new tensors instead (no `+=`, `-=`, `.zero_()`, `[...] =` on them).")
        if abs(value - case["naive"]) < 1e-6:
            raise Wrong(f"for large logits you give {value:.4f}, F.cross_entropy {right:.4f}: log(softmax(z)) loses the "
                        "tiny probabilities to rounding before the log sees them. Compute z - logsumexp(z) instead.")
        if abs(value - case["sum"]) < 1e-3:
            raise Wrong("that is the sum over the batch; take the mean.")
        if case is not wanted[0] and "value" in got[0] and abs(got[0]["value"] - wanted[0]["right"]) <= 1e-4:
            raise Wrong(f"right for ordinary logits, but for large ones you give {value:.4f}, F.cross_entropy {right:.4f}: "
                        "log(softmax(z)) loses the tiny probabilities to rounding, and a clamp or a small epsilon only "
                        "hides the -inf, not the lost digits. Compute z - logsumexp(z) instead.")
        raise Wrong(f"for a batch of {case['size']}, you gave {value:.4f}; F.cross_entropy gives {right:.4f}.")
