"""Limits a learner's answer cannot escape (issue 40.4), on both ways ``check`` runs an answer: a forked child
(Linux, Colab, WSL) and a watched thread (the way Windows and macOS run it; here it is forced on Linux, a
stand-in: real Windows and macOS are not run). Each test is one case of the issue's probe."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from course_utils import checks
from course_utils.checks import check
from tests.checker_answers import CAN_FORK, WAYS


@pytest.fixture(params=WAYS)
def way(request, monkeypatch):
    """Each way ``check`` runs an answer, with a time limit of 1 s."""
    monkeypatch.setattr(checks, "ISOLATION", request.param)
    monkeypatch.setattr(checks, "CHECK_TIME_LIMIT_S", 1.0)
    return request.param


#: Set at the end of a test, so that an answer the thread way could not stop ends with it (not with the session).
RELEASE = threading.Event()


@pytest.fixture(autouse=True)
def release_stuck_answers():
    RELEASE.clear()
    yield
    RELEASE.set()


def _swallowing_loop(*args, **kwargs):
    while not RELEASE.is_set():
        try:
            while not RELEASE.is_set():
                pass
        except:  # noqa: E722 - the probe's case: a bare except around the loop swallows the stop
            pass


def test_a_bare_except_around_a_loop_cannot_swallow_the_stop(way):
    """In a child it is killed at the limit. In a thread, the stop is an exception raised where the interpreter
    next checks for one: inside the bare except (Python 3.11 and 3.12 here, always), it is swallowed and the
    verdict, at the limit, says it could not be stopped; on the outer loop's test (Python 3.13 here, often),
    it stops the loop. Either way the verdict comes at the limit (before, check() never returned) and says
    truly which happened."""
    before = set(threading.enumerate())
    start = time.perf_counter()
    verdict = check("04.posterior", _swallowing_loop, quiet=True)
    assert time.perf_counter() - start < 6
    assert not verdict and "still running after 1 s" in verdict.message
    time.sleep(0.2)
    still_running = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    if way == "process" or "so the check stopped it" in verdict.message:
        assert "so the check stopped it" in verdict.message and not still_running
    else:
        assert "could not be stopped" in verdict.message and "bare `except:`" in verdict.message and still_running


def test_a_bare_except_on_an_early_case_cannot_swallow_the_stop(way):
    """The old alarm fired once: swallowed on the first case, the next case looped forever."""
    calls = []

    def answer(prior, hit, false_alarm):
        calls.append(1)
        if len(calls) == 1:
            try:
                while True:
                    pass
            except:  # noqa: E722
                return 0.5
        while True:
            pass

    start = time.perf_counter()
    verdict = check("04.posterior", answer, quiet=True)
    assert time.perf_counter() - start < 6
    assert not verdict and "still running after 1 s, so the check stopped it" in verdict.message


@pytest.mark.skipif(not CAN_FORK, reason="a forked child is used on Linux only")
def test_one_long_computation_inside_a_library_is_stopped_in_a_child(monkeypatch):
    """sum(range(10**12)) never reaches a bytecode boundary (an alarm never fires): the child is killed."""
    monkeypatch.setattr(checks, "ISOLATION", "process")
    monkeypatch.setattr(checks, "CHECK_TIME_LIMIT_S", 1.0)
    start = time.perf_counter()
    verdict = check("04.posterior", lambda *args: sum(range(10 ** 12)), quiet=True)
    assert time.perf_counter() - start < 6
    assert not verdict and "still running after 1 s" in verdict.message


def test_in_a_thread_a_long_computation_is_named_not_called_stopped(monkeypatch):
    """A thread cannot interrupt one long computation that holds Python's lock: the verdict says how long it ran."""
    monkeypatch.setattr(checks, "ISOLATION", "thread")
    monkeypatch.setattr(checks, "CHECK_TIME_LIMIT_S", 0.2)
    start = time.perf_counter()
    verdict = check("04.posterior", lambda *args: sum(range(10 ** 8)), quiet=True)
    took = time.perf_counter() - start
    if took < 1.5:
        pytest.skip("this machine summed 10**8 numbers within the watchdog's slack")
    assert not verdict and "past the 0.2 s limit" in verdict.message and "could only stop it then" in verdict.message


def test_in_a_thread_an_answer_that_cannot_be_stopped_is_said_to_go_on(monkeypatch):
    """A thread blocked in one call that ignores the stop (here a long sleep) is not reported as stopped."""
    monkeypatch.setattr(checks, "ISOLATION", "thread")
    monkeypatch.setattr(checks, "CHECK_TIME_LIMIT_S", 0.3)
    monkeypatch.setattr(checks, "_STOP_TRIES_S", 0.2)
    verdict = check("04.posterior", lambda *args: time.sleep(3), quiet=True)
    assert not verdict and "could not be stopped" in verdict.message and "restart the kernel" in verdict.message.lower()


