"""Bad input and bad luck: each test reproduces one fault a hostile or unlucky user found (issue 20),
and shows it is now handled: nothing lost, nothing let in, nothing hangs, a clear message."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from course_utils import checks, hub
from course_utils.checkers import helpers
from course_utils.tools import kit, prefetch
from course_utils.checks import check
from course_utils.errors import CourseError, ResolutionError
from tests.conftest import put_in_cache, save_tiny_bert


def fake_wheel(folder: Path, version: str) -> Path:
    """A minimal installable wheel of course-utils at `version` (metadata only: enough for pip to choose it)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"course_utils-{version}-py3-none-any.whl"
    info = f"course_utils-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("course_utils/__init__.py", "")
        archive.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: course-utils\nVersion: {version}\n")
        archive.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        archive.writestr(f"{info}/RECORD", "")
    return path


def small_kit(root: Path) -> Path:
    """A kit of the course's format with a few files, and its manifest."""
    (root / "notebooks").mkdir(parents=True)
    (root / "images").mkdir()
    (root / "notebooks" / "00_welcome.ipynb").write_text("{}", encoding="utf-8")
    (root / "images" / "figure.png").write_bytes(b"kit's figure")
    (root / "README.md").write_text("the kit's README\n", encoding="utf-8")
    (root / kit.SETUP_SCRIPT).write_text("# set-up\n", encoding="utf-8")
    kit.write_manifest(root, {"course_version": "0", "wheel_sets": []})
    return root


def _chosen_version(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-1500:]
    report = json.loads(done.stdout[done.stdout.index("{"):])
    return next(item["metadata"]["version"] for item in report["install"] if item["metadata"]["name"] == "course-utils")


# --------------------------------------------------------------------------- damage: the kit and prefetch

@pytest.mark.parametrize("where", ["PIP_FIND_LINKS", "pip.conf"])
def test_kit_setup_installs_only_the_kits_wheels_whatever_pip_settings_say(tmp_path, where):
    """The learner's pip settings point at a folder with a newer course-utils: in a PIP_* variable, or in a
    pip.conf that pip really reads (PIP_CONFIG_FILE names a file written here, with find-links, an index
    that does not exist and no-index off)."""
    wheels, elsewhere = tmp_path / "kit-wheels", tmp_path / "elsewhere"
    fake_wheel(wheels, "0.0.1")
    fake_wheel(elsewhere, "9.9.9")
    base = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    if where == "PIP_FIND_LINKS":
        hostile = {**base, "PIP_FIND_LINKS": str(elsewhere), "PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull}
    else:
        config = tmp_path / "pip.conf"
        config.write_text(f"[global]\nfind-links = {elsewhere}\nno-index = true\n"
                          "[install]\nindex-url = http://127.0.0.1:9/simple\n", encoding="utf-8")
        hostile = {**base, "PIP_CONFIG_FILE": str(config)}
    dry = ("--dry-run", "--ignore-installed", "--no-deps", "--quiet", "--report", "-")
    # What set-up used to run: the learner's settings join the kit's folder and 9.9.9 wins.
    naive = [sys.executable, "-m", "pip", "install", "--no-index", "--find-links", str(wheels), *dry, kit.PACKAGE]
    assert _chosen_version(naive, hostile) == "9.9.9", "the settings are really read by pip"
    # What it runs now: pip isolated from PIP_* variables and every pip.conf.
    assert _chosen_version(kit.pip_install_command(Path(sys.executable), wheels, *dry), kit.pip_environment(hostile)) == "0.0.1"
    assert not any(key.startswith("PIP_") and key not in ("PIP_CONFIG_FILE", "PIP_NO_INPUT", "PIP_DISABLE_PIP_VERSION_CHECK")
                   for key in kit.pip_environment(hostile))
    assert kit.pip_environment(hostile)["PIP_CONFIG_FILE"] == os.devnull


def test_prefetch_never_touches_a_folder_that_only_has_a_manifest_json(tmp_path, monkeypatch):
    folder = tmp_path / "my-project"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"name": "my web app"}', encoding="utf-8")
    (folder / "README.md").write_text("my own notes\n", encoding="utf-8")
    with pytest.raises(CourseError, match="not a kit made by prefetch"):
        prefetch.prefetch(folder, say=lambda line: None)
    assert (folder / "README.md").read_text(encoding="utf-8") == "my own notes\n"
    assert not prefetch.is_earlier_kit(folder)
    assert prefetch.is_earlier_kit(small_kit(tmp_path / "kit"))


