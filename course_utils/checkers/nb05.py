"""Checkers of notebook 05 (gradient descent). Each computes the right answers itself, runs the learner's
answer on fresh inputs, and raises ``Wrong`` with a reason the learner can act on (see ``helpers``)."""

from __future__ import annotations

from typing import Any

from .helpers import (EXERCISES, NOT_FINITE_EXP, Wrong, all_close, exercise, expect_callable, expect_value, plain_array,
                      plain_list, plain_number, tensor_values, watching)

# --------------------------------------------------------------------------- 05.logistic_gradient

LOGISTIC_SIZES = ((10, 3), (50, 7))

LOGISTIC_GRADIENT = exercise("05.logistic_gradient", hint="start from one review: follow the scalar graph backwards from the "
                             "loss to w (chain rule). Then ask how one product with X gives every review's share at "
                             "once, and what the loss's mean does to the sum.",
                             needs=("torch",))


def _logistic_cases():  # -> list of (X, y, w, b), fresh float64 tensors
    import torch

    generator = torch.Generator().manual_seed(8)
    cases = []
    for n, d in LOGISTIC_SIZES:
        X = torch.randn(n, d, generator=generator, dtype=torch.float64)
        y = (torch.rand(n, generator=generator) > 0.5).double()
        w = torch.randn(d, generator=generator, dtype=torch.float64)
        cases.append((X, y, w, torch.tensor(0.3, dtype=torch.float64)))
    return cases


@LOGISTIC_GRADIENT.reference
def _() -> list[list[float]]:
    import torch

    gradients = []
    for X, y, w, b in _logistic_cases():
        w.requires_grad_(True)
        torch.nn.functional.binary_cross_entropy_with_logits(X @ w + b, y).backward()
        gradients.append(tensor_values(w.grad))
    return gradients


@LOGISTIC_GRADIENT.run
def _(logistic_gradient: Any) -> list[dict]:
    expect_callable(logistic_gradient, "logistic_gradient")
    answers = []
    for X, y, w, b in _logistic_cases():
        with watching(autograd=True) as used:
            result = logistic_gradient(X.clone(), y.clone(), w.clone(), b.clone())
        if used:
            raise Wrong("your function builds an autograd graph (requires_grad, backward() or autograd.grad): the "
                        "exercise is the gradient by hand, from the chain rule, without autograd.")
        answers.append(plain_array(result, tuple(w.shape), f"the gradient for {len(w)} weights", NOT_FINITE_EXP))
    return answers


@LOGISTIC_GRADIENT.judge
def _(got: list[dict], wanted: list[list[float]]) -> None:
    for (n, d), answer, right in zip(LOGISTIC_SIZES, got, wanted):
        values = answer["values"]
        if all_close(values, right, atol=1e-8, rtol=1e-6):
            continue
        if all_close(values, [n * g for g in right], atol=1e-6, rtol=1e-6):
            raise Wrong("that is the gradient of the summed loss; divide by the number of examples.")
        if all_close(values, [-g for g in right], atol=1e-8, rtol=1e-6):
            raise Wrong("the sign is flipped: the gradient uses sigmoid(z) - y.")
        raise Wrong(f"for {n} examples and {d} weights, your gradient differs from autograd's.")


# --------------------------------------------------------------------------- 05.stability_threshold

STABILITY_THRESHOLD = exercise("05.stability_threshold", hint="along each eigenvector of H, one step multiplies the "
                               "distance to the minimum by (1 - lr * eigenvalue): up to which lr does that shrink in "
                               "every direction?", needs=("torch",))
#: Ids an exercise had before, so that old notebooks and callers still find it (issue 39.14 renamed this one:
#: there is no largest stable rate, only a threshold that the stable rates approach).
RENAMED = {"05.largest_stable_lr": "05.stability_threshold"}
EXERCISES.update({old: EXERCISES[new] for old, new in RENAMED.items()})


def _hessians():  # -> list of symmetric positive definite float64 matrices
    import torch

    generator = torch.Generator().manual_seed(11)
    cases = [torch.diag(torch.tensor([1.0, 25.0], dtype=torch.float64))]
    for size in (3, 6):
        A = torch.randn(size, size, generator=generator, dtype=torch.float64)
        cases.append(A @ A.T + 0.1 * torch.eye(size, dtype=torch.float64))
    return cases


@STABILITY_THRESHOLD.reference
def _() -> list[dict]:
    import torch

    cases = []
    for H in _hessians():
        eigenvalues = torch.linalg.eigvalsh(H)
        cases.append({"size": len(H), "largest": eigenvalues.max().item(), "smallest": eigenvalues.min().item()})
    return cases


