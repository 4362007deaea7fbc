"""One-command set-up: ``python -m course_utils lab`` and ``python -m course_utils test``.

This module uses the standard library only, so it runs on a fresh clone with nothing but
Python >= 3.10. It builds (or reuses) the course environment and then runs JupyterLab or the
test suite inside it:

* where ``conda`` exists: the conda environment described by ``environment.yml``;
* elsewhere: a virtual environment in ``.venv`` at the repository root, filled with pip;
* a ``.venv`` from an earlier set-up is kept even when conda is installed later (``COURSE_USE_CONDA=1``
  switches to conda, ``COURSE_USE_VENV=1`` forces the venv).

Set-up is idempotent: a stamp file inside the environment records a hash of the files that
define it, so a second run skips every install step and starts in seconds (once it has checked that
the course's modules can still be imported there). Where no NVIDIA GPU is present on Linux the CPU
build of torch is installed first (a bare ``torch`` requirement would pull a CUDA build of several GB).

pip runs with the learner's own settings (a mirror in pip.conf or PIP_INDEX_URL serves every step),
without those that send packages elsewhere (PIP_USER, PIP_TARGET...). Before pip starts, the index is
probed and a refusing or silent one is named; a failed step is read from pip's log, so a full disk or a
dropped network is named and only a locked version missing here falls back to the newest in range. One
set-up runs at a time in a folder, and Ctrl-C ends it with one line.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import CourseError
from ..net import index_problem, local_folder  # standard library only, like this module
from ..net import redacted as _redacted
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
#: What the stamp's environment must still import: a stamp is not trusted past an uninstalled package.
REQUIRED_MODULES = ("course_utils", "torch", "transformers", "datasets", "jupyterlab", "ipykernel", "ipywidgets",
                    "matplotlib", "sklearn", "yaml", "pytest", "nbval")
#: pip's index when nothing else is configured.
PYPI_INDEX = "https://pypi.org/simple"
#: How long set-up waits for a package index to answer before saying so (pip itself waits 15 s, five times a package).
INDEX_PROBE_S = 5.0
#: How long a second set-up in the same folder waits for the first (then it stops, saying why).
SETUP_LOCK_WAIT_S = 3600.0
#: pip settings that send packages outside the environment; set-up runs pip without them.
PIP_LOCATION_SETTINGS = ("target", "prefix", "root")
#: Seconds a learner at a terminal gets to stop a download of the CUDA build of torch (0 where nobody watches).
CUDA_NOTICE_S = 10.0


class SetupError(CourseError):
    """A set-up step failed; the message says what to do."""


def check_python(version: tuple[int, ...] = tuple(sys.version_info[:3])) -> None:
    """Refuse a Python older than MIN_PYTHON with a message that names the fix."""
    if tuple(version[:2]) < MIN_PYTHON:
        have = ".".join(str(v) for v in version[:3])
        need = ".".join(str(v) for v in MIN_PYTHON)
        home = os.environ.get("HOME") or os.environ.get("USERPROFILE") or ""
        if find_conda() or (home and any(Path(home, name).is_dir() for name in ("miniforge3", "miniconda3"))):
            # conda is installed (found as set-up finds it, or in its usual folder), but this terminal has not activated it (`auto_activate false`, or a Mac's
            # new terminal finding Apple's Python 3.9 first): its base Python is new enough
            raise SetupError(
                f"This course needs Python >= {need}, but this is Python {have}, and conda is installed. "
                f"Fix: run `conda activate` first (conda's own Python is new enough), then the same command again."
            )
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


def _stamp(prefix: Path) -> dict:
    try:
        data = json.loads((prefix / STAMP_NAME).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _stamp_matches(prefix: Path, wanted: str) -> bool:
    return _stamp(prefix).get("hash") == wanted and env_python(prefix).exists()


def missing_modules(python: Path, modules: tuple[str, ...] = REQUIRED_MODULES) -> list[str]:
    """The `modules` that `python` cannot find (find_spec, nothing imported: about 0.1 s); all of them
    when that Python does not run."""
    code = ("import importlib.util, sys\n"
            "print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))")
    try:
        done = subprocess.run([str(python), "-c", code, *modules], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return list(modules)
    return done.stdout.split() if done.returncode == 0 else list(modules)


def venv_version(prefix: Path) -> tuple[int, ...] | None:
    """The Python version a venv was made with, from its pyvenv.cfg (`version` or `version_info`)."""
    try:
        text = (prefix / "pyvenv.cfg").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(r"^\s*version(?:_info)?\s*=\s*(\d+)\.(\d+)(?:\.(\d+))?", text, re.MULTILINE)
    return tuple(int(part) for part in match.groups() if part is not None) if match else None


def check_venv_folder(prefix: Path) -> None:
    """Refuse a `.venv` that is not a folder (a file, a link to nothing, a link that loops), naming what it is:
    `python -m venv` would only say "File exists"."""
    if not os.path.lexists(prefix) or prefix.is_dir():
        return
    if prefix.is_symlink():
        real = os.path.realpath(prefix)
        state = "loops back on itself" if os.path.islink(real) else "does not exist" if not os.path.exists(real) \
            else "is not a folder"
        what = f"a link to {os.readlink(prefix)}, which {state}"
    else:
        what = "a file"
    raise SetupError(f"{prefix.name} in the course folder is {what}, not an environment, so set-up cannot make the course's "
                     f"environment there. Fix: delete it (`rm {prefix.name}`; Windows: `del {prefix.name}`), or rename it if "
                     "it is yours, then run the same command again.")


def check_venv_python(prefix: Path) -> str:
    """Refuse a .venv whose Python the course cannot use (older than MIN_PYTHON, or gone), naming it;
    return a note when it is another Python than the one running now (it is kept: "" otherwise)."""
    made = venv_version(prefix)
    if made is None:
        return ""
    have = ".".join(map(str, made))
    now = ".".join(map(str, sys.version_info[:3]))
    need = ".".join(map(str, MIN_PYTHON))
    if made[:2] < MIN_PYTHON:
        raise SetupError(f"{prefix.name} was made by Python {have}, older than the course needs (>= {need}): pip there "
                         f"cannot install the course (it reports a conflict about torch or another package). Fix: delete the "
                         f"{prefix.name} folder and run the same command again with this Python ({now}), which makes a new one.")
    python = env_python(prefix)
    try:
        runs = subprocess.run([str(python), "-c", "pass"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        runs = False
    if not runs:
        raise SetupError(f"{prefix.name} was made by Python {have}, which no longer runs ({python} fails: that Python was "
                         f"removed or moved). Fix: delete the {prefix.name} folder and run the same command again.")
    if made[:2] != tuple(sys.version_info[:2]):
        return (f"{prefix.name} was made by Python {have} and is kept (this command runs Python {now}; to set up with "
                f"{now}, delete {prefix.name} and run again); ")
    return ""


def index_reachable(url: str, timeout: float = 5.0) -> bool:
    """True when `url` answers within `timeout` seconds, DNS included (any HTTP status means it answered)."""
    from ..net import head_status  # standard library only, like this module

    return head_status(url, timeout)[0] is not None


def torch_index(gpu: bool, system: str | None = None) -> str:
    """The index torch alone comes from ("" for the configured one). Only Linux needs one: there PyPI's
    torch is the CUDA build (several GB); on macOS and Windows PyPI's torch is the CPU build already, so the
    learner's configured index (a mirror) serves it. COURSE_TORCH_CPU_INDEX names a mirror of PyTorch's CPU
    index ("" to use the configured index)."""
    if gpu or (system or platform.system()) != "Linux":
        return ""
    return os.environ.get("COURSE_TORCH_CPU_INDEX", TORCH_CPU_INDEX)


def torch_steps(python: str, gpu: bool, say=print, system: str | None = None) -> list[list[str]]:
    """pip commands that put the right torch build in place before everything else.

    Without a GPU on Linux, torch alone (``--no-deps``) comes from PyPI's CPU index (``--index-url``): its
    dependencies then come with everything else from the learner's configured index (a mirror such as
    TUNA's), under the lock. Where that index does not answer a quick probe (pip would retry it five times
    for every package), torch comes from the configured index too, and set-up first finds out which build
    that is (``torch_evidence``) and says so before any download."""
    if gpu:
        return []  # the default wheels carry CUDA; pyproject's range picks them
    index = torch_index(gpu, system)
    step = [python, "-m", "pip", "install", TORCH_CPU_SPEC]
    folder = local_folder(index)
    if folder is not None:  # a folder of torch wheels (a copy of the CPU index's, on a stick): no network at all
        return [step + ["--no-deps", "--no-index", "--find-links", str(folder)]]
    if index and not index.startswith(("http://", "https://")):
        raise SetupError(f"COURSE_TORCH_CPU_INDEX is {_redacted(index)!r:.100}, which is neither a web address (https://...) "
                         "nor a folder on this machine, so torch cannot come from it. Fix: set it to a mirror of "
                         f"{TORCH_CPU_INDEX} (with its https://), to a folder of torch wheels, or to \"\" to take torch from "
                         "your own index; then run again.")
    if index and index_reachable(index):
        return [step + ["--no-deps", "--index-url", index]]
    if index:
        say(f"PyTorch's CPU index ({_redacted(index)}) does not answer, so torch comes from the configured index; "
            "set-up first checks which build that is (set COURSE_TORCH_CPU_INDEX to a mirror of the CPU index to avoid this)")
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
        if prefix is not None and _stamp_matches(prefix, wanted) and not missing_modules(env_python(prefix)):
            return Plan("conda", prefix, reason=f"conda environment '{name}' is up to date")
        verb = "update" if prefix is not None else "create"
        steps = [[conda, "env", verb, "--file", str(root / "environment.yml")]]
        steps[0] += ["--prune"] if verb == "update" else ["--yes"]
        prefix = prefix or _conda_envs_dir(conda) / name
        return Plan("conda", prefix, steps, f"conda environment '{name}': {verb}")
    prefix = root / ".venv"
    check_venv_folder(prefix)
    kept += check_venv_python(prefix)
    missing = missing_modules(env_python(prefix)) if _stamp_matches(prefix, wanted) else None
    if missing == []:
        unlocked = _stamp(prefix).get("unlocked")
        return Plan("venv", prefix, reason=kept + ".venv is up to date" + (f" (set up unlocked: {unlocked.split(' (')[1].split(';')[0]})"
                                                                          if isinstance(unlocked, str) and " (" in unlocked else ""))
    if missing:
        kept += (f"set-up was finished once, but {', '.join(missing)} cannot be imported in .venv now "
                 "(uninstalled?), so the install steps run again; ")
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
    why = kept + ("a .venv with pip" if kept.startswith("conda is installed now") else "no conda here, so a .venv with pip") \
        + ("" if gpu else "; no NVIDIA GPU, so the CPU build of torch")
    if fallbacks:
        why += "; the versions the outputs were made with (" + LOCK_FILE + ")"
    return Plan("venv", prefix, steps, why, fallbacks)


def _conda_json(conda: str, *args: str) -> dict:
    """What `conda ARGS --json` says, or a SetupError naming the conda that cannot run (a CONDA_EXE left behind by
    an uninstalled Miniconda, a conda that hangs or prints something else than JSON)."""
    command = [conda, *args, "--json"]
    fix = ("run `conda info` in a terminal and repair conda (or reinstall Miniforge); to set up with a .venv "
           "instead, set COURSE_USE_VENV=1.")
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        why = "did not answer within 120 s" if isinstance(exc, subprocess.TimeoutExpired) else f"cannot run ({type(exc).__name__})"
        raise SetupError(f"conda ({conda}) {why}. Fix: {fix}") from None
    if out.returncode != 0:
        raise SetupError(f"`{' '.join(command[1:])}` failed: {out.stderr.strip()[:300]}. Fix: {fix}")
    try:
        data = json.loads(out.stdout)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise SetupError(f"`conda {' '.join(args)} --json` printed something that is not conda's JSON "
                         f"({out.stdout.strip()[:80]!r}). Fix: {fix}")
    return data


def _conda_prefix(conda: str, name: str) -> Path | None:
    for prefix in _conda_json(conda, "env", "list").get("envs", []) or []:
        if Path(prefix).name == name:
            return Path(prefix)
    return None


def _conda_envs_dir(conda: str) -> Path:
    dirs = _conda_json(conda, "info").get("envs_dirs", []) or []
    return Path(dirs[0]) if dirs else Path.home() / ".conda" / "envs"


# --------------------------------------------------------------------------- pip: its settings, its index, its failures

def _shown(step: list[str]) -> str:
    """A command as set-up prints it: a user name and password in any URL of it (a private index's) never shown."""
    return _redacted(" ".join(step))


def pip_config_files(python: str, env: dict[str, str]) -> list[Path]:
    """The configuration files pip reads, in pip's own order of precedence (lowest first): ``pip config debug``
    lists them, so every platform's places (and PIP_CONFIG_FILE) are the ones pip itself uses."""
    try:
        done = subprocess.run([python, "-m", "pip", "config", "debug"], capture_output=True, text=True, timeout=60,
                              env={**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    except (OSError, subprocess.TimeoutExpired):
        return []
    kinds: dict[str, list[Path]] = {}
    kind = ""
    for line in done.stdout.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            kind = line[:-1]
        elif kind in ("global", "user", "site", "env") and line.strip().endswith("exists: True"):
            kinds.setdefault(kind, []).append(Path(line.strip().rsplit(", exists:", 1)[0]))
    if "env" in kinds:  # pip skips the user's files when PIP_CONFIG_FILE names a file that exists
        kinds.pop("user", None)
    return [path for kind in ("global", "user", "site", "env") for path in kinds.get(kind, [])]


def pip_settings(python: str, env: dict[str, str]) -> dict[str, tuple[str, str]]:
    """What pip's install command will use: setting -> (value, where it is set), read as pip reads them
    (every file's [global], then every file's [install], then PIP_* variables, later beating earlier)."""
    sections: dict[str, dict[str, tuple[str, str]]] = {"global": {}, "install": {}}
    for path in pip_config_files(python, env):
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError):
            continue
        for section in sections:
            if parser.has_section(section):
                for key, value in parser.items(section):
                    sections[section][key.replace("_", "-")] = (value.strip(), f"{path} [{section}]")
    settings = {**sections["global"], **sections["install"]}
    for name, value in env.items():
        if name.startswith("PIP_") and name != "PIP_CONFIG_FILE":
            settings[name[4:].lower().replace("_", "-")] = (value, name)
    return settings


def pip_step_environment(say=print, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment set-up's pip steps run in: the learner's own (their index, mirror, proxy and
    certificates are honoured), without the variables that send packages elsewhere (PIP_TARGET put 878 MB
    of torch outside .venv; PIP_USER=1 makes pip refuse to install into a virtual environment), each said."""
    env = dict(os.environ if environ is None else environ)
    for name in ("PIP_USER", *(f"PIP_{key.upper()}" for key in PIP_LOCATION_SETTINGS)):
        value = env.pop(name, None)
        if value is not None and (name != "PIP_USER" or value.lower() not in ("0", "false", "no", "off", "")):
            say(f"{name}={value} is set; set-up ignores it for the course's environment "
                + ("(pip cannot install --user into a virtual environment)" if name == "PIP_USER"
                   else "(it would put the packages outside it, where its Python cannot find them)"))
    env["PIP_USER"] = "0"  # beats `user = true` in a pip.conf too
    return env


def check_pip_settings(settings: dict[str, tuple[str, str]]) -> None:
    """Refuse a pip.conf that sends packages outside the environment (`target`, `prefix`, `root`): an empty
    PIP_TARGET does not override it, so the fix is the learner's."""
    for key in PIP_LOCATION_SETTINGS:
        value, where = settings.get(key, ("", ""))
        if value and not where.startswith("PIP_"):
            raise SetupError(f"pip is configured to install into {value} (`{key} = {value}` in {where}): the course's "
                             "packages (torch alone is 878 MB) would go there, outside the course's environment, where its "
                             f"Python cannot find them. Fix: delete that `{key}` line (or put it under a [freeze] section), then run again.")


def probe_indexes(settings: dict[str, tuple[str, str]], say=print, timeout: float = INDEX_PROBE_S) -> None:
    """Ask each package index pip will use whether it answers, before pip spends minutes on it. The main
    index refusing (401/403: TUNA's firewall has answered pip so) or not answering is a SetupError naming
    it, since pip would then report "from versions: none" or retry five times a package; an extra index
    that refuses is said (pip passes over it)."""
    from ..net import head_status  # standard library only, like this module

    if settings.get("no-index", ("", ""))[0].lower() in ("1", "true", "yes", "on"):
        return
    if settings.get("proxy") and not any(os.environ.get(name) for name in ("HTTPS_PROXY", "https_proxy")):
        say(f"pip uses its own proxy ({settings['proxy'][1]}), so set-up does not probe the package index")
        return
    index, where = settings.get("index-url", (PYPI_INDEX, "pip's default"))
    problem = index_problem(index, where)
    if problem:
        raise SetupError(problem)
    targets = [(url, where, True) for url in index.split()[:1]]
    extra, extra_where = settings.get("extra-index-url", ("", ""))
    targets += [(url, extra_where, False) for url in extra.split()]
    for url, where, main in targets:
        if not url.startswith(("http://", "https://")):
            continue  # a local folder (file://) answers or not without a network
        status, reason = head_status(f"{url.rstrip('/')}/pip/", timeout)
        shown = f"{_redacted(url)} ({where})"
        if status is None:
            raise SetupError(f"The package index {shown} does not answer ({reason}); pip would wait and retry five times "
                             "for every package. Fix: check the network or proxy (HTTPS_PROXY); where that index is blocked, "
                             "point pip at a mirror (`pip config set global.index-url URL`); with no network at all, "
                             "set up from an offline workshop kit (README, 'Running a workshop').")
        if status in (401, 403) and main:
            raise SetupError(f"The package index {shown} refuses pip ({reason}): pip would report \"from versions: none\" "
                             "and \"No matching distribution found\" for every package, although nothing is missing. Fix: point "
                             "pip at another mirror (`pip config set global.index-url URL`, or PIP_INDEX_URL), or unset it to use PyPI.")
        if status in (401, 403):
            say(f"the extra index {shown} refuses pip ({reason}); pip passes over it")


#: What pip's log says when a step failed, and what it means. The first that matches is the cause.
_PIP_CAUSES = (
    ("disk", re.compile(r"No space left on device|\[Errno 28\]|Disk quota exceeded")),
    ("permission", re.compile(r"\[Errno 13\]|\[Errno 30\]|Permission denied|Read-only file system")),
    ("network", re.compile(r"ReadTimeoutError|ConnectTimeoutError|NewConnectionError|ProtocolError|IncompleteRead|"
                           r"Connection broken|Connection reset|Max retries exceeded|ConnectionError|"
                           r"THESE PACKAGES DO NOT MATCH THE HASHES|Temporary failure in name resolution")),
    ("refused", re.compile(r"from versions: none\)")),
    ("unavailable", re.compile(r"Could not find a version that satisfies the requirement (\S+) \(from versions: [^)\s]")),
    ("conflict", re.compile(r"ResolutionImpossible|conflicting dependencies")),
)


def pip_failure(log: str) -> tuple[str, str]:
    """(cause, detail) of a failed pip step from its log: disk, permission, network, refused (the index
    has none of a package: a mirror refusing), unavailable or conflict (a version that does not exist for
    this Python or this machine), or unknown. `detail` is pip's own line."""
    for cause, pattern in _PIP_CAUSES:
        match = pattern.search(log)
        if match:
            start = log.rfind("\n", 0, match.start()) + 1
            end = log.find("\n", match.end())
            line = log[start:end if end >= 0 else len(log)].strip()
            line = re.sub(r"^\d{4}-\d\d-\d\dT\S+ ", "", line)  # pip's log puts a time stamp first
            return cause, _redacted(re.sub(r"^(ERROR|WARNING): ", "", line))[:300]  # pip hides a password, not the user
    errors = [line.strip() for line in log.splitlines() if "ERROR:" in line]
    return "unknown", _redacted(re.sub(r"^\d{4}-\d\d-\d\dT\S+ ", "", errors[-1] if errors else ""))[:300]


def locked_pins(log: str) -> list[str]:
    """The pins a failed resolution blames (pip: "The user requested (constraint) torch==2.13.0")."""
    return list(dict.fromkeys(re.findall(r"The user requested \(constraint\) (\S+)", log)))


def pip_failure_message(cause: str, detail: str, step: list[str], settings: dict[str, tuple[str, str]]) -> str:
    index, where = settings.get("index-url", (PYPI_INDEX, "pip's default"))
    index = f"{_redacted(index.split()[0] if index.split() else PYPI_INDEX)} ({where})"
    said = f" (pip: {detail})" if detail else ""
    command = _shown(step)
    if cause == "disk":
        return (f"The disk is full{said}; nothing was half-installed that a second run does not finish. Fix: free a few "
                "GB (torch alone takes about 1 GB unpacked), then run the same command again.")
    if cause == "permission":
        return (f"pip could not write where it installs{said}. Fix: run set-up as the user who owns the course folder, "
                "or copy the course into a folder of yours (`git clone ... ~/zero-to-finetune`) and run it there.")
    if cause == "network":
        return (f"The network dropped during the download{said}; what was downloaded is kept in pip's cache. Fix: run the "
                f"same command again; behind a slow or blocked link, point pip at a mirror (README, 'Mirrors and proxies').")
    if cause == "refused":
        return (f"The package index {index} offers none of a package pip needs{said}: an index (or mirror) that refuses pip "
                "or does not carry the package answers so, although it exists on PyPI (or the package has no build for "
                f"Python {'.'.join(map(str, sys.version_info[:2]))} on this machine). Fix: point pip at another "
                "mirror (`pip config set global.index-url URL`, or PIP_INDEX_URL), or unset it to use PyPI.")
    return f"This set-up step failed{said}: {command}\nFix: read the lines above; to start clean, delete the .venv folder and run again."


def _run_logged_step(step: list[str], root: Path, env: dict[str, str] | None, quiet: bool = False) -> tuple[int, str]:
    """Run one step with its output on the terminal as usual (none when `quiet`); a pip step also writes its
    full log (PIP_LOG) to a temporary file, read back to tell why it failed."""
    hush = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL} if quiet else {}
    if "pip" not in step[1:4]:
        return subprocess.run(step, cwd=root, env=env, **hush).returncode, ""
    with tempfile.TemporaryDirectory(prefix="course-setup-") as folder:
        log = Path(folder) / "pip.log"
        code = subprocess.run(step, cwd=root, env={**(env or os.environ), "PIP_LOG": str(log)}, **hush).returncode
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return code, text[-200_000:]


def run_steps(steps: list[list[str]], root: Path, say, fix: str, fallbacks: dict[int, list[str]] | None = None,
              env: dict[str, str] | None = None, settings: dict[str, tuple[str, str]] | None = None,
              before: dict[int, object] | None = None, python_version: str = "") -> list[str]:
    """Run each command in `root`, saying it first. A failed pip step is read from its log: the locked
    install falls back to its fallback (the newest versions in range) only when a locked version cannot be
    installed here (none for this Python or this machine), saying which; a full disk, a dropped network or an
    index that refuses is a SetupError that names it, never a fallback. `before[i]` runs just before step i.
    Returns what was said about a fallback ("" items when none)."""
    settings = settings or {}
    notes: list[str] = []
    for index, step in enumerate(steps):
        if before and index in before:
            before[index]()  # type: ignore[operator]
        say("$", _shown(step))
        code, log = _run_logged_step(step, root, env)
        if code == 0:
            continue
        cause, detail = pip_failure(log) if log else ("unknown", "")
        if fallbacks and index in fallbacks and cause in ("unavailable", "conflict"):
            which = ", ".join(locked_pins(log)) if cause == "conflict" and locked_pins(log) else detail or "see pip, above"
            note = (f"a version the course was tested with cannot be installed here ({which}; Python "
                    f"{python_version or '.'.join(map(str, sys.version_info[:3]))}), so set-up takes the newest inside the course's ranges: "
                    "every notebook works, a few printed numbers may differ")
            say(note)
            notes.append(note)
            step = fallbacks[index]
            say("$", _shown(step))
            code, log = _run_logged_step(step, root, env)
            if code == 0:
                continue
            cause, detail = pip_failure(log) if log else ("unknown", "")
        if cause == "unknown":
            raise SetupError(f"This set-up step failed (exit {code}){f' (pip: {detail})' if detail else ''}: "
                             f"{_shown(step)}\nFix: {fix}")
        raise SetupError(pip_failure_message(cause, detail, step, settings))
    return notes


# --------------------------------------------------------------------------- torch: which build the configured index gives

def _sizes(urls: list[str], timeout: float = 5.0) -> int | None:
    """Total bytes of the files at `urls` (local files by their size, web ones by HEAD's Content-Length),
    None when any is unknown; all asked at once, within `timeout` seconds."""
    import urllib.request

    sizes: dict[str, int] = {}

    def ask(url: str) -> None:
        try:
            if url.startswith("file:"):
                sizes[url] = Path(urllib.request.url2pathname(urlsplit(url).path)).stat().st_size
                return
            request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "course-utils-setup"})
            with urllib.request.build_opener().open(request, timeout=timeout) as response:  # noqa: S310
                length = response.headers.get("Content-Length")
                if length and length.isdigit():
                    sizes[url] = int(length)
        except Exception:  # noqa: BLE001 - an unknown size is said as such
            pass

    threads = [threading.Thread(target=ask, args=(url,), daemon=True) for url in urls]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return sum(sizes.values()) if len(sizes) == len(urls) else None


