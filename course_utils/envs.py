"""Environments, live: run conda where it exists, and say so in one line where it does not.

Notebook 02 teaches conda's commands. On a learner's laptop they run for real; on Colab, in the
course's CI and on machines without conda, ``conda(...)`` prints one clean line instead of a
traceback, and the notebook shows the same idea with ``venv`` and ``pip``, which every Python has.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .bootstrap import env_python, find_conda

NO_CONDA = "conda is not installed here (Colab, the course's CI, or a plain Python)"


def conda(*args: str, timeout: float = 120.0) -> str | None:
    """Run ``conda ARGS``, print what it printed and return it; None (and one line) without conda.

    A command that fails prints conda's own error message and the exit status, never a Python
    traceback; one that takes longer than `timeout` seconds is stopped with a message.
    """
    exe = find_conda()
    shown = " ".join(("conda",) + args)
    if exe is None:
        print(f"{NO_CONDA}: on your machine this runs `{shown}`.")
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


def venv_python(env_dir: str | Path) -> Path:
    """The Python inside a venv (``Scripts\\python.exe`` on Windows, ``bin/python`` elsewhere)."""
    return env_python(Path(env_dir))


def run_in(python: str | Path, code: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run Python `code` with another environment's interpreter; its output is captured, not printed."""
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=timeout)


def last_line(text: str) -> str:
    """The last non-empty line of an error output: for a traceback, the error itself."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
