"""Bad inputs to set-up, the offline kit and prefetch that a second probe (an attacker's and a confused
learner's) found after issue 40's fixes: each reproduced here, each with what it gets now."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.tools import bootstrap
from tests.standin_hub import simple_index

ROOT = Path(__file__).resolve().parents[1]
posix_only = pytest.mark.skipif(os.name == "nt", reason="symlinks, file modes and fcntl are POSIX things here")


def _wheel(folder: Path, name: str, version: str) -> Path:
    """A minimal installable wheel."""
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{version}-py3-none-any.whl"
    info = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}/__init__.py", "")
        archive.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        archive.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        archive.writestr(f"{info}/RECORD", "")
    return path


@pytest.fixture
def pip_alone(monkeypatch, tmp_path):
    """pip with only the test's own settings (no pip.conf of this machine's, no find-links, no retries)."""
    for name in [name for name in os.environ if name.startswith("PIP_")]:
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    monkeypatch.setenv("PIP_FIND_LINKS", str(empty))
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.setenv("PIP_RETRIES", "0")
    return tmp_path


# --------------------------------------------------------------------------- a private index's password

def test_a_password_in_an_index_url_is_sent_to_the_index_and_never_printed(tmp_path, monkeypatch):
    """COURSE_TORCH_CPU_INDEX with a user name and password (a company's mirror of PyTorch's index) was probed
    without them (urllib took them for part of the host: "does not answer") and printed whole in every
    `$ pip install ... --index-url` line and in the error."""
    said: list[str] = []
    with simple_index(200) as index:
        url = index.url.replace("http://", "http://learner:s3cret@") + "/whl/cpu"
        monkeypatch.setenv("COURSE_TORCH_CPU_INDEX", url)
        steps = bootstrap.torch_steps("python", gpu=False, say=said.append, system="Linux")
    assert steps == [["python", "-m", "pip", "install", bootstrap.TORCH_CPU_SPEC, "--no-deps", "--index-url", url]], \
        "the index answered (asked with its password), so torch comes from it, password and all, as pip needs"
    assert index.behaviour.authorizations and index.behaviour.authorizations[0].startswith("Basic ")
    monkeypatch.setattr(bootstrap, "_run_logged_step", lambda step, root, env, quiet=False: (1, ""))
    with pytest.raises(bootstrap.SetupError) as caught:
        bootstrap.run_steps(steps, tmp_path, lambda *a: said.append(" ".join(a)), "fix")
    shown = "\n".join(said) + str(caught.value)
    assert "s3cret" not in shown and "learner" not in shown and "http://***@127.0.0.1" in shown


def test_pips_own_line_quoted_in_an_error_shows_no_user_name():
    """pip hides a URL's password in its log (`user:****@`) but not the user name; set-up quotes pip's line."""
    cause, detail = bootstrap.pip_failure("2026-05-01T10:00:00 ERROR: Could not find a version that satisfies the "
                                          "requirement torch (from versions: none) at https://learner:****@10.0.0.1/simple\n")
    assert cause == "refused" and "learner" not in detail and "https://***@10.0.0.1/simple" in detail


# --------------------------------------------------------------------------- PIP_INDEX_URL as pip reads it

@pytest.mark.parametrize(("index", "where", "words"), [
    (" https://pypi.tuna.tsinghua.edu.cn/simple ", "PIP_INDEX_URL", "with spaces around it"),
    ("mirrors.aliyun.com/pypi/simple", "PIP_INDEX_URL", "has no https:// in front"),
    ("mirrors.aliyun.com/pypi/simple", "/etc/pip.conf [global]", "has no https:// in front"),
])
def test_an_index_url_pip_cannot_use_as_written_is_named_before_pip_starts(index, where, words):
    """pip takes PIP_INDEX_URL as it is: with spaces, or without https:// (read as a folder here), it finds no
    package and says "from versions: none", which set-up then blamed on a refusing mirror; the probe had
    tidied the value and found the index answering."""
    with pytest.raises(bootstrap.SetupError) as caught:
        bootstrap.probe_indexes({"index-url": (index, where)}, say=lambda line: None)
    message = str(caught.value)
    assert words in message and "Fix:" in message and "from versions: none" in message
    if "no https://" in words:
        assert "https://mirrors.aliyun.com/pypi/simple" in message


def test_pip_really_finds_nothing_at_an_index_url_with_spaces_or_without_a_scheme(pip_alone):
    """What the message above says pip does, shown with pip itself."""
    for index in (" http://127.0.0.1:9/simple ", "127.0.0.1:9/simple"):
        done = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--ignore-installed", "six"], capture_output=True,
                              text=True, timeout=120, env={**os.environ, "PIP_INDEX_URL": index})
        assert done.returncode != 0 and "from versions: none" in done.stdout + done.stderr


def test_a_local_folder_or_file_url_as_the_index_is_not_refused(tmp_path):
    bootstrap.probe_indexes({"index-url": (str(tmp_path), "PIP_INDEX_URL")}, say=lambda line: None)
    bootstrap.probe_indexes({"index-url": (tmp_path.as_uri(), "PIP_INDEX_URL")}, say=lambda line: None)


# --------------------------------------------------------------------------- COURSE_TORCH_CPU_INDEX: a folder of wheels

def test_a_folder_of_torch_wheels_in_course_torch_cpu_index_is_used_without_a_network(pip_alone, tmp_path, monkeypatch):
    """set-up's own notice says COURSE_TORCH_CPU_INDEX may name "a local folder of wheels"; a folder was probed as
    a web address, read as "does not answer", and torch came from the configured index (on Linux, the CUDA build)."""
    folder = tmp_path / "torch-wheels"
    _wheel(folder, "torch", "2.13.0")
    for value in (str(folder), folder.as_uri()):
        monkeypatch.setenv("COURSE_TORCH_CPU_INDEX", value)
        steps = bootstrap.torch_steps(sys.executable, gpu=False, say=lambda line: None, system="Linux")
        assert steps == [[sys.executable, "-m", "pip", "install", bootstrap.TORCH_CPU_SPEC, "--no-deps", "--no-index",
                          "--find-links", str(folder)]]
    done = subprocess.run(steps[0] + ["--dry-run", "--ignore-installed"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Would install torch-2.13.0" in done.stdout, done.stdout + done.stderr
    # ... and no evidence of the configured index's build is asked for: torch does not come from it
    monkeypatch.setattr(bootstrap.platform, "system", lambda: "Linux")
    monkeypatch.setattr(bootstrap, "pip_settings", lambda python, env: {})
    monkeypatch.setattr(bootstrap, "probe_indexes", lambda settings, say=print: None)
    monkeypatch.setattr(bootstrap, "torch_evidence", lambda *a: pytest.fail("asked the configured index which torch"))
    monkeypatch.setattr(bootstrap, "_run_logged_step", lambda step, root, env, quiet=False: (0, ""))
    bootstrap.run_plan(bootstrap.Plan("venv", tmp_path, steps, "test"), tmp_path, lambda *a: None)


@pytest.mark.parametrize("value", ["download.pytorch.org/whl/cpu", " ", "/no/such/folder"])
def test_a_course_torch_cpu_index_that_is_neither_an_address_nor_a_folder_is_named(monkeypatch, value):
    monkeypatch.setenv("COURSE_TORCH_CPU_INDEX", value)
    with pytest.raises(bootstrap.SetupError, match="neither a web address .* nor a folder on this machine.*Fix: set it to a mirror"):
        bootstrap.torch_steps("python", gpu=False, say=lambda line: None, system="Linux")


# --------------------------------------------------------------------------- things in the way in the course folder

def test_a_file_where_set_up_keeps_its_lock_is_named_not_a_traceback(tmp_path):
    """`.cache` as a file in the course folder ended set-up in a raw FileExistsError traceback."""
    (tmp_path / ".cache").write_text("a note of the learner's")
    with pytest.raises(bootstrap.SetupError, match=r"\.cache is in the way .*Fix: rename or delete \.cache"):
        with bootstrap.setup_lock(tmp_path, say=lambda line: None):
            pass
    (tmp_path / ".cache").unlink()
    (tmp_path / ".cache" / "course-setup.lock").mkdir(parents=True)
    with pytest.raises(bootstrap.SetupError, match=r"course-setup\.lock is in the way"):
        with bootstrap.setup_lock(tmp_path, say=lambda line: None):
            pass


@posix_only
@pytest.mark.parametrize(("make", "words"), [
    (lambda venv: venv.write_text("x"), "is a file"),
    (lambda venv: venv.symlink_to("/no/such/venv"), "a link to /no/such/venv, which does not exist"),
    (lambda venv: venv.symlink_to(venv), "which loops back on itself"),
])
def test_a_venv_that_is_not_a_folder_is_named(tmp_path, monkeypatch, make, words):
    """`python -m venv` said only "File exists", and set-up's fix spoke of "the .venv folder"."""
    for name in ("pyproject.toml", "environment.yml"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    monkeypatch.setenv("COURSE_USE_VENV", "1")
    make(tmp_path / ".venv")
    with pytest.raises(bootstrap.SetupError) as caught:
        bootstrap.make_plan(tmp_path, gpu=True)
    assert words in str(caught.value) and "Fix: delete it (`rm .venv`" in str(caught.value)


# --------------------------------------------------------------------------- conda that is gone or broken

def test_a_conda_exe_left_behind_by_an_uninstalled_miniconda_is_passed_over(tmp_path, monkeypatch):
    """CONDA_EXE naming a conda that was removed ended set-up in a raw FileNotFoundError."""
    from course_utils.system import find_conda

    monkeypatch.setenv("CONDA_EXE", str(tmp_path / "miniconda3" / "bin" / "conda"))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("COURSE_USE_VENV", raising=False)
    assert find_conda() is None
    (tmp_path / "conda").write_text("#!/bin/sh\n")
    (tmp_path / "conda").chmod(0o755)
    assert find_conda() == str(tmp_path / "conda")


@posix_only
@pytest.mark.parametrize(("script", "mode", "words"), [
    ('echo "not json"', 0o755, "printed something that is not conda's JSON ('not json')"),
    ('echo "[1, 2]"', 0o755, "printed something that is not conda's JSON"),
    ("", 0o644, "cannot run (PermissionError)"),
])
def test_a_conda_that_cannot_run_or_prints_no_json_is_named(tmp_path, monkeypatch, script, mode, words):
    """A conda printing something other than JSON (a broken install, a shell hook's echo) ended set-up in a raw
    JSONDecodeError."""
    conda = tmp_path / "conda"
    conda.write_text(f"#!/bin/sh\n{script}\n")
    conda.chmod(mode)
    root = tmp_path / "course"
    root.mkdir()
    for name in ("pyproject.toml", "environment.yml"):
        (root / name).write_text((ROOT / name).read_text())
    monkeypatch.setenv("CONDA_EXE", str(conda))
    monkeypatch.delenv("COURSE_USE_VENV", raising=False)
    with pytest.raises(bootstrap.SetupError) as caught:
        bootstrap.make_plan(root, gpu=True)
    assert words in str(caught.value) and "Fix:" in str(caught.value) and "COURSE_USE_VENV=1" in str(caught.value)


# --------------------------------------------------------------------------- Ctrl-C

def test_ctrl_c_while_chromium_is_installed_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bootstrap, "ensure_environment", lambda root: bootstrap.Plan("venv", tmp_path, [], "ready"))

    def interrupted(say=print):
        raise KeyboardInterrupt

    monkeypatch.setattr(bootstrap, "ensure_chromium", interrupted)
    assert bootstrap.run_in_environment("test", ["--e2e"], tmp_path) == 130   # the tier with the browser test
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().startswith("[setup] stopped (Ctrl-C) while installing Chromium")


