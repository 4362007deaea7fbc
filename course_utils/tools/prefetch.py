"""``python -m course_utils prefetch DIR``: gather an offline workshop kit (the instructor's side).

On a machine with network, run from a clone of the course::

    python -m course_utils prefetch KIT --platform linux-x86_64 --platform win-amd64 --platform macos-arm64 \\
        --python 3.11 --installers miniforge

The kit then holds the notebooks, the course's wheel, every dependency's wheel for each chosen
platform and Python (``pip download``; the CPU build of torch on Linux), the models and data sets
in the Hugging Face cache layout, the Miniconda/Miniforge installers asked for, ``setup_from_kit.py``
(``course_utils.kit``, standard library only) and ``manifest.json`` with the size and SHA-256 of
every file. Copy the folder to a USB stick; learners run ``python setup_from_kit.py``.

``--from-installed`` gathers the wheels for this machine from what is installed here instead
(wheel files already on disk, else each installed package packed back into a wheel with
``wheel pack``): for rooms, and tests, where the package index cannot be reached.
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import kit

from .. import hub
from .bootstrap import MIN_PYTHON, TORCH_CPU_INDEX, TORCH_CPU_SPEC
from ..errors import CourseError

#: Hub ids the notebooks load; each goes into the kit's HF cache when this machine can get it.
KIT_MODELS = ("bert-base-uncased", "sentence-transformers/all-MiniLM-L6-v2")
KIT_DATASETS = ("stanfordnlp/imdb",)
#: Kit platform -> the pip platform tag to download for (pip also accepts older compatible tags).
PIP_PLATFORMS = {
    "linux-x86_64": "manylinux_2_28_x86_64",
    "linux-aarch64": "manylinux_2_28_aarch64",
    "macos-arm64": "macosx_12_0_arm64",
    "win-amd64": "win_amd64",
}
#: Kit platform -> (system, machine) as course_utils.installer names them.
INSTALLER_PLATFORMS = {
    "linux-x86_64": ("Linux", "x86_64"), "linux-aarch64": ("Linux", "aarch64"),
    "macos-arm64": ("Darwin", "arm64"), "win-amd64": ("Windows", "x86_64"),
}
HUB_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model", "*.parquet", "README.md"]


def _python_now() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


# --------------------------------------------------------------------------- wheels

def check_python_version(python: str) -> None:
    """Refuse a --python the course cannot run on (not X.Y, or older than the course's minimum) at once."""
    if not isinstance(python, str) or not re.fullmatch(r"3\.\d{1,2}", python):
        raise CourseError(f"--python wants a version such as 3.11, not {python!r}. Fix: write it as 3.11 or 3.12.")
    if tuple(int(part) for part in python.split(".")) < MIN_PYTHON:
        need = ".".join(map(str, MIN_PYTHON))
        raise CourseError(f"--python {python}: the course needs Python >= {need}, so no wheels exist for it and nothing "
                          f"was copied. Fix: ask for the learners' Python, {need} or newer (e.g. --python 3.11).")


def pip_download_command(dest: Path, course_wheel: Path, platform_name: str, python: str) -> list[str]:
    """The `pip download` that gathers every wheel the course needs for one platform and Python."""
    if platform_name not in PIP_PLATFORMS:
        raise CourseError(f"Unknown platform {platform_name!r}. Fix: choose from {', '.join(PIP_PLATFORMS)} "
                          "(PyTorch publishes no wheels for Intel Macs any more).")
    check_python_version(python)
    command = [sys.executable, "-m", "pip", "download", "--dest", str(dest), "--only-binary=:all:",
               "--platform", PIP_PLATFORMS[platform_name], "--python-version", python, "--implementation", "cp",
               f"{course_wheel}[{kit.LEARNER_EXTRA}]", TORCH_CPU_SPEC]
    if platform_name.startswith("linux-") and TORCH_CPU_INDEX:
        command += ["--extra-index-url", TORCH_CPU_INDEX]  # the CPU build; PyPI's Linux torch pulls GBs of CUDA
    return command


def dependency_closure(name: str = kit.PACKAGE, extras: frozenset[str] = frozenset({kit.LEARNER_EXTRA})) -> list[metadata.Distribution]:
    """Every installed distribution `name` with `extras` needs, directly or not (markers evaluated here), without `name`."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    wanted: dict[str, set[str]] = {}
    found: dict[str, metadata.Distribution] = {}
    queue: list[tuple[str, set[str]]] = [(name, set(extras))]
    while queue:
        current, extras = queue.pop()
        try:
            dist = metadata.distribution(current)
        except metadata.PackageNotFoundError:
            raise CourseError(f"'{current}' is needed by the course but not installed here, so it cannot go into the kit. "
                              "Fix: run `python -m course_utils lab` once (it installs everything), then prefetch again.") from None
        found[canonicalize_name(current)] = dist
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker and not any(requirement.marker.evaluate({"extra": extra}) for extra in extras | {""}):
                continue
            key = canonicalize_name(requirement.name)
            if key in wanted and set(requirement.extras) <= wanted[key]:
                continue
            wanted.setdefault(key, set()).update(requirement.extras)
            queue.append((requirement.name, set(requirement.extras)))
    found.pop(canonicalize_name(name), None)
    return sorted(found.values(), key=lambda d: canonicalize_name(d.metadata["Name"]))


def pip_find_links() -> list[Path]:
    """Local folders pip is configured to find wheels in (``find-links``): wheels already on disk."""
    done = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, timeout=60)
    folders = []
    for value in re.findall(r"find-links='([^']*)'", done.stdout):
        for item in value.split():
            path = Path(item.removeprefix("file://"))
            if path.is_dir() and path not in folders:
                folders.append(path)
    return folders


def _wheel_on_disk(dist: metadata.Distribution, folders: list[Path]) -> Path | None:
    from packaging.tags import sys_tags
    from packaging.utils import canonicalize_name, parse_wheel_filename

    supported = set(sys_tags())
    for folder in folders:
        for path in folder.glob("*.whl"):
            try:
                name, version, _, tags = parse_wheel_filename(path.name)
            except ValueError:
                continue
            if (name == canonicalize_name(dist.metadata["Name"]) and str(version) == dist.version
                    and tags & supported):
                return path
    return None


def repack_installed(dist: metadata.Distribution, dest: Path, work: Path) -> Path:
    """Pack an installed distribution back into a wheel (files from its RECORD; `wheel pack` writes the rest)."""
    info = Path(str(dist._path))  # type: ignore[attr-defined]  # the .dist-info folder
    if info.suffix != ".dist-info" or not (info / "WHEEL").is_file():
        raise CourseError(f"{dist.metadata['Name']} was not installed from a wheel, so it cannot be packed again. "
                          f"Fix: `python -m pip install --force-reinstall {dist.metadata['Name']}=={dist.version}`, then prefetch again.")
    site = Path(dist.locate_file("")).resolve()
    prefix = Path(sys.prefix).resolve()
    tree = work / info.name.removesuffix(".dist-info")
    data = tree / f"{info.name.removesuffix('.dist-info')}.data" / "data"
    for entry in dist.files or []:
        source = (site / entry).resolve()
        if not source.is_file() or source.suffix == ".pyc" or entry.name in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json"):
            continue
        if source.is_relative_to(site):
            target = tree / source.relative_to(site)
        elif source.is_relative_to(prefix):
            rel = source.relative_to(prefix)
            if rel.parts[0] in ("bin", "Scripts"):
                continue  # console scripts: pip writes them again from entry_points.txt
            target = data / rel  # share/jupyter/..., etc/jupyter/...: JupyterLab's assets and settings
        else:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    before = set(dest.glob("*.whl"))
    done = subprocess.run([sys.executable, "-m", "wheel", "pack", "--dest-dir", str(dest), str(tree)],
                          capture_output=True, text=True)
    shutil.rmtree(tree, ignore_errors=True)
    made = set(dest.glob("*.whl")) - before
    if done.returncode != 0 or len(made) != 1:
        raise CourseError(f"`wheel pack` failed for {dist.metadata['Name']}: {(done.stderr or done.stdout).strip()[-300:]}. "
                          "Fix: reinstall that package (`pip install --force-reinstall`), or build the kit without --from-installed.")
    return made.pop()


def wheels_from_installed(course_wheel: Path, dest: Path, say=print) -> list[Path]:
    """This machine's wheels for the course: the course wheel, then each dependency from disk or repacked."""
    dest.mkdir(parents=True, exist_ok=True)
    wheels = [Path(shutil.copy2(course_wheel, dest))]
    folders = pip_find_links()
    with tempfile.TemporaryDirectory(prefix="kit-repack-") as work:
        for dist in dependency_closure():
            on_disk = _wheel_on_disk(dist, folders)
            if on_disk is not None:
                wheels.append(Path(shutil.copy2(on_disk, dest)))
            else:
                wheels.append(repack_installed(dist, dest, Path(work)))
    say(f"wheels: {len(wheels)} for {kit.this_wheel_set()} from what is installed here")
    return wheels


def build_course_wheel(root: Path, dest: Path) -> Path:
    """Build the course's own wheel from the checkout at `root`."""
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                           "--wheel-dir", str(dest), str(root)], capture_output=True, text=True, timeout=600)
    found = sorted(dest.glob("course_utils-*.whl"))
    if done.returncode != 0 or not found:
        raise CourseError(f"Building the course wheel failed: {done.stderr.strip()[-400:]}. "
                          "Fix: run `python -m pip wheel --no-deps .` in the repository to see the whole error.")
    return found[-1]


