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
    assert "problem" in check("02.fix_environment", GOOD_ENV.replace("numpy=1.26", "numpy==1.26"), quiet=True).message
    dropped = check("02.fix_environment", GOOD_ENV.replace("      - transformers\n", ""), quiet=True)
    assert not dropped and "transformers" in dropped.message
    assert not check("02.fix_environment", 42, quiet=True)


def test_describe_checker():
    def describe(python):
        code = "import sys; print(sys.prefix); print(sys.prefix != sys.base_prefix)"
        prefix, flag = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
        return prefix, flag == "True"

    assert check("02.describe", describe, quiet=True)
    lazy = check("02.describe", lambda python: (sys.prefix, True), quiet=True)
    assert not lazy and "sys.prefix" in lazy.message
    assert not check("02.describe", "not a function", quiet=True)
