"""Checkers of notebook 03 (linear algebra). Each computes the right answers itself, runs the learner's
answer on fresh inputs, and raises ``Wrong`` with a reason the learner can act on (see ``helpers``)."""

from __future__ import annotations

from typing import Any

from .helpers import (Wrong, all_close, exercise, expect_callable, largest_gap, plain_array, plain_count,
                      plain_number, safe_text, tensor_values)

# --------------------------------------------------------------------------- 03.linear

LINEAR = exercise("03.linear", hint="reread the linear layer in *The matrix product: the engine of a network*: "
                  "which axis of W meets the last axis of x? Compare the shapes before you multiply.", needs=("torch",))
LINEAR_SHAPES = ((5,), (4, 5), (2, 7, 5))


def _linear_cases():  # -> list of (x, W, b), fresh tensors made the same way in every process
    import torch

    generator = torch.Generator().manual_seed(3)
    cases = []
    for shape in LINEAR_SHAPES:
        W, b = torch.randn(3, 5, generator=generator), torch.randn(3, generator=generator)
        cases.append((torch.randn(*shape, generator=generator), W, b))
    return cases


@LINEAR.reference
def _() -> list[dict]:
    return [{"right": tensor_values(x @ W.T + b), "no_bias": tensor_values(x @ W.T)} for x, W, b in _linear_cases()]


@LINEAR.run
def _(linear: Any) -> list[dict]:
    expect_callable(linear, "linear")
    return [plain_array(linear(x, W, b), (*x.shape[:-1], 3), f"linear() for x of shape {tuple(x.shape)}")
            for x, W, b in _linear_cases()]


@LINEAR.judge
def _(got: list[dict], wanted: list[dict]) -> None:
    for shape, answer, right in zip(LINEAR_SHAPES, got, wanted):
        if all_close(answer["values"], right["right"]):
            continue
        if all_close(answer["values"], right["no_bias"]):
            raise Wrong("the bias b is missing.")
        raise Wrong(f"for x of shape {shape}, the result differs from nn.Linear's by up to "
                    f"{largest_gap(answer['values'], right['right']):.3g}.")


# --------------------------------------------------------------------------- 03.rank_for_error

#: bert-base-uncased's sizes (from its config on the Hub): what 03's LoRA exercise counts for.
BERT_BASE_LAYERS, BERT_BASE_HIDDEN = 12, 768
#: The error budgets tried. Each is far from every spectrum's errors (tests/test_checks.py checks that), so
#: a right answer never depends on floating-point rounding; 0.001 asks for every singular value but the
#: smallest few, where a `1 - cumsum` formula must still give the right rank.
MAX_ERRORS = (1.5, 0.9, 0.5, 0.2, 0.05, 0.001)  # 1.5: any error will do, so rank 0 (error 1) is the answer

RANK_FOR_ERROR = exercise("03.rank_for_error", hint="Eckart-Young: the error of the best rank-r matrix comes from the "
                          "singular values it leaves out; try r = 0, 1, 2, ... in turn, up to keeping them all.",
                          needs=("torch",))


def _spectra():  # -> list of float64 tensors of singular values, largest first
    import torch

    generator = torch.Generator().manual_seed(5)
    return [torch.linspace(3.0, 0.1, 40, dtype=torch.float64),
            torch.linalg.svdvals(torch.randn(60, 60, generator=generator, dtype=torch.float64)),
            torch.tensor([5.0, 1.0, 1.0, 0.5], dtype=torch.float64)]


def rank_errors(S) -> list[float]:
    """The relative error of the best rank-r approximation, for r = 0 .. len(S)."""
    total = S.square().sum()
    return [(S[r:].square().sum() / total).sqrt().item() for r in range(len(S) + 1)]


@RANK_FOR_ERROR.reference
def _() -> list[dict]:
    cases = []
    for S in _spectra():
        errors = rank_errors(S)
        for max_error in MAX_ERRORS:
            cases.append({"size": len(S), "max_error": max_error,
                          "right": next(r for r, error in enumerate(errors) if error <= max_error),
                          "energy": next(r for r, error in enumerate(errors) if error ** 2 <= max_error)})
    return cases