@STABILITY_THRESHOLD.run
def _(stability_threshold: Any) -> list[float]:
    expect_callable(stability_threshold, "stability_threshold")
    return [plain_number(stability_threshold(H.clone()), f"stability_threshold(H) for a {len(H)}x{len(H)} Hessian")
            for H in _hessians()]


@STABILITY_THRESHOLD.judge
def _(got: list[float], wanted: list[dict]) -> None:
    for value, case in zip(got, wanted):
        size = case["size"]
        expect_value(value, 2 / case["largest"], [
            (1 / case["largest"], "that is 1 / λ_max: a stable rate, and the fastest for the steepest direction, but "
                                  "below the threshold; the factor 1 - η λ only has to stay above -1."),
            (2 / case["smallest"], "that uses the smallest eigenvalue; the steepest direction (the largest "
                                   "eigenvalue) diverges first.")],
            f"for a {size}x{size} Hessian you give {{got}}; the threshold is {{wanted}}: every learning rate below "
            "it converges, none at or above it.")


# --------------------------------------------------------------------------- 05.linear_backward

BACKWARD_SIZES = ((4, 3, 2), (7, 5, 5), (1, 6, 3))

LINEAR_BACKWARD = exercise("05.linear_backward", hint="each gradient has the shape of what it belongs to; write one entry "
                           "y_ij as a sum over k of x_ik w_jk, and ask which y's a given w_jk or x_ik touches.",
                           needs=("torch",))


def _backward_cases():  # -> list of (X, W, b, delta), fresh float64 tensors
    import torch

    generator = torch.Generator().manual_seed(12)
    cases = []
    for n, d_in, d_out in BACKWARD_SIZES:
        X = torch.randn(n, d_in, generator=generator, dtype=torch.float64)
        W = torch.randn(d_out, d_in, generator=generator, dtype=torch.float64)
        b = torch.randn(d_out, generator=generator, dtype=torch.float64)
        cases.append((X, W, b, torch.randn(n, d_out, generator=generator, dtype=torch.float64)))
    return cases


@LINEAR_BACKWARD.reference
def _() -> list[dict]:
    cases = []
    for X, W, b, delta in _backward_cases():
        for tensor in (X, W, b):
            tensor.requires_grad_(True)
        (X @ W.T + b).backward(delta)  # autograd's answer for dL/dY = delta
        cases.append({"dW": tensor_values(W.grad), "db": tensor_values(b.grad), "dX": tensor_values(X.grad),
                      "dW.T": tensor_values(W.grad.T) if W.shape[0] == W.shape[1] else None})
    return cases


@LINEAR_BACKWARD.run
def _(linear_backward: Any) -> list[list[dict]]:
    expect_callable(linear_backward, "linear_backward")
    answers = []
    for X, W, b, delta in _backward_cases():
        result = linear_backward(X.clone(), W.clone(), delta.clone())
        if not isinstance(result, (tuple, list)):
            raise Wrong("linear_backward() should return three things: (dW, db, dX).")
        result = plain_list(result, "linear_backward()", limit=10)
        if len(result) != 3:
            raise Wrong(f"linear_backward() should return three things: (dW, db, dX), not {len(result)}.")
        answers.append([plain_array(got, tuple(like.shape), f"{name} for X of shape {tuple(X.shape)}")
                        for got, like, name in zip(result, (W, b, X), ("dW", "db", "dX"))])
    return answers


@LINEAR_BACKWARD.judge
def _(got: list[list[dict]], wanted: list[dict]) -> None:
    for (n, d_in, d_out), answers, right in zip(BACKWARD_SIZES, got, wanted):
        for name, answer in zip(("dW", "db", "dX"), answers):
            values = answer["values"]
            if all_close(values, right[name], atol=1e-10, rtol=1e-7):
                continue
            if n > 1 and all_close(values, [v / n for v in right[name]], atol=1e-10, rtol=1e-7):
                if name == "db":
                    raise Wrong("db is the sum of delta over the batch, not its mean: each example adds its own share.")
                raise Wrong(f"{name} is divided by the batch size: delta already holds each example's dL/dY, so the "
                            "gradient adds up every example's share, with no division.")
            if name == "dW" and right["dW.T"] is not None and all_close(values, right["dW.T"], atol=1e-10, rtol=1e-7):
                raise Wrong("dW is transposed: it must have the shape of W, (out, in), with row j for output j.")
            raise Wrong(f"{name} differs from autograd's for X of shape {(n, d_in)} and W of shape {(d_out, d_in)}: "
                        "write one entry of it as a sum and compare it with yours.")
