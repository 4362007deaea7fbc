"""Time and memory of each notebook and of the test command, and the README tables made from them.

``python -m course_utils bench`` runs each notebook fresh the way ``regenerate`` does (outputs
discarded) and prints its wall time and the peak memory of every process it starts (their PSS: shared pages counted once); ``--suite``
times the README's test command on a fresh clone. ``--write-readme`` writes both into README.md
and the instructor guide's schedule.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import CourseError
from ..session import repo_root
from .notebooks import NOTEBOOK_ENV, apply_notebook_env, execute, notebooks_dir, select

#: The bound on the whole course, every notebook run once in a row: 9 minutes (issue 16 set 6, before issue 38; see below).
COURSE_BUDGET_S = 540
#: Each notebook's time budget on 2 CPU cores, in seconds. Issue 16 set 07 at 120 s and 08 at 150 s, when 07
#: fine-tuned for about 70 s and had no baselines on every training review, no length table and no sliding
#: window, and 08 gave LoRA 30 steps and no frozen run. Issue 38 asked for what those cost: a quick recipe
#: with "about 2 minutes of fine-tuning" (07's takes 90 s), baselines trained on every training review (30 s),
#: an accuracy-vs-length table with its times (10 readings of the validation reviews, 38 s) and a sliding
#: window in 07; LoRA at the same budget as full fine-tuning and the accuracy cost of freezing in 08 (two
#: more training runs as long as the loop, 72 s). Measured per cell on 2 idle cores (README, issue 38's
#: note): 07 185 s, 08 231 s. Hence 200 and 240; each is still measured by `bench`, never by a timed test.
BUDGETS_S = {"00": 60, "01": 60, "02": 60, "03": 60, "04": 60, "05": 60, "06": 90, "07": 200, "08": 240}
README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"
SUITE_START = "<!-- suite:start -->"
SUITE_END = "<!-- suite:end -->"


@dataclass(frozen=True)
class BenchRow:
    notebook: str
    seconds: float
    peak_mb: float
    probe_s: float | None = None     # the machine's speed just before this run (``speed_probe``)

    @property
    def budget(self) -> int | None:
        return BUDGETS_S.get(self.notebook[:2])


def process_memory(process) -> int:
    """Bytes of memory `process` (a ``psutil.Process``) holds, with the pages it shares counted once
    across the processes that share them: its PSS where the system reports one (Linux), else its
    resident set. Summing resident sets would count a shared page (PyTorch's libraries, mapped by
    the kernel and every worker; a freshly forked child) once per process."""
    try:
        return process.memory_full_info().pss
    except AttributeError:                      # no PSS here (macOS, Windows): the resident set
        return process.memory_info().rss


def _children() -> list:
    """Every process this one started (``psutil.Process`` objects), listed now."""
    import psutil

    return psutil.Process().children(recursive=True)


def _total(processes: list, measure) -> int:
    """`measure` (bytes of one ``psutil.Process``) added up over `processes`."""
    import psutil

    total = 0
    for process in processes:
        try:
            total += measure(process)
        except psutil.Error:                    # it ended (or is not ours to read) between listing and reading
            pass
    return total


def _resident_total(processes: list) -> int:
    return _total(processes, lambda process: process.memory_info().rss)


def _counted_total(processes: list) -> int:
    return _total(processes, process_memory)


def _peak_children_memory(stop: threading.Event, peak: list[float], children=_children, resident=_resident_total,
                          counted=_counted_total, interval_s: float = 0.1, counted_every_s: float = 2.0,
                          rise_bytes: int = 32 * 2**20) -> None:
    """Keep in `peak[0]` the highest `counted` (the PSS of every process started) until `stop` is set.

    Reading a PSS walks a process's page tables (about 16 ms for a kernel holding 1.4 GB), so it is
    read every `counted_every_s`, and at once whenever the resident sets (cheap to read, every
    `interval_s`) have risen `rise_bytes` above where they were at the last reading: a rise is
    caught within `interval_s`. Both are read from one listing of the processes per sample. Read
    every 0.1 s, the PSS cost this process 18 s of CPU during 07 and 31 s during 08, taken from the
    notebook's 2 cores: 07 ran in 120 s against 106 s, 08 in 163 s against 145 s, with the same
    peaks within 3%."""
    last_at, last_resident = float("-inf"), 0
    while not stop.is_set():
        processes = children()
        now_resident = resident(processes)
        now = time.monotonic()
        if now - last_at >= counted_every_s or now_resident > last_resident + rise_bytes:
            peak[0] = max(peak[0], counted(processes))
            last_at, last_resident = now, now_resident
        stop.wait(interval_s)


def speed_probe(repeats: int = 3) -> float:
    """Seconds a fixed piece of PyTorch work takes on this machine now, with the notebooks' threads:
    forward and backward of a 6-layer, 384-wide transformer encoder (MiniLM's shape) on 16 x 64
    tokens, the fastest of `repeats` after one to warm up. The code is always the same, so where a
    notebook ran slower beside a slower probe, the machine was slower, not the notebook."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(int(NOTEBOOK_ENV["COURSE_THREADS"]))
    try:
        torch.manual_seed(0)
        layer = torch.nn.TransformerEncoderLayer(384, 12, 1536, dropout=0.0, batch_first=True)
        encoder = torch.nn.TransformerEncoder(layer, 6, enable_nested_tensor=False)
        tokens = torch.randn(16, 64, 384)
        times = []
        for _ in range(repeats + 1):
            start = time.perf_counter()
            encoder(tokens).square().mean().backward()
            times.append(time.perf_counter() - start)
        return min(times[1:])
    finally:
        torch.set_num_threads(threads)


def bench_one(path: Path) -> BenchRow:
    """Wall time and peak memory (the kernel and every process it starts, shared pages once) of one fresh run, outputs discarded."""
    probe_s = speed_probe()
    stop, peak = threading.Event(), [0.0]
    sampler = threading.Thread(target=_peak_children_memory, args=(stop, peak), daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        execute(path, write=False)                   # with an empty torch.compile cache, as on a first run
    finally:
        seconds = time.perf_counter() - start
        stop.set()
        sampler.join()
    return BenchRow(path.name, seconds, peak[0] / 2**20, probe_s)


def fastest(runs: list[BenchRow]) -> BenchRow:
    """Several fresh runs of one notebook as one row: the fastest time (the others measured the
    machine's neighbours too), with the speed probe taken before it, and the highest peak memory
    (the one a learner must have)."""
    if not runs or len({run.notebook for run in runs}) != 1:
        raise CourseError("fastest() takes one or more runs of the same notebook. Fix: pass the runs of one notebook.")
    quickest = min(runs, key=lambda run: run.seconds)
    return BenchRow(runs[0].notebook, quickest.seconds, max(run.peak_mb for run in runs), quickest.probe_s)


def spread(runs: list[BenchRow]) -> float:
    """How much slower the slowest run was than the fastest, as a share (0.25: 25% slower)."""
    return max(run.seconds for run in runs) / min(run.seconds for run in runs) - 1


def bench_table(rows: list[BenchRow], failure_s: float, repeats: int = 1, worst_spread: float = 0.0,
                whole_course: bool = False, probes: list[float] | None = None) -> str:
    """The benchmark as a markdown table (the README's notebook map uses it); with `whole_course`,
    a last row adds the notebooks up against the course's budget; with `probes` (every run's
    ``speed_probe``), a line says how much the machine's own speed moved while it ran."""
    from ..hub import PROBE_TIMEOUT_S

    probed = any(row.probe_s is not None for row in rows)
    head = "| notebook | CPU time, 2 cores (s) | budget (s) | peak memory, all its processes (MB) |"
    lines = [head + (" speed probe before it (s) |" if probed else ""), "|---|---:|---:|---:|" + ("---:|" if probed else "")]
    for row in rows:
        budget = row.budget if row.budget is not None else "-"
        probe = (f" {row.probe_s:.2f} |" if row.probe_s is not None else " - |") if probed else ""
        lines.append(f"| `{row.notebook}` | {row.seconds:.0f} | {budget} | {row.peak_mb:.0f} |{probe}")
    if whole_course:
        lines.append(f"| the whole course | {sum(row.seconds for row in rows):.0f} | {COURSE_BUDGET_S} | "
                     f"{max(row.peak_mb for row in rows):.0f} (the most of any one) |" + (" |" if probed else ""))
    if repeats > 1:
        lines.append(f"\nEach notebook ran {repeats} times, fresh: the table gives the fastest time and the highest peak; "
                     f"the slowest run of a notebook took up to {worst_spread:.0%} longer than its fastest "
                     "(a shared machine's neighbours).")
    if probes:
        lines.append(f"\nThe machine's speed, probed before each run (`bench.speed_probe`: the same PyTorch work every time), "
                     f"took from {min(probes):.2f} s to {max(probes):.2f} s over this benchmark; the last column gives it before each "
                     "notebook's fastest run, so that two tables can be compared on the machine's speed as well as the notebooks'.")
    lines.append(f"\nWith no network, resolving an id that nothing can serve fails in {failure_s:.2f} s "
                 f"(Hub probe included, capped at {PROBE_TIMEOUT_S:g} s where DNS hangs; stock `from_pretrained` takes about 50 s).")
    return "\n".join(lines)


def write_readme_table(table: str, readme: Path | None = None, start: str = README_START, end: str = README_END) -> None:
    """Replace the block between the `start` and `end` markers in README.md (or in `readme`) with `table`."""
    readme = readme or (repo_root() or Path.cwd()) / "README.md"
    text = readme.read_text(encoding="utf-8")
    if start not in text or end not in text:
        raise CourseError(f"{readme.name} has no {start} ... {end} block to fill. Fix: put the two marker lines back where the table goes.")
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
        raise CourseError("bench --suite needs a git checkout of the course (it clones HEAD). Fix: run it in a clone made with `git clone`.")
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
                raise CourseError(f"the test command failed on run {run} of a fresh clone. Fix: read {log}, mend the failure, and run again.")
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
    from .. import hub

    saved = {k: os.environ.pop(k) for k in hub.OFFLINE_FLAGS if k in os.environ}
    hub._STATUS.clear()
    try:
        return measure()
    finally:
        os.environ.update(saved)
        hub._STATUS.clear()


def bench(names: list[str] | None = None, write_readme: bool = False, repeats: int = 1) -> str:
    """Run each notebook fresh (`repeats` times: the fastest counts), print the table of time and
    peak memory, optionally into README."""
    from ..hub import timed_failure

    if repeats < 1:
        raise CourseError(f"--repeat {repeats}: a notebook must run at least once. Fix: give --repeat 1 or more.")
    apply_notebook_env()
    rows, spreads, probes, paths = [], [], [], select(names)
    for path in paths:
        runs = []
        for _ in range(repeats):
            runs.append(bench_one(path))
            print(f"{path.name}: {runs[-1].seconds:.1f} s, peak {runs[-1].peak_mb:.0f} MB, "
                  f"speed probe {runs[-1].probe_s:.2f} s", flush=True)
            probes.append(runs[-1].probe_s)
        rows.append(fastest(runs))
        spreads.append(spread(runs))
    failure_s = _failure_without_offline_flag(timed_failure)
    table = bench_table(rows, failure_s, repeats, max(spreads), whole_course=len(paths) == len(select(None)), probes=probes)
    print(table)
    if write_readme:
        from .guide import guide_block

        write_readme_table(table)
        guide = notebooks_dir() / "instructor_guide.md"
        write_readme_table(guide_block(rows, select(names)), guide)
        print(f"wrote the tables into README.md and {guide.name}")
    return table