def test_off_the_main_thread_a_stopped_answer_really_stops(way):
    """The Windows path: check() called from another thread. The verdict says stopped only when it stopped."""
    import psutil

    verdicts = []
    before = set(threading.enumerate())
    worker = threading.Thread(target=lambda: verdicts.append(check("04.posterior", _swallowing_loop, quiet=True)), daemon=True)
    worker.start()
    worker.join(15)
    assert verdicts and "still running after 1 s" in verdicts[0].message
    if way == "thread" and "could not be stopped" in verdicts[0].message:   # said so, while it still runs
        assert [t for t in set(threading.enumerate()) - before if t.is_alive() and t is not worker]
        RELEASE.set()
    else:                                                                    # a forked child, or a stop that landed
        assert "so the check stopped it" in verdicts[0].message
    time.sleep(0.3)
    assert not [t for t in set(threading.enumerate()) - before if t.is_alive() and t is not worker]  # nothing left spinning
    assert not psutil.Process().children(recursive=True)


def test_sys_exit_is_reported_not_raised(way):
    verdict = check("04.posterior", lambda *args: sys.exit(), quiet=True)
    assert not verdict and "sys.exit()" in verdict.message


@pytest.mark.skipif(not CAN_FORK, reason="a forked child is used on Linux only")
def test_os_exit_and_a_crash_end_the_child_not_the_tests(monkeypatch):
    monkeypatch.setattr(checks, "ISOLATION", "process")
    verdict = check("04.posterior", lambda *args: os._exit(3), quiet=True)
    assert not verdict and "ended the process" in verdict.message

    def segfault(*args):
        import ctypes

        return ctypes.string_at(0)

    verdict = check("04.posterior", segfault, quiet=True)
    assert not verdict and "crashed" in verdict.message and "SIGSEGV" in verdict.message


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no text for you")


def test_an_exception_whose_str_raises_is_named(way):
    def answer(*args):
        raise Unprintable()

    verdict = check("04.posterior", answer, quiet=True)
    assert not verdict and "raised Unprintable" in verdict.message and "could not be shown" in verdict.message


def test_a_64_mb_answer_and_a_20_mb_message_are_cut(way):
    verdict = check("00.clean_review", lambda text: "x" * (64 << 20), quiet=True)
    assert not verdict and len(verdict.message) < 1500
    verdict = check("04.posterior", lambda *args: (_ for _ in ()).throw(ValueError("y" * (20 << 20))), quiet=True)
    assert not verdict and "raised ValueError" in verdict.message and len(verdict.message) < 1500


def test_a_20_mb_print_is_cut(way, capsys, monkeypatch):
    monkeypatch.setattr(checks, "CHECK_TIME_LIMIT_S", 60.0)
    def chatty(prior, hit, false_alarm):
        print("z" * (20 << 20))
        return hit * prior / (hit * prior + false_alarm * (1 - prior))

    assert check("04.posterior", chatty)
    out = capsys.readouterr().out
    assert len(out) < checks.SHOWN_OUTPUT_CHARS + 1000
    assert "more characters of your answer's output not shown" in out and out.rstrip().endswith("well done!")


def test_a_runaway_append_loop_is_stopped_by_memory(way, monkeypatch):
    monkeypatch.setattr(checks, "CHECK_MEMORY_LIMIT_MB", 300)
    monkeypatch.setattr(checks, "CHECK_TIME_LIMIT_S", 30.0)

    def hoard(*args):
        kept = []
        while True:
            kept.append(bytearray(1 << 20))

    start = time.perf_counter()
    verdict = check("04.posterior", hoard, quiet=True)
    assert time.perf_counter() - start < 20
    assert not verdict and "more than 300 MB of memory" in verdict.message


def test_input_is_refused_with_a_reason(way, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda *args: "0.5")  # the thread way runs in this process: input stays ours
    verdict = check("04.posterior", lambda *args: float(input("a number? ")), quiet=True)
    if way == "process":
        assert not verdict and "input()" in verdict.message
    else:
        assert not verdict  # 0.5 is not the posterior


def test_a_check_leaves_the_kernels_random_state_alone(way):
    import torch

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    assert check("08.accumulation", __import__("tests.checker_answers").checker_answers.train_step_accumulated, quiet=True)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize(("platform", "has_fork", "expected"), [("linux", True, "process"), ("darwin", True, "thread"),
                                                              ("win32", False, "thread")])
def test_the_way_an_answer_runs_follows_the_system(monkeypatch, platform, has_fork, expected):
    """macOS and Windows take the thread path (stand-ins for their platform facts; not run on those systems)."""
    monkeypatch.setattr(checks, "ISOLATION", "auto")
    monkeypatch.setattr(sys, "platform", platform)
    if not has_fork:
        monkeypatch.delattr(os, "fork", raising=False)
    assert checks._isolation() == expected


