"""Environments, live: run conda where it exists, and say so in one line where it does not.

Notebook 02 teaches conda's commands. On a learner's laptop they run for real; on Colab, in the
course's CI and on machines without conda, ``conda(...)`` prints one clean line instead of a
traceback, and the notebook shows the same idea with ``venv`` and ``pip``, which every Python has.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from .system import env_python, find_conda

#: What `conda(...)` and `run_practice(...)` say where no conda is found. "Not found", not "not
#: installed": a JupyterLab started before conda was installed keeps the PATH it started with.
NO_CONDA = "conda was not found on this kernel's PATH (as on Colab)"
#: Said once per kernel after NO_CONDA: the fix for a learner who has just installed conda.
JUST_INSTALLED = ("Just installed it? Close JupyterLab and start it again from a new terminal: a running JupyterLab "
                  "keeps the PATH it started with.")
_told_just_installed = False


def _no_conda(shown: str) -> str:
    """NO_CONDA for the command `shown`, with JUST_INSTALLED the first time in this process."""
    global _told_just_installed
    hint = "" if _told_just_installed else f" {JUST_INSTALLED}"
    _told_just_installed = True
    return f"{NO_CONDA}: on your machine this runs `{shown}`.{hint}"


def conda(*args: str, timeout: float = 120.0) -> str | None:
    """Run ``conda ARGS``, print what it printed and return it; None (and one line) without conda.

    A command that fails prints conda's own error message and the exit status, never a Python
    traceback; one that takes longer than `timeout` seconds is stopped with a message.
    """
    exe = find_conda()
    shown = " ".join(("conda",) + args)
    if exe is None:
        print(_no_conda(shown))
        return None
    try:
        done = subprocess.run([exe, *args], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"`{shown}` took longer than {timeout:.0f} s and was stopped. Fix: check your network, "
              "or run it in a terminal to see where it waits.")
        return None
    text = (done.stdout + done.stderr).rstrip()
    print(text if done.returncode == 0 else f"{text}\n(`{shown}` failed with exit status {done.returncode})")
    return text


def is_conda_base(prefix: str | Path) -> bool:
    """True for conda's `base`, by a heuristic: base is the environment that holds conda itself, so its
    `conda-meta/` records the `conda` package (`conda-25.9.1-py313h...json`; conda-libmamba-solver and friends
    are named `conda-<letter>...` and do not count). An ordinary environment that installed conda as a
    dependency (conda-build needs it) has that record too and is taken for base; `conda info --base` is the
    sure answer, and notebook 02 says so."""
    return any((Path(prefix) / "conda-meta").glob("conda-[0-9]*.json"))


def in_an_environment(prefix: str, base_prefix: str) -> bool:
    """The tests notebook 02 teaches: a venv (its prefix differs from the Python it was made from), or a
    conda environment other than `base` (its prefix holds `conda-meta/`, and there prefix and base prefix
    are the same folder; `base` has `conda-meta/` too, but it is conda's own, where nothing else belongs)."""
    if prefix != base_prefix:
        return True
    return (Path(prefix) / "conda-meta").is_dir() and not is_conda_base(prefix)


def venv_python(env_dir: str | Path) -> Path:
    """The Python inside a venv (``Scripts\\python.exe`` on Windows, ``bin/python`` elsewhere)."""
    return env_python(Path(env_dir))


def run_in(python: str | Path, code: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run Python `code` with another environment's interpreter; its output is captured, not printed.

    Without colours: a Jupyter kernel sets FORCE_COLOR, and from Python 3.13 on a traceback then comes
    with terminal colour codes even into a pipe; PYTHON_COLORS=0 turns them off (older Pythons ignore it).
    """
    environment = {**os.environ, "PYTHON_COLORS": "0"}
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=timeout, env=environment)


_TERMINAL_CODES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def last_line(text: str) -> str:
    """The last non-empty line of an error output (for a traceback, the error itself), without terminal
    colour codes."""
    lines = [line for line in _TERMINAL_CODES.sub("", text).strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def course_environment_text() -> str:
    """The course's `environment.yml`, as shipped inside course_utils: readable where the course was
    pip-installed without a checkout (Colab). tests/test_envs.py checks it is the repository's file."""
    from importlib.resources import files

    return (files("course_utils") / "data" / "environment.yml").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- conda practice (notebook 02)

#: The practice task: what the environment must hold, and the file the export goes to.
PRACTICE_PYTHON = "3.12"
PRACTICE_PACKAGES = ("numpy", "requests")
#: Anaconda's terms of service, not yet accepted: conda's error, and what to do about it.
TOS_ERROR = "CondaToSNonInteractiveError"
TOS_FIX = ("Anaconda's channels (Miniconda's default) refuse non-interactive use until you accept their terms. Fix: in a "
           "terminal, `conda tos accept --override-channels --channel https://repo.anaconda.com/pkgs/main` (and the same "
           "for /pkgs/r, and /pkgs/msys2 on Windows), or use Miniforge (conda-forge only), then run this cell again.")


def run_practice(commands: list[list[str]], name: str, folder: str | Path, timeout: float = 900.0) -> bool | None:
    """Run the practice for real where conda exists, and check the result at each step: the environment
    imports numpy and requests (`conda run`), the export lists python, numpy and requests, and after the
    last command the environment is gone. Prints one line per step (and the fix where conda refuses
    Anaconda's channels for want of accepted terms). Returns True when every check passed, False when one
    failed or the commands are wrong (nothing runs then), None where there is no conda or where the
    variable CI is set (a test run: nothing is created over the network); one line says which."""
    import json

    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        print("Not run in a test run (CI is set): the course's tests create no environment over the network. "
              "The exercise's checker judges the commands; on your machine, with conda, this cell runs them.")
        return None
    exe = find_conda()
    if exe is None:
        print(f"{NO_CONDA}: the commands are checked by the exercise, not run. On a machine with conda this cell "
              f"creates the environment, checks it and removes it again (a few minutes, with network). {JUST_INSTALLED}")
        return None
    from .checkers.conda_cli import practice_problems  # the exercise's own reading of conda commands

    problems = practice_problems(commands, name)
    if problems:
        print(f"not run: the commands need fixing first ({problems[0]})")
        return False
    folder = Path(folder)

    def run(command: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([exe, *command[1:]], capture_output=True, text=True, timeout=timeout, cwd=folder)

    def step(what: str, done: subprocess.CompletedProcess[str]) -> bool:
        ok = done.returncode == 0
        print(f"{what}: {'ok' if ok else 'failed: ' + last_line(done.stdout + done.stderr)}")
        if TOS_ERROR in done.stdout + done.stderr:
            print(TOS_FIX)
        return ok

    create, install, export, remove = [c for c in commands if c[:2] != ["conda", "activate"]]
    if not (step(" ".join(create), run(create)) and step(" ".join(install), run(install))):
        run(remove)
        return False
    probe = "import numpy, requests, sys; print(sys.version_info[:2] == (3, 12))"
    inside = run(["conda", "run", "-n", name, "python", "-c", probe])
    works = inside.returncode == 0 and inside.stdout.strip().endswith("True")
    print(f"conda run -n {name}: Python {PRACTICE_PYTHON} imports numpy and requests: {works}")
    exported = step(" ".join(export), run(export))
    text = (folder / f"{name}.yml").read_text(encoding="utf-8") if (folder / f"{name}.yml").is_file() else ""
    listed = all(package in text for package in ("python", *PRACTICE_PACKAGES))
    print(f"{name}.yml lists python, numpy and requests: {listed}")
    removed = step(" ".join(remove), run(remove))
    listing = run(["conda", "env", "list", "--json"])
    try:
        gone = not any(Path(p).name == name for p in json.loads(listing.stdout).get("envs", []))
    except ValueError:
        gone = False
    print(f"environment {name} is gone: {gone}")
    return bool(works and exported and listed and removed and gone)
