"""Lanes: the README's test command where learners are, one command each.

The default ``test`` proves the course on one configuration (this machine's Python, a ``.venv``,
no conda, the locked versions). A lane proves it on another one that learners have, and that a
machine like this one can stand in for. Each lane starts from a fresh clone of this checkout's
HEAD (what a learner clones; uncommitted changes are not in it), with the environment a new user
has (nothing the course or a virtual environment set), and logs to ``test-artifacts/lane-NAME.log``:

* ``py3.10``, ``py3.12``, ``py3.13``: ``pythonX.Y -m course_utils test`` with that Python (the
  README admits 3.10 to 3.13); set-up builds ``.venv`` with it.
* ``colab``: Colab's image (its Python and its versions of PyTorch and the rest, ``COLAB_IMAGE``) in a
  virtual environment without the course; every notebook runs the way a Colab learner runs it: from a
  folder with nothing but the notebooks, in a kernel that imports a stand-in ``google.colab``, whose
  setup cell ``%pip install``-s the course's wheel (``COURSE_UTILS_SOURCE``). No error, no traceback,
  no warning, nothing on stderr in any output; every assert in the cells holds; the setup cell must
  not change a version Colab ships.
* ``conda``: the test command with ``conda`` on PATH throughout: the real one where it exists (set-up
  then builds the conda environment), else the course's stand-in conda (``tests/test_envs.py``) beside
  a ``.venv``; the notebooks are compared with their committed outputs as usual.
* ``latest``: the newest release of every dependency (``COURSE_UNLOCKED=1``, then each one upgraded,
  PyTorch included); the notebooks are executed, not compared (``--nbval-lax``), and every cell must
  still run clean: the lane that meets a renamed API before learners do.
* ``lowest``: ``test-lowest`` (every dependency at its floor) on a fresh clone.

* ``e2e``: the end-to-end tier (``test --e2e``, the tests marked ``full``), which the default ``test``
  leaves out to stay within 15 minutes: the offline kit's round trip, the full profile on the CPU, 07
  through the online path, Colab's simulation, a real browser, DDP.

``CI_LANES`` (``lane ci``) are the lanes ``.ci/run`` runs after the test command: with it they must leave a
third of CI's 90 minutes to spare (the README has each one's time). ``.github/workflows/course.yml`` runs
every lane, each in its own job.

Standard library only (like set-up): a lane starts from a bare Python. Only the Colab lane's notebook
driver (``_colab_driver``) needs more, and it runs inside the Colab environment the lane builds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from ..errors import CourseError
from ..system import env_python, find_conda

ROOT = Path(__file__).resolve().parents[2]

#: Google Colab's runtime as learners meet it (googlecolab/backend-info, August 2026: issue 36): its
#: Python and the versions it ships. The lane installs these, and the notebooks' own setup cell the rest.
COLAB_PYTHON = "3.13"
COLAB_IMAGE = ("torch==2.11.*", "transformers==5.15.*", "datasets==4.0.0", "huggingface_hub==1.27.*", "numpy==2.1.3",
               "scikit-learn==1.6.1", "accelerate==1.14.*")
#: What else Colab has that a notebook's kernel needs (any recent version: the issue lists none), and
#: nbclient, with which the lane runs the notebooks (Colab has it too, under nbconvert). ipykernel stays at 6, as
#: on Colab (its google-colab package requires ipykernel 6.17.1): ipykernel 7 hangs at random between cells
#: (ipython/ipykernel#1471), which cost this lane one 12-minute stall in notebook 03.
COLAB_ALSO = ("ipykernel<7", "ipywidgets", "matplotlib", "pandas", "pyyaml", "tqdm", "packaging", "nbclient", "nbformat")
#: The Pythons the README admits besides the one set-up is usually run with.
PYTHONS = ("3.10", "3.12", "3.13")
#: `lane ci`: what `.ci/run` runs after the test command, within 60 of CI's 90 minutes (each lane's time is in the README).
CI_LANES = ("py3.13", "colab")
CELL_TIMEOUT_S = 900


@dataclass(frozen=True)
class Lane:
    name: str
    proves: str
    run: Callable[[Path, Path], int]     # (clone, log) -> exit status


# --------------------------------------------------------------------------- common plumbing


def clean_environment(**extra: str) -> dict[str, str]:
    """A new user's environment: this one without what the course, a virtual environment or a notebook
    run put in it (bench's ``_clean_environment``), without the torch.compile cache this process uses,
    plus `extra`."""
    from .bench import _clean_environment

    env = _clean_environment()
    for name in ("TORCHINDUCTOR_CACHE_DIR", "COURSE_DEVICE", "PYENV_VERSION"):
        env.pop(name, None)
    env.update(extra)
    return env


def find_python(version: str) -> list[str] | None:
    """A command that starts Python `version` ("3.13"): ``pythonX.Y`` on PATH, else pyenv's
    ``~/.pyenv/versions/X.Y.*``, else ``py -X.Y`` (Windows); each is asked for its version first (a
    pyenv shim on PATH exists for every version pyenv has, but fails for one not selected)."""
    candidates: list[list[str]] = []
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append([on_path])
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    for folder in sorted(pyenv.glob(f"{version}.*"), reverse=True):
        if re.fullmatch(rf"{re.escape(version)}\.\d+", folder.name):
            candidates.append([str(env_python(folder))])
    if shutil.which("py"):
        candidates.append(["py", f"-{version}"])
    for command in candidates:
        try:
            done = subprocess.run([*command, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                  capture_output=True, text=True, timeout=60, env=clean_environment())
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0 and done.stdout.strip() == version:
            return command
    return None


def need_python(version: str) -> list[str]:
    command = find_python(version)
    if command is None:
        raise CourseError(f"this lane needs Python {version}, and none was found (python{version} on PATH, "
                        f"~/.pyenv/versions/{version}.*, py -{version}). Fix: install it (pyenv install {version}, "
                        "python.org, or actions/setup-python in a workflow) and run the lane again.")
    return command


@contextmanager
def fresh_clone(root: Path = ROOT) -> Iterator[Path]:
    """A clone of `root`'s HEAD in a temporary folder (deleted after, environments and all), with the
    team's ``shared/`` folder beside it where `root` has one (as CI has); a copy of the tracked-looking
    files where `root` is not a git checkout (an unpacked archive)."""
    with tempfile.TemporaryDirectory(prefix="course-lane-") as folder:
        clone = Path(folder) / "zero-to-finetune"
        if (root / ".git").exists():
            subprocess.run(["git", "clone", "--quiet", str(root), str(clone)], check=True)
        else:
            shutil.copytree(root, clone, ignore=shutil.ignore_patterns(
                ".venv*", "outputs", "build", "dist", "test-artifacts", "__pycache__", "*.egg-info", ".pytest_cache"))
        shared = root.parent / "shared"
        if shared.is_dir():
            shutil.copytree(shared, Path(folder) / "shared", symlinks=True)
        yield clone


def run_logged(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> int:
    """Run `command`, its output both on this terminal and appended to `log`; returns its exit status."""
    with log.open("ab") as handle:
        handle.write(f"$ {' '.join(command)}   (in {cwd})\n".encode())
        handle.flush()
        # unbuffered: a Python writing to a pipe would otherwise hold its output back 8 KB at a time
        process = subprocess.Popen(command, cwd=cwd, env={**env, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        out = getattr(sys.stdout, "buffer", None)
        while chunk := process.stdout.read1(65536):  # type: ignore[union-attr]     # as it comes: pytest's dots arrive without a newline
            handle.write(chunk)
            handle.flush()
            if out is not None:
                out.write(chunk)
                out.flush()
            else:                                       # a captured stdout (tests) takes text
                sys.stdout.write(chunk.decode("utf-8", errors="replace"))
        return process.wait()


def setup_only(python: list[str], clone: Path, env: dict[str, str], log: Path) -> int:
    """Run the course's set-up alone (``ensure_environment``, what ``test`` and ``lab`` do first) in `clone`."""
    code = "import sys; from course_utils.tools.bootstrap import SetupError, ensure_environment\n" \
           "try:\n    ensure_environment()\nexcept SetupError as exc:\n    sys.exit(f'[setup] FAILED: {exc}')"
    return run_logged([*python, "-c", code], clone, env, log)


def base_python() -> list[str]:
    """The bare Python this command runs on (outside any virtual environment), as a new user's ``python3``."""
    return [getattr(sys, "_base_executable", None) or sys.executable]


# --------------------------------------------------------------------------- the lanes


def python_lane(version: str) -> Callable[[Path, Path], int]:
    def run(clone: Path, log: Path) -> int:
        return run_logged([*need_python(version), "-m", "course_utils", "test"], clone, clean_environment(), log)
    return run


def e2e_lane(clone: Path, log: Path) -> int:
    return run_logged([*base_python(), "-m", "course_utils", "test", "--e2e"], clone, clean_environment(), log)


def lowest_lane(clone: Path, log: Path) -> int:
    return run_logged([*base_python(), "-m", "course_utils", "test-lowest"], clone, clean_environment(), log)


def latest_lane(clone: Path, log: Path) -> int:
    """Set up unlocked, upgrade every dependency (PyTorch too) to its newest release, then the test command
    with the notebooks executed rather than compared."""
    env = clean_environment(COURSE_UNLOCKED="1")
    python = base_python()
    status = setup_only(python, clone, env, log)
    if status:
        return status
    venv_python = str(env_python(clone / ".venv"))
    upgrade = [venv_python, "-m", "pip", "install", "--upgrade", "--upgrade-strategy", "eager", "torch", "-e", f"{clone}[dev]"]
    status = run_logged(upgrade, clone, env, log)
    if status:
        return status
    run_logged([venv_python, "-c", "from course_utils.tools.bootstrap import CORE_LIBRARIES as names\n"
                "from importlib.metadata import version\n"
                "print('[latest] testing with ' + ', '.join(f'{n} {version(n)}' for n in names))"], clone, env, log)
    return run_logged([*python, "-m", "course_utils", "test", "--nbval-lax"], clone, env, log)


def standin_conda(folder: Path, root: Path, python: str) -> Path:
    """Write the course's stand-in conda (``FAKE_CONDA`` in ``tests/test_envs.py``, the one the unit
    tests use) as ``folder/conda``, run by `python`; returns the folder to put first on PATH."""
    import ast

    source = root / "tests" / "test_envs.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    text = next((node.value.value for node in tree.body if isinstance(node, ast.Assign)
                 and any(getattr(t, "id", None) == "FAKE_CONDA" for t in node.targets)
                 and isinstance(node.value, ast.Constant)), None)
    if not isinstance(text, str):
        raise CourseError(f"{source} has no FAKE_CONDA string, the stand-in conda. Fix: put it back (the conda lane uses it).")
    folder.mkdir(parents=True, exist_ok=True)
    exe = folder / "conda"
    exe.write_text(text.replace("/usr/bin/env python3", python, 1), encoding="utf-8")
    exe.chmod(0o755)
    return folder


