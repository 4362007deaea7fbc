"""Facts about this machine that several parts of the course need, each written once.

Standard library only, no imports from the rest of the package: set-up uses it on a bare Python,
and the offline workshop kit carries a copy of this file beside its set-up script.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

#: Executable names of Chromium and Chrome, in the order they are looked for on PATH.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def env_python(prefix: Path) -> Path:
    """The Python executable inside an environment prefix: ``bin/python`` (venv or conda on Linux and
    macOS), ``Scripts\\python.exe`` (a venv on Windows) or ``python.exe`` (conda on Windows)."""
    prefix = Path(prefix)
    if os.name == "nt":
        candidates = [prefix / "python.exe", prefix / "Scripts" / "python.exe"]
    else:
        candidates = [prefix / "bin" / "python"]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[-1]


def find_conda() -> str | None:
    """The conda executable: ``$CONDA_EXE`` (set by ``conda activate``) when that file exists, else the first on
    PATH. A CONDA_EXE left in the environment after Miniconda was removed names a file that is gone."""
    explicit = os.environ.get("CONDA_EXE")
    if explicit and Path(explicit).is_file():
        return explicit
    return shutil.which("conda")


def find_chromium() -> str | None:
    """The system Chromium: ``$COURSE_CHROMIUM`` (when it is a file), else the first Chromium or Chrome on PATH."""
    explicit = os.environ.get("COURSE_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def running_as_root() -> bool:
    """True for the root user of a POSIX system (containers, cloud VMs, CI); never on Windows."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def jupyter_root_args(args: list[str] | tuple[str, ...] = ()) -> list[str]:
    """``["--allow-root"]`` where JupyterLab needs it (it refuses to start as root otherwise) and `args`
    does not already say it; ``[]`` elsewhere."""
    return ["--allow-root"] if running_as_root() and "--allow-root" not in args else []


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
