"""Read conda commands as conda reads them: ``practice_problems`` for notebook 02's practice.

conda parses its command line with Python's argparse, so this module does too, with the options of
``conda create``, ``install``, ``env export`` / ``export`` and ``env remove`` / ``remove`` (conda 25.x and
26.x; mamba and micromamba take the same options for create, install and remove). Every spelling conda
accepts is accepted: ``--name=NAME``, ``-nNAME``, ``-yn NAME``, abbreviated long options, options in any
order. Package specs are read as conda's MatchSpec reads them (``conda-forge::numpy``, ``numpy>=2``,
``python==3.12.8``, ``python>=3.12,<3.13``, ``"python 3.12.*"``), and a Python spec is right when every
version it admits is a 3.12 one.
"""

from __future__ import annotations

import argparse
import posixpath
import re
from typing import Any

from .helpers import Wrong, shown

#: The practice task: the Python series and the packages the environment gets (as in ``course_utils.envs``).
PRACTICE_PYTHON = "3.12"
#: Programs whose create, install and remove commands are conda's (mamba 2 and micromamba: libmamba's).
TOOLS = ("conda", "mamba", "micromamba")
#: What conda's --format accepts for an environment.yml-style file (conda 25.7+: the name and its aliases).
YAML_FORMATS = ("environment-yaml", "yaml", "yml")
#: File names conda 26 recognises without --format (the environment-yaml exporter's own names).
STANDARD_YAML_NAMES = ("environment.yml", "environment.yaml")
#: Versions a Python spec is tried on: it must admit some 3.12 and nothing else.
_TRIAL_VERSIONS = ("3.11.9", "3.13.0", "3.10.14", "3.13.2", "3.14.0", "3.12.0", "3.12.8", "3.12.11", "2.7.18", "3.1.2",
                   "3.120.1", "4.0.0")


class _Parser(argparse.ArgumentParser):
    """argparse that reports instead of printing and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise Wrong(message)


def _add(parser: argparse.ArgumentParser, *flags: str, value: bool = False, many: bool = False) -> None:
    if many:
        parser.add_argument(*flags, action="append")
    elif value:
        parser.add_argument(*flags)
    else:
        parser.add_argument(*flags, action="count")


def _parser(kind: str) -> _Parser:
    """A parser with the options conda (and mamba) give `kind`: create, install, remove, export, env-remove."""
    parser = _Parser(prog=kind, add_help=False)
    _add(parser, "-n", "--name", value=True)
    _add(parser, "-p", "--prefix", value=True)
    for flag in ("-y", "--yes", "-q", "--quiet", "-v", "--verbose", "--json", "-d", "--dry-run", "--offline", "-k",
                 "--insecure", "--no-rc", "--override-frozen"):
        _add(parser, flag)
    for flag in ("--console", "--solver", "-r", "--root-prefix", "--rc-file", "--channel-priority"):
        _add(parser, flag, value=True)
    if kind != "env-remove":
        _add(parser, "-c", "--channel", many=True)
        _add(parser, "-O", "--override-channels")
        for flag in ("--use-local", "--strict-channel-priority", "--no-channel-priority"):
            _add(parser, flag)
        _add(parser, "--repodata-fn", many=True)
    if kind in ("create", "install", "remove"):
        parser.add_argument("packages", nargs="*")
        for flag in ("--no-pin", "-C", "--use-index-cache", "--no-lock", "--repodata-use-zst", "--no-repodata-use-zst",
                     "--dev", "--platform", "--subdir"):
            _add(parser, flag, value=flag in ("--platform", "--subdir"))
        _add(parser, "--experimental", many=True)
    if kind in ("create", "install"):
        for flag in ("--no-deps", "--only-deps", "--copy", "--no-shortcuts", "--download-only", "--show-channel-urls",
                     "--update-deps", "-S", "--satisfied-skip-solve", "--update-specs", "--freeze-installed",
                     "--no-update-deps", "--force-reinstall", "--clobber", "--no-default-packages"):
            _add(parser, flag)
        _add(parser, "--file", many=True)
        _add(parser, "--shortcuts-only", many=True)
    if kind == "create":
        _add(parser, "--clone", value=True)
    if kind == "install":
        _add(parser, "--revision", value=True)
        for flag in ("-m", "--mkdir", "--update-all", "--all"):
            _add(parser, flag)
    if kind == "remove":
        for flag in ("--all", "--keep-env", "--features", "--force-remove", "--force"):
            _add(parser, flag)
    if kind == "export":
        _add(parser, "-f", "--file", value=True)
        _add(parser, "--format", value=True)
        _add(parser, "--platform", "--subdir", many=True)
        for flag in ("--no-builds", "--ignore-channels", "--from-history", "--override-platforms"):
            _add(parser, flag)
    return parser


def _tool(word: str) -> str:
    """`conda` for 'conda', '/opt/conda/bin/conda' or 'conda.exe'; the word itself otherwise."""
    name = re.split(r"[\\/]", word)[-1].lower()
    return re.sub(r"\.(exe|bat|cmd)$", "", name)


# --------------------------------------------------------------------------- package specs, as MatchSpec reads them

def _version_key(version: str) -> tuple:
    """A version comparable as conda compares them: numbers by value, a pre-release (3.13.0a0) before its release."""
    parts = []
    for piece in version.split("."):
        match = re.fullmatch(r"(\d+)([A-Za-z].*)?", piece)
        if match is None:
            return (tuple(parts), 0)
        parts.append(int(match.group(1)))
        if match.group(2):
            return (tuple(parts), -1)
    return (tuple(parts), 1)


def _compare(version: str, other: str) -> int:
    a, b = _version_key(version), _version_key(other)
    width = max(len(a[0]), len(b[0]))
    left, right = a[0] + (0,) * (width - len(a[0])), b[0] + (0,) * (width - len(b[0]))
    return (left > right) - (left < right) or (a[1] > b[1]) - (a[1] < b[1])


def _admits(constraint: str, version: str) -> bool:
    """Whether conda's version constraint (`3.12`, `3.12.*`, `>=3.12,<3.13`, `3.12|3.13`, `==3.12.8`, `=3.12`) admits `version`."""
    return any(all(_term_admits(term.strip(), version) for term in group.split(",") if term.strip())
               for group in constraint.split("|"))


