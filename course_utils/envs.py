"""Environments, live: run conda where it exists, and say so in one line where it does not.

Notebook 02 teaches conda's commands. On a learner's laptop they run for real; on Colab, in the
course's CI and on machines without conda, ``conda(...)`` prints one clean line instead of a
traceback, and the notebook shows the same idea with ``venv`` and ``pip``, which every Python has.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .system import env_python, find_conda

NO_CONDA = "conda is not installed here (Colab, the course's CI, or a plain Python)"


def conda(*args: str, timeout: float = 120.0) -> str | None:
    """Run ``conda ARGS``, print what it printed and return it; None (and one line) without conda.

    A command that fails prints conda's own error message and the exit status, never a Python
    traceback; one that takes longer than `timeout` seconds is stopped with a message.
    """
    exe = find_conda()
    shown = " ".join(("conda",) + args)
    if exe is None:
        print(f"{NO_CONDA}: on your machine this runs `{shown}`.")
        return None
    try:
        done = subprocess.run([exe, *args], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"`{shown}` took longer than {timeout:.0f} s and was stopped. Fix: check your network, "
              "or run it in a terminal to see where it waits.")
        return None
    text = (done.stdout + done.stderr).rstrip()
    print(text if done.returncode == 0 else f"{text}\n(`{shown}` failed with exit status {done.returncode})")
    return text


def in_an_environment(prefix: str, base_prefix: str) -> bool:
    """Both tests notebook 02 teaches: a venv (its prefix differs from the Python it was made from) or a
    conda environment (its prefix holds `conda-meta/`; there, prefix and base prefix are the same folder)."""
    return prefix != base_prefix or (Path(prefix) / "conda-meta").is_dir()


def venv_python(env_dir: str | Path) -> Path:
    """The Python inside a venv (``Scripts\\python.exe`` on Windows, ``bin/python`` elsewhere)."""
    return env_python(Path(env_dir))


def run_in(python: str | Path, code: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run Python `code` with another environment's interpreter; its output is captured, not printed."""
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=timeout)


