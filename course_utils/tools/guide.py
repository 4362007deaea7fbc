"""The instructor guide's measured part: schedules and memory per learner, from the benchmark.

``python -m course_utils bench --write-readme`` times every notebook and writes this block into
``notebooks/instructor_guide.md`` (between the bench markers) as well as the README's table, so
the guide's figures are always the benchmark's, never typed in.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Sequence

from ..errors import CourseError

#: Which notebooks each day covers. One day: the conda notebooks and the maths are pre-reading.
ONE_DAY: list[list[str]] = [["00", "06", "07", "08"]]
TWO_DAYS: list[list[str]] = [["00", "01", "02", "03", "04"], ["05", "06", "07", "08"]]
DAY_START_MIN = 9 * 60
SET_UP_MIN = 30  # day one: the doctor and a kernel for everyone
EXERCISE_MIN = 10  # each exercise, done in the room


def teaching_minutes(path: Path) -> int:
    """The minutes a notebook's header says it needs ("**Time needed:** about 45 minutes",
    "about 20 minutes to read, 10 more to install" -> 30)."""
    import nbformat

    header = nbformat.read(path, as_version=4).cells[0].source
    match = re.search(r"\*\*Time needed:\*\* about (\d+) minutes(?:[^;.]*?(\d+) more)?", header)
    if not match:
        raise CourseError(f"{path.name}: its first cell has no '**Time needed:** about N minutes'. "
                          "Fix: add that line to the notebook's header cell.")
    return int(match.group(1)) + int(match.group(2) or 0)


def exercise_count(path: Path) -> int:
    """How many exercises a notebook has (its "### Exercise" headings)."""
    import nbformat

    return sum(cell.source.count("### Exercise") for cell in nbformat.read(path, as_version=4).cells
               if cell.cell_type == "markdown")


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def schedule(days: list[list[str]], minutes: dict[str, int], run_seconds: dict[str, float],
             titles: dict[str, str]) -> list[str]:
    """A timetable: each notebook gets its teaching time (`minutes`: the header's figure plus its
    exercises) and its measured run time rounded up to whole minutes; a 15-minute break after about 90 minutes of work, lunch at the first gap after
    12:00, set-up time on the first morning."""
    lines = []
    for day, numbers in enumerate(days, start=1):
        lines += [f"**Day {day}**" if len(days) > 1 else "**The day**", "", "| time | what |", "|---|---|"]
        now, since_break, lunch = DAY_START_MIN, 0, False
        if day == 1:
            lines.append(f"| {_clock(now)} | set-up: `python -m course_utils doctor` for everyone, JupyterLab open on 00 |")
            now += SET_UP_MIN
            since_break += SET_UP_MIN
        for number in numbers:
            if not lunch and now >= 12 * 60:
                lines.append(f"| {_clock(now)} | lunch |")
                now, since_break, lunch = now + 60, 0, True
            elif since_break >= 90:
                lines.append(f"| {_clock(now)} | break |")
                now, since_break = now + 15, 0
            length = minutes[number] + math.ceil(run_seconds.get(number, 0) / 60)
            lines.append(f"| {_clock(now)} | {number} · {titles[number]} ({length} min) |")
            now += length
            since_break += length
        lines += [f"| {_clock(now)} | questions, wrap-up |", ""]
    return lines


def guide_block(rows: Sequence, notebooks: Sequence[Path]) -> str:
    """The measured block of the guide: per-notebook figures, two schedules, memory per learner.
    `rows` are ``bench.BenchRow``s of the same run."""
    import nbformat

    by_number = {row.notebook[:2]: row for row in rows}
    minutes = {path.name[:2]: teaching_minutes(path) + EXERCISE_MIN * exercise_count(path) for path in notebooks}
    titles = {path.name[:2]: nbformat.read(path, as_version=4).cells[0].source.splitlines()[0].split("·", 1)[-1].strip()
              for path in notebooks}
    run_seconds = {number: row.seconds for number, row in by_number.items()}
    lines = ["| notebook | teaching, exercises included (min) | code run, 2 cores (s) | peak memory, all its processes (MB) |",
             "|---|---:|---:|---:|"]
    for path in notebooks:
        number = path.name[:2]
        row = by_number.get(number)
        lines.append(f"| {number} · {titles[number]} | {minutes[number]} | "
                     f"{row.seconds:.0f} | {row.peak_mb:.0f} |" if row else f"| {number} | {minutes[number]} | - | - |")
    lines += ["", "### A one-day workshop", "",
              "For learners who set the course up at home (the README's first command) or use Colab; "
              "01 to 05 are pre-reading, and the day goes from attention to a fine-tuned model.", ""]
    lines += schedule(ONE_DAY, minutes, run_seconds, titles)
    lines += ["### A two-day workshop", "",
              f"Everything, in order, with every exercise done in the room ({EXERCISE_MIN} minutes each).", ""]
    lines += schedule(TWO_DAYS, minutes, run_seconds, titles)
    peak = max((row.peak_mb for row in rows), default=0.0)
    heaviest = max(rows, key=lambda row: row.peak_mb).notebook if rows else "-"
    per_learner_gb = math.ceil((peak + 512) / 512) / 2  # the measured peak, plus 0.5 GB headroom, in half-GB steps
    lines += ["### Memory per learner on a shared JupyterHub", "",
              f"The heaviest notebook, `{heaviest}`, peaks at **{peak:.0f} MB** in its kernel and the processes it starts (measured above). "
              f"With half a gigabyte of headroom for the JupyterLab server and the other open kernel, set a "
              f"limit of **{per_learner_gb:g} GB per learner**: {per_learner_gb * 25:g} GB for a room of 25, "
              f"and 2 CPU cores each for the run times above. Memory adds up only if learners keep old kernels "
              f"running: ask them to use *Kernel → Shut Down Kernel* before opening the next notebook.", ""]
    return "\n".join(lines)
