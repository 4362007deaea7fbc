"""``check(name, answer)``: a friendly verdict and a hint for a learner's answer to an exercise.

A check never shows a bare ``assert`` or a library traceback: wrong types, wrong shapes and code
that raises are all turned into one readable line. The checkers themselves live in
``course_utils.checkers`` (one module per notebook; ``checkers.helpers`` says how one is built: the
right answers are computed by the course on its own inputs, the learner's code runs on fresh copies,
and plain values are compared). Solutions live in the notebooks, in a collapsed ``<details>`` block, so
a learner reveals them on purpose and never by accident.

The learner's code runs under limits it cannot escape, so a check never hangs and never takes the
notebook down with it:

* **Linux (and so Colab and WSL)**: in a child process forked from the kernel (it sees every function
  and variable of the notebook). The kernel waits at most ``CHECK_TIME_LIMIT_S`` and then kills it, so
  no ``except:`` that swallows the stop and no single long computation inside a library
  (``sum(range(10**12))``) can outlast the limit; its memory may grow by ``CHECK_MEMORY_LIMIT_MB`` (an
  address-space limit and a watchdog on its resident memory); what it prints is read through a pipe and
  shown cut to ``SHOWN_OUTPUT_CHARS``; ``sys.exit()``, ``os._exit()`` or a crash of a C library end the
  child, never the kernel. Nothing the answer changes (its inputs, a global, ``torch.allclose``) reaches
  the kernel, and the programs it starts end with the check, even in a new session (the child is their
  subreaper, and its whole tree is ended).
* **Windows and macOS** (where a forked child is not safe beside their system libraries, or does not
  exist; a function defined in a notebook cannot be sent to a freshly started one): in a thread of the
  kernel, watched by the kernel's own thread, which stops it by raising ``TimeUp`` (or ``MemoryUp``) in it
  again and again, so a bare ``except:`` that swallows one stop does not save it, and caps what it prints.
  What a thread cannot stop is said, never called stopped: a loop whose every instruction sits inside a
  bare ``except:``, or one call into a library that does not return, gets "could not be stopped ...
  restart the kernel" at the limit; one long computation that holds Python's lock (``sum(range(10**9))``)
  keeps the watchdog itself waiting, and its verdict says how long it ran. The memory watchdog reads
  /proc, psutil, Windows' working set or macOS's peak, whichever there is. After the answer, the working
  folder and torch's default dtype are put back, what it writes to ``sys.stdout.buffer`` is capped too, and
  the programs it started are ended where they can be listed (/proc or psutil; elsewhere its output says
  they may still run). Threads the answer itself starts write uncapped once the check is over: a thread
  cannot be stopped from outside.
* An answer that raises ``KeyboardInterrupt`` itself gets a verdict saying so, in both ways.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from .checkers import EXERCISES
from .checkers.helpers import Wrong, safe_text

#: A learner's answer still running after this many seconds is stopped and reported.
CHECK_TIME_LIMIT_S = 60.0
#: How much the memory of the process running a learner's answer may grow, in MB.
CHECK_MEMORY_LIMIT_MB = 1024
#: At most this much of what the learner's code prints is shown (the rest is counted, not shown).
SHOWN_OUTPUT_CHARS = 3000
#: A verdict's message is cut to this many characters (before the hint).
SHOWN_MESSAGE_CHARS = 700
#: "process" (a forked child), "thread", or "auto": process where Linux can fork, thread elsewhere.
ISOLATION = os.environ.get("COURSE_CHECK_ISOLATION", "auto")
#: How often the watchdog looks at the time and the memory, in seconds.
_POLL_S = 0.05
#: How long the thread path keeps raising TimeUp in a thread that will not stop, in seconds.
_STOP_TRIES_S = 2.0
#: The largest result (plain values, as JSON) a run may hand back, in bytes.
_MAX_RESULT_BYTES = 8 << 20


class OverLimit(BaseException):
    """Raised inside a learner's answer that went over a limit (a BaseException, so `except Exception`
    cannot swallow it; a bare `except:` can, which is why the watchdog raises it again and again)."""


class TimeUp(OverLimit):
    """The learner's code ran past the time limit."""


