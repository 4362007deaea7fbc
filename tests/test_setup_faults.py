"""Faults of set-up, the offline kit and prefetch that a probe found (issue 40, items 7-10): each reproduced,
each with what it gets now."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course_utils.tools import kit

ROOT = Path(__file__).resolve().parents[1]
APPLEDOUBLE = b"\x00\x05\x16\x07" + bytes(4092)
DS_STORE = b"\x00\x00\x00\x01Bud1" + bytes(100)
posix_only = pytest.mark.skipif(os.name == "nt", reason="symlinks and file modes are POSIX things here")


def hf_kit(root: Path) -> Path:
    """A kit with notebooks, a README and a Hugging Face cache, and its manifest."""
    repo = root / "hf" / "hub" / "models--org--tiny"
    (repo / "snapshots" / "abc").mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc")
    (repo / "snapshots" / "abc" / "config.json").write_text('{"model_type": "bert"}')
    (root / "notebooks").mkdir()
    (root / "notebooks" / "00_welcome.ipynb").write_text("{}")
    (root / "README.md").write_text("the kit's README\n")
    kit.write_manifest(root, {"course_version": "0", "wheel_sets": []})
    return root


# --------------------------------------------------------------------------- the kit never reads outside itself

@posix_only
@pytest.mark.parametrize("where", ["hf/hub/._x", "hf/hub/__pycache__/x.pyc", "hf/hub/.DS_Store", "notebooks/._00_welcome.ipynb"])
def test_a_link_under_an_os_litter_name_is_refused_and_never_copied(tmp_path, where):
    """A link named like OS litter (`._x`, inside `__pycache__/`) once passed verify() and set-up copied the
    outside file's contents into the learner's cache."""
    secret = tmp_path / "secret.txt"
    secret.write_text("the learner's private key")
    root = hf_kit(tmp_path / "kit")
    link = root / where
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(secret)
    assert f"a link, not a file: {where} (a kit holds only plain files)" in kit.verify(root)
    with pytest.raises(kit.KitError, match="nothing was installed"):
        kit.check(root)
    dest = tmp_path / "course"
    kit.copy_hf_cache(root, dest, say=lambda line: None)
    kit.copy_course(root, dest, say=lambda line: None)
    assert "the learner's private key" not in "".join(p.read_text() for p in dest.rglob("*") if p.is_file())


@posix_only
def test_a_linked_folder_in_the_kit_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.txt").write_text("outside")
    root = hf_kit(tmp_path / "kit")
    (root / "hf" / "__pycache__").symlink_to(outside, target_is_directory=True)
    assert kit.verify(root) == ["a link, not a file: hf/__pycache__ (a kit holds only plain files)"]


@posix_only
def test_a_manifest_that_is_a_link_is_not_trusted(tmp_path):
    root = hf_kit(tmp_path / "kit")
    elsewhere = tmp_path / "elsewhere.json"
    (root / kit.MANIFEST).rename(elsewhere)
    (root / kit.MANIFEST).symlink_to(elsewhere)
    with pytest.raises(kit.KitError, match="manifest.json is a link, not a file, so it was not read.*Fix:"):
        kit.check(root)


def test_os_litter_names_with_other_contents_are_refused_and_real_litter_is_never_copied(tmp_path):
    """Files named `._*`, `.DS_Store` or under `__pycache__/` were never refused and were copied into the
    learner's cache. Now only real litter (its own first bytes, a plain file) is passed over, and nothing
    but the files the manifest lists is ever copied."""
    root = hf_kit(tmp_path / "kit")
    (root / "hf" / "hub" / "._evil").write_text("import os  # not an AppleDouble file")
    (root / "hf" / "hub" / ".DS_Store").write_text("not Finder's")
    (root / "hf" / "hub" / "__pycache__").mkdir()
    (root / "hf" / "hub" / "__pycache__" / "x.pyc").write_bytes(b"bytecode")
    assert kit.verify(root) == ["not in the manifest: hf/hub/.DS_Store", "not in the manifest: hf/hub/._evil",
                                "not in the manifest: hf/hub/__pycache__/x.pyc"]
    for path in (root / "hf" / "hub" / "._evil", root / "hf" / "hub" / ".DS_Store", root / "hf" / "hub" / "__pycache__" / "x.pyc"):
        path.unlink()
    (root / "hf" / "hub" / "._config.json").write_bytes(APPLEDOUBLE)  # what a Mac writes on a FAT stick
    (root / "hf" / "hub" / ".DS_Store").write_bytes(DS_STORE)
    assert kit.verify(root) == []
    dest = tmp_path / "course"
    kit.copy_hf_cache(root, dest, say=lambda line: None)
    copied = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert copied == ["hf/hub/models--org--tiny/refs/main", "hf/hub/models--org--tiny/snapshots/abc/config.json"]


# --------------------------------------------------------------------------- nothing a learner wrote is overwritten

def test_the_whole_set_up_keeps_a_cache_entry_a_later_download_updated(tmp_path):
    """Set-up ran copytree(kit/hf, dest/hf, dirs_exist_ok=True) over the learner's cache."""
    root = hf_kit(tmp_path / "kit")
    dest = tmp_path / "course"
    said: list[str] = []
    assert kit.copy_hf_cache(root, dest, said.append) == []
    refs = dest / "hf" / "hub" / "models--org--tiny" / "refs" / "main"
    refs.write_text("def")  # the learner went online later: the Hub's newer commit
    (dest / "hf" / "hub" / "models--org--tiny" / "snapshots" / "def").mkdir()
    assert kit.copy_hf_cache(root, dest, said.append) == ["hf/hub/models--org--tiny/refs/main"]
    assert refs.read_text() == "def" and any("kept your cache's hf/hub/models--org--tiny/refs/main" in line for line in said)