def torch_evidence(python: str, env: dict[str, str], settings: dict[str, tuple[str, str]], root: Path) -> dict:
    """Which torch build the configured index would install, found with pip's own resolver (``--dry-run
    --no-deps --report``: only torch is looked at; where an index serves no separate metadata, pip reads it
    from the torch wheel, which stays in pip's cache for the install): {"version", "cuda": [the CUDA
    packages it requires], "bytes": the torch file's size or None}."""
    with tempfile.TemporaryDirectory(prefix="course-torch-") as folder:
        report = Path(folder) / "report.json"
        step = [python, "-m", "pip", "install", TORCH_CPU_SPEC, "--dry-run", "--no-deps", "--ignore-installed", "--quiet",
                "--report", str(report)]
        code, log = _run_logged_step(step, root, env, quiet=True)
        if code != 0:
            cause, detail = pip_failure(log)
            raise SetupError(pip_failure_message(cause, detail, step, settings))
        items = json.loads(report.read_text(encoding="utf-8")).get("install", [])
    torch = next((item for item in items if item.get("metadata", {}).get("name", "").lower() == "torch"), {})
    requires = [re.match(r"[A-Za-z0-9._-]*", text).group(0).lower() for text in torch.get("metadata", {}).get("requires_dist", [])]
    cuda = sorted({name for name in requires if name.startswith(("nvidia-", "cuda-")) or name == "triton"})
    url = torch.get("download_info", {}).get("url", "")
    return {"version": torch.get("metadata", {}).get("version", "?"), "cuda": cuda, "bytes": _sizes([url]) if url else None}