def test_the_thread_path_watches_memory_without_proc(monkeypatch):
    """Where /proc is missing (macOS, Windows), the watchdog reads memory another way; with a stand-in reading
    that grows past the limit, the answer is stopped for memory."""
    monkeypatch.setattr(checks, "ISOLATION", "thread")
    readings = iter(range(0, 10 ** 12, 400 << 20))
    monkeypatch.setattr(checks, "_resident_bytes", lambda pid=None: next(readings))
    monkeypatch.setattr(checks, "CHECK_MEMORY_LIMIT_MB", 1000)

    def grows(*args):
        while True:
            time.sleep(0.01)

    verdict = check("04.posterior", grows, quiet=True)
    assert not verdict and "more than 1000 MB of memory" in verdict.message


def test_when_fork_fails_the_thread_path_takes_over(monkeypatch):
    monkeypatch.setattr(checks, "ISOLATION", "process")

    def no_fork():
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(checks, "_quiet_fork", no_fork)
    assert check("04.posterior", lambda p, h, f: h * p / (h * p + f * (1 - p)), quiet=True)


# --------------------------------------------------------------------------- reader rchk: what an answer leaves behind

def _running(marker: str) -> list[str]:
    import subprocess

    return subprocess.run(["pgrep", "-x", "-f", f"sleep {marker}"], capture_output=True, text=True).stdout.split()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pgrep and /proc: Linux only")
def test_programs_an_answer_starts_end_with_the_check(way):
    """A program started in a new session (out of the child's process group) ends with a check that returned;
    one started by an answer that loops for ever ends when the answer is stopped, in a thread too."""
    import subprocess

    marker = f"{4000 + os.getpid() % 1000}.5"

    def orphan(prior, hit, false_alarm):
        subprocess.Popen(["sleep", marker], start_new_session=True)
        return hit * prior / (hit * prior + false_alarm * (1 - prior))

    try:
        assert check("04.posterior", orphan, quiet=True)
        time.sleep(0.2)
        assert _running(marker) == []

        def spins(prior, hit, false_alarm):
            subprocess.Popen(["sleep", marker])
            while not RELEASE.is_set():
                pass

        verdict = check("04.posterior", spins, quiet=True)
        assert not verdict and "still running after 1 s" in verdict.message
        time.sleep(0.2)
        assert _running(marker) == []
    finally:
        subprocess.run(["pkill", "-x", "-f", f"sleep {marker}"])  # only this test's own marker


def test_where_programs_cannot_be_listed_the_verdict_says_so(monkeypatch):
    monkeypatch.setattr(checks, "ISOLATION", "thread")
    monkeypatch.setattr(checks, "CHECK_TIME_LIMIT_S", 1.0)
    monkeypatch.setattr(checks, "_descendants", lambda pid: None)

    def spins(*args):
        while not RELEASE.is_set():
            pass

    verdict, outcome = checks.judge("04.posterior", spins)
    assert not verdict and "may still be running" in outcome.output


def test_a_thread_answer_leaves_the_folder_and_default_dtype_as_they_were(way):
    import torch

    folder, dtype = os.getcwd(), torch.get_default_dtype()

    def moves(prior, hit, false_alarm):
        os.chdir(os.path.dirname(folder) or "/")
        torch.set_default_dtype(torch.float64)
        return hit * prior / (hit * prior + false_alarm * (1 - prior))

    try:
        assert check("04.posterior", moves, quiet=True)
        assert os.getcwd() == folder and torch.get_default_dtype() == dtype
    finally:
        os.chdir(folder)
        torch.set_default_dtype(dtype)


def test_bytes_written_to_stdout_buffer_are_cut_too(way):
    """sys.stdout.buffer went past the thread way's cap to the real stream (200,000 bytes reached it)."""
    import io

    def raw(text):
        sys.stdout.buffer.write(b"Z" * 200_000)
        sys.stdout.flush()
        return " ".join(text.replace("<br />", " ").split())

    real = sys.stdout
    captured = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    sys.stdout = captured
    try:
        verdict = check("00.clean_review", raw)
    finally:
        sys.stdout = real
    captured.flush()
    assert verdict
    assert len(captured.buffer.getvalue()) < checks.SHOWN_OUTPUT_CHARS + 1000


def test_an_answer_raising_keyboardinterrupt_gets_a_clear_verdict(way):
    def interrupts(prior, hit, false_alarm):
        raise KeyboardInterrupt

    start = time.perf_counter()
    verdict = check("04.posterior", interrupts, quiet=True)
    assert time.perf_counter() - start < 0.9   # at once, not at the 1 s limit
    assert not verdict and "raised KeyboardInterrupt itself" in verdict.message
