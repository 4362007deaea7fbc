"""Checkers of notebook 02 (conda environments). Each computes the right answers itself, runs the learner's
answer on fresh inputs, and raises ``Wrong`` with a reason the learner can act on (see ``helpers``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .conda_cli import practice_problems
from .helpers import (Wrong, exercise, expect_callable, kind_of, plain_list, plain_text, shown)

# --------------------------------------------------------------------------- 02.fix_environment

#: conda-forge's names for PyTorch (pip's is `torch`; conda-forge has no package called `torch`).
CONDA_TORCH = {"pytorch", "pytorch-cpu", "pytorch-gpu"}
#: How conda-forge may be written in `channels:`.
CONDA_FORGE = {"conda-forge", "https://conda.anaconda.org/conda-forge", "http://conda.anaconda.org/conda-forge"}

FIX_ENVIRONMENT = exercise("02.fix_environment", hint="reread *Building an environment from a file*: which channels "
                           "(and which special entry) keep Anaconda's out, where pip itself must appear, and which names "
                           "torch has on conda-forge and on PyPI.")


def _name(entry: str, pip: bool) -> str | None:
    """The package name of a dependency line (conda's `conda-forge::numpy=1.26`, pip's `torch>=2.4`), lower-case."""
    if pip and entry.lstrip().startswith("-"):
        return None  # --index-url and other options of pip
    pattern = r"\s*([A-Za-z0-9_][A-Za-z0-9_.-]*)" if pip else r"\s*(?:[\w./-]+(?::[\w./-]+)*::)?([A-Za-z0-9_][A-Za-z0-9_.-]*)"
    match = re.match(pattern, entry[:300])
    return match.group(1).lower() if match else None


@FIX_ENVIRONMENT.run
def _(text: Any) -> dict:
    import yaml

    from ..envcheck import MAX_BYTES, check_environment_file

    text = plain_text(text, "fixed_environment", limit=MAX_BYTES)
    problems = [str(problem) for problem in check_environment_file(text)]
    summary: dict[str, Any] = {"problems": [shown(p, 300)[1:-1] for p in problems[:2]], "count": len(problems),
                               "channels": None, "conda": [], "pip": []}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return summary
    if not isinstance(data, dict):
        return summary
    channels = data.get("channels")
    if isinstance(channels, list):
        summary["channels"] = [str(channel).strip()[:200] for channel in channels[:50]]
    for item in data.get("dependencies") or []:
        if isinstance(item, dict):
            summary["pip"] += [name for entry in (item.get("pip") or []) if (name := _name(str(entry), pip=True))]
        elif (name := _name(str(item), pip=False)) is not None:
            summary["conda"].append(name)
            if "::" in str(item)[:300]:  # `channel::package` pins one package to a channel
                summary.setdefault("pinned", []).append(str(item).split("::")[0].strip()[:200])
    return summary


@FIX_ENVIRONMENT.judge
def _(got: dict, wanted: None) -> None:
    if got["count"]:
        raise Wrong(f"{got['count']} problem(s) left, the first: {got['problems'][0]}.")
    channels = got["channels"]
    if not channels:
        raise Wrong("the file has no `channels:` list, so conda would search your own configuration's channels (on "
                    "Miniconda, Anaconda's `defaults`): list conda-forge, then nodefaults.")
    normal = [channel.rstrip("/").lower() for channel in channels]
    pinned = got.get("pinned", [])
    for channel, written in zip(normal + [c.rstrip("/").lower() for c in pinned], channels + pinned):
        if channel in CONDA_FORGE or channel == "nodefaults":
            continue
        if channel == "pytorch" or channel.endswith("/pytorch"):
            raise Wrong(f"the channel {shown(written, 40)} stopped at PyTorch 2.5; conda-forge has `pytorch`: keep "
                        "conda-forge only.")
        raise Wrong(f"the channel {shown(written, 40)} is not conda-forge: the task is conda-forge only (Anaconda's "
                    "channels, such as defaults, anaconda or repo.anaconda.com, fall under Anaconda's terms).")
    if not any(channel in CONDA_FORGE for channel in normal):
        raise Wrong("conda-forge is missing from `channels:`.")
    if "nodefaults" not in normal:
        raise Wrong("add `- nodefaults` to the channels: without it conda also searches the channels of your own "
                    "configuration (on Miniconda, Anaconda's `defaults`).")
    conda, pip = set(got["conda"]), set(got["pip"])
    if "torch" in conda:
        raise Wrong("conda-forge has no package called `torch`: there it is `pytorch` (pip's name is torch).")
    if "pytorch" in pip:
        raise Wrong("on PyPI the package is `torch` (`pytorch` there is a placeholder that refuses to install).")
    for needed in ("python", "numpy", "transformers"):
        if needed not in conda | pip:
            raise Wrong(f"`{needed}` is no longer in the file; fix the problems without dropping packages.")
    sources = [source for source, names in (("conda", conda & CONDA_TORCH), ("pip", pip & {"torch"})) if names]
    if not sources:
        raise Wrong("torch is no longer in the file; keep it, from one source.")
    if len(sources) > 1:
        raise Wrong("torch comes from both conda and pip: keep one source.")


# --------------------------------------------------------------------------- 02.describe

DESCRIBE = exercise("02.describe", hint="the code you hand to the other interpreter must ask *that* interpreter about "
                    "itself: reread *Which environment am I in?* for the tests a venv and a conda environment pass.")


def _looks_like_conda(folder: Path, conda_itself: bool) -> Path:
    """A Python that, from inside, looks like a conda environment (`conda_itself`: like conda's base): a venv
    whose start-up makes sys.prefix and sys.base_prefix its own folder, which holds conda-meta/. Built the
    same way on Windows, macOS and Linux (a venv and a .pth file)."""
    import os
    import subprocess
    import venv

    from ..envs import venv_python

    venv.create(folder, with_pip=False, symlinks=os.name != "nt")
    python = venv_python(folder)
    done = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, timeout=60, check=True)
    site = Path(done.stdout.strip())
    site.mkdir(parents=True, exist_ok=True)
    (site / "zz_course_conda_like.pth").write_text(
        f"import sys; sys.prefix = sys.exec_prefix = sys.base_prefix = sys.base_exec_prefix = {str(folder)!r}\n",
        encoding="utf-8")
    (folder / "conda-meta").mkdir()
    (folder / "conda-meta" / "history").write_text("", encoding="utf-8")
    if conda_itself:
        (folder / "conda-meta" / "conda-26.1.0-py313h0000000_0.json").write_text("{}", encoding="utf-8")
    return python


@DESCRIBE.reference
def _() -> dict:
    """What each case must answer, by the tests notebook 02 teaches (``envs.in_an_environment``)."""
    import sys
    import tempfile

    from ..envs import in_an_environment

    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        (base / "conda-meta").mkdir()
        (base / "conda-meta" / "conda-26.1.0-py313h0000000_0.json").write_text("{}", encoding="utf-8")
        conda_base = in_an_environment(str(base), str(base))
    return {"a fresh venv": True, "this notebook's Python": in_an_environment(sys.prefix, sys.base_prefix),
            "a conda environment": True, "conda's base environment": conda_base}


@DESCRIBE.run
def _(describe: Any) -> list[dict]:
    import sys
    import tempfile
    import venv

    from ..envs import venv_python

    expect_callable(describe, "describe")
    results = []
    with tempfile.TemporaryDirectory() as folder:
        env = Path(folder) / "probe-env"
        venv.create(env, with_pip=False)
        cases = [("a fresh venv", venv_python(env), env),
                 ("this notebook's Python", Path(sys.executable), Path(sys.prefix)),
                 ("a conda environment", _looks_like_conda(Path(folder) / "conda-env", False), Path(folder) / "conda-env"),
                 ("conda's base environment", _looks_like_conda(Path(folder) / "base", True), Path(folder) / "base")]
        for what, python, prefix in cases:
            got = describe(python)
            if not isinstance(got, (tuple, list)):
                raise Wrong(f"describe() for {what} should return a tuple (prefix, is_environment), but it is {kind_of(got)}.")
            got = plain_list(got, "describe()", limit=10)
            if len(got) != 2:
                raise Wrong(f"describe() should return two things (prefix, is_environment), not {len(got)}.")
            if not isinstance(got[0], (str, Path)):
                raise Wrong(f"the prefix should be a str, but it is {kind_of(got[0])}.")
            flag = got[1]
            try:
                same = Path(str(got[0])).resolve() == prefix.resolve()
            except (OSError, ValueError):
                same = False
            results.append({"what": what, "same_prefix": same, "flag": flag if isinstance(flag, bool) else None,
                            "flag_kind": ("a NumPy bool" if type(flag).__module__ == "numpy" else kind_of(flag))})
    return results


@DESCRIBE.judge
def _(got: list[dict], wanted: dict) -> None:
    for case in got:
        what = case["what"]
        if not case["same_prefix"]:
            raise Wrong(f"for {what}, the prefix is not the interpreter's sys.prefix (run the given python, not this one).")
        if case["flag"] is None:
            raise Wrong(f"is_environment should be a plain bool (True or False), not {case['flag_kind']}: use bool(...).")
        if case["flag"] is not wanted[what]:
            extra = {("a conda environment", True): " A conda environment has sys.prefix == sys.base_prefix: test for "
                                                    "its conda-meta folder too.",
                     ("conda's base environment", False): " conda's base has a conda-meta folder too, but it holds conda "
                                                          "itself (a conda-<version>...json record there): it does not count."}
            raise Wrong(f"for {what}, is_environment should be {wanted[what]}.{extra.get((what, wanted[what]), '')}")


# --------------------------------------------------------------------------- 02.conda_practice

CONDA_PRACTICE = exercise("02.conda_practice", hint="four lists, one per step: create (with the Python series and "
                          "numpy), install, export (what you asked for, into a file of that name: reread the export "
                          "line of the table, flag by flag), remove; each names the environment and answers conda's "
                          "questions in advance.")
PRACTICE_NAMES = ("practice", "my-first-env")


@CONDA_PRACTICE.run
def _(conda_practice: Any) -> list:
    expect_callable(conda_practice, "conda_practice")
    answers = []
    for name in PRACTICE_NAMES:
        commands = conda_practice(name)
        if not isinstance(commands, (list, tuple)):
            answers.append(plain_text(commands, "conda_practice(name)", 200) if isinstance(commands, str) else None)
            continue
        plain = []
        for command in plain_list(commands, f"conda_practice({name!r})", limit=20):
            if isinstance(command, str):
                plain.append(plain_text(command, "a command", 300))
            elif isinstance(command, (list, tuple)):
                plain.append([plain_text(part, "a part of a command", 300) if isinstance(part, str) else None
                              for part in plain_list(command, "a command", limit=60)])
            else:
                plain.append(None)
        answers.append(plain)
    return answers


@CONDA_PRACTICE.judge
def _(got: list, wanted: None) -> None:
    for name, commands in zip(PRACTICE_NAMES, got):
        problems = practice_problems(commands, name)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise Wrong(f"for name={name!r}: {problems[0]}{more}.")
