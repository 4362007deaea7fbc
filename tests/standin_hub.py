"""Local stand-in servers on 127.0.0.1, each in a thread: a Hugging Face Hub (or mirror) that serves a few
repositories the way huggingface_hub downloads them, one that refuses, one that stalls (before the first
byte or partway through a file), a captive portal, a proxy that accepts and then stalls, and a pip index.
Tests point HF_ENDPOINT, HTTPS_PROXY or PIP_INDEX_URL at them."""

from __future__ import annotations

import hashlib
import http.server
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

COMMIT = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
#: Files huggingface_hub stores with Git LFS on the Hub (their etag is the SHA-256 of the content).
LFS_SUFFIXES = (".safetensors", ".parquet", ".bin")


def git_blob_sha1(data: bytes) -> str:
    """The Git object id of a file's content (the etag of a file that is not in LFS)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def etag_of(name: str, data: bytes) -> str:
    return hashlib.sha256(data).hexdigest() if name.endswith(LFS_SUFFIXES) else git_blob_sha1(data)


@dataclass
class Repo:
    """A repository the stand-in serves: {path in the repo: content}."""

    files: dict[str, bytes]
    kind: str = "model"


def repo_from_folder(folder: Path, kind: str = "model") -> Repo:
    return Repo({p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}, kind)


@dataclass
class Behaviour:
    """How the stand-in misbehaves: `status` answered to every request (403: TUNA's firewall); `stall_after`
    bytes of a file named `stall_file` sent, then silence; `slow_file` sent `slow_piece` bytes every
    `slow_every_s` seconds (a slow link, not a stall); `stall_all`: accept and never answer;
    `portal`: every address answers with a sign-in web page; `api_get_only`: the API answers HEAD with 405."""

    status: int | None = None
    stall_file: str | None = None
    stall_after: int = 0
    slow_file: str | None = None
    slow_piece: int = 0
    slow_every_s: float = 0.0
    stall_all: bool = False
    portal: bool = False
    api_get_only: bool = False
    requests: list[str] = field(default_factory=list)
    #: The Authorization header of each request ("" when none), in the order of `requests`.
    authorizations: list[str] = field(default_factory=list)


class StandIn:
    """A running stand-in server; `url` is its address. Use as a context manager."""

    def __init__(self, repos: dict[str, Repo] | None = None, behaviour: Behaviour | None = None):
        self.repos = repos or {}
        self.behaviour = behaviour or Behaviour()
        self.release = threading.Event()  # set at shutdown, so stalled handlers end
        handler = type("Handler", (_Handler,), {"standin": self})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> StandIn:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    standin: StandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    # ------------------------------------------------------------------ plumbing
    def _send(self, status: int, body: bytes = b"", content_type: str = "application/json", headers: dict | None = None,
              head: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _json(self, value, head: bool = False) -> None:
        self._send(200, json.dumps(value).encode(), head=head)

    def _stall(self) -> None:
        self.standin.release.wait(60)
        self.close_connection = True

    def do_HEAD(self):  # noqa: N802 - http.server's naming
        self._answer(head=True)

    def do_GET(self):  # noqa: N802
        self._answer(head=False)

    # ------------------------------------------------------------------ the Hub's API, as huggingface_hub asks it
    def _answer(self, head: bool) -> None:
        behaviour = self.standin.behaviour
        behaviour.requests.append(f"{self.command} {self.path}")
        behaviour.authorizations.append(self.headers.get("Authorization", ""))
        if behaviour.stall_all:
            return self._stall()
        if behaviour.portal:
            page = b"<html><body>Sign in to the airport Wi-Fi</body></html>"
            return self._send(200, page, "text/html; charset=utf-8", head=head)
        if behaviour.status is not None:
            return self._send(behaviour.status, b"<html>403 Forbidden</html>", "text/html", head=head)
        path = unquote(urlsplit(self.path).path)
        parts = path.strip("/").split("/")
        if head and behaviour.api_get_only and parts[0] == "api":
            return self._send(405, b"", head=True)
        if parts[:2] == ["api", "models"] and path.endswith("bert-base-uncased"):  # the course's probe
            return self._json({"id": "bert-base-uncased", "sha": COMMIT}, head=head)
        if parts[0] == "api" and len(parts) >= 4:
            return self._api(parts, head)
        return self._file(parts, head)

    def _find(self, kind: str, repo_id: str) -> Repo | None:
        repo = self.standin.repos.get(repo_id)
        return repo if repo is not None and repo.kind == kind else None

    def _api(self, parts: list[str], head: bool) -> None:
        kind = {"models": "model", "datasets": "dataset"}.get(parts[1], "")
        for split in ("revision", "tree"):
            if split in parts:
                at = parts.index(split)
                repo = self._find(kind, "/".join(parts[2:at]))
                if repo is None:
                    return self._send(404, b'{"error": "Repository not found"}', headers={"X-Error-Code": "RepoNotFound"})
                if split == "revision":
                    return self._json({"id": "/".join(parts[2:at]), "sha": COMMIT, "private": False,
                                       "siblings": [{"rfilename": name} for name in repo.files]}, head=head)
                entries = []
                for name, data in repo.files.items():
                    entry = {"type": "file", "path": name, "size": len(data), "oid": git_blob_sha1(data)}
                    if name.endswith(LFS_SUFFIXES):
                        entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
                    entries.append(entry)
                return self._json(entries, head=head)
        return self._send(404, b'{"error": "not found"}')

    def _file(self, parts: list[str], head: bool) -> None:
        kind = "dataset" if parts[0] == "datasets" else "model"
        parts = parts[1:] if kind == "dataset" else parts
        if "resolve" not in parts:
            return self._send(404, b"not found", "text/plain", head=head)
        at = parts.index("resolve")
        repo, name = self._find(kind, "/".join(parts[:at])), "/".join(parts[at + 2:])
        if repo is None or name not in repo.files:
            return self._send(404, b'{"error": "Entry not found"}', headers={"X-Error-Code": "EntryNotFound"}, head=head)
        data = repo.files[name]
        headers = {"X-Repo-Commit": COMMIT, "ETag": f'"{etag_of(name, data)}"', "Accept-Ranges": "bytes"}
        if name.endswith(LFS_SUFFIXES):
            headers.update({"X-Linked-Etag": f'"{etag_of(name, data)}"', "X-Linked-Size": str(len(data))})
        behaviour = self.standin.behaviour
        if head or name not in (behaviour.stall_file, behaviour.slow_file):
            return self._send(200, data, "application/octet-stream", headers, head=head)
        start = int(self.headers.get("Range", "bytes=0-").split("=")[1].split("-")[0] or 0)
        self.send_response(206 if start else 200)
        for key, value in {**headers, "Content-Type": "application/octet-stream", "Content-Length": str(len(data) - start)}.items():
            self.send_header(key, value)
        self.end_headers()
        if name == behaviour.slow_file:  # a slow link: every byte arrives, a piece at a time
            for at in range(start, len(data), behaviour.slow_piece):
                self.wfile.write(data[at:at + behaviour.slow_piece])
                self.wfile.flush()
                if self.standin.release.wait(behaviour.slow_every_s):
                    break
            return None
        # A download that stops partway: the headers promise every byte, some arrive, then nothing.
        self.wfile.write(data[start:behaviour.stall_after])
        self.wfile.flush()
        self._stall()
        return None


class StallingProxy:
    """An HTTP proxy that accepts every connection (and a CONNECT for HTTPS), then never sends another
    byte: a corporate proxy or a captive network that lets the first step through and stalls."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.connections: list[socket.socket] = []
        self.requests: list[str] = []
        self.done = threading.Event()

    def _serve(self) -> None:
        while not self.done.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)
            threading.Thread(target=self._tunnel, args=(connection,), daemon=True).start()

    def _tunnel(self, connection: socket.socket) -> None:
        try:
            first = connection.recv(4096).decode("latin-1").split("\r\n", 1)[0]
            self.requests.append(first)
            if first.startswith("CONNECT"):
                connection.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        except OSError:
            pass
        self.done.wait(60)

    def __enter__(self) -> StallingProxy:
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.listener.close()
        for connection in self.connections:
            connection.close()


