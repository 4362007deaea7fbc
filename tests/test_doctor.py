"""The doctor: one line per check, the fix on every line that is not OK, exit 1 on FAIL."""

from __future__ import annotations

import subprocess
import sys

import pytest

from course_utils import doctor


def test_missing_package_fails_with_the_install_command():
    check = doctor.check_package("surely-not-an-installed-package", ">=1.0")
    assert check.status == "FAIL"
    assert 'python -m pip install "surely-not-an-installed-package>=1.0"' in check.line()


def test_version_outside_the_range_fails():
    check = doctor.check_package("pytest", "<1")
    assert check.status == "FAIL" and "outside the course's range <1" in check.line()


def test_wrong_python_fails():
    check = doctor.check_python((3, 9, 18))
    assert check.status == "FAIL" and "3.9.18" in check.line() and "fix:" in check.line()
    assert doctor.check_python((3, 12, 1)).status == "OK"


def test_ok_lines_carry_no_fix():
    assert "fix" not in doctor.Check("OK", "x", "fine", "do something").line()


def test_every_requirement_is_checked_and_lines_hold_no_paths(capsys):
    checks = doctor.run_checks()
    names = {c.name for c in checks}
    assert {"torch", "transformers", "datasets", "jupyterlab", "python", "offline model", "jupyter kernel", "disk space"} <= names
    out = capsys.readouterr().out
    assert "/" + "home" not in out and sys.prefix not in out
    assert all(c.fix for c in checks if c.status != "OK")


def test_broken_check_becomes_a_fail_line(monkeypatch):
    def explode():
        raise OSError("disk on fire")

    monkeypatch.setattr(doctor, "check_disk", explode)
    checks = doctor.run_checks(verbose=False)
    assert any(c.status == "FAIL" and "disk on fire" in c.detail for c in checks)


def test_missing_packaging_is_reported_not_raised():
    code = "import sys; sys.modules['packaging'] = None\nfrom course_utils import doctor\nraise SystemExit(doctor.main())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert "[FAIL] packaging: not installed -> fix: python -m pip install packaging" in out.stdout
    assert "Traceback" not in out.stderr


def test_cli_exit_code_follows_fail_lines():
    out = subprocess.run([sys.executable, "-m", "course_utils", "doctor"], capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "HF_HUB_OFFLINE": "1"})
    assert out.returncode == 0, out.stdout
    assert out.stdout.strip().splitlines()[-1].endswith("0 FAIL")


def test_outside_the_course_environment_the_doctor_says_so_first(tmp_path):
    """A Python outside any environment (here: the base interpreter this venv was made from, with the
    course importable from the checkout only): the first line after python says it, and no line tells
    the learner to pip-install into that Python."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    base = Path(sys.base_prefix) / ("python.exe" if os.name == "nt" else "bin/python3")
    if not base.exists() or Path(sys.base_prefix, "conda-meta").is_dir():
        pytest.skip("no plain base interpreter here")
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from course_utils import doctor; "
            "c = doctor.check_environment(); print(c.line()); print(doctor.package_fix('numpy', '>=2'))")
    done = subprocess.run([str(base), "-c", code, str(root)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONNOUSERSITE": "1"})
    assert done.returncode == 0, done.stderr[-1500:]
    first, fix = done.stdout.splitlines()
    assert first.startswith("[FAIL] environment: this is not the course's environment")
    assert "source .venv/bin/activate" in first or ".venv\\Scripts\\activate" in first or "conda activate" in first
    assert "pip install" not in fix and "enter the course's environment" in fix


def test_inside_the_course_environment_the_environment_line_is_ok():
    assert doctor.check_environment().status == "OK"
    assert doctor.package_fix("numpy", ">=2").startswith(("python -m pip install", "conda env update"))


def test_in_a_conda_environment_the_fix_is_conda_env_update(monkeypatch):
    monkeypatch.setattr(doctor, "environment_kind", lambda: "course")
    monkeypatch.setattr(doctor.sys, "prefix", "/opt/conda/envs/zero-to-finetune")
    real_is_dir = doctor.Path.is_dir
    monkeypatch.setattr(doctor.Path, "is_dir", lambda self: self.name == "conda-meta" or real_is_dir(self))
    assert doctor.package_fix("numpy", ">=2") == "conda env update -f environment.yml --prune  (in the course folder)"


def test_the_doctor_checks_what_a_notebook_needs_not_the_maintainers_tools(monkeypatch):
    from course_utils import session

    names = {name for name, _ in doctor._requirements()}
    assert {"torch", "transformers", "jupyterlab", "ipykernel"} <= names
    assert not {"pytest", "nbval", "jupytext", "wheel", "course-utils"} & names, "[dev] and [kit] are not the learner's"
    assert not {"jupyterlab", "ipykernel"} & {name for name, _ in doctor._requirements(lab=False)}
    monkeypatch.setattr(session, "detect_frontend", lambda: "colab")
    checked = {check.name for check in doctor.run_checks(verbose=False)}
    assert "torch" in checked and "jupyterlab" not in checked, "Colab brings its own JupyterLab"
