"""The offline workshop kit, learner's side: check the kit against its manifest, then set up from it.

Standard library only. ``python -m course_utils prefetch DIR`` (see ``course_utils.prefetch``)
copies this very file into the kit as ``setup_from_kit.py``, so a learner needs nothing but a
Python of the version the kit was made for::

    python setup_from_kit.py                   # check the kit, then set up ./zero-to-finetune
    python setup_from_kit.py --dest D --lab    # set up in D, then open JupyterLab at notebook 00
    python setup_from_kit.py --verify-only     # only check the kit

Before anything is installed every file is checked against ``manifest.json`` (size and SHA-256),
and a kit with a missing, altered or unexpected file is refused with each file named. Set-up
never touches the network: pip runs with ``--no-index --find-links`` on the kit's wheels and with
no pip configuration, and the new environment gets ``HF_HOME`` pointing at the kit's copy of the
Hugging Face cache and ``HF_HUB_OFFLINE=1`` (in a ``.pth`` file; delete it to use the Hub again).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

MANIFEST = "manifest.json"
KIT_FORMAT = 1
SETUP_SCRIPT = "setup_from_kit.py"
PACKAGE = "course-utils"
#: The extra a learner's environment installs with it: JupyterLab and the kernel.
LEARNER_EXTRA = "lab"
#: The .pth file that makes the kit's environment offline and points it at the kit's HF cache.
OFFLINE_PTH = "zero_to_finetune_kit.pth"
#: What an operating system leaves in a copied folder or on a USB stick: never part of a kit, never read past
#: its first bytes, never copied. A file counts as litter only when it is a plain file whose first bytes are
#: that litter's own (AppleDouble `._NAME`, Finder's `.DS_Store`, Windows' `Thumbs.db`) or a small
#: `desktop.ini`; the same name on anything else (a link, a folder, other bytes) is refused like any extra file.
LITTER_MAGIC = {"._": b"\x00\x05\x16\x07", ".DS_Store": b"\x00\x00\x00\x01Bud1", "Thumbs.db": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"}
LITTER_TEXT = {"desktop.ini": 4096}
#: Folders a system keeps at the top of a stick (the kit may be the stick itself): skipped with what is inside.
OS_LITTER_DIRS = {"System Volume Information", ".Trashes", ".Spotlight-V100", ".fseventsd", "$RECYCLE.BIN"}
#: A kit holds a few thousand files; a manifest with more entries, or bigger than this, is not a kit's.
MAX_ENTRIES = 100_000
MAX_MANIFEST_BYTES = 32 << 20
#: At most this many problems are listed; then one line counts the rest.
MAX_LISTED = 30
#: Folders copied from the kit into the learner's course folder.
COURSE_FOLDERS = ("notebooks", "images")
#: The course folder set-up makes in the current folder (beside the kit, when run from inside it).
DEFAULT_DEST_NAME = "zero-to-finetune"
#: Names Windows keeps for its devices (with any extension: `nul.txt` too): opening `notebooks/CON` there reads the
#: console. A kit is copied between systems, so no file in it may have such a name, or a character Windows refuses.
WINDOWS_DEVICES = re.compile(r"(?i)(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?")
WINDOWS_REFUSES = set('<>:"|?*') | {chr(code) for code in range(32)}
#: Where set-up keeps its lock in the course folder (the same file `python -m course_utils lab` uses there).
LOCK_PATH = ".cache/course-setup.lock"


class KitError(RuntimeError):
    """The kit cannot be used as it is; the message names the files and the fix."""


# --------------------------------------------------------------------------- the manifest

# This file runs alone in a kit, before anything is verified, so it imports nothing of the course's and
# keeps its own copies of three facts whose home is course_utils/system.py: sha256_of, the venv's Python
# and --allow-root. tests/test_kit.py checks that each copy agrees with the original.

def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks (the same as ``course_utils.system.sha256_of``)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_litter(path: Path) -> bool:
    """True for a plain file (not a link) that an operating system left: see LITTER_MAGIC."""
    name = path.name
    key = "._" if name.startswith("._") else name
    if key not in LITTER_MAGIC and key not in LITTER_TEXT:
        return False
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode):
            return False
        if key in LITTER_TEXT:
            return info.st_size <= LITTER_TEXT[key]
        with open(path, "rb") as handle:
            return handle.read(len(LITTER_MAGIC[key])) == LITTER_MAGIC[key]
    except OSError:
        return False


def walk_kit(root: Path) -> tuple[list[PurePosixPath], list[PurePosixPath]]:
    """(files, links) in the kit, relative with / separators: every plain file but the manifest and OS litter,
    and every symbolic link (to a file or a folder; never followed). Other odd entries count as files, so
    that the check names them."""
    files, links = [], []
    for folder, dirs, names in os.walk(root, followlinks=False):
        here = Path(folder)
        rel_here = PurePosixPath(here.relative_to(root).as_posix())
        if here == root:
            dirs[:] = [d for d in dirs if d not in OS_LITTER_DIRS or (here / d).is_symlink()]
        for name in sorted(dirs):
            if (here / name).is_symlink():
                links.append(rel_here / name)
        dirs[:] = sorted(d for d in dirs if not (here / d).is_symlink())
        for name in sorted(names):
            path = here / name
            rel = rel_here / name
            if path.is_symlink():
                links.append(rel)
            elif str(rel) != MANIFEST and not is_litter(path):
                files.append(rel)
    return sorted(files), sorted(links)


def kit_files(root: Path) -> list[PurePosixPath]:
    """Every file in the kit (relative, with / separators) but the manifest and OS litter; links included."""
    files, links = walk_kit(root)
    return sorted(files + links)


def write_manifest(root: Path, info: dict) -> Path:
    """Write manifest.json: `info` plus the size and SHA-256 of every file in the kit."""
    rels = kit_files(root)
    bad = [f"{str(rel)[:200]!r}: {why}" for rel in rels if (why := unsafe_path(str(rel)))]
    if bad:
        raise KitError("These files cannot be in a kit (every learner's system must be able to hold and read them):\n  "
                       + summary(bad) + "\nFix: rename them (or remove them from the kit's sources), then make the kit again.")
    files = {str(rel): {"size": (root / rel).stat().st_size, "sha256": sha256_of(root / rel)} for rel in rels}
    path = root / MANIFEST
    path.write_text(json.dumps({"kit_format": KIT_FORMAT, **info, "files": files}, indent=1, sort_keys=True) + "\n",
                    encoding="utf-8")
    return path


def unsafe_path(rel: str) -> str | None:
    """Why a manifest entry may not be used (None when it is a plain relative path inside the kit)."""
    if not isinstance(rel, str) or not rel or "\\" in rel or "\x00" in rel:
        return "not a plain relative path"
    pure = PurePosixPath(rel)
    if pure.is_absolute() or (len(rel) > 1 and rel[1] == ":"):
        return "an absolute path"
    if any(part in ("..", ".", "") for part in rel.split("/")):
        return "a path that leaves the kit (or has empty, '.' or '..' parts)"
    for part in rel.split("/"):
        if WINDOWS_DEVICES.fullmatch(part):
            return f"a name Windows keeps for a device ({part.split('.')[0].upper()}), which no kit file may have"
        if WINDOWS_REFUSES & set(part) or part.endswith((".", " ")):
            return "a name Windows cannot hold (one of < > : \" | ? *, a control character, or a dot or space at the end)"
    return None


def read_manifest(root: Path) -> dict:
    """The kit's manifest, or a KitError saying why it cannot be read.

    Every entry must be a plain relative path (no absolute paths, no ``..``) with an integer size
    and a 64-hex-digit SHA-256, so that nothing outside the kit is ever read or revealed."""
    path = root / MANIFEST
    if root.exists() and not root.is_dir():
        raise KitError(f"{root} is a file, not a kit folder. Fix: pass the folder that holds {MANIFEST}.")
    if path.is_symlink():
        raise KitError(f"{MANIFEST} is a link, not a file, so it was not read (a kit holds only plain files). "
                       "Fix: copy the kit again from the instructor's stick.")
    try:
        size = path.stat().st_size
        if size > MAX_MANIFEST_BYTES:
            raise KitError(f"{MANIFEST} is {size / 1e6:,.0f} MB; a kit's is well under 1 MB, so it was not read. "
                           "Fix: copy the kit again from the instructor's stick.")
        twice: list[str] = []
        manifest = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=lambda pairs: _no_twice(pairs, twice))
    except FileNotFoundError:
        raise KitError(f"{root} has no {MANIFEST}, so it is not a workshop kit (or the copy is incomplete). "
                       "Fix: copy the whole kit folder again from the instructor's stick.") from None
    except (OSError, ValueError) as exc:
        raise KitError(f"{MANIFEST} cannot be read ({type(exc).__name__}). Fix: copy the kit again.") from None
    if not isinstance(manifest, dict) or manifest.get("kit_format") != KIT_FORMAT or not isinstance(manifest.get("files"), dict):
        found = manifest.get("kit_format") if isinstance(manifest, dict) else None
        raise KitError(f"This kit's manifest is format {found!r}; this script reads format "
                       f"{KIT_FORMAT}. Fix: use the {SETUP_SCRIPT} that came in the same kit.")
    sets = manifest.get("wheel_sets", [])
    if not (isinstance(sets, list) and all(isinstance(name, str) for name in sets)):
        raise KitError(f"{MANIFEST}'s wheel_sets is {type(sets).__name__} {str(sets)[:60]!r}, not a list of names, so nothing "
                       "was read or installed. Fix: copy the kit again from the instructor's stick.")
    if twice:
        raise KitError(f"{MANIFEST} lists {twice[0][:200]!r} twice" + (f" (and {len(twice) - 1:,} more)" if len(twice) > 1 else "")
                       + ": a manifest prefetch wrote never does, and only one of the two would be checked, so nothing "
                         "was read or installed. Fix: copy the kit again from the instructor's stick.")
    if len(manifest["files"]) > MAX_ENTRIES:
        raise KitError(f"{MANIFEST} lists {len(manifest['files']):,} files; a kit has a few thousand, so nothing was checked "
                       "or installed. Fix: copy the kit again from the instructor's stick.")
    bad = []
    for rel, entry in manifest["files"].items():
        why = unsafe_path(rel)
        if why is None and not (isinstance(entry, dict) and type(entry.get("size")) is int
                                and isinstance(entry.get("sha256"), str) and len(entry["sha256"]) == 64):
            why = "an entry without an integer size and a 64-digit sha256"
        if why:
            bad.append(f"{rel[:200]!r}: {why}")
    if bad:
        raise KitError(f"{MANIFEST} is malformed or tampered with, so nothing was read or installed:\n  "
                       + "\n  ".join(bad[:20]) + "\nFix: copy the kit again from the instructor's stick.")
    return manifest


def _no_twice(pairs: list[tuple[str, object]], twice: list[str]) -> dict:
    """A JSON object as a dict, noting in `twice` each key it holds more than once (json keeps the last silently)."""
    found: dict = {}
    for key, value in pairs:
        if key in found:
            twice.append(key)
        found[key] = value
    return found


def manifest_sha256(root: Path) -> str:
    """The manifest's own SHA-256: an instructor publishes it so learners can compare (see README)."""
    return sha256_of(root / MANIFEST)