# --------------------------------------------------------------------------- the kit

from course_utils.errors import CourseError  # noqa: E402
from course_utils.tools import kit  # noqa: E402
from tests.test_setup_faults import hf_kit  # noqa: E402

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def _add_to_manifest(root: Path, rel: str) -> None:
    import json

    manifest = json.loads((root / kit.MANIFEST).read_text())
    manifest["files"][rel] = {"size": 0, "sha256": EMPTY_SHA256}
    (root / kit.MANIFEST).write_text(json.dumps(manifest))


@pytest.mark.parametrize(("name", "words"), [
    ("notebooks/CON", "a name Windows keeps for a device (CON)"),
    ("notebooks/nul.ipynb", "a name Windows keeps for a device (NUL)"),
    ("hf/hub/aux.json", "a name Windows keeps for a device (AUX)"),
    ("notebooks/lpt1", "a name Windows keeps for a device (LPT1)"),
    ("notebooks/a:b.ipynb", "a name Windows cannot hold"),
    ("notebooks/a|b", "a name Windows cannot hold"),
    ("notebooks/x. ", "a name Windows cannot hold"),
    ("notebooks/a\x01b", "a name Windows cannot hold"),
])
def test_a_kit_file_windows_cannot_hold_is_refused_everywhere(tmp_path, name, words):
    """A kit is copied between systems: `notebooks/CON` passed the check on Linux, and on Windows opening it
    reads the console (the check would wait for typing); `a:b` cannot even be copied there."""
    root = hf_kit(tmp_path / "kit")
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_bytes(b"")
    _add_to_manifest(root, name)
    with pytest.raises(kit.KitError, match="malformed or tampered with") as caught:
        kit.check(root)
    assert words in str(caught.value)
    # prefetch's side: a kit holding such a file is never given a manifest
    with pytest.raises(kit.KitError, match="(?s)cannot be in a kit.*Fix: rename them"):
        kit.write_manifest(root, {"course_version": "0", "wheel_sets": []})


