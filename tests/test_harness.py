"""The notebook harness: one set of run settings, notebook selection, the benchmark table."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from course_utils.errors import CourseError
from course_utils.tools import bench, notebooks


def test_tests_and_regenerate_share_the_settings():
    # The pytest plugin applied NOTEBOOK_ENV to this very process before nbval started kernels.
    for key, value in notebooks.NOTEBOOK_ENV.items():
        assert os.environ[key] == value


@pytest.mark.skipif(__import__("platform").machine().lower() not in ("x86_64", "amd64"), reason="x86 only: the pins name x86 instructions")
def test_committed_outputs_use_one_arithmetic_on_every_x86_cpu():
    import subprocess

    assert notebooks.X86_NUMERICS_ENV.items() <= notebooks.NOTEBOOK_ENV.items()
    # A process started with the settings (as every kernel is) runs PyTorch's AVX2 kernels, whatever
    # this CPU has, and MKL in its reproducible mode.
    code = "import torch; print(torch.backends.cpu.get_cpu_capability())"
    done = subprocess.run([sys.executable, "-c", code], env=notebooks.apply_notebook_env(dict(os.environ)),
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "AVX2", done.stderr


def test_kernel_is_this_python():
    import json
    from pathlib import Path

    env = notebooks.apply_notebook_env({})
    first = Path(env["JUPYTER_PATH"].split(os.pathsep)[0])
    spec = json.loads((first / "kernels" / "python3" / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable


def test_select_by_number_and_name():
    assert [p.name for p in notebooks.select(["00"])] == ["00_welcome.ipynb"]
    assert [p.name for p in notebooks.select(["notebooks/00_welcome.ipynb"])] == ["00_welcome.ipynb"]
    with pytest.raises(CourseError, match="No notebook matches '99'. Fix: name one of 00_welcome.ipynb"):
        notebooks.select(["99"])


def test_bench_table_and_readme_block(tmp_path):
    rows = [bench.BenchRow("00_welcome.ipynb", 7.4, 512.3)]
    table = bench.bench_table(rows, 0.04)
    assert "| `00_welcome.ipynb` | 7 | 60 | 512 |" in table and "fails in 0.04 s" in table
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{bench.README_START}\nold\n{bench.README_END}\noutro\n")
    bench.write_readme_table(table, readme)
    text = readme.read_text()
    assert "old" not in text and table in text and text.startswith("intro") and text.endswith("outro\n")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PSS is reported on Linux only")
def test_bench_counts_memory_that_processes_share_once():
    """A forked child shares its parent's pages: summed resident sets count them twice, the bench once."""
    import subprocess

    import psutil

    script = ("import os, sys, time\n"
              "block = bytearray(300 * 2**20)\n"           # 300 MB, every page touched
              "child = os.fork()\n"
              "print(child if child else os.getpid(), flush=True)\n"
              "time.sleep(30)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        parent.stdout.readline()
        processes = [psutil.Process(parent.pid), *psutil.Process(parent.pid).children()]
        assert len(processes) == 2
        resident = sum(p.memory_info().rss for p in processes) / 2**20
        counted = sum(bench.process_memory(p) for p in processes) / 2**20
        assert resident > 600                          # the block, twice
        assert 300 < counted < 450                     # the block once, and the interpreter
    finally:
        for process in psutil.Process(parent.pid).children():
            process.kill()
        parent.kill()
        parent.wait()


def test_bench_reads_the_costly_pss_rarely_but_at_once_when_memory_rises():
    """The PSS (about 16 ms a reading) is read only every `counted_every_s` while the resident sets stay flat, and
    at the very sample where they jump; the peak is the highest PSS read."""
    import threading

    mb = 2**20
    residents = iter([100, 100, 110, 200, 200, 150, 160, 250, 250])   # MB, one per 0.1 s sample
    stop, peak, reads, listed = threading.Event(), [0.0], [], []

    def children():
        listed.append(object())
        return [listed[-1]]

    def resident(processes):
        assert processes == [listed[-1]]     # this sample's one listing
        value = next(residents, None)
        if value is None:
            stop.set()
            return 0
        return value * mb

    def counted(processes):
        assert processes == [listed[-1]]     # the same listing as the resident sets it follows: not listed again
        reads.append(len(reads))
        return [90, 180, 240][len(reads) - 1] * mb

    bench._peak_children_memory(stop, peak, children=children, resident=resident, counted=counted, interval_s=0,
                                counted_every_s=3600)
    assert len(reads) == 3                   # the first sample, the jump to 200 and the rise to 250; not 110, 160
    assert len(listed) == 10                 # one listing per sample: 9 readings, and the one that found no more
    assert peak[0] == 240 * mb


def test_bench_keeps_the_fastest_time_and_the_highest_peak_of_its_runs():
    runs = [bench.BenchRow("08_x.ipynb", 180.0, 2600.0), bench.BenchRow("08_x.ipynb", 150.0, 2700.0)]
    assert bench.fastest(runs) == bench.BenchRow("08_x.ipynb", 150.0, 2700.0)
    assert bench.spread(runs) == pytest.approx(0.2)
    with pytest.raises(CourseError, match="runs of one notebook"):
        bench.fastest(runs + [bench.BenchRow("07_y.ipynb", 1.0, 1.0)])


def test_bench_table_adds_up_the_whole_course_and_says_how_it_was_timed():
    rows = [bench.BenchRow("07_a.ipynb", 100.4, 1400.0), bench.BenchRow("08_b.ipynb", 149.6, 2700.0)]
    table = bench.bench_table(rows, 0.04, repeats=2, worst_spread=0.23, whole_course=True)
    assert f"| the whole course | 250 | {bench.COURSE_BUDGET_S} | 2700 (the most of any one) |" in table
    assert "ran 2 times" in table and "up to 23% longer" in table
    assert "whole course" not in bench.bench_table(rows, 0.04)       # a few notebooks are not the course


def test_bench_refuses_zero_repeats():
    with pytest.raises(CourseError, match="--repeat 1 or more"):
        bench.bench(["00"], repeats=0)


def test_failure_timing_is_measured_without_the_offline_flag(monkeypatch):
    from course_utils import hub

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub, "probe_hub", lambda *a, **k: (False, "unreachable: gaierror"))
    seen = bench._failure_without_offline_flag(lambda: hub.hub_status())
    assert seen == (False, "Hub unreachable: gaierror")
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_execute_saves_a_cells_printed_lines_as_one_output_however_the_kernel_flushed_them(tmp_path):
    import nbformat

    path = tmp_path / "prints.ipynb"
    source = "import sys, time\nprint('one', flush=True)\ntime.sleep(0.3)\nprint('two')\nprint('oops', file=sys.stderr)"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), path)
    outputs = notebooks.execute(path, write=False).cells[0].outputs
    assert [(o.name, o.text) for o in outputs] == [("stdout", "one\ntwo\n"), ("stderr", "oops\n")]