def verify(root: Path, manifest: dict | None = None) -> list[str]:
    """One line per problem: a file missing, altered (size or SHA-256 differ), a link, or not in the manifest
    (a folder of such files is named once). `manifest` is ``read_manifest(root)``, when the caller has read it."""
    manifest = read_manifest(root) if manifest is None else manifest
    problems = []
    inside = root.resolve()
    files, links = walk_kit(root)
    for rel, expected in sorted(manifest["files"].items()):
        path = root / rel
        parts = [root / part for part in PurePosixPath(rel).parents if str(part) != "."] + [path]
        if any(link.is_symlink() for link in parts):
            continue  # named below, with every other link
        if path.exists() and not path.resolve().is_relative_to(inside):
            problems.append(f"outside the kit: {rel}")
        elif not path.is_file():
            problems.append(f"missing: {rel}")
        elif path.stat().st_size != expected["size"]:
            problems.append(f"altered: {rel} ({path.stat().st_size:,} bytes, the manifest says {expected['size']:,})")
        elif sha256_of(path) != expected["sha256"]:
            problems.append(f"altered: {rel} (SHA-256 differs from the manifest's)")
    problems += [f"a link, not a file: {rel} (a kit holds only plain files)" for rel in links]
    listed = set(manifest["files"])
    known_tops = {rel.split("/")[0] for rel in listed}
    extra = [rel for rel in files if str(rel) not in listed]
    strangers: dict[str, int] = {}
    for rel in extra:
        if len(rel.parts) > 1 and rel.parts[0] not in known_tops:
            strangers[rel.parts[0]] = strangers.get(rel.parts[0], 0) + 1
        else:
            problems.append(f"not in the manifest: {rel}")
    for top, count in sorted(strangers.items()):
        hint = " (the course set up inside the kit? move that folder out of the kit)" if top == DEFAULT_DEST_NAME else ""
        problems.append(f"not in the manifest: {top}/ (a folder of {count:,} files){hint}")
    return problems


