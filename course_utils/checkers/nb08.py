"""Checkers of notebook 08 (the training loop, evaluation and speed). Each computes the right answers itself,
runs the learner's answer on fresh inputs, and raises ``Wrong`` with a reason the learner can act on (see
``helpers``)."""

from __future__ import annotations

from typing import Any

from .helpers import (Wrong, all_close, close, exercise, expect_callable, kind_of, plain_list, plain_number,
                      safe_text, tensor_values)

# --------------------------------------------------------------------------- 08.param_groups


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


PARAM_GROUPS = exercise("08.param_groups", hint="go through the model's parameters once: leave out the frozen ones, and "
                        "put each of the others in exactly one of two groups; what shape do biases and LayerNorm "
                        "parameters have that weight matrices do not?", needs=("torch",))


#: The weight decays the answer is called with: the notebook's 0.01 and another, so a fixed 0.01 shows.
_DECAYS = (0.01, 0.05)


@PARAM_GROUPS.reference
def _() -> list[dict[str, float]]:
    from ..finetune import parameter_groups

    wanted = []
    for weight_decay in _DECAYS:
        model = _small_bert_like()
        names = {id(parameter): name for name, parameter in model.named_parameters()}
        wanted.append({names[id(p)]: float(group["weight_decay"])
                       for group in parameter_groups(model, weight_decay) for p in group["params"]})
    return wanted


@PARAM_GROUPS.run
def _(no_decay_groups: Any) -> list[dict]:
    expect_callable(no_decay_groups, "no_decay_groups")
    return [_run_groups(no_decay_groups, weight_decay) for weight_decay in _DECAYS]


def _run_groups(no_decay_groups: Any, weight_decay: float) -> dict:
    import torch

    model = _small_bert_like()
    before = {name: parameter.requires_grad for name, parameter in model.named_parameters()}
    names = {id(parameter): name for name, parameter in model.named_parameters()}
    call = f"no_decay_groups(model, {weight_decay:g})"
    got = no_decay_groups(model, weight_decay)
    if not isinstance(got, (list, tuple)):
        raise Wrong(f"{call} should be a list of groups, but it is {kind_of(got)}.")
    groups, given, unordered = [], [], False
    for group in plain_list(got, call, limit=20):
        if not (isinstance(group, dict) and "params" in group and "weight_decay" in group):
            raise Wrong("each group is a dict with the keys 'params' (a list of parameters) and 'weight_decay'.")
        params = group["params"]
        unordered = unordered or isinstance(params, (set, frozenset, dict))
        params = [params] if isinstance(params, torch.Tensor) else list(params)[:1000]
        groups.append({"names": [names.get(id(p), "?") for p in params],
                       "weight_decay": plain_number(group["weight_decay"], "a group's weight_decay")})
        given.append({**group, "params": params})
    try:
        torch.optim.AdamW(given, lr=1e-3)
        refused = None
    except Exception as exc:  # noqa: BLE001 - what AdamW says about these groups is the verdict's reason
        refused = safe_text(exc, 200)
    changed = sorted(name for name, parameter in model.named_parameters() if parameter.requires_grad != before[name])
    return {"groups": groups, "refused": refused, "changed": changed, "unordered": unordered,
            "weight_decay": weight_decay}


@PARAM_GROUPS.judge
def _(got: list[dict], wanted: list[dict[str, float]]) -> None:
    for one, right in zip(got, wanted):
        _judge_groups(one, right, fixed=got[0])


