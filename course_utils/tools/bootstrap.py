"""One-command set-up: ``python -m course_utils lab`` and ``python -m course_utils test``.

This module uses the standard library only, so it runs on a fresh clone with nothing but
Python >= 3.10. It builds (or reuses) the course environment and then runs JupyterLab or the
test suite inside it:

* where ``conda`` exists: the conda environment described by ``environment.yml``;
* elsewhere: a virtual environment in ``.venv`` at the repository root, filled with pip;
* a ``.venv`` from an earlier set-up is kept even when conda is installed later (``COURSE_USE_CONDA=1``
  switches to conda, ``COURSE_USE_VENV=1`` forces the venv).

Set-up is idempotent: a stamp file inside the environment records a hash of the files that
define it, so a second run skips every install step and starts in seconds. Where no NVIDIA GPU
is present the CPU build of torch is installed first (a bare ``torch`` requirement would pull a
CUDA build of several GB on Linux).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CourseError
from ..system import env_python, find_chromium, find_conda, jupyter_root_args, running_as_root

MIN_PYTHON = (3, 10)
ROOT = Path(__file__).resolve().parents[2]
FIRST_NOTEBOOK = "notebooks/00_welcome.ipynb"
#: The torch release the course is tested with; set-up asks for it first on CPU-only machines.
TORCH_CPU_SPEC = "torch==2.13.*"
#: PyTorch's own index of CPU-only wheels (override with COURSE_TORCH_CPU_INDEX, "" to skip).
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
STAMP_NAME = ".course-setup.json"
#: The exact versions the committed outputs were generated with (``python -m course_utils lock``),
#: installed as pip constraints by the venv set-up; COURSE_UNLOCKED=1 takes the newest in range instead.
LOCK_FILE = ".ci/lock/requirements.txt"
#: Bump when the set-up steps change, so existing environments are refreshed once.
SETUP_VERSION = "1"


class SetupError(CourseError):
    """A set-up step failed; the message says what to do."""


def check_python(version: tuple[int, ...] = tuple(sys.version_info[:3])) -> None:
    """Refuse a Python older than MIN_PYTHON with a message that names the fix."""
    if tuple(version[:2]) < MIN_PYTHON:
        have = ".".join(str(v) for v in version[:3])
        need = ".".join(str(v) for v in MIN_PYTHON)
        raise SetupError(
            f"This course needs Python >= {need}, but this is Python {have}. "
            f"Fix: install a newer Python (https://www.python.org/downloads/ or Miniforge), "
            f"then run the same command with it, e.g. `python3.11 -m course_utils lab`."
        )


def has_nvidia_gpu() -> bool:
    """True when `nvidia-smi -L` lists a GPU (the driver is what a CUDA build of torch needs)."""
    exe = shutil.which("nvidia-smi")
    if not exe:
        return False
    try:
        out = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and "GPU" in out.stdout


def setup_hash(root: Path = ROOT, extras: str = "dev") -> str:
    """Hash of everything that defines the environment; a change means 'install again'."""
    digest = hashlib.sha256(f"{SETUP_VERSION}|{extras}".encode())
    for name in ("pyproject.toml", "environment.yml", LOCK_FILE):
        path = root / name
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def conda_exe() -> str | None:
    """The conda executable for set-up, unless COURSE_USE_VENV=1 asks for a plain venv."""
    if os.environ.get("COURSE_USE_VENV") == "1":
        return None
    return find_conda()


def env_name(root: Path = ROOT) -> str:
    """The `name:` of environment.yml."""
    match = re.search(r"^name:\s*(\S+)", (root / "environment.yml").read_text(), re.MULTILINE)
    if not match:
        raise SetupError("environment.yml has no `name:` line. Fix: add `name: zero-to-finetune`.")
    return match.group(1)


@dataclass
class Plan:
    """What set-up will do: the environment to use and the commands still to run."""

    kind: str  # "venv" or "conda"
    prefix: Path
    steps: list[list[str]] = field(default_factory=list)
    reason: str = ""
    #: step index -> the command to run instead when that step fails (the locked install -> the unlocked one)
    fallbacks: dict[int, list[str]] = field(default_factory=dict)

    @property
    def python(self) -> Path:
        return env_python(self.prefix)


def _stamp_matches(prefix: Path, wanted: str) -> bool:
    try:
        data = json.loads((prefix / STAMP_NAME).read_text())
    except (OSError, ValueError):
        return False
    return data.get("hash") == wanted and env_python(prefix).exists()


def index_reachable(url: str, timeout: float = 5.0) -> bool:
    """True when `url` answers within `timeout` seconds, DNS included (any HTTP status means it answered)."""
    from ..net import head_status  # standard library only, like this module

    return head_status(url, timeout)[0] is not None


def torch_steps(python: str, gpu: bool, say=print) -> list[list[str]]:
    """pip commands that put the right torch build in place before everything else.

    Without a GPU, torch alone comes from PyTorch's CPU index (``--index-url``, so no other package
    is looked up on two indexes), after a quick probe: where that index is unreachable, pip would
    retry it five times for every package, so the step uses the configured index instead and says so.
    """
    if gpu:
        return []  # the default wheels carry CUDA; pyproject's range picks them
    index = os.environ.get("COURSE_TORCH_CPU_INDEX", TORCH_CPU_INDEX)
    step = [python, "-m", "pip", "install", TORCH_CPU_SPEC]
    if index and index_reachable(index):
        step += ["--index-url", index]
    elif index:
        say(f"PyTorch's CPU index ({index}) does not answer, so torch comes from the configured index "
            "(on Linux that may be a CUDA build of several GB; set COURSE_TORCH_CPU_INDEX to a mirror)")
    return [step]


def make_plan(root: Path = ROOT, gpu: bool | None = None) -> Plan:
    """Decide conda or venv, and which steps are still needed (none when the stamp matches)."""
    wanted = setup_hash(root)
    gpu = has_nvidia_gpu() if gpu is None else gpu
    conda = conda_exe()
    kept = ""
    if conda and env_python(root / ".venv").exists() and os.environ.get("COURSE_USE_CONDA") != "1":
        # Miniforge installed after a first .venv set-up: keep the working .venv instead of silently
        # building a second environment of several GB.
        conda, kept = None, ("conda is installed now, but .venv from an earlier set-up is kept "
                             "(to switch to conda: delete .venv, or set COURSE_USE_CONDA=1); ")
    if conda:
        name = env_name(root)
        prefix = _conda_prefix(conda, name)
        if prefix is not None and _stamp_matches(prefix, wanted):
            return Plan("conda", prefix, reason=f"conda environment '{name}' is up to date")
        verb = "update" if prefix is not None else "create"
        steps = [[conda, "env", verb, "--file", str(root / "environment.yml")]]
        steps[0] += ["--prune"] if verb == "update" else ["--yes"]
        prefix = prefix or _conda_envs_dir(conda) / name
        return Plan("conda", prefix, steps, f"conda environment '{name}': {verb}")
    prefix = root / ".venv"
    if _stamp_matches(prefix, wanted):
        return Plan("venv", prefix, reason=kept + ".venv is up to date")
    python = str(env_python(prefix))
    steps: list[list[str]] = []
    if not env_python(prefix).exists():
        steps.append([sys.executable, "-m", "venv", str(prefix)])
    steps += torch_steps(python, gpu, say=lambda *a: print("[setup]", *a, flush=True))
    install = [python, "-m", "pip", "install", "-e", f"{root}[dev]"]
    fallbacks = {}
    lock = root / LOCK_FILE
    if lock.is_file() and os.environ.get("COURSE_UNLOCKED") != "1":
        fallbacks[len(steps)] = install
        install = install + ["--constraint", str(lock)]
    steps.append(install)
    why = (kept or "no conda here, so a .venv with pip") + ("" if gpu else "; no NVIDIA GPU, so the CPU build of torch")
    if fallbacks:
        why += "; the versions the outputs were made with (" + LOCK_FILE + ")"
    return Plan("venv", prefix, steps, why, fallbacks)


def _conda_prefix(conda: str, name: str) -> Path | None:
    out = subprocess.run([conda, "env", "list", "--json"], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise SetupError(f"`conda env list` failed: {out.stderr.strip()[:300]}. Fix: run `conda info` and repair conda.")
    for prefix in json.loads(out.stdout).get("envs", []):
        if Path(prefix).name == name:
            return Path(prefix)
    return None


def _conda_envs_dir(conda: str) -> Path:
    out = subprocess.run([conda, "info", "--json"], capture_output=True, text=True, timeout=120)
    dirs = json.loads(out.stdout).get("envs_dirs", []) if out.returncode == 0 else []
    return Path(dirs[0]) if dirs else Path.home() / ".conda" / "envs"


def run_steps(steps: list[list[str]], root: Path, say, fix: str, fallbacks: dict[int, list[str]] | None = None) -> None:
    """Run each command in `root`, saying it first; the first that fails (and its fallback, if it has one)
    raises ``SetupError`` with `fix`."""
    for index, step in enumerate(steps):
        say("$", " ".join(step))
        result = subprocess.run(step, cwd=root)
        if result.returncode != 0 and fallbacks and index in fallbacks:
            step = fallbacks[index]
            say("the exact versions the course was tested with cannot be installed here (lines above), so set-up takes "
                "the newest inside the course's ranges: every notebook works, a few printed numbers may differ")
            say("$", " ".join(step))
            result = subprocess.run(step, cwd=root)
        if result.returncode != 0:
            raise SetupError(f"This set-up step failed (exit {result.returncode}): {' '.join(step)}\nFix: {fix}")


def ensure_environment(root: Path = ROOT, quiet: bool = False) -> Plan:
    """Run the plan's steps (if any) and write the stamp. Returns the plan used."""
    check_python()
    plan = make_plan(root)
    say = (lambda *a: None) if quiet else (lambda *a: print("[setup]", *a, flush=True))
    say(plan.reason)
    run_steps(plan.steps, root, say, "read the lines above; with no network, use an offline workshop kit; "
              "to start clean, delete the .venv folder (or `conda env remove -n zero-to-finetune`) and run again.",
              plan.fallbacks)
    if plan.steps:
        (plan.prefix / STAMP_NAME).write_text(json.dumps({"hash": setup_hash(root)}))
    return plan


