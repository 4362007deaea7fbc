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

def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
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
        if path.is_file():
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


def read_manifest(root: Path) -> dict:
    """The kit's manifest, or a KitError saying why it cannot be read."""
    path = root / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KitError(f"{root} has no {MANIFEST}, so it is not a workshop kit (or the copy is incomplete). "
                       "Fix: copy the whole kit folder again from the instructor's stick.") from None
    except (OSError, ValueError) as exc:
        raise KitError(f"{MANIFEST} cannot be read ({type(exc).__name__}). Fix: copy the kit again.") from None
    if manifest.get("kit_format") != KIT_FORMAT or not isinstance(manifest.get("files"), dict):
        raise KitError(f"This kit's manifest is format {manifest.get('kit_format')!r}; this script reads format "
                       f"{KIT_FORMAT}. Fix: use the {SETUP_SCRIPT} that came in the same kit.")
    return manifest


def verify(root: Path) -> list[str]:
    """One line per problem: a file missing, altered (size or SHA-256 differ) or not in the manifest."""
    manifest = read_manifest(root)
    problems = []
    for rel, expected in sorted(manifest["files"].items()):
        path = root / rel
        if not path.is_file():
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
    problems = verify(root)
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
    return prefix / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _run(command: list[str], say, **kwargs) -> None:
    say("$ " + " ".join(command))
    done = subprocess.run(command, **kwargs)
    if done.returncode != 0:
        raise KitError(f"This step failed (exit {done.returncode}): {' '.join(command)}\n"
                       "Fix: read the lines above; to start clean, delete the .venv folder in the course folder and run again.")


def copy_course(kit: Path, dest: Path, say=print) -> list[str]:
    """Copy notebooks, images and README into `dest`; a notebook the learner changed is kept. Returns those kept."""
    kept = []
    for folder in COURSE_FOLDERS:
        for source in sorted((kit / folder).rglob("*")):
            if not source.is_file() or _is_litter(PurePosixPath(source.name)):
                continue
            target = dest / source.relative_to(kit)
            if target.exists() and target.read_bytes() != source.read_bytes() and target.suffix == ".ipynb":
                kept.append(target.name)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    if (kit / "README.md").is_file():
        shutil.copyfile(kit / "README.md", dest / "README.md")
    for name in kept:
        say(f"kept your own copy of {name} (the kit's copy differs)")
    return kept


def offline_pth_line(hf_home: Path) -> str:
    """The one-line .pth that points the environment at the kit's HF cache and turns the Hub off."""
    return (f"import os; os.environ.setdefault('HF_HOME', {str(hf_home)!r}); "
            "os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ.setdefault('HF_DATASETS_OFFLINE', '1')\n")


def setup_from_kit(kit: Path, dest: Path, say=print) -> Path:
    """Check the kit, copy the course into `dest`, make `dest/.venv` from the kit's wheels. Returns its Python."""
    kit, dest = kit.resolve(), dest.resolve()
    manifest = check(kit)
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
    # No index, no pip configuration: the kit's wheels are the only source, so nothing reaches the network.
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    _run([str(python), "-m", "pip", "install", "--no-index", "--find-links", str(wheels), PACKAGE], say, env=env)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, OFFLINE_PTH).write_text(offline_pth_line(hf_home), encoding="utf-8")
    return python


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
