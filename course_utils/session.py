"""``course_utils.setup()``: the one call at the top of every notebook.

It makes a run reproducible and its output stable: seeds, threads, quiet libraries, one
plotting look with PNG figures, and a single line saying where the notebook runs.
"""

from __future__ import annotations

import logging
import os
import random
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

from .errors import ProfileError

PROFILES = ("quick", "full")
#: What COURSE_DEVICE may name; unset or empty means "the best one here" (cuda, then mps, then cpu).
DEVICES = ("cpu", "cuda", "mps")
DEFAULT_SEED = 0
#: The model each profile fine-tunes, the same online and offline: the quick profile's small BERT
#: (6 layers, 384 wide, bert-base-uncased's vocabulary) ships offline with a verified hash, so a
#: quick run uses the same weights everywhere and the published numbers are what a learner sees.
MODELS = {"quick": "sentence-transformers/all-MiniLM-L6-v2", "full": "bert-base-uncased"}

#: Environment variables read by libraries at import time; set before they are imported.
_QUIET_ENV = {
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "TQDM_DISABLE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


@dataclass(frozen=True)
class CourseConfig:
    """What ``setup()`` decided; notebooks read sizes and paths from it."""

    profile: str
    device: str
    online: bool
    online_reason: str
    frontend: str
    seed: int
    threads: int
    output_dir: Path

    @property
    def quick(self) -> bool:
        """True for the CPU-sized profile."""
        return self.profile == "quick"

    @property
    def model_id(self) -> str:
        """The Hub id of the model this profile fine-tunes (``MODELS``)."""
        return MODELS[self.profile]

    @property
    def mixed_precision(self) -> str | None:
        """The 16-bit autocast this device supports for training: ``"bf16"``, ``"fp16"`` or None.

        ``None`` on a CPU or an Apple GPU (the course trains in fp32 there: bf16 autocast is much
        slower on most laptop CPUs, as notebook 08 measures); on an NVIDIA GPU ``"bf16"`` where it
        has bf16 units (Ampere and newer: A100, H100, RTX 30xx), else ``"fp16"`` (Colab's T4, a V100).
        Pass it on as ``bf16=config.mixed_precision == "bf16", fp16=config.mixed_precision == "fp16"``.
        """
        if self.device != "cuda":
            return None
        import torch

        try:
            native = torch.cuda.is_bf16_supported(including_emulation=False)
        except TypeError:  # torch before 2.3 has no such argument and counts only native support
            native = torch.cuda.is_bf16_supported()
        return mixed_precision_for("cuda", native)

    @property
    def autocast_dtype(self):  # -> torch.dtype | None
        """``torch.bfloat16`` or ``torch.float16`` for ``torch.autocast`` (``mixed_precision``), or None."""
        import torch

        return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.mixed_precision or "")

    def pick(self, quick: object, full: object) -> object:
        """The quick (CPU) or full (GPU) value of a size, written side by side in a config cell."""
        return quick if self.quick else full

    def summary(self) -> str:
        """The one line that ``setup()`` prints."""
        hub = "online" if self.online else f"offline ({self.online_reason})"
        return (
            f"course_utils ready | device: {self.device}, {self.threads} threads | "
            f"profile: {self.profile} | hub: {hub} | seed: {self.seed} | front end: {self.frontend}"
        )


def mixed_precision_for(device: str, bf16_supported: bool) -> str | None:
    """Which 16-bit autocast to train with on `device`: ``"bf16"`` or ``"fp16"`` on CUDA (bf16 where
    the GPU has it natively, since fp16 needs a loss scaler), None elsewhere (fp32)."""
    if device != "cuda":
        return None
    return "bf16" if bf16_supported else "fp16"


