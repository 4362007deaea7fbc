"""The lock of the versions the outputs were made with: complete, installed by set-up, enforced by regenerate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from packaging.requirements import Requirement

from course_utils.errors import CourseError
from course_utils.tools import bootstrap, lock, notebooks

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / bootstrap.LOCK_FILE


def test_the_lock_pins_every_dependency_inside_its_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locked = lock.read_lock(LOCK)
    for text in project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]:
        req = Requirement(text)
        name = lock._canonical(req.name)
        if name in lock.UNLOCKED or (req.marker and not req.marker.evaluate({"extra": "dev"})):
            continue
        assert name in locked, f"{name} is not in {bootstrap.LOCK_FILE}: run `python -m course_utils lock`"
        assert req.specifier.contains(locked[name], prereleases=True), f"{name}=={locked[name]} is outside {req.specifier}"


@pytest.mark.skipif((Path(sys.prefix) / "conda-meta").is_dir() or os.environ.get("COURSE_UNLOCKED") == "1",
                    reason="conda and COURSE_UNLOCKED=1 install the newest versions in range, not the lock")
def test_this_environment_is_the_locked_one():
    """What set-up installed is what the outputs were made with (else nbval may see other numbers)."""
    assert lock.differences(lock.read_lock(LOCK), lock.installed_versions()) == []


def test_regenerate_refuses_other_versions(monkeypatch):
    before = (notebooks.notebooks_dir() / "00_welcome.ipynb").read_bytes()
    monkeypatch.setattr(lock, "installed_versions", lambda: {**lock.read_lock(LOCK), "numpy": "1.0.0"})
    with pytest.raises(CourseError, match=r"differs from the lock .*numpy 2\.\S+ -> 1\.0\.0.*Fix: run"):
        notebooks.regenerate(["00"])
    assert (notebooks.notebooks_dir() / "00_welcome.ipynb").read_bytes() == before


def test_the_lock_file_is_read_strictly(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("# a comment\nTorch==2.13.0\nscikit_learn==1.9.1  # trailing\n")
    assert lock.read_lock(good) == {"torch": "2.13.0", "scikit-learn": "1.9.1"}
    bad = tmp_path / "bad.txt"
    bad.write_text("torch>=2\n")
    with pytest.raises(CourseError, match="not `name==version`"):
        lock.read_lock(bad)
    with pytest.raises(CourseError, match="no lock"):
        lock.read_lock(tmp_path / "missing.txt")


def test_set_up_installs_the_lock_and_falls_back_where_it_cannot(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    (root / ".ci" / "lock").mkdir(parents=True)
    for name in ("pyproject.toml", "environment.yml", bootstrap.LOCK_FILE):
        (root / name).write_text((ROOT / name).read_text())
    monkeypatch.setenv("COURSE_USE_VENV", "1")
    monkeypatch.setattr(bootstrap, "index_reachable", lambda url, timeout=5.0: True)
    plan = bootstrap.make_plan(root, gpu=False)
    install = plan.steps[-1]
    assert install[-2:] == ["--constraint", str(root / bootstrap.LOCK_FILE)]
    assert plan.fallbacks == {len(plan.steps) - 1: install[:-2]}, "the unlocked install is the fallback"
    monkeypatch.setenv("COURSE_UNLOCKED", "1")
    assert "--constraint" not in bootstrap.make_plan(root, gpu=False).steps[-1]

    ran, said = [], []
    # The locked install fails because a pin has no build for this Python (pip's own log says so), the fallback works;
    # only that failure may fall back (a full disk or a network drop must not: tests/test_setup_faults.py).
    logs = iter(["ERROR: Could not find a version that satisfies the requirement torch==2.13.0 (from versions: 2.9.0, 2.10.0)\n", ""])

    def fake_run(step, **kwargs):
        ran.append(step)
        text = next(logs)
        Path(kwargs["env"]["PIP_LOG"]).write_text(text)
        return subprocess.CompletedProcess(step, 1 if text else 0)

    monkeypatch.setattr(bootstrap.subprocess, "run", fake_run)
    bootstrap.run_steps([install], root, lambda *a: said.append(" ".join(a)), "fix", {0: install[:-2]})
    assert ran == [install, install[:-2]] and any("newest inside the course's ranges" in line for line in said)