def test_regenerate_names_the_line_that_failed(tmp_path):
    """A failing cell is reported by its own line, not by an empty AssertionError."""
    import nbformat
    from nbclient.exceptions import CellExecutionError

    path = tmp_path / "fails.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1\ny = [x]\nassert x > 2   # the claim")]), path)
    with pytest.raises(CellExecutionError) as failure:
        notebooks.execute(path, write=False)
    assert notebooks.failing_line(str(failure.value)) == "assert x > 2   # the claim"
    assert notebooks.failing_line("no traceback here") is None


def test_bench_rows_carry_the_speed_probe_of_their_fastest_run_into_the_table():
    runs = [bench.BenchRow("08_x.ipynb", 180.0, 2600.0, 0.61), bench.BenchRow("08_x.ipynb", 150.0, 2700.0, 0.45)]
    row = bench.fastest(runs)
    assert (row.seconds, row.peak_mb, row.probe_s) == (150.0, 2700.0, 0.45)
    table = bench.bench_table([row], 0.04, repeats=2, worst_spread=0.2, probes=[0.61, 0.45])
    assert f"| `08_x.ipynb` | 150 | {bench.BUDGETS_S['08']} | 2700 | 0.45 |" in table
    assert "from 0.45 s to 0.61 s" in table
    assert "speed probe" not in bench.bench_table([bench.BenchRow("08_x.ipynb", 150.0, 2700.0)], 0.04)   # none taken