def test_prefetch_into_a_file_says_so(tmp_path):
    target = tmp_path / "a-file"
    target.write_text("x")
    with pytest.raises(CourseError, match="is a file"):
        prefetch.prefetch(target, say=lambda line: None)


def test_setup_keeps_every_file_of_the_learner_that_differs(tmp_path):
    source = small_kit(tmp_path / "kit")
    dest = tmp_path / "course"
    (dest / "images").mkdir(parents=True)
    (dest / "README.md").write_text("my notes in the README\n", encoding="utf-8")
    (dest / "images" / "figure.png").write_bytes(b"my own figure")
    lines: list[str] = []
    kept = kit.copy_course(source, dest, lines.append)
    assert sorted(kept) == ["README.md", "images/figure.png"]
    assert (dest / "README.md").read_text(encoding="utf-8") == "my notes in the README\n"
    assert (dest / "images" / "figure.png").read_bytes() == b"my own figure"
    assert (dest / "notebooks" / "00_welcome.ipynb").read_text(encoding="utf-8") == "{}"
    assert any("kept your own README.md" in line for line in lines)
    # Files equal to the kit's are simply there again; a second run keeps the same two.
    assert sorted(kit.copy_course(source, dest, lines.append)) == sorted(kept)


def test_setup_into_a_file_is_refused(tmp_path):
    source = small_kit(tmp_path / "kit")
    target = tmp_path / "a-file"
    target.write_text("x")
    with pytest.raises(kit.KitError, match="is a file"):
        kit.setup_from_kit(source, target, say=lambda line: None)
    assert target.read_text() == "x"


@pytest.mark.parametrize("entry", ["../../../../etc/passwd", "/etc/passwd", "notebooks/../../outside.txt",
                                   "C:/Windows/win.ini", "notebooks\\..\\..\\x", ""])
def test_manifest_paths_outside_the_kit_are_refused_unread(tmp_path, entry):
    root = small_kit(tmp_path / "kit")
    (tmp_path / "outside.txt").write_text("secret")
    manifest = json.loads((root / kit.MANIFEST).read_text())
    manifest["files"][entry] = {"size": 6, "sha256": "0" * 64}
    (root / kit.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(kit.KitError, match="malformed or tampered") as caught:
        kit.check(root)
    assert "bytes" not in str(caught.value)  # the size of a file outside the kit is never revealed


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_a_symlink_in_the_kit_is_refused(tmp_path):
    root = small_kit(tmp_path / "kit")
    (tmp_path / "secret.txt").write_text("secret")
    (root / "notebooks" / "link.txt").symlink_to(tmp_path / "secret.txt")
    kit.write_manifest(root, {"course_version": "0", "wheel_sets": []})  # a tamperer re-hashes the manifest
    with pytest.raises(kit.KitError, match="a link, not a file: notebooks/link.txt"):
        kit.check(root)


@pytest.mark.parametrize("manifest", ['[1, 2]', '{"kit_format": 1, "files": {"a": 3}}',
                                      '{"kit_format": 1, "files": {"a": {"size": "3", "sha256": "x"}}}', "\xff"])
def test_a_malformed_manifest_is_a_clear_error(tmp_path, manifest):
    root = tmp_path / "kit"
    root.mkdir()
    (root / kit.MANIFEST).write_text(manifest, encoding="latin-1")
    with pytest.raises(kit.KitError, match="Fix:"):
        kit.check(root)


def test_verify_only_prints_the_manifests_own_sha256(tmp_path, capsys):
    root = small_kit(tmp_path / "kit")
    assert kit.main(["--kit", str(root), "--verify-only"]) == 0
    out = capsys.readouterr().out
    assert f"manifest.json SHA-256: {kit.sha256_of(root / kit.MANIFEST)}" in out
    assert "damage, not tampering" in out


# --------------------------------------------------------------------------- the Hub: deadlines and messages

class _StallingHub(http.server.BaseHTTPRequestHandler):
    """Answers the probe (HEAD) at once, then never sends a byte for a download (GET)."""

    def do_HEAD(self):  # noqa: N802 - http.server's naming
        self.send_response(200)
        self.end_headers()

    def do_GET(self):  # noqa: N802
        time.sleep(60)

    def log_message(self, *args):
        pass


@pytest.fixture
def stalling_hub(hf_home, monkeypatch):
    import huggingface_hub.constants

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StallingHub)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for name in hub.OFFLINE_FLAGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setattr(hub, "HUB_STALL_S", 1.5)
    yield
    server.shutdown()