def ensure_chromium(say=print) -> bool:
    """Find a Chromium for the real-browser test; in a root shell with apt-get (CI, containers) install
    Debian's. Never fails: without one the test skips, and this says how to get one. True when found."""
    if os.environ.get("COURSE_CHROMIUM") or find_chromium():  # an explicit choice is the browser test's to judge
        return True
    apt = shutil.which("apt-get")
    if os.environ.get("COURSE_NO_BROWSER_INSTALL") == "1" or not apt or not running_as_root():
        say("no Chromium here, so the real-browser test will skip (Debian/Ubuntu: `sudo apt-get install chromium`; "
            "or set COURSE_CHROMIUM to a Chrome or Chromium)")
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [apt, "install", "-y", "-q", "chromium"]
    for steps in ([install], [[apt, "update", "-q"], install]):  # the package lists may be missing or stale
        say("$ " + " && ".join(" ".join(step) for step in steps) + "   (Chromium for the real-browser test)")
        try:
            if all(subprocess.run(step, env=env, stdout=subprocess.DEVNULL, timeout=900).returncode == 0 for step in steps):
                return find_chromium() is not None
        except (OSError, subprocess.TimeoutExpired):
            pass
    say("could not install Chromium, so the real-browser test will skip")
    return False


#: The lowest-versions job runs the unit tests, not these (they need the full environment and minutes).
LOWEST_DESELECT = "not round_trip and not browser and not colab and not nbval_run_includes"
#: The libraries whose floors the job reports (all direct dependencies are taken at their floor).
CORE_LIBRARIES = ("torch", "transformers", "datasets", "huggingface-hub", "accelerate", "peft", "numpy",
                  "matplotlib", "scikit-learn", "jupyterlab", "ipywidgets", "nbval")