# --------------------------------------------------------------------------- models and data sets

def _copy_snapshot(source: Path, hub_dir: Path, repo_id: str, repo_type: str, revision: str) -> None:
    """Copy a snapshot into the kit's cache as plain files (USB sticks often cannot hold symlinks)."""
    repo_dir = hub.repo_folder(hub_dir, repo_id, repo_type)
    target = repo_dir / "snapshots" / revision
    shutil.copytree(source, target, symlinks=False, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".gitattributes", "__pycache__"))
    (repo_dir / "refs").mkdir(parents=True, exist_ok=True)
    (repo_dir / "refs" / "main").write_text(revision)


def gather_hub_files(hub_dir: Path, say=print) -> dict[str, str]:
    """Put each of KIT_MODELS and KIT_DATASETS into `hub_dir` (HF cache layout). Returns id -> where from."""
    sources: dict[str, str] = {}
    for repo_type, ids in (("model", KIT_MODELS), ("dataset", KIT_DATASETS)):
        for repo_id in ids:
            snapshot = hub.cached_snapshot(repo_id, repo_type)
            if snapshot is None and hub.hub_status()[0]:
                try:  # the same deadline-bounded download as the notebooks'
                    snapshot = hub.download(repo_id, repo_type, HUB_PATTERNS)
                except hub.Unusable as exc:
                    say(f"{repo_id}: {exc}")
            offline = hub.OFFLINE_MODELS.get(repo_id) if repo_type == "model" else None
            if snapshot is not None:
                _copy_snapshot(snapshot, hub_dir, repo_id, repo_type, snapshot.name)
                sources[repo_id] = "Hugging Face cache"
            elif offline is not None and offline.hub_id == repo_id and (folder := hub.offline_model_folder(offline)):
                hub.verify_offline_model(offline, folder)
                # Not a Hub commit: a local revision name made from the verified weights' hash.
                _copy_snapshot(folder, hub_dir, repo_id, repo_type, offline.sha256[:40])
                sources[repo_id] = f"pip package {offline.distribution} (sha256 verified)"
            else:
                stand_in = "the offline stand-in from the kit's wheels" if repo_id in hub.OFFLINE_MODELS or \
                    repo_id in hub.OFFLINE_DATASETS else "nothing"
                sources[repo_id] = f"not in the kit (not cached here, Hub unreachable); learners get {stand_in}"
            say(f"{repo_id}: {sources[repo_id]}")
    return sources


