"""The course in a real browser: JupyterLab on loopback, driven in headless Chromium by Playwright.

Used by ``tests/test_browser.py`` and by ``python -m course_utils screenshot`` (the README's
picture of JupyterLab). Playwright's own browser download is not used (a workshop room, like CI,
often cannot reach it): the system's Chromium is, found by ``find_chromium``. JupyterLab runs on
a copy of the notebooks, with its own settings, workspace and a token, so nothing the learner or
the repository has is touched.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..errors import CourseError
from ..system import find_chromium, jupyter_root_args, running_as_root

#: Headless, offline-friendly: no GPU, no QUIC, no background calls home (a closed network refuses them).
LAUNCH_ARGS = ["--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def launch_args(as_root: bool | None = None) -> list[str]:
    """Chromium's flags. Its sandbox is turned off only where Chromium refuses to start with it: as root
    (containers, CI); a learner's own account keeps it."""
    if as_root is None:
        as_root = running_as_root()
    return LAUNCH_ARGS + (["--no-sandbox"] if as_root else [])
VIEWPORT = {"width": 1280, "height": 860}
SCREENSHOT = "jupyterlab.png"
#: The notebook tab in front (the others stay in the page, hidden).
CURRENT = ".jp-NotebookPanel:not(.lm-mod-hidden)"
#: JupyterLab settings for the run: every cell in the page (so each can be read), no news pop-up.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


class BrowserUnavailable(CourseError):
    """No Chromium (or no Playwright) here; the message says how to get one."""


