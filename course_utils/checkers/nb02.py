"""Checkers of notebook 02 (conda environments): each recomputes the right answer, or tries the learner's
function on cases, and raises ``Wrong`` with a reason the learner can act on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .helpers import (Wrong, exercise, expect_callable, expect_type)


@exercise("02.fix_environment", hint="a `name:`, conda-forge then nodefaults (no `defaults`), `- pip` before `- pip:`, "
          "and torch from one source only.")
def _fix_environment(text: Any) -> None:
    import yaml

    from ..envcheck import TORCH_NAMES, _spec_parts, check_environment_file

    expect_type(text, str, "fixed_environment")
    problems = check_environment_file(text)
    if problems:
        raise Wrong(f"{len(problems)} problem(s) left, the first: {problems[0]}.")
    names: set[str] = set()
    for item in yaml.safe_load(text).get("dependencies") or []:
        entries = (item.get("pip") or []) if isinstance(item, dict) else [item]  # conda lines and the pip section
        names |= {_spec_parts(str(entry))[0].lower() for entry in entries}
    for needed in ("python", "numpy", "transformers"):
        if needed not in names:
            raise Wrong(f"`{needed}` is no longer in the file; fix the problems without dropping packages.")
    if not names & TORCH_NAMES:
        raise Wrong("torch is no longer in the file; keep it, from one source.")


@exercise("02.conda_practice", hint="four lists: conda create (python=3.12 and numpy), conda install, conda env export "
          "(--from-history, --file), conda env remove; -n NAME in each, and -y wherever conda would ask.")
def _conda_practice(conda_practice: Any) -> None:
    from ..envs import practice_problems

    expect_callable(conda_practice, "conda_practice")
    for name in ("practice", "my-first-env"):
        problems = practice_problems(conda_practice(name), name)
        if problems:
            raise Wrong(f"for name={name!r}: {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "") + ".")


def _conda_like_python(prefix: Path) -> Path | None:
    """A Python whose sys.prefix is `prefix` and equals its sys.base_prefix, with a conda-meta/ folder: how a
    conda environment looks from inside. Made from this Python's own binary and standard library (POSIX
    only); None where that layout does not work, and the check then tries the other cases only."""
    import os
    import shutil
    import subprocess
    import sys
    import sysconfig
    from pathlib import Path

    if os.name == "nt" or sys.platform == "darwin":
        return None
    try:
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        python = prefix / "bin" / "python"
        python.parent.mkdir(parents=True)
        (prefix / "lib").mkdir()
        (prefix / "lib" / stdlib.name).symlink_to(stdlib, target_is_directory=True)
        (prefix / "conda-meta").mkdir()
        shutil.copy2(os.path.realpath(sys.executable), python)
        done = subprocess.run([str(python), "-c", "import sys; print(sys.prefix == sys.base_prefix, sys.prefix)"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return python if done.stdout.strip() == f"True {prefix}" else None


@exercise("02.describe", hint="run [python, '-c', CODE] with subprocess, where CODE prints sys.prefix and whether "
          "sys.prefix != sys.base_prefix or (Path(sys.prefix) / 'conda-meta').is_dir().")
def _describe(describe: Any) -> None:
    import sys
    import tempfile
    import venv
    from pathlib import Path

    from ..envs import in_an_environment, venv_python

    expect_callable(describe, "describe")
    with tempfile.TemporaryDirectory() as folder:
        env = Path(folder) / "probe-env"
        venv.create(env, with_pip=False)
        cases = [(venv_python(env), str(env), True, "a fresh venv"),
                 (Path(sys.executable), sys.prefix, in_an_environment(sys.prefix, sys.base_prefix), "this notebook's Python")]
        conda_like = _conda_like_python(Path(folder) / "conda-env")
        if conda_like is not None:
            cases.append((conda_like, str(conda_like.parent.parent), True, "a conda environment"))
        for python, prefix, wanted, what in cases:
            got = describe(python)
            expect_type(got, tuple, f"describe() for {what}")
            if len(got) != 2:
                raise Wrong(f"describe() should return two things (prefix, is_environment), not {len(got)}.")
            if prefix is not None and Path(str(got[0])).resolve() != Path(prefix).resolve():
                raise Wrong(f"for {what}, the prefix is not the interpreter's sys.prefix (run the given python, not this one).")
            if not isinstance(got[1], bool):
                raise Wrong(f"is_environment should be a bool (True or False), not {type(got[1]).__name__}.")
            if got[1] is not wanted:
                extra = " A conda environment has sys.prefix == sys.base_prefix: test for its conda-meta folder too." \
                    if wanted and what != "a fresh venv" else ""
                raise Wrong(f"for {what}, is_environment should be {wanted}.{extra}")
