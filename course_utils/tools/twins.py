"""The text twin of each notebook: ``notebooks/text/NN_name.py`` in jupytext's percent format.

A notebook is JSON with its outputs inside; a reviewer wants the source. Each twin holds every cell's
source (markdown as comments, ``# %%`` between cells, the ``nbval-ignore-output`` tags kept) and no
outputs, no notebook metadata and no jupytext version, so it changes only when a cell does.
``regenerate`` rewrites the twins of what it ran, ``python -m course_utils twins`` all of them, and a
test fails while any twin differs from its notebook. The twins are for reading diffs: edit the
notebook, never the twin.
"""

from __future__ import annotations

import copy
from pathlib import Path

TWIN_FOLDER = "text"
#: Only the cells' tags travel into a twin; no notebook metadata at all.
FILTERS = {"notebook_metadata_filter": "-all", "cell_metadata_filter": "tags,-all"}


def twin_path(notebook_path: Path) -> Path:
    return notebook_path.parent / TWIN_FOLDER / (notebook_path.stem + ".py")


def twin_text(notebook_path: Path) -> str:
    """The twin's text for the notebook as it is on disk."""
    import jupytext
    import nbformat

    notebook = copy.deepcopy(nbformat.read(notebook_path, as_version=4))
    notebook.metadata["jupytext"] = dict(FILTERS)
    return jupytext.writes(notebook, fmt="py:percent")


def write_twin(notebook_path: Path) -> Path:
    path = twin_path(notebook_path)
    path.parent.mkdir(exist_ok=True)
    path.write_text(twin_text(notebook_path), encoding="utf-8")
    return path


def stale(notebook_paths: list[Path]) -> list[str]:
    """Names of the notebooks whose twin is missing or differs."""
    return [p.name for p in notebook_paths
            if not twin_path(p).is_file() or twin_path(p).read_text(encoding="utf-8") != twin_text(p)]