class MemoryUp(OverLimit):
    """The learner's code took more memory than the limit."""


@dataclass(frozen=True)
class Outcome:
    """What running a learner's answer came to: `kind` is "ok" (then `value` holds the plain values),
    "wrong" or "raised" (`value` is the message), "exit", "ended", "crashed" (`value` names the signal),
    "time", "unstoppable" or "memory"; `output` is what it printed (cut), `hidden` how much was cut."""

    kind: str
    value: Any = None
    output: str = ""
    hidden: int = 0


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


# --------------------------------------------------------------------------- running the answer (both ways)

def _collect(run: Callable[[Any], Any], answer: Any) -> str:
    """Run the checker's run step on `answer` and say what came of it, as JSON text. Everything that touches
    the learner's objects (even turning an exception into text) happens here, inside the limits."""
    try:
        result: dict[str, Any] = {"kind": "ok", "value": run(answer)}
    except Wrong as exc:
        result = {"kind": "wrong", "value": safe_text(exc, SHOWN_MESSAGE_CHARS)}
    except MemoryError:
        result = {"kind": "memory"}
    except SystemExit as exc:
        result = {"kind": "exit", "value": safe_text(exc, 60)}
    except KeyboardInterrupt:
        # The answer raised it itself: a Ctrl-C reaches the kernel's main thread, never the child (its own process
        # group) nor the thread that runs the answer.
        result = {"kind": "interrupt"}
    except OverLimit:
        raise
    except BaseException as exc:  # noqa: BLE001 - the learner's code raised: say so, never a traceback
        result = {"kind": "raised", "value": f"{type(exc).__name__}: {safe_text(exc)}"}
    try:
        return json.dumps(result)
    except (TypeError, ValueError) as exc:  # a checker's run step returned something that is not plain data
        return json.dumps({"kind": "raised", "value": f"the check could not read the result ({safe_text(exc, 100)})"})


class _CappedText:
    """Keeps the first `limit` characters written to it and counts the rest."""

    def __init__(self, limit: int) -> None:
        self.limit, self.parts, self.kept, self.hidden = limit, [], 0, 0

    def write(self, text: str) -> int:
        text = str(text)
        room = self.limit - self.kept
        if room > 0:
            self.parts.append(text[:room])
            self.kept += min(room, len(text))
        self.hidden += max(0, len(text) - max(room, 0))
        return len(text)

    def text(self) -> str:
        return "".join(self.parts)


def _resident_bytes(pid: int | None = None) -> int | None:
    """The resident memory of process `pid` (this one when None), or None where it cannot be read."""
    try:
        with open(f"/proc/{pid or 'self'}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import psutil

        return int(psutil.Process(pid).memory_info().rss)
    except Exception:  # noqa: BLE001 - psutil missing, or the process gone
        pass
    if pid is None and sys.platform == "win32":
        return _windows_working_set()
    if pid is None and sys.platform == "darwin":
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # bytes on macOS: the peak, never lower
    return None


def _windows_working_set() -> int | None:
    """This process's working set on Windows without psutil (GetProcessMemoryInfo)."""
    try:
        import ctypes
        from ctypes import wintypes

        class Counters(ctypes.Structure):
            _fields_ = [("cb", wintypes.DWORD), ("PageFaultCount", wintypes.DWORD),
                        ("PeakWorkingSetSize", ctypes.c_size_t), ("WorkingSetSize", ctypes.c_size_t),
                        ("QuotaPeakPagedPoolUsage", ctypes.c_size_t), ("QuotaPagedPoolUsage", ctypes.c_size_t),
                        ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t), ("QuotaNonPagedPoolUsage", ctypes.c_size_t),
                        ("PagefileUsage", ctypes.c_size_t), ("PeakPagefileUsage", ctypes.c_size_t)]

        counters = Counters()
        counters.cb = ctypes.sizeof(Counters)
        handle = ctypes.windll.kernel32.GetCurrentProcess()
        if ctypes.windll.psapi.GetProcessMemoryInfo(handle, ctypes.byref(counters), counters.cb):
            return int(counters.WorkingSetSize)
    except (AttributeError, OSError, ImportError):
        pass
    return None


