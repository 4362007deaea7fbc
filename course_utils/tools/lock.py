"""The lock: the exact versions the committed notebook outputs were generated with.

``python -m course_utils lock`` writes every package that ``course-utils[dev]`` needs, directly or
not, at the version installed here (the course itself left out) into ``.ci/lock/requirements.txt``,
with local version labels
dropped (``torch==2.13.0``, which the CPU build ``2.13.0+cpu`` and the CUDA build both satisfy).
The venv set-up installs with it as pip constraints, so ``test`` runs on those versions, and
``regenerate`` refuses to write outputs from other versions (``--unlocked`` to do it on purpose,
then ``lock`` again). Constraints pin only what is installed: a package another platform needs
(pywin32, say) is free, and one this platform does not need is ignored.
"""

from __future__ import annotations

import importlib.metadata as md
import platform
import re
import sys
from pathlib import Path

from ..errors import CourseError
from ..session import repo_root
from .bootstrap import LOCK_FILE

#: Not locked: the course itself, and pip's own tools (set-up upgrades them as it needs).
UNLOCKED = {"course-utils", "pip", "setuptools", "wheel"}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_versions() -> dict[str, str]:
    """Canonical name -> version (without a local label) of every package this Python has."""
    versions = {}
    for dist in md.distributions():
        name = dist.metadata["Name"]
        if name and _canonical(name) not in UNLOCKED:
            versions[_canonical(name)] = dist.version.split("+")[0]
    return dict(sorted(versions.items()))


def needed_versions() -> dict[str, str]:
    """Like ``installed_versions``, for only what ``course-utils[dev]`` needs here (nothing installed by hand)."""
    from .prefetch import dependency_closure

    needed = {_canonical(dist.metadata["Name"]) for dist in dependency_closure(extras=frozenset({"dev"}))}
    return {name: version for name, version in installed_versions().items() if name in needed}


def lock_path() -> Path:
    root = repo_root()
    if root is None:
        raise CourseError("the lock belongs to a checkout of the course. Fix: run this in a clone (`git clone`).")
    return root / LOCK_FILE


def read_lock(path: Path | None = None) -> dict[str, str]:
    """The locked versions, by canonical name."""
    path = path or lock_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise CourseError(f"there is no lock at {LOCK_FILE}. Fix: run `python -m course_utils lock` in the course "
                          "environment that made the outputs.") from None
    found = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^\s;]+)", line)
            if not match:
                raise CourseError(f"{LOCK_FILE} has a line that is not `name==version`: {line!r}. "
                                  "Fix: write the lock again with `python -m course_utils lock`.")
            found[_canonical(match.group(1))] = match.group(2)
    return found


def write_lock(path: Path | None = None) -> Path:
    """Write this environment's versions as the lock (``python -m course_utils lock``)."""
    path = path or lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    header = [f"# The versions the committed notebook outputs were generated with: Python {platform.python_version()}, "
              f"{sys.platform}.", "# Written by `python -m course_utils lock`; set-up installs them as pip constraints.",
              "# Do not edit by hand."]
    path.write_text("\n".join(header + [f"{name}=={version}" for name, version in needed_versions().items()]) + "\n",
                    encoding="utf-8")
    return path


def differences(locked: dict[str, str], installed: dict[str, str]) -> list[str]:
    """'name locked -> installed' for each locked package this environment has at another version. One it lacks
    is not needed on this platform (the lock is written on Linux), so it cannot change an output."""
    return [f"{name} {version} -> {installed[name]}"
            for name, version in locked.items() if name in installed and installed[name] != version]


def require_locked_versions() -> None:
    """Raise unless every locked package is installed at its locked version (``regenerate`` calls this)."""
    found = differences(read_lock(), installed_versions())
    if found:
        shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        raise CourseError(f"this environment differs from the lock ({LOCK_FILE}): {shown}, so the outputs would not be "
                          "the ones every other machine checks against. Fix: run `python3 -m course_utils test` once "
                          "(set-up installs the locked versions), or, to move the course to new versions on purpose, "
                          "`regenerate --unlocked` every notebook and then `python -m course_utils lock`.")
