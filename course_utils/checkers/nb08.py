"""Checkers of notebook 08 (the training loop, evaluation and speed): each recomputes the right answer, or tries the learner's
function on cases, and raises ``Wrong`` with a reason the learner can act on."""

from __future__ import annotations

from typing import Any

from .helpers import (Wrong, close, exercise, expect_callable, expect_number, expect_type)


def _small_bert_like():  # -> torch.nn.Module: named like BERT's parts, with one frozen weight
    from torch import nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.word_embeddings = nn.Embedding(10, 4)
            self.dense = nn.Linear(4, 4)
            self.LayerNorm = nn.LayerNorm(4)
            self.classifier = nn.Linear(4, 2)
            self.frozen = nn.Linear(4, 4)
            self.frozen.requires_grad_(False)

    return Block()


@exercise("08.param_groups", hint="loop over model.parameters(); skip those with requires_grad False; "
          "parameter.ndim < 2 (biases, LayerNorm) goes in the group with weight_decay 0.0.")
def _param_groups(no_decay_groups: Any) -> None:
    from ..finetune import parameter_groups

    expect_callable(no_decay_groups, "no_decay_groups")
    model = _small_bert_like()
    got = no_decay_groups(model, 0.01)
    expect_type(got, list, "no_decay_groups(model, 0.01)")
    if not all(isinstance(group, dict) and "params" in group and "weight_decay" in group for group in got):
        raise Wrong("each group is a dict with the keys 'params' (a list of parameters) and 'weight_decay'.")
    names = {id(parameter): name for name, parameter in model.named_parameters()}
    decay_of: dict[str, float] = {}
    for group in got:
        for parameter in group["params"]:
            decay_of[names.get(id(parameter), "?")] = float(group["weight_decay"])
    wanted = {names[id(p)]: float(group["weight_decay"]) for group in parameter_groups(model, 0.01) for p in group["params"]}
    if any(name.startswith("frozen.") for name in decay_of):
        raise Wrong("frozen parameters (requires_grad=False) should not be handed to the optimizer at all.")
    missing = sorted(set(wanted) - set(decay_of))
    if missing:
        raise Wrong(f"these trainable parameters are in no group: {missing}.")
    for name, decay in wanted.items():
        if decay_of[name] != decay:
            kind = "a 1-D parameter (bias or LayerNorm): no decay" if decay == 0 else "a weight matrix: decay 0.01"
            raise Wrong(f"{name} has weight_decay {decay_of[name]:g}, but it is {kind}.")


@exercise("08.ece", hint="bins = np.searchsorted(np.linspace(0, 1, n_bins + 1)[1:-1], probabilities, side='right'); "
          "then sum over bins of (count / n) * |mean(labels) - mean(probabilities)|.")
def _ece(expected_calibration_error: Any) -> None:
    import numpy as np

    from ..finetune import calibration_bins, expected_calibration_error as reference

    expect_callable(expected_calibration_error, "expected_calibration_error")
    rng = np.random.default_rng(8)
    probabilities = rng.uniform(size=400)
    cases = [(probabilities, (rng.uniform(size=400) < probabilities).astype(int), 10),
             (probabilities, (rng.uniform(size=400) < probabilities ** 3).astype(int), 10),
             (np.array([0.9, 0.9, 0.9, 0.1]), np.array([1, 0, 1, 0]), 5),
             (np.array([0.0, 0.05, 1.0, 1.0]), np.array([0, 0, 1, 1]), 10)]
    for probs, labels, n_bins in cases:
        got = expect_number(expected_calibration_error(probs.copy(), labels.copy(), n_bins), "expected_calibration_error(...)")
        wanted = reference(probs, labels, n_bins)
        if not close(got, wanted):
            bins = calibration_bins(probs, n_bins)
            unweighted = np.mean([abs(labels[bins == b].mean() - probs[bins == b].mean()) for b in np.unique(bins)])
            if abs(got - unweighted) < 1e-9:
                raise Wrong("each bin's gap must be weighted by its share of the reviews, not averaged equally.")
            raise Wrong(f"for {len(labels)} predictions and n_bins={n_bins} you give {got:.4f}, the ECE is {wanted:.4f}. "
                        "Are the bins equal-width on [0, 1], with 1.0 in the last bin?")


@exercise("08.accumulation", hint="for each micro-batch: loss = model(**batch).loss / len(micro_batches); loss.backward(). "
          "Then optimizer.step() and optimizer.zero_grad() once.")
def _accumulation(train_step_accumulated: Any) -> None:
    import torch
    from torch import nn

    class Regression(nn.Module):  # returns an object with .loss, as a transformers model does
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(3, 1)

        def forward(self, inputs, labels):
            return type("Output", (), {"loss": nn.functional.mse_loss(self.linear(inputs).squeeze(-1), labels)})()

    expect_callable(train_step_accumulated, "train_step_accumulated")
    generator = torch.Generator().manual_seed(0)
    inputs, labels = torch.randn(8, 3, generator=generator), torch.randn(8, generator=generator)
    torch.manual_seed(0)
    whole, learner = Regression(), Regression()
    learner.load_state_dict(whole.state_dict())
    whole_optimizer = torch.optim.SGD(whole.parameters(), lr=0.1)
    whole(inputs, labels).loss.backward()  # the step accumulation must reproduce: one batch of 8
    whole_optimizer.step()

    steps = []
    optimizer = torch.optim.SGD(learner.parameters(), lr=0.1)
    optimizer.register_step_post_hook(lambda *_: steps.append(1))
    micro_batches = [{"inputs": inputs[i:i + 2], "labels": labels[i:i + 2]} for i in range(0, 8, 2)]
    train_step_accumulated(learner, optimizer, micro_batches)
    if len(steps) != 1:
        raise Wrong(f"the optimizer stepped {len(steps)} times; accumulation steps it once, after all the micro-batches.")
    if any(parameter.grad is not None and parameter.grad.abs().sum() > 0 for parameter in learner.parameters()):
        raise Wrong("after the step the gradients are still there: call optimizer.zero_grad() after optimizer.step().")
    if not torch.allclose(learner.linear.weight, whole.linear.weight, atol=1e-6):
        raise Wrong("one step on 4 micro-batches of 2 should move the weights exactly as one step on the batch of 8: "
                    "divide each micro-batch's loss by the number of micro-batches before backward().")