def floor_pins(root: Path = ROOT) -> list[str]:
    """``name==floor`` for every dependency in pyproject.toml with a ``>=`` floor: installing exactly
    these together proves the floors agree with each other and with everything they pull in."""
    text = (root / "pyproject.toml").read_text()
    deps = re.search(r"^dependencies = \[(.*?)^\]", text, re.MULTILINE | re.DOTALL)
    found = re.findall(r'^\s*"([A-Za-z0-9_.-]+)>=([0-9][0-9.]*)', deps.group(1) if deps else "", re.MULTILINE)
    return [f"{name}=={floor}" for name, floor in found]


def lowest_steps(root: Path = ROOT) -> tuple[Path, list[list[str]]]:
    """Commands that build `.venv-lowest` with every direct dependency at exactly its floor (uv's
    ``--constraint`` with ``floor_pins``, so everything else must agree with the floors too; the test
    extras at their lowest, ``--resolution lowest-direct``). torch comes at its floor too, from PyPI:
    on Linux that is a CUDA build of several GB, which is why this job is not part of ``test``."""
    prefix = root / ".venv-lowest"
    python = env_python(prefix)
    steps: list[list[str]] = []
    if not python.exists():
        steps.append([sys.executable, "-m", "venv", str(prefix)])
    steps.append([str(python), "-m", "pip", "install", "--quiet", "uv>=0.5"])
    steps.append([str(python), "-m", "uv", "pip", "install", "--python", str(python), "--resolution", "lowest-direct",
                  "--constraint", str(prefix / "floors.txt"), "-e", f"{root}[dev]"])
    return prefix, steps