@posix_only
def test_a_read_only_kit_gives_a_writable_course_and_a_second_set_up_works(tmp_path):
    """A kit on a CD or a write-protected stick: its read-only modes were copied, so the learner's cache was
    read-only and the second set-up ended in shutil.Error."""
    root = hf_kit(tmp_path / "kit")
    for path in sorted(root.rglob("*"), reverse=True):
        path.chmod(0o555 if path.is_dir() else 0o444)
    root.chmod(0o555)
    try:
        dest = tmp_path / "course"
        for _ in range(2):
            assert kit.copy_hf_cache(root, dest, say=lambda line: None) == []
            assert kit.copy_course(root, dest, say=lambda line: None) == []
        for path in dest.rglob("*"):
            assert path.stat().st_mode & stat.S_IWUSR, f"{path} was copied read-only"
    finally:
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)


# --------------------------------------------------------------------------- set-up run from inside the kit

def test_setup_from_inside_the_kit_puts_the_course_beside_it(tmp_path):
    root = hf_kit(tmp_path / "kit")
    assert kit.default_dest(root, cwd=root) == tmp_path / kit.DEFAULT_DEST_NAME
    assert kit.default_dest(root, cwd=root / "notebooks") == tmp_path / kit.DEFAULT_DEST_NAME
    assert kit.default_dest(root, cwd=tmp_path / "elsewhere") == tmp_path / "elsewhere" / kit.DEFAULT_DEST_NAME
    with pytest.raises(kit.KitError, match="is inside the kit.*Fix: choose a folder outside it"):
        kit.setup_from_kit(root, root / kit.DEFAULT_DEST_NAME, say=lambda line: None)
    assert not (root / kit.DEFAULT_DEST_NAME).exists()


def test_a_course_set_up_inside_a_kit_is_named_once_not_in_hundreds_of_lines(tmp_path):
    root = hf_kit(tmp_path / "kit")
    inside = root / kit.DEFAULT_DEST_NAME
    for i in range(500):
        (inside / "notebooks" / f"{i}.txt").parent.mkdir(parents=True, exist_ok=True)
        (inside / "notebooks" / f"{i}.txt").write_text("x")
    assert kit.verify(root) == [f"not in the manifest: {kit.DEFAULT_DEST_NAME}/ (a folder of 500 files) "
                                "(the course set up inside the kit? move that folder out of the kit)"]


def test_the_kit_script_run_from_inside_the_kit_says_where_the_course_goes(tmp_path, monkeypatch, capsys):
    root = hf_kit(tmp_path / "kit")
    monkeypatch.chdir(root)
    ran = []
    monkeypatch.setattr(kit, "setup_from_kit", lambda kit_dir, dest, say=print: ran.append(dest) or Path(sys.executable))
    assert kit.main(["--kit", str(root)]) == 0
    assert ran == [tmp_path / kit.DEFAULT_DEST_NAME]
    assert f"the course goes in {tmp_path / kit.DEFAULT_DEST_NAME}" in capsys.readouterr().out


def test_ctrl_c_in_the_kit_script_is_one_line(tmp_path, monkeypatch, capsys):
    root = hf_kit(tmp_path / "kit")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(kit, "setup_from_kit", interrupted)
    assert kit.main(["--kit", str(root), "--dest", str(tmp_path / "course")]) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().startswith("stopped (Ctrl-C)")


# --------------------------------------------------------------------------- huge manifests

def test_a_million_entry_manifest_is_refused_in_one_line(tmp_path):
    """A 1,000,000-entry manifest printed 36 MB of problems."""
    root = tmp_path / "kit"
    root.mkdir()
    entry = {"size": 1, "sha256": "0" * 64}
    (root / kit.MANIFEST).write_text(json.dumps({"kit_format": 1, "files": {f"f/{i}": entry for i in range(1_000_000)}}))
    start = time.perf_counter()
    with pytest.raises(kit.KitError) as caught:
        kit.check(root)
    assert time.perf_counter() - start < 10
    message = str(caught.value)
    assert message.startswith("manifest.json is 10") and "MB" in message and "Fix:" in message and len(message) < 400
    short = {f"{i}": entry for i in range(200_000)}  # under the size limit: refused by its count of entries
    (root / kit.MANIFEST).write_text(json.dumps({"kit_format": 1, "files": short}, separators=(",", ":")))
    with pytest.raises(kit.KitError, match="lists 200,000 files; a kit has a few thousand, so nothing was checked"):
        kit.check(root)


