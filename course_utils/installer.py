"""Get a Miniconda or Miniforge installer safely: pick it, download it, verify it, build the command.

Nothing here ever runs an installer on its own: ``run_installer`` refuses unless it is called
with ``confirm=True``. Downloads stream with a progress bar, give up with a clear message when
the server stalls, and a file whose SHA-256 differs from the published one is deleted at once.
"""

from __future__ import annotations

import errno
import hashlib
import platform
import re
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .errors import CourseError, InputError, IntegrityError

MINICONDA_BASE = "https://repo.anaconda.com/miniconda/"
MINIFORGE_BASE = "https://github.com/conda-forge/miniforge/releases/latest/download/"
CHUNK = 1 << 16

#: (distribution, system, machine) -> file name. Machine names are normalized by ``_machine``.
FILES = {
    ("miniconda", "Linux", "x86_64"): "Miniconda3-latest-Linux-x86_64.sh",
    ("miniconda", "Linux", "aarch64"): "Miniconda3-latest-Linux-aarch64.sh",
    ("miniconda", "Darwin", "arm64"): "Miniconda3-latest-MacOSX-arm64.sh",
    ("miniconda", "Windows", "x86_64"): "Miniconda3-latest-Windows-x86_64.exe",
    ("miniforge", "Linux", "x86_64"): "Miniforge3-Linux-x86_64.sh",
    ("miniforge", "Linux", "aarch64"): "Miniforge3-Linux-aarch64.sh",
    ("miniforge", "Darwin", "arm64"): "Miniforge3-MacOSX-arm64.sh",
    ("miniforge", "Darwin", "x86_64"): "Miniforge3-MacOSX-x86_64.sh",
    ("miniforge", "Windows", "x86_64"): "Miniforge3-Windows-x86_64.exe",
}


class DownloadError(CourseError):
    """The installer could not be downloaded; the message says why and what to try."""


@dataclass(frozen=True)
class Installer:
    distribution: str  # "miniconda" or "miniforge"
    filename: str
    base_url: str

    @property
    def url(self) -> str:
        return self.base_url + self.filename

    @property
    def kind(self) -> str:
        """"sh" (Linux, macOS), "pkg" (macOS graphical) or "exe" (Windows)."""
        return self.filename.rsplit(".", 1)[-1]


def normalize_machine(machine: str) -> str:
    """Processor names as installers spell them: AMD64 and x64 are x86_64."""
    return {"amd64": "x86_64", "x64": "x86_64", "arm64": "arm64", "aarch64": "aarch64"}.get(machine.lower(), machine.lower())


def pick_installer(distribution: str = "miniconda", system: str | None = None, machine: str | None = None,
                   base_url: str | None = None) -> Installer:
    """The installer for this platform (or the one given), with a clear error where none exists."""
    system = system or platform.system()
    arch = normalize_machine(machine or platform.machine())
    if system == "Darwin" and arch == "aarch64":
        arch = "arm64"
    if system == "Linux" and arch == "arm64":
        arch = "aarch64"
    if distribution not in ("miniconda", "miniforge"):
        raise CourseError(f"Unknown distribution {distribution!r}. Fix: choose 'miniconda' or 'miniforge'.")
    key = (distribution, system, arch)
    if key not in FILES:
        if key == ("miniconda", "Darwin", "x86_64"):
            raise CourseError("Anaconda stopped building Miniconda for Intel Macs on 15 August 2025. "
                              "Fix: use Miniforge (pick_installer('miniforge')), which still ships MacOSX-x86_64, "
                              "or an old installer from https://repo.anaconda.com/archive/.")
        known = sorted({f"{s} {m}" for d, s, m in FILES if d == distribution})
        raise CourseError(f"No {distribution} installer is known for {system} {arch}. Fix: pick one of the known "
                          f"platforms: {', '.join(known)}.")
    default = MINICONDA_BASE if distribution == "miniconda" else MINIFORGE_BASE
    return Installer(distribution, FILES[key], base_url or default)


