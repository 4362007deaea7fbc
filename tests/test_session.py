"""setup(): profiles, seeds, threads, quiet libraries, front-end detection."""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest

from course_utils import session
from course_utils.errors import CourseError, ProfileError


def test_profile_defaults_follow_the_hardware(monkeypatch):
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    assert session.resolve_profile(gpu=False) == "quick"
    assert session.resolve_profile(gpu=True) == "full"


def test_profile_from_the_environment(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", " FULL ")
    assert session.resolve_profile() == "full"


@pytest.mark.parametrize("bad", ["fast", "gpu", "quick!"])
def test_bad_profile_lists_the_valid_ones(monkeypatch, bad):
    monkeypatch.setenv("COURSE_PROFILE", bad)
    with pytest.raises(ProfileError) as info:
        session.resolve_profile()
    message = str(info.value)
    assert repr(bad) in message and "quick, full" in message and "Fix:" in message
    assert info.value._render_traceback_() == [f"ProfileError: {message}"]


def test_setup_returns_the_config_and_prints_one_line(monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    config = session.setup(seed=3, threads=1)
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [config.summary()]
    assert "device: cpu, 1 threads" in out[0] and "profile: quick" in out[0] and "offline (HF_HUB_OFFLINE=1)" in out[0]
    assert config.pick(quick=1, full=2) == 1 and config.quick and not config.online


def test_setup_seeds_python_numpy_and_torch(monkeypatch):
    import numpy as np
    import torch

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    draws = []
    for _ in range(2):
        session.setup(seed=7, threads=1, verbose=False)
        draws.append((random.random(), float(np.random.rand()), float(torch.rand(1))))
    assert draws[0] == draws[1]


def test_setup_pins_threads(monkeypatch):
    import torch

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("COURSE_THREADS", "1")
    config = session.setup(verbose=False)
    assert config.threads == 1 == torch.get_num_threads()


def test_setup_marks_the_hub_offline_for_libraries_when_probe_fails(monkeypatch):
    from course_utils import hub

    for name in (*hub.OFFLINE_FLAGS, hub.COURSE_SET_OFFLINE, "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(hub, "probe_hub", lambda *a, **k: (False, "no answer within 2 s"))
    config = session.setup(threads=1, verbose=False)
    import os

    assert not config.online and config.online_reason == "Hub no answer within 2 s; the course set HF_HUB_OFFLINE=1 for this kernel"
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_a_second_setup_says_the_course_set_hf_hub_offline_not_the_learner(monkeypatch, capsys):
    """After an offline start, a second setup() (the same kernel, or a worker process it starts) said
    `offline (HF_HUB_OFFLINE=1)` as if the learner had set it. It says what the course set, and why."""
    import os
    import subprocess
    import sys

    from course_utils import hub

    for name in (*hub.OFFLINE_FLAGS, hub.COURSE_SET_OFFLINE, "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(hub, "probe_hub", lambda *a, **k: (False, "no answer within 2 s"))
    session.setup(threads=1)
    first = capsys.readouterr().out
    assert "hub: offline (Hub no answer within 2 s; the course set HF_HUB_OFFLINE=1 for this kernel)" in first
    hub._STATUS.clear()
    again = session.setup(threads=1, verbose=False)
    assert again.online_reason == ("Hub no answer within 2 s; the course set HF_HUB_OFFLINE=1 at an earlier setup(): "
                                   "restart the kernel to try again")
    code = "import course_utils; print(course_utils.setup(threads=1, verbose=False).online_reason)"
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert child.stdout.strip() == again.online_reason, child.stderr[-1500:]
    # What the learner set is named as the learner set it, and the course adds nothing.
    monkeypatch.delenv(hub.COURSE_SET_OFFLINE)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert session.setup(threads=1, verbose=False).online_reason == "HF_HUB_OFFLINE=1"
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.delenv("HF_HUB_OFFLINE")
    reason = session.setup(threads=1, verbose=False).online_reason
    assert reason == "TRANSFORMERS_OFFLINE=1; the course set HF_HUB_OFFLINE=1 for this kernel"
    assert os.environ["HF_HUB_OFFLINE"] == "1" and hub.offline_reason() == "TRANSFORMERS_OFFLINE=1"


def test_setup_with_a_mirror_written_without_https_names_the_fix(monkeypatch):
    from course_utils import hub
    from course_utils.errors import CourseError

    for name in (*hub.OFFLINE_FLAGS, hub.COURSE_SET_OFFLINE):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "hf-mirror.com")
    monkeypatch.setattr(hub, "probe_hub", lambda *a, **k: pytest.fail("probed an address that cannot work"))
    with pytest.raises(CourseError) as caught:
        session.setup(threads=1, verbose=False)
    assert "Fix: set HF_ENDPOINT=https://hf-mirror.com before Python starts" in str(caught.value)
    assert "HF_HUB_OFFLINE" not in os.environ


# --------------------------------------------------------------------------- COURSE_DEVICE

@pytest.mark.parametrize(("value", "cuda", "mps", "expected"), [
    ("", False, False, "cpu"), ("", True, False, "cuda"), ("", False, True, "mps"),
    ("cpu", True, True, "cpu"), (" CPU ", False, True, "cpu"), ("cuda", True, False, "cuda"), ("mps", False, True, "mps"),
])
def test_course_device_pins_the_device(monkeypatch, value, cuda, mps, expected):
    monkeypatch.setenv("COURSE_DEVICE", value)
    assert session.resolve_device(cuda=cuda, mps=mps) == expected


@pytest.mark.parametrize(("value", "words"), [
    ("gpu", "'gpu' is spelled cuda for an NVIDIA GPU"),
    ("tpu", "is not a device the course knows"),
    ("cuda:0", "Valid devices: cpu, cuda, mps"),
])
def test_a_course_device_that_is_not_a_device_names_the_fix(monkeypatch, value, words):
    from course_utils.errors import CourseError

    monkeypatch.setenv("COURSE_DEVICE", value)
    with pytest.raises(CourseError) as caught:
        session.resolve_device(cuda=True, mps=True)
    assert words in str(caught.value) and "Fix: set COURSE_DEVICE=cpu" in str(caught.value)


@pytest.mark.parametrize(("value", "words"), [("cuda", "no usable NVIDIA GPU"), ("mps", "no Apple GPU")])
def test_a_gpu_this_machine_lacks_is_refused_with_the_fix(monkeypatch, value, words):
    from course_utils.errors import CourseError

    monkeypatch.setenv("COURSE_DEVICE", value)
    with pytest.raises(CourseError) as caught:
        session.resolve_device(cuda=False, mps=False)
    assert words in str(caught.value) and "Fix: unset COURSE_DEVICE (or set it to cpu)" in str(caught.value)


def test_setup_on_a_gpu_machine_pinned_to_cpu_prints_what_a_cpu_machine_prints(monkeypatch, capsys):
    """The harness pins COURSE_DEVICE=cpu, so no compared output names the device: on a CUDA machine (or an
    Apple one) setup() prints the CPU line, and the default profile follows the device (quick)."""
    import torch

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    plain = session.setup(threads=1)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    pinned = session.setup(threads=1)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == out[1] and "device: cpu" in out[0] and "profile: quick" in out[0]
    assert pinned == plain and pinned.mixed_precision is None
    monkeypatch.delenv("COURSE_DEVICE")
    assert session.setup(threads=1, verbose=False).device == "cuda"  # unpinned, the GPU is used


def test_setup_refuses_a_pinned_gpu_that_is_absent(monkeypatch):
    import torch

    from course_utils.errors import CourseError

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(CourseError, match="COURSE_DEVICE=cuda, but PyTorch finds no usable NVIDIA GPU"):
        session.setup(threads=1, verbose=False)


@pytest.mark.parametrize(("env", "expected"), [
    ({"COLAB_RELEASE_TAG": "release"}, "colab"),
    ({"CI": "true"}, "ci"),
    ({}, "python"),
])
def test_frontend_detection(monkeypatch, env, expected):
    for name in ("COLAB_RELEASE_TAG", "CI", "JPY_SESSION_NAME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert session.detect_frontend() == expected


def test_output_dir_default_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_OUTPUT_DIR", raising=False)
    assert session.output_dir().name == "outputs"
    monkeypatch.setenv("COURSE_OUTPUT_DIR", str(tmp_path))
    assert session.output_dir() == tmp_path


def test_setup_creates_the_output_folder_so_any_notebook_can_run_first(monkeypatch, tmp_path):
    """08 opened before 07 on a fresh clone: the folder did not exist and torch.save failed."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("COURSE_OUTPUT_DIR", str(tmp_path / "fresh" / "outputs"))
    config = session.setup(verbose=False, threads=1)
    assert config.output_dir.is_dir() and list(config.output_dir.iterdir()) == []


def test_unwritable_output_folder_names_the_fix(monkeypatch, tmp_path):
    from course_utils.errors import CourseError

    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("COURSE_OUTPUT_DIR", str(tmp_path / "a-file"))
    with pytest.raises(CourseError, match="COURSE_OUTPUT_DIR"):
        session.ensure_output_dir()


def test_import_is_light():
    import subprocess
    import sys

    code = "import sys, course_utils; print(sorted(m for m in ('torch','transformers','datasets','matplotlib') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_each_profile_names_one_model_the_same_online_and_offline():
    from course_utils import hub

    assert set(session.MODELS) == set(session.PROFILES)
    config = session.CourseConfig("quick", "cpu", False, "test", "python", 0, 2, Path("."))
    assert config.model_id == "sentence-transformers/all-MiniLM-L6-v2"
    # The quick model is served offline by itself, not by a stand-in: its weights are the Hub's own.
    assert hub.OFFLINE_MODELS[config.model_id].hub_id == config.model_id
    full = session.CourseConfig("full", "cuda", True, "test", "colab", 0, 2, Path("."))
    assert full.model_id == "bert-base-uncased" and hub.OFFLINE_MODELS["bert-base-uncased"].hub_id != "bert-base-uncased"


def test_the_layer_count_checker_asks_the_profiles_model(monkeypatch):
    from course_utils import hub
    from course_utils.checks import check

    asked = []
    real = hub.resolve_model
    monkeypatch.setattr(hub, "resolve_model", lambda repo_id: asked.append(repo_id) or real(repo_id))
    for profile in ("quick", "full"):
        monkeypatch.setenv("COURSE_PROFILE", profile)
        check("06.layer_parameters", 1, quiet=True)
    assert asked == ["sentence-transformers/all-MiniLM-L6-v2", "bert-base-uncased"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's (Linux); elsewhere it only collects")
def test_release_memory_gives_freed_pages_back():
    """Blocks freed below a live one stay with the process (the heap cannot shrink past the live block) until
    release_memory() trims them: what a trained model's freed activations look like to the allocator."""
    import ctypes

    import psutil

    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype, libc.free.argtypes = ctypes.c_void_p, [ctypes.c_void_p]
    process, size = psutil.Process(), 64 * 1024
    blocks = [libc.malloc(size) for _ in range(4000)]  # 250 MB, written so that it is resident
    for block in blocks:
        ctypes.memset(block, 1, size)
    pin = libc.malloc(size)
    ctypes.memset(pin, 1, size)
    for block in blocks:
        libc.free(block)
    held = process.memory_info().rss
    session.release_memory()
    assert process.memory_info().rss < held - 150 * 2**20
    libc.free(pin)


def test_mixed_precision_follows_what_the_device_supports(monkeypatch):
    import torch

    assert session.mixed_precision_for("cpu", bf16_supported=True) is None      # fp32 on a CPU, always
    assert session.mixed_precision_for("mps", bf16_supported=True) is None
    assert session.mixed_precision_for("cuda", bf16_supported=True) == "bf16"   # an A100, H100
    assert session.mixed_precision_for("cuda", bf16_supported=False) == "fp16"  # Colab's T4
    config = session.CourseConfig("full", "cuda", False, "test", "ci", 0, 2, Path("."))
    for native, name, dtype in [(False, "fp16", torch.float16), (True, "bf16", torch.bfloat16)]:
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True, native=native: native)
        assert config.mixed_precision == name and config.autocast_dtype == dtype
    cpu = session.CourseConfig("quick", "cpu", False, "test", "ci", 0, 2, Path("."))
    assert cpu.mixed_precision is None and cpu.autocast_dtype is None


def test_a_course_threads_value_that_only_looks_like_a_number_is_ignored_with_a_warning(monkeypatch):
    """COURSE_THREADS='²' passed str.isdigit() and then int() raised a raw ValueError from setup()."""
    for value in ("²", "½", "4.0"):
        monkeypatch.setenv("COURSE_THREADS", value)
        with pytest.warns(UserWarning, match="is not a whole number from 1 up"):
            assert session.thread_count() == min(os.cpu_count() or 1, 8)


@pytest.mark.parametrize(("variable", "value", "call"), [
    ("COURSE_DEVICE", "\u0441pu", lambda: session.resolve_device(cuda=False, mps=False)),  # a Cyrillic es
    ("COURSE_PROFILE", "qu\u0456ck", lambda: session.resolve_profile()),  # a Ukrainian i
])
def test_a_look_alike_letter_is_shown_as_what_it_is(monkeypatch, variable, value, call):
    """'сpu' with a Cyrillic с was refused with a message that printed it exactly like 'cpu'."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(CourseError) as caught:
        call()
    assert "only look like the letters" in str(caught.value) and ascii(value) in str(caught.value)


def test_full_width_letters_are_read_as_the_letters(monkeypatch):
    """An East Asian input method types ｃｐｕ and ｑｕｉｃｋ; they mean cpu and quick."""
    monkeypatch.setenv("COURSE_DEVICE", "ｃｐｕ")
    monkeypatch.setenv("COURSE_PROFILE", "ｑｕｉｃｋ")
    assert session.resolve_device(cuda=True, mps=False) == "cpu" and session.resolve_profile(gpu=True) == "quick"


@pytest.mark.parametrize("seed", ["abc", -1, 2**40, 1.5, None])
def test_a_seed_that_is_not_one_is_refused_with_the_fix(seed):
    """setup(seed=-1) or seed="abc" ended in NumPy's raw ValueError or TypeError."""
    with pytest.raises(CourseError, match="A seed is a whole number from 0 to 4,294,967,295.*Fix: pass one"):
        session.setup(seed=seed, verbose=False)


def test_a_profile_that_is_not_text_is_refused_with_the_fix():
    with pytest.raises(CourseError, match="must be a name such as 'quick', not int.*Fix:"):
        session.resolve_profile(1)


def test_a_home_that_cannot_be_found_gets_temporary_settings_not_a_traceback(monkeypatch, capsys):
    """A container run with a user id of no passwd entry and no HOME: Path.home() raises RuntimeError, which
    setup() let through."""
    def nowhere():
        raise RuntimeError("Could not determine home directory.")

    for name in ("MPLCONFIGDIR", "IPYTHONDIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(session.Path, "home", staticmethod(nowhere))
    monkeypatch.delitem(sys.modules, "matplotlib", raising=False)
    session.writable_config_dirs()
    assert os.environ["MPLCONFIGDIR"] and "the home folder cannot be written" in capsys.readouterr().out


def test_old_scikit_learns_iprint_warning_is_silenced_and_others_are_not():
    """Colab's scikit-learn 1.6.1 with a newer SciPy warned 'Unknown solver options: iprint' on every
    LogisticRegression fit (07's baselines, on stderr: the Colab lane). quiet_libraries() silences that one."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        session.quiet_libraries()
        warnings.warn("Unknown solver options: iprint", RuntimeWarning)
        warnings.warn("Unknown solver options: maxfun", RuntimeWarning)
    assert [str(w.message) for w in caught] == ["Unknown solver options: maxfun"]


def test_a_cuda_build_without_a_gpu_does_not_log_into_08s_compile_cell():
    """With the CUDA build of torch and no GPU (the Python 3.13 lane here, Colab's CPU runtime), torch.compile
    logged 'No CUDA runtime is found, using CUDA_HOME=...' to stderr in 08. quiet_libraries() keeps it out."""
    import logging

    logger = logging.getLogger("torch.utils.cpp_extension")
    saved = logger.level
    try:
        session.quiet_libraries()
        assert not logger.isEnabledFor(logging.WARNING) and logger.isEnabledFor(logging.ERROR)
    finally:
        logger.setLevel(saved)
