"""Running notebooks the one way the course runs them: regenerate, test (nbval) and benchmark.

``NOTEBOOK_ENV`` is the single definition of how a notebook is executed: offline, the quick
profile, 2 threads, a fixed hash seed, no progress bars. ``regenerate`` (the only way outputs are
made), the nbval run in the tests (through ``course_utils.pytest_plugin``) and ``bench`` all
apply it, and all start a fresh kernel on this environment's Python.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .session import repo_root

NOTEBOOK_ENV = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "COURSE_PROFILE": "quick",
    "COURSE_THREADS": "2",
    "OMP_NUM_THREADS": "2",
    "MKL_NUM_THREADS": "2",
    "PYTHONHASHSEED": "0",
    "CI": "true",
    "TQDM_DISABLE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}
CELL_TIMEOUT_S = 900
#: Per-notebook budgets on 2 CPU cores (seconds), from the issues; the benchmark compares against them.
BUDGETS_S = {"00": 60, "01": 60, "02": 60, "03": 60, "04": 60, "05": 60, "06": 90, "07": 120, "08": 150}
README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"
SUITE_START = "<!-- suite:start -->"
SUITE_END = "<!-- suite:end -->"


def notebooks_dir() -> Path:
    root = repo_root()
    if root is None:
        raise FileNotFoundError("the notebooks are only available in a checkout of the course repository")
    return root / "notebooks"


def all_notebooks() -> list[Path]:
    """Every course notebook, in course order."""
    return sorted(p for p in notebooks_dir().glob("[0-9][0-9]_*.ipynb"))


def apply_notebook_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """Put NOTEBOOK_ENV (and a kernel spec for this Python) into `environ` (default: os.environ)."""
    target = os.environ if environ is None else environ
    target.update(NOTEBOOK_ENV)
    root = repo_root()
    if root is not None:
        target.setdefault("COURSE_OUTPUT_DIR", str(root / "outputs"))
    target["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(_current_env_kernel_dir()), target.get("JUPYTER_PATH", "")]))
    return target


_KERNEL_DIR: Path | None = None


def _current_env_kernel_dir() -> Path:
    """A JUPYTER_PATH entry whose `python3` kernel is this very Python (not a user-wide one)."""
    global _KERNEL_DIR
    if _KERNEL_DIR is None:
        _KERNEL_DIR = Path(tempfile.mkdtemp(prefix="course-kernel-"))
        atexit.register(shutil.rmtree, _KERNEL_DIR, ignore_errors=True)  # gone when this process ends
        spec_dir = _KERNEL_DIR / "kernels" / "python3"
        spec_dir.mkdir(parents=True)
        spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (ipykernel)", "language": "python", "metadata": {"debugger": False}}
        (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return _KERNEL_DIR


def select(names: list[str] | None) -> list[Path]:
    """Notebooks matching `names` (a number like 00, a file name or a path); all when empty."""
    notebooks = all_notebooks()
    if not names:
        return notebooks
    chosen = []
    for name in names:
        stem = Path(name).name
        hits = [p for p in notebooks if p.name == stem or p.name.startswith(f"{stem}_") or p.stem == stem]
        if not hits:
            raise SystemExit(f"No notebook matches {name!r}. Notebooks: {', '.join(p.name for p in notebooks)}")
        chosen += hits
    return chosen


#: Environment variables that point the Hugging Face libraries at a cache.
HF_CACHE_VARIABLES = ("HF_HOME", "HF_HUB_CACHE", "HF_DATASETS_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE")


def use_hf_home(folder: str | os.PathLike) -> dict[str, str | None]:
    """Point every Hugging Face cache variable at `folder` (HF_HOME; the others unset, so they follow it).
    Returns what was there before, for ``restore_environment``."""
    saved = {name: os.environ.get(name) for name in HF_CACHE_VARIABLES}
    for name in HF_CACHE_VARIABLES:
        os.environ.pop(name, None)
    os.environ["HF_HOME"] = str(folder)
    return saved


def restore_environment(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def execute(path: Path, write: bool = True, notebook=None, hf_home: str | os.PathLike | None = "private"):  # -> nbformat.NotebookNode
    """Run `path` top to bottom in a fresh kernel with NOTEBOOK_ENV and an empty output folder of its
    own; save the outputs if `write`.

    `notebook` (a NotebookNode) runs instead of the file's content, in the file's folder.
    `hf_home` is the Hugging Face cache the kernel sees: by default a private, empty one, so that
    nothing a maintainer has cached (a real bert-base-uncased, IMDb) can leak into committed outputs;
    a folder to use that cache (a test's IMDb-shaped one); None to keep the environment's (a kit's).
    """
    import nbformat
    from nbclient import NotebookClient

    apply_notebook_env()
    notebook = notebook if notebook is not None else nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3", allow_errors=False,
        record_timing=False, store_widget_state=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    # An output folder of its own that does not exist yet, as on a fresh clone: a notebook that
    # only works after another one has run fails here, and the maintainer's outputs/ is untouched.
    saved = {"COURSE_OUTPUT_DIR": os.environ.get("COURSE_OUTPUT_DIR")}
    with tempfile.TemporaryDirectory(prefix="course-outputs-") as folder:
        os.environ["COURSE_OUTPUT_DIR"] = os.path.join(folder, "outputs")
        if hf_home is not None:
            saved.update(use_hf_home(os.path.join(folder, "hf") if hf_home == "private" else hf_home))
        try:
            client.execute()
        finally:
            restore_environment(saved)
    notebook.metadata.pop("widgets", None)
    if write:
        nbformat.write(notebook, path)
    return notebook


_CHECK_CALL = re.compile(r"""^check\(\s*["'](?P<name>\d\d\.\w+)["']""", re.MULTILINE)
_SOLUTION = re.compile(r"<details>.*?```python\n(?P<code>.*?)```.*?</details>", re.DOTALL)


def with_solutions(notebook):  # -> tuple[nbformat.NotebookNode, dict[int, str]]
    """A copy of `notebook` where each exercise's stub is replaced by its revealed solution.

    An exercise is a code cell calling ``check("NN.name", ...)`` followed by a markdown cell with
    the solution in ``<details>``. Returns the copy and {cell index: exercise name}, so a test
    can run the copy and require every checker to say [Correct].
    """
    import copy

    solved = copy.deepcopy(notebook)
    exercises: dict[int, str] = {}
    cells = solved.cells
    for index, cell in enumerate(cells[:-1]):
        match = _CHECK_CALL.search(cell.source) if cell.cell_type == "code" else None
        solution = _SOLUTION.search(cells[index + 1].source) if cells[index + 1].cell_type == "markdown" else None
        if match and solution:
            calls = [line for line in cell.source.splitlines() if line.startswith(("check(", "from course_utils import check"))]
            cell.source = solution.group("code").rstrip() + "\n\n" + "\n".join(calls)
            exercises[index] = match.group("name")
    return solved, exercises


def regenerate(names: list[str] | None = None) -> None:
    """Execute notebooks in place: the only way the committed outputs are made."""
    from nbclient.exceptions import CellExecutionError

    for path in select(names):
        start = time.perf_counter()
        try:
            execute(path)
        except CellExecutionError as exc:
            summary = f"{exc.ename}: {exc.evalue}" if getattr(exc, "ename", None) else str(exc).splitlines()[0]
            raise SystemExit(f"regenerate stopped: {path.name} raised {summary}. The file was left unchanged; "
                             "fix the cell and run the command again.") from None
        print(f"regenerated {path.name} in {time.perf_counter() - start:.0f} s", flush=True)


@dataclass(frozen=True)
class BenchRow:
    notebook: str
    seconds: float
    peak_mb: float

    @property
    def budget(self) -> int | None:
        return BUDGETS_S.get(self.notebook[:2])


def _peak_children_rss(stop: threading.Event, peak: list[float]) -> None:
    import psutil

    me = psutil.Process()
    while not stop.is_set():
        total = 0
        for child in me.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        peak[0] = max(peak[0], total)
        stop.wait(0.05)


def bench_one(path: Path) -> BenchRow:
    """Wall time and peak memory (the kernel's resident set) of one fresh run, outputs discarded."""
    stop, peak = threading.Event(), [0.0]
    sampler = threading.Thread(target=_peak_children_rss, args=(stop, peak), daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        execute(path, write=False)
    finally:
        seconds = time.perf_counter() - start
        stop.set()
        sampler.join()
    return BenchRow(path.name, seconds, peak[0] / 2**20)


def bench_table(rows: list[BenchRow], failure_s: float) -> str:
    """The benchmark as a markdown table (the README's notebook map uses it)."""
    from .hub import PROBE_TIMEOUT_S

    lines = ["| notebook | CPU time, 2 cores (s) | budget (s) | peak memory (MB) |", "|---|---:|---:|---:|"]
    for row in rows:
        budget = row.budget if row.budget is not None else "-"
        lines.append(f"| `{row.notebook}` | {row.seconds:.0f} | {budget} | {row.peak_mb:.0f} |")
    lines.append(f"\nWith no network, resolving an id that nothing can serve fails in {failure_s:.2f} s "
                 f"(Hub probe included, capped at {PROBE_TIMEOUT_S:g} s where DNS hangs; stock `from_pretrained` takes about 50 s).")
    return "\n".join(lines)


def write_readme_table(table: str, readme: Path | None = None, start: str = README_START, end: str = README_END) -> None:
    """Replace the block between the `start` and `end` markers in README.md (or in `readme`) with `table`."""
    readme = readme or (repo_root() or Path.cwd()) / "README.md"
    text = readme.read_text(encoding="utf-8")
    if start not in text or end not in text:
        raise SystemExit(f"{readme.name} has no {start} ... {end} block to fill")
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.DOTALL)
    readme.write_text(pattern.sub(lambda _: f"{start}\n{table}\n{end}", text), encoding="utf-8")


def _clean_environment() -> dict[str, str]:
    """This process's environment without what the course or a virtual environment set in it."""
    drop = set(NOTEBOOK_ENV) | {"COURSE_OUTPUT_DIR", "JUPYTER_PATH", "VIRTUAL_ENV", "PYTHONPATH", "HF_HOME"}
    env = {key: value for key, value in os.environ.items() if key not in drop}
    if os.environ.get("VIRTUAL_ENV"):
        venv_bin = str(Path(os.environ["VIRTUAL_ENV"]) / ("Scripts" if os.name == "nt" else "bin"))
        env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    return env


def bench_suite(runs: int = 2, write_readme: bool = False) -> list[float]:
    """Time the README's test command on a fresh clone of this checkout's HEAD, `runs` times in a row
    (the first includes set-up), with the bare Python a new user has. Stops at the first failed run.
    Each run's output goes to test-artifacts/suite-run-N.log."""
    import platform
    import shutil
    import subprocess

    root = repo_root()
    if root is None or not (root / ".git").exists():
        raise SystemExit("bench --suite needs a git checkout of the course (it clones HEAD)")
    python = getattr(sys, "_base_executable", None) or sys.executable
    logs = root / "test-artifacts"
    logs.mkdir(exist_ok=True)
    times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="course-clone-") as folder:
        clone = Path(folder) / "zero-to-finetune"
        subprocess.run(["git", "clone", "--quiet", str(root), str(clone)], check=True)
        shared = root.parent / "shared"
        if shared.is_dir():  # CI clones with shared/ beside the checkout
            shutil.copytree(shared, Path(folder) / "shared", symlinks=True)
        for run in range(1, runs + 1):
            log = logs / f"suite-run-{run}.log"
            start = time.perf_counter()
            with log.open("w") as handle:
                done = subprocess.run([python, "-m", "course_utils", "test"], cwd=clone, env=_clean_environment(),
                                      stdout=handle, stderr=subprocess.STDOUT)
            seconds = time.perf_counter() - start
            tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
            print(f"run {run}: {seconds / 60:.1f} min, exit {done.returncode}: {tail[0]}", flush=True)
            if done.returncode != 0:
                raise SystemExit(f"the test command failed on run {run} of a fresh clone; see {log}")
            times.append(seconds)
    cores = os.cpu_count() or 1
    table = "\n".join([f"Measured by `python -m course_utils bench --suite` on a fresh clone, {cores} CPU cores, Python "
                        f"{platform.python_version()}, no GPU:", "",
                        "| run of `python3 -m course_utils test` | minutes |", "|---|---:|"]
                       + [f"| {'first (set-up included)' if i == 0 else 'second' if i == 1 else f'run {i + 1}'} | {t / 60:.1f} |"
                          for i, t in enumerate(times)])
    print(table)
    if write_readme:
        write_readme_table(table, start=SUITE_START, end=SUITE_END)
        print("wrote the suite times into README.md")
    return times


def _failure_without_offline_flag(measure) -> float:
    """Time the failure the way a learner meets it: no HF_HUB_OFFLINE, so the Hub is probed first."""
    from . import hub

    saved = {k: os.environ.pop(k) for k in hub.OFFLINE_FLAGS if k in os.environ}
    hub._STATUS.clear()
    try:
        return measure()
    finally:
        os.environ.update(saved)
        hub._STATUS.clear()


def bench(names: list[str] | None = None, write_readme: bool = False) -> str:
    """Run each notebook fresh, print the table of time and peak memory, optionally into README."""
    from .hub import timed_failure

    apply_notebook_env()
    rows = []
    for path in select(names):
        row = bench_one(path)
        print(f"{row.notebook}: {row.seconds:.1f} s, peak {row.peak_mb:.0f} MB", flush=True)
        rows.append(row)
    failure_s = _failure_without_offline_flag(timed_failure)
    table = bench_table(rows, failure_s)
    print(table)
    if write_readme:
        from .guide import guide_block

        write_readme_table(table)
        guide = notebooks_dir() / "instructor_guide.md"
        write_readme_table(guide_block(rows, select(names)), guide)
        print(f"wrote the tables into README.md and {guide.name}")
    return table
