"""The package's shape: what a learner meets apart from what maintains the course, no import circle,
one error style."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "course_utils"
LEARNER = sorted(p for p in PACKAGE.glob("*.py") if p.name != "__main__.py")
LIBRARY = sorted(p for p in PACKAGE.rglob("*.py") if "data" not in p.relative_to(PACKAGE).parts)
#: Exceptions that are not errors of the course: a checker's verdict, a source the resolver skips, a time limit.
VERDICTS = {"Wrong", "Unusable", "TimeUp"}
#: The course's own exception classes (all CourseError).
#: KitError is kit.py's own: that file runs alone in a kit and imports nothing of the course's.
COURSE_ERRORS = {"CourseError", "InputError", "ProfileError", "ResolutionError", "IntegrityError", "DownloadError",
                 "SetupError", "KitError", "BrowserUnavailable"}


def _imports(path: Path) -> list[tuple[int, str]]:
    """(level, module) of every import in a file; `from . import x` gives (1, "x")."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.module:
                found.append((node.level, node.module))
            else:
                found += [(node.level, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(0, alias.name) for alias in node.names]
    return found


@pytest.mark.parametrize("path", LEARNER, ids=lambda p: p.name)
def test_learner_modules_never_import_the_tooling(path):
    for level, module in _imports(path):
        assert not (level == 1 and module.split(".")[0] == "tools"), f"{path.name} imports course_utils.tools"
        assert not module.startswith("course_utils.tools"), f"{path.name} imports course_utils.tools"


def test_checkers_do_not_import_check_and_register_at_first_import():
    for path in (PACKAGE / "checkers").glob("*.py"):
        assert all(module != "checks" for _, module in _imports(path)), f"{path.name} imports checks.py back"
    code = ("import sys, course_utils.checkers as c; "
            "print(len(c.EXERCISES), 'course_utils.checks' in sys.modules, sorted({n[:2] for n in c.EXERCISES}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=PACKAGE.parent)
    count, imported_checks, notebooks = out.stdout.split(" ", 2)
    assert int(count) >= 20 and imported_checks == "False", out.stdout + out.stderr
    assert notebooks.strip() == str([f"{n:02d}" for n in range(9)])


def test_each_notebook_has_its_own_checker_module():
    for number in range(9):
        module = PACKAGE / "checkers" / f"nb{number:02d}.py"
        names = {node.args[0].value for node in ast.walk(ast.parse(module.read_text()))
                 if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "exercise"}
        assert names and all(name.startswith(f"{number:02d}.") for name in names), module.name


def _raises(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    main_blocks = [node for node in tree.body if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)]
    skip = {id(n) for block in main_blocks for n in ast.walk(block)}
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Assert):
            yield node.lineno, "assert", None
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else "?"
            message = node.exc.args[0] if node.exc.args else None
            text = None
            if isinstance(message, ast.Constant) and isinstance(message.value, str):
                text = message.value
            elif isinstance(message, ast.JoinedStr):
                text = "".join(v.value for v in message.values if isinstance(v, ast.Constant))
            yield node.lineno, name, text


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_one_error_style(path):
    """Library code raises the course's own errors, whose written message names the fix; never SystemExit,
    a bare ValueError or an assert (a learner would see a traceback instead of what to do)."""
    for line, name, text in _raises(path):
        where = f"{path.relative_to(PACKAGE)}:{line}"
        if name in VERDICTS or (path.name == "__init__.py" and name == "AttributeError"):  # a module's __getattr__
            continue
        assert name in COURSE_ERRORS or name == "_not_found", f"{where}: raises {name}, not a CourseError"
        if text is not None:
            assert "Fix" in text, f"{where}: the message does not say 'Fix: ...'"