def test_a_hub_that_answers_the_probe_then_stalls_cannot_hang_resolution(stalling_hub):
    start = time.perf_counter()
    with pytest.raises(ResolutionError, match=r"the Hub download stalled \(no data for 1.5 s\)"):
        hub.resolve_model("no-such-org/no-such-model")
    assert time.perf_counter() - start < 10
    # An id the course serves offline goes on to its offline copy, and says why the Hub was not used.
    start = time.perf_counter()
    data = hub.load_reviews("stanfordnlp/imdb", verbose=False)
    assert data["train"].num_rows > 0 and time.perf_counter() - start < 15


@pytest.mark.parametrize("bad", ["a" * 5000, "../../etc", "a/b/c", "bert base uncased", "x" * 97])
def test_ids_that_are_not_hub_ids_get_one_clear_line(hf_home, bad):
    for call in (hub.resolve_model, hub.load_reviews):
        with pytest.raises(ResolutionError, match="is not a Hub") as caught:
            call(bad)
        assert len(str(caught.value)) < 400 and "Fix:" in str(caught.value)


def test_a_dangling_refs_main_is_named_not_called_missing(hf_home):
    snapshot = put_in_cache(hf_home, "course-tests/gone", save_tiny_bert)
    shutil.rmtree(snapshot)
    with pytest.raises(ResolutionError) as caught:
        hub.resolve_model("course-tests/gone")
    message = str(caught.value)
    assert "refs/main names snapshot '0123456789ab', which is not there" in message
    assert "hf cache rm model/course-tests/gone" in message and "not in the local" not in message


def test_a_corrupt_cache_entry_replaced_by_the_offline_copy_is_said(hf_home, capsys):
    put_in_cache(hf_home, "bert-base-uncased", lambda folder: (folder / "config.json").write_text("{not json"))
    hub.model_path("bert-base-uncased")
    line = capsys.readouterr().out
    assert line.startswith("bert-base-uncased: offline copy")
    assert "skipped the broken cache entry: config.json is unreadable" in line and "hf cache rm model/bert-base-uncased" in line
    put_in_cache(hf_home, "stanfordnlp/imdb", lambda folder: (folder / "x.parquet").write_text("no"), kind="dataset")
    hub.load_reviews()
    assert "skipped the broken cache entry: it cannot be read as a data set" in capsys.readouterr().out


# --------------------------------------------------------------------------- checkers

def _forever(*args, **kwargs):
    while True:
        pass


def test_an_answer_that_never_returns_is_stopped_with_a_reason(monkeypatch):
    monkeypatch.setattr(checks, "CHECK_TIME_LIMIT_S", 1.0)
    start = time.perf_counter()
    verdict = check("04.mle", _forever, quiet=True)
    assert time.perf_counter() - start < 5
    assert not verdict and "still running after 1 s" in verdict.message


def _forever_asleep(*args, **kwargs):
    while True:  # a hang that holds no CPU: the abandoned thread must not slow the rest of the suite
        time.sleep(0.5)


def test_the_time_limit_holds_outside_the_main_thread_too(monkeypatch):
    monkeypatch.setattr(checks, "CHECK_TIME_LIMIT_S", 1.0)
    verdicts = []
    worker = threading.Thread(target=lambda: verdicts.append(check("04.posterior", _forever_asleep, quiet=True)), daemon=True)
    worker.start()
    worker.join(10)
    assert verdicts and "still running after 1 s" in verdicts[0].message


def test_right_answers_in_numpy_types_are_accepted():
    import numpy as np

    from course_utils.hub import resolve_model

    config = json.loads((resolve_model("bert-base-uncased").path / "config.json").read_text())
    d, ff = config["hidden_size"], config["intermediate_size"]
    right = 4 * (d * d + d) + 4 * d + 2 * d * ff + ff + d
    assert check("06.layer_parameters", np.int64(right), quiet=True)
    assert not check("06.layer_parameters", True, quiet=True)  # a bool is not a count

    def posterior32(prior, hit, false_alarm):
        return np.float32(hit * prior / (hit * prior + false_alarm * (1 - prior)))

    assert check("04.posterior", posterior32, quiet=True)

    def slope32(q, k, n):
        return np.float32(k / q - (n - k) / (1 - q))

    assert check("04.mle", slope32, quiet=True)
    assert check("05.stability_threshold", lambda H: np.float32(2 / np.linalg.eigvalsh(H.numpy()).max()), quiet=True)

    def linear_numpy(x, W, b):
        return x.numpy() @ W.numpy().T + b.numpy()

    assert check("03.linear", linear_numpy, quiet=True)

    def backward_numpy(X, W, delta):
        X, W, delta = X.numpy(), W.numpy(), delta.numpy()
        return delta.T @ X, delta.sum(axis=0), delta @ W

    assert check("05.linear_backward", backward_numpy, quiet=True)