def repo_root() -> Path | None:
    """The repository root when course_utils runs from a checkout (editable install), else None."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").exists() and (root / "notebooks").is_dir() else None


def output_dir() -> Path:
    """Where notebooks save models and files: $COURSE_OUTPUT_DIR, default `outputs/` at the repo root."""
    env = os.environ.get("COURSE_OUTPUT_DIR")
    if env:
        return Path(env).expanduser()
    return (repo_root() or Path.cwd()) / "outputs"


def ensure_output_dir() -> Path:
    """``output_dir()``, created if missing, so any notebook can save there first (in any order).
    Raises a ``CourseError`` naming the fix when it cannot be created or written."""
    from .errors import CourseError

    out = output_dir()
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".course-write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise CourseError(f"The course saves models and files in {out}, but it cannot write there "
                          f"({type(exc).__name__}: {exc.strerror or exc}). Fix: set COURSE_OUTPUT_DIR to a folder "
                          "you can write to, e.g. `export COURSE_OUTPUT_DIR=~/course-outputs`, and restart the kernel.") from None
    return out


def _normalized(raw: str) -> str:
    """A setting as typed, compared as meant: spaces and case dropped, full-width letters (an East Asian input
    method's ｑｕｉｃｋ) read as plain ones (Unicode NFKC)."""
    import unicodedata

    return unicodedata.normalize("NFKC", raw).strip().lower()


def _look_alike(raw: str) -> str:
    """A note for a value that is not plain ASCII (a Cyrillic с in 'сpu' prints exactly like 'cpu')."""
    return "" if raw.isascii() else f" (it holds characters that only look like the letters: {ascii(raw)[:60]})"


def resolve_profile(value: str | None = None, gpu: bool = False) -> str:
    """The profile from the argument or COURSE_PROFILE; `quick` without a GPU, `full` with one."""
    raw = value if value is not None else os.environ.get("COURSE_PROFILE", "")
    if not isinstance(raw, str):
        raise ProfileError(f"The course profile must be a name such as 'quick', not {type(raw).__name__} {raw!r:.40}. "
                           "Fix: pass profile='quick' (or 'full'), or leave it out to choose automatically.")
    chosen = _normalized(raw)
    if not chosen:
        return "full" if gpu else "quick"
    if chosen not in PROFILES:
        raise ProfileError(
            f"Unknown course profile {raw!r:.40}{_look_alike(raw)}. Valid profiles: {', '.join(PROFILES)} "
            "('quick' = CPU-sized runs, 'full' = GPU-sized runs). "
            "Fix: set COURSE_PROFILE=quick (or full), or unset it to choose automatically."
        )
    return chosen


def resolve_device(value: str | None = None, cuda: bool | None = None, mps: bool | None = None) -> str:
    """The device the course runs on: `value` or COURSE_DEVICE when set (``cpu``, ``cuda`` or ``mps``),
    else the best one here. Pinning ``cpu`` makes a run, and what it prints, the same on a laptop with
    an Apple GPU, a CUDA machine and a CPU-only one (the test harness does). A name that is not a device,
    or a GPU this machine cannot use, is a ``CourseError`` naming the fix. `cuda` and `mps` say what is
    available (asked of torch when None)."""
    from .errors import CourseError

    raw = value if value is not None else os.environ.get("COURSE_DEVICE", "")
    chosen = _normalized(raw)
    if cuda is None or mps is None:
        import torch

        cuda = torch.cuda.is_available() if cuda is None else cuda
        backend = getattr(torch.backends, "mps", None)
        mps = (backend is not None and backend.is_available()) if mps is None else mps
    if not chosen:
        return "cuda" if cuda else "mps" if mps else "cpu"
    if chosen not in DEVICES:
        hint = " ('gpu' is spelled cuda for an NVIDIA GPU, mps for an Apple one)" if chosen in ("gpu", "nvidia", "apple") \
            else " (the course uses the first GPU; CUDA_VISIBLE_DEVICES=1 picks another)" if chosen.startswith("cuda:") \
            else _look_alike(raw)
        raise CourseError(f"COURSE_DEVICE={raw!r:.40} is not a device the course knows{hint}. Valid devices: "
                          f"{', '.join(DEVICES)}. Fix: set COURSE_DEVICE=cpu (or cuda, or mps), or unset it to use the "
                          "best device here, then restart the kernel.")
    if chosen == "cuda" and not cuda:
        raise CourseError("COURSE_DEVICE=cuda, but PyTorch finds no usable NVIDIA GPU here (no GPU, no driver, or a "
                          "CPU-only build of PyTorch). Fix: unset COURSE_DEVICE (or set it to cpu); for a GPU, run on a "
                          "machine with one (Colab: Runtime > Change runtime type > GPU) and a CUDA build of PyTorch.")
    if chosen == "mps" and not mps:
        raise CourseError("COURSE_DEVICE=mps, but PyTorch finds no Apple GPU here (mps needs an Apple silicon Mac and a "
                          "macOS build of PyTorch). Fix: unset COURSE_DEVICE (or set it to cpu).")
    return chosen


def _in_jupyter_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def detect_frontend() -> str:
    """Where the code runs: colab, ci, jupyterlab, jupyter or python."""
    if "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ:
        return "colab"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return "ci"
    if _in_jupyter_kernel():
        if "JPY_SESSION_NAME" in os.environ or "JUPYTERHUB_USER" in os.environ:
            return "jupyterlab"
        return "jupyter"
    return "python"


def thread_count(threads: int | str | None = None) -> int:
    """How many CPU threads to use: `threads`, else COURSE_THREADS, else all cores up to 8. A value that is
    not a whole number from 1 up, or is more than this machine's cores, is replaced with a warning
    (99,999 threads would crash torch)."""
    cores = os.cpu_count() or 1
    default = min(cores, 8)
    raw = os.environ.get("COURSE_THREADS", "") if threads is None else threads
    if raw in ("", None):
        return default
    text = str(raw).strip()
    if not text.isdecimal() or int(text) < 1:  # isdigit() takes '²', which int() refuses
        warnings.warn(f"COURSE_THREADS={raw!r} is not a whole number from 1 up, so it is ignored: using {default} threads.",
                      UserWarning, stacklevel=3)
        return default
    if int(text) > cores:
        warnings.warn(f"COURSE_THREADS={raw!r} is more than this machine's {cores} cores: using {cores}.",
                      UserWarning, stacklevel=3)
        return cores
    return int(text)


def pin_threads(threads: int | None = None) -> int:
    """Use a fixed number of CPU threads (see ``thread_count``)."""
    import torch

    threads = thread_count(threads)
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # only allowed once, before any parallel work; later calls keep it
        pass
    os.environ["OMP_NUM_THREADS"] = str(threads)
    return threads


def check_seed(seed: object) -> int:
    """`seed` when it is a whole number NumPy takes (0 to 2**32 - 1); else an ``InputError`` naming the fix
    (NumPy's own error for seed=-1, 1.5 or "abc" is a TypeError or ValueError from deep inside it)."""
    from .errors import InputError

    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        shown = f"{seed:,}" if isinstance(seed, int) and not isinstance(seed, bool) else f"{type(seed).__name__} {seed!r:.40}"
        raise InputError(f"A seed is a whole number from 0 to 4,294,967,295 (NumPy's range), not {shown}. "
                         f"Fix: pass one such as seed={DEFAULT_SEED} or seed=42.")
    return seed


def seed_everything(seed: int = DEFAULT_SEED) -> None:
    """Seed Python, NumPy and torch (CPU and GPU) so every run draws the same numbers."""
    check_seed(seed)
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def quiet_libraries() -> None:
    """Silence progress bars and advisory logging so notebook outputs are stable."""
    for key, value in _QUIET_ENV.items():
        os.environ.setdefault(key, value)
    for name in ("transformers", "datasets", "huggingface_hub", "accelerate", "peft", "urllib3", "filelock",
                 # a CUDA build of torch with no GPU (Colab's CPU runtime; set-up's fallback where the CPU index does
                 # not answer): torch.compile logs "No CUDA runtime is found, using CUDA_HOME=..." (the doctor says
                 # which build this is and what to do)
                 "torch.utils.cpp_extension"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if "transformers" in sys.modules:
        import transformers

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
    if "datasets" in sys.modules:
        import datasets

        datasets.disable_progress_bars()
        datasets.logging.set_verbosity_error()
    if "huggingface_hub" in sys.modules:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    # Warnings that say nothing to a learner and differ between machines.
    warnings.filterwarnings("ignore", message=".*Failed to initialize NumPy.*")
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")
    # scikit-learn before 1.7 (Colab ships 1.6.1) passes L-BFGS-B the `iprint` option, which newer SciPy no longer
    # takes: LogisticRegression warns "Unknown solver options: iprint" on every fit, and fits exactly as before.
    warnings.filterwarnings("ignore", message="Unknown solver options: iprint")


def release_memory() -> None:
    """Give the memory of deleted objects back to the operating system, before starting more processes.

    ``del`` drops Python's references and ``gc.collect()`` frees what cycles held, but the C allocator
    keeps freed pages for reuse, so the process looks as large as before; on Linux (glibc, as on Colab)
    ``malloc_trim`` hands them back, and on a GPU PyTorch's cache of freed blocks is emptied.
    """
    import ctypes
    import gc

    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # another C library (musl): nothing to trim
            pass


def writable_config_dirs() -> None:
    """Where the home folder cannot be written (a locked-down lab account, HOME pointing at a file),
    give matplotlib and IPython a private temporary settings folder before they are imported, instead
    of their warnings in every notebook. Says so once."""
    import tempfile

    try:
        home = Path.home()  # RuntimeError where HOME is unset and the user has no passwd entry (a container's uid)
        ok = home.is_dir() and os.access(home, os.W_OK)
    except (OSError, RuntimeError):
        ok = False
    missing = [name for name in ("MPLCONFIGDIR", "IPYTHONDIR") if not os.environ.get(name)]
    if ok or not missing or "matplotlib" in sys.modules:
        return
    folder = Path(tempfile.mkdtemp(prefix="course-settings-"))
    for name in missing:
        os.environ[name] = str(folder / name.lower())
    print(f"note: the home folder cannot be written, so matplotlib and IPython keep their settings in a temporary "
          f"folder this session (set {' and '.join(missing)} to keep them).")


def setup(seed: int = DEFAULT_SEED, profile: str | None = None, threads: int | None = None, verbose: bool = True) -> CourseConfig:
    """Prepare a notebook: seeds, threads, quiet libraries, the course's plot style, hub status.

    Prints one line (device, profile, whether the Hugging Face Hub is reachable) and returns a
    ``CourseConfig``. Call it once, in the first code cell. The device is COURSE_DEVICE's when set
    (``resolve_device``), and the default profile follows it (``full`` on a CUDA GPU).
    """
    from . import hub, plotting

    check_seed(seed)  # before anything is changed
    writable_config_dirs()
    quiet_libraries()
    online, reason = hub.hub_status()
    if not online:
        # Libraries read this only when first imported: set it now so a stock from_pretrained() fails at
        # once instead of retrying for ~50 s. The reason then says that the course set it, not the learner.
        reason = hub.mark_offline(reason)
    late = hub.endpoint_import_problem()
    device = resolve_device()
    chosen = resolve_profile(profile, gpu=device == "cuda")
    used_threads = pin_threads(threads)
    seed_everything(seed)
    plotting.use_course_style()
    out = ensure_output_dir()
    config = CourseConfig(chosen, device, online, reason, detect_frontend(), seed, used_threads, out)
    if verbose:
        print(config.summary())
        if late:
            print(f"note: {late}")
    return config
