"""Checkers of notebook 04 (probability and Bayes): each recomputes the right answer, or tries the learner's
function on cases, and raises ``Wrong`` with a reason the learner can act on."""

from __future__ import annotations

import math
from typing import Any

from .helpers import (expect_value, Wrong, exercise, expect_callable, expect_number)


@exercise("04.posterior", hint="P(flag) = P(flag|spoiler)P(spoiler) + P(flag|clean)(1 - P(spoiler)); divide P(flag|spoiler)P(spoiler) by it.")
def _posterior(posterior: Any) -> None:
    expect_callable(posterior, "posterior")
    for prior, hit, false_alarm in ((0.02, 0.90, 0.05), (0.5, 0.8, 0.2), (0.3, 0.6, 0.6), (0.001, 0.99, 0.01)):
        wanted = hit * prior / (hit * prior + false_alarm * (1 - prior))
        value = expect_number(posterior(prior, hit, false_alarm), "what posterior() returns")
        expect_value(value, wanted, [(hit, "that is P(flag | spoiler), the likelihood; Bayes' rule turns it around."),
                                     (hit * prior, "you forgot to divide by the evidence P(flag).")],
                     f"posterior({prior}, {hit}, {false_alarm}) gave {{got}}, expected {{wanted}}.")


@exercise("04.mle", hint="differentiate the two log terms one at a time; log(1 - q) needs the chain rule.")
def _mle(slope: Any) -> None:
    import torch

    expect_callable(slope, "slope")
    for q, k, n in ((0.3, 7, 10), (0.7, 7, 10), (0.5, 1, 4), (0.05, 30, 100), (0.9, 99, 100)):
        point = torch.tensor(q, dtype=torch.float64, requires_grad=True)
        (k * point.log() + (n - k) * (1 - point).log()).backward()
        wanted = point.grad.item()
        got = expect_number(slope(q, k, n), f"slope({q}, {k}, {n})")
        expect_value(got, wanted, [(-wanted, "the sign is flipped: the derivative of log(1 - q) is -1 / (1 - q)."),
                                   (k / q, "the failures are missing: the term (n - k) log(1 - q) has a slope too.")],
                     f"slope({q}, {k}, {n}) gave {{got}}; the derivative there is {{wanted}}.")


@exercise("04.cross_entropy", hint="log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True); pick each row's target; negate; mean.")
def _cross_entropy(my_cross_entropy: Any) -> None:
    import torch

    expect_callable(my_cross_entropy, "my_cross_entropy")
    generator = torch.Generator().manual_seed(7)
    cases = [(torch.randn(6, 2, generator=generator), torch.tensor([0, 1, 1, 0, 1, 0])),
             (torch.randn(4, 5, generator=generator) * 50, torch.tensor([4, 0, 2, 2]))]
    for logits, targets in cases:
        result = my_cross_entropy(logits, targets)
        try:
            value = float(result)
        except (TypeError, ValueError, RuntimeError):
            value = 0.0
        if math.isinf(value) and value > 0:
            raise Wrong("the loss is inf: for logits of 50x the usual size softmax rounds a very unlikely class to exactly 0, "
                        "and log(0) = -inf. Compute log-probabilities directly, z - logsumexp(z), never log(softmax(z)).")
        value = expect_number(result, "what my_cross_entropy() returns (one number for the batch)")
        wanted = torch.nn.functional.cross_entropy(logits, targets).item()
        tolerance = 1e-4 * max(1.0, abs(wanted))
        if abs(value - wanted) <= tolerance:
            continue
        naive = -torch.softmax(logits, dim=1).log()[torch.arange(len(targets)), targets].mean().item()
        if abs(value - naive) < 1e-6:
            raise Wrong(f"for large logits you give {value:.4f}, F.cross_entropy {wanted:.4f}: log(softmax(z)) loses the "
                        "tiny probabilities to rounding before the log sees them. Compute z - logsumexp(z) instead.")
        total = torch.nn.functional.cross_entropy(logits, targets, reduction="sum").item()
        if abs(value - total) < 1e-3:
            raise Wrong("that is the sum over the batch; take the mean.")
        raise Wrong(f"for a batch of {len(targets)}, you gave {value:.4f}; F.cross_entropy gives {wanted:.4f}.")