def test_a_wrong_numpy_answer_is_explained_not_blamed_on_a_crash():
    import numpy as np

    verdict = check("03.linear", lambda x, W, b: x.numpy() @ W.numpy().T, quiet=True)
    assert not verdict and "the bias b is missing" in verdict.message
    verdict = check("03.linear", lambda x, W, b: "a string", quiet=True)
    assert not verdict and "should be a tensor" in verdict.message and "raised" not in verdict.message
    verdict = check("04.posterior", lambda prior, hit, false_alarm: np.float32(0.25), quiet=True)
    assert not verdict and "gave 0.25" in verdict.message


def test_near_misses_are_printed_with_the_digits_that_differ():
    shown, wanted = helpers.two_numbers(0.26871, 0.26874)
    assert shown != wanted and shown == "0.26871"


@pytest.mark.parametrize("name", [["03.cosine"], None, 3, {"a": 1}])
def test_an_exercise_name_that_is_not_a_string_is_explained(name):
    verdict = check(name, lambda *a: 0, quiet=True)
    assert not verdict and "as a string" in verdict.message


# --------------------------------------------------------------------------- the environment checker

BOMB = """name: bomb
dependencies:
  - &a [x, x, x, x, x, x, x, x, x]
  - &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  - &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
  - &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
  - &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
  - &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
  - &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
  - &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
  - pip:
      - *h
"""


@pytest.mark.parametrize("text", [BOMB, BOMB.replace("dependencies:", "dependencies:\n  - pip\n  - pip:\n      - &x numpy\n      - *x\n  - other:")])
def test_a_yaml_alias_bomb_is_refused_at_once(text):
    from course_utils.envcheck import check_environment_file

    start = time.perf_counter()
    problems = check_environment_file(text)
    assert time.perf_counter() - start < 1
    assert [p.message for p in problems] == ["YAML anchors or aliases (`&name`, `*name`)"]


@pytest.mark.parametrize("pip_section, words", [("  - pip: numpy", "`pip:` must be a list"),
                                                ("  - pip:\n      numpy: 1", "`pip:` must be a list"),
                                                ("  - pip:\n      - [a, b]", "`pip:` must be a list"),
                                                ("  - [numpy, scipy]", "a list inside"),
                                                ("  - conda: numpy", "unknown section `conda:`")])
def test_sections_of_the_wrong_shape_are_named(pip_section, words):
    from course_utils.envcheck import check_environment_file

    problems = check_environment_file(f"name: x\nchannels: [conda-forge]\ndependencies:\n  - pip\n{pip_section}\n")
    assert any(words in p.message for p in problems), problems
    assert all(p.fix for p in problems)


def test_channels_and_name_of_the_wrong_shape_are_named():
    from course_utils.envcheck import check_environment_file

    problems = [p.message for p in check_environment_file("name: [a]\nchannels: conda-forge\ndependencies: [python]\n")]
    assert problems == ["no `name:`", "`channels:` must be a list of names"]


def test_a_file_that_is_not_utf8_or_too_big_is_one_clear_problem(tmp_path):
    from course_utils.envcheck import MAX_PROBLEMS, check_environment_file

    latin = tmp_path / "latin.yml"
    latin.write_bytes(b"name: caf\xe9\ndependencies:\n  - python\n")
    assert [(p.line, p.message) for p in check_environment_file(latin)] == [(1, "the file is not UTF-8 text")]
    huge = tmp_path / "huge.yml"
    huge.write_text("name: x\ndependencies:\n" + "  - numpy==1\n" * 800_000)  # about 10 MB
    start = time.perf_counter()
    problems = check_environment_file(huge)
    assert time.perf_counter() - start < 1 and len(problems) == 1 and "MB" in problems[0].message
    many = "name: x\ndependencies:\n" + "".join(f"  - other{i}: x\n" for i in range(500))
    problems = check_environment_file(many)
    assert len(problems) == MAX_PROBLEMS + 1 and problems[-1].message == f"{500 - MAX_PROBLEMS} more problems not listed"
    assert [p.message for p in check_environment_file(tmp_path / "missing.yml")] == ["the file cannot be read (FileNotFoundError)"]


