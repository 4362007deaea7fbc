"""course_utils.envs: conda where it exists, one clean line where it does not, venv helpers;
and the checkers of notebook 02."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from course_utils import check, envs
from course_utils.checkers.conda_cli import practice_problems


def _script(tmp_path: Path, body: str) -> Path:
    exe = tmp_path / "bin" / "conda"
    exe.parent.mkdir(parents=True, exist_ok=True)
    exe.write_text("#!/bin/sh\n" + body)
    exe.chmod(0o755)
    return exe


def test_without_conda_one_line_and_none(monkeypatch, capsys):
    monkeypatch.delenv("CONDA_EXE", raising=False)
    monkeypatch.setenv("PATH", "")
    assert envs.conda("env", "list") is None
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "`conda env list`" in out and "not found" in out


@pytest.mark.skipif(os.name == "nt", reason="the fake conda is a shell script")
def test_with_conda_runs_and_prints(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CONDA_EXE", str(_script(tmp_path, 'echo "conda 25.9.1 args: $*"\n')))
    assert envs.conda("--version") == "conda 25.9.1 args: --version"
    assert "conda 25.9.1" in capsys.readouterr().out


@pytest.mark.skipif(os.name == "nt", reason="the fake conda is a shell script")
def test_failing_conda_shows_its_message_and_status(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CONDA_EXE", str(_script(tmp_path, 'echo "EnvironmentLocationNotFound: Not a conda environment" >&2; exit 1\n')))
    envs.conda("list", "-n", "missing")
    out = capsys.readouterr().out
    assert "EnvironmentLocationNotFound" in out and "exit status 1" in out and "Traceback" not in out


@pytest.mark.skipif(os.name == "nt", reason="the fake conda is a shell script")
def test_hanging_conda_is_stopped(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CONDA_EXE", str(_script(tmp_path, "sleep 30\n")))
    assert envs.conda("install", "numpy", timeout=0.5) is None
    assert "was stopped" in capsys.readouterr().out


def test_venv_python_runs_in_its_own_prefix(tmp_path):
    venv.create(tmp_path / "probe", with_pip=False)
    python = envs.venv_python(tmp_path / "probe")
    done = envs.run_in(python, "import sys; print(sys.prefix != sys.base_prefix)")
    assert done.stdout.strip() == "True"


def test_last_line_is_the_error():
    done = envs.run_in(sys.executable, "import module_that_does_not_exist")
    assert envs.last_line(done.stderr) == "ModuleNotFoundError: No module named 'module_that_does_not_exist'"
    assert envs.last_line("") == ""


GOOD_ENV = """name: sentiment
channels: [conda-forge, nodefaults]
dependencies:
  - python=3.11
  - numpy=1.26
  - pip
  - pip:
      - torch>=2.4
      - transformers
"""


def test_fix_environment_checker():
    assert check("02.fix_environment", GOOD_ENV, quiet=True)
    assert check("02.fix_environment", GOOD_ENV.replace("numpy=1.26", "numpy==1.26.4"), quiet=True)  # conda's exact pin
    assert "problem" in check("02.fix_environment", GOOD_ENV.replace("name: sentiment", "name: my env"), quiet=True).message
    dropped = check("02.fix_environment", GOOD_ENV.replace("      - transformers\n", ""), quiet=True)
    assert not dropped and "transformers" in dropped.message
    assert not check("02.fix_environment", 42, quiet=True)


def _describe_with(test: str):
    """describe() as notebook 02's solution writes it, with `test` deciding is_environment."""
    def describe(python):
        code = f"import sys; from pathlib import Path; meta = Path(sys.prefix) / 'conda-meta'; print(sys.prefix); print({test})"
        prefix, flag = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
        return prefix, flag == "True"
    return describe


def test_describe_checker():
    solution = "sys.prefix != sys.base_prefix or (meta.is_dir() and not any(meta.glob('conda-[0-9]*.json')))"
    assert check("02.describe", _describe_with(solution), quiet=True)
    counts_base = check("02.describe", _describe_with("sys.prefix != sys.base_prefix or meta.is_dir()"), quiet=True)
    assert not counts_base and "base" in counts_base.message
    lazy = check("02.describe", lambda python: (sys.prefix, True), quiet=True)
    assert not lazy and "sys.prefix" in lazy.message
    assert not check("02.describe", "not a function", quiet=True)


# --------------------------------------------------------------------------- the conda practice (02)

RIGHT = [["conda", "create", "-n", "{n}", "python=3.12", "numpy", "-y"], ["conda", "install", "-n", "{n}", "requests", "-y"],
         ["conda", "env", "export", "-n", "{n}", "--from-history", "--format", "environment-yaml", "--file", "{n}.yml"],
         ["conda", "env", "remove", "-n", "{n}", "-y"]]


