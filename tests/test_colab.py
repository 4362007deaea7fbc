"""Colab: badges and setup cells come from REPO_URL, and the Colab path works, simulated here.

The simulation builds the course's wheel, makes a fresh virtual environment that has what Colab
has (PyTorch and the rest, but not course_utils), makes its kernel import a stand-in
``google.colab`` at start-up as Colab's does, and runs notebook 00 there: its setup cell must
install the course from the wheel with pip and then go on exactly as locally.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest

from course_utils import REPO_URL, __version__
from course_utils.errors import CourseError
from course_utils.tools import colab, lanes, notebooks

NOTEBOOKS = notebooks.all_notebooks()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_every_notebook_agrees_with_repo_url(path):
    assert colab.problems(path) == [], "run `python -m course_utils colab`, then regenerate"


def test_sync_rewrites_badge_and_setup_cell_and_keeps_the_rest(tmp_path):
    path = tmp_path / "09_demo.ipynb"
    title = nbformat.v4.new_markdown_cell("# 09 · Demo\n\nA promise.")
    setup = nbformat.v4.new_code_cell("import course_utils\nconfig = course_utils.setup()\nprint(config.seed)")
    nbformat.write(nbformat.v4.new_notebook(cells=[title, setup, nbformat.v4.new_code_cell("x = 1")]), path)
    assert len(colab.problems(path)) == 2

    fork = "https://github.com/someone/fork-of-course"
    assert colab.sync([path], url=fork) == [path]
    assert colab.problems(path, url=fork) == [] and len(colab.problems(path)) == 2
    notebook = nbformat.read(path, as_version=4)
    assert f"colab.research.google.com/github/someone/fork-of-course/blob/v{__version__}/notebooks/09_demo.ipynb" in notebook.cells[0].source
    assert notebook.cells[0].source.startswith("# 09 · Demo\n") and "A promise." in notebook.cells[0].source
    assert f"git+{fork}@v{__version__}" in notebook.cells[1].source and notebook.cells[1].source.endswith("\nprint(config.seed)")
    assert notebook.cells[2].source == "x = 1"
    assert colab.sync([path], url=fork) == [], "a second run changes nothing"
    assert colab.sync([path]) == [path] and colab.problems(path) == []


def test_repo_url_is_a_github_address():
    assert colab.repo_slug(REPO_URL).count("/") == 1
    with pytest.raises(CourseError, match="GitHub address"):
        colab.repo_slug("https://gitlab.com/a/b")


def test_check_command_passes_on_the_repository():
    done = subprocess.run([sys.executable, "-m", "course_utils", "colab", "--check"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "agree with" in done.stdout, done.stdout + done.stderr


def _colab_like_site(tmp_path: Path) -> Path:
    """A folder that shows everything this Python has installed except course_utils: Colab's
    preinstalled stack (PyTorch, transformers, Jupyter) without the course."""
    site = tmp_path / "colab" / "site-packages"  # named so: datasets hashes code outside "site-packages" by value
    site.mkdir(parents=True)
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        name = entry.name.lower()
        if name.startswith(("course_utils", "course-utils", "__editable__", "_course_utils")) or name.endswith(".pth"):
            continue
        (site / entry.name).symlink_to(entry)
    return site


@pytest.mark.full
@pytest.mark.skipif(os.name == "nt", reason="Colab is Linux; the stand-in site folder is made of symlinks")
def test_colab_simulation_installs_the_wheel_and_runs_notebook_00(tmp_path):
    from nbclient import NotebookClient

    root = Path(__file__).resolve().parents[1]
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(wheels), str(root)], check=True, timeout=300)
    wheel = next(wheels.glob("course_utils-*.whl"))

    venv = tmp_path / "colab-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    venv_site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                    capture_output=True, text=True, check=True).stdout.strip())
    for old in [*venv_site.glob("setuptools*"), *venv_site.glob("_distutils_hack"), *venv_site.glob("distutils-precedence.pth")]:
        shutil.rmtree(old) if old.is_dir() else old.unlink()  # venv's own old setuptools would shadow the newer one Colab has
    (venv_site / "colab_preinstalled.pth").write_text(str(_colab_like_site(tmp_path)) + "\n")
    before = subprocess.run([str(python), "-c", "import torch, transformers; import course_utils"], capture_output=True,
                            text=True, cwd=tmp_path)  # not the repository root, where course_utils/ would be importable
    assert "No module named 'course_utils'" in before.stderr, "the fresh environment must not have the course yet"

    # Colab's kernel imports google.colab when it starts; ours imports a stand-in (the Colab lane's kernel).
    env = notebooks.apply_notebook_env({"PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                                        "COURSE_UTILS_SOURCE": str(wheel)})
    kernel = lanes.colab_kernel(tmp_path, str(python), env)

    path = root / "notebooks" / "00_welcome.ipynb"
    notebook = nbformat.read(path, as_version=4)
    os.environ["JUPYTER_PATH"] = str(tmp_path / "jupyter")
    try:
        NotebookClient(notebook, timeout=600, kernel_name=kernel,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        os.environ.pop("JUPYTER_PATH")

    installed = subprocess.run([str(python), "-c", "import course_utils, sys; print(course_utils.__file__)"],
                               capture_output=True, text=True, env={**env, "PYTHONPATH": ""}, cwd=tmp_path)
    assert str(venv_site) in installed.stdout, f"the setup cell did not install the wheel: {installed.stdout}{installed.stderr}"
    outputs = ["".join(out.get("text", "")) for cell in notebook.cells for out in cell.get("outputs", [])]
    assert any("course_utils ready" in text for text in outputs)
    assert not any(out.get("output_type") == "error" for cell in notebook.cells for out in cell.get("outputs", []))
    assert any("[OK]" in text for text in outputs), "the environment check ran"
    shutil.rmtree(venv, ignore_errors=True)