def summary(problems: list[str], limit: int = MAX_LISTED) -> str:
    """The first `limit` problems, one a line, then one line counting the rest."""
    lines = problems[:limit]
    if len(problems) > limit:
        lines.append(f"... and {len(problems) - limit:,} more problems")
    return "\n  ".join(lines)


def check(root: Path) -> dict:
    """The manifest, once every file agrees with it; otherwise a KitError naming each bad file (the first 30)."""
    manifest = read_manifest(root)
    problems = verify(root, manifest)
    if problems:
        raise KitError("The kit failed its check, so nothing was installed:\n  " + summary(problems)
                       + "\nFix: copy the kit again from the instructor's stick (or ask for a fresh one); "
                         "never edit files inside a kit.")
    return manifest


# --------------------------------------------------------------------------- platforms

def platform_key(system: str | None = None, machine: str | None = None) -> str:
    """This machine as the kit names platforms: linux-x86_64, linux-aarch64, macos-arm64, macos-x86_64, win-amd64."""
    system = (system or platform.system()).lower()
    machine = (machine or platform.machine()).lower()
    machine = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    if system == "windows":
        return "win-amd64" if machine == "x86_64" else f"win-{machine}"
    if system == "darwin":
        return "macos-arm64" if machine == "aarch64" else f"macos-{machine}"
    return f"{system}-{machine}"