def _keep_random_state():  # -> a context manager
    """Leave the kernel's torch random state as it was (a checker builds layers; the learner's next cell
    must draw the same numbers as without the check)."""
    import contextlib

    torch = sys.modules.get("torch")
    if torch is None:
        return contextlib.nullcontext()
    return torch.random.fork_rng(devices=[])


# --------------------------------------------------------------------------- programs the answer starts

def _descendants(pid: int) -> list[int] | None:
    """The processes below `pid` (children, theirs, ...), read from /proc or psutil; None where neither can say."""
    parents: dict[int, int] = {}
    try:
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    with open(f"/proc/{entry.name}/stat", "rb") as stat:
                        parents[int(entry.name)] = int(stat.read().rsplit(b")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
    except OSError:
        try:
            import psutil

            return [child.pid for child in psutil.Process(pid).children(recursive=True)]
        except Exception:  # noqa: BLE001 - psutil missing, or the process gone
            return None
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in found:
                found.append(child)
                todo.append(child)
    return found


def _kill(pids: list[int]) -> None:
    """End each process in `pids` at once (SIGKILL; TerminateProcess on Windows)."""
    import signal

    for pid in pids:
        try:
            os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
        except OSError:
            pass


def _become_subreaper() -> None:
    """In the child (Linux): programs its programs leave behind (a new session, a double fork) become its own
    children instead of init's, so they can be found and ended with it."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


# --------------------------------------------------------------------------- in a forked child (Linux)

def _quiet_fork() -> int:
    """os.fork(), without Python 3.12's warning about threads (a kernel always has some: the child uses
    none of their locks) and without tokenizers' note about its own threads."""
    import warnings

    before = os.environ.get("TOKENIZERS_PARALLELISM")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return os.fork()
    finally:
        if before is None and os.environ.get("TOKENIZERS_PARALLELISM") == "false":
            os.environ.pop("TOKENIZERS_PARALLELISM", None)


def _reap(pid: int) -> int:
    """Wait for the child and return its wait status (0 where the system reaps children itself: SIGCHLD ignored)."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return 0


def _refuse_input(*args: Any, **kwargs: Any) -> str:
    raise Wrong("your answer calls input(), which waits for someone to type; no one can during a check: "
                "take the values as arguments instead.")


def _child(run: Callable[[Any], Any], answer: Any, out_w: int, result_w: int, memory_mb: float) -> None:
    """In the forked child: send what the answer prints to `out_w`, run it, write the result to `result_w`,
    and end with os._exit (never return into the kernel's code, never run its exit handlers)."""
    try:
        import builtins
        import faulthandler
        import gc

        faulthandler.disable()  # a crash is reported in the verdict, not dumped on the kernel's own error stream

        try:
            os.setpgid(0, 0)  # its own process group: the kernel can stop it with everything it starts
        except OSError:
            pass
        _become_subreaper()  # ... and with what leaves that group (start_new_session=True)
        os.dup2(out_w, 1)
        os.dup2(out_w, 2)
        os.close(out_w)
        nothing = os.open(os.devnull, os.O_RDONLY)
        os.dup2(nothing, 0)
        stream = open(1, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False)
        sys.stdout = sys.stderr = sys.__stdout__ = sys.__stderr__ = stream
        sys.stdin = open(0, encoding="utf-8", closefd=False)
        builtins.input = _refuse_input
        gc.freeze()  # the kernel's own objects are never collected (nor finalized) here
        _calm_libraries()
        _cap_address_space(memory_mb)
        data = _collect(run, answer).encode()
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
        view = memoryview(data)
        while view:
            view = view[os.write(result_w, view):]
    finally:
        try:
            for _ in range(3):  # what the answer started ends with the check (a new one may start meanwhile)
                left = _descendants(os.getpid())
                if not left:
                    break
                _kill(left)
        finally:
            os._exit(0)


def _calm_libraries() -> None:
    """In the child: one torch thread (OpenMP's thread pool does not survive a fork: the first parallel
    operation would wait forever), and IPython's display turned off (it writes to the kernel's sockets)."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
    if "IPython" in sys.modules:
        try:
            from IPython import get_ipython

            shell = get_ipython()
            if shell is not None:
                shell.display_pub.publish = lambda *args, **kwargs: None
        except Exception:  # noqa: BLE001 - no display to turn off
            pass


def _cap_address_space(memory_mb: float) -> None:
    """Limit the child's address space to what it has now plus `memory_mb`: an allocation past that fails
    with MemoryError at once, before the machine starts swapping."""
    try:
        import resource

        with open("/proc/self/statm", "rb") as statm:
            size = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = size + int(memory_mb * (1 << 20))
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, OSError, ValueError):
        pass  # the watchdog on resident memory still holds


def _in_child(run: Callable[[Any], Any], answer: Any, limit_s: float, memory_mb: float,
              while_running: Callable[[], None]) -> Outcome | None:
    """Run the answer in a forked child under the limits; call `while_running` in the kernel meanwhile.
    None when no child could be started."""
    import select
    import signal

    out_r, out_w = os.pipe()
    result_r, result_w = os.pipe()
    baseline = _resident_bytes()
    try:
        pid = _quiet_fork()
    except OSError:  # no fork after all (a limit on processes): the caller uses a thread
        for fd in (out_r, out_w, result_r, result_w):
            os.close(fd)
        return None
    if pid == 0:
        os.close(out_r)
        os.close(result_r)
        _child(run, answer, out_w, result_w, memory_mb)
    os.close(out_w)
    os.close(result_w)
    output = bytearray()
    hidden = 0
    result = bytearray()
    reason = None
    status = None
    try:
        while_running()
        deadline = time.monotonic() + limit_s
        poller = select.poll()
        for fd in (out_r, result_r):
            poller.register(fd, select.POLLIN | select.POLLHUP)
        open_fds = {out_r, result_r}
        while result_r in open_fds:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                reason = "time"
                break
            for fd, _ in poller.poll(max(1, int(min(remaining, _POLL_S) * 1000))):
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    poller.unregister(fd)
                    open_fds.discard(fd)
                elif fd == out_r:
                    room = SHOWN_OUTPUT_CHARS * 4 - len(output)
                    output += chunk[:max(room, 0)]
                    hidden += max(0, len(chunk) - max(room, 0))
                else:
                    result += chunk
            if len(result) > _MAX_RESULT_BYTES:
                reason = "big"
                break
            resident = _resident_bytes(pid)
            if baseline is not None and resident is not None and resident - baseline > memory_mb * (1 << 20):
                reason = "memory"
                break
        if reason is None:
            status = _reap(pid)
    finally:
        if status is None:
            try:
                os.kill(pid, signal.SIGSTOP)  # frozen, it starts nothing new while its programs are ended
            except OSError:
                pass
            for _ in range(3):
                _kill(_descendants(pid) or [])
        try:
            os.killpg(pid, signal.SIGKILL)  # the child if still running, and whatever it started
        except OSError:
            pass
        if status is None:
            try:
                os.kill(pid, signal.SIGKILL)  # not reaped yet, so `pid` is still the child's
            except OSError:
                pass
            status = _reap(pid)
        ends = time.monotonic() + 0.5
        while out_r is not None and time.monotonic() < ends:  # what it printed last, without waiting long
            ready, _, _ = select.select([out_r], [], [], max(0.0, ends - time.monotonic()))
            chunk = os.read(out_r, 1 << 16) if ready else b""
            if not chunk:
                break
            room = SHOWN_OUTPUT_CHARS * 4 - len(output)
            output += chunk[:max(room, 0)]
            hidden += max(0, len(chunk) - max(room, 0))
        os.close(out_r)
        os.close(result_r)
    text = output.decode("utf-8", errors="replace")
    hidden += max(0, len(text) - SHOWN_OUTPUT_CHARS)
    text = text[:SHOWN_OUTPUT_CHARS]
    if reason in ("time", "memory"):
        return Outcome(reason, output=text, hidden=hidden)
    if reason == "big":
        return Outcome("raised", "the answer's result is far larger than the exercise needs", text, hidden)
    if result:
        try:
            data = json.loads(result.decode())
            return Outcome(data["kind"], data.get("value"), text, hidden)
        except (ValueError, KeyError):
            pass
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return Outcome("crashed", name, text, hidden)
    return Outcome("ended", os.WEXITSTATUS(status) if os.WIFEXITED(status) else None, text, hidden)


# --------------------------------------------------------------------------- in a thread (Windows, macOS)

class _Router:
    """Stands in for sys.stdout or sys.stderr while a check runs in a thread: what that thread (or a thread it
    started) writes goes to a capped buffer, text and bytes (`.buffer`) alike; everything else to the real stream."""

    def __init__(self, original: Any, worker: threading.Thread, sink: _CappedText,
                 before: set[int] | None = None) -> None:
        self._original, self._worker, self._sink = original, worker, sink
        self._before = before if before is not None else {thread.ident for thread in threading.enumerate()}

    def _answers(self) -> bool:
        """True in the thread that runs the answer, or in one started while it ran."""
        current = threading.current_thread()
        return current is self._worker or current.ident not in self._before

    def write(self, text: str) -> int:
        if self._answers():
            return self._sink.write(text)
        return self._original.write(text)

    def flush(self) -> None:
        if not self._answers():
            self._original.flush()

    @property
    def buffer(self) -> Any:
        return _BytesRouter(self)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


class _BytesRouter:
    """sys.stdout.buffer while a check runs in a thread: the answer's bytes go to the capped buffer too."""

    def __init__(self, router: _Router) -> None:
        self._router = router

    def write(self, data: Any) -> int:
        if self._router._answers():
            self._router._sink.write(bytes(data).decode("utf-8", errors="replace"))
            return len(data)                                  # every byte taken, as a real buffer says
        return self._router._original.buffer.write(data)

    def flush(self) -> None:
        if not self._router._answers():
            self._router._original.buffer.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._router._original.buffer, name)


def _raise_in(worker: threading.Thread, exception: type[BaseException]) -> None:
    """Raise `exception` in `worker` at its next Python instruction (CPython's PyThreadState_SetAsyncExc)."""
    import ctypes

    if worker.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(exception))