def _term_admits(term: str, version: str) -> bool:
    match = re.fullmatch(r"(==|!=|>=|<=|~=|>|<|=)?\s*([0-9A-Za-z._*+!-]+)", term)
    if match is None:
        return False
    operator, target = match.group(1) or "", match.group(2)
    if operator == "=" or target.endswith("*"):  # conda's fuzzy `=3.12` and the glob `3.12.*` / `3.12*`
        stem = target.rstrip("*").rstrip(".")
        same = version == stem or version.startswith(stem + ".")
        return not same if operator == "!=" else same
    if operator == "~=":
        stem = target.rsplit(".", 1)[0]
        return _compare(version, target) >= 0 and (version == stem or version.startswith(stem + "."))
    order = _compare(version, target)
    return {"": order == 0, "==": order == 0, "!=": order != 0, ">=": order >= 0, "<=": order <= 0,
            ">": order > 0, "<": order < 0}[operator]


def spec_parts(spec: str) -> tuple[str, str] | None:
    """(package name, version constraint) of a MatchSpec (`conda-forge::numpy>=2`, `python 3.12.*`,
    `python=3.12=h123_0`, `python[version='>=3.12']`); None when it is not one."""
    match = re.match(r"\s*(?:[\w./-]+(?::[\w./-]+)*::)?([A-Za-z0-9_][A-Za-z0-9_.-]*)", spec[:300])
    if match is None:
        return None
    name, rest = match.group(1).lower(), spec[match.end():300].strip()
    bracket = re.fullmatch(r"\[\s*version\s*=\s*['\"]?([^'\"\]]*)['\"]?\s*\]", rest)
    if bracket:
        return name, bracket.group(1).replace(" ", "")
    if rest.startswith("=") and not rest.startswith("=="):
        version = rest[1:].split("=")[0]  # `=3.12=build`: the version, then the build string
        return name, "=" + version if version else ""
    return name, rest.split(" ")[0] if " " in rest and not rest.startswith(("<", ">", "!", "~", "=")) else rest.replace(" ", "")


def python_spec_problem(constraint: str) -> str | None:
    """Why a Python constraint is not "Python 3.12" (None when it is: it admits 3.12 versions and no other)."""
    if not constraint:
        return f"say which Python: python={PRACTICE_PYTHON} (one `=`: any {PRACTICE_PYTHON}.x)"
    admitted = [version for version in _TRIAL_VERSIONS if _admits(constraint, version)]
    if not any(version.startswith(PRACTICE_PYTHON + ".") for version in admitted):
        return (f"`python{constraint}` does not give Python {PRACTICE_PYTHON}: python={PRACTICE_PYTHON} (one `=`: any "
                f"{PRACTICE_PYTHON}.x; `==` means one exact version)")
    others = [version for version in admitted if not version.startswith(PRACTICE_PYTHON + ".")]
    if others:
        return (f"`python{constraint}` also allows Python {others[0]}: ask for {PRACTICE_PYTHON} only, python={PRACTICE_PYTHON} "
                f"(one `=`: any {PRACTICE_PYTHON}.x)")
    return None


