"""Every revealed solution really solves its exercise: the notebook runs with each stub replaced by
its solution, and every checker must then say [Correct]. A solution that drifts from its checker
(or a checker that cannot pass) fails here, not in front of a learner."""

from __future__ import annotations

import nbformat
import pytest

from course_utils import notebooks

NOTEBOOKS = notebooks.all_notebooks()


def _text(cell) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", []) if out.get("output_type") == "stream")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_solutions_pass_their_checkers(path):
    original = nbformat.read(path, as_version=4)
    solved, exercises = notebooks.with_solutions(original)
    assert exercises, f"{path.name} has no exercise with a checker and a solution"
    ran = notebooks.execute(path, write=False, notebook=solved)
    for index, name in exercises.items():
        out = _text(ran.cells[index])
        assert f"[Correct] {name}" in out, f"{path.name}, exercise {name}: the solution gives {out.strip()!r}"


def test_with_solutions_replaces_only_exercise_cells():
    stub = nbformat.v4.new_code_cell('x = 0  # Your answer\n\ncheck("00.demo", x)')
    solution = nbformat.v4.new_markdown_cell("<details>\n<summary>Solution</summary>\n\n```python\nx = 42\n```\n</details>")
    other = nbformat.v4.new_code_cell("print(1)")
    notebook = nbformat.v4.new_notebook(cells=[other, stub, solution])
    solved, exercises = notebooks.with_solutions(notebook)
    assert exercises == {1: "00.demo"}
    assert solved.cells[1].source == 'x = 42\n\ncheck("00.demo", x)'
    assert solved.cells[0].source == "print(1)" and notebook.cells[1].source.startswith("x = 0")
