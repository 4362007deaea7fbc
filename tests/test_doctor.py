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


# --------------------------------------------------------------------------- a learner's file that hides a library

@pytest.mark.parametrize(("distribution", "file"), [("datasets", "datasets.py"), ("pyyaml", "yaml.py"),
                                                    ("scikit-learn", "sklearn.py"), ("torch", "torch/__init__.py")])
def test_a_learners_own_module_that_hides_a_course_package_fails(tmp_path, monkeypatch, distribution, file):
    """A learner's datasets.py beside the notebooks made `import datasets` load it, while the doctor said OK."""
    (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / file).write_text("# my own notes on data sets\n")
    monkeypatch.chdir(tmp_path)
    spec = dict(doctor._requirements())[distribution]
    check = doctor.check_package(distribution, spec, kind="course")
    shown = file.split("/")[0] + ("/" if "/" in file else "")
    assert check.status == "FAIL", check.line()
    assert f"your own {shown} in the current folder hides it" in check.detail
    assert check.fix.startswith(f"rename your {shown}") and "restart the kernel" in check.fix
    assert str(tmp_path) not in check.line()


def test_a_data_folder_named_like_a_package_hides_nothing(tmp_path, monkeypatch):
    """A folder `datasets/` without __init__.py (a learner's data) is a namespace portion: an installed
    package wins over it, so it is not reported."""
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "reviews.csv").write_text("text,label\n")
    monkeypatch.chdir(tmp_path)
    assert doctor.shadowing_file("datasets") is None
    assert doctor.check_package("datasets", dict(doctor._requirements())["datasets"], kind="course").status == "OK"


def test_the_doctor_finds_a_shadowing_module_in_the_notebooks_folder_from_the_terminal(tmp_path, monkeypatch):
    """Run from the course folder (not the notebooks folder), the doctor still looks where the notebooks run.
    (A stand-in course folder: a datasets.py in the real one would reach any kernel started there meanwhile.)"""
    from course_utils import session

    course = tmp_path / "course"
    (course / "notebooks").mkdir(parents=True)
    (course / "notebooks" / "datasets.py").write_text("# a learner's file\n")
    monkeypatch.setattr(session, "repo_root", lambda: course)
    monkeypatch.chdir(course)
    checks = doctor.run_checks(verbose=False)
    line = next(check.line() for check in checks if check.name == "datasets")
    assert line.startswith("[FAIL] datasets:") and "your own datasets.py in the notebooks folder hides it" in line
    assert str(tmp_path) not in line


# --------------------------------------------------------------------------- COURSE_DEVICE

def test_the_torch_build_line_pinned_to_cpu_is_the_same_on_every_machine(monkeypatch):
    import torch

    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.version, "cuda", None)                # a CPU build, whichever this machine has
    assert doctor.check_torch_build().line() == "[OK]   torch build: COURSE_DEVICE=cpu: the course runs on the CPU"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # a GPU machine, pinned: the same line
    monkeypatch.setattr(torch.version, "cuda", "13.0")
    assert doctor.check_torch_build().line() == "[OK]   torch build: COURSE_DEVICE=cpu: the course runs on the CPU"
    # A CUDA build where no GPU is usable (set-up's fallback when PyTorch's CPU index does not answer, as for
    # Python 3.13 here) still says so when pinned: it is advice about the install, not about the device.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert doctor.check_torch_build().status == "WARN"


@pytest.mark.parametrize(("value", "words"), [("tpu", "is not a device the course knows"), ("cuda", "no usable NVIDIA GPU")])
def test_a_course_device_that_cannot_work_is_a_fail_line_with_the_fix(monkeypatch, value, words):
    import torch

    monkeypatch.setenv("COURSE_DEVICE", value)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    check = doctor.check_torch_build()
    assert check.status == "FAIL" and words in check.detail and "COURSE_DEVICE" in check.fix


def test_ctrl_c_during_the_doctor_is_one_line(monkeypatch, capsys):
    """Ctrl-C while the doctor waited on an index or a mirror printed a traceback from `python -m course_utils doctor`."""
    def interrupted(verbose=True):
        raise KeyboardInterrupt

    monkeypatch.setattr(doctor, "run_checks", interrupted)
    assert doctor.main() == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().startswith("stopped (Ctrl-C); the doctor changes nothing")
