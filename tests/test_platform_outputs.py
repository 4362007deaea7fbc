"""Notebooks 00-02 print the same on every platform learners have, with conda or without.

No macOS, Windows or conda exists where the suite runs, so each is substituted where the notebooks can
see it: an IPython start-up file makes ``platform.system()``, ``platform.machine()``, ``platform.uname()``
and the home folder (``Path.home()``) those of a Mac (Apple silicon or Intel) or a Windows PC, as the
notebook's cells and course_utils see them (libraries keep the real ones: torch loads its compiled parts
by them), and a stand-in ``conda``
(tests/test_envs.py's, which answers in conda's own format) is first on PATH. Then nbval runs the three
notebooks against their committed outputs, with the project's sanitizer and every exercise's solution,
exactly as the suite does. ``os.name`` and ``sys.platform`` stay Linux's: changing them inside a running
interpreter breaks the interpreter itself (pathlib, subprocess), and the course's few branches on them
(a venv's ``Scripts\\python.exe``) are unit-tested on their own. Real macOS and Windows run only in the
GitHub workflow.
"""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.tools import notebooks
from test_envs import fake_conda_calls, write_fake_conda

ROOT = Path(__file__).resolve().parents[1]
SET_UP_NOTEBOOKS = [ROOT / "notebooks" / name for name in
                    ("00_welcome.ipynb", "01_install_miniconda.ipynb", "02_conda_environments.ipynb")]

#: name -> (platform.system(), platform.machine(), the home folder, the Miniforge installer 01 must pick there)
PLATFORMS = {
    "macos-arm64": ("Darwin", "arm64", "/Users/ada", "Miniforge3-MacOSX-arm64.sh"),
    "macos-x86_64": ("Darwin", "x86_64", "/Users/ada", "Miniforge3-MacOSX-x86_64.sh"),
    "windows-x86_64": ("Windows", "AMD64", "C:\\Users\\ada", "Miniforge3-Windows-x86_64.exe"),
}

STARTUP = '''\
"""Tests only (tests/test_platform_outputs.py): the notebook's cells and course_utils see {system} on
{machine} and another home folder, as on a learner's machine. Libraries keep the real facts: they load
their compiled parts by them (torch picks .so or .dylib by platform.system()). The home folder does not
exist here, so MPLCONFIGDIR and IPYTHONDIR are set."""
import pathlib
import platform
import sys

_real_system, _real_machine, _real_uname, _real_home = platform.system, platform.machine, platform.uname, pathlib.Path.home


def _course_asks() -> bool:
    caller = sys._getframe(2).f_globals.get("__name__", "")
    return caller == "__main__" or caller.startswith("course_utils")


platform.system = lambda: {system!r} if _course_asks() else _real_system()
platform.machine = lambda: {machine!r} if _course_asks() else _real_machine()
platform.uname = lambda: _real_uname()._replace(system={system!r}, machine={machine!r}) if _course_asks() else _real_uname()
pathlib.Path.home = classmethod(lambda cls: cls({home!r}) if _course_asks() else _real_home())
'''