# --------------------------------------------------------------------------- settings

@pytest.mark.parametrize("value, words", [("99999", "more than this machine's"), ("abc", "not a whole number"),
                                          ("0", "not a whole number"), ("-3", "not a whole number")])
def test_course_threads_out_of_range_is_capped_with_a_warning(monkeypatch, value, words):
    from course_utils.session import thread_count

    monkeypatch.setenv("COURSE_THREADS", value)
    with pytest.warns(UserWarning, match=words):
        used = thread_count()
    assert 1 <= used <= (os.cpu_count() or 1)


def test_course_threads_in_range_is_used_without_a_word(monkeypatch, recwarn):
    from course_utils.session import thread_count

    monkeypatch.setenv("COURSE_THREADS", "1")
    assert thread_count() == 1 and not recwarn.list


def test_the_doctor_fails_an_output_folder_that_cannot_be_written(tmp_path):
    from course_utils.doctor import check_disk

    a_file = tmp_path / "file"
    a_file.write_text("x")
    for target, words in ((a_file, "is a file"), (a_file / "below", "cannot be written")):
        result = check_disk(target)
        assert result.status == "FAIL" and words in result.detail and "COURSE_OUTPUT_DIR" in result.fix
    assert check_disk(tmp_path / "new" / "folder").name == "disk space"


def test_setup_with_a_home_folder_that_cannot_be_written_is_clean(tmp_path):
    a_file = tmp_path / "home-is-a-file"
    a_file.write_text("x")
    env = {key: value for key, value in os.environ.items() if key not in ("MPLCONFIGDIR", "IPYTHONDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}
    env.update(HOME=str(a_file), COURSE_OUTPUT_DIR=str(tmp_path / "out"), HF_HUB_OFFLINE="1", PYTHONWARNINGS="default")
    done = subprocess.run([sys.executable, "-c", "import course_utils; course_utils.setup()"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == "", done.stderr[-2000:]
    assert "note: the home folder cannot be written" in done.stdout and "course_utils ready" in done.stdout


# --------------------------------------------------------------------------- security hygiene

def test_the_windows_installer_is_called_directly_never_through_a_shell(monkeypatch):
    from course_utils import installer

    exe = installer.pick_installer("miniforge", "Windows", "x86_64")
    command = installer.silent_install_command(exe, r"C:\Users\ada\Downloads\Miniforge3-Windows-x86_64.exe", r"C:\Users\ada\miniforge3")
    assert command[0].endswith(".exe") and "start" not in command and '""' not in command
    seen = {}
    monkeypatch.setattr(installer.subprocess, "run", lambda cmd, **kwargs: seen.update(cmd=cmd, **kwargs) or
                        subprocess.CompletedProcess(cmd, 0))
    installer.run_installer(command, confirm=True)
    assert seen["cmd"] == command and not seen.get("shell")
    with pytest.raises(CourseError, match="list of strings"):
        installer.run_installer("Miniforge3.exe /S & del /q C:\\", confirm=True)


def test_chromium_keeps_its_sandbox_unless_it_runs_as_root():
    from course_utils.tools.browser import launch_args

    assert "--no-sandbox" not in launch_args(as_root=False)
    assert "--no-sandbox" in launch_args(as_root=True)


def test_the_private_kernel_folder_is_removed_when_the_process_ends(tmp_path):
    code = "from course_utils.tools import notebooks; print(notebooks._current_env_kernel_dir())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "TMPDIR": str(tmp_path)})
    folder = Path(done.stdout.strip())
    assert folder.name.startswith("course-kernel-") and folder.parent == tmp_path
    assert not folder.exists()


def test_08_loads_its_checkpoint_without_unpickling():
    text = (Path(__file__).resolve().parents[1] / "notebooks" / "08_training_loop_and_speed.ipynb").read_text()
    loads = [line for line in text.split("\\n") if "torch.load(" in line]
    assert loads and all("weights_only=True" in line for line in loads)


def test_ctrl_c_in_any_course_utils_command_is_one_line_and_exit_130(monkeypatch, capsys):
    """`python -m course_utils resolve ...` (or twins, lock, bench ...) stopped with Ctrl-C: one line, exit 130, no traceback."""
    import course_utils.__main__ as cli

    def stopped(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_dispatch", stopped)
    assert cli.main(["twins"]) == 130
    err = capsys.readouterr().err
    assert "Ctrl-C" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