def test_a_manifest_that_lists_a_file_twice_is_refused(tmp_path):
    """JSON keeps the last of two equal keys: the first entry of a file listed twice was never checked."""
    root = hf_kit(tmp_path / "kit")
    text = (root / kit.MANIFEST).read_text()
    (root / kit.MANIFEST).write_text(text.replace('"files": {', '"files": {\n  "README.md": {"size": 1, "sha256": "'
                                                 + "0" * 64 + '"},', 1))
    with pytest.raises(kit.KitError, match="(?s)manifest.json lists .README.md. twice.*nothing was read or installed.*Fix:"):
        kit.check(root)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 cut short", b"<html>404 Not Found</html>"])
def test_a_kit_made_with_a_wheel_that_is_not_a_wheel_is_refused_before_installing(tmp_path, monkeypatch, content):
    """A zero-byte (or cut-short) wheel passed the manifest check, since prefetch had written it so; pip then
    said "... is invalid" and set-up's fix was to delete the .venv folder, which cannot help."""
    root = hf_kit(tmp_path / "kit")
    wheels = root / "wheels" / kit.this_wheel_set()
    wheels.mkdir(parents=True)
    _wheel(wheels, "course_utils", "0.0.0")
    (wheels / "six-1.17.0-py3-none-any.whl").write_bytes(content)
    kit.write_manifest(root, {"course_version": "0", "wheel_sets": [kit.this_wheel_set()]})
    monkeypatch.setattr(kit, "_run", lambda *a, **k: pytest.fail("nothing may be installed"))
    with pytest.raises(kit.KitError) as caught:
        kit.setup_from_kit(root, tmp_path / "course", say=lambda line: None)
    message = str(caught.value)
    assert f"not a wheel (not a zip archive): wheels/{kit.this_wheel_set()}/six-1.17.0-py3-none-any.whl" in message
    assert "Fix: ask the instructor for a kit made again" in message and not (tmp_path / "course" / ".venv").exists()


