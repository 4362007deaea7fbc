"""The lanes (``python -m course_utils lane NAME``): their plumbing. A lane itself is a fresh clone, a set-up
and a whole suite (10 to 25 minutes each), so none runs here: the GitHub workflow runs each one (`.ci/run` runs the test command only, issue 36), and the
README gives each one's time and result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.__main__ import main
from course_utils.errors import CourseError
from course_utils.tools import lanes

ROOT = Path(__file__).resolve().parents[1]
THIS = "%d.%d" % sys.version_info[:2]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=cwd, check=True,
                   capture_output=True, timeout=60)


@pytest.fixture
def small_repo(tmp_path) -> Path:
    """A checkout with one commit and an uncommitted change, and the team's shared/ folder beside it."""
    root = tmp_path / "team" / "main"
    root.mkdir(parents=True)
    (root / "README.md").write_text("committed\n")
    _git(root, "init", "--quiet")
    _git(root, "add", "README.md")
    _git(root, "commit", "--quiet", "-m", "one")
    (root / "README.md").write_text("changed, not committed\n")
    (root / ".venv").mkdir()
    (tmp_path / "team" / "shared").mkdir()
    (tmp_path / "team" / "shared" / "FACTS.md").write_text("facts\n")
    return root


def test_every_lane_is_a_name_and_ci_runs_python_313_and_colab():
    assert list(lanes.LANES) == ["py3.10", "py3.12", "py3.13", "colab", "conda", "latest", "lowest", "e2e"]
    assert {"py3.13", "colab"} <= set(lanes.CI_LANES) <= set(lanes.LANES)
    assert [f"py{v}" for v in lanes.PYTHONS] == [name for name in lanes.LANES if name.startswith("py")]


def test_lane_without_a_name_lists_them_and_a_wrong_name_says_the_fix(capsys):
    assert main(["lane"]) == 0
    out = capsys.readouterr().out
    assert all(f"  {name} " in out for name in lanes.LANES) and out.count("[ci]") == len(lanes.CI_LANES)
    assert main(["lane", "py2.7"]) == 1
    assert "no lane named py2.7. Fix: name one of py3.10" in capsys.readouterr().err


def test_find_python_asks_each_candidate_its_version(tmp_path, monkeypatch):
    """pyenv puts a `pythonX.Y` shim on PATH for every version it has, which fails for one not selected: it is
    passed over for pyenv's own folder of that version."""
    command = lanes.find_python(THIS)
    assert command and subprocess.run([*command, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True,
                                      text=True).stdout.strip() == str(tuple(sys.version_info[:2]))
    assert lanes.find_python("3.99") is None
    with pytest.raises(CourseError, match=r"Python 3\.99, and none was found .* Fix: install it"):
        lanes.need_python("3.99")
    if os.name == "nt":
        return
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / f"python{THIS}").write_text(f"#!/bin/sh\necho 'pyenv: python{THIS}: command not found' >&2\nexit 127\n")
    (shims / f"python{THIS}").chmod(0o755)
    version = tmp_path / "pyenv" / "versions" / f"{THIS}.99" / "bin"
    version.mkdir(parents=True)
    (version / "python").symlink_to(Path(getattr(sys, "_base_executable", sys.executable)).resolve())
    monkeypatch.setenv("PATH", str(shims))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    assert lanes.find_python(THIS) == [str(version / "python")]


def test_a_lane_starts_from_a_new_users_environment(monkeypatch):
    monkeypatch.setenv("VIRTUAL_ENV", "/somewhere/.venv")
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    monkeypatch.setenv("PYENV_VERSION", "3.11.7")
    env = lanes.clean_environment(COURSE_UNLOCKED="1")
    assert env["COURSE_UNLOCKED"] == "1"
    assert not {"VIRTUAL_ENV", "COURSE_PROFILE", "TORCHINDUCTOR_CACHE_DIR", "COURSE_DEVICE", "PYENV_VERSION", "HF_HOME"} & set(env)


