"""Exercise checkers: ``check(name, answer)`` gives a friendly verdict and a hint.

A checker never shows a bare ``assert`` or a library traceback: wrong types, wrong shapes and
code that raises are all turned into one readable line. Solutions live in the notebooks, in a
collapsed ``<details>`` block, so a learner reveals them on purpose and never by accident.
Each notebook registers its exercises with ``@exercise("NN.name", hint=...)``.
"""

from __future__ import annotations

import math
import numbers
import signal
import threading
from dataclasses import dataclass
from typing import Any, Callable

#: A checker (with the learner's code it runs) that takes longer than this is stopped and reported.
CHECK_TIME_LIMIT_S = 60.0


class Wrong(Exception):
    """Raised by a checker to say what is wrong with an answer (shown to the learner)."""


class TimeUp(BaseException):
    """The learner's code ran past the time limit (a BaseException, so `except Exception` cannot swallow it)."""


def run_with_time_limit(function: Callable[[], None], seconds: float) -> None:
    """Call `function`, raising ``TimeUp`` after `seconds`. In the main thread of a POSIX process (a
    Jupyter kernel) an alarm interrupts the code itself; elsewhere (Windows, other threads) it runs in
    a daemon thread that is abandoned at the deadline (it stops with the kernel)."""
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        def on_alarm(signum: int, frame: object) -> None:
            raise TimeUp

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            function()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return
    failure: list[BaseException] = []

    def call() -> None:
        try:
            function()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=call, daemon=True, name="checker")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeUp
    if failure:
        raise failure[0]


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

    if not isinstance(name, str):
        verdict = Verdict(repr(name)[:40], False, "the first argument of check() is the exercise's name as a string, "
                          "such as check(\"03.cosine\", cosine): copy it from the exercise's check cell.")
    elif name not in EXERCISES:
        prefix = name.split(".")[0]
        close = sorted(n for n in EXERCISES if n.startswith(prefix + ".")) or sorted(EXERCISES)
        verdict = Verdict(name[:40], False, f"there is no exercise with this name. Known names: {', '.join(close)}.")
    else:
        item = EXERCISES[name]
        try:
            run_with_time_limit(lambda: item.checker(answer), CHECK_TIME_LIMIT_S)
        except TimeUp:
            verdict = Verdict(name, False, f"your answer was still running after {CHECK_TIME_LIMIT_S:g} s, so the check "
                              "stopped it: look for a loop that never ends (a `while` whose condition never changes). "
                              f"Hint: {item.hint}")
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
