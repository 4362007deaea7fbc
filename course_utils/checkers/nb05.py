"""Checkers of notebook 05 (gradient descent): each recomputes the right answer, or tries the learner's
function on cases, and raises ``Wrong`` with a reason the learner can act on."""

from __future__ import annotations

from typing import Any

from .helpers import (expect_value, Wrong, exercise, expect_callable, expect_number, expect_tensor)


@exercise("05.logistic_gradient", hint="start from one review, dL/dw = (sigmoid(z) - y) x (the scalar graph); then average "
          "over the rows of X, and write that sum as a matrix product.")
def _logistic_gradient(logistic_gradient: Any) -> None:
    import torch

    expect_callable(logistic_gradient, "logistic_gradient")
    generator = torch.Generator().manual_seed(8)
    for n, d in ((10, 3), (50, 7)):
        X = torch.randn(n, d, generator=generator, dtype=torch.float64)
        y = (torch.rand(n, generator=generator) > 0.5).double()
        w = torch.randn(d, generator=generator, dtype=torch.float64, requires_grad=True)
        b = torch.tensor(0.3, dtype=torch.float64)
        torch.nn.functional.binary_cross_entropy_with_logits(X @ w + b, y).backward()
        got = expect_tensor(logistic_gradient(X, y, w.detach(), b), w.grad, f"the gradient for {d} weights")
        if not torch.allclose(got.double(), w.grad, atol=1e-8):
            if torch.allclose(got.double(), w.grad * n, atol=1e-6):
                raise Wrong("that is the gradient of the summed loss; divide by the number of examples.")
            if torch.allclose(got.double(), -w.grad, atol=1e-8):
                raise Wrong("the sign is flipped: the gradient uses sigmoid(z) - y.")
            raise Wrong(f"for {n} examples and {d} weights, your gradient differs from autograd's.")


@exercise("05.largest_stable_lr", hint="along each eigenvector of H, one step multiplies the distance to the minimum "
          "by (1 - lr * eigenvalue): for which lr does that shrink in every direction?")
def _largest_stable_lr(largest_stable_lr: Any) -> None:
    import torch

    expect_callable(largest_stable_lr, "largest_stable_lr")
    generator = torch.Generator().manual_seed(11)
    cases = [torch.diag(torch.tensor([1.0, 25.0], dtype=torch.float64))]
    for size in (3, 6):
        A = torch.randn(size, size, generator=generator, dtype=torch.float64)
        cases.append(A @ A.T + 0.1 * torch.eye(size, dtype=torch.float64))
    for H in cases:
        eigenvalues = torch.linalg.eigvalsh(H)
        wanted = 2 / eigenvalues.max().item()
        got = expect_number(largest_stable_lr(H.clone()), f"largest_stable_lr(H) for a {len(H)}x{len(H)} Hessian")
        expect_value(got, wanted, [
            (1 / eigenvalues.max().item(), "that is 1 / λ_max: stable, and the fastest for the steepest direction, but not "
                                           "the largest; the factor 1 - η λ only has to stay above -1."),
            (2 / eigenvalues.min().item(), "that uses the smallest eigenvalue; the steepest direction (the largest "
                                           "eigenvalue) diverges first.")],
            f"for a {len(H)}x{len(H)} Hessian you give {{got}}; the largest stable learning rate is {{wanted}}.")


@exercise("05.linear_backward", hint="each gradient has the shape of what it belongs to; write one entry y_ij as a sum "
          "over k of x_ik w_jk, and ask which y's a given w_jk or x_ik touches.")
def _linear_backward(linear_backward: Any) -> None:
    import torch

    expect_callable(linear_backward, "linear_backward")
    generator = torch.Generator().manual_seed(12)
    for n, d_in, d_out in ((4, 3, 2), (7, 5, 5), (1, 6, 3)):
        X = torch.randn(n, d_in, generator=generator, dtype=torch.float64, requires_grad=True)
        W = torch.randn(d_out, d_in, generator=generator, dtype=torch.float64, requires_grad=True)
        b = torch.randn(d_out, generator=generator, dtype=torch.float64, requires_grad=True)
        delta = torch.randn(n, d_out, generator=generator, dtype=torch.float64)
        (X @ W.T + b).backward(delta)       # autograd's answer for dL/dY = delta
        result = linear_backward(X.detach(), W.detach(), delta)
        if not isinstance(result, tuple) or len(result) != 3:
            raise Wrong("linear_backward() should return three things: (dW, db, dX).")
        for got, param, name in zip(result, (W, b, X), ("dW", "db", "dX")):
            got = expect_tensor(got, param.grad, f"{name} for X of shape {tuple(X.shape)}")
            if not torch.allclose(got, param.grad, atol=1e-10):
                if name == "db" and torch.allclose(got, param.grad / n, atol=1e-10):
                    raise Wrong("db is the sum of delta over the batch, not its mean: each example adds its own share.")
                raise Wrong(f"{name} differs from autograd's for X of shape {tuple(X.shape)} and W of shape {tuple(W.shape)}: "
                            "check which matrix is transposed (each gradient has the shape of what it belongs to).")
