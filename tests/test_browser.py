"""The course in a real browser: JupyterLab on loopback with a token, headless Chromium through Playwright.

Notebook 00 is run with Run All Cells from JupyterLab's menu; no cell may show an error and the
environment check's lines must render. Then a slider from notebook 05 is moved with the keyboard
and its plot must be redrawn. Screenshots go to test-artifacts/screenshots/. Where no Chromium
exists (``python -m course_utils test`` installs Debian's where it can) the test skips, saying why.
"""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path

import nbformat
import pytest

from course_utils.tools import browser
from course_utils.tools.notebooks import all_notebooks

ROOT = Path(__file__).resolve().parents[1]
SHOTS = Path(os.environ.get("COURSE_SCREENSHOTS", ROOT / "test-artifacts" / "screenshots"))
try:
    CHROMIUM, WHY_NOT = browser.require_browser(), ""
except browser.BrowserUnavailable as exc:
    CHROMIUM, WHY_NOT = None, str(exc)

pytestmark = [pytest.mark.full, pytest.mark.skipif(CHROMIUM is None, reason=f"no real-browser test here: {WHY_NOT}")]


def _saved_check_names(path: Path) -> list[str]:
    """The names on the environment check's lines in the notebook as saved ('python', 'torch', ...)."""
    text = "".join("".join(out.get("text", "")) for cell in nbformat.read(path, as_version=4).cells
                   for out in cell.get("outputs", []))
    return re.findall(r"^\[(?:OK|WARN|FAIL)\]\s+([^:]+):", text, re.MULTILINE)


def test_notebook_00_runs_and_a_slider_from_05_redraws_its_plot():
    notebooks = all_notebooks()
    welcome = notebooks[0]
    descent = next(path for path in notebooks if path.name.startswith("05_"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    with browser.jupyterlab([welcome, descent]) as server, browser.chromium_page(CHROMIUM) as page:
        browser.open_notebook(page, server, welcome.name)
        result = browser.run_all(page)
        page.screenshot(path=str(SHOTS / "00_after_run_all.png"))
        assert result.cells >= 5 and result.executed == result.cells, f"{result.executed} of {result.cells} cells ran"
        assert result.errors == [], f"a cell shows an error: {result.errors[0][:500]}"
        assert "front end: jupyterlab" in result.text, "the kernel did not see JupyterLab"
        names = _saved_check_names(welcome)
        assert len(names) >= 10
        for name in names:
            assert re.search(rf"^\[(OK|WARN|FAIL)\]\s+{re.escape(name)}:", result.text, re.MULTILINE), \
                f"the environment check's line for {name!r} did not render"

        browser.open_notebook(page, server, descent.name)
        result = browser.run_all(page)
        assert result.errors == [] and result.executed == result.cells, result.errors[:1]
        before, after = browser.slider_changes_plot(page)
        page.screenshot(path=str(SHOTS / "05_slider_moved.png"))
        assert float(after) > float(before), f"the slider did not move: {before} -> {after}"


def test_screenshot_command_draws_the_readme_picture(tmp_path):
    path = browser.readme_screenshot(tmp_path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (browser.VIEWPORT["width"], browser.VIEWPORT["height"])
    assert path.name == browser.SCREENSHOT and (ROOT / "images" / browser.SCREENSHOT).is_file()