def wheel_set(platform_name: str, python: str) -> str:
    """The kit's folder of wheels for one platform and Python version, e.g. linux-x86_64-py3.11."""
    return f"{platform_name}-py{python}"


def this_wheel_set() -> str:
    return wheel_set(platform_key(), f"{sys.version_info[0]}.{sys.version_info[1]}")


def wheel_problems(root: Path, manifest: dict, wheel_set_name: str) -> list[str]:
    """The wheels of one set that are not zip archives (an empty file, a download cut short before the kit was
    made): the manifest checks that a file is what prefetch wrote, not that it is a wheel, and pip's own
    message ("... is invalid") would end in set-up's "delete the .venv folder" fix, which cannot help."""
    prefix = f"wheels/{wheel_set_name}/"
    return [f"not a wheel (not a zip archive): {rel}" for rel in sorted(manifest["files"])
            if rel.startswith(prefix) and rel.endswith(".whl") and not zipfile.is_zipfile(root / rel)]


def choose_wheels(root: Path, manifest: dict) -> Path:
    """The kit's wheel folder for this machine and this Python, or a KitError naming what the kit has."""
    wanted = this_wheel_set()
    have = manifest.get("wheel_sets", [])
    if wanted not in have:
        raise KitError(
            f"This kit has no wheels for this machine ({wanted}); it has: {', '.join(have) or 'none'}. "
            "Fix: run this script with a Python the kit was made for (e.g. `python3.11`, or `py -3.11` on Windows), "
            f"or ask the instructor to add yours: `python -m course_utils prefetch KIT --platform {platform_key()} "
            f"--python {sys.version_info[0]}.{sys.version_info[1]}`.")
    broken = wheel_problems(root, manifest, wanted)
    if broken:
        raise KitError("The kit was made with broken wheels, so nothing was installed:\n  " + summary(broken)
                       + "\nFix: ask the instructor for a kit made again (`python -m course_utils prefetch` refuses such a "
                         "kit now); copying this one again does not help.")
    return root / "wheels" / wanted


