"""course_utils.envs: conda where it exists, one clean line where it does not, venv helpers;
and the checkers of notebook 02."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from course_utils import check, envs


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
    assert out.count("\n") == 1 and "`conda env list`" in out and "not installed" in out


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


def test_describe_checker():
    def describe(python):
        code = ("import sys; from pathlib import Path; print(sys.prefix); "
                "print(sys.prefix != sys.base_prefix or (Path(sys.prefix) / 'conda-meta').is_dir())")
        prefix, flag = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
        return prefix, flag == "True"

    assert check("02.describe", describe, quiet=True)
    lazy = check("02.describe", lambda python: (sys.prefix, True), quiet=True)
    assert not lazy and "sys.prefix" in lazy.message
    assert not check("02.describe", "not a function", quiet=True)


# --------------------------------------------------------------------------- the conda practice (02)

RIGHT = [["conda", "create", "-n", "{n}", "python=3.12", "numpy", "-y"], ["conda", "install", "-n", "{n}", "requests", "-y"],
         ["conda", "env", "export", "-n", "{n}", "--from-history", "--file", "{n}.yml"], ["conda", "env", "remove", "-n", "{n}", "-y"]]


def _commands(name: str, template=RIGHT) -> list[list[str]]:
    return [[part.format(n=name) for part in command] for command in template]


def test_practice_commands_right_and_wrong():
    assert envs.practice_problems(_commands("demo"), "demo") == []
    newer = _commands("demo")
    newer[2] = ["conda", "export", "--name", "demo", "--from-history", "-f", "demo.yml"]
    newer[3] = ["conda", "remove", "-n", "demo", "--all", "--yes"]
    assert envs.practice_problems(newer, "demo") == []
    cases = {
        "`conda activate` changes your shell": [["conda", "activate", "demo"], *_commands("demo")],
        "one `=`": [[p.replace("python=3.12", "python==3.11") for p in c] for c in _commands("demo")],
        "add -y to `conda create`": [[p for p in c if p != "-y"] if c[1] == "create" else c for c in _commands("demo")],
        "--from-history": [[p for p in c if p != "--from-history"] for c in _commands("demo")],
        "`>` needs a shell": [c if c[1] != "env" or c[2] != "export" else c[:-2] + [">", "demo.yml"] for c in _commands("demo")],
        "-n demo": [[p.replace("demo", "other") if c[1] == "install" else p for p in c] for c in _commands("demo")],
        "four conda commands": _commands("demo")[:3],
        "list of commands": "conda create -n demo",
    }
    for words, commands in cases.items():
        problems = envs.practice_problems(commands, "demo")
        assert problems and any(words in problem for problem in problems), (words, problems)


def test_practice_checker_takes_a_function_of_the_name():
    assert check("02.conda_practice", lambda name: _commands(name), quiet=True)
    verdict = check("02.conda_practice", lambda name: _commands("practice"), quiet=True)
    assert not verdict and "my-first-env" in verdict.message


def test_practice_without_conda_checks_but_does_not_run(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("CONDA_EXE", raising=False)
    monkeypatch.setenv("PATH", "")
    assert envs.run_practice(_commands("demo"), "demo", tmp_path) is None
    assert "checked by the exercise, not run" in capsys.readouterr().out


FAKE_CONDA = r'''#!/usr/bin/env python3
"""A stand-in for conda that keeps its environments in state.json: enough to test run_practice's plumbing."""
import json, sys
from pathlib import Path
state = Path(__file__).with_name("state.json")
envs = json.loads(state.read_text()) if state.exists() else {}
args = sys.argv[1:]
name = args[args.index("-n") + 1] if "-n" in args else (args[args.index("--name") + 1] if "--name" in args else None)
if args[0] == "create":
    envs[name] = [a for a in args[3:] if not a.startswith("-")]
elif args[0] == "install":
    envs[name] += [a for a in args[3:] if not a.startswith("-")]
elif args[0] == "run":
    have = {a.split("=")[0] for a in envs.get(name, [])}
    print("True" if {"numpy", "requests"} <= have and "python=3.12" in envs[name] else "False")
elif args[:2] == ["env", "export"]:
    Path(args[args.index("--file") + 1]).write_text("name: %s\ndependencies:\n" % name + "".join("  - %s\n" % a for a in envs[name]))
elif args[:2] == ["env", "remove"]:
    envs.pop(name)
elif args[:2] == ["env", "list"]:
    print(json.dumps({"envs": ["/fake/envs/" + n for n in envs]}))
state.write_text(json.dumps(envs))
'''


@pytest.mark.skipif(os.name == "nt", reason="the fake conda is a script with a #! line")
def test_practice_runs_and_checks_each_step_where_conda_exists(tmp_path, monkeypatch, capsys):
    """Not a real conda (none exists where the suite runs): a stand-in that keeps state, so the order of the
    steps, the checks between them and the clean-up are tested; the real conda path runs on learners' machines."""
    exe = tmp_path / "bin" / "conda"
    exe.parent.mkdir()
    exe.write_text(FAKE_CONDA.replace("/usr/bin/env python3", sys.executable))
    exe.chmod(0o755)
    monkeypatch.setenv("CONDA_EXE", str(exe))
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
    exe.write_text(FAKE_CONDA.replace("/usr/bin/env python3", sys.executable).replace('"requests"}', '"requests", "never"}'))
    assert envs.run_practice(fails_inside, "demo", tmp_path) is False
    out = capsys.readouterr().out
    assert "imports numpy and requests: False" in out and "environment demo is gone: True" in out