def _judge_groups(got: dict, wanted: dict[str, float], fixed: dict) -> None:
    if got["changed"]:
        raise Wrong(f"your function changed requires_grad of {got['changed'][0]}: it should only read the model, "
                    "not freeze or unfreeze it.")
    if got["unordered"]:
        raise Wrong("a group's 'params' is a set (or a dict): AdamW refuses it, since a set has no fixed order "
                    "(the optimizer's saved state is matched to parameters by position). Use a list.")
    seen: dict[str, float] = {}
    for group in got["groups"]:
        for name in group["names"]:
            if name == "?":
                raise Wrong("a group holds something that is not one of the model's parameters.")
            if name in seen:
                raise Wrong(f"{name} is in two groups, and AdamW refuses that ({got['refused'] or 'each parameter may be in one group only'}): "
                            "put each parameter in exactly one group.")
            seen[name] = group["weight_decay"]
    if any(name.startswith("frozen.") for name in seen):
        raise Wrong("frozen parameters (requires_grad=False) should not be handed to the optimizer at all.")
    missing = sorted(set(wanted) - set(seen))
    if missing:
        raise Wrong(f"these trainable parameters are in no group: {missing}.")
    decay = got["weight_decay"]
    for name, right in wanted.items():
        if seen[name] != right:
            if right == decay and got is not fixed and seen[name] == fixed["weight_decay"]:
                raise Wrong(f"called with weight_decay={decay:g}, your groups still decay by {seen[name]:g}: use the "
                            "function's weight_decay argument, not a number of your own.")
            kind = "a 1-D parameter (bias or LayerNorm): no decay" if right == 0 else f"a weight matrix: decay {decay:g}"
            raise Wrong(f"{name} has weight_decay {seen[name]:g} (called with {decay:g}), but it is {kind}.")
    if got["refused"]:
        raise Wrong(f"AdamW refuses these groups: {got['refused']}.")


# --------------------------------------------------------------------------- 08.ece

ECE = exercise("08.ece", hint="first give each prediction its bin (n_bins equal slices of [0, 1]; 1.0 belongs to the "
               "last); then, for each bin that holds predictions, compare the share of positives with the mean "
               "probability, and weight that gap by the bin's share of all predictions.", needs=("numpy",))


def _ece_cases():  # -> list of (probabilities, labels, n_bins), fresh arrays
    import numpy as np

    rng = np.random.default_rng(8)
    probabilities = rng.uniform(size=400)
    return [(probabilities, (rng.uniform(size=400) < probabilities).astype(int), 10),
            (probabilities.copy(), (rng.uniform(size=400) < probabilities ** 3).astype(int), 10),
            (np.array([0.9, 0.9, 0.9, 0.1]), np.array([1, 0, 1, 0]), 5),
            (np.array([0.0, 0.05, 1.0, 1.0]), np.array([0, 0, 1, 1]), 10),
            (np.array([0.0, 0.05, 1.0, 1.0]), np.array([1, 0, 0, 1]), 10)]  # 0.0 and 1.0 each with a gap


def _ece_variants(probabilities, labels, n_bins: int) -> dict[str, float]:
    """What the usual mistakes give: {mistake: value} (bins that lose 0.0 or 1.0, counts for shares, squared
    gaps, abs of the sum)."""
    import numpy as np

    from ..finetune import calibration_bins

    def ece(bins, weight=lambda inside: inside.mean(), gap=abs, outer=lambda x: x):
        total = sum(weight(bins == b) * gap(labels[bins == b].mean() - probabilities[bins == b].mean())
                    for b in range(n_bins) if (bins == b).any())
        return float(outer(total))

    right_bins = calibration_bins(probabilities, n_bins)
    return {"no_clip": ece(np.digitize(probabilities, np.linspace(0, 1, n_bins + 1)) - 1),
            "left_open": ece(np.ceil(probabilities * n_bins).astype(int) - 1),
            "counts": ece(right_bins, weight=lambda inside: inside.sum()),
            "squared": ece(right_bins, gap=lambda x: x * x),
            "abs_outside": ece(right_bins, gap=lambda x: x, outer=abs)}


_ECE_MISTAKES = {
    "no_clip": "predictions of exactly 1.0 fall outside your bins (np.digitize puts 1.0 past the last edge): 1.0 "
               "belongs in the last bin.",
    "left_open": "predictions of exactly 0.0 fall outside your bins ((lo, hi] bins leave 0.0 out): 0.0 belongs in "
                 "the first bin.",
    "counts": "each bin's gap is weighted by its count, not by its share of all predictions (count / total): an ECE "
              "is never above 1.",
    "squared": "each bin's gap is squared: the ECE weights the absolute gap |share of positives - mean probability|.",
    "abs_outside": "abs() is taken of the whole sum, so gaps of opposite sign cancel: take each bin's absolute gap, "
                   "then sum.",
}


