"""Google Colab: the "Open in Colab" badge and the setup cell of every notebook, made from ``REPO_URL``.

The repository address lives in one place, ``course_utils.REPO_URL``. ``python -m course_utils colab``
writes the badge into each notebook's first cell and makes its first code cell the setup cell
below; ``python -m course_utils colab --check`` (and a test) report every notebook that disagrees.
Nobody edits a badge or a setup cell by hand.

The setup cell installs the course with pip on Colab only (Colab has PyTorch and no conda), and
does nothing visible anywhere else. Colab's kernel imports ``google.colab`` at start-up, which is
the marker it checks. ``COURSE_UTILS_SOURCE`` replaces the Git address with another pip source,
such as a wheel from the workshop kit or the one the Colab simulation test builds.

Both the badge and the install name the release tag ``v{__version__}``, not ``main``: a learner on
Colab gets the notebooks and the helper package of one release, which match. Publishing a release
means tagging it (``git tag v0.1.0 && git push --tags``) after bumping ``__version__``.
"""

from __future__ import annotations

import re
from pathlib import Path

from .. import REPO_URL, __version__
from ..errors import CourseError

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
#: The Git tag of this release; Colab opens and installs the course at it.
RELEASE_TAG = f"v{__version__}"
_BADGE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")


def repo_slug(url: str = REPO_URL) -> str:
    """`owner/name` of a GitHub address."""
    match = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?/?", url)
    if not match:
        raise CourseError(f"REPO_URL must be a GitHub address like https://github.com/owner/name, not {url!r}. "
                          "Fix: set REPO_URL in course_utils/__init__.py.")
    return match.group(1)


def badge(notebook_name: str, url: str = REPO_URL) -> str:
    """The markdown of the badge that opens `notebook_name` (under notebooks/) in Colab."""
    return (f"[![Open In Colab]({BADGE_IMAGE})]"
            f"(https://colab.research.google.com/github/{repo_slug(url)}/blob/{RELEASE_TAG}/notebooks/{notebook_name})")


def setup_cell(url: str = REPO_URL) -> str:
    """The source of every notebook's first code cell."""
    return (
        "import os, sys\n"
        "\n"
        "if \"google.colab\" in sys.modules:  # on Google Colab only: install the course (PyTorch is there already)\n"
        f"    %pip install --quiet {{os.environ.get(\"COURSE_UTILS_SOURCE\", \"git+{url}@{RELEASE_TAG}\")}}\n"
        "import course_utils\n"
        "\n"
        "config = course_utils.setup()"
    )


def _first(cells: list, cell_type: str):
    return next((cell for cell in cells if cell["cell_type"] == cell_type), None)


def problems(path: Path, url: str = REPO_URL) -> list[str]:
    """What in one notebook disagrees with `url`: its badge and its setup cell."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    found = []
    title, setup = _first(notebook.cells, "markdown"), _first(notebook.cells, "code")
    badges = _BADGE.findall(title.source if title else "")
    if badges != [badge(path.name, url)]:
        found.append(f"{path.name}: the first cell's Colab badge is {badges or 'missing'}, not the one made from {url}")
    if setup is None or not setup.source.startswith(setup_cell(url)):
        found.append(f"{path.name}: the first code cell is not the setup cell made from {url}")
    return found


def sync(paths: list[Path], url: str = REPO_URL) -> list[Path]:
    """Write the badge and the setup cell into each notebook; returns those that changed.

    The badge replaces the one in the first markdown cell (or goes after its title line); the setup
    cell replaces the first code cell's setup lines and keeps anything the notebook added after them.
    """
    import nbformat

    changed = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        title, setup = _first(notebook.cells, "markdown"), _first(notebook.cells, "code")
        if title is None or setup is None:
            raise CourseError(f"{path.name} has no title cell or no code cell to set up. "
                              "Fix: start the notebook with its title (markdown) and its setup() cell.")
        before = (title.source, setup.source)
        if _BADGE.search(title.source):
            title.source = _BADGE.sub(lambda _: badge(path.name, url), title.source, count=1)
        else:
            head, _, rest = title.source.partition("\n")
            title.source = f"{head}\n\n{badge(path.name, url)}\n{rest}"
        marker = "config = course_utils.setup()"
        extra = setup.source.split(marker, 1)[1] if marker in setup.source else ""
        setup.source = setup_cell(url) + extra
        if (title.source, setup.source) != before:
            nbformat.write(notebook, path)
            changed.append(path)
    return changed
