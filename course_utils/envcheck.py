"""Check an ``environment.yml`` the way a patient teacher would: each problem with its line and fix.

``check_environment_file(path)`` reads the file with a real YAML parser (PyYAML) and reports
bad YAML, a missing name, pip's ``==`` where conda expects ``=``, a ``pip:`` section without
``pip`` itself, torch from two sources, and (optionally) drift between the file's ranges and
what is installed.
"""

from __future__ import annotations

import importlib.metadata as md
import re
from dataclasses import dataclass
from pathlib import Path

#: conda package names whose PyPI (import metadata) name differs.
CONDA_TO_PYPI = {"pytorch": "torch", "pytorch-cpu": "torch", "pytorch-gpu": "torch", "huggingface_hub": "huggingface-hub",
                 "py-opencv": "opencv-python"}
TORCH_NAMES = {"pytorch", "pytorch-cpu", "pytorch-gpu", "torch"}
NOT_PACKAGES = {"python", "pip"}


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based; 0 when the whole file is concerned
    message: str
    fix: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where}: {self.message} -> fix: {self.fix}"


def _spec_parts(text: str) -> tuple[str, str]:
    match = re.fullmatch(r"\s*(?:[\w.-]+::)?([A-Za-z0-9_.-]+)\s*(.*?)\s*", text)
    return (match.group(1), match.group(2)) if match else (text.strip(), "")


def check_environment_file(source: str | Path, installed: bool = False) -> list[Problem]:
    """Problems found in an environment file (a path, or the YAML text itself); [] when it is fine."""
    import yaml

    text = Path(source).read_text(encoding="utf-8") if isinstance(source, Path) else source
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        return [Problem(line, f"not valid YAML ({getattr(exc, 'problem', None) or 'syntax error'})",
                        "check the indentation (spaces, never tabs) and that each list item starts with '- '")]
    if root is None or not isinstance(root, yaml.MappingNode):
        return [Problem(1, "the file must be a mapping with name, channels and dependencies",
                        "start from the course's environment.yml and edit it")]
    fields = {key.value: (key, value) for key, value in root.value}
    problems: list[Problem] = []
    if "name" not in fields or not str(fields["name"][1].value).strip():
        problems.append(Problem(1, "no `name:`", "add a line `name: my-env` at the top"))
    if "dependencies" not in fields:
        problems.append(Problem(0, "no `dependencies:` list", "add `dependencies:` with one `- package` per line"))
        return problems
    deps_node = fields["dependencies"][1]
    if not isinstance(deps_node, yaml.SequenceNode):
        return problems + [Problem(deps_node.start_mark.line + 1, "`dependencies:` must be a list",
                                   "write each package on its own line starting with '- '")]
    conda_names: dict[str, tuple[int, str]] = {}
    pip_entries: list[tuple[int, str]] = []
    pip_line = 0
    for item in deps_node.value:
        line = item.start_mark.line + 1
        if isinstance(item, yaml.MappingNode):
            for key, value in item.value:
                if key.value != "pip":
                    problems.append(Problem(line, f"unknown section `{key.value}:` in dependencies", "only `pip:` may appear here"))
                    continue
                pip_line = line
                for entry in getattr(value, "value", []) or []:
                    pip_entries.append((entry.start_mark.line + 1, str(entry.value)))
            continue
        name, spec = _spec_parts(str(item.value))
        if "==" in spec:
            problems.append(Problem(line, f"`{item.value}` uses pip's `==`", f"conda writes `{name}={spec.replace('==', '')}` (one `=`)"))
        conda_names[name.lower()] = (line, spec)
    if pip_line and "pip" not in conda_names:
        problems.append(Problem(pip_line, "a `pip:` section, but `pip` itself is not in the dependencies",
                                "add `- pip` before the `pip:` section, or conda uses whatever pip it finds"))
    pip_torch = [(line, entry) for line, entry in pip_entries if _spec_parts(entry)[0].lower() == "torch"]
    conda_torch = [name for name in conda_names if name in TORCH_NAMES]
    if pip_torch and conda_torch:
        problems.append(Problem(pip_torch[0][0], f"torch comes from both conda (`{conda_torch[0]}`) and pip",
                                "keep one source: delete the pip line, or the conda one (and then install transformers with pip too)"))
    if installed:
        problems += _drift(conda_names, pip_entries)
    return problems


def _as_pip_spec(spec: str) -> str:
    """conda's `=1.26` (any 1.26.x) as pip's `==1.26.*`; ranges are written alike in both."""
    if re.fullmatch(r"=[^=<>!,]+", spec):
        version = spec[1:]
        return f"=={version}" if version.endswith("*") else f"=={version}.*"
    return spec


def _drift(conda_names: dict[str, tuple[int, str]], pip_entries: list[tuple[int, str]]) -> list[Problem]:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    wanted: list[tuple[int, str, str]] = [(line, CONDA_TO_PYPI.get(name, name), spec) for name, (line, spec) in conda_names.items()
                                          if name not in NOT_PACKAGES]
    for line, entry in pip_entries:
        if entry.startswith("-"):
            continue
        try:
            req = Requirement(entry)
        except InvalidRequirement:
            continue
        wanted.append((line, req.name, str(req.specifier)))
    problems = []
    for line, name, spec in wanted:
        try:
            version = md.version(name)
        except md.PackageNotFoundError:
            problems.append(Problem(line, f"`{name}` is in the file but not installed", "conda env update -f environment.yml --prune"))
            continue
        try:
            ok = SpecifierSet(_as_pip_spec(spec)).contains(version, prereleases=True)
        except InvalidSpecifier:
            continue
        if not ok:
            problems.append(Problem(line, f"`{name}` {version} is installed, but the file asks for {spec}",
                                    "conda env update -f environment.yml --prune (or fix the range)"))
    return problems