def top_label_ece(probabilities, labels, n_bins: int, at_half_positive: bool = True) -> float:
    """Guo et al.'s top-label ECE for a binary classifier: the confidence in the predicted class against how
    often that prediction is right, binned by confidence."""
    import numpy as np

    from ..finetune import calibration_bins

    predicted = probabilities >= 0.5 if at_half_positive else probabilities > 0.5
    confidence = np.where(predicted, probabilities, 1 - probabilities)
    correct = (predicted.astype(int) == labels).astype(float)
    bins = calibration_bins(confidence, n_bins)
    return float(sum((bins == b).mean() * abs(correct[bins == b].mean() - confidence[bins == b].mean())
                     for b in np.unique(bins)))


@ECE.reference
def _() -> list[dict]:
    import numpy as np

    from ..finetune import calibration_bins, expected_calibration_error

    cases = []
    for probabilities, labels, n_bins in _ece_cases():
        bins = calibration_bins(probabilities, n_bins)
        unweighted = np.mean([abs(labels[bins == b].mean() - probabilities[bins == b].mean()) for b in np.unique(bins)])
        cases.append({"right": float(expected_calibration_error(probabilities, labels, n_bins)), "size": len(labels),
                      "n_bins": n_bins, "unweighted": float(unweighted),
                      "top_label": [top_label_ece(probabilities, labels, n_bins, half) for half in (True, False)],
                      "mistakes": _ece_variants(probabilities, labels, n_bins)})
    return cases


@ECE.run
def _(expected_calibration_error: Any) -> list[float]:
    expect_callable(expected_calibration_error, "expected_calibration_error")
    return [plain_number(expected_calibration_error(probabilities.copy(), labels.copy(), n_bins),
                         "expected_calibration_error(...)",
                         "the mean of an empty bin is 0/0 = nan: skip the bins that hold no predictions")
            for probabilities, labels, n_bins in _ece_cases()]


@ECE.judge
def _(got: list[float], wanted: list[dict]) -> None:
    if all(value == 0 for value in got):
        raise Wrong("expected_calibration_error returns 0 for every case, even for predictions that are far off: "
                    "it does not measure anything yet (is the body still the starter's?).")
    for value, case in zip(got, wanted):
        if close(value, case["right"]):
            continue
        if value > 1:
            raise Wrong(f"you give {value:.4f}, but an ECE is a weighted mean of gaps between two shares, so it is "
                        "never above 1: weight each bin by its share of all predictions (count / total).")
        for mistake, reason in _ECE_MISTAKES.items():
            if abs(value - case["mistakes"][mistake]) < 1e-9 and not close(case["mistakes"][mistake], case["right"]):
                raise Wrong(reason)
        if abs(value - case["unweighted"]) < 1e-9:
            raise Wrong("each bin's gap must be weighted by its share of the reviews, not averaged equally.")
        if any(abs(value - top) < 1e-9 for top in case["top_label"]):
            raise Wrong("that is the top-label ECE (Guo et al.): the confidence in the predicted class against how often "
                        "it is right. A fine measure, but this exercise asks for the positive class: in each bin of the "
                        "probability of `pos`, the share of reviews that are positive against their mean probability.")
        raise Wrong(f"for {case['size']} predictions and n_bins={case['n_bins']} you give {value:.4f}, the ECE is "
                    f"{case['right']:.4f}. Are the bins equal-width on [0, 1], with 1.0 in the last bin?")


# --------------------------------------------------------------------------- 08.accumulation

ACCUMULATION = exercise("08.accumulation", hint="in the loop, each micro-batch gets its own forward pass and its own "
                        "backward() of a loss scaled so the parts add up to the whole batch's mean; after the loop, one "
                        "optimizer step, and the gradients cleared once per step.", needs=("torch",))


