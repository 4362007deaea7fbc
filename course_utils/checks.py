"""``check(name, answer)``: a friendly verdict and a hint for a learner's answer to an exercise.

A check never shows a bare ``assert`` or a library traceback: wrong types, wrong shapes and code
that raises are all turned into one readable line. The checkers themselves live in
``course_utils.checkers`` (one module per notebook). Solutions live in the notebooks, in a
collapsed ``<details>`` block, so a learner reveals them on purpose and never by accident.
"""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass
from typing import Any, Callable

from .checkers import EXERCISES
from .checkers.helpers import Wrong

#: A checker (with the learner's code it runs) that takes longer than this is stopped and reported.
CHECK_TIME_LIMIT_S = 60.0


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


def check(name: str, answer: Any, quiet: bool = False) -> Verdict:
    """Check a learner's answer to exercise `name`; print and return the verdict."""
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