def _get(url: str, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            return response.read()
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{url} answered HTTP {exc.code}. Fix: check the address; the file may have moved.") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"Could not reach {url} ({reason}). Fix: check your connection or proxy "
                            "(HTTPS_PROXY), or use a mirror.") from None


def published_sha256(installer: Installer, timeout: float = 15) -> str:
    """The SHA-256 the publisher lists: Miniforge's FILE.sha256, or the row of Miniconda's index page."""
    if installer.distribution == "miniforge":
        text = _get(installer.url + ".sha256", timeout).decode("utf-8", "replace")
        match = re.search(r"\b[0-9a-f]{64}\b", text)
    else:
        page = _get(installer.base_url, timeout).decode("utf-8", "replace")
        rows = [row for row in re.split(r"</tr>", page, flags=re.IGNORECASE) if f">{installer.filename}<" in row]
        match = re.search(r"\b[0-9a-f]{64}\b", rows[0]) if rows else None
    if not match:
        raise DownloadError(f"No SHA-256 is published for {installer.filename}. Refusing to continue without one. "
                            "Fix: check the file name on the download page.")
    return match.group(0)


def download(installer: Installer, folder: Path, expected_sha256: str, timeout: float = 30,
             progress: bool = True) -> Path:
    """Stream the installer into `folder`, verify its SHA-256, and return its path.

    A server that sends nothing for `timeout` seconds ends the download with a clear message; a
    file whose hash differs from `expected_sha256` is deleted and refused.
    """
    from tqdm.auto import tqdm

    # As a learner copies it: PowerShell's Get-FileHash prints it in capitals, certutil with spaces.
    expected_sha256 = re.sub(r"\s", "", expected_sha256).lower() if isinstance(expected_sha256, str) else ""
    if not re.fullmatch(r"[0-9a-f]{64}", expected_sha256):
        raise InputError("expected_sha256 must be 64 lowercase hexadecimal characters once spaces are dropped and capitals "
                         "lowered. Fix: copy the SHA-256 published beside the installer.")
    folder = Path(folder)
    target = folder / installer.filename
    partial = target.with_name(target.name + ".part")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial.open("wb").close()
    except OSError as exc:  # the disk's fault, before the network is asked: never "no connection"
        raise DownloadError(f"The installer cannot be saved in {folder} ({type(exc).__name__}: {exc.strerror or exc}). "
                            "Fix: choose a folder you can write to (e.g. your Downloads folder) that is not a file.") from None
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(installer.url, timeout=timeout) as response, partial.open("wb") as out:  # noqa: S310
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=installer.filename, disable=not progress) as bar:
                while block := response.read(CHUNK):
                    out.write(block)
                    digest.update(block)
                    bar.update(len(block))
    except urllib.error.HTTPError as exc:
        partial.unlink(missing_ok=True)
        raise DownloadError(f"{installer.url} answered HTTP {exc.code}. Fix: check the file name and address.") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        partial.unlink(missing_ok=True)
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, OSError) and reason.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1), errno.EROFS, errno.EACCES):
            raise DownloadError(f"The download of {installer.filename} could not be written ({reason.strerror}). Nothing "
                                "was kept. Fix: free some space (an installer is 100-900 MB) or choose another folder.") from None
        raise DownloadError(f"The download of {installer.filename} stopped: no data for {timeout:g} s or no connection "
                            f"({type(reason).__name__}). Nothing was kept. Fix: try again on a better connection, "
                            "set HTTPS_PROXY, or use a mirror.") from None
    except BaseException:  # Ctrl-C: no half-downloaded file is left behind
        partial.unlink(missing_ok=True)
        raise
    actual = digest.hexdigest()
    if actual != expected_sha256:
        partial.unlink(missing_ok=True)
        raise IntegrityError(f"{installer.filename} has SHA-256 {actual[:16]}..., but the published value is "
                             f"{expected_sha256[:16]}.... The file was deleted: it was damaged in transit or altered. "
                             "Fix: download it again; if it keeps failing, use another network or mirror.")
    partial.replace(target)
    return target