# --------------------------------------------------------------------------- installers

def gather_installers(dest: Path, distributions: list[str], platforms: list[str], say=print) -> list[str]:
    """Download and verify each asked-for installer for each platform into `dest`."""
    from .. import installer

    names = []
    for distribution in distributions:
        for platform_name in platforms:
            system, machine = INSTALLER_PLATFORMS[platform_name]
            chosen = installer.pick_installer(distribution, system, machine)
            path = installer.download(chosen, dest, installer.published_sha256(chosen), progress=False)
            names.append(path.name)
            say(f"installer: {path.name} (SHA-256 matches the published one)")
    return names


# --------------------------------------------------------------------------- the kit

KIT_README = """\
zero-to-finetune offline workshop kit
=====================================

Learners (no network needed):
  1. Copy this whole folder to your laptop (or run it from the stick).
  2. python {script}
     It checks every file against manifest.json first, then sets the course up in ./zero-to-finetune
     (--dest DIR to choose), and prints the command that opens JupyterLab (--lab opens it).
  Needs Python {pythons}; wheels are here for: {sets}.
  The conda installers, where present, are in installers/ (notebook 01).

Instructors: `python {script} --verify-only` checks a copy of the kit.
Made with `python -m course_utils prefetch`; never edit files in here (the check refuses altered files).
"""


