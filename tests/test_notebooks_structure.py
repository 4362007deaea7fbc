"""Every notebook follows the course's anatomy, and its committed outputs are clean."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from course_utils.tools.notebooks import all_notebooks
from course_utils.tools.browser import SCREENSHOT
from course_utils.tools.images import IMAGES

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = all_notebooks()
MACHINE_PATH = re.compile(r"(/tmp/|/root/|/work/|/home/\w+|site-packages|/opt/|ipykernel_\d+|C:\\\\Users|\.venv)")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _markdown(nb: dict) -> str:
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def test_numbered_without_gaps():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers and numbers == list(range(len(numbers)))
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", p.name) for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_anatomy(path):
    nb = _load(path)
    first = "".join(nb["cells"][0]["source"])
    assert first.startswith(f"# {path.name[:2]} "), "title with the notebook's number"
    assert "Open In Colab" in first and "**Time needed:**" in first and "**Prerequisites:**" in first
    text = _markdown(nb)
    assert "## Learning objectives" in text
    objectives = text.split("## Learning objectives")[1].split("\n## ")[0]
    assert 3 <= len(re.findall(r"^\d+\. ", objectives, re.MULTILINE)) <= 5
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "course_utils.setup(" in "".join(code[0]["source"]), "the first code cell is the setup cell"
    assert "## Exercises" in text and "## Summary" in text
    assert text.count("<details>") >= text.count("### Exercise") >= 1, "every exercise has a revealable solution"
    assert sum("check(" in "".join(c["source"]) for c in code) >= text.count("### Exercise")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_are_clean(path):
    nb = _load(path)
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1)), "run top to bottom by regenerate"
    for index, cell in enumerate(code):
        for out in cell["outputs"]:
            where = f"code cell {index + 1}"
            assert out["output_type"] != "error", f"{where}: a traceback"
            assert not (out["output_type"] == "stream" and out["name"] == "stderr"), f"{where}: stderr: {out['text']!r}"
            assert "image/svg+xml" not in out.get("data", {}), f"{where}: an SVG figure"
            if "image/png" in out.get("data", {}):
                assert b"Matplotlib version" not in base64.b64decode(out["data"]["image/png"]), \
                    f"{where}: a figure that carries matplotlib's version (an upgrade would rewrite it)"
            text = "".join(out.get("text", "")) + json.dumps({k: v for k, v in out.get("data", {}).items() if k != "image/png"})
            assert not MACHINE_PATH.search(text), f"{where}: a machine path: {MACHINE_PATH.search(text).group(0)}"
            assert "Traceback" not in text and "\r" not in text, f"{where}: traceback or progress-bar noise"
            # regenerate has no live front end, so explore() draws its static settings instead of a widget
            # that GitHub's view, nbval and a reader without a kernel could not show
            assert "application/vnd.jupyter.widget-view+json" not in out.get("data", {}), f"{where}: a widget in the outputs"


def test_every_image_is_made_by_code():
    files = sorted(p.name for p in (ROOT / "images").iterdir() if p.is_file())
    assert files, "images/ holds the README's figures"
    made = set(IMAGES) | {SCREENSHOT}  # figures: `python -m course_utils images`; JupyterLab: `... screenshot`
    assert set(files) <= made, f"images without a generator: {set(files) - made}"
    readme = (ROOT / "README.md").read_text()
    assert all(f"(images/{name})" in readme for name in files), "every picture in images/ is shown in the README"


def test_images_command_redraws_them(tmp_path):
    from course_utils.tools.images import write_images

    written = write_images(tmp_path)
    assert sorted(p.name for p in written) == sorted(IMAGES)
    assert all(p.stat().st_size > 10_000 and p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in written)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_links_to_course_files_exist(path):
    """A link to another notebook or a repository file must not lead nowhere."""
    text = _markdown(_load(path))
    for target in re.findall(r"\]\(((?!https?://|#|mailto:)[^)\s]+)\)", text):
        assert (path.parent / target.split("#")[0]).exists(), f"{path.name} links to {target}, which does not exist"


MARKDOWN_HEADING_COMMENT = re.compile(r"^#\s+#{1,6}\s+\S")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_markdown_heading_inside_a_code_cell(path):
    """A heading written as a comment in a code cell (`# ### Mini-batches`: a lost `# %% [markdown]` marker in the
    text twin) is missing from the table of contents and shows its LaTeX and bold raw (05, issue 39.19)."""
    for index, cell in enumerate(_load(path)["cells"]):
        if cell["cell_type"] == "code":
            for line in "".join(cell["source"]).splitlines():
                assert not MARKDOWN_HEADING_COMMENT.match(line.strip()), f"cell {index}: {line.strip()[:60]}"