def test_many_problems_are_capped(tmp_path):
    root = tmp_path / "kit"
    root.mkdir()
    entry = {"size": 1, "sha256": "0" * 64}
    (root / kit.MANIFEST).write_text(json.dumps({"kit_format": 1, "files": {f"f/{i:05d}": entry for i in range(5000)}}))
    with pytest.raises(kit.KitError) as caught:
        kit.check(root)
    lines = str(caught.value).splitlines()
    assert sum(line.strip().startswith("missing: ") for line in lines) == kit.MAX_LISTED
    assert "  ... and 4,970 more problems" in lines and len(str(caught.value)) < 3000


# --------------------------------------------------------------------------- prefetch

@pytest.fixture
def quick_prefetch(monkeypatch, tmp_path):
    """prefetch with its slow parts replaced (the course wheel, the wheels, the Hub files): what it copies,
    where it stops and what it keeps are the real code."""
    from course_utils.tools import prefetch

    def fake_wheel(root, dest):
        return _wheel(dest, "course-utils", "0.0.0")  # a real (tiny) wheel: prefetch refuses one that is not a zip

    def fake_wheels(course_wheel, dest, say=print):
        dest.mkdir(parents=True, exist_ok=True)
        (dest / course_wheel.name).write_bytes(course_wheel.read_bytes())
        return [dest / course_wheel.name]

    monkeypatch.setattr(prefetch, "build_course_wheel", fake_wheel)
    monkeypatch.setattr(prefetch, "wheels_from_installed", fake_wheels)
    monkeypatch.setattr(prefetch, "gather_hub_files", lambda hub_dir, say=print: {})
    return prefetch


@pytest.mark.parametrize("python, words", [("3.9", "needs Python >= 3.10"), ("3.x", "a version such as 3.11"), ("3.8", "nothing was copied")])
def test_prefetch_refuses_a_python_before_copying_anything(quick_prefetch, tmp_path, python, words):
    """`prefetch --python 3.x` failed only after copying files, then refused its own half-made kit."""
    from course_utils.errors import CourseError

    with pytest.raises(CourseError, match=words):
        quick_prefetch.prefetch(tmp_path / "kit", pythons=[python], say=lambda line: None)
    assert not (tmp_path / "kit").exists()


def test_prefetch_that_stopped_halfway_reuses_its_own_half_made_kit(quick_prefetch, tmp_path, monkeypatch):
    from course_utils.errors import CourseError

    real = quick_prefetch.build_course_wheel

    def no_network(root, dest):
        raise CourseError("`pip download` failed (lines above). Fix: check the network.")

    monkeypatch.setattr(quick_prefetch, "build_course_wheel", no_network)
    folder = tmp_path / "kit"
    with pytest.raises(CourseError, match="pip download"):
        quick_prefetch.prefetch(folder, from_installed=True, say=lambda line: None)
    assert (folder / "notebooks" / "00_welcome.ipynb").is_file() and not (folder / kit.MANIFEST).exists()
    assert quick_prefetch.is_earlier_kit(folder), "its own half-made kit"
    monkeypatch.setattr(quick_prefetch, "build_course_wheel", real)
    quick_prefetch.prefetch(folder, from_installed=True, say=lambda line: None)
    assert kit.verify(folder) == [] and not (folder / quick_prefetch.IN_PROGRESS).exists()


def test_prefetch_again_keeps_what_was_changed_in_the_kit_and_refreshes_the_rest(quick_prefetch, tmp_path):
    """Running prefetch over an earlier kit overwrote its README and notebooks without comparing them."""
    folder = tmp_path / "kit"
    quick_prefetch.prefetch(folder, from_installed=True, say=lambda line: None)
    (folder / "README.md").write_text("the instructor's notes for this room\n")  # edited after prefetch
    notebook = folder / "notebooks" / "00_welcome.ipynb"
    notebook.write_text('{"an older": "copy"}')  # stale, but what the manifest says prefetch wrote: refreshed
    manifest = json.loads((folder / kit.MANIFEST).read_text())
    manifest["files"]["notebooks/00_welcome.ipynb"] = {"size": notebook.stat().st_size, "sha256": kit.sha256_of(notebook)}
    (folder / kit.MANIFEST).write_text(json.dumps(manifest))
    said: list[str] = []
    quick_prefetch.prefetch(folder, from_installed=True, say=said.append)
    assert (folder / "README.md").read_text() == "the instructor's notes for this room\n"
    assert any(line.startswith("kept README.md: it was changed after prefetch wrote it") for line in said)
    assert notebook.read_bytes() == (ROOT / "notebooks" / "00_welcome.ipynb").read_bytes()
    assert kit.verify(folder) == [], "the new manifest describes the kit as it is, the kept README included"