def conda_lane(clone: Path, log: Path) -> int:
    """The test command with conda on PATH throughout. A real conda is used as it is: set-up builds the conda
    environment. Without one, the stand-in: the course's ``.venv`` (as a learner who installed conda after
    a first set-up keeps it: ``COURSE_USE_VENV=1``), and the notebooks meet the stand-in on PATH."""
    env = clean_environment()
    if find_conda():
        with log.open("a") as handle:
            handle.write(f"[conda] a real conda: {find_conda()}\n")
        return run_logged([*base_python(), "-m", "course_utils", "test"], clone, env, log)
    if os.name == "nt":
        raise CourseError("no conda here, and the stand-in conda is a script with a #! line. Fix: run this lane with "
                        "Miniforge installed, or on Linux or macOS.")
    folder = standin_conda(clone.parent / "standin-conda", clone, base_python()[0])
    env["PATH"] = os.pathsep.join([str(folder), env.get("PATH", "")])
    env["COURSE_USE_VENV"] = "1"
    found = subprocess.run(["conda", "--version"], capture_output=True, text=True, env=env)
    with log.open("a") as handle:
        handle.write(f"[conda] no conda here: the stand-in {folder / 'conda'} is first on PATH "
                     f"(`conda --version`: {found.stdout.strip() or found.stderr.strip()})\n")
    return run_logged([*base_python(), "-m", "course_utils", "test"], clone, env, log)