def simple_index(status: int = 200) -> StandIn:
    """A pip index answering `status` to everything: 200 with an HTML page for any project (what a PEP 503
    'simple' index serves), 403 as TUNA's firewall has answered pip."""
    return StandIn(behaviour=Behaviour(status=None if status == 200 else status, portal=status == 200))


PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy")


def go_online(monkeypatch) -> None:
    """No offline flag (the learner's or the course's), no HF_ENDPOINT, no proxy: the Hub (or whatever
    HF_ENDPOINT is set to next) is asked, and huggingface_hub, imported offline, downloads again."""
    import huggingface_hub.constants

    from course_utils import hub

    for name in (*hub.OFFLINE_FLAGS, hub.COURSE_SET_OFFLINE, "HF_ENDPOINT", *PROXY_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)


def use_mirror(monkeypatch, url: str) -> None:
    """HF_ENDPOINT as a learner sets it: before huggingface_hub is imported (here: its constants follow)."""
    import huggingface_hub.constants

    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", url.rstrip("/"))
    monkeypatch.setattr(huggingface_hub.constants, "HUGGINGFACE_CO_URL_TEMPLATE",
                        url.rstrip("/") + "/{repo_id}/resolve/{revision}/{filename}")


def cache_like_the_hub(cache: Path, repo_id: str, repo: Repo) -> Path:
    """Put `repo` into the Hugging Face cache at `cache` the way huggingface_hub itself does (it downloads
    it from a stand-in): snapshot files are links to blobs named by their etags. Returns the snapshot."""
    import huggingface_hub.constants
    from huggingface_hub import snapshot_download

    saved = huggingface_hub.constants.HF_HUB_OFFLINE
    huggingface_hub.constants.HF_HUB_OFFLINE = False
    try:
        with StandIn({repo_id: repo}) as standin:
            return Path(snapshot_download(repo_id, repo_type=repo.kind, cache_dir=cache, endpoint=standin.url))
    finally:
        huggingface_hub.constants.HF_HUB_OFFLINE = saved


def wait_until(condition, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