def test_prefetch_refuses_to_finish_a_kit_with_a_wheel_that_is_not_a_wheel(tmp_path, monkeypatch):
    from course_utils.tools import prefetch

    monkeypatch.setattr(prefetch, "build_course_wheel", lambda root, dest: _wheel(dest, "course_utils", "0.0.0"))

    def cut_short(course_wheel, dest, say=print):
        dest.mkdir(parents=True, exist_ok=True)
        (dest / "six-1.17.0-py3-none-any.whl").write_bytes(b"")
        return [dest / "six-1.17.0-py3-none-any.whl"]

    monkeypatch.setattr(prefetch, "wheels_from_installed", cut_short)
    monkeypatch.setattr(prefetch, "gather_hub_files", lambda hub_dir, say=print: {})
    with pytest.raises(CourseError, match="(?s)not wheels, so no manifest was written.*six-1.17.0.*Fix: delete those files"):
        prefetch.prefetch(tmp_path / "kit", from_installed=True, say=lambda line: None)
    assert not (tmp_path / "kit" / kit.MANIFEST).exists() and prefetch.is_earlier_kit(tmp_path / "kit")


def test_prefetch_stopped_by_ctrl_c_or_by_a_name_no_kit_may_hold_is_a_course_error(tmp_path, monkeypatch):
    """Both came out of `python -m course_utils prefetch` as tracebacks (KeyboardInterrupt; kit.KitError, which is
    not a CourseError and so not caught there)."""
    from course_utils.tools import prefetch

    def interrupted(root, dest):
        raise KeyboardInterrupt

    monkeypatch.setattr(prefetch, "build_course_wheel", interrupted)
    with pytest.raises(CourseError, match=r"prefetch stopped \(Ctrl-C\).*Fix: run the same command again"):
        prefetch.prefetch(tmp_path / "kit", from_installed=True, say=lambda line: None)
    monkeypatch.setattr(prefetch, "build_course_wheel", lambda root, dest: _wheel(dest, "course_utils", "0.0.0"))
    monkeypatch.setattr(prefetch, "wheels_from_installed", lambda course_wheel, dest, say=print: [])

    def windows_cannot_hold(hub_dir, say=print):
        (hub_dir / "aux.json").parent.mkdir(parents=True, exist_ok=True)
        (hub_dir / "aux.json").write_text("{}")
        return {}

    monkeypatch.setattr(prefetch, "gather_hub_files", windows_cannot_hold)
    with pytest.raises(CourseError, match=r"(?s)cannot be in a kit.*.hf/hub/aux.json.: a name Windows keeps for a device"):
        prefetch.prefetch(tmp_path / "kit", from_installed=True, say=lambda line: None)