def _stop(worker: threading.Thread, exception: type[BaseException], finished: threading.Event) -> bool:
    """Raise `exception` in `worker` every _POLL_S (a bare `except:` may swallow one) until it has finished or
    _STOP_TRIES_S pass. True when it finished. (A loop whose every instruction sits inside a bare `except:`
    swallows every try, and one call into a library that does not return to Python cannot be interrupted at
    all: those are reported as not stopped, never as stopped.)"""
    ends = time.monotonic() + _STOP_TRIES_S
    while not finished.is_set() and time.monotonic() < ends:
        _raise_in(worker, exception)
        finished.wait(_POLL_S)
    return finished.is_set()


def _kernel_state() -> dict[str, Any]:
    """What an answer running in the kernel's own thread may change for every later cell: the working folder
    and torch's default dtype (a forked child changes only its own)."""
    torch = sys.modules.get("torch")
    try:
        folder = os.getcwd()
    except OSError:
        folder = None
    return {"cwd": folder, "dtype": torch.get_default_dtype() if torch is not None else None}


def _restore_kernel_state(state: dict[str, Any]) -> None:
    """Put back what ``_kernel_state`` saw."""
    try:
        if state["cwd"] is not None and os.getcwd() != state["cwd"]:
            os.chdir(state["cwd"])
    except OSError:
        try:
            os.chdir(state["cwd"])
        except OSError:
            pass
    torch = sys.modules.get("torch")
    if torch is not None and state["dtype"] is not None and torch.get_default_dtype() != state["dtype"]:
        torch.set_default_dtype(state["dtype"])