# --------------------------------------------------------------------------- set-up

def venv_python(prefix: Path) -> Path:
    """The Python of a venv this script made (``course_utils.system.env_python`` for a venv)."""
    return prefix / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _run(command: list[str], say, **kwargs) -> None:
    say("$ " + " ".join(command))
    done = subprocess.run(command, **kwargs)
    if done.returncode != 0:
        raise KitError(f"This step failed (exit {done.returncode}): {' '.join(command)}\n"
                       "Fix: read the lines above; to start clean, delete the .venv folder in the course folder and run again.")


def copy_files(kit: Path, dest: Path, rels: list[str], say=print, what: str = "your own") -> list[str]:
    """Copy each of `rels` (paths the manifest lists, checked) from `kit` to `dest`, as new files of the
    learner's (writable, whatever the kit's modes: a kit on a CD or a write-protected stick is read-only).
    A file already there that is the same is left; one that differs (a notebook the learner worked in, a
    cache entry a later download updated) is never overwritten: it is kept and named. Returns the kept files."""
    kept = []
    for rel in rels:
        source, target = kit / rel, dest / rel
        if any(parent.is_symlink() for parent in [target, *target.parents] if parent != dest and dest in parent.parents):
            kept.append(rel)
            continue
        if target.is_dir() or (target.exists() and not _same_bytes(source, target)):
            kept.append(rel)
            continue
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        # The contents only (never the kit's read-only mode), under a temporary name first: a copy cut short (Ctrl-C,
        # a full disk) must not be found by the next run as a file that differs, and be kept as the learner's own.
        partial = target.with_name(f".{target.name}.kit-copy")
        try:
            shutil.copyfile(source, partial)
            os.replace(partial, target)
        finally:
            if partial.exists():
                partial.unlink()
    for name in kept[:MAX_LISTED]:
        say(f"kept {what} {name} (the kit's copy differs; rename yours and run again to get the kit's)")
    if len(kept) > MAX_LISTED:
        say(f"... and {len(kept) - MAX_LISTED:,} more files kept")
    return kept


def _same_bytes(first: Path, second: Path) -> bool:
    if first.stat().st_size != second.stat().st_size:
        return False
    with open(first, "rb") as one, open(second, "rb") as two:
        while True:
            block = one.read(1 << 20)
            if block != two.read(1 << 20):
                return False
            if not block:
                return True


def _listed(kit: Path, manifest: dict | None) -> list[str]:
    return sorted((manifest if manifest is not None else read_manifest(kit))["files"])