def test_the_speed_probe_times_real_work_and_leaves_the_threads_as_they_were():
    import torch

    threads = torch.get_num_threads()
    seconds = bench.speed_probe(repeats=1)
    assert 0.001 < seconds < 60
    assert torch.get_num_threads() == threads


# --------------------------------------------------------------------------- torch.compile's cache (issue 36)

_COMPILE_PROBE = """
import torch
from torch._dynamo.utils import counters
torch.set_num_threads(1)
def f(x, w):
    return (x * w[0]).softmax(-1)
torch.manual_seed(0)
x, w = torch.randn(37, 45), torch.randn(45, 45)
same = torch.allclose(torch.compile(f)(x, w), f(x, w), atol=1e-5)
print(torch.backends.cpu.get_cpu_capability(), counters["inductor"]["fxgraph_cache_hit"], same, flush=True)
"""


def _compile_in_a_new_process(cache, pinned: bool) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in notebooks.X86_NUMERICS_ENV}
    env.update(TORCHINDUCTOR_CACHE_DIR=str(cache), TORCHINDUCTOR_COMPILE_THREADS="1")
    if pinned:
        env.update(notebooks.X86_NUMERICS_ENV)
    return subprocess.run([sys.executable, "-c", _COMPILE_PROBE], env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.full
@pytest.mark.skipif(__import__("platform").machine().lower() not in ("x86_64", "amd64"), reason="x86 only: the pins name x86 instructions")
def test_an_unpinned_process_loads_the_graphs_a_pinned_one_cached_and_on_avx512_breaks(tmp_path):
    """The crash of issue 36, reproduced: a run pinned to AVX2 (as every notebook run here is) compiles into a
    cache; a process without the pins (a learner's kernel) finds the same graph in that cache and loads it.
    On an AVX-512 CPU it then runs AVX2-shaped code built for AVX-512: wrong numbers, then heap corruption
    (here: 'double free or corruption', exit 134). On a CPU without AVX-512 both runs pick AVX2 and the
    loaded graph is right: only the reuse itself is shown there."""
    pinned = _compile_in_a_new_process(tmp_path / "shared", pinned=True)
    assert pinned.returncode == 0 and pinned.stdout.split() == ["AVX2", "0", "True"], pinned.stdout + pinned.stderr
    learner = _compile_in_a_new_process(tmp_path / "shared", pinned=False)
    capability = subprocess.run([sys.executable, "-c", "import torch; print(torch.backends.cpu.get_cpu_capability())"],
                                env={k: v for k, v in os.environ.items() if k not in notebooks.X86_NUMERICS_ENV},
                                capture_output=True, text=True, timeout=120).stdout.strip()
    if capability.startswith("AVX512"):
        # killed by the corruption (possibly before printing), or alive with the cached graph's wrong numbers
        assert learner.returncode != 0 or learner.stdout.split()[1:] == ["1", "False"], learner.stdout + learner.stderr
    else:
        assert learner.returncode == 0 and learner.stdout.split()[1:] == ["1", "True"], learner.stdout + learner.stderr
    # With a cache of its own (as every run here has now: the tests below), nothing pinned is there to load.


_CACHE_CELL = ("from torch._inductor.runtime.cache_dir_utils import cache_dir, default_cache_dir\n"
               "assert cache_dir() != default_cache_dir(), cache_dir()\n"
               "print('compile cache: private')")


def test_this_process_and_all_it_starts_compile_into_a_private_cache():
    """Kernels, test subprocesses and DDP workers inherit this process's environment: its torch.compile cache is
    a folder of its own, never torch's default one (which a learner's kernel reads)."""
    from torch._inductor.runtime.cache_dir_utils import default_cache_dir

    assert os.environ["TORCHINDUCTOR_CACHE_DIR"] == str(notebooks.private_compile_cache())
    assert os.environ["TORCHINDUCTOR_CACHE_DIR"] != default_cache_dir()
    assert notebooks.apply_notebook_env({})["TORCHINDUCTOR_CACHE_DIR"] == str(notebooks.private_compile_cache())


def test_execute_gives_each_run_an_empty_compile_cache_of_its_own(tmp_path):
    import nbformat

    path = tmp_path / "cache.ipynb"
    source = _CACHE_CELL + "\nimport os; print(sorted(os.listdir(cache_dir())))"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), path)
    outputs = notebooks.execute(path, write=False).cells[0].outputs
    assert outputs[0].text == "compile cache: private\n[]\n"
    assert os.environ["TORCHINDUCTOR_CACHE_DIR"] == str(notebooks.private_compile_cache())   # put back after the run


