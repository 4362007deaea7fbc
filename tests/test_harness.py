"""The notebook harness: one set of run settings, notebook selection, the benchmark table."""

from __future__ import annotations

import os
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


def test_failure_timing_is_measured_without_the_offline_flag(monkeypatch):
    from course_utils import hub

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub, "probe_hub", lambda *a, **k: (False, "unreachable: gaierror"))
    seen = bench._failure_without_offline_flag(lambda: hub.hub_status())
    assert seen == (False, "Hub unreachable: gaierror")
    assert os.environ["HF_HUB_OFFLINE"] == "1"
