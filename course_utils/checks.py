"""Exercise checkers: ``check(name, answer)`` gives a friendly verdict and a hint.

A checker never shows a bare ``assert`` or a library traceback: wrong types, wrong shapes and
code that raises are all turned into one readable line. Solutions live in the notebooks, in a
collapsed ``<details>`` block, so a learner reveals them on purpose and never by accident.
Each notebook registers its exercises with ``@exercise("NN.name", hint=...)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable


class Wrong(Exception):
    """Raised by a checker to say what is wrong with an answer (shown to the learner)."""


@dataclass(frozen=True)
class Exercise:
    name: str
    checker: Callable[[Any], None]
    hint: str


@dataclass(frozen=True)
class Verdict:
    """The result of ``check``: truthy when the answer is right; printed as one line."""

    name: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        mark = "Correct" if self.passed else "Not yet"
        return f"[{mark}] {self.name}: {self.message}"

    __repr__ = __str__

    def _ipython_display_(self) -> None:
        # check() already printed the verdict; do not show it a second time as Out[...].
        return None


EXERCISES: dict[str, Exercise] = {}


def exercise(name: str, hint: str) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    """Register a checker under `name` ("NN.short_name"). The checker raises ``Wrong`` with a reason."""

    def register(checker: Callable[[Any], None]) -> Callable[[Any], None]:
        EXERCISES[name] = Exercise(name, checker, hint)
        return checker

    return register


def check(name: str, answer: Any, quiet: bool = False) -> Verdict:
    """Check a learner's answer to exercise `name`; print and return the verdict."""
    from . import exercises  # noqa: F401 - registers every notebook's checkers

    if name not in EXERCISES:
        prefix = name.split(".")[0] if isinstance(name, str) else ""
        close = sorted(n for n in EXERCISES if n.startswith(prefix + ".")) or sorted(EXERCISES)
        verdict = Verdict(str(name), False, f"there is no exercise with this name. Known names: {', '.join(close)}.")
    else:
        item = EXERCISES[name]
        try:
            item.checker(answer)
        except Wrong as exc:
            verdict = Verdict(name, False, f"{exc} Hint: {item.hint}")
        except Exception as exc:  # noqa: BLE001 - the learner's code raised inside the checker
            verdict = Verdict(name, False, f"running your answer raised {type(exc).__name__}: {exc}. Hint: {item.hint}")
        else:
            verdict = Verdict(name, True, "well done!")
    if not quiet:
        print(verdict)
    return verdict


# --------------------------------------------------------------------------- helpers for checkers

def _a(noun: str) -> str:
    """'a list', 'an int': the article a learner expects in a message."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def expect_type(answer: Any, kind: type | tuple[type, ...], what: str = "your answer") -> None:
    """Wrong unless `answer` is an instance of `kind`."""
    if not isinstance(answer, kind):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
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


def expect_close(answer: Any, expected: float, tol: float = 1e-6, what: str = "your answer") -> None:
    """Wrong unless `answer` is a number within `tol` of `expected`."""
    value = expect_number(answer, what)
    if abs(value - expected) > tol:
        raise Wrong(f"{what} is {value:.6g}, which is not the expected value.")