def silent_install_command(installer: Installer, installer_path: str, prefix: str) -> list[str]:
    """The unattended install command for this installer (run it yourself, or with ``run_installer``)."""
    if " " in prefix:
        raise CourseError(f"The install folder {prefix!r} contains a space: the .sh installers refuse it, and on Windows "
                          "some packages break there. Fix: choose a folder without spaces, such as /home/ada/miniforge3 "
                          "or C:\\miniforge3 (when your user name has a space).")
    windows = installer.kind == "exe"
    absolute = re.match(r"[A-Za-z]:\\", prefix) if windows else prefix.startswith("/")
    if not absolute:
        example = "C:\\Users\\ada\\miniforge3" if windows else "/home/ada/miniforge3"
        raise CourseError(f"The install folder must be a full path, not {prefix!r}: `~` and relative paths are not expanded "
                          f"in a command run without a shell, and the installer needs a full path. Fix: e.g. {example} "
                          "(in Python: str(Path.home() / 'miniforge3')).")
    if installer.kind == "sh":
        return ["bash", installer_path, "-b", "-p", prefix]
    if installer.kind == "exe":
        # The .exe itself, no shell: run this way (subprocess, or PowerShell's Start-Process -Wait) the call
        # returns when the installer is done. /D= must be last, unquoted, and a full path (no ~).
        return [installer_path, "/InstallationType=JustMe", "/RegisterPython=0", "/S", f"/D={prefix}"]
    if installer.kind == "pkg":
        return ["installer", "-pkg", installer_path, "-target", "CurrentUserHomeDirectory"]
    raise CourseError(f"Unknown installer type {installer.kind!r}. Fix: use an installer from pick_installer().")


def run_installer(command: list[str], confirm: bool = False) -> int:
    """Run an install command, only when `confirm=True` is given explicitly."""
    if confirm is not True:
        raise CourseError("Not running the installer: it installs software on this machine. Fix: pass confirm=True to run it.")
    start = time.perf_counter()
    if not isinstance(command, list) or not command or not all(isinstance(part, str) for part in command):
        raise CourseError("run_installer() takes the command as a list of strings. Fix: pass what silent_install_command() returns.")
    result = subprocess.run(command)  # never through a shell: nothing in a path can become a command
    print(f"installer finished with exit code {result.returncode} after {time.perf_counter() - start:.0f} s")
    return result.returncode


#: Notebook 01's exercise 3: seven real error messages of a Miniconda or Miniforge install; the learner
#: matches each to one of ``FIX_NAMES`` (``course_utils.checkers.nb01`` knows which).
ERROR_MESSAGES = (
    "'conda' is not recognized as an internal or external command, operable program or batch file.",
    "File C:\\Users\\ada\\Documents\\WindowsPowerShell\\profile.ps1 cannot be loaded because running scripts "
    "is disabled on this system.",
    "CondaError: Run 'conda init' before 'conda activate'",
    "CondaToSNonInteractiveError: Terms of Service have not been accepted for the following channels.",
    "CondaSSLError: OpenSSL appears to be unavailable on this machine. OpenSSL is required to download and install packages.",
    "CondaHTTPError: HTTP 000 CONNECTION FAILED for url <https://conda.anaconda.org/conda-forge/win-64/repodata.json>",
    "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate",
)
FIX_NAMES = {
    "prompt": "open the Miniforge Prompt (or run `conda init powershell` there once)",
    "execution_policy": "Set-ExecutionPolicy -Scope CurrentUser RemoteSigned",
    "init": "conda init, then open a new terminal",
    "tos": "conda tos accept ... for each channel, or use Miniforge",
    "activate_base": "the environment is not activated: open the Miniforge Prompt or `conda activate base`",
    "network": "check the connection (offline, DNS, a proxy or a firewall); behind a proxy set proxy_servers; in China, a mirror",
    "truststore": "conda config --set ssl_verify truststore",
}
