"""Running notebooks the one way the course runs them: regenerate, test (nbval) and benchmark.

``NOTEBOOK_ENV`` is the single definition of how a notebook is executed: offline, the quick
profile on the CPU, 2 threads, a fixed hash seed, no progress bars. ``regenerate`` (the only way outputs are
made), the nbval run in the tests (through ``course_utils.tools.pytest_plugin``) and ``bench`` all
apply it, and all start a fresh kernel on this environment's Python.

Every run also gets a ``torch.compile`` cache of its own (``TORCHINDUCTOR_CACHE_DIR``), never the
default one a learner's kernel reads: the runs here pin PyTorch to AVX2 (``X86_NUMERICS_ENV``), and
torch.compile's cache does not tell an AVX2 graph from an AVX-512 one, so an unpinned kernel that
loaded the graphs of a pinned run on an AVX-512 CPU computed wrong numbers and crashed (issue 36).
"""

from __future__ import annotations

import atexit
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from ..errors import CourseError
from ..session import repo_root

NOTEBOOK_ENV = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "COURSE_PROFILE": "quick",
    "COURSE_DEVICE": "cpu",              # the committed outputs name no GPU: the quick profile on the CPU everywhere
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
#: On x86 the same arithmetic on every CPU: PyTorch's own kernels, MKL (its matrix products) and
#: oneDNN each pick the widest instructions a CPU has (AVX-512 on one, AVX2 on another), and
#: different instructions round differently; a fine-tune then drifts apart over its steps, and the
#: accuracies that 07 and 08 print would depend on the machine. AVX2, which every x86 CPU of the
#: last ten years has, pins all three to one code path (MKL's "conditional numerical
#: reproducibility"). A learner's own runs are not pinned: this is only for the committed outputs.
X86_NUMERICS_ENV = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
if platform.machine().lower() in ("x86_64", "amd64"):
    NOTEBOOK_ENV.update(X86_NUMERICS_ENV)
CELL_TIMEOUT_S = 900


def notebooks_dir() -> Path:
    root = repo_root()
    if root is None:
        raise CourseError("the notebooks are only available in a checkout of the course repository. "
                          "Fix: run this in a clone (`git clone`), not from an installed course_utils.")
    return root / "notebooks"


def all_notebooks() -> list[Path]:
    """Every course notebook, in course order."""
    return sorted(p for p in notebooks_dir().glob("[0-9][0-9]_*.ipynb"))


