"""Right answers to every exercise, written as a learner writes them (the notebooks' solutions), for the
checker tests: tests/test_checker_cases.py runs each one through every way ``check`` can run an answer."""

from __future__ import annotations

import hashlib
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from course_utils import checks

CAN_FORK = hasattr(os, "fork") and sys.platform.startswith("linux")
#: The two ways ``check`` runs an answer: a forked child (Linux) and a watched thread (Windows and macOS; forced
#: here on Linux as their stand-in).
WAYS = [pytest.param("process", marks=pytest.mark.skipif(not CAN_FORK, reason="a forked child is used on Linux only")),
        "thread"]


@pytest.fixture(params=WAYS)
def way(request, monkeypatch):
    """Run the test once per way ``check`` runs an answer."""
    monkeypatch.setattr(checks, "ISOLATION", request.param)
    return request.param

FIXED_ENVIRONMENT = ("name: sentiment\nchannels:\n  - conda-forge\n  - nodefaults\ndependencies:\n  - python=3.11\n"
                     "  - numpy==1.26.4\n  - pip\n  - pip:\n      - torch>=2.4\n      - transformers\n")


def clean_review(text):
    return " ".join(text.replace("<br />", " ").split())


def count_positive(split):
    return sum(split["label"])


def silent_command(system, filename, prefix):
    if system == "Windows":
        return [filename, "/InstallationType=JustMe", "/RegisterPython=0", "/S", f"/D={prefix}"]
    return ["bash", filename, "-b", "-p", prefix]


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe(python):
    code = ("import sys; from pathlib import Path; meta = Path(sys.prefix) / 'conda-meta'; print(sys.prefix); "
            "base = any(meta.glob('conda-[0-9]*.json')); print(sys.prefix != sys.base_prefix or (meta.is_dir() and not base))")
    prefix, flag = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    return prefix, flag == "True"


def conda_practice(name):
    return [["conda", "create", "-n", name, "python=3.12", "numpy", "-y"],
            ["conda", "install", "-n", name, "requests", "-y"],
            ["conda", "env", "export", "-n", name, "--from-history", "--format", "environment-yaml", "--file", f"{name}.yml"],
            ["conda", "env", "remove", "-n", name, "-y"]]


def linear(x, W, b):
    return x @ W.T + b


def smallest_rank(S, max_error):
    total = (S ** 2).sum()
    for r in range(len(S) + 1):
        if ((S[r:] ** 2).sum() / total).sqrt() <= max_error:
            return r


def posterior(prior, hit, false_alarm):
    return hit * prior / (hit * prior + false_alarm * (1 - prior))


def slope(q, k, n):
    return k / q - (n - k) / (1 - q)


def my_cross_entropy(logits, targets):
    log_probabilities = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    return -log_probabilities[torch.arange(len(targets)), targets].mean()


def logistic_gradient(X, y, w, b):
    return X.T @ (torch.sigmoid(X @ w + b) - y) / len(y)


def stability_threshold(H):
    return 2 / torch.linalg.eigvalsh(H).max().item()


def linear_backward(X, W, delta):
    return delta.T @ X, delta.sum(dim=0), delta @ W


def causal_mask(T):
    return torch.ones(T, T, dtype=torch.bool).tril()


def my_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return scores.softmax(dim=-1) @ v


def keep_head_and_tail(ids, max_length, head):
    ids = list(ids)
    if len(ids) <= max_length:
        return ids
    return ids[:head + 1] + ids[-(max_length - head - 1):]


def tokens_per_epoch(lengths, batch_size):
    return sum(len(lengths[start:start + batch_size]) * max(lengths[start:start + batch_size])
               for start in range(0, len(lengths), batch_size))


def compute_metrics_balanced(eval_prediction):
    from sklearn.metrics import balanced_accuracy_score, matthews_corrcoef

    predictions = eval_prediction.predictions.argmax(axis=-1)
    labels = eval_prediction.label_ids
    return {"balanced_accuracy": balanced_accuracy_score(labels, predictions), "mcc": matthews_corrcoef(labels, predictions)}


def no_decay_groups(model, weight_decay):
    decay, no_decay = [], []
    for parameter in model.parameters():
        if parameter.requires_grad:
            (no_decay if parameter.ndim < 2 else decay).append(parameter)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def expected_calibration_error(probabilities, labels, n_bins=10):
    probabilities, labels = np.asarray(probabilities, dtype=float), np.asarray(labels)
    bins = np.minimum((probabilities * n_bins).astype(int), n_bins - 1)
    return sum((bins == b).mean() * abs(labels[bins == b].mean() - probabilities[bins == b].mean()) for b in np.unique(bins))


def train_step_accumulated(model, optimizer, micro_batches):
    for batch in micro_batches:
        (model(**batch).loss / len(micro_batches)).backward()
    optimizer.step()
    optimizer.zero_grad()


def answers(layer_count: int) -> dict:
    """exercise name -> a right answer; `layer_count` is the number of parameters in one layer of the model in use."""
    from course_utils.checkers.nb01 import ERROR_FIXES

    return {"00.clean_review": clean_review, "00.count_positive": count_positive,
            "01.silent_command": silent_command, "01.sha256": sha256_of, "01.error_fixes": dict(ERROR_FIXES),
            "02.fix_environment": FIXED_ENVIRONMENT, "02.describe": describe, "02.conda_practice": conda_practice,
            "03.linear": linear, "03.rank_for_error": smallest_rank, "03.lora_parameters": 12 * 2 * 8 * (768 + 768),
            "04.posterior": posterior, "04.mle": slope, "04.cross_entropy": my_cross_entropy,
            "05.logistic_gradient": logistic_gradient, "05.stability_threshold": stability_threshold,
            "05.linear_backward": linear_backward, "06.causal_mask": causal_mask, "06.scaled_attention": my_attention,
            "06.layer_parameters": layer_count, "07.head_and_tail": keep_head_and_tail, "07.padded_tokens": tokens_per_epoch,
            "07.compute_metrics": compute_metrics_balanced, "08.param_groups": no_decay_groups,
            "08.ece": expected_calibration_error, "08.accumulation": train_step_accumulated}