@RANK_FOR_ERROR.run
def _(smallest_rank: Any) -> list:
    expect_callable(smallest_rank, "smallest_rank")
    answers: list = []
    for S in _spectra():
        for max_error in MAX_ERRORS:
            try:
                answer = smallest_rank(S.clone(), max_error)
            except Exception as exc:  # noqa: BLE001 - said per case: where it raised tells what went wrong
                answers.append({"raised": f"{type(exc).__name__}: {safe_text(exc, 120)}"})
                continue
            answers.append(None if answer is None else plain_number(answer, f"smallest_rank(S, {max_error})"))
    return answers


@RANK_FOR_ERROR.judge
def _(got: list, wanted: list[dict]) -> None:
    wrong = [(answer, case) for answer, case in zip(got, wanted) if answer != case["right"]]
    if not wrong:
        return
    for answer, case in wrong:
        where = f"for {case['size']} singular values and max_error={case['max_error']}"
        if answer is None:
            raise Wrong(f"{where} your function returned None: its loop ended without a `return`. At r = len(S) the "
                        "error is 0 (nothing is left out), so the loop must reach r = len(S).")
        if isinstance(answer, dict):
            raise Wrong(f"{where} your function raised {answer['raised']}. The ranks go from 0 (keep nothing) to len(S) "
                        "(keep all: S[len(S):] is empty and the error is 0).")
    if all(answer == case["energy"] for answer, case in zip(got, wanted)):
        answer, case = next((a, c) for a, c in wrong)
        raise Wrong(f"for max_error={case['max_error']} you give {answer:g}: that rank loses at most {case['max_error']:.1%} "
                    "of Σσ² (the 'energy'), but the error is measured in the norm, the square root of that share.")
    if all(abs(answer - case["right"]) == 1 for answer, case in wrong):
        answer, case = wrong[0]
        raise Wrong(f"for max_error={case['max_error']} you give {answer:g}, one off from {case['right']}: the error at rank "
                    "r uses the singular values from index r on (S[r:]), and r = 0 keeps none.")
    answer, case = wrong[0]
    raise Wrong(f"for {case['size']} singular values and max_error={case['max_error']} you give {answer:g}; the smallest "
                f"rank is {case['right']}.")


# --------------------------------------------------------------------------- 03.lora_parameters

LORA_PARAMETERS = exercise("03.lora_parameters", hint="count the numbers in B and in A for one adapted matrix, then "
                           "count the adapted matrices in the whole model.")


@LORA_PARAMETERS.run
def _(answer: Any) -> int:
    return plain_count(answer, "the number of trainable LoRA parameters")


@LORA_PARAMETERS.judge
def _(answer: int, wanted: None) -> None:
    rank, layers, hidden = 8, BERT_BASE_LAYERS, BERT_BASE_HIDDEN
    per_matrix = rank * (hidden + hidden)
    right = layers * 2 * per_matrix
    explanations = {
        layers * per_matrix: "that is half the count: one adapted matrix per layer (LoRA here adapts two, query and value), "
                             "or only B (or only A) of each (each adapted matrix gets both).",
        2 * per_matrix: "that is one layer; bert-base-uncased has 12.",
        layers * 4 * per_matrix: "that is twice the count: LoRA here adapts two matrices per layer (query and value), at "
                                 "rank 8; four matrices (q, k, v, o), or rank 16, double it.",
        layers * 2 * hidden * hidden: "that is the size of the full update ΔW; LoRA trains B and A instead, r columns and r rows.",
        6 * 2 * rank * (384 + 384): "those are the sizes of the offline stand-in (6 layers of 384); bert-base-uncased has 12 layers of 768.",
    }
    if answer != right:
        raise Wrong(explanations.get(answer, f"{answer:,} is not the number of trainable LoRA parameters."))