#: Written first into a kit folder prefetch starts, removed when its manifest is written: a run that stopped
#: halfway (no network, Ctrl-C) leaves a folder that the next run recognises as its own. It records the
#: SHA-256 of each file prefetch wrote, so that a file changed since is never overwritten.
IN_PROGRESS = ".prefetch-in-progress.json"
#: The suffix of a file prefetch is writing; one left by a run that was killed is removed by the next.
PARTIAL = ".prefetch-part"


def _in_progress(folder: Path) -> dict | None:
    marker = folder / IN_PROGRESS
    try:
        data = json.loads(marker.read_text(encoding="utf-8")) if marker.is_file() and not marker.is_symlink() else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("made_by") == "course_utils prefetch" else None


def is_earlier_kit(folder: Path) -> bool:
    """True only for a folder prefetch made: a valid kit manifest (format, course version, files) and the
    kit's own set-up script, or a kit prefetch began and could not finish (its IN_PROGRESS record). Any other
    folder holding a `manifest.json` is someone else's."""
    if _in_progress(folder) is not None:
        return True
    try:
        manifest = kit.read_manifest(folder)
    except kit.KitError:
        return False
    return "course_version" in manifest and kit.SETUP_SCRIPT in manifest["files"] and (folder / kit.SETUP_SCRIPT).is_file()


def _earlier_hashes(folder: Path) -> dict[str, str]:
    """rel -> SHA-256 of each file an earlier prefetch wrote into `folder` (its manifest, or its IN_PROGRESS record)."""
    hashes: dict[str, str] = {}
    try:
        hashes.update({rel: entry["sha256"] for rel, entry in kit.read_manifest(folder)["files"].items()})
    except kit.KitError:
        pass
    record = _in_progress(folder)
    if record and isinstance(record.get("written"), dict):
        hashes.update({str(rel): str(sha) for rel, sha in record["written"].items()})
    return hashes


def _write_record(folder: Path, written: dict[str, str]) -> None:
    (folder / IN_PROGRESS).write_text(json.dumps({"made_by": "course_utils prefetch", "written": written}, indent=1),
                                      encoding="utf-8")


def place(data: bytes, dest: Path, rel: str, earlier: dict[str, str], written: dict[str, str], say=print) -> bool:
    """Write `data` as `dest/rel` unless a file is there that differs from it and is not what an earlier
    prefetch wrote (an instructor's edit: kept and named). Records what it wrote in `written`. True when
    the kit now holds `data`."""
    import hashlib

    target = dest / rel
    new = hashlib.sha256(data).hexdigest()
    if target.is_symlink() or target.is_dir():
        say(f"kept {rel}: it is not a plain file; delete it and run prefetch again to get the course's")
        return False
    if target.exists():
        have = kit.sha256_of(target)
        if have == new:
            written[rel] = new
            return True
        if earlier.get(rel) != have:
            say(f"kept {rel}: it was changed after prefetch wrote it (the course's copy differs); delete or rename it "
                "and run prefetch again to get the course's")
            return False
    target.parent.mkdir(parents=True, exist_ok=True)
    # Under a temporary name first: a write cut short (Ctrl-C) must not be found by the next run as a file changed
    # since prefetch wrote it, and be kept (and put in the manifest) half written.
    partial = target.with_name(f".{target.name}{PARTIAL}")
    try:
        partial.write_bytes(data)
        os.replace(partial, target)
    finally:
        if partial.exists():
            partial.unlink()
    written[rel] = new
    return True


def prefetch(dest: Path, platforms: list[str] | None = None, pythons: list[str] | None = None,
             installers: list[str] | None = None, from_installed: bool = False, say=print) -> Path:
    """Gather the kit into `dest` and write its manifest. Returns the manifest's path. Whatever stops it (a file
    no kit may hold, Ctrl-C) is a ``CourseError`` naming the fix; a half-made kit is finished by the next run."""
    try:
        return _prefetch(dest, platforms, pythons, installers, from_installed, say)
    except kit.KitError as exc:  # kit.py raises its own error (it runs alone in a kit): the same message and fix
        raise CourseError(str(exc)) from None
    except KeyboardInterrupt:
        raise CourseError("prefetch stopped (Ctrl-C); the kit is half made and marked so, and set-up refuses it until it "
                          "is finished. Fix: run the same command again: it reuses what was gathered.") from None