# --------------------------------------------------------------------------- the practice's four commands

def _parse(command: list[str], kind: str, shown_command: str) -> tuple[argparse.Namespace | None, list[str]]:
    """Parse `command`'s options (after its subcommand) as conda does; (namespace, problems)."""
    words = command[2:] if kind not in ("export", "env-remove") or command[1] != "env" else command[3:]
    try:
        namespace, unknown = _parser(kind).parse_known_args(words)
    except Wrong as exc:
        return None, [f"conda would refuse `{shown_command}`: {exc}"]
    for word in unknown:
        if word in (">", ">>", "|", "&&", ";", "2>&1"):
            return None, [f"`{word}` needs a shell, and these commands run without one: in `{shown_command}`, use conda's own "
                          "options instead (--file FILE for the export)"]
        if word.startswith("-"):
            return None, [f"conda does not know the option {shown(word, 40)} in `{shown_command}`"]
        return None, [f"conda reads the packages as one run, after the options or before them: {shown(word, 40)} comes "
                      f"after another option in `{shown_command}`, and conda refuses it (put all the packages together)"]
    return namespace, []


def _name_problem(namespace: argparse.Namespace, step: str, name: str) -> str | None:
    if namespace.name == name:
        return None
    if namespace.name is None and namespace.prefix is not None:
        return f"the {step} command uses -p (a folder); this practice names the environment: -n {name}"
    if namespace.name is not None and namespace.name.startswith("="):
        return f"the {step} command names the environment {namespace.name!r}: write -n {name} or --name={name}"
    return f"the {step} command must name the environment with -n {name}"


def _specs(packages: list[str]) -> tuple[dict[str, str], list[str]]:
    """{name: constraint} of conda package specs, and the problems with them (quotes, several in one item)."""
    found: dict[str, str] = {}
    problems: list[str] = []
    for package in packages:
        if package[:1] in "'\"" or package[-1:] in "'\"":
            problems.append(f"{shown(package, 40)} has quotes, which a shell would remove but conda would receive here: "
                            "write the spec without them")
            continue
        parts = spec_parts(package)
        words = package.split()
        if parts is None or (len(words) > 1 and words[1][:1].isalpha()):
            problems.append(f"{shown(package, 40)} is not one package spec: each package is its own list item")
            continue
        found.setdefault(parts[0], parts[1])
    return found, problems


def _yes(namespace: argparse.Namespace) -> bool:
    return bool(namespace.y or namespace.yes)


def _read_packages(command: list[str], kind: str, name: str, shown_command: str
                   ) -> tuple[argparse.Namespace | None, dict[str, str], list[str]]:
    """Parse a create or install command: (namespace, {package: constraint}, problems so far)."""
    namespace, problems = _parse(command, kind, shown_command)
    if namespace is None:
        return None, {}, problems
    problem = _name_problem(namespace, kind, name)
    if problem:
        problems.append(problem)
    specs, spec_problems = _specs(namespace.packages)
    if namespace.dry_run or namespace.d:
        spec_problems.append("--dry-run only shows what conda would do: leave it out")
    return namespace, specs, problems + spec_problems


def _check_create(command: list[str], name: str, shown_command: str) -> list[str]:
    subcommand = command[1] if len(command) > 1 else ""
    if subcommand == "env" and command[2:3] == ["create"]:
        return ["`conda env create` builds an environment from a file; list the packages with `conda create -n NAME ...`"]
    if subcommand != "create":
        return ["the first command is `conda create`"]
    namespace, specs, problems = _read_packages(command, "create", name, shown_command)
    if namespace is None:
        return problems
    if "python" not in specs:
        problems.append(f"create it with Python {PRACTICE_PYTHON}: `python={PRACTICE_PYTHON}` (one `=`: any {PRACTICE_PYTHON}.x)")
    else:
        problem = python_spec_problem(specs["python"])
        if problem:
            problems.append(problem)
    if "numpy" not in specs:
        problems.append("ask for numpy in the same `conda create`: the solver does best with everything at once")
    if namespace.clone:
        problems.append("--clone copies another environment; this one starts fresh")
    if not _yes(namespace):
        problems.append("add -y to `conda create`: without it conda waits for you to type y")
    return problems


def _check_install(command: list[str], name: str, shown_command: str) -> list[str]:
    if command[1:2] != ["install"]:
        return ["the second command is `conda install -n NAME requests -y`"]
    namespace, specs, problems = _read_packages(command, "install", name, shown_command)
    if namespace is None:
        return problems
    if "requests" not in specs:
        problems.append("the second command adds requests: `conda install -n NAME requests -y`")
    if not _yes(namespace):
        problems.append("add -y to `conda install`")
    return problems


