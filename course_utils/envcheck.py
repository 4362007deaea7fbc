"""Check an ``environment.yml`` the way a patient teacher would: each problem with its line and fix.

``check_environment_file(path)`` reads the file with a real YAML parser (PyYAML) and reports
bad YAML, a missing or unusable name, Anaconda's ``defaults`` channel, a ``pip:`` section without
``pip`` itself, torch from two sources (directly, or through conda packages that depend on it),
and (optionally) drift between the file's ranges and what is installed, each with the fix for the kind of
environment this Python is (conda's update in a conda environment, pip elsewhere).

Version syntax, as conda reads it (and unlike pip): ``numpy=1.26`` is the 1.26 series (any
1.26.x), ``numpy==1.26.4`` exactly that version; ``>=``, ``<`` and ``,`` work as in pip.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import re
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

#: conda-forge package names whose PyPI (import metadata) name differs.
CONDA_TO_PYPI = {"pytorch": "torch", "pytorch-cpu": "torch", "pytorch-gpu": "torch", "huggingface_hub": "huggingface-hub",
                 "py-opencv": "opencv-python", "matplotlib-base": "matplotlib", "playwright-python": "playwright"}
TORCH_NAMES = {"pytorch", "pytorch-cpu", "pytorch-gpu", "torch"}
#: conda-forge packages whose run requirements include `pytorch`: with torch from pip, they must come from pip too.
#: Not `transformers`: neither conda-forge's recipe nor PyPI's package requires torch (either source is fine).
TORCH_DEPENDENTS = {"accelerate", "peft", "torchvision", "torchaudio", "sentence-transformers",
                    "timm", "lightning", "pytorch-lightning", "torchmetrics"}
#: Characters conda refuses in an environment's name.
BAD_NAME_CHARS = set(" /:#")
NOT_PACKAGES = {"python", "pip"}
#: An environment file is a few hundred bytes; anything past this is refused unread.
MAX_BYTES = 256 * 1024
#: At most this many problems are listed (then one line says how many more there are).
MAX_PROBLEMS = 50
#: An environment file nests three levels (the file, `dependencies:`, `- pip:`); deeper than this is refused
#: before the YAML is built into a tree (building it recurses, and 5,000 nested `[` exhausted Python's stack).
MAX_DEPTH = 20
#: A package line is a name and a version range; a longer one is named, not parsed.
MAX_SPEC_CHARS = 300
#: A conda MatchSpec's channel prefix: `conda-forge::`, `conda-forge/label/main::`, `conda-forge/linux-64::`
#: or a channel's URL (`https://conda.anaconda.org/conda-forge::`).
_CHANNEL = re.compile(r"[\w.:/~+%-]*?::")
_NAME = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based; 0 when the whole file is concerned
    message: str
    fix: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where}: {self.message} -> fix: {self.fix}"


def _spec_parts(text: str) -> tuple[str, str]:
    """(name, version part) of a conda or pip package line, in every form conda 25.x and 26.x accept:
    `numpy`, `numpy=1.26`, `numpy==1.26.4`, `numpy>=1.26,<3`, `numpy 1.26.*`, `numpy=1.26=py311*` (a build),
    `numpy[version='>=1.26']`, `conda-forge::numpy`, `conda-forge/label/main::numpy`. Linear time: each
    pattern is anchored at one position (a `fullmatch` with two `\\s*` around a lazy group once took 7 s
    for a 2 KB line)."""
    text = text.strip()
    channel = _CHANNEL.match(text) if "::" in text else None
    rest = text[channel.end():] if channel else text
    name = _NAME.match(rest)
    if not name:
        return text, ""
    spec = rest[name.end():].strip()
    bracket = re.fullmatch(r"\[\s*version\s*=\s*['\"]?([^'\"\]]*)['\"]?\s*\]", spec) if spec.startswith("[") else None
    if bracket:
        spec = bracket.group(1).strip()
    elif spec and spec[0] not in "=<>!~":
        spec = "==" + spec.split()[0]  # `numpy 1.26.*` or `numpy 1.26.4 py311*`: the version (as conda reads it), then a build
    elif spec.startswith("=") and "=" in spec.lstrip("="):
        head = len(spec) - len(spec.lstrip("="))
        spec = spec[: spec.index("=", head)]  # `=1.26=py311*`, `==1.26.4=py311_0`: the build string is not a version
    return name.group(0), spec


def _read(source: str | Path) -> str | Problem:
    """The file's text, or the one Problem that stops the check (too big, not UTF-8, unreadable)."""
    if isinstance(source, Path):
        try:
            info = source.stat()
            if not stat.S_ISREG(info.st_mode):  # a folder; a pipe or /dev/zero would hang or fill the memory
                kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a plain file (a device or a pipe)"
                return Problem(0, f"{source.name or source} is {kind}, not an environment file",
                               "pass the path of the environment.yml file itself")
            if info.st_size > MAX_BYTES:
                return Problem(0, f"the file is {info.st_size / 1e6:.1f} MB; an environment file is a few KB",
                               f"check that this is the right file (at most {MAX_BYTES // 1024} KB are read)")
            with source.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
            if len(data) > MAX_BYTES:  # it grew since, or its size was not what it said
                return Problem(0, "the file is more than 256 KB; an environment file is a few KB",
                               f"check that this is the right file (at most {MAX_BYTES // 1024} KB are read)")
        except OSError as exc:
            return Problem(0, f"the file cannot be read ({type(exc).__name__})", "check the path and that the file exists")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            return Problem(line, "the file is not UTF-8 text", "save it as UTF-8 in your editor (or retype the odd character)")
    if not isinstance(source, str):
        return Problem(0, f"expected the file's text (a str) or a Path, not {type(source).__name__}", "pass Path('environment.yml')")
    if "\n" not in source.strip() and source.strip().lower().endswith((".yml", ".yaml")) and ":" not in source.replace(":\\", ""):
        return Problem(0, f"{source.strip()[:80]!r} is a file's name, but a str is read as the file's text",
                       f"pass a Path to check a file, e.g. check_environment_file(Path({source.strip()[:80]!r}))")
    if len(source.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        return Problem(0, "the text is too long for an environment file", f"an environment file is a few KB (at most {MAX_BYTES // 1024} KB)")
    return source


def _first_alias(text: str):  # -> tuple[str, yaml.Mark] | None
    """What stops the check before the YAML is built into a tree, and where: an anchor or alias (`&name`,
    `*name`: aliases can multiply a small file into billions of entries, a "billion laughs" file, and no
    environment file needs them), or lists and mappings nested deeper than MAX_DEPTH (building the tree
    recurses once per level). The events are read one by one, without recursion."""
    import yaml

    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            return "alias", event.start_mark
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                return "depth", event.start_mark
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1
    return None


def check_environment_file(source: str | Path, installed: bool = False) -> list[Problem]:
    """Problems found in an environment file (a path, or the YAML text itself); [] when it is fine.
    Each section must have its shape (`name`: text, `channels`: a list, `dependencies`: a list of
    `- package` lines and at most one `- pip:` list); anything else is one Problem, never a traceback."""
    import yaml

    text = _read(source)
    if isinstance(text, Problem):
        return [text]
    try:
        stop = _first_alias(text)
        root = None if stop else yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        return [Problem(line, f"not valid YAML ({getattr(exc, 'problem', None) or 'syntax error'})",
                        "check the indentation (spaces, never tabs) and that each list item starts with '- '")]
    if stop is not None and stop[0] == "alias":
        return [Problem(stop[1].line + 1, "YAML anchors or aliases (`&name`, `*name`)",
                        "write each package out; an environment file never needs them")]
    if stop is not None:
        return [Problem(stop[1].line + 1, f"lists or mappings nested more than {MAX_DEPTH} levels deep",
                        "an environment file nests three levels: `dependencies:`, then `- pip:`, then its packages")]
    problems, shaped = _check_tree(root)
    if shaped:
        problems += _check_packages(root, installed, source.name if isinstance(source, Path) else "environment.yml")
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        problems = problems[:MAX_PROBLEMS] + [Problem(0, f"{more:,} more problems not listed", "fix the ones above first")]
    return problems


def _check_tree(root) -> tuple[list[Problem], bool]:
    """The file's shape: a mapping whose sections have the types conda expects. Returns the problems and
    whether `dependencies` has the shape that the package checks can read."""
    import yaml

    if root is None or not isinstance(root, yaml.MappingNode):
        return [Problem(1, "the file must be a mapping with name, channels and dependencies",
                        "start from the course's environment.yml and edit it")], False
    odd = [key for key, _ in root.value if not isinstance(key, yaml.ScalarNode)]
    if odd:  # `? [a, b]`: YAML's complex keys; a list or mapping cannot name a section
        return [Problem(key.start_mark.line + 1, "a key that is a list or a mapping (YAML's `? [a, b]`), not a section name",
                        "start each section with its name and a colon: `name:`, `channels:`, `dependencies:`")
                for key in odd[:MAX_PROBLEMS]], False
    fields = {key.value: value for key, value in root.value}
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for key, _ in root.value:  # YAML keeps the last of two equal keys, and so does conda: the first is dropped unread
        line = key.start_mark.line + 1
        if key.value in seen:
            problems.append(Problem(line, f"`{str(key.value)[:40]}:` appears twice (lines {seen[key.value]} and {line}): "
                                    "conda reads only the last one, and the first is silently dropped",
                                    f"merge the two `{str(key.value)[:40]}:` sections into one"))
        seen.setdefault(key.value, line)
    name = fields.get("name")
    if name is None or not isinstance(name, yaml.ScalarNode) or not str(name.value).strip():
        problems.append(Problem(1, "no `name:`", "add a line `name: my-env` at the top"))
    elif BAD_NAME_CHARS & set(str(name.value).strip()):
        problems.append(Problem(name.start_mark.line + 1, f"the name `{str(name.value).strip()[:40]}` has a space, `/`, `:` or `#`, "
                                "which conda refuses", "use letters, digits, `-` and `_` only, e.g. `name: my-env`"))
    channels = fields.get("channels")
    if channels is not None and not (isinstance(channels, yaml.SequenceNode)
                                     and all(isinstance(item, yaml.ScalarNode) for item in channels.value)):
        problems.append(Problem(channels.start_mark.line + 1, "`channels:` must be a list of names",
                                "write `channels:` then `  - conda-forge` and `  - nodefaults`, one per line"))
    elif channels is not None:
        for item in channels.value:
            if str(item.value).strip() == "defaults":
                problems.append(Problem(item.start_mark.line + 1, "the `defaults` channel is Anaconda's: its terms of service "
                                        "may apply, and its builds mixed with conda-forge's can clash",
                                        "use `- conda-forge` then `- nodefaults` (which keeps `defaults` out)"))
    deps = fields.get("dependencies")
    if deps is None:
        problems.append(Problem(0, "no `dependencies:` list", "add `dependencies:` with one `- package` per line"))
    elif not isinstance(deps, yaml.SequenceNode):
        problems.append(Problem(deps.start_mark.line + 1, "`dependencies:` must be a list",
                                "write each package on its own line starting with '- '"))
    else:
        for item in deps.value:
            line = item.start_mark.line + 1
            if isinstance(item, yaml.SequenceNode):
                problems.append(Problem(line, "a list inside `dependencies:`", "write one `- package` per line"))
            elif isinstance(item, yaml.ScalarNode) and not str(item.value).strip():
                problems.append(Problem(line, "an empty `-` line in `dependencies:`", "delete it, or write a package after the dash"))
            elif isinstance(item, yaml.ScalarNode) and not _NAME.match(_spec_parts(str(item.value)[:MAX_SPEC_CHARS])[0]):
                problems.append(Problem(line, f"`{str(item.value)[:40]}` is not a package", "write a package's name, then "
                                        "its version range if any, e.g. `- numpy>=1.26` or `- conda-forge::numpy`"))
            elif isinstance(item, yaml.ScalarNode) and len(str(item.value)) > MAX_SPEC_CHARS:
                problems.append(Problem(line, f"a package line of {len(str(item.value)):,} characters",
                                        "write one package and its version range per line, e.g. `- numpy>=1.26`"))
            elif isinstance(item, yaml.MappingNode):
                for key, value in item.value:
                    if not isinstance(key, yaml.ScalarNode):
                        problems.append(Problem(line, "a key that is a list or a mapping (YAML's `? [a, b]`) in dependencies",
                                                "only `- pip:` may appear here, followed by its list"))
                    elif key.value != "pip":
                        problems.append(Problem(line, f"unknown section `{str(getattr(key, 'value', '?'))[:40]}:` in dependencies",
                                                "only `pip:` may appear here"))
                    elif not (isinstance(value, yaml.SequenceNode) and all(isinstance(v, yaml.ScalarNode) for v in value.value)):
                        problems.append(Problem(line, "`pip:` must be a list of packages",
                                                "write `- pip:` then one `    - package` per line, indented under it"))
                    else:
                        problems += [Problem(v.start_mark.line + 1, "an empty `-` line in the `pip:` list",
                                             "delete it, or write a package after the dash")
                                     for v in value.value if not str(v.value).strip()]
                        problems += [Problem(v.start_mark.line + 1, f"a package line of {len(str(v.value)):,} characters",
                                             "write one package and its version range per line, e.g. `- numpy>=1.26`")
                                     for v in value.value if len(str(v.value)) > MAX_SPEC_CHARS]
    shaped = isinstance(deps, yaml.SequenceNode) and not any(
        p.message.startswith(("a list inside", "unknown section", "`pip:`", "a key that", "a package line", "an empty"))
        or p.message.endswith("is not a package") for p in problems)
    return problems, shaped


def _check_packages(root, installed: bool, filename: str = "environment.yml") -> list[Problem]:
    """The packages themselves, once the shape is right."""
    import yaml

    fields = {key.value: value for key, value in root.value}
    problems: list[Problem] = []
    conda_names: dict[str, tuple[int, str]] = {}
    pip_entries: list[tuple[int, str]] = []
    pip_line = 0
    for item in fields["dependencies"].value:
        line = item.start_mark.line + 1
        if isinstance(item, yaml.MappingNode):
            pip_line = line
            for _, value in item.value:
                pip_entries += [(entry.start_mark.line + 1, str(entry.value)) for entry in value.value]
            continue
        name, spec = _spec_parts(str(item.value))
        conda_names[name.lower()] = (line, spec)
    if pip_line and "pip" not in conda_names:
        problems.append(Problem(pip_line, "a `pip:` section, but `pip` itself is not in the dependencies",
                                "add `- pip` before the `pip:` section, or conda uses whatever pip it finds"))
    pip_torch = [(line, entry) for line, entry in pip_entries if _spec_parts(entry)[0].lower() == "torch"]
    conda_torch = [name for name in conda_names if name in TORCH_NAMES]
    if pip_torch and conda_torch:
        problems.append(Problem(pip_torch[0][0], f"torch comes from both conda (`{conda_torch[0]}`) and pip",
                                "keep one source: delete the pip line, or the conda one (and then take what needs torch, "
                                "such as accelerate or peft, from pip too)"))
    elif pip_torch:
        for name in sorted(set(conda_names) & TORCH_DEPENDENTS):
            problems.append(Problem(conda_names[name][0], f"`{name}` comes from conda, which then installs conda's pytorch "
                                    "as well as pip's torch: two copies of torch",
                                    f"move `{name}` into the `pip:` section, next to torch"))
    if installed:
        problems += _drift(conda_names, pip_entries, filename)
    return problems


def _as_pip_spec(spec: str) -> str:
    """conda's `=1.26` (any 1.26.x) as pip's `==1.26.*`; `==1.26.4` (exact) and ranges are written alike in both."""
    if re.fullmatch(r"=[^=<>!,]+", spec):
        version = spec[1:]
        return f"=={version}" if version.endswith("*") else f"=={version}.*"
    return spec


def update_command(filename: str = "environment.yml") -> str:
    """The command that brings an environment back to its file: the same on conda 25.x and 26.x (both read a
    file ending in .yml or .yaml as an environment file; `--format` exists on 26.x only, and only `conda export`
    needs it for a custom name)."""
    return f"conda env update -f {filename} --prune"


def on_colab() -> bool:
    """True on Google Colab (its `google.colab` module is loaded, or its release tag is set)."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def drift_fix(name: str, spec: str, filename: str = "environment.yml") -> str:
    """The command that repairs one package, for the kind of environment this Python is: the file's update in a
    conda environment (its prefix holds `conda-meta/`); elsewhere (a venv, Colab) pip, with the file's range as
    pip writes it. Nothing conda-specific where there is no conda environment."""
    if (Path(sys.prefix) / "conda-meta").is_dir():
        return update_command(filename)
    return f'python -m pip install "{name}{_as_pip_spec(spec)}"'


def runtime_names() -> set[str] | None:
    """The packages the notebooks need, by the installed course package's own requirements (no extras: Colab
    brings its own Jupyter, and the `[dev]` test tools are not installed there); None without the package."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    try:
        texts = md.requires("course-utils") or []
    except md.PackageNotFoundError:
        return None
    names = set()
    for text in texts:
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            names.add(canonicalize_name(req.name))
    return names


def _drift(conda_names: dict[str, tuple[int, str]], pip_entries: list[tuple[int, str]],
           filename: str = "environment.yml") -> list[Problem]:
    """Rows of the file that this Python does not satisfy, each with `drift_fix`. On Colab only the rows the
    notebooks need are compared (`runtime_names`): the file's test tools are not meant to be there."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.utils import canonicalize_name

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
    runtime = runtime_names() if on_colab() else None
    if runtime is not None:
        wanted = [row for row in wanted if canonicalize_name(row[1]) in runtime]
    problems = []
    for line, name, spec in wanted:
        try:
            version = md.version(name)
        except md.PackageNotFoundError:
            problems.append(Problem(line, f"`{name}` is in the file but not installed", drift_fix(name, spec, filename)))
            continue
        try:
            ok = SpecifierSet(_as_pip_spec(spec)).contains(version, prereleases=True)
        except InvalidSpecifier:
            continue
        if not ok:
            problems.append(Problem(line, f"`{name}` {version} is installed, but the file asks for {spec}",
                                    f"{drift_fix(name, spec, filename)} (or fix the range)"))
    return problems