def say_torch_build(evidence: dict, index: str, say=print, wait: float | None = None) -> None:
    """Say which torch build is coming before any download. A CUDA build on a machine without an NVIDIA GPU is
    said with its size and how to avoid it; set-up then goes on (the course runs on it, on the CPU, and where
    PyTorch's CPU index cannot be reached nothing else installs torch), after `wait` seconds at a terminal."""
    if not evidence["cuda"]:
        say(f"torch {evidence['version']} comes from the configured index: a CPU build, as this machine needs")
        return
    size = "" if not evidence["bytes"] else f" ({evidence['bytes'] / 1e9:.1f} GB)" \
        if evidence["bytes"] >= 1e9 else f" ({evidence['bytes'] / 1e6:.0f} MB)"
    shown = ", ".join(evidence["cuda"][:4]) + (f" and {len(evidence['cuda']) - 4} more" if len(evidence["cuda"]) > 4 else "")
    why = f"PyTorch's CPU index ({_redacted(index)}) does not answer" if index else "COURSE_TORCH_CPU_INDEX is empty"
    say(f"NOTE: {why}, and the configured index has only the CUDA build of torch {evidence['version']} for this "
        f"machine: set-up is about to download it{size} and the {len(evidence['cuda'])} CUDA packages it requires "
        f"({shown}), several GB in all, which a machine without an NVIDIA GPU does not use (the course runs, on the "
        f"CPU). To avoid it: stop now (Ctrl-C), set COURSE_TORCH_CPU_INDEX to a mirror of {TORCH_CPU_INDEX} "
        "(or to a local folder of wheels), and run again.")
    wait = (CUDA_NOTICE_S if sys.stdin is not None and sys.stdin.isatty() and not os.environ.get("CI") else 0) \
        if wait is None else wait
    if wait:
        say(f"going on in {wait:.0f} s")
        time.sleep(wait)