def test_fresh_clone_is_head_with_shared_beside_it_and_goes_away(small_repo):
    with lanes.fresh_clone(small_repo) as clone:
        assert (clone / "README.md").read_text() == "committed\n"      # HEAD, as a learner clones it
        assert not (clone / ".venv").exists()
        assert (clone.parent / "shared" / "FACTS.md").read_text() == "facts\n"
    assert not clone.parent.exists()


def test_without_git_the_tree_is_copied_without_its_environments(small_repo):
    import shutil

    shutil.rmtree(small_repo / ".git")
    with lanes.fresh_clone(small_repo) as clone:
        assert (clone / "README.md").read_text() == "changed, not committed\n" and not (clone / ".venv").exists()


def test_run_logged_shows_and_keeps_the_output(tmp_path, capsys):
    log = tmp_path / "lane.log"
    status = lanes.run_logged([sys.executable, "-c", "import sys; print('one'); print('two', file=sys.stderr); sys.exit(3)"],
                              tmp_path, dict(os.environ), log)
    assert status == 3
    assert "one\ntwo\n" in capsys.readouterr().out and "one\ntwo\n" in log.read_text()


def test_run_lanes_runs_each_lane_on_its_own_clone_and_sums_up(small_repo, monkeypatch, capsys):
    seen = []

    def passes(clone, log):
        seen.append(clone)
        return 0 if (clone / "README.md").read_text() == "committed\n" else 5

    def fails(clone, log):
        seen.append(clone)
        raise CourseError("no Python 3.99 here. Fix: install it")

    monkeypatch.setattr(lanes, "LANES", {"good": lanes.Lane("good", "passes", passes), "bad": lanes.Lane("bad", "fails", fails)})
    assert lanes.run_lanes(["good", "bad"], root=small_repo) == 1
    out = capsys.readouterr().out
    assert "[lane] good: 0.0 min, passed" in out and "[lane] bad: 0.0 min, FAILED (exit 2)" in out
    assert seen[0] != seen[1] and not any(path.exists() for path in seen)
    assert "lane good: 0.0 min, exit 0" in (small_repo / "test-artifacts" / "lane-good.log").read_text()


@pytest.mark.skipif(os.name == "nt", reason="the stand-in conda is a script with a #! line")
def test_the_conda_lane_puts_the_suites_own_standin_conda_first_on_path(tmp_path, monkeypatch):
    """The stand-in is tests/test_envs.py's (one stand-in for the unit tests and the lane)."""
    from course_utils.system import find_conda

    folder = lanes.standin_conda(tmp_path / "bin", ROOT, sys.executable)
    monkeypatch.delenv("CONDA_EXE", raising=False)
    monkeypatch.setenv("PATH", os.pathsep.join([str(folder), os.environ.get("PATH", "")]))
    assert find_conda() == str(folder / "conda")
    listed = subprocess.run(["conda", "env", "list", "--json"], capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and "envs" in json.loads(listed.stdout), listed.stderr
    broken = tmp_path / "repo" / "tests"
    broken.mkdir(parents=True)
    (broken / "test_envs.py").write_text("OTHER = 1\n")
    with pytest.raises(CourseError, match="no FAKE_CONDA string"):
        lanes.standin_conda(tmp_path / "bin2", tmp_path / "repo", sys.executable)


def test_colabs_versions_are_inside_the_courses_ranges():
    """The setup cell installs the course beside Colab's packages: where Colab's version is inside the course's
    range, pip keeps it (the lane fails if the setup cell changes one)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    from packaging.requirements import Requirement

    ranges = {Requirement(dep).name.lower().replace("_", "-"): Requirement(dep).specifier
              for dep in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    assert {"torch", "transformers", "datasets", "huggingface-hub", "numpy", "scikit-learn", "accelerate"} == {
        Requirement(pin).name.lower().replace("_", "-") for pin in lanes.COLAB_IMAGE}
    for pin in lanes.COLAB_IMAGE:
        wanted = Requirement(pin)
        version = str(wanted.specifier).lstrip("=").replace(".*", ".0")
        assert ranges[wanted.name.lower().replace("_", "-")].contains(version), f"Colab's {pin} is outside pyproject's range"
