"""Every revealed solution really solves its exercise. The solutions run inside the nbval run
itself (``course_utils.tools.pytest_plugin`` adds a "NN.name solution" item after each exercise cell,
in the same kernel), so no notebook is executed twice; this file checks the pieces that plugin
relies on, quickly."""

from __future__ import annotations

import nbformat
import pytest

from course_utils.tools import notebooks

NOTEBOOKS = notebooks.all_notebooks()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_every_notebook_has_exercises_with_solutions(path):
    solved, exercises = notebooks.with_solutions(nbformat.read(path, as_version=4))
    assert exercises, f"{path.name} has no exercise with a checker and a solution"
    for index, name in exercises.items():
        assert name.startswith(path.name[:2] + "."), f"{path.name}: exercise {name} is named for another notebook"
        assert f'check("{name}"' in solved.cells[index].source


def test_with_solutions_replaces_only_exercise_cells():
    stub = nbformat.v4.new_code_cell('x = 0  # Your answer\n\ncheck("00.demo", x)')
    solution = nbformat.v4.new_markdown_cell("<details>\n<summary>Solution</summary>\n\n```python\nx = 42\n```\n</details>")
    other = nbformat.v4.new_code_cell("print(1)")
    notebook = nbformat.v4.new_notebook(cells=[other, stub, solution])
    solved, exercises = notebooks.with_solutions(notebook)
    assert exercises == {1: "00.demo"}
    assert solved.cells[1].source == 'x = 42\n\ncheck("00.demo", x)'
    assert solved.cells[0].source == "print(1)" and notebook.cells[1].source.startswith("x = 0")


def test_the_nbval_run_includes_every_solution(pytestconfig):
    """The plugin's items exist for every exercise of every notebook (collection only, nothing runs)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "notebooks"],
                         capture_output=True, text=True, timeout=300, cwd=str(NOTEBOOKS[0].parent.parent))
    expected = {name for path in NOTEBOOKS for name in notebooks.with_solutions(nbformat.read(path, as_version=4))[1].values()}
    found = {line.rsplit("::", 1)[1].removesuffix(" solution") for line in out.stdout.splitlines() if line.endswith(" solution")}
    assert expected and found == expected, out.stdout[-2000:] + out.stderr[-2000:]


def _context(prefix: str) -> dict:
    """What a notebook has defined by the time its exercises run, as far as its solutions use it."""
    import hashlib
    import math
    import subprocess
    from pathlib import Path

    import numpy as np
    import torch
    import torch.nn.functional as F

    from course_utils import check

    names = {"check": check, "hashlib": hashlib, "math": math, "subprocess": subprocess, "Path": Path, "np": np,
             "torch": torch, "F": F}
    if prefix == "00":
        from course_utils.hub import load_reviews

        names["reviews"] = load_reviews("stanfordnlp/imdb", verbose=False)
    if prefix == "01":
        from course_utils.installer import ERROR_MESSAGES, FIX_NAMES

        names.update(messages=list(ERROR_MESSAGES), fix_names=FIX_NAMES)
    if prefix == "06":
        from transformers import AutoModel

        from course_utils.hub import resolve_model
        from course_utils.session import MODELS, resolve_device, resolve_profile

        bert = AutoModel.from_pretrained(resolve_model(MODELS[resolve_profile(gpu=resolve_device() == "cuda")]).path)
        names.update(bert=bert, d_model=bert.config.hidden_size)
    return names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_every_revealed_solution_passes_its_checker(path, capsys):
    """Each notebook's revealed solution, run with what the notebook defined before it, gets [Correct] from the
    checker as it is now (the nbval run does the same inside the notebook's own kernel; this is its quick twin,
    for a change to a checker)."""
    solved, exercises = notebooks.with_solutions(nbformat.read(path, as_version=4))
    names = _context(path.name[:2])
    for index, name in exercises.items():
        exec(compile(solved.cells[index].source, f"{path.name} solution of {name}", "exec"), names)  # noqa: S102
        out = capsys.readouterr().out
        assert f"[Correct] {name}" in out, out[-2000:]