def _end_programs(before: list[int] | None) -> str:
    """End the programs the answer started in this process (those below it now that were not before); where
    they cannot be listed (no /proc, no psutil), say so."""
    if before is None:
        return "\n(Programs your answer started, if any, may still be running: the check cannot list them here.)"
    for _ in range(3):
        started = [pid for pid in _descendants(os.getpid()) or [] if pid not in before]
        if not started:
            break
        _kill(started)
    return ""


def _in_thread(run: Callable[[Any], Any], answer: Any, limit_s: float, memory_mb: float) -> Outcome:
    """Run the answer in a thread of this process under a watchdog (where forking is not possible or not safe)."""
    box: list[str] = []
    finished, quiet = threading.Event(), threading.Event()

    def work() -> None:
        started = False
        while not quiet.is_set():
            try:
                if not started:
                    started = True
                    box.append(_collect(run, answer))
                finished.set()
                quiet.wait(1.0)  # a stop already on its way lands here, not in threading's own clean-up
            except OverLimit:
                finished.set()  # the watchdog stopped it; it has already decided the verdict

    worker = threading.Thread(target=work, daemon=True, name="course-check")
    sink = _CappedText(SHOWN_OUTPUT_CHARS)
    saved = sys.stdout, sys.stderr
    threads = {thread.ident for thread in threading.enumerate()}
    sys.stdout, sys.stderr = _Router(saved[0], worker, sink, threads), _Router(saved[1], worker, sink, threads)
    state = _kernel_state()
    programs = _descendants(os.getpid())
    baseline = _resident_bytes()
    reason = None
    deadline = time.monotonic() + limit_s
    try:
        with _keep_random_state():
            worker.start()
            while not finished.wait(_POLL_S):
                now = time.monotonic()
                if now > deadline:
                    # Far past the deadline: the watchdog could not run, since a long computation inside a library
                    # held Python's lock (a thread cannot interrupt that); say so instead of "stopped at the limit".
                    reason = "time" if now - deadline < 1.0 else "late"
                    break
                resident = _resident_bytes()
                if baseline is not None and resident is not None and resident - baseline > memory_mb * (1 << 20):
                    reason = "memory"
                    break
            if reason is not None and not _stop(worker, MemoryUp if reason == "memory" else TimeUp, finished):
                reason = "unstoppable"
    except KeyboardInterrupt:
        _stop(worker, TimeUp, finished)
        raise
    finally:
        quiet.set()
        if finished.is_set():  # a thread that could not be stopped keeps its router: its output stays hidden
            sys.stdout, sys.stderr = saved
        _restore_kernel_state(state)
        note = _end_programs(programs)
    if note and reason is not None:
        return Outcome(reason, output=sink.text() + note, hidden=sink.hidden)
    if reason == "late":
        return Outcome(reason, time.monotonic() - deadline + limit_s, sink.text(), sink.hidden)
    if reason is not None:
        return Outcome(reason, output=sink.text(), hidden=sink.hidden)
    if not box:
        return Outcome("raised", "the check ended without a result", sink.text(), sink.hidden)
    data = json.loads(box[0])
    return Outcome(data["kind"], data.get("value"), sink.text(), sink.hidden)


