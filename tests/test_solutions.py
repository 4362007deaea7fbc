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