# --------------------------------------------------------------------------- set-up (course_utils.tools.bootstrap)

from course_utils.tools import bootstrap  # noqa: E402
from tests.standin_hub import Behaviour, StandIn, simple_index  # noqa: E402

PYENV = Path.home() / ".pyenv" / "versions"


def _wheel(folder: Path, name: str, version: str, requires: tuple[str, ...] = (), size: int = 0) -> Path:
    """A minimal installable wheel (metadata, and `size` bytes of padding to give it a size)."""
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    info = f"{name.replace('-', '_')}-{version}.dist-info"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name.replace('-', '_')}/__init__.py", "#" * size)
        archive.writestr(f"{info}/METADATA", meta)
        archive.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        archive.writestr(f"{info}/RECORD", "")
    return path


class WheelIndex:
    """A PEP 503 'simple' index on 127.0.0.1 serving the wheels in a folder; `requests` records each path asked."""

    def __init__(self, folder: Path):
        import http.server
        import threading

        self.folder, self.requests = folder, []
        index = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(folder), **kwargs)

            def log_message(self, *args):
                pass

            def send_head(self):
                index.requests.append(self.path)
                parts = self.path.strip("/").split("/")
                if parts[0] == "simple" and len(parts) >= 2:
                    project = parts[1].lower().replace("_", "-")
                    links = "".join(f'<a href="/files/{p.name}">{p.name}</a>\n' for p in sorted(folder.glob("*.whl"))
                                    if p.name.split("-")[0].lower().replace("_", "-") == project)
                    body = f"<html><body>{links}</body></html>".encode()
                    self.send_response(200 if links or project == "pip" else 404)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    import io

                    return io.BytesIO(body)
                if parts[0] == "files":
                    self.path = "/" + parts[-1]
                return super().send_head()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/simple"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def pip_alone(monkeypatch, tmp_path):
    """pip with only the test's own settings: this machine's find-links, extra indexes and pip.conf files
    are overridden (PIP_* beats every file; PIP_CONFIG_FILE replaces the user's)."""
    for name in [name for name in os.environ if name.startswith("PIP_")] + ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"]:
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    monkeypatch.setenv("PIP_FIND_LINKS", str(empty))
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.setenv("PIP_DEFAULT_TIMEOUT", "2")
    monkeypatch.setenv("PIP_RETRIES", "0")
    return tmp_path


@pytest.fixture(scope="module")
def scratch_venv(tmp_path_factory) -> Path:
    """A virtual environment with pip (made once for this file's tests)."""
    folder = tmp_path_factory.mktemp("scratch") / ".venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(folder)], check=True, timeout=300)
    return folder


# ----- Ctrl-C

@pytest.mark.skipif(os.name == "nt", reason="a terminal's Ctrl-C is SIGINT to the foreground process group here")
def test_ctrl_c_during_set_up_is_one_line_not_a_traceback(tmp_path):
    """Ctrl-C during set-up printed a 25-line traceback."""
    import signal

    code = ("import sys; from pathlib import Path; from course_utils.tools import bootstrap as b\n"
            "root = Path(sys.argv[1])\n"
            "b.make_plan = lambda root, gpu=None: b.Plan('venv', root / '.venv', [[sys.executable, '-c', "
            "'import time; print(\"working\", flush=True); time.sleep(60)']], 'a long step')\n"
            "sys.exit(b.run_in_environment('test', [], root))\n")
    process = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True, cwd=ROOT)
    assert process.stdout.readline().startswith("[setup]")  # the plan's reason, then the step
    while "working" not in process.stdout.readline():
        pass
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends to the whole foreground group
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.strip().startswith("[setup] stopped (Ctrl-C). Run the same command again to finish")


# ----- the stamp, and the Python a .venv was made with

def _stamped_venv(root: Path, base: list[str]) -> Path:
    for name in ("pyproject.toml", "environment.yml"):
        (root / name).write_text((ROOT / name).read_text())
    subprocess.run([*base, "-m", "venv", "--without-pip", str(root / ".venv")], check=True, timeout=120)
    (root / ".venv" / bootstrap.STAMP_NAME).write_text(json.dumps({"hash": bootstrap.setup_hash(root)}))
    return root / ".venv"


def test_the_stamp_is_not_trusted_past_an_uninstalled_package(tmp_path, monkeypatch):
    """Set-up trusted its stamp after JupyterLab was uninstalled (`No module named jupyterlab` in `lab`)."""
    monkeypatch.setenv("COURSE_USE_VENV", "1")
    monkeypatch.setattr(bootstrap, "index_reachable", lambda url, timeout=5.0: True)
    _stamped_venv(tmp_path, [getattr(sys, "_base_executable", sys.executable)])  # a .venv without the course's packages
    plan = bootstrap.make_plan(tmp_path, gpu=False)
    assert plan.steps and "cannot be imported in .venv now (uninstalled?), so the install steps run again; no conda here" in plan.reason
    assert "jupyterlab" in plan.reason and "torch" in plan.reason
    assert bootstrap.missing_modules(Path(sys.executable)) == [], "the course's own .venv has every module"


