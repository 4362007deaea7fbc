"""The installer helper against a loopback HTTP server: good, tampered, missing and stalling files."""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
import time

import pytest

from course_utils import installer
from course_utils.errors import CourseError, IntegrityError

PAYLOAD = b"#!/bin/sh\necho 'a fake installer for the tests'\n" * 2000
GOOD_SHA = hashlib.sha256(PAYLOAD).hexdigest()
NAME = "Miniforge3-Linux-x86_64.sh"


class _Handler(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}

    def do_GET(self):  # noqa: N802
        body = self.files.get(self.path.lstrip("/"))
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Handler.files = {
        NAME: PAYLOAD,
        NAME + ".sha256": f"{GOOD_SHA}  {NAME}\n".encode(),
        "tampered/" + NAME: PAYLOAD[:-1] + b"!",
        "miniconda/": (f"<table><tr><td><a href='x'>Miniconda3-latest-Linux-x86_64.sh</a></td><td>150M</td>"
                       f"<td>{GOOD_SHA}</td></tr><tr><td>other.sh</td><td>{'0' * 64}</td></tr></table>").encode(),
    }
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()


def test_pick_installer_per_platform():
    assert installer.pick_installer("miniconda", "Linux", "x86_64").filename == "Miniconda3-latest-Linux-x86_64.sh"
    assert installer.pick_installer("miniconda", "Linux", "arm64").filename.endswith("Linux-aarch64.sh")
    assert installer.pick_installer("miniconda", "Darwin", "arm64").filename.endswith("MacOSX-arm64.sh")
    assert installer.pick_installer("miniconda", "Windows", "AMD64").kind == "exe"
    assert installer.pick_installer("miniforge", "Darwin", "x86_64").filename == "Miniforge3-MacOSX-x86_64.sh"


def test_intel_mac_miniconda_points_to_miniforge():
    with pytest.raises(CourseError, match="Intel Macs.*Miniforge"):
        installer.pick_installer("miniconda", "Darwin", "x86_64")


def test_unknown_platform_lists_the_known_ones():
    with pytest.raises(CourseError, match="known platforms: .*Linux x86_64"):
        installer.pick_installer("miniforge", "Plan9", "mips")


def test_download_and_verify(server, tmp_path):
    item = installer.pick_installer("miniforge", "Linux", "x86_64", base_url=server)
    sha = installer.published_sha256(item)
    assert sha == GOOD_SHA
    path = installer.download(item, tmp_path, sha, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME]


def test_miniconda_hash_is_read_from_the_index_row(server):
    item = installer.pick_installer("miniconda", "Linux", "x86_64", base_url=server + "miniconda/")
    assert installer.published_sha256(item) == GOOD_SHA