@posix_only
def test_two_kit_set_ups_in_one_folder_take_turns(tmp_path, monkeypatch):
    """Two `python setup_from_kit.py` at once (a learner who ran it twice) both copied and both ran pip into one
    .venv; the kit's set-up now takes the lock `python -m course_utils lab` takes in that folder."""
    import time

    dest = tmp_path / "course"
    (dest / ".cache").mkdir(parents=True)
    assert kit.LOCK_PATH == ".cache/course-setup.lock"
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a+'); "
                               "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(2)",
                               str(dest / kit.LOCK_PATH)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    said: list[str] = []
    start = time.perf_counter()
    with kit.setup_lock(dest, said.append):
        waited = time.perf_counter() - start
    holder.wait(timeout=30)
    assert said == ["another set-up is running in this folder; waiting for it to finish (Ctrl-C to stop)"]
    assert 0.5 < waited < 10
    # and the lock is the one set-up itself takes there: while the kit's set-up holds it, `lab` waits
    with kit.setup_lock(dest, said.append):
        with pytest.raises(bootstrap.SetupError, match="another set-up"):
            with bootstrap.setup_lock(dest, said.append, wait_s=0.5):
                pass


def test_a_venv_file_in_the_course_folder_is_named_by_the_kit(tmp_path, monkeypatch):
    root = hf_kit(tmp_path / "kit")
    wheels = root / "wheels" / kit.this_wheel_set()
    _wheel(wheels, "course_utils", "0.0.0")
    kit.write_manifest(root, {"course_version": "0", "wheel_sets": [kit.this_wheel_set()]})
    dest = tmp_path / "course"
    dest.mkdir()
    (dest / ".venv").write_text("x")
    monkeypatch.setattr(kit, "_run", lambda *a, **k: pytest.fail("nothing may run"))
    with pytest.raises(kit.KitError, match=r"\.venv is a file \(or a link to nothing\), not an environment. Fix: delete it"):
        kit.setup_from_kit(root, dest, say=lambda line: None)