def run_lowest(args: list[str], root: Path = ROOT) -> int:
    """``python -m course_utils test-lowest``: the unit tests with every dependency at its floor."""
    say = lambda *a: print("[lowest]", *a, flush=True)  # noqa: E731
    try:
        check_python()
        prefix, steps = lowest_steps(root)
        prefix.mkdir(parents=True, exist_ok=True)  # `python -m venv` fills an existing empty folder
        (prefix / "floors.txt").write_text("\n".join(floor_pins(root)) + "\n")  # read by the uv step
        run_steps(steps, root, say, "read the lines above (uv names the floor that cannot be met; raise it in "
                  "pyproject.toml and environment.yml); delete .venv-lowest to start clean.")
    except SetupError as exc:
        print(f"[lowest] FAILED: {exc}", file=sys.stderr)
        return 2
    python = str(env_python(prefix))
    listing = subprocess.run([python, "-m", "pip", "list", "--format", "json"], capture_output=True, text=True)
    versions = {item["name"].lower().replace("_", "-"): item["version"] for item in json.loads(listing.stdout or "[]")}
    say("testing with " + ", ".join(f"{name} {versions.get(name, '?')}" for name in CORE_LIBRARIES))
    command = [python, "-m", "pytest", "tests", "-q", "-o", "addopts=-p no:cacheprovider -p course_utils.tools.pytest_plugin",
               "-k", LOWEST_DESELECT, *args]
    say("$", " ".join(command))
    return subprocess.run(command, cwd=root).returncode


def run_in_environment(action: str, args: list[str], root: Path = ROOT) -> int:
    """Set up, then run JupyterLab at notebook 00 (`lab`) or the whole test suite (`test`)."""
    try:
        plan = ensure_environment(root)
    except SetupError as exc:
        print(f"[setup] FAILED: {exc}", file=sys.stderr)
        return 2
    python = str(plan.python)
    if action == "lab":
        # containers and cloud VMs often run as root, where JupyterLab refuses to start without --allow-root
        command = [python, "-m", "jupyterlab", f"--ServerApp.root_dir={root}", FIRST_NOTEBOOK, *args, *jupyter_root_args(args)]
    elif action == "test":
        if "--fast" in args:  # the fast tier: unit tests and the notebooks once, without the end-to-end tests
            args = [arg for arg in args if arg != "--fast"] + ["-m", "not full"]
        else:
            ensure_chromium(lambda *a: print("[setup]", *a, flush=True))
        command = [python, "-m", "pytest", *args]
    else:
        raise SetupError(f"unknown action {action!r}. Fix: use 'lab' or 'test'.")
    print("[setup] $", " ".join(command), flush=True)
    try:
        return subprocess.run(command, cwd=root).returncode
    except KeyboardInterrupt:
        return 130
