"""Notebook 08's claims that its own run cannot check: the commands it shows, and the claims it skips.

The notebook's asserts check its claims where it runs; these tests check what a learner copies out of it
(the torchrun command) and that a claim the notebook skips is skipped out loud (a printed line that
``tests/test_full_profile.py`` names), never silently.
"""

from __future__ import annotations

import re

import nbformat

from course_utils import ddp
from course_utils.tools.notebooks import notebooks_dir
from tests.test_full_profile import SKIPPED_BY_THE_NOTEBOOK

NAME = "08_training_loop_and_speed.ipynb"


def _cells(kind: str) -> list[str]:
    notebook = nbformat.read(notebooks_dir() / NAME, as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == kind]


def test_every_torchrun_command_shown_runs_on_the_cpu():
    """With the default --device auto, process N takes GPU N: on a one-GPU machine the second process fails.
    Every command a learner can copy (08's markdown, the module's docstring and its error message) says --device cpu."""
    shown = [line for text in _cells("markdown") for line in text.splitlines() if line.startswith("torchrun ")]
    source = ddp.__doc__ + "\n" + open(ddp.__file__, encoding="utf-8").read()
    shown += [match.group(0) for match in re.finditer(r"torchrun --standalone[^\"\n]*", source)]
    assert len(shown) >= 3, shown
    for command in shown:
        assert "-m course_utils.ddp --device cpu" in command, command


def test_the_notebook_runs_ddp_as_it_tells_learners_to():
    code = "\n".join(_cells("code"))
    assert '"-m", "course_utils.ddp", "--device", "cpu"' in code


def test_every_claim_08_skips_itself_prints_a_named_line():
    """Each `if not measurable:` prints one of the lines the full-profile smoke test expects, and each
    expected line is printed by exactly one cell, so no timing claim can be skipped without a word."""
    code = _cells("code")
    guards = [text for text in code if "if not measurable:" in text]
    assert len(guards) == 2, "08 skips its timing claims in two cells (section 4's table, section 7's step times)"
    for line in SKIPPED_BY_THE_NOTEBOOK[NAME]:
        assert sum(f'print("{line}")' in text for text in guards) == 1, line


def test_the_threads_claim_is_guarded_by_cores_of_their_own():
    """One thread against two is no slower on two hardware threads of one core (a hyper-threaded 2-vCPU
    machine), so the assert runs only where every logical core is a physical one."""
    cell = next(text for text in _cells("code") if "1 thread instead of {threads}\"] > 1.2" in text)
    lines = cell.splitlines()
    claim = next(i for i, line in enumerate(lines) if line.lstrip().startswith("assert") and "1 thread instead of" in line)
    assert lines[claim - 1].strip() == "if own_cores:", lines[claim - 1]
    assert "psutil.cpu_count(logical=False) == psutil.cpu_count()" in cell