def test_a_copy_cut_short_is_finished_by_the_next_set_up_not_kept_as_the_learners(tmp_path, monkeypatch):
    """Ctrl-C (or a full disk) while the kit's set-up copied a notebook left half of it; the next run found a file
    that differs from the kit's and kept it as the learner's own, truncated, for good."""
    import shutil

    root = hf_kit(tmp_path / "kit")
    (root / "notebooks" / "00_welcome.ipynb").write_text('{"cells": ["' + "x" * 100_000 + '"]}')
    kit.write_manifest(root, {"course_version": "0", "wheel_sets": []})
    dest = tmp_path / "course"
    real = shutil.copyfile

    def cut_short(source, target):
        Path(target).write_bytes(Path(source).read_bytes()[:1000])
        raise KeyboardInterrupt

    monkeypatch.setattr(kit.shutil, "copyfile", cut_short)
    with pytest.raises(KeyboardInterrupt):
        kit.copy_course(root, dest, say=lambda line: None)
    monkeypatch.setattr(kit.shutil, "copyfile", real)
    said: list[str] = []
    assert kit.copy_course(root, dest, said.append) == [] and not any("kept" in line for line in said)
    assert (dest / "notebooks" / "00_welcome.ipynb").read_bytes() == (root / "notebooks" / "00_welcome.ipynb").read_bytes()
    assert sorted(path.name for path in (dest / "notebooks").iterdir()) == ["00_welcome.ipynb"], "no partial file is left"


def test_a_prefetch_write_cut_short_is_refreshed_not_kept_as_the_instructors(tmp_path, monkeypatch):
    """The same in prefetch: a README.md half written when Ctrl-C came was kept by the next run as "changed after
    prefetch wrote it", and went into the manifest half written."""
    from course_utils.tools import prefetch

    earlier: dict[str, str] = {}
    written: dict[str, str] = {}
    real = Path.write_bytes

    def cut_short(self, data):
        real(self, data[:10])
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_bytes", cut_short)
    with pytest.raises(KeyboardInterrupt):
        prefetch.place(b"the course's README, in full\n" * 100, tmp_path, "README.md", earlier, written)
    monkeypatch.setattr(Path, "write_bytes", real)
    assert not (tmp_path / "README.md").exists() and list(tmp_path.iterdir()) == []
    said: list[str] = []
    assert prefetch.place(b"the course's README, in full\n" * 100, tmp_path, "README.md", earlier, written, said.append)
    assert said == [] and (tmp_path / "README.md").read_bytes() == b"the course's README, in full\n" * 100


def test_a_manifest_whose_wheel_sets_is_not_a_list_is_refused(tmp_path):
    """A string wheel_sets passed `name in wheel_sets` as a substring test; a number raised a raw TypeError."""
    import json

    root = hf_kit(tmp_path / "kit")
    for value in (kit.this_wheel_set(), 3, [1]):
        manifest = json.loads((root / kit.MANIFEST).read_text())
        manifest["wheel_sets"] = value
        (root / kit.MANIFEST).write_text(json.dumps(manifest))
        with pytest.raises(kit.KitError, match="wheel_sets is .* not a list of names.*Fix: copy the kit again"):
            kit.check(root)
