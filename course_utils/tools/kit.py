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
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

MANIFEST = "manifest.json"
KIT_FORMAT = 1
SETUP_SCRIPT = "setup_from_kit.py"
PACKAGE = "course-utils"
#: The extra a learner's environment installs with it: JupyterLab and the kernel.
LEARNER_EXTRA = "lab"
#: The .pth file that makes the kit's environment offline and points it at the kit's HF cache.
OFFLINE_PTH = "zero_to_finetune_kit.pth"
#: What an operating system leaves in a copied folder or on a USB stick: never part of a kit.
OS_LITTER_FILES = {".DS_Store", "Thumbs.db", "desktop.ini"}
OS_LITTER_DIRS = {"System Volume Information", ".Trashes", ".Spotlight-V100", ".fseventsd", "$RECYCLE.BIN", "__pycache__"}
#: Folders copied from the kit into the learner's course folder.
COURSE_FOLDERS = ("notebooks", "images")


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


def _is_litter(rel: PurePosixPath) -> bool:
    return (rel.name in OS_LITTER_FILES or rel.name.startswith("._")
            or any(part in OS_LITTER_DIRS for part in rel.parts[:-1]))


def kit_files(root: Path) -> list[PurePosixPath]:
    """Every file in the kit (relative, with / separators) but the manifest and OS litter."""
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() or path.is_symlink():
            rel = PurePosixPath(path.relative_to(root).as_posix())
            if str(rel) != MANIFEST and not _is_litter(rel):
                found.append(rel)
    return found


def write_manifest(root: Path, info: dict) -> Path:
    """Write manifest.json: `info` plus the size and SHA-256 of every file in the kit."""
    files = {str(rel): {"size": (root / rel).stat().st_size, "sha256": sha256_of(root / rel)} for rel in kit_files(root)}
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
    return None


def read_manifest(root: Path) -> dict:
    """The kit's manifest, or a KitError saying why it cannot be read.

    Every entry must be a plain relative path (no absolute paths, no ``..``) with an integer size
    and a 64-hex-digit SHA-256, so that nothing outside the kit is ever read or revealed."""
    path = root / MANIFEST
    if root.exists() and not root.is_dir():
        raise KitError(f"{root} is a file, not a kit folder. Fix: pass the folder that holds {MANIFEST}.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KitError(f"{root} has no {MANIFEST}, so it is not a workshop kit (or the copy is incomplete). "
                       "Fix: copy the whole kit folder again from the instructor's stick.") from None
    except (OSError, ValueError) as exc:
        raise KitError(f"{MANIFEST} cannot be read ({type(exc).__name__}). Fix: copy the kit again.") from None
    if not isinstance(manifest, dict) or manifest.get("kit_format") != KIT_FORMAT or not isinstance(manifest.get("files"), dict):
        found = manifest.get("kit_format") if isinstance(manifest, dict) else None
        raise KitError(f"This kit's manifest is format {found!r}; this script reads format "
                       f"{KIT_FORMAT}. Fix: use the {SETUP_SCRIPT} that came in the same kit.")
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


def manifest_sha256(root: Path) -> str:
    """The manifest's own SHA-256: an instructor publishes it so learners can compare (see README)."""
    return sha256_of(root / MANIFEST)


def verify(root: Path, manifest: dict | None = None) -> list[str]:
    """One line per problem: a file missing, altered (size or SHA-256 differ) or not in the manifest.
    `manifest` is ``read_manifest(root)``, when the caller has read it already."""
    manifest = read_manifest(root) if manifest is None else manifest
    problems = []
    inside = root.resolve()
    for rel, expected in sorted(manifest["files"].items()):
        path = root / rel
        links = [root / part for part in PurePosixPath(rel).parents if str(part) != "."] + [path]
        if any(link.is_symlink() for link in links):
            problems.append(f"a link, not a file: {rel} (a kit holds only plain files)")
        elif path.exists() and not path.resolve().is_relative_to(inside):
            problems.append(f"outside the kit: {rel}")
        elif not path.is_file():
            problems.append(f"missing: {rel}")
        elif path.stat().st_size != expected["size"]:
            problems.append(f"altered: {rel} ({path.stat().st_size:,} bytes, the manifest says {expected['size']:,})")
        elif sha256_of(path) != expected["sha256"]:
            problems.append(f"altered: {rel} (SHA-256 differs from the manifest's)")
    listed = set(manifest["files"])
    problems += [f"not in the manifest: {rel}" for rel in kit_files(root) if str(rel) not in listed]
    return problems


def check(root: Path) -> dict:
    """The manifest, once every file agrees with it; otherwise a KitError naming each bad file."""
    manifest = read_manifest(root)
    problems = verify(root, manifest)
    if problems:
        raise KitError("The kit failed its check, so nothing was installed:\n  " + "\n  ".join(problems)
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


def copy_course(kit: Path, dest: Path, say=print) -> list[str]:
    """Copy notebooks, images and README into `dest`. A file already there that differs from the kit's
    (a notebook the learner worked in, their own README or image) is never overwritten: it is kept and
    named. Returns the kept files, relative to `dest`."""
    kept = []
    sources = [source for folder in COURSE_FOLDERS for source in sorted((kit / folder).rglob("*"))]
    for source in sources + [kit / "README.md"]:
        if not source.is_file() or source.is_symlink() or _is_litter(PurePosixPath(source.name)):
            continue
        rel = source.relative_to(kit)
        target = dest / rel
        if target.is_symlink() or target.is_dir() or (target.exists() and target.read_bytes() != source.read_bytes()):
            kept.append(rel.as_posix())
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    for name in kept:
        say(f"kept your own {name} (the kit's copy differs; rename yours and run again to get the kit's)")
    return kept


def offline_pth_line(hf_home: Path) -> str:
    """The one-line .pth that points the environment at the kit's HF cache and turns the Hub off."""
    return (f"import os; os.environ.setdefault('HF_HOME', {str(hf_home)!r}); "
            "os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ.setdefault('HF_DATASETS_OFFLINE', '1')\n")


def setup_from_kit(kit: Path, dest: Path, say=print) -> Path:
    """Check the kit, copy the course into `dest`, make `dest/.venv` from the kit's wheels. Returns its Python."""
    kit, dest = kit.resolve(), dest.resolve()
    manifest = check(kit)
    if dest.exists() and not dest.is_dir():
        raise KitError(f"--dest {dest} is a file. Fix: choose a folder (a new one, or an earlier set-up's).")
    say(f"kit checked: {len(manifest['files'])} files agree with the manifest")
    wheels = choose_wheels(kit, manifest)
    dest.mkdir(parents=True, exist_ok=True)
    copy_course(kit, dest, say)
    hf_home = dest / "hf"
    if (kit / "hf").is_dir():
        shutil.copytree(kit / "hf", hf_home, dirs_exist_ok=True)
    prefix = dest / ".venv"
    python = venv_python(prefix)
    if not python.exists():
        _run([sys.executable, "-m", "venv", str(prefix)], say)
    _run(pip_install_command(python, wheels), say, env=pip_environment())
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, OFFLINE_PTH).write_text(offline_pth_line(hf_home), encoding="utf-8")
    return python


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
    parser.add_argument("--dest", type=Path, default=Path.cwd() / "zero-to-finetune", help="where the course goes")
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
    command = lab_command(python, args.dest.resolve())
    print("set up, offline. Open the course with:\n  " + " ".join(f'"{part}"' if " " in part else part for part in command))
    if args.lab:
        return subprocess.run(command, cwd=args.dest).returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