def last_line(text: str) -> str:
    """The last non-empty line of an error output: for a traceback, the error itself."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


# --------------------------------------------------------------------------- conda practice (notebook 02)

#: The practice task: what the environment must hold, and the file the export goes to.
PRACTICE_PYTHON = "3.12"
PRACTICE_PACKAGES = ("numpy", "requests")


def _flag(command: list[str], *names: str) -> str | None:
    """The value after the first of `names` in `command` (None when absent or last)."""
    for name in names:
        if name in command[:-1]:
            return command[command.index(name) + 1]
    return None


def practice_problems(commands: object, name: str) -> list[str]:
    """What is wrong with the learner's conda commands for the practice task, in order (empty when right):
    create NAME with Python 3.12 and numpy, add requests, export what was asked for to NAME.yml, remove NAME.
    Each command is a list of strings, run without a shell (so no `activate`, no `>` redirection)."""
    if not isinstance(commands, list) or not all(isinstance(c, list) and c and all(isinstance(p, str) for p in c)
                                                  for c in commands):
        return ["give a list of commands, each a list of strings such as ['conda', 'create', '-n', name, ...]"]
    problems: list[str] = []
    if any(c[:2] == ["conda", "activate"] for c in commands):
        problems.append("`conda activate` changes your shell, so it cannot run as a command here: name the environment "
                        "in each command with -n NAME instead")
    steps = [c for c in commands if c[:2] != ["conda", "activate"]]
    if len(steps) != 4 or any(c[0] != "conda" for c in steps):
        return problems + [f"four conda commands are needed (create, install, export, remove); you gave {len(steps)}"]
    create, install, export, remove = steps
    for step, command in (("create", create), ("install", install), ("export", export), ("remove", remove)):
        if _flag(command, "-n", "--name") != name:
            problems.append(f"the {step} command must name the environment with -n {name}")
    if create[1] != "create":
        problems.append("the first command is `conda create`")
    else:
        if not any(part in (f"python={PRACTICE_PYTHON}", f"python={PRACTICE_PYTHON}.*") for part in create):
            problems.append(f"create it with Python {PRACTICE_PYTHON}: `python={PRACTICE_PYTHON}` (one `=`: any {PRACTICE_PYTHON}.x)")
        if "numpy" not in create:
            problems.append("ask for numpy in the same `conda create`: the solver does best with everything at once")
        if not {"-y", "--yes"} & set(create):
            problems.append("add -y to `conda create`: without it conda waits for you to type y")
    if install[1] != "install" or "requests" not in install:
        problems.append("the second command is `conda install -n NAME requests -y`")
    elif not {"-y", "--yes"} & set(install):
        problems.append("add -y to `conda install`")
    if not (export[1:3] == ["env", "export"] or export[1] == "export"):
        problems.append("the third command exports: `conda env export` (or `conda export`)")
    else:
        if "--from-history" not in export:
            problems.append("export with --from-history: only what you asked for, so the file works on every system")
        if _flag(export, "-f", "--file") != f"{name}.yml":
            problems.append(f"write the export with --file {name}.yml (`>` needs a shell; a command list has none)")
    is_env_remove = remove[1:3] == ["env", "remove"]
    is_remove_all = remove[1] == "remove" and "--all" in remove
    if not (is_env_remove or is_remove_all):
        problems.append("the last command removes the whole environment: `conda env remove -n NAME -y` "
                        "(or `conda remove -n NAME --all -y`)")
    elif not {"-y", "--yes"} & set(remove):
        problems.append("add -y to the remove command")
    return problems


def run_practice(commands: list[list[str]], name: str, folder: str | Path, timeout: float = 900.0) -> bool | None:
    """Run the practice for real where conda exists, and check the result at each step: the environment
    imports numpy and requests (`conda run`), the export lists python, numpy and requests, and after the
    last command the environment is gone. Prints one line per step. Returns True when every check
    passed, False when one failed or the commands are wrong (nothing runs then), None where there is no
    conda (one line says so)."""
    import json

    exe = find_conda()
    if exe is None:
        print(f"{NO_CONDA}: the commands are checked by the exercise, not run. On a machine with conda this cell "
              "creates the environment, checks it and removes it again (a few minutes, with network).")
        return None
    problems = practice_problems(commands, name)
    if problems:
        print(f"not run: the commands need fixing first ({problems[0]})")
        return False
    folder = Path(folder)

    def run(command: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([exe, *command[1:]], capture_output=True, text=True, timeout=timeout, cwd=folder)

    def step(what: str, done: subprocess.CompletedProcess[str]) -> bool:
        ok = done.returncode == 0
        print(f"{what}: {'ok' if ok else 'failed: ' + last_line(done.stdout + done.stderr)}")
        return ok

    create, install, export, remove = [c for c in commands if c[:2] != ["conda", "activate"]]
    if not (step(" ".join(create), run(create)) and step(" ".join(install), run(install))):
        run(remove)
        return False
    probe = "import numpy, requests, sys; print(sys.version_info[:2] == (3, 12))"
    inside = run(["conda", "run", "-n", name, "python", "-c", probe])
    works = inside.returncode == 0 and inside.stdout.strip().endswith("True")
    print(f"conda run -n {name}: Python {PRACTICE_PYTHON} imports numpy and requests: {works}")
    exported = step(" ".join(export), run(export))
    text = (folder / f"{name}.yml").read_text(encoding="utf-8") if (folder / f"{name}.yml").is_file() else ""
    listed = all(package in text for package in ("python", *PRACTICE_PACKAGES))
    print(f"{name}.yml lists python, numpy and requests: {listed}")
    removed = step(" ".join(remove), run(remove))
    listing = run(["conda", "env", "list", "--json"])
    try:
        gone = not any(Path(p).name == name for p in json.loads(listing.stdout).get("envs", []))
    except ValueError:
        gone = False
    print(f"environment {name} is gone: {gone}")
    return bool(works and exported and listed and removed and gone)