def apply_notebook_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """Put NOTEBOOK_ENV (and a kernel spec for this Python) into `environ` (default: os.environ), with a
    torch.compile cache private to this process (``private_compile_cache``): whatever this process starts
    (kernels, test subprocesses, DDP workers) compiles there, not where a learner's kernel looks."""
    target = os.environ if environ is None else environ
    target.update(NOTEBOOK_ENV)
    target["TORCHINDUCTOR_CACHE_DIR"] = str(private_compile_cache())
    root = repo_root()
    if root is not None:
        target.setdefault("COURSE_OUTPUT_DIR", str(root / "outputs"))
    target["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(_current_env_kernel_dir()), target.get("JUPYTER_PATH", "")]))
    return target


_KERNEL_DIR: Path | None = None
_COMPILE_CACHE: Path | None = None


def private_compile_cache() -> Path:
    """A torch.compile cache folder of this process's own, made once, deleted when the process ends.

    PyTorch's default (``<temp>/torchinductor_<user>``) is shared by every process of the user, a learner's
    JupyterLab kernels included; the runs here are pinned to AVX2 and their cached graphs are not safe for
    an unpinned kernel on an AVX-512 CPU (see the module's docstring)."""
    global _COMPILE_CACHE
    if _COMPILE_CACHE is None:
        _COMPILE_CACHE = Path(tempfile.mkdtemp(prefix="course-inductor-"))
        atexit.register(shutil.rmtree, _COMPILE_CACHE, ignore_errors=True)
    return _COMPILE_CACHE


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
            raise CourseError(f"No notebook matches {name!r}. Fix: name one of {', '.join(p.name for p in notebooks)} "
                              "(or its number, such as 07).")
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


def execute(path: Path, write: bool = True, notebook=None, hf_home: str | os.PathLike | None = "private",
            env: dict[str, str] | None = None, allow_errors: bool = False):  # -> nbformat.NotebookNode
    """Run `path` top to bottom in a fresh kernel with NOTEBOOK_ENV, an empty output folder and an empty
    ``torch.compile`` cache of its own; save the outputs if `write`.

    `notebook` (a NotebookNode) runs instead of the file's content, in the file's folder.
    `hf_home` is the Hugging Face cache the kernel sees: by default a private, empty one, so that
    nothing a maintainer has cached (a real bert-base-uncased, IMDb) can leak into committed outputs;
    a folder to use that cache (a test's IMDb-shaped one); None to keep the environment's (a kit's).
    `env` overrides NOTEBOOK_ENV for this run only (a test's ``{"COURSE_PROFILE": "full"}``);
    with `allow_errors` every cell runs and errors stay in the outputs (a test then reads them).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    apply_notebook_env()
    notebook = notebook if notebook is not None else nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3", allow_errors=allow_errors,
        record_timing=False, store_widget_state=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    # An output folder of its own that does not exist yet, as on a fresh clone: a notebook that
    # only works after another one has run fails here, and the maintainer's outputs/ is untouched.
    saved = {name: os.environ.get(name) for name in ["COURSE_OUTPUT_DIR", "TORCHINDUCTOR_CACHE_DIR", *(env or {})]}
    os.environ.update(env or {})
    with tempfile.TemporaryDirectory(prefix="course-outputs-") as folder:
        os.environ["COURSE_OUTPUT_DIR"] = os.path.join(folder, "outputs")
        # An empty torch.compile cache too: 08 pays for compiling as a learner's first run does (the
        # figure it draws says how long), not the cached graphs of an earlier run on this machine.
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = (env or {}).get("TORCHINDUCTOR_CACHE_DIR", os.path.join(folder, "inductor"))
        if hf_home is not None:
            saved.update(use_hf_home(os.path.join(folder, "hf") if hf_home == "private" else hf_home))
        try:
            client.execute()
        finally:
            restore_environment(saved)
    notebook.metadata.pop("widgets", None)
    # A cell's printed lines arrive in as many messages as the kernel happened to flush them in:
    # merged, the saved outputs are the same on every run.
    CoalesceStreamsPreprocessor().preprocess(notebook, {})
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


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_WARNING = re.compile(r"\b\w*Warning: ")


def stray_output(outputs: list) -> str | None:
    """What in one cell's `outputs` a learner should never see, or None: an error, anything printed to
    stderr (warnings, progress bars, a library's log), a traceback or warning printed as text, or a
    terminal's colour codes. The committed outputs have none of these; a run whose outputs are not
    compared (the latest and Colab lanes) must not either."""
    for out in outputs:
        kind = out.get("output_type")
        if kind == "error":
            return f"an error: {out.get('ename')}: {out.get('evalue')}"
        if kind == "stream":
            text = "".join(out.get("text", ""))
            if out.get("name") == "stderr":
                return f"printed to stderr: {text.strip().splitlines()[0][:200] if text.strip() else repr(text)}"
        else:
            text = "".join(out.get("data", {}).get("text/plain", ""))
        if _ANSI.search(text):
            return f"terminal colour codes: {_ANSI.sub('', text).strip().splitlines()[0][:200]}"
        if "Traceback (most recent call last)" in text:
            return "a traceback printed as text"
        found = _WARNING.search(text)
        if found:
            line = next(line for line in text.splitlines() if found.group(0) in line)
            return f"a warning printed as text: {line.strip()[:200]}"
    return None


def failing_line(report: str) -> str | None:
    """The cell's line that IPython's traceback marks with ``---->`` (the first mark: a library's frames
    come after it), without colours or line number; None where the report has no mark."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", report)
    marked = [line for line in plain.splitlines() if re.match(r"\s*-+> ?\d+", line)]
    return re.sub(r"^\s*-+> ?\d+\s*", "", marked[0]).strip() if marked else None


def regenerate(names: list[str] | None = None, unlocked: bool = False) -> None:
    """Execute notebooks in place: the only way the committed outputs are made. Refuses where the installed
    versions differ from the lock, unless `unlocked`."""
    from nbclient.exceptions import CellExecutionError

    from .lock import require_locked_versions
    from .twins import write_twin

    if not unlocked:
        require_locked_versions()

    for path in select(names):
        start = time.perf_counter()
        try:
            execute(path)
        except CellExecutionError as exc:
            summary = f"{exc.ename}: {exc.evalue}" if getattr(exc, "ename", None) else str(exc).splitlines()[0]
            where = failing_line(str(exc))
            raise CourseError(f"regenerate stopped: {path.name} raised {summary}"
                              + (f" at `{where}`" if where else "")
                              + ". The file was left unchanged. Fix: mend that cell and run the command again.") from None
        write_twin(path)
        print(f"regenerated {path.name} in {time.perf_counter() - start:.0f} s", flush=True)