# --------------------------------------------------------------------------- the verdict

def _isolation() -> str:
    if ISOLATION in ("process", "thread"):
        return ISOLATION
    return "process" if hasattr(os, "fork") and sys.platform.startswith("linux") else "thread"


def run_answer(item: Any, answer: Any) -> tuple[Outcome, Any, BaseException | None]:
    """Run exercise `item`'s run step on `answer` under the limits, and compute its reference: before the
    answer runs (thread), or in the kernel while the child runs it (process). Returns the outcome, the
    reference and the error that stopped the reference (None when it was computed)."""
    reference: list[Any] = [None]
    failure: list[BaseException | None] = [None]

    def compute_reference() -> None:
        try:
            with _keep_random_state():
                reference[0] = item.make_reference()
        except Exception as exc:  # noqa: BLE001 - reported in the verdict, with its fix where it has one
            failure[0] = exc

    limit_s, memory_mb = float(CHECK_TIME_LIMIT_S), float(CHECK_MEMORY_LIMIT_MB)
    import importlib

    for module in item.needs:  # imported once in the kernel, not at every check in a child
        importlib.import_module(module)
    if _isolation() == "process":
        outcome = _in_child(item.run_answer, answer, limit_s, memory_mb, compute_reference)
        if outcome is not None:
            return outcome, reference[0], failure[0]
    compute_reference()
    return _in_thread(item.run_answer, answer, limit_s, memory_mb), reference[0], failure[0]