def _substitute(tmp_path: Path, system: str, machine: str, home: str) -> dict[str, str]:
    """Environment variables for a kernel that reports `system` on `machine` with home folder `home`, and
    finds the stand-in conda first on PATH."""
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-platform.py").write_text(STARTUP.format(system=system, machine=machine, home=home))
    bin_dir = tmp_path / "bin"
    write_fake_conda(bin_dir)
    return {"IPYTHONDIR": str(tmp_path / "ipython"), "MPLCONFIGDIR": str(tmp_path / "matplotlib"),
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


def _masked_outputs(notebook) -> str:
    """The text of the cells nbval does not compare (tag nbval-ignore-output): the learner's machine facts."""
    return "".join(out.get("text", "") for cell in notebook.cells if "nbval-ignore-output" in cell.metadata.get("tags", [])
                   for out in cell.get("outputs", []))


#: The platform the default tier compares (the one whose outputs differ most from Linux's: a drive letter, an
#: .exe installer, PowerShell); the two Macs are in the end-to-end tier (`test --e2e`), to keep the default
#: within 15 minutes.
DEFAULT_TIER_PLATFORM = "windows-x86_64"


@pytest.mark.skipif(os.name == "nt", reason="the stand-in conda is a script with a #! line")
@pytest.mark.parametrize("name", [pytest.param(name, marks=() if name == DEFAULT_TIER_PLATFORM else pytest.mark.full)
                                  for name in sorted(PLATFORMS)])
def test_set_up_notebooks_match_their_outputs_on_another_platform_with_conda(name, tmp_path, monkeypatch):
    system, machine, home, installer_file = PLATFORMS[name]
    env = _substitute(tmp_path, system, machine, home)
    monkeypatch.delenv("CONDA_EXE", raising=False)  # the stand-in on PATH is the conda this run finds

    # 1. The notebook itself sees the substituted platform: 01 picks that platform's installer, and the
    #    conda cells print what the stand-in conda says (both in cells whose output is not compared).
    executed = notebooks.execute(SET_UP_NOTEBOOKS[1], write=False, env=env)
    facts = _masked_outputs(executed)
    assert f"This is {system} on " in facts and installer_file in facts, facts
    typed = "Start-Process -Wait -FilePath .\\Miniforge3.exe" if system == "Windows" else "bash Miniforge3.sh -b -p $HOME/"
    assert typed in facts and home not in facts, facts
    assert "conda 26.1.0" in facts and "not found" not in facts, facts

    # 2. Every compared output of 00-02 is unchanged: nbval, the sanitizer and the solutions, as in the suite.
    (tmp_path / "bin" / "calls.log").unlink(missing_ok=True)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", *map(str, SET_UP_NOTEBOOKS)],
                          cwd=ROOT, env={**{k: v for k, v in os.environ.items() if k != "CONDA_EXE"}, **env},
                          capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]

    # 3. The conda cells really ran conda (the stand-in), and nothing created an environment: 02's practice
    #    runs no conda command under the test harness (CI=true), even with its solution in place.
    calls = fake_conda_calls(tmp_path / "bin")
    assert ["--version"] in calls and ["env", "list"] in calls and ["config", "--show-sources"] in calls, calls
    assert not [call for call in calls if call[0] in ("create", "install", "remove", "run") or "export" in call[:2]], calls


def test_the_sanitizer_makes_the_doctor_machine_independent():
    """Notebook 00's doctor block is compared: what may differ between machines is masked (versions, the
    PyTorch build, and with it the OK/WARN split), and nothing else: the number of checks and of FAILs stay."""
    parser = configparser.ConfigParser()
    parser.read(ROOT / "tests" / "nbval_sanitize.cfg")

    def sanitized(text: str) -> str:  # nbval applies each section's regex to the whole output text
        for section in parser.sections():
            text = re.sub(parser[section]["regex"], parser[section]["replace"], text)
        return text

    lines = ["[OK]   torch build: CPU (no GPU here; the course's quick profile is sized for this)\n26 checks: 25 OK, 1 WARN, 0 FAIL",
             "[WARN] torch build: a CUDA 12.8 build, but no GPU is usable: it runs on the CPU -> fix: on CPU-only machines "
             "install the smaller CPU build: python -m pip install torch\n26 checks: 24 OK, 2 WARN, 0 FAIL",
             "[OK]   torch build: Apple MPS\n26 checks: 25 OK, 1 WARN, 0 FAIL",
             "[OK]   torch build: CUDA 12.8, GPU: NVIDIA H100 80GB HBM3\n26 checks: 25 OK, 1 WARN, 0 FAIL"]
    assert len({sanitized(text) for text in lines}) == 1
    assert sanitized("[OK]   python: 3.13.1 (needs >=3.10)") == sanitized("[OK]   python: 3.11.7 (needs >=3.10)")
    assert sanitized("26 checks: 25 OK, 0 WARN, 1 FAIL") != sanitized("26 checks: 25 OK, 1 WARN, 0 FAIL")
    assert sanitized("25 checks: 24 OK, 1 WARN, 0 FAIL") != sanitized("26 checks: 25 OK, 1 WARN, 0 FAIL")
    assert sanitized("[FAIL] torch build: torch is not installed") == "[FAIL] torch build: torch is not installed"