def copy_course(kit: Path, dest: Path, say=print, manifest: dict | None = None) -> list[str]:
    """Copy the notebooks, images and README the manifest lists into `dest`; a file already there that
    differs from the kit's (a notebook the learner worked in, their own README or image) is kept and named.
    Returns the kept files, relative to `dest`."""
    rels = [rel for rel in _listed(kit, manifest) if rel.split("/")[0] in COURSE_FOLDERS or rel == "README.md"]
    return copy_files(kit, dest, rels, say)


def copy_hf_cache(kit: Path, dest: Path, say=print, manifest: dict | None = None) -> list[str]:
    """Copy the kit's Hugging Face cache (the files the manifest lists under hf/, nothing else) into
    `dest`/hf, file by file: the learner's own entries (a `refs/main` a later download updated, a model
    they added) are kept. Returns the kept files."""
    rels = [rel for rel in _listed(kit, manifest) if rel.startswith("hf/")]
    return copy_files(kit, dest, rels, say, what="your cache's")


def default_dest(kit: Path, cwd: Path | None = None) -> Path:
    """Where the course goes without --dest: ./zero-to-finetune, or beside the kit when this runs from
    inside it (a course set up inside the kit would fail every later check of the kit)."""
    cwd = (cwd or Path.cwd()).resolve()
    kit = kit.resolve()
    if cwd == kit or kit in cwd.parents:
        return kit.parent / DEFAULT_DEST_NAME
    return cwd / DEFAULT_DEST_NAME


def offline_pth_line(hf_home: Path) -> str:
    """The one-line .pth that points the environment at the kit's HF cache and turns the Hub off."""
    return (f"import os; os.environ.setdefault('HF_HOME', {str(hf_home)!r}); "
            "os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ.setdefault('HF_DATASETS_OFFLINE', '1')\n")


def setup_from_kit(kit: Path, dest: Path, say=print) -> Path:
    """Check the kit, copy the course into `dest`, make `dest/.venv` from the kit's wheels. Returns its Python."""
    kit, dest = kit.resolve(), dest.resolve()
    if dest == kit or kit in dest.parents:
        raise KitError(f"--dest {dest} is inside the kit, where the course would fail every later check of the kit "
                       f"(files not in its manifest). Fix: choose a folder outside it, e.g. --dest {kit.parent / DEFAULT_DEST_NAME}.")
    manifest = check(kit)
    if dest.exists() and not dest.is_dir():
        raise KitError(f"--dest {dest} is a file. Fix: choose a folder (a new one, or an earlier set-up's).")
    say(f"kit checked: {len(manifest['files'])} files agree with the manifest")
    wheels = choose_wheels(kit, manifest)
    dest.mkdir(parents=True, exist_ok=True)
    with setup_lock(dest, say):
        return _set_up(kit, dest, manifest, wheels, say)


def _set_up(kit: Path, dest: Path, manifest: dict, wheels: Path, say) -> Path:
    copy_course(kit, dest, say, manifest)
    hf_home = dest / "hf"
    copy_hf_cache(kit, dest, say, manifest)
    prefix = dest / ".venv"
    if os.path.lexists(prefix) and not prefix.is_dir():
        raise KitError(f"{prefix} is a file (or a link to nothing), not an environment. Fix: delete it, or rename it "
                       "if it is yours, then run the same command again.")
    python = venv_python(prefix)
    if not python.exists():
        _run([sys.executable, "-m", "venv", str(prefix)], say)
    _run(pip_install_command(python, wheels), say, env=pip_environment())
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, OFFLINE_PTH).write_text(offline_pth_line(hf_home), encoding="utf-8")
    return python


def _try_lock(handle) -> bool:
    """Take the OS lock on an open file without waiting (``course_utils.tools.bootstrap._try_lock``)."""
    try:
        if os.name == "nt":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


