"""Every notebook has a text twin (jupytext percent format) in sync with it."""

from __future__ import annotations

import shutil

import nbformat

from course_utils.tools import notebooks, twins

NOTEBOOKS = notebooks.all_notebooks()


def test_every_twin_is_in_sync_with_its_notebook():
    assert twins.stale(NOTEBOOKS) == [], "run `python -m course_utils twins` (regenerate also writes them)"
    assert sorted(p.name for p in (NOTEBOOKS[0].parent / twins.TWIN_FOLDER).glob("*.py")) == \
        sorted(p.stem + ".py" for p in NOTEBOOKS), "one twin per notebook, no orphan"


def test_a_changed_cell_makes_the_twin_stale_and_outputs_do_not(tmp_path):
    copy = tmp_path / NOTEBOOKS[0].name
    shutil.copy(NOTEBOOKS[0], copy)
    twins.write_twin(copy)
    notebook = nbformat.read(copy, as_version=4)
    code = next(cell for cell in notebook.cells if cell.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", text="another run, another output\n")]
    nbformat.write(notebook, copy)
    assert twins.stale([copy]) == [], "outputs are not part of the twin"
    code.source += "\nprint('edited')"
    nbformat.write(notebook, copy)
    assert twins.stale([copy]) == [copy.name]
    text = twins.twin_path(copy).read_text()
    assert "jupytext_version" not in text and "kernelspec" not in text, "no metadata that an upgrade would rewrite"