def require_browser() -> str:
    """The Chromium executable, once Playwright imports; BrowserUnavailable with the fix otherwise."""
    chromium = find_chromium()
    if chromium is None:
        raise BrowserUnavailable("no Chromium found. Fix: on Debian/Ubuntu `sudo apt-get install chromium`; "
                                 "elsewhere set COURSE_CHROMIUM to a Chrome or Chromium executable")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise BrowserUnavailable("Playwright is not installed. Fix: `python -m pip install playwright`") from None
    return chromium


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LabServer:
    """A running JupyterLab: its address and token, and the folder it serves."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen = field(repr=False)

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}"


def lab_environment(work: Path) -> dict[str, str]:
    """The server's (and so the kernels') environment: the course's offline notebook settings, but
    not ``CI`` (widgets must be live in a browser), with JupyterLab settings of our own."""
    from .notebooks import apply_notebook_env

    env = apply_notebook_env(dict(os.environ))
    env.pop("CI", None)
    settings = work / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env.update({"JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(work / "lab-workspaces"),
                "JUPYTER_RUNTIME_DIR": str(work / "runtime"), "JUPYTER_CONFIG_DIR": str(work / "config")})
    return env


@contextmanager
def jupyterlab(notebooks: list[Path], timeout_s: float = 90) -> Iterator[LabServer]:
    """Start JupyterLab on 127.0.0.1 with a random token, serving copies of `notebooks`; stop it after."""
    work = Path(tempfile.mkdtemp(prefix="course-lab-"))
    root = work / "notebooks"
    root.mkdir()
    import nbformat

    for path in notebooks:  # without their saved outputs: whatever the page shows later, this run made
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(notebook, root / path.name)
    port, token = _free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", *jupyter_root_args()]
    log = (work / "server.log").open("w")
    process = subprocess.Popen(command, env=lab_environment(work), stdout=log, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                raise CourseError(f"JupyterLab stopped at start. Fix: read its log, below.\n{(work / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise CourseError(f"JupyterLab did not answer within {timeout_s:g} s. Fix: run `python -m jupyterlab` "
                                  "by hand to see why it does not start.")
            time.sleep(0.5)
        yield LabServer(url, token, root, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def chromium_page(chromium: str | None = None) -> Iterator[object]:
    """A Playwright page in headless system Chromium, with a fresh profile."""
    from playwright.sync_api import sync_playwright

    chromium = chromium or require_browser()
    profile = tempfile.mkdtemp(prefix="course-chromium-")
    with sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            profile, executable_path=chromium, headless=True, args=launch_args(), viewport=VIEWPORT)
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@dataclass
class RunResult:
    """What a notebook showed in the browser after Run All."""

    cells: int  # code cells
    executed: int  # code cells with an execution count
    errors: list[str]  # text of outputs rendered as errors or stderr
    text: str  # all output text, as rendered


def open_notebook(page, server: LabServer, name: str, timeout_s: float = 120) -> None:
    """Open `name` in JupyterLab and wait until its kernel is idle."""
    page.goto(server.notebook_url(name))
    page.wait_for_selector(f'.lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel:text-is("{name}")',
                           timeout=timeout_s * 1000)
    page.wait_for_selector(f"{CURRENT} .jp-Cell", timeout=timeout_s * 1000)
    page.wait_for_selector(f'{CURRENT} .jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=timeout_s * 1000)


def run_all(page, timeout_s: float = 300) -> RunResult:
    """Run > Run All Cells, from the menu; wait until every code cell has run, then read the outputs
    as rendered. The notebook was opened without saved outputs (see ``jupyterlab``)."""
    from playwright.sync_api import TimeoutError as PageTimeout

    prompts = f"{CURRENT} .jp-CodeCell .jp-InputArea-prompt"
    started = f"() => [...document.querySelectorAll('{prompts}')].some(e => /[*0-9]/.test(e.textContent))"
    for attempt in range(3):
        page.locator(f"{CURRENT} .jp-Cell").first.click()  # the notebook is the widget the menu acts on
        page.click('.lm-MenuBar-itemLabel:text-is("Run")')
        page.click('.lm-Menu-item[data-command="runmenu:run-all"]')
        try:
            page.wait_for_function(started, timeout=15_000)
            break
        except PageTimeout:  # the click did not reach the notebook; try again
            if attempt == 2:
                raise CourseError("Run All Cells did not start any cell. Fix: open the notebook in JupyterLab by hand "
                                  "and check that the kernel starts.") from None
    deadline = time.monotonic() + timeout_s
    cells = executed = 0
    while time.monotonic() < deadline:
        shown = page.eval_on_selector_all(prompts, "els => els.map(e => e.textContent)")
        cells = len(shown)
        executed = sum(bool(re.fullmatch(r"\[\d+\]:", p.strip())) for p in shown)
        idle = page.query_selector(f'{CURRENT} .jp-Notebook-ExecutionIndicator[data-status="idle"]') is not None
        if cells and executed == cells and idle:
            break
        time.sleep(0.5)
    errors = page.eval_on_selector_all(
        f'{CURRENT} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]', "els => els.map(e => e.innerText)")
    text = "\n".join(page.eval_on_selector_all(f"{CURRENT} .jp-OutputArea-output", "els => els.map(e => e.innerText)"))
    return RunResult(cells, executed, errors, text)


def slider_changes_plot(page, timeout_s: float = 30) -> tuple[str, str]:
    """Press → on the first widget slider; return the value shown before and after once its plot is redrawn.

    Raises CourseError when the picture under the slider does not change within `timeout_s`.
    """
    panel = page.locator(f"{CURRENT} .widget-interact").first
    panel.scroll_into_view_if_needed()
    image = panel.locator("img").first
    image.wait_for(timeout=timeout_s * 1000)
    before_src, before_value = image.get_attribute("src"), panel.locator(".widget-readout").first.inner_text()
    handle = panel.locator(".widget-slider .noUi-handle").first
    handle.focus()
    for _ in range(5):
        handle.press("ArrowRight")
    idle = f'{CURRENT} .jp-Notebook-ExecutionIndicator[data-status="idle"]'
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        time.sleep(0.5)
        current = panel.locator("img").first
        # Redrawn, and the kernel is idle again: the picture is the one for the slider's last value.
        if (current.count() and current.get_attribute("src") not in (None, before_src)
                and page.query_selector(idle) is not None):
            return before_value, panel.locator(".widget-readout").first.inner_text()
    raise CourseError("the plot did not change after the slider moved. Fix: check that ipywidgets is installed "
                      "in the kernel's environment (`python -m course_utils doctor`).")


def readme_screenshot(folder: Path) -> Path:
    """``python -m course_utils screenshot``: run notebook 00 in JupyterLab and save the README's picture."""
    from .notebooks import all_notebooks

    chromium = require_browser()
    welcome = all_notebooks()[0]
    with jupyterlab([welcome]) as server, chromium_page(chromium) as page:
        open_notebook(page, server, welcome.name)
        result = run_all(page)
        if result.errors or result.executed != result.cells:
            raise CourseError(f"notebook 00 did not run cleanly in the browser: {result.errors[:1]}. "
                              "Fix: run `python -m course_utils regenerate 00` to see the failing cell.")
        # The environment check: the cell that asks for it, and its [OK]/[WARN] lines.
        page.locator(f"{CURRENT} .jp-CodeCell", has_text="[OK]").first.evaluate(
            "cell => cell.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(500)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / SCREENSHOT
        page.screenshot(path=str(path))
    return path
