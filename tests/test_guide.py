"""The instructor guide: its measured block comes from the benchmark, and its doctor table quotes the doctor."""

from __future__ import annotations

import inspect
import re

from course_utils import doctor
from course_utils.tools import bench, guide, notebooks
from course_utils.tools.bench import BenchRow

GUIDE = notebooks.notebooks_dir() / "instructor_guide.md"


def test_teaching_minutes_come_from_each_header():
    minutes = {path.name[:2]: guide.teaching_minutes(path) for path in notebooks.all_notebooks()}
    assert minutes["01"] == 30, "01 says 20 minutes to read and 10 more to install"
    assert all(10 <= value <= 120 for value in minutes.values())


def test_guide_block_builds_schedules_and_memory_from_the_rows():
    paths = notebooks.all_notebooks()
    rows = [BenchRow(path.name, seconds=100.0, peak_mb=1000.0) for path in paths]
    rows[-1] = BenchRow(paths[-1].name, seconds=400.0, peak_mb=3000.0)
    block = guide.guide_block(rows, paths)
    assert block.count("| lunch |") == 3, "one lunch on the single day, one on each of the two days"
    assert "**3.5 GB per learner**" in block and "87.5 GB for a room of 25" in block, "3000 MB + 0.5 GB, in half-GB steps"
    assert f"`{paths[-1].name}`, peaks at **3000 MB** in its kernel and the processes it starts" in block
    for number in guide.ONE_DAY[0]:
        assert re.search(rf"\| \d\d:\d\d \| {number} · ", block), f"{number} is missing from the one-day schedule"
    eight = next(line for line in block.splitlines() if line.startswith("| 08 ·"))
    assert "| 400 | 3000 |" in eight
    # 08 takes the header's minutes, 10 per exercise, and its measured run time rounded up
    assert f"({guide.teaching_minutes(paths[-1]) + 10 * guide.exercise_count(paths[-1]) + 7} min)" in block
    assert guide.exercise_count(paths[-1]) == 3


def test_the_committed_guide_holds_a_measured_block():
    text = GUIDE.read_text(encoding="utf-8")
    block = text.split(bench.README_START, 1)[1].split(bench.README_END, 1)[0]
    assert "filled by" not in block, "run `python -m course_utils bench --write-readme`"
    for path in notebooks.all_notebooks():
        assert f"| {path.name[:2]} · " in block


def test_the_doctor_table_quotes_fixes_the_doctor_gives():
    source = inspect.getsource(doctor)
    text = GUIDE.read_text(encoding="utf-8")
    for fix in ("pip install torch --index-url https://download.pytorch.org/whl/cpu", "ipykernel install --user",
                "--force-reinstall --no-cache-dir", "COURSE_OUTPUT_DIR", "needs >=3.10", "SHA-256 mismatch",
                "no 'python3' kernel is registered", "not this environment's Python"):
        assert fix in text and fix in source, fix


def test_headers_that_state_a_total_agree_with_the_guide():
    """03-05 once said 45/45/60 minutes where the guide counted 75/75/90 with the exercises: where a header
    states the total, it is the guide's own sum (reading + 10 minutes per exercise)."""
    import nbformat

    words = {"one": 1, "two": 2, "three": 3, "four": 4}
    stated = {}
    for path in notebooks.all_notebooks():
        header = nbformat.read(path, as_version=4).cells[0].source
        match = re.search(r"with the (\w+) exercises, about (\d+)", header)
        if match:
            assert words[match.group(1)] == guide.exercise_count(path), path.name
            assert int(match.group(2)) == guide.teaching_minutes(path) + guide.EXERCISE_MIN * guide.exercise_count(path), path.name
            stated[path.name[:2]] = int(match.group(2))
    assert {"03", "04", "05"} <= set(stated)