@pytest.mark.skipif(not list(PYENV.glob("3.9.*")), reason="needs pyenv's Python 3.9")
def test_a_venv_made_by_python_3_9_is_named_not_a_pip_conflict(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_USE_VENV", "1")
    python39 = sorted(PYENV.glob("3.9.*"))[-1]
    _stamped_venv(tmp_path, [str(python39 / "bin" / "python")])
    with pytest.raises(bootstrap.SetupError) as caught:
        bootstrap.make_plan(tmp_path, gpu=False)
    message = str(caught.value)
    assert f".venv was made by Python {python39.name}, older than the course needs (>= 3.10)" in message
    assert "Fix: delete the .venv folder" in message


#: pyenv's Pythons the course admits, other than the one running the tests (the lanes run them under 3.10 to 3.13).
OTHER_PYTHONS = sorted(path for minor in ("3.10", "3.11", "3.12", "3.13") if minor != "%d.%d" % sys.version_info[:2]
                       for path in PYENV.glob(f"{minor}.*"))


@pytest.mark.skipif(not OTHER_PYTHONS, reason="needs one of pyenv's Pythons 3.10 to 3.13 other than this one")
def test_a_venv_made_by_another_python_is_kept_and_said(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_USE_VENV", "1")
    monkeypatch.setattr(bootstrap, "missing_modules", lambda python, modules=(): [])
    other = OTHER_PYTHONS[-1]
    _stamped_venv(tmp_path, [str(other / "bin" / "python")])
    plan = bootstrap.make_plan(tmp_path, gpu=False)
    assert plan.steps == [] and plan.reason.startswith(f".venv was made by Python {other.name} and is kept")


@posix_only
def test_a_venv_whose_python_is_gone_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_USE_VENV", "1")
    prefix = tmp_path / ".venv"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "pyvenv.cfg").write_text("home = /opt/gone/bin\nversion = 3.11.2\n")
    (prefix / "bin" / "python").symlink_to("/opt/gone/bin/python3.11")
    with pytest.raises(bootstrap.SetupError, match=r"made by Python 3.11.2, which no longer runs.*Fix: delete the .venv"):
        bootstrap.check_venv_python(prefix)


# ----- a read-only checkout, PIP_USER, PIP_TARGET

def test_a_read_only_checkout_is_named(tmp_path, monkeypatch):
    """A read-only checkout got the generic 'no network, use a kit' fix."""
    for name in ("pyproject.toml", "environment.yml"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    monkeypatch.setenv("COURSE_USE_VENV", "1")
    monkeypatch.setattr(bootstrap, "index_reachable", lambda url, timeout=5.0: True)
    real = bootstrap.tempfile.TemporaryFile

    def read_only(*args, dir=None, **kwargs):  # what the OS says on a read-only mount (root ignores chmod)
        if dir is not None and Path(dir) == tmp_path:
            raise OSError(30, "Read-only file system")
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(bootstrap.tempfile, "TemporaryFile", read_only)
    with pytest.raises(bootstrap.SetupError) as caught:
        bootstrap.ensure_environment(tmp_path, quiet=True)
    message = str(caught.value)
    assert f"The course folder {tmp_path} cannot be written" in message and "copy the course into a folder of yours" in message
    assert "kit" not in message and not (tmp_path / ".venv").exists()


def test_pip_user_and_pip_target_are_set_aside_and_said(scratch_venv, pip_alone, monkeypatch):
    """PIP_USER=1 made pip refuse the venv; PIP_TARGET put 878 MB of torch outside .venv."""
    wheels = pip_alone / "wheels"
    _wheel(wheels, "tiny-course-dep", "1.0")
    python = str(bootstrap.env_python(scratch_venv))
    command = [python, "-m", "pip", "install", "--dry-run", "--no-index", "--find-links", str(wheels), "tiny-course-dep"]
    hostile = {**os.environ, "PIP_USER": "1", "PIP_TARGET": str(pip_alone / "elsewhere")}
    before = subprocess.run(command, capture_output=True, text=True, env=hostile, timeout=120)
    assert before.returncode != 0 and "--user" in before.stderr  # what the learner met
    said: list[str] = []
    env = bootstrap.pip_step_environment(said.append, hostile)
    after = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert after.returncode == 0, after.stderr
    assert env["PIP_USER"] == "0" and "PIP_TARGET" not in env
    assert any(line.startswith("PIP_USER=1 is set; set-up ignores it") for line in said)
    assert any(line.startswith(f"PIP_TARGET={pip_alone / 'elsewhere'} is set; set-up ignores it") and "outside" in line for line in said)


def test_a_pip_conf_that_installs_elsewhere_is_named(scratch_venv, pip_alone, monkeypatch):
    config = pip_alone / "pip.conf"
    config.write_text(f"[install]\ntarget = {pip_alone / 'elsewhere'}\nuser = true\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    settings = bootstrap.pip_settings(str(bootstrap.env_python(scratch_venv)), dict(os.environ))
    assert settings["target"] == (str(pip_alone / "elsewhere"), f"{config} [install]")
    with pytest.raises(bootstrap.SetupError, match=rf"pip is configured to install into {pip_alone / 'elsewhere'} .*in {config} \[install\].*Fix: delete that `target` line"):
        bootstrap.check_pip_settings(settings)


# ----- the configured index, for every step (issue 36 item 6), and why a pip step failed (issue 40 item 8)

@pytest.fixture
def index_with_wheels(pip_alone):
    folder = pip_alone / "index"
    _wheel(folder, "tiny-course-dep", "1.0")
    _wheel(folder, "tiny-course-dep", "2.0")
    _wheel(folder, "torch", "2.13.0", requires=("nvidia-cublas-cu12",), size=3_000_000)  # PyPI's Linux torch: the CUDA build
    _wheel(folder, "nvidia-cublas-cu12", "12.9.1")
    index = WheelIndex(folder)
    yield index
    index.close()


def test_the_configured_index_is_read_as_pip_reads_it(scratch_venv, pip_alone, monkeypatch):
    config = pip_alone / "pip.conf"
    config.write_text("[global]\nindex-url = https://pypi.tuna.tsinghua.edu.cn/simple\n[install]\nextra-index-url = https://mirrors.aliyun.com/pypi/simple\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    python = str(bootstrap.env_python(scratch_venv))
    settings = bootstrap.pip_settings(python, dict(os.environ))
    assert settings["index-url"] == ("https://pypi.tuna.tsinghua.edu.cn/simple", f"{config} [global]")
    assert settings["extra-index-url"] == ("https://mirrors.aliyun.com/pypi/simple", f"{config} [install]")
    monkeypatch.setenv("PIP_INDEX_URL", "https://mirrors.ustc.edu.cn/pypi/simple")
    assert bootstrap.pip_settings(python, dict(os.environ))["index-url"] == ("https://mirrors.ustc.edu.cn/pypi/simple", "PIP_INDEX_URL")


def test_an_index_that_answers_is_used_for_every_step_the_torch_step_included(scratch_venv, index_with_wheels, pip_alone, monkeypatch):
    """The torch step used its own index, not the learner's mirror; where PyTorch's CPU index does not answer
    and no GPU is present, set-up took the CUDA build of several GB without a word."""
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}/whl/cpu"
    config = pip_alone / "pip.conf"
    config.write_text(f"[global]\nindex-url = {index_with_wheels.url}\n")  # a mirror, as TUNA's is configured
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", index_with_wheels.url)  # instead of this machine's local indexes
    monkeypatch.setenv("COURSE_TORCH_CPU_INDEX", dead)
    monkeypatch.setattr(bootstrap.platform, "system", lambda: "Linux")
    python = str(bootstrap.env_python(scratch_venv))
    said: list[str] = []
    steps = bootstrap.torch_steps(python, gpu=False, say=said.append)
    assert steps == [[python, "-m", "pip", "install", bootstrap.TORCH_CPU_SPEC]], "the configured index, no --index-url"
    plan = bootstrap.Plan("venv", scratch_venv, steps + [[python, "-m", "pip", "install", "tiny-course-dep"]], "test")
    bootstrap.run_plan(plan, ROOT, lambda *a: said.append(" ".join(a)))
    note = next(line for line in said if line.startswith("NOTE:"))
    assert f"PyTorch's CPU index ({dead}) does not answer, and the configured index has only the CUDA build of torch 2.13.0" in note
    assert "set-up is about to download it (3 MB) and the 1 CUDA packages it requires (nvidia-cublas-cu12)" in note
    assert "COURSE_TORCH_CPU_INDEX" in note
    asked = index_with_wheels.requests
    assert {"/simple/pip/", "/simple/torch/", "/simple/nvidia-cublas-cu12/", "/simple/tiny-course-dep/"} <= set(asked)
    assert any(path.startswith("/files/torch-2.13.0") for path in asked) and any("tiny_course_dep-2.0" in p for p in asked)
    assert json.loads((scratch_venv / bootstrap.STAMP_NAME).read_text())["hash"]


def test_a_cpu_build_on_the_configured_index_is_said_and_taken(scratch_venv, pip_alone, monkeypatch):
    """This machine's case for Python 3.11: the configured find-links hold torch 2.13.0+cpu."""
    folder = pip_alone / "cpu-index"
    _wheel(folder, "torch", "2.13.0+cpu")
    index = WheelIndex(folder)
    try:
        monkeypatch.setenv("PIP_INDEX_URL", index.url)
        monkeypatch.setenv("PIP_EXTRA_INDEX_URL", index.url)
        python = str(bootstrap.env_python(scratch_venv))
        found = bootstrap.torch_evidence(python, dict(os.environ), {}, ROOT)
    finally:
        index.close()
    said: list[str] = []
    bootstrap.say_torch_build(found, bootstrap.TORCH_CPU_INDEX, said.append, wait=0)
    assert found["cuda"] == [] and said == ["torch 2.13.0+cpu comes from the configured index: a CPU build, as this machine needs"]


def test_an_index_that_refuses_is_named_as_the_cause(scratch_venv, pip_alone, monkeypatch):
    """TUNA's firewall answered pip with 403: pip then says "from versions: none", which reads like a missing package."""
    python = str(bootstrap.env_python(scratch_venv))
    with simple_index(403) as index:
        monkeypatch.setenv("PIP_INDEX_URL", f"{index.url}/simple")
        monkeypatch.setenv("PIP_EXTRA_INDEX_URL", f"{index.url}/simple")
        settings = bootstrap.pip_settings(python, dict(os.environ))
        with pytest.raises(bootstrap.SetupError) as probed:
            bootstrap.probe_indexes(settings, say=lambda line: None)
        # and what pip itself says, when the probe is passed over: the same cause, from pip's log
        with pytest.raises(bootstrap.SetupError) as ran:
            bootstrap.run_steps([[python, "-m", "pip", "install", "not-installed-here"]], ROOT, lambda *a: None, "fix",
                                env=dict(os.environ), settings=settings)
    assert str(probed.value).startswith(f"The package index {index.url}/simple (PIP_INDEX_URL) refuses pip (answered 403)")
    assert '"from versions: none"' in str(probed.value) and "Fix: point pip at another mirror" in str(probed.value)
    assert str(ran.value).startswith(f"The package index {index.url}/simple (PIP_INDEX_URL) offers none of a package pip needs")
    assert "from versions: none" in str(ran.value) and "Fix: point pip at another mirror" in str(ran.value)


def test_an_index_that_stalls_is_named_within_seconds(pip_alone, monkeypatch):
    with StandIn(behaviour=Behaviour(stall_all=True)) as index:
        start = time.perf_counter()
        with pytest.raises(bootstrap.SetupError, match=r"\(pip.conf\) does not answer \(.*\); pip would wait and retry.*Fix: check the network"):
            bootstrap.probe_indexes({"index-url": (f"{index.url}/simple", "pip.conf")}, say=lambda line: None, timeout=1.5)
        assert time.perf_counter() - start < 4


def test_a_locked_version_this_python_lacks_falls_back_and_says_which(scratch_venv, index_with_wheels, pip_alone, monkeypatch):
    monkeypatch.setenv("PIP_INDEX_URL", index_with_wheels.url)
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", index_with_wheels.url)
    lock = pip_alone / "lock.txt"
    lock.write_text("tiny-course-dep==3.0\n")  # locked, and not on this index
    python = str(bootstrap.env_python(scratch_venv))
    install = [python, "-m", "pip", "install", "--dry-run", "--ignore-installed", "tiny-course-dep"]
    said: list[str] = []
    notes = bootstrap.run_steps([install + ["--constraint", str(lock)]], ROOT, lambda *a: said.append(" ".join(a)), "fix",
                                {0: install}, env=dict(os.environ))
    assert len(notes) == 1 and notes[0].startswith("a version the course was tested with cannot be installed here (tiny-course-dep==3.0; Python 3.")
    assert "newest inside the course's ranges" in notes[0] and said[-1] == "$ " + " ".join(install)


@pytest.mark.parametrize("log, words", [
    ("ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device", "The disk is full"),
    ("WARNING: Retrying (Retry(total=0)) after connection broken by 'ReadTimeoutError(...)'\n"
     "ERROR: Could not find a version that satisfies the requirement torch==2.13.0 (from versions: none)", "The network dropped"),
    ("ERROR: Could not install packages due to an OSError: [Errno 13] Permission denied: '/x'", "could not write where it installs"),
])
def test_a_locked_install_that_fails_for_another_reason_never_falls_back(tmp_path, monkeypatch, log, words):
    """Any failure of the locked install (a full disk, a network drop) fell back to unlocked versions and wrote the stamp."""
    ran: list[list[str]] = []
    monkeypatch.setattr(bootstrap, "_run_logged_step", lambda step, root, env: ran.append(step) or (1, log))
    plan = bootstrap.Plan("venv", tmp_path, [["python", "-m", "pip", "install", "-e", ".[dev]", "--constraint", "lock"]], "t",
                          {0: ["python", "-m", "pip", "install", "-e", ".[dev]"]})
    monkeypatch.setattr(bootstrap, "pip_settings", lambda python, env: {})
    monkeypatch.setattr(bootstrap, "probe_indexes", lambda settings, say=print: None)
    with pytest.raises(bootstrap.SetupError, match=words) as caught:
        bootstrap.run_plan(plan, tmp_path, lambda *a: None)
    assert len(ran) == 1, "no fallback" and "Fix:" in str(caught.value)
    assert not (tmp_path / bootstrap.STAMP_NAME).exists(), "no stamp after a failed set-up"


def test_a_network_drop_during_pip_is_read_from_pips_own_log(scratch_venv, pip_alone, monkeypatch):
    python = str(bootstrap.env_python(scratch_venv))
    with StandIn(behaviour=Behaviour(stall_all=True)) as index:
        monkeypatch.setenv("PIP_INDEX_URL", f"{index.url}/simple")
        monkeypatch.setenv("PIP_EXTRA_INDEX_URL", f"{index.url}/simple")
        code, log = bootstrap._run_logged_step([python, "-m", "pip", "install", "not-installed-here"], ROOT, dict(os.environ))
    assert code != 0 and bootstrap.pip_failure(log)[0] == "network"


# ----- two set-ups at once

@pytest.mark.skipif(os.name == "nt", reason="the holder below uses fcntl")
def test_two_set_ups_in_one_folder_take_turns_and_say_so(tmp_path):
    (tmp_path / ".cache").mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a+'); "
                               "fcntl.flock(f, fcntl.LOCK_EX); f.write('4242'); f.flush(); print('held', flush=True); "
                               "time.sleep(3)", str(tmp_path / ".cache" / "course-setup.lock")], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    said: list[str] = []
    with pytest.raises(bootstrap.SetupError, match=r"another set-up \(process 4242\) has been running"):
        with bootstrap.setup_lock(tmp_path, said.append, wait_s=0.5):
            pass
    assert said == ["another set-up is running in this folder (process 4242); waiting for it to finish (Ctrl-C to stop)"]
    start = time.perf_counter()
    with bootstrap.setup_lock(tmp_path, said.append, wait_s=30):
        waited = time.perf_counter() - start
    holder.wait(timeout=30)
    assert 0.5 < waited < 10, "it waited for the first set-up, then went on"


def test_the_whole_kit_set_up_twice_keeps_every_file_of_the_learner(tmp_path, monkeypatch):
    """The promise was tested on copy_course alone; this runs setup_from_kit itself (pip and the venv
    stood in for), twice, with the learner's work in between."""
    root = hf_kit(tmp_path / "kit")
    wheels = root / "wheels" / kit.this_wheel_set()
    wheels.mkdir(parents=True)
    _wheel(wheels, "course-utils", "0.0.0")  # a real (tiny) wheel: set-up refuses one that is not a zip
    kit.write_manifest(root, {"course_version": "0", "wheel_sets": [kit.this_wheel_set()]})
    site = tmp_path / "site"
    site.mkdir()
    ran: list[list[str]] = []
    monkeypatch.setattr(kit, "_run", lambda command, say, **kwargs: ran.append(command))
    monkeypatch.setattr(kit.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, stdout=f"{site}\n"))
    dest = tmp_path / "course"
    kit.setup_from_kit(root, dest, say=lambda line: None)
    notebook, refs = dest / "notebooks" / "00_welcome.ipynb", dest / "hf" / "hub" / "models--org--tiny" / "refs" / "main"
    notebook.write_text('{"cells": ["my answers"]}')
    refs.write_text("def")  # a later online run moved the cache to the Hub's newer commit
    (dest / "README.md").unlink()  # deleted: simply copied again
    said: list[str] = []
    kit.setup_from_kit(root, dest, say=said.append)
    assert notebook.read_text() == '{"cells": ["my answers"]}' and refs.read_text() == "def"
    assert (dest / "README.md").read_text() == "the kit's README\n"
    assert "kept your own notebooks/00_welcome.ipynb (the kit's copy differs; rename yours and run again to get the kit's)" in said
    assert any(line.startswith("kept your cache's hf/hub/models--org--tiny/refs/main") for line in said)
    assert (site / kit.OFFLINE_PTH).is_file() and [command[-1] for command in ran][-1] == f"{kit.PACKAGE}[{kit.LEARNER_EXTRA}]"


def test_a_set_up_that_fell_back_says_so_on_every_later_run(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_USE_VENV", "1")
    monkeypatch.setattr(bootstrap, "missing_modules", lambda python, modules=(): [])
    venv = _stamped_venv(tmp_path, [getattr(sys, "_base_executable", sys.executable)])
    note = ("a version the course was tested with cannot be installed here (torch==2.13.0; Python 3.13.0), so set-up "
            "takes the newest inside the course's ranges: every notebook works, a few printed numbers may differ")
    (venv / bootstrap.STAMP_NAME).write_text(json.dumps({"hash": bootstrap.setup_hash(tmp_path), "unlocked": note}))
    plan = bootstrap.make_plan(tmp_path, gpu=False)
    assert plan.steps == [] and plan.reason.endswith(".venv is up to date (set up unlocked: torch==2.13.0)")