def test_tampered_file_is_deleted_and_refused(server, tmp_path):
    item = installer.pick_installer("miniforge", "Linux", "x86_64", base_url=server + "tampered/")
    with pytest.raises(IntegrityError, match="deleted"):
        installer.download(item, tmp_path, GOOD_SHA, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_missing_file_says_so(server, tmp_path):
    item = installer.pick_installer("miniforge", "Linux", "aarch64", base_url=server)
    with pytest.raises(installer.DownloadError, match="HTTP 404"):
        installer.download(item, tmp_path, GOOD_SHA, progress=False)
    with pytest.raises(installer.DownloadError, match="HTTP 404"):
        installer.published_sha256(item)


def test_stalling_server_times_out_with_a_clear_message(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts, never answers
    item = installer.pick_installer("miniforge", "Linux", "x86_64", base_url=f"http://127.0.0.1:{listener.getsockname()[1]}/")
    start = time.perf_counter()
    try:
        with pytest.raises(installer.DownloadError, match="no data for 0.5 s"):
            installer.download(item, tmp_path, GOOD_SHA, timeout=0.5, progress=False)
    finally:
        listener.close()
    assert time.perf_counter() - start < 5
    assert list(tmp_path.iterdir()) == []


def test_bad_expected_hash_is_rejected(tmp_path):
    item = installer.pick_installer("miniforge", "Linux", "x86_64")
    with pytest.raises(ValueError, match="64 lowercase"):
        installer.download(item, tmp_path, "abc", progress=False)


def test_silent_commands():
    sh = installer.pick_installer("miniconda", "Linux", "x86_64")
    assert installer.silent_install_command(sh, "m.sh", "/home/ada/miniconda3") == ["bash", "m.sh", "-b", "-p", "/home/ada/miniconda3"]
    exe = installer.pick_installer("miniconda", "Windows", "x86_64")
    command = installer.silent_install_command(exe, "m.exe", r"C:\miniconda3")
    assert command[-2:] == ["/S", r"/D=C:\miniconda3"], "/D= must come last"
    with pytest.raises(CourseError, match="space"):
        installer.silent_install_command(sh, "m.sh", "/home/ada/my conda")


def test_never_runs_without_confirmation():
    with pytest.raises(CourseError, match="confirm=True"):
        installer.run_installer(["bash", "-c", "exit 0"])
    assert installer.run_installer(["bash", "-c", "exit 0"], confirm=True) == 0


def test_the_workshop_kit_fetches_verified_installers(server, tmp_path, monkeypatch):
    """`prefetch --installers miniforge` downloads each platform's installer and checks it."""
    from course_utils.tools import prefetch

    monkeypatch.setattr(installer, "MINIFORGE_BASE", server)
    said: list[str] = []
    names = prefetch.gather_installers(tmp_path / "installers", ["miniforge"], ["linux-x86_64"], said.append)
    assert names == [NAME] and (tmp_path / "installers" / NAME).read_bytes() == PAYLOAD
    assert said == [f"installer: {NAME} (SHA-256 matches the published one)"]

    _Handler.files["tampered/" + NAME + ".sha256"] = f"{GOOD_SHA}  {NAME}\n".encode()
    monkeypatch.setattr(installer, "MINIFORGE_BASE", server + "tampered/")
    with pytest.raises(IntegrityError):
        prefetch.gather_installers(tmp_path / "other", ["miniforge"], ["linux-x86_64"], said.append)
    assert not (tmp_path / "other" / NAME).exists()


def test_a_sha256_as_windows_prints_it_is_taken(server, tmp_path):
    """PowerShell's Get-FileHash prints the SHA-256 in capitals and certutil with spaces: both were refused as
    'must be 64 lowercase hexadecimal characters', the same value the publisher lists."""
    item = installer.pick_installer("miniforge", "Linux", "x86_64", base_url=server)
    spaced = " ".join(GOOD_SHA[i:i + 2] for i in range(0, 64, 2)).upper()
    assert installer.download(item, tmp_path, spaced, progress=False).read_bytes() == PAYLOAD


def test_a_folder_that_cannot_hold_the_download_is_named_not_called_no_connection(server, tmp_path):
    """A folder that is a file ended in a raw FileExistsError; one that cannot be written was told "no data for
    30 s or no connection" (PermissionError)."""
    item = installer.pick_installer("miniforge", "Linux", "x86_64", base_url=server)
    blocked = tmp_path / "Downloads"
    blocked.write_text("a file, not a folder")
    with pytest.raises(installer.DownloadError) as caught:
        installer.download(item, blocked, GOOD_SHA, progress=False)
    message = str(caught.value)
    assert message.startswith(f"The installer cannot be saved in {blocked}") and "Fix: choose a folder you can write to" in message
    assert "connection" not in message


def test_ctrl_c_during_the_download_leaves_no_part_file(server, tmp_path, monkeypatch):
    item = installer.pick_installer("miniforge", "Linux", "x86_64", base_url=server)

    class Interrupting:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, count):
            raise KeyboardInterrupt

    import tqdm.auto

    monkeypatch.setattr(tqdm.auto, "tqdm", Interrupting)
    with pytest.raises(KeyboardInterrupt):
        installer.download(item, tmp_path, GOOD_SHA, progress=False)
    assert list(tmp_path.iterdir()) == []