def _commands(name: str, template=RIGHT) -> list[list[str]]:
    return [[part.format(n=name) for part in command] for command in template]


def test_practice_commands_right_and_wrong():
    assert practice_problems(_commands("demo"), "demo") == []
    newer = _commands("demo")
    newer[2] = ["conda", "export", "--name", "demo", "--from-history", "--format=yaml", "-f", "demo.yml"]
    newer[3] = ["conda", "remove", "-n", "demo", "--all", "--yes"]
    assert practice_problems(newer, "demo") == []
    cases = {
        "`conda activate` changes your shell": [["conda", "activate", "demo"], *_commands("demo")],
        "one `=`": [[p.replace("python=3.12", "python==3.11") for p in c] for c in _commands("demo")],
        "add -y to `conda create`": [[p for p in c if p != "-y"] if c[1] == "create" else c for c in _commands("demo")],
        "--from-history": [[p for p in c if p != "--from-history"] for c in _commands("demo")],
        "`>` needs a shell": [c if c[1] != "env" or c[2] != "export" else c[:-2] + [">", "demo.yml"] for c in _commands("demo")],
        # conda 26 refuses a file name other than environment.yml without --format (conda 25 took it)
        "--format environment-yaml": [[p for p in c if p not in ("--format", "environment-yaml")] for c in _commands("demo")],
        "-n demo": [[p.replace("demo", "other") if c[1] == "install" else p for p in c] for c in _commands("demo")],
        "four conda commands": _commands("demo")[:3],
        "list of commands": "conda create -n demo",
    }
    for words, commands in cases.items():
        problems = practice_problems(commands, "demo")
        assert problems and any(words in problem for problem in problems), (words, problems)


def test_practice_checker_takes_a_function_of_the_name():
    assert check("02.conda_practice", lambda name: _commands(name), quiet=True)
    verdict = check("02.conda_practice", lambda name: _commands("practice"), quiet=True)
    assert not verdict and "my-first-env" in verdict.message