def _message(outcome: Outcome, limit_s: float, memory_mb: float) -> str | None:
    """What to tell the learner about an outcome that is not "ok" (None for "ok")."""
    kind, seconds = outcome.kind, f"{limit_s:g} s"
    if kind == "ok":
        return None
    if kind == "wrong":
        return str(outcome.value)
    if kind == "raised":
        return f"running your answer raised {outcome.value}."
    if kind == "time":
        return (f"your answer was still running after {seconds}, so the check stopped it: look for a loop that never "
                "ends (a `while` whose condition never changes) or a computation far larger than the exercise needs.")
    if kind == "late":
        return (f"your answer ran for {float(outcome.value or 0):.0f} s, past the {seconds} limit: it was inside one long "
                "computation of a library (such as sum(range(10**12))), which holds Python until it ends, so the check "
                "could only stop it then. Look for a computation far larger than the exercise needs.")
    if kind == "unstoppable":
        return (f"your answer was still running after {seconds} and could not be stopped: a bare `except:` in a loop "
                "catches the check's stop, and one long call into a library (such as sum(range(10**12)) or a long "
                "sleep) cannot be interrupted. It goes on in the background (often keeping a processor busy); restart "
                "the kernel (Kernel -> Restart Kernel) to stop it now. Look for a loop that never ends, an `except:` "
                "that catches everything, or a computation far larger than the exercise needs.")
    if kind == "memory":
        return (f"your answer took more than {memory_mb:g} MB of memory, so the check stopped it: look for a list that "
                "grows in a loop that never ends, or a tensor far larger than the exercise needs.")
    if kind == "exit":
        return "your answer called sys.exit() (or exit() or quit()), which ends the whole program: return a value instead."
    if kind == "interrupt":
        return ("your answer raised KeyboardInterrupt itself (the exception Ctrl-C raises), which stops the whole "
                "notebook: return a value instead.")
    if kind == "ended":
        return "your answer ended the process that ran it (os._exit?) before returning: return a value instead."
    if kind == "crashed":
        return (f"your answer crashed the process that ran it ({outcome.value}; in the notebook itself it would have "
                "killed the kernel): a library was given something it cannot handle.")
    return f"the check could not run your answer ({kind})."


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def judge(name: str, answer: Any) -> tuple[Verdict, Outcome]:
    """The verdict on `answer` for exercise `name` (known), and the outcome of running it."""
    item = EXERCISES[name]
    limit_s, memory_mb = float(CHECK_TIME_LIMIT_S), float(CHECK_MEMORY_LIMIT_MB)
    outcome, reference, failure = run_answer(item, answer)
    said = _message(outcome, limit_s, memory_mb)
    if said is None and failure is not None:
        said = f"the check could not compute the right answer itself: {safe_text(failure)}"
    if said is None:
        try:
            item.judge_answer(outcome.value, reference)
        except Wrong as exc:
            said = safe_text(exc, SHOWN_MESSAGE_CHARS)
    if said is None:
        return Verdict(name, True, "well done!"), outcome
    return Verdict(name, False, f"{_cut(said, SHOWN_MESSAGE_CHARS)} Hint: {item.hint}"), outcome


def check(name: str, answer: Any, quiet: bool = False) -> Verdict:
    """Check a learner's answer to exercise `name`; print what it printed (cut) and the verdict, and return it."""
    outcome = None
    if not isinstance(name, str):
        verdict = Verdict(_cut(repr(name), 40), False, "the first argument of check() is the exercise's name as a string, "
                          "such as check(\"03.cosine\", cosine): copy it from the exercise's check cell.")
    elif name not in EXERCISES:
        prefix = name.split(".")[0]
        close = sorted(n for n in EXERCISES if n.startswith(prefix + ".")) or sorted(EXERCISES)
        verdict = Verdict(_cut(name, 40), False, f"there is no exercise with this name. Known names: {', '.join(close)}.")
    else:
        verdict, outcome = judge(name, answer)
    if not quiet:
        if outcome is not None and (outcome.output or outcome.hidden):
            printed = outcome.output.rstrip("\n")
            if outcome.hidden:
                printed += f"\n[... {outcome.hidden:,} more characters of your answer's output not shown]"
            print(printed)
        print(verdict)
    return verdict
