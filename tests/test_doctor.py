"""The doctor: one line per check, the fix on every line that is not OK, exit 1 on FAIL."""

from __future__ import annotations

import subprocess
import sys

from course_utils import doctor


def test_missing_package_fails_with_the_install_command():
    check = doctor.check_package("surely-not-an-installed-package", ">=1.0")
    assert check.status == "FAIL"
    assert 'python -m pip install "surely-not-an-installed-package>=1.0"' in check.line()


def test_test_only_package_missing_is_a_warning():
    check = doctor.check_package("surely-not-an-installed-package", ">=1.0", optional=True)
    assert check.status == "WARN" and "tests only" in check.line()


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
    assert {"torch", "transformers", "datasets", "nbval", "python", "offline model", "jupyter kernel", "disk space"} <= names
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