def colab_lane(clone: Path, log: Path) -> int:
    """Colab's image in a virtual environment without the course, then every notebook as a Colab learner runs it."""
    work = clone.parent / "colab"
    work.mkdir()
    env = clean_environment(PIP_DISABLE_PIP_VERSION_CHECK="1")
    venv = work / "venv"
    status = run_logged([*need_python(COLAB_PYTHON), "-m", "venv", str(venv)], work, env, log)
    python = str(env_python(venv))
    for step in ([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
                 [python, "-m", "pip", "install", *COLAB_IMAGE, *COLAB_ALSO],
                 [python, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(work / "wheels"), str(clone)]):
        status = status or run_logged(step, work, env, log)
    if status:
        return status
    wheel = next((work / "wheels").glob("course_utils-*.whl"))
    driver = ("import sys; sys.path.insert(0, sys.argv[1]); from course_utils.tools.lanes import _colab_driver; "
              "sys.exit(_colab_driver(*sys.argv[2:]))")
    return run_logged([python, "-c", driver, str(clone), str(clone / "notebooks"), str(work), str(wheel)], work, env, log)


# --------------------------------------------------------------------------- the Colab lane's notebook driver


def colab_kernel(work: Path, python: str, env: dict[str, str]) -> str:
    """A kernel spec under ``work/jupyter`` (put it on JUPYTER_PATH) for `python`, whose kernel imports a
    stand-in ``google.colab`` at start-up as Colab's does (``google`` stays a namespace package, so
    google.protobuf still imports), with `env` added to its environment (``COURSE_UTILS_SOURCE``: what the
    setup cell installs). Returns the kernel's name. The Colab lane and tests/test_colab.py use it."""
    fake = work / "fake-google"
    (fake / "google" / "colab").mkdir(parents=True, exist_ok=True)
    (fake / "google" / "colab" / "__init__.py").write_text('"""A stand-in for Colab\'s module (tests and lanes only)."""\n')
    startup = work / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-colab.py").write_text("import google.colab\n")
    spec = work / "jupyter" / "kernels" / "colab-sim"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab (simulated)", "language": "python",
        "env": {**env, "PYTHONPATH": str(fake), "IPYTHONDIR": str(work / "ipython")}}))
    return "colab-sim"