def _nbval(path, *options) -> subprocess.CompletedProcess:
    """pytest with nbval on `path` (outputs not compared), with or without the course's plugin."""
    return subprocess.run([sys.executable, "-m", "pytest", str(path), "-q", "-p", "no:randomly", "-o", "addopts=",
                           "--nbval-lax", "--nbval-current-env", *options],
                          capture_output=True, text=True, timeout=600, cwd=path.parent,
                          env={k: v for k, v in os.environ.items() if k != "TORCHINDUCTOR_CACHE_DIR"})


def test_nbval_runs_each_notebook_with_a_compile_cache_of_its_own(tmp_path):
    """The test suite's nbval run goes through the plugin, which gives every notebook its own cache; nbval alone
    would leave torch's default (the control, so the cell's check is known to fail where it should)."""
    import nbformat

    path = tmp_path / "cache.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(_CACHE_CELL)]), path)
    with_plugin = _nbval(path, "-p", "course_utils.tools.pytest_plugin")
    assert with_plugin.returncode == 0, with_plugin.stdout[-2000:]
    alone = _nbval(path)
    assert alone.returncode != 0 and "AssertionError" in alone.stdout, alone.stdout[-2000:]


def test_cells_run_but_not_compared_must_still_print_nothing_stray(tmp_path):
    """--nbval-lax (the latest lane) executes the notebooks without comparing: a warning on stderr fails it all the same."""
    import nbformat

    path = tmp_path / "warns.ipynb"
    cells = [nbformat.v4.new_code_cell("print('fine')"), nbformat.v4.new_code_cell("import warnings; warnings.warn('renamed soon', FutureWarning)")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    done = _nbval(path, "-p", "course_utils.tools.pytest_plugin")
    assert done.returncode == 1 and "1 failed, 1 passed" in done.stdout, done.stdout[-2000:]
    assert "cell 1 of warns.ipynb ran, but its output has printed to stderr" in done.stdout and "FutureWarning" in done.stdout


@pytest.mark.parametrize(("outputs", "found"), [
    ([{"output_type": "stream", "name": "stdout", "text": "accuracy 0.87\n"}], None),
    ([{"output_type": "display_data", "data": {"text/plain": "<Figure>", "image/png": "..."}}], None),
    ([{"output_type": "stream", "name": "stderr", "text": "x.py:3: FutureWarning: old\n"}], "printed to stderr: x.py:3: FutureWarning: old"),
    ([{"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": []}], "an error: ValueError: bad"),
    ([{"output_type": "stream", "name": "stdout", "text": "ok\nUserWarning: printed by a library\n"}],
     "a warning printed as text: UserWarning: printed by a library"),
    ([{"output_type": "stream", "name": "stdout", "text": "Traceback (most recent call last):\n  ...\n"}], "a traceback printed as text"),
    ([{"output_type": "stream", "name": "stdout", "text": "\x1b[35mValueError\x1b[0m: bad\n"}], "terminal colour codes: ValueError: bad"),
    ([{"output_type": "execute_result", "data": {"text/plain": "'the [WARN] lines of the doctor'"}}], None),
])
def test_stray_output_names_what_a_learner_should_not_see(outputs, found):
    assert notebooks.stray_output(outputs) == found