def _prefetch(dest: Path, platforms: list[str] | None, pythons: list[str] | None, installers: list[str] | None,
              from_installed: bool, say) -> Path:
    from ..session import repo_root

    root = repo_root()
    if root is None:
        raise CourseError("prefetch runs from a clone of the course (it copies the notebooks and builds the course wheel). "
                          "Fix: `git clone` the course, then run `python -m course_utils prefetch DIR` inside it.")
    platforms = list(dict.fromkeys(platforms or [kit.platform_key()]))
    pythons = list(dict.fromkeys(pythons or [_python_now()]))
    unknown = [name for name in platforms if name not in PIP_PLATFORMS]
    if unknown:
        raise CourseError(f"Unknown platform(s) {', '.join(unknown)}. Fix: choose from {', '.join(PIP_PLATFORMS)}.")
    for python in pythons:  # before anything is copied: a kit for a Python the course refuses fails at once
        check_python_version(python)
    if from_installed and (platforms != [kit.platform_key()] or pythons != [_python_now()]):
        raise CourseError(f"--from-installed can only gather wheels for this machine ({kit.this_wheel_set()}). "
                          "Fix: drop --from-installed (on a machine with network) to download wheels for other platforms.")
    dest = dest.resolve()
    if dest.exists() and not dest.is_dir():
        raise CourseError(f"{dest} is a file. Fix: choose a new or empty folder for the kit.")
    if dest.exists() and any(dest.iterdir()) and not is_earlier_kit(dest):
        raise CourseError(f"{dest} is not empty and is not a kit made by prefetch, so nothing in it was touched. "
                          "Fix: choose a new or empty folder.")
    earlier = _earlier_hashes(dest) if dest.exists() else {}
    dest.mkdir(parents=True, exist_ok=True)
    for stale in dest.rglob(f".*{PARTIAL}"):  # left by a run that was killed: never part of a kit
        if stale.is_file() and not stale.is_symlink():
            stale.unlink()
    written: dict[str, str] = {}
    _write_record(dest, written)
    if (dest / kit.MANIFEST).exists():
        (dest / kit.MANIFEST).unlink()  # the kit is being remade: set-up refuses it until the new manifest is written

    sources = [path for folder, pattern in (("notebooks", "*.ipynb"), ("notebooks", "*.md"), ("images", "*.png"))
               for path in sorted((root / folder).glob(pattern))] + [root / "README.md"]
    for path in sources:
        place(path.read_bytes(), dest, path.relative_to(root).as_posix(), earlier, written, say)
    _write_record(dest, written)

    wheel_sets = []
    with tempfile.TemporaryDirectory(prefix="kit-course-wheel-") as work:
        course_wheel = build_course_wheel(root, Path(work))
        for platform_name in platforms:
            for python in pythons:
                name = kit.wheel_set(platform_name, python)
                target = dest / "wheels" / name
                if from_installed:
                    wheels_from_installed(course_wheel, target, say)
                else:
                    target.mkdir(parents=True, exist_ok=True)
                    command = pip_download_command(target, course_wheel, platform_name, python)
                    say("$ " + " ".join(command))
                    if subprocess.run(command).returncode != 0:
                        raise CourseError(f"`pip download` for {name} failed (lines above). Fix: check the network; "
                                          "where the package index cannot be reached, `--from-installed` packs this machine's own.")
                wheel_sets.append(name)

    sources = gather_hub_files(dest / "hf" / "hub", say)
    installer_names = gather_installers(dest / "installers", installers or [], platforms, say) if installers else []

    broken = [problem for name in wheel_sets for problem in kit.wheel_problems(dest, {"files": {
        path.relative_to(dest).as_posix(): {} for path in (dest / "wheels" / name).glob("*.whl")}}, name)]
    if broken:
        raise CourseError("Some wheels gathered for the kit are not wheels, so no manifest was written:\n  "
                          + kit.summary(broken) + "\nFix: delete those files and run prefetch again (a download cut "
                          "short leaves such a file).")
    place(Path(kit.__file__).read_bytes(), dest, kit.SETUP_SCRIPT, earlier, written, say)
    readme = KIT_README.format(script=kit.SETUP_SCRIPT, pythons=" or ".join(pythons), sets=", ".join(wheel_sets))
    place(readme.encode("utf-8"), dest, "README.txt", earlier, written, say)
    (dest / IN_PROGRESS).unlink()
    from .. import __version__

    manifest = kit.write_manifest(dest, {"course_version": __version__, "wheel_sets": wheel_sets,
                                         "hub": sources, "installers": installer_names})
    files = kit.read_manifest(dest)["files"]
    size = sum(entry["size"] for entry in files.values())
    say(f"kit ready: {len(files)} files, {size / 1e6:,.0f} MB, manifest.json with SHA-256 of each. "
        f"Copy {dest.name}/ to a USB stick; learners run `python {kit.SETUP_SCRIPT}` in it.")
    return manifest
