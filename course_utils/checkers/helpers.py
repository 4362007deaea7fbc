"""What a checker is made of: the registry, ``@exercise``, ``Wrong`` and the ``expect_*`` helpers.

A checker is a function of the learner's answer, registered with ``@exercise("NN.name", hint=...)``;
it returns when the answer is right and raises ``Wrong`` with a reason otherwise.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable, Sequence


class Wrong(Exception):
    """Raised by a checker to say what is wrong with an answer (shown to the learner)."""


@dataclass(frozen=True)
class Exercise:
    name: str
    checker: Callable[[Any], None]
    hint: str


EXERCISES: dict[str, Exercise] = {}


def exercise(name: str, hint: str) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    """Register a checker under `name` ("NN.short_name"). The checker raises ``Wrong`` with a reason."""

    def register(checker: Callable[[Any], None]) -> Callable[[Any], None]:
        EXERCISES[name] = Exercise(name, checker, hint)
        return checker

    return register


# --------------------------------------------------------------------------- helpers for checkers

def _a(noun: str) -> str:
    """'a list', 'an int': the article a learner expects in a message."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def expect_type(answer: Any, kind: type | tuple[type, ...], what: str = "your answer") -> None:
    """Wrong unless `answer` is an instance of `kind`. `int` also takes any whole number that is not a
    bool (NumPy's int64, a counted `sum`), `float` any real number."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if int in kinds and isinstance(answer, numbers.Integral) and not isinstance(answer, bool):
        return
    if float in kinds and isinstance(answer, numbers.Real) and not isinstance(answer, bool):
        return
    if not isinstance(answer, kind):
        names = " or ".join(k.__name__ for k in kinds)
        raise Wrong(f"{what} should be {_a(names)}, but it is {_a(type(answer).__name__)}.")


def expect_callable(answer: Any, what: str = "your answer") -> None:
    """Wrong unless `answer` is a function (or anything callable)."""
    if not callable(answer):
        raise Wrong(f"{what} should be a function you defined (pass the name, without calling it), "
                    f"but it is {_a(type(answer).__name__)}.")


def expect_shape(answer: Any, shape: tuple[int, ...], what: str = "your answer") -> None:
    """Wrong unless `answer` has a `.shape` equal to `shape` (tensors and arrays)."""
    actual = getattr(answer, "shape", None)
    if actual is None:
        raise Wrong(f"{what} should be a tensor or array of shape {shape}, but it is {_a(type(answer).__name__)}.")
    if tuple(actual) != tuple(shape):
        raise Wrong(f"{what} has shape {tuple(actual)}, but shape {tuple(shape)} was expected.")


def expect_number(answer: Any, what: str = "your answer") -> float:
    """`answer` as a float (a Python number or a one-element tensor); Wrong when it is not a number."""
    try:
        value = float(answer)
    except (TypeError, ValueError, RuntimeError):
        raise Wrong(f"{what} should be a number, but it is {_a(type(answer).__name__)}.") from None
    if not math.isfinite(value):
        # NaN compares False with everything, so `abs(value - wanted) > tol` would let it pass.
        raise Wrong(f"{what} is {value}, not a finite number: somewhere a number overflowed or 0 was divided by 0 "
                    "(exp() of a large score is a common cause).")
    return value


def close(value: float, wanted: float, rel: float = 1e-6, tol: float = 1e-9) -> bool:
    """`value` equals `wanted` up to float32 rounding (relative `rel`) or an absolute `tol`."""
    return math.isclose(value, wanted, rel_tol=rel, abs_tol=tol)


def two_numbers(value: float, wanted: float) -> tuple[str, str]:
    """Both numbers with as many digits as it takes to see that they differ (never "0.2687 vs 0.2687")."""
    for digits in range(4, 17):
        shown = f"{value:.{digits}g}", f"{wanted:.{digits}g}"
        if shown[0] != shown[1]:
            return shown
    return repr(value), repr(wanted)


def expect_close(answer: Any, expected: float, tol: float = 1e-6, what: str = "your answer") -> None:
    """Wrong unless `answer` is a number within `tol` (or float32 rounding) of `expected`."""
    value = expect_number(answer, what)
    if not close(value, expected, tol=tol):
        raise Wrong(f"{what} is {two_numbers(value, expected)[0]}, which is not the expected value.")


def expect_value(got: float, wanted: float, mistakes: Sequence[tuple[float, str]], wrong: str, rel: float = 1e-6) -> None:
    """Return when `got` equals `wanted` up to `rel`; else raise Wrong with the reason of the first known mistake
    `got` equals (each a value and what it means), or `wrong` with ``{got}`` and ``{wanted}`` filled in with the
    digits it takes to see them differ."""
    if close(got, wanted, rel=rel):
        return
    for value, reason in mistakes:
        if close(got, value, rel=rel):
            raise Wrong(reason)
    shown, expected = two_numbers(got, wanted)
    raise Wrong(wrong.format(got=shown, wanted=expected))


def expect_tensor(answer: Any, like: Any, what: str = "your answer") -> Any:
    """`answer` as a torch tensor shaped like `like`: a NumPy array or a nested list is converted (floats to
    `like`'s dtype, so float64 and float32 answers compare), anything else is Wrong."""
    import torch

    if not isinstance(answer, torch.Tensor):
        try:
            import numpy as np

            answer = torch.as_tensor(np.asarray(answer))
        except Exception:  # noqa: BLE001 - not array-like at all
            raise Wrong(f"{what} should be a tensor of shape {tuple(like.shape)}, but it is "
                        f"{_a(type(answer).__name__)}.") from None
    expect_shape(answer, tuple(like.shape), what)
    answer = answer.detach()
    if answer.dtype.is_floating_point and not bool(torch.isfinite(answer).all()):
        raise Wrong(f"{what} contains nan or inf, not finite numbers: somewhere a number overflowed or 0 was divided by 0 "
                    "(exp() of a large score is a common cause).")
    if like.dtype.is_floating_point and answer.dtype != torch.bool:
        answer = answer.to(like.dtype)
    return answer