@contextmanager
def setup_lock(dest: Path, say=print):
    """One set-up at a time in a course folder, as ``python -m course_utils lab`` takes it there (the same lock
    file): a second one (a learner who ran the script twice, in two terminals) says so and waits, then finds the
    work done; two at once had both copying and pip installing into one .venv. The operating system's lock, so
    a set-up that was killed leaves nothing to clean up."""
    path = dest / LOCK_PATH
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise KitError(f"Set-up keeps its lock in {LOCK_PATH} in {dest}, but something is in the way "
                       f"({type(exc).__name__}: {exc.strerror or exc}). Fix: rename or delete {dest / '.cache'}, then run "
                       "again.") from None
    with handle:
        if not _try_lock(handle):
            say("another set-up is running in this folder; waiting for it to finish (Ctrl-C to stop)")
            while not _try_lock(handle):
                time.sleep(0.5)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            try:
                if os.name == "nt":
                    import msvcrt

                    handle.seek(0)
                    msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
                else:
                    import fcntl

                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            except OSError:
                pass


def pip_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment pip runs in: without any PIP_* setting of the learner's (PIP_FIND_LINKS,
    PIP_INDEX_URL, PIP_EXTRA_INDEX_URL...) and with every pip.conf skipped (PIP_CONFIG_FILE=os.devnull)."""
    env = {key: value for key, value in (os.environ if environ is None else environ).items()
           if not key.upper().startswith("PIP_")}
    return {**env, "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def pip_install_command(python: Path, wheels: Path, *extra: str) -> list[str]:
    """pip install of the course from the kit's wheels only: no index, isolated from user configuration."""
    return [str(python), "-m", "pip", "--isolated", "install", "--no-index", "--find-links", str(wheels),
            *extra, f"{PACKAGE}[{LEARNER_EXTRA}]"]


def lab_command(python: Path, dest: Path) -> list[str]:
    command = [str(python), "-m", "jupyterlab", f"--ServerApp.root_dir={dest}", "notebooks/00_welcome.ipynb"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return command


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description="Set up the zero-to-finetune course from an offline workshop kit.")
    parser.add_argument("--kit", type=Path, default=here if (here / MANIFEST).exists() else None,
                        help="the kit folder (default: the folder this script is in)")
    parser.add_argument("--dest", type=Path, default=None,
                        help=f"where the course goes (default: ./{DEFAULT_DEST_NAME}, or beside the kit when run from inside it)")
    parser.add_argument("--verify-only", action="store_true", help="only check the kit against its manifest")
    parser.add_argument("--lab", action="store_true", help="open JupyterLab at notebook 00 when set up")
    args = parser.parse_args(argv)
    if args.kit is None:
        parser.error("--kit KIT is needed (the folder with manifest.json)")
    if sys.version_info < (3, 10):
        print("error: the course needs Python 3.10 or newer. Fix: run this with the Python the kit was made for.",
              file=sys.stderr)
        return 2
    try:
        if args.dest is None and not args.verify_only:
            args.dest = default_dest(args.kit)
            print(f"the course goes in {args.dest} (--dest DIR to choose)")
        if args.verify_only:
            manifest = check(args.kit)
            print(f"kit checked: {len(manifest['files'])} files agree with the manifest")
            print(f"manifest.json SHA-256: {manifest_sha256(args.kit)}\n"
                  "  (the check finds damage, not tampering: compare this line with the one your instructor published)")
            return 0
        python = setup_from_kit(args.kit, args.dest)
    except KitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nstopped (Ctrl-C). Nothing of yours was changed; run the same command again to finish the set-up.",
              file=sys.stderr)
        return 130
    command = lab_command(python, args.dest.resolve())
    print("set up, offline. Open the course with:\n  " + " ".join(f'"{part}"' if " " in part else part for part in command))
    if args.lab:
        try:
            return subprocess.run(command, cwd=args.dest).returncode
        except KeyboardInterrupt:
            return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