def _installed() -> dict[str, str]:
    """{distribution name: version} of this Python."""
    done = subprocess.run([sys.executable, "-m", "pip", "list", "--format", "json"], capture_output=True, text=True, check=True)
    return {item["name"].lower().replace("_", "-"): item["version"] for item in json.loads(done.stdout)}


def _back_to_the_image(image: dict[str, str]) -> list[str]:
    """Remove what a notebook's setup cell installed and put back any version of the image it changed, so the
    next notebook starts on a fresh runtime. Returns "name a -> b" for each version of the image it changed."""
    now = _installed()
    added = sorted(set(now) - set(image))
    changed = [name for name in image if name in now and now[name] != image[name]]
    if added:
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "--quiet", "--yes", *added], check=True)
    if changed:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        *[f"{name}=={image[name]}" for name in changed]], check=True)
    return [f"{name} {image[name]} -> {now[name]}" for name in changed]


def _colab_driver(notebooks: str, work: str, wheel: str) -> int:
    """Run every notebook in `notebooks` as a Colab learner does, each on a fresh runtime (an empty folder with
    the notebooks, an empty Hugging Face cache and torch.compile cache, the course not installed). Prints a
    line per notebook; returns 1 if any raised, printed something stray, or changed Colab's versions."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    from .notebooks import stray_output

    base, sources = Path(work), sorted(Path(notebooks).glob("[0-9][0-9]_*.ipynb"))
    # Colab's pip reads no configuration file of this machine's (an extra index, a constraint on torch)
    kernel = colab_kernel(base, sys.executable, {"COURSE_UTILS_SOURCE": wheel, "COLAB_RELEASE_TAG": "lane-stand-in",
                                                 "MPLBACKEND": "module://matplotlib_inline.backend_inline",
                                                 "PIP_CONFIG_FILE": os.devnull})
    os.environ["JUPYTER_PATH"] = str(base / "jupyter")
    os.environ.pop("CI", None)                          # Colab is no CI
    image = _installed()
    print("[colab] the image: " + ", ".join(f"{n} {image.get(n.split('=')[0].lower().replace('_', '-'), '?')}"
                                            for n in COLAB_IMAGE) + f"; Python {sys.version.split()[0]}", flush=True)
    failures = []
    for source in sources:
        runtime = Path(tempfile.mkdtemp(prefix=f"runtime-{source.name[:2]}-", dir=base))
        content = runtime / "content"
        content.mkdir()
        for path in sources:
            shutil.copy2(path, content / path.name)
        os.environ.update(HF_HOME=str(runtime / "hf"), TORCHINDUCTOR_CACHE_DIR=str(runtime / "inductor"),
                          MPLCONFIGDIR=str(runtime / "mpl"))
        notebook = nbformat.read(content / source.name, as_version=4)
        start, stopped = time.perf_counter(), None
        try:
            NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name=kernel,
                           resources={"metadata": {"path": str(content)}}).execute()
        except CellExecutionError:
            pass                                        # the cell's error output says what (below)
        except Exception as exc:  # a dead kernel, a timeout: as much a failure as a raised error
            stopped = f"the run stopped: {type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        problems = [f"cell {index}: {stray}" for index, cell in enumerate(notebook.cells)
                    if (stray := stray_output(cell.get("outputs", [])))]
        problems += [stopped] if stopped else []
        changed = _back_to_the_image(image)
        if changed:
            problems.append("its setup cell changed versions Colab ships: " + ", ".join(changed))
        seconds = time.perf_counter() - start
        verdict = "clean" if not problems else "FAILED: " + "; ".join(problems)
        print(f"[colab] {source.name}: {seconds:.0f} s, {verdict}", flush=True)
        if problems:
            failures.append(source.name)
        shutil.rmtree(runtime, ignore_errors=True)
    print(f"[colab] {len(sources) - len(failures)} of {len(sources)} notebooks ran clean"
          + (f"; failed: {', '.join(failures)}" if failures else ""), flush=True)
    return 1 if failures else 0


# --------------------------------------------------------------------------- the command


LANES = {lane.name: lane for lane in [
    *[Lane(f"py{v}", f"the test command with Python {v} on a fresh clone", python_lane(v)) for v in PYTHONS],
    Lane("colab", f"every notebook on Colab's image (Python {COLAB_PYTHON}, its versions: COLAB_IMAGE), the course "
                  "installed by the setup cell, no checkout; outputs clean, not compared", colab_lane),
    Lane("conda", "the test command with conda on PATH throughout (a stand-in where none exists), notebooks compared", conda_lane),
    Lane("latest", "the newest release of every dependency, notebooks executed and clean, not compared", latest_lane),
    Lane("lowest", "test-lowest: the unit tests with every dependency at its floor", lowest_lane),
    Lane("e2e", "the end-to-end tier (test --e2e): the offline kit, the full profile, 07 online, Colab's "
                "simulation, a real browser, DDP", e2e_lane),
]}


def describe() -> str:
    """The lanes, a line each (``python -m course_utils lane`` with no name)."""
    width = max(len(name) for name in LANES)
    lines = [f"  {name:<{width}}  {lane.proves}" + ("  [ci]" if name in CI_LANES else "") for name, lane in LANES.items()]
    return f"lanes (python -m course_utils lane NAME [NAME ...]; 'ci' for {' and '.join(CI_LANES)}):\n" + "\n".join(lines)


def run_lanes(names: list[str], root: Path = ROOT) -> int:
    """Run each named lane on its own fresh clone, one after another; print a summary. Exit status 1 if any failed."""
    if not names:
        print(describe())
        return 0
    names = [n for name in names for n in (CI_LANES if name == "ci" else [name])]
    unknown = [name for name in names if name not in LANES]
    if unknown:
        raise CourseError(f"no lane named {', '.join(unknown)}. Fix: name one of {', '.join(LANES)} (or 'ci').")
    logs = root / "test-artifacts"
    logs.mkdir(exist_ok=True)
    results = []
    for name in names:
        log = logs / f"lane-{name}.log"
        log.write_text(f"lane {name}: {LANES[name].proves}\n", encoding="utf-8")
        print(f"[lane] {name}: {LANES[name].proves} (log: {log})", flush=True)
        start = time.perf_counter()
        try:
            with fresh_clone(root) as clone:
                status = LANES[name].run(clone, log)
        except (CourseError, subprocess.CalledProcessError, OSError) as exc:
            print(f"[lane] {name}: {exc}", file=sys.stderr, flush=True)
            status = 2
        minutes = (time.perf_counter() - start) / 60
        results.append((name, minutes, status))
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"lane {name}: {minutes:.1f} min, exit {status}\n")
    print("\n".join(f"[lane] {name}: {minutes:.1f} min, {'passed' if status == 0 else f'FAILED (exit {status})'}"
                    for name, minutes, status in results), flush=True)
    return 1 if any(status for _, _, status in results) else 0