def _regression():  # -> a tiny model that returns an object with .loss, as a transformers model does
    import torch
    from torch import nn

    class Regression(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(3, 1)
            generator = torch.Generator().manual_seed(0)
            with torch.no_grad():  # the same start in every process, whatever the global random state
                self.linear.weight.copy_(torch.randn(1, 3, generator=generator))
                self.linear.bias.copy_(torch.randn(1, generator=generator))

        def forward(self, inputs, labels):
            return type("Output", (), {"loss": nn.functional.mse_loss(self.linear(inputs).squeeze(-1), labels)})()

    return Regression()


def _batches():  # -> two batches of 8 (inputs, labels), one per optimizer step
    import torch

    generator = torch.Generator().manual_seed(0)
    return [(torch.randn(8, 3, generator=generator), torch.randn(8, generator=generator)) for _ in range(2)]


def _parameters(model) -> list[float]:
    return tensor_values(model.linear.weight) + tensor_values(model.linear.bias)


@ACCUMULATION.reference
def _() -> dict:
    import torch

    model = _regression()
    start = _parameters(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    after = []
    for inputs, labels in _batches():  # each step: one batch of 8, as accumulation must reproduce
        optimizer.zero_grad()
        model(inputs, labels).loss.backward()
        optimizer.step()
        after.append(_parameters(model))
    model = _regression()  # the usual mistake: zero_grad() inside the loop keeps the last micro-batch only
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    inputs, labels = _batches()[0]
    (model(inputs[6:], labels[6:]).loss / 4).backward()
    optimizer.step()
    return {"after": after, "start": start, "last_only": _parameters(model)}


@ACCUMULATION.run
def _(train_step_accumulated: Any) -> list[dict]:
    import torch

    expect_callable(train_step_accumulated, "train_step_accumulated")
    model = _regression()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    events: list[str] = []
    optimizer.register_step_post_hook(lambda *_: events.append("step"))
    model.register_forward_hook(lambda *_: events.append("forward") if torch.is_grad_enabled() else None)
    model.linear.weight.register_hook(lambda gradient: events.append("backward"))
    steps = []
    for inputs, labels in _batches():
        events.clear()
        micro_batches = [{"inputs": inputs[i:i + 2].clone(), "labels": labels[i:i + 2].clone()} for i in range(0, 8, 2)]
        train_step_accumulated(model, optimizer, micro_batches)
        steps.append({"events": list(events[:50]), "after": _parameters(model)})
    return steps


@ACCUMULATION.judge
def _(got: list[dict], reference: dict) -> None:
    wanted = reference["after"]
    for number, (step, right) in enumerate(zip(got, wanted), start=1):
        events = step["events"]
        stepped = events.count("step")
        if stepped != 1:
            raise Wrong(f"the optimizer stepped {stepped} times; accumulation steps it once, after all the micro-batches.")
        # what runs after the step (a look at the loss, under no_grad or not) is not part of the step
        passes = [event for event in events[:events.index("step")] if event in ("forward", "backward")]
        if passes.count("forward") == 4 and passes.count("backward") == 1:
            raise Wrong("you call backward() once, on the summed loss of all the micro-batches: that keeps every "
                        "micro-batch's graph (its activations) in memory until the end, which is what accumulation is "
                        "there to avoid. Call backward() on each micro-batch's loss inside the loop: the gradients add up "
                        "in .grad.")
        if passes != ["forward", "backward"] * 4:
            raise Wrong("each micro-batch needs one forward pass and then its own backward(), before the next one.")
        if not all_close(step["after"], right, atol=1e-6, rtol=1e-6):
            if number == 2 and all_close(got[0]["after"], wanted[0], atol=1e-6, rtol=1e-6):
                raise Wrong("the first step was right, the second was not: the first step's gradients were still in .grad. "
                            "Clear them once per step: optimizer.zero_grad() before the micro-batches or after the step.")
            if number == 1 and all_close(step["after"], reference["start"], atol=1e-9, rtol=0):
                raise Wrong("the weights did not move: the gradients were cleared (zero_grad) after backward() and "
                            "before optimizer.step() used them. Step first, then clear.")
            if number == 1 and all_close(step["after"], reference["last_only"], atol=1e-6, rtol=1e-6):
                raise Wrong("only the last micro-batch's gradient reached the step: zero_grad() inside the loop clears "
                            "what the earlier micro-batches added to .grad. Clear once per step, not per micro-batch.")
            raise Wrong("one step on 4 micro-batches of 2 should move the weights exactly as one step on the batch of 8: "
                        "divide each micro-batch's loss by the number of micro-batches before backward().")