def test_practice_without_conda_checks_but_does_not_run(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("CONDA_EXE", raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("PATH", "")
    assert envs.run_practice(_commands("demo"), "demo", tmp_path) is None
    out = capsys.readouterr().out
    assert "checked by the exercise, not run" in out and "new terminal" in out


FAKE_CONDA = r'''#!/usr/bin/env python3
"""A stand-in for conda (none exists where the suite runs): it answers the commands notebook 02 runs
(--version, env list, list --revisions, config --show / --show-sources) in conda's own format, and keeps
the practice's environments in state.json. Like conda 26, `export --file NAME` wants --format unless NAME
is a standard file name. Every call is appended to calls.log, one JSON list per line."""
import json, sys
from pathlib import Path
here = Path(__file__).parent
args = sys.argv[1:]
with open(here / "calls.log", "a") as log:
    log.write(json.dumps(args) + "\n")
state = here / "state.json"
envs = json.loads(state.read_text()) if state.exists() else {}


def value(*names):
    for name in names:
        if name in args[:-1]:
            return args[args.index(name) + 1]
        for part in args:
            if part.startswith(name + "="):
                return part.split("=", 1)[1]
    return None


name = value("-n", "--name")
if args == ["--version"]:
    print("conda 26.1.0")
elif args[:2] == ["env", "list"]:
    if "--json" in args:
        print(json.dumps({"envs": ["/fake/miniforge3"] + ["/fake/miniforge3/envs/" + n for n in envs]}))
    else:
        print("# conda environments:\n#\nbase                 *  /fake/miniforge3")
        for n in envs:
            print(n.ljust(23) + "/fake/miniforge3/envs/" + n)
elif args[:2] == ["list", "--revisions"]:
    print("2026-01-05 10:00:00  (rev 0)\n    +python-3.12.8 (conda-forge/linux-64)")
elif args[:2] == ["config", "--show-sources"]:
    print("==> /fake/miniforge3/.condarc <==\nchannels:\n  - conda-forge")
elif args[:2] == ["config", "--show"]:
    print("channel_priority: flexible\nchannels:\n  - conda-forge\nsolver: libmamba")
elif args[0] == "create":
    envs[name] = [a for a in args[1:] if not a.startswith("-") and a != name]
elif args[0] == "install":
    envs[name] += [a for a in args[1:] if not a.startswith("-") and a != name]
elif args[0] == "run":
    have = {a.split("=")[0] for a in envs.get(name, [])}
    print("True" if {"numpy", "requests"} <= have and "python=3.12" in envs[name] else "False")
elif "export" in args[:2]:
    target = value("-f", "--file")
    if target not in ("environment.yml", "environment.yaml") and value("--format") is None:
        sys.exit("CondaValueError: Custom filenames require --format")
    Path(target).write_text("name: %s\ndependencies:\n" % name + "".join("  - %s\n" % a for a in envs[name]))
elif args[:2] == ["env", "remove"] or (args[0] == "remove" and "--all" in args):
    envs.pop(name)
else:
    sys.exit("CommandNotFoundError: the stand-in conda does not know %r" % " ".join(args))
state.write_text(json.dumps(envs))
'''


def write_fake_conda(folder: Path) -> Path:
    """FAKE_CONDA as `folder/conda`, run by this Python; its calls are logged in `folder/calls.log`."""
    folder.mkdir(parents=True, exist_ok=True)
    exe = folder / "conda"
    exe.write_text(FAKE_CONDA.replace("/usr/bin/env python3", sys.executable))
    exe.chmod(0o755)
    return exe


def fake_conda_calls(folder: Path) -> list[list[str]]:
    """The argument lists the stand-in in `folder` was called with, in order."""
    log = folder / "calls.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.mark.skipif(os.name == "nt", reason="the fake conda is a script with a #! line")
def test_practice_runs_and_checks_each_step_where_conda_exists(tmp_path, monkeypatch, capsys):
    """Not a real conda (none exists where the suite runs): a stand-in that keeps state, so the order of the
    steps, the checks between them and the clean-up are tested; the real conda path runs on learners' machines."""
    exe = write_fake_conda(tmp_path / "bin")
    monkeypatch.setenv("CONDA_EXE", str(exe))
    monkeypatch.delenv("CI", raising=False)
    assert envs.run_practice(_commands("demo"), "demo", tmp_path) is True
    out = capsys.readouterr().out
    assert "imports numpy and requests: True" in out and "demo.yml lists python, numpy and requests: True" in out
    assert "environment demo is gone: True" in out
    forgot = _commands("demo")
    forgot[1] = ["conda", "install", "-n", "demo", "scipy", "-y"]
    assert envs.run_practice(forgot, "demo", tmp_path) is False
    assert "not run: the commands need fixing first" in capsys.readouterr().out
    (tmp_path / "bin" / "state.json").unlink()
    fails_inside = _commands("demo")  # right commands, but this conda's Python lacks requests: run, checked, cleaned up
    exe.write_text(exe.read_text().replace('"requests"}', '"requests", "never"}'))
    assert envs.run_practice(fails_inside, "demo", tmp_path) is False
    out = capsys.readouterr().out
    assert "imports numpy and requests: False" in out and "environment demo is gone: True" in out


@pytest.mark.skipif(os.name == "nt", reason="the fake conda is a script with a #! line")
def test_the_stand_in_refuses_an_export_without_format_as_conda_26_does(tmp_path):
    """What the practice's --format guards against: conda 26 refuses `--file demo.yml` without it."""
    exe = write_fake_conda(tmp_path / "bin")
    subprocess.run([str(exe), "create", "-n", "demo", "python=3.12", "-y"], check=True, cwd=tmp_path)
    old = subprocess.run([str(exe), "env", "export", "-n", "demo", "--from-history", "--file", "demo.yml"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert old.returncode != 0 and "require --format" in old.stderr
    done = subprocess.run([str(exe), *_commands("demo")[2][1:]], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0 and "python=3.12" in (tmp_path / "demo.yml").read_text()


@pytest.mark.skipif(os.name == "nt", reason="the fake conda is a script with a #! line")
def test_practice_runs_nothing_in_a_test_run(tmp_path, monkeypatch, capsys):
    """Under the test harness (CI=true) the practice never creates an environment, with conda or without,
    and says so in the same words either way (so notebook 02's output does not depend on conda)."""
    monkeypatch.setenv("CI", "true")
    said = []
    for conda_on_path in (False, True):
        if conda_on_path:
            monkeypatch.setenv("CONDA_EXE", str(write_fake_conda(tmp_path / "bin")))
        else:
            monkeypatch.delenv("CONDA_EXE", raising=False)
            monkeypatch.setenv("PATH", "")
        assert envs.run_practice(_commands("demo"), "demo", tmp_path) is None
        said.append(capsys.readouterr().out)
    assert said[0] == said[1] and "CI is set" in said[0]
    assert fake_conda_calls(tmp_path / "bin") == []


@pytest.mark.skipif(os.name == "nt", reason="the fake conda is a script with a #! line")
def test_practice_names_the_fix_when_anaconda_terms_are_not_accepted(tmp_path, monkeypatch, capsys):
    exe = write_fake_conda(tmp_path / "bin")
    refuses = 'if args[0] == "create":\n    sys.exit("CondaToSNonInteractiveError: Terms of Service have not been accepted")\nelif args == ["--version"]:'
    exe.write_text(exe.read_text().replace('if args == ["--version"]:', refuses))
    monkeypatch.setenv("CONDA_EXE", str(exe))
    monkeypatch.delenv("CI", raising=False)
    assert envs.run_practice(_commands("demo"), "demo", tmp_path) is False
    out = capsys.readouterr().out
    assert "CondaToSNonInteractiveError" in out and "conda tos accept" in out and "Miniforge" in out


# --------------------------------------------------------------------------- environments and base (00, 02)

def _conda_prefix(folder: Path, *records: str) -> Path:
    """A folder laid out as a conda environment: conda-meta/ with these package records."""
    (folder / "conda-meta").mkdir(parents=True)
    for record in records:
        (folder / "conda-meta" / record).write_text("{}")
    return folder


def test_conda_base_is_not_an_environment_to_work_in(tmp_path):
    base = _conda_prefix(tmp_path / "miniforge3", "conda-26.1.0-py313h8f79df9_0.json", "python-3.13.1-h9ebbce0_0.json",
                         "conda-libmamba-solver-25.11.0-pyhd8ed1ab_0.json")
    env = _conda_prefix(tmp_path / "miniforge3" / "envs" / "course", "python-3.12.8-h9e4cc4f_1.json",
                        "conda-package-handling-2.4.0-pyh7900ff3_2.json")  # conda's helpers alone do not make a base
    plain = tmp_path / "usr"
    plain.mkdir()
    assert envs.is_conda_base(base) and not envs.is_conda_base(env) and not envs.is_conda_base(plain)
    assert envs.in_an_environment(str(env), str(env)), "a conda environment: same prefixes, conda-meta/"
    assert not envs.in_an_environment(str(base), str(base)), "conda's base: conda-meta/ holds conda itself"
    assert not envs.in_an_environment(str(plain), str(plain)), "a system Python"
    assert envs.in_an_environment(str(tmp_path / "venv"), str(base)), "a venv made from base's Python"


def test_no_conda_tells_a_learner_who_just_installed_it_once(monkeypatch, capsys):
    monkeypatch.delenv("CONDA_EXE", raising=False)
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(envs, "_told_just_installed", False)
    envs.conda("--version")
    envs.conda("env", "list")
    first, second = capsys.readouterr().out.splitlines()
    assert "not found on this kernel's PATH" in first and "new terminal" in first
    assert "not found on this kernel's PATH" in second and "new terminal" not in second


def test_last_line_drops_terminal_colours():
    coloured = "Traceback (most recent call last):\n  ...\n\x1b[1;35mModuleNotFoundError\x1b[0m: \x1b[35mNo module named 'x'\x1b[0m\n"
    assert envs.last_line(coloured) == "ModuleNotFoundError: No module named 'x'"


PYTHON_313 = Path("/root/.pyenv/versions/3.13.0/bin/python3.13")


@pytest.mark.skipif(not PYTHON_313.exists(), reason="needs a Python 3.13 (pyenv's), which colours tracebacks")
def test_run_in_gets_no_colours_from_python_313_in_a_kernel(monkeypatch):
    """A Jupyter kernel sets FORCE_COLOR=1 (ipykernel does), and Python 3.13 then colours a traceback even
    into a pipe: 02's "No module named" line came back with escape codes under Python 3.13."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = subprocess.run([str(PYTHON_313), "-c", "import module_that_does_not_exist"], capture_output=True, text=True)
    assert "\x1b[" in coloured.stderr, "Python 3.13 no longer colours under FORCE_COLOR: this test shows nothing"
    done = envs.run_in(PYTHON_313, "import module_that_does_not_exist")
    assert "\x1b[" not in done.stderr
    assert envs.last_line(done.stderr) == "ModuleNotFoundError: No module named 'module_that_does_not_exist'"


# --------------------------------------------------------------------------- environment.yml without a checkout (02)

ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_environment_file_is_the_repositorys():
    """Notebook 02 shows environment.yml from inside course_utils, so that it works where the course is
    pip-installed (Colab, no checkout). The copy must be the repository's file."""
    assert envs.course_environment_text() == (ROOT / "environment.yml").read_text(encoding="utf-8"), \
        "course_utils/data/environment.yml differs from environment.yml. Fix: cp environment.yml course_utils/data/"


def test_the_environment_file_is_package_data():
    """pyproject's package-data puts it into the wheel (a pattern that misses it would fail only on Colab)."""
    from fnmatch import fnmatch

    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["course_utils"]
    assert any(fnmatch("data/environment.yml", pattern) for pattern in patterns), patterns


@pytest.mark.full
def test_the_wheel_carries_the_environment_file(tmp_path):
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(tmp_path), str(ROOT)], check=True, timeout=300)
    wheel = next(tmp_path.glob("course_utils-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        shipped = archive.read("course_utils/data/environment.yml").decode("utf-8")
    assert shipped == (ROOT / "environment.yml").read_text(encoding="utf-8")
