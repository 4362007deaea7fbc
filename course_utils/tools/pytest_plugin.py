"""pytest plugin (enabled in pyproject's addopts): nbval runs notebooks exactly as `regenerate` does.

Three things on top of nbval, so that every notebook runs once and proves more:

* every notebook starts with its own empty output folder (``COURSE_OUTPUT_DIR``), as on a fresh
  clone, so a notebook that only works after another one fails here, and its own empty Hugging Face
  cache (``HF_HOME``), so nothing cached on the machine can change what the notebooks print;
* right after each exercise's cell, its revealed solution runs in the same kernel and its checker
  must answer ``[Correct]`` (a ``... solution`` item): solutions are tested without running any
  notebook a second time;
* every notebook also gets its own empty ``torch.compile`` cache (``TORCHINDUCTOR_CACHE_DIR``), as
  ``execute`` gives each run: the kernels run pinned to AVX2, and their compiled graphs must never land
  in the default cache, where a learner's unpinned kernel would load them (issue 36: on an AVX-512 CPU
  it computed wrong numbers and crashed in 08);
* with ``--nbval-lax`` (outputs executed, not compared: the latest lane) every cell must still run clean:
  no stderr, no warning or traceback, no terminal colour codes (``notebooks.stray_output``);
* nothing else changes: nbval still compares every other cell's output with the saved one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from queue import Empty

import pytest

from .notebooks import apply_notebook_env, restore_environment, stray_output, use_hf_home, with_solutions

#: Seconds a solution may run (the checkers' own time limits are shorter).
SOLUTION_TIMEOUT_S = 300
_FOLDERS: dict[str, str] = {}
#: What a notebook's run changed in os.environ, put back after its last item (so no later test sees its folders).
_SAVED: dict[str, str | None] = {}


def pytest_configure(config) -> None:  # noqa: ANN001 - pytest's Config
    """Set NOTEBOOK_ENV before any kernel starts, whichever tests were asked for."""
    apply_notebook_env()


def _nbval_file(item):  # -> nbval's IPyNbFile, or None
    parent = getattr(item, "parent", None)
    return parent if type(parent).__name__ == "IPyNbFile" else None


class SolutionItem(pytest.Item):
    """Runs one exercise's revealed solution in the notebook's kernel; its checker must say [Correct]."""

    def __init__(self, *, source: str, exercise: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.source, self.exercise = source, exercise

    def runtest(self) -> None:
        kernel = self.parent.kernel
        if kernel is None or not kernel.is_alive():
            pytest.fail("the notebook's kernel is not running (an earlier cell stopped it); fix that cell first", pytrace=False)
        msg_id = kernel.execute_cell_input(self.source, allow_stdin=False)
        kernel.await_reply(msg_id, timeout=SOLUTION_TIMEOUT_S)
        text, errors = [], []
        while True:
            try:
                message = self.parent.get_kernel_message(timeout=SOLUTION_TIMEOUT_S)
            except Empty:
                pytest.fail(f"no output from the solution of {self.exercise} within {SOLUTION_TIMEOUT_S} s", pytrace=False)
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "status" and content.get("execution_state") == "idle":
                break
            if kind == "stream":
                text.append(content["text"])
            elif kind == "error":
                errors.append(f"{content['ename']}: {content['evalue']}")
        out = "".join(text)
        if errors:
            pytest.fail(f"the solution of {self.exercise} raised {errors[0]}", pytrace=False)
        if f"[Correct] {self.exercise}" not in out:
            pytest.fail(f"the solution of {self.exercise} gives {out.strip()!r}, not [Correct]", pytrace=False)

    def reportinfo(self):
        return self.path, 0, f"{self.path.name}: solution of {self.exercise}"


def pytest_collection_modifyitems(session, config, items) -> None:  # noqa: ANN001
    """After each exercise cell of a notebook, add the item that runs its solution."""
    files: dict[int, object] = {}
    for item in items:
        nbfile = _nbval_file(item)
        if nbfile is not None:
            files.setdefault(id(nbfile), nbfile)
    solution_after: dict[int, SolutionItem] = {}
    for nbfile in files.values():
        solved, exercises = with_solutions(nbfile.nb)
        for index, name in exercises.items():
            stub = nbfile.nb.cells[index]
            solution_after[id(stub)] = SolutionItem.from_parent(
                nbfile, name=f"{name} solution", source=solved.cells[index].source, exercise=name)
    if not solution_after:
        return
    result = []
    for item in items:
        result.append(item)
        cell = getattr(item, "cell", None)
        if cell is not None and id(cell) in solution_after:
            result.append(solution_after[id(cell)])
    items[:] = result


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item) -> None:  # noqa: ANN001
    """Before a notebook's kernel starts: an empty output folder, Hugging Face cache and torch.compile cache of its own."""
    nbfile = _nbval_file(item)
    if nbfile is None or nbfile.nodeid in _FOLDERS:
        return
    folder = tempfile.mkdtemp(prefix=f"course-outputs-{nbfile.path.stem[:2]}-")
    _FOLDERS[nbfile.nodeid] = folder
    if not _SAVED:
        _SAVED.update({name: os.environ.get(name) for name in ("COURSE_OUTPUT_DIR", "TORCHINDUCTOR_CACHE_DIR")})
    os.environ["COURSE_OUTPUT_DIR"] = os.path.join(folder, "outputs")  # not there yet, as on a fresh clone
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = os.path.join(folder, "inductor")  # never the default cache
    saved_hf = use_hf_home(os.path.join(folder, "hf"))                 # empty: as regenerate runs them
    for name, value in saved_hf.items():
        _SAVED.setdefault(name, value)


def pytest_runtest_teardown(item, nextitem) -> None:  # noqa: ANN001
    """After a notebook's last item: the environment as it was before the notebook."""
    nbfile = _nbval_file(item)
    if nbfile is not None and (nextitem is None or _nbval_file(nextitem) is not nbfile) and _SAVED:
        restore_environment(_SAVED)
        _SAVED.clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):  # noqa: ANN001
    """With ``--nbval-lax``, a notebook cell whose outputs are not compared must still run clean."""
    result = yield
    if type(item).__name__ == "IPyNbCell" and item.config.getoption("nbval_lax", False):
        stray = stray_output(getattr(item, "test_outputs", None) or [])
        if stray:
            pytest.fail(f"cell {item.cell_num} of {item.path.name} ran, but its output has {stray}", pytrace=False)
    return result


def pytest_sessionfinish(session, exitstatus) -> None:  # noqa: ANN001
    for folder in _FOLDERS.values():
        shutil.rmtree(folder, ignore_errors=True)
    _FOLDERS.clear()