def _check_export(command: list[str], name: str, shown_command: str) -> list[str]:
    tool = _tool(command[0])
    is_export = command[1:3] == ["env", "export"] or command[1:2] == ["export"]
    if not is_export:
        return ["the third command exports: `conda env export` (or `conda export`)"]
    if tool != "conda":
        return [f"{tool}'s `env export` prints the file and has no --file option (mamba 2 and micromamba): export with "
                "conda (`conda env export ... --file NAME.yml`)"]
    namespace, problems = _parse(command, "export", shown_command)
    if namespace is None:
        return problems
    problem = _name_problem(namespace, "export", name)
    if problem:
        problems.append(problem)
    if not namespace.from_history:
        problems.append("export with --from-history: only what you asked for, so the file works on every system")
    file = namespace.file
    if file is None:
        problems.append(f"write the export to a file with --file {name}.yml (without it, conda prints the file "
                        "instead of writing it)")
    elif posixpath.normpath(file.replace("\\", "/")) != f"{name}.yml":  # ./NAME.yml is the same file
        problems.append(f"write the export to {name}.yml (--file {name}.yml), not to {shown(file, 40)}")
    elif namespace.format not in YAML_FORMATS:
        if namespace.format is None:
            problems.append("add --format environment-yaml: since conda 26, a file name other than the standard ones "
                            "(environment.yml, environment.yaml) needs it (conda 25.7 and newer accept it)")
        else:
            problems.append(f"--format {shown(namespace.format, 30)} is not an environment file's format: "
                            "--format environment-yaml")
    return problems


def _check_remove(command: list[str], name: str, shown_command: str) -> list[str]:
    is_env_remove = command[1:3] == ["env", "remove"]
    if not (is_env_remove or command[1:2] in (["remove"], ["uninstall"])):
        return ["the last command removes the whole environment: `conda env remove -n NAME -y` "
                "(or `conda remove -n NAME --all -y`)"]
    namespace, problems = _parse(command, "env-remove" if is_env_remove else "remove", shown_command)
    if namespace is None:
        return problems
    if not is_env_remove and not namespace.all:
        return ["`conda remove` without --all removes packages, not the environment: `conda remove -n NAME --all -y` "
                "(or `conda env remove -n NAME -y`)"]
    if not is_env_remove and (namespace.keep_env or namespace.packages):
        return ["remove the whole environment: `conda remove -n NAME --all -y`, with no packages and no --keep-env"]
    problem = _name_problem(namespace, "remove", name)
    if problem:
        problems.append(problem)
    if namespace.dry_run or namespace.d:
        problems.append("--dry-run only shows what conda would do: leave it out")
    if not _yes(namespace):
        problems.append("add -y to the remove command")
    return problems


def practice_problems(commands: Any, name: str) -> list[str]:
    """What is wrong with the learner's commands for the practice task, in order (empty when right):
    create NAME with Python 3.12 and numpy, add requests, export what was asked for to NAME.yml, remove
    NAME. Each command is a list of strings, run without a shell (so no `activate`, no `>` redirection)."""
    if isinstance(commands, str) or not isinstance(commands, list) or not commands:
        return ["give a list of commands, each a list of strings such as ['conda', 'create', '-n', name, ...]"]
    for command in commands:
        if isinstance(command, str):
            return [f"each command is a list of strings, not one string: {shown(command, 40)}.split() gives that list"]
        if not (isinstance(command, list) and command and all(isinstance(part, str) for part in command)):
            return ["give a list of commands, each a list of strings such as ['conda', 'create', '-n', name, ...]"]
    problems: list[str] = []
    if any(_tool(c[0]) in TOOLS and c[1:2] in (["activate"], ["deactivate"]) for c in commands):
        problems.append("`conda activate` changes your shell, so it cannot run as a command here: name the environment "
                        "in each command with -n NAME instead")
    steps = [c for c in commands if not (_tool(c[0]) in TOOLS and c[1:2] in (["activate"], ["deactivate"]))]
    strangers = [c for c in steps if _tool(c[0]) not in TOOLS]
    if strangers:
        return problems + [f"every command here is conda's (or mamba's): {shown(' '.join(strangers[0]), 50)} is not"]
    if len(steps) != 4:
        return problems + [f"four conda commands are needed (create, install, export, remove); you gave {len(steps)}"]
    for check, command in zip((_check_create, _check_install, _check_export, _check_remove), steps):
        if len(command) < 2:
            problems.append(f"`{command[0]}` alone does nothing: each command has a subcommand (create, install, ...)")
            continue
        problems += check(command, name, " ".join(command)[:120])
    return problems