# --------------------------------------------------------------------------- one set-up at a time

def writable(folder: Path) -> bool:
    """True when a file can be made in `folder` (a read-only checkout, a CD or another user's folder: False)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _try_lock(handle) -> bool:
    try:
        if os.name == "nt":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _unlock(handle) -> None:
    try:
        if os.name == "nt":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    except OSError:
        pass


@contextmanager
def setup_lock(root: Path, say=print, wait_s: float = SETUP_LOCK_WAIT_S):
    """One set-up at a time in a course folder: a second one (another terminal, `lab` while `test` sets up)
    says so and waits for the first, then finds its work done. The lock is the operating system's, so a
    set-up that was killed leaves nothing to clean up."""
    folder = root / ".cache"
    path = folder / "course-setup.lock"
    try:
        folder.mkdir(exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        what = folder if not folder.is_dir() else path
        raise SetupError(f"Set-up keeps its lock in {path.relative_to(root)} in the course folder, but {what.name} is in the "
                         f"way ({type(exc).__name__}: {exc.strerror or exc}). Fix: rename or delete {what.relative_to(root)} "
                         "(set-up makes its own), then run again.") from None
    with handle:
        if not _try_lock(handle):
            handle.seek(0)
            other = handle.read().strip()[:40] or "unknown"
            say(f"another set-up is running in this folder (process {other}); waiting for it to finish (Ctrl-C to stop)")
            deadline = time.monotonic() + wait_s
            while not _try_lock(handle):
                if time.monotonic() > deadline:
                    raise SetupError(f"another set-up (process {other}) has been running in {root} for more than "
                                     f"{wait_s / 60:.0f} minutes. Fix: let it finish; if none is running, run again.")
                time.sleep(0.5)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            _unlock(handle)


# --------------------------------------------------------------------------- set-up

FIX = ("read the lines above; to start clean, delete the .venv folder (or `conda env remove -n zero-to-finetune`) "
       "and run again.")


def ensure_environment(root: Path = ROOT, quiet: bool = False) -> Plan:
    """Run the plan's steps (if any) and write the stamp. Returns the plan used. One set-up at a time per
    folder; a read-only folder that needs a .venv, pip settings that send packages elsewhere, an index
    that refuses or does not answer: each a SetupError naming it before pip starts."""
    check_python()
    say = (lambda *a: None) if quiet else (lambda *a: print("[setup]", *a, flush=True))
    if not writable(root):
        plan = make_plan(root)
        if plan.steps and plan.kind == "venv":
            raise SetupError(f"The course folder {root} cannot be written (a read-only checkout, a CD, another user's "
                             "folder), and set-up makes .venv there. Fix: copy the course into a folder of yours "
                             "(`git clone ... ~/zero-to-finetune`, or copy the folder) and run the command there.")
        say(plan.reason)
        return run_plan(plan, root, say) if plan.steps else plan
    with setup_lock(root, say):
        plan = make_plan(root)
        say(plan.reason)
        return run_plan(plan, root, say) if plan.steps else plan


def run_plan(plan: Plan, root: Path, say) -> Plan:
    """Run the plan's steps in pip's step environment: before the first pip step, read pip's settings and
    probe its index (and, where torch comes from the configured index on Linux, say which build that is);
    write the stamp only when every step succeeded."""
    env = pip_step_environment(say)
    first_pip = next((i for i, step in enumerate(plan.steps) if "pip" in step[1:4]), None)
    settings: dict[str, tuple[str, str]] = {}

    def preflight() -> None:
        settings.update(pip_settings(str(plan.python), env))
        check_pip_settings(settings)
        probe_indexes(settings, say)

    def evidence() -> None:
        preflight()
        say_torch_build(torch_evidence(str(plan.python), env, settings, root), torch_index(False), say)

    before: dict[int, object] = {}
    if first_pip is not None:
        step = plan.steps[first_pip]
        needs_evidence = (TORCH_CPU_SPEC in step and "--index-url" not in step and "--find-links" not in step
                          and platform.system() == "Linux")
        before[first_pip] = evidence if needs_evidence else preflight
    made = venv_version(plan.prefix) if plan.kind == "venv" else None
    version = ".".join(map(str, made or sys.version_info[:3]))  # the environment's Python, which pip installs for
    notes = run_steps(plan.steps, root, say, FIX, plan.fallbacks, env=env, settings=settings, before=before,
                      python_version=version)
    stamp = {"hash": setup_hash(root), "python": version}
    if notes:
        stamp["unlocked"] = notes[-1]
    (plan.prefix / STAMP_NAME).write_text(json.dumps(stamp))
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


#: The test command's tiers: {flag: the pytest marker expression it runs}. With no flag, the default tier:
#: the unit tests, every notebook once under nbval and the platform comparisons, within 15 minutes on 2
#: cores with set-up (issue 36). The end-to-end tests (marked ``full``: the offline kit's round trip, the
#: full profile, 07 through the online path, Colab's simulation, a real browser, DDP) are the ``e2e`` lane
#: (``--e2e``); ``--all`` runs both.
TEST_TIERS = {"": "not full", "--e2e": "full", "--all": ""}


def test_tier(args: list[str]) -> tuple[list[str], str]:
    """`args` without the tier flag, and the marker expression of the tier it names (see ``TEST_TIERS``)."""
    flags = [arg for arg in args if arg in TEST_TIERS]
    if len(flags) > 1:
        raise SetupError(f"{' and '.join(flags)} name two tiers. Fix: give one of --e2e or --all (or neither: the default tier).")
    return [arg for arg in args if arg not in TEST_TIERS], TEST_TIERS[flags[0] if flags else ""]


def run_in_environment(action: str, args: list[str], root: Path = ROOT) -> int:
    """Set up, then run JupyterLab at notebook 00 (`lab`) or a tier of the test suite (`test`, ``TEST_TIERS``)."""
    marker = ""
    try:
        if action == "test":
            args, marker = test_tier(args)
        plan = ensure_environment(root)
    except SetupError as exc:
        print(f"[setup] FAILED: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\n[setup] stopped (Ctrl-C). Run the same command again to finish: set-up starts where it stopped "
              "(pip keeps what it downloaded).", file=sys.stderr, flush=True)
        return 130
    python = str(plan.python)
    if action == "lab":
        # containers and cloud VMs often run as root, where JupyterLab refuses to start without --allow-root
        command = [python, "-m", "jupyterlab", f"--ServerApp.root_dir={root}", FIRST_NOTEBOOK, *args, *jupyter_root_args(args)]
    elif action == "test":
        if marker != "not full":   # the end-to-end tier has the real-browser test: Chromium first
            try:
                ensure_chromium(lambda *a: print("[setup]", *a, flush=True))
            except KeyboardInterrupt:
                print("\n[setup] stopped (Ctrl-C) while installing Chromium. Run the same command again to finish "
                      "(the course's environment is ready).", file=sys.stderr, flush=True)
                return 130
        command = [python, "-m", "pytest", *(["-m", marker] if marker else []), *args]   # a -m of the learner's wins
    else:
        raise SetupError(f"unknown action {action!r}. Fix: use 'lab' or 'test'.")
    print("[setup] $", " ".join(command), flush=True)
    try:
        return subprocess.run(command, cwd=root).returncode
    except KeyboardInterrupt:
        return 130
