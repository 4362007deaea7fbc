"""The environment.yml checker: bad files get a line and a fix; the course's own file is clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from course_utils.envcheck import check_environment_file

ROOT = Path(__file__).resolve().parent.parent

BAD_FILES = {
    "tab indentation": ("name: x\ndependencies:\n\t- numpy\n", 3, "not valid YAML"),
    "unclosed bracket": ("name: x\nchannels: [conda-forge\ndependencies:\n  - numpy\n", 3, "not valid YAML"),
    "no name": ("channels:\n  - conda-forge\ndependencies:\n  - numpy\n", 1, "no `name:`"),
    "empty name": ("name:\ndependencies:\n  - numpy\n", 1, "no `name:`"),
    "a space in the name": ("name: my env\ndependencies:\n  - numpy\n", 1, "which conda refuses"),
    "a slash in the name": ("channels: [conda-forge]\nname: a/b\ndependencies:\n  - numpy\n", 2, "which conda refuses"),
    "the defaults channel": ("name: x\nchannels:\n  - conda-forge\n  - defaults\ndependencies:\n  - numpy\n", 4,
                             "`defaults` channel is Anaconda's"),
    "pip torch under conda transformers": ("name: x\ndependencies:\n  - pip\n  - transformers>=5\n  - pip:\n      - torch\n",
                                           4, "two copies of torch"),
    "pip section without pip": ("name: x\ndependencies:\n  - numpy\n  - pip:\n      - requests\n", 4, "`pip` itself is not"),
    "torch twice": ("name: x\ndependencies:\n  - pytorch>=2.4\n  - pip\n  - pip:\n      - torch==2.13.0\n", 6, "both conda"),
    "pytorch-cpu and pip torch": ("name: x\ndependencies:\n  - pytorch-cpu\n  - pip\n  - pip:\n      - torch\n", 6, "both conda"),
    "dependencies not a list": ("name: x\ndependencies: numpy\n", 2, "must be a list"),
    "no dependencies": ("name: x\nchannels: [conda-forge]\n", 0, "no `dependencies:`"),
    "not a mapping": ("- numpy\n- scipy\n", 1, "must be a mapping"),
    "unknown section": ("name: x\ndependencies:\n  - pip\n  - npm:\n      - left-pad\n", 4, "unknown section"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_reported_with_line_and_fix(case):
    text, line, words = BAD_FILES[case]
    problems = check_environment_file(text)
    assert problems, f"{case}: nothing reported"
    hits = [p for p in problems if words in str(p)]
    assert hits, f"{case}: {[str(p) for p in problems]}"
    assert hits[0].line == line
    assert hits[0].fix


def test_the_courses_own_file_is_clean():
    assert check_environment_file(ROOT / "environment.yml") == []


def test_drift_against_what_is_installed():
    text = "name: x\ndependencies:\n  - pip\n  - pytest>=1000\n  - surely-not-installed-pkg\n  - numpy>=1.0\n"
    problems = {p.line: str(p) for p in check_environment_file(text, installed=True)}
    assert "file asks for >=1000" in problems[4]
    assert "not installed" in problems[5]
    assert 6 not in problems


def test_conda_single_equals_means_a_version_prefix():
    import importlib.metadata as md

    major_minor = ".".join(md.version("pytest").split(".")[:2])
    assert check_environment_file(f"name: x\ndependencies:\n  - pytest={major_minor}\n", installed=True) == []
    assert check_environment_file("name: x\ndependencies:\n  - pytest=1.0\n", installed=True)


@pytest.mark.parametrize("spec", ["numpy==1.26.4", "numpy=1.26", "numpy=1.26.*", "numpy>=1.26,<3", "conda-forge::scipy==1.11"])
def test_conda_version_spellings_are_all_valid(spec):
    """In conda `=1.26` is the 1.26 series and `==1.26.4` the exact pin: both are right (the checker once refused `==`)."""
    assert check_environment_file(f"name: x\nchannels: [conda-forge, nodefaults]\ndependencies:\n  - {spec}\n") == []


def test_conda_double_equals_is_the_exact_pin_in_drift():
    import importlib.metadata as md

    version = md.version("pytest")
    assert check_environment_file(f"name: x\ndependencies:\n  - pytest=={version}\n", installed=True) == []
    assert check_environment_file("name: x\ndependencies:\n  - pytest==1.0.0\n", installed=True)
