"""The GitHub Actions workflow (.github/workflows/course.yml) and .ci/run: valid by actionlint; the workflow
runs the README's test command on Linux, macOS and Windows, each with a venv and with Miniforge, and every
lane; .ci/run runs the test command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "course.yml"


def _actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint is missing: it comes with the dev extra (python -m pip install -e '.[dev]')")
    return found


def test_actionlint_finds_nothing_wrong():
    done = subprocess.run([_actionlint(), "-no-color", str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_would_catch_a_broken_workflow(tmp_path):
    broken = WORKFLOW.read_text().replace("${{ matrix.os }}\n    timeout", "${{ matrix.system }}\n    timeout")
    assert broken != WORKFLOW.read_text()
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    path = tmp_path / ".github" / "workflows" / "course.yml"
    path.write_text(broken)
    done = subprocess.run([_actionlint(), "-no-color", str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "matrix" in done.stdout


def test_the_matrix_is_every_os_with_venv_and_miniforge():
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["test"]
    matrix = job["strategy"]["matrix"]
    assert sorted(matrix["os"]) == ["macos-latest", "ubuntu-latest", "windows-latest"]
    assert sorted(matrix["setup"]) == ["miniforge", "venv"]
    assert job["timeout-minutes"] <= 90 and job["strategy"]["fail-fast"] is False
    uses = [step.get("uses", "") for step in job["steps"]]
    assert any(u.startswith("conda-incubator/setup-miniconda@") for u in uses)
    miniforge = next(step for step in job["steps"] if step.get("uses", "").startswith("conda-incubator/setup-miniconda@"))
    assert miniforge["with"]["miniforge-version"] == "latest"


def _ci_commands() -> list[str]:
    return [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
            if line.strip() and not line.startswith("#") and not line.startswith("set ")]


def test_the_workflow_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = _ci_commands()[0]  # python3 -m course_utils test
    assert command == "python3 -m course_utils test" and command in readme
    runs = [step["run"] for step in yaml.safe_load(WORKFLOW.read_text())["jobs"]["test"]["steps"] if "run" in step]
    # `python` rather than `python3`: on Windows runners only `python` is sure to exist.
    assert runs == [command.replace("python3", "python", 1), command.replace("python3", "python", 1) + " --e2e"]


def test_ci_runs_the_readme_test_command_then_lane_ci():
    """.ci/run runs the README's test command, then `lane ci` (lanes.CI_LANES: Python 3.13 and Colab at least,
    issue 36), which the README names."""
    from course_utils.tools import lanes

    assert _ci_commands() == ["python3 -m course_utils test", "python3 -m course_utils lane ci"]
    assert {"py3.13", "colab"} <= set(lanes.CI_LANES) and "e2e" not in lanes.CI_LANES
    assert "python3 -m course_utils lane ci" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_workflow_runs_every_lane_with_every_python_it_needs():
    from course_utils.tools import lanes

    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["lanes"]
    assert job["strategy"]["matrix"]["lane"] == list(lanes.LANES) and job["strategy"]["fail-fast"] is False
    assert job["timeout-minutes"] <= 90 and job["runs-on"] == "ubuntu-latest"   # Colab is Linux
    pythons = next(step["with"]["python-version"] for step in job["steps"] if step.get("uses", "").startswith("actions/setup-python@"))
    assert set(lanes.PYTHONS) | {lanes.COLAB_PYTHON} <= set(pythons.split())
    assert [step["run"] for step in job["steps"] if "run" in step] == ["python -m course_utils lane ${{ matrix.lane }}"]
