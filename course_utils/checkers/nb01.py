"""Checkers of notebook 01 (install Miniconda). Each computes the right answers itself, runs the learner's
answer on fresh inputs, and raises ``Wrong`` with a reason the learner can act on (see ``helpers``)."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from ..installer import ERROR_MESSAGES, FIX_NAMES
from .helpers import (Wrong, exercise, expect_callable, kind_of, plain_list, plain_text, shown)

#: The options of the .sh installers, as their `getopts "bifhkp:smutc"` reads them (conda's constructor):
#: what each does, and whether a silent install may use it. -p takes the install folder.
SH_FLAGS = {"-b": "batch mode", "-u": "update an existing install", "-f": "no error if the folder exists",
            "-s": "skip the pre/post-link scripts", "-k": "keep the package cache", "-m": "no menu shortcuts",
            "-c": "run `conda init` after installing", "-t": "run the package tests after installing"}
SH_OPTSTRING = "bifhkp:smutc"
#: Shells that run the installer (a POSIX sh script): `bash FILE` is what the installers' pages say.
SH_SHELLS = {"bash", "sh", "zsh", "dash", "ksh"}
#: What a silent install is checked on: (system, machine, install folder).
SILENT_CASES = (("Linux", "x86_64", "/home/ada/miniconda3"), ("Darwin", "arm64", "/Users/ada/miniconda3"),
                ("Windows", "x86_64", r"C:\Users\ada\miniconda3"))


def _base_name(path: str) -> str:
    """The file name at the end of a path written with / or \\ (what the installer is called)."""
    return re.split(r"[\\/]", path)[-1]


def _getopts(words: list[str]) -> tuple[list[tuple[str, str | None]], list[str], str | None]:
    """The options in `words` as the installer's getopts reads them: combined (`-bp PREFIX`), attached
    (`-pPREFIX`) or apart, stopping at the first word that is not an option. Returns (options, the
    words left unread, the first unknown option or None)."""
    options: list[tuple[str, str | None]] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--":
            index += 1
            break
        if not word.startswith("-") or word == "-":
            break
        letters = word[1:]
        for position, letter in enumerate(letters):
            spec = SH_OPTSTRING.find(letter)
            if spec < 0 or letter == ":":
                return options, words[index:], f"-{letter}"
            if SH_OPTSTRING[spec + 1:spec + 2] == ":":
                value = letters[position + 1:]
                if not value:
                    index += 1
                    value = words[index] if index < len(words) else None
                options.append((f"-{letter}", value))
                break
            options.append((f"-{letter}", None))
        index += 1
    return options, words[index:], None


def _check_sh_command(got: list[str], filename: str, prefix: str, system: str) -> None:
    if not got or _base_name(got[0]) == filename:
        raise Wrong(f"for {system}, a downloaded .sh file is not executable by itself: start with a shell that runs it, "
                    "['bash', filename, ...].")
    if _base_name(got[0]) == "sudo":
        raise Wrong(f"for {system}, no sudo: the installer goes into your own folder, as you.")
    if _base_name(got[0]) not in SH_SHELLS:
        raise Wrong(f"for {system}, start with ['bash', filename, ...]: the .sh installer is a shell script.")
    if len(got) < 2 or _base_name(got[1]) != filename:
        raise Wrong(f"for {system}, the second word is the installer's file, {filename!r}.")
    options, unread, unknown = _getopts(got[2:])
    long_option = next((word for word in got[2:] if word.startswith("--") and len(word) > 2), None)
    if long_option is not None:
        raise Wrong(f"for {system}, {shown(long_option, 20)}: the .sh installer has no long options; it reads single "
                    f"letters ({', '.join(sorted(SH_FLAGS))}, -p PREFIX).")
    if unknown is not None:
        raise Wrong(f"for {system}, {shown(unknown, 20)} is not an option of the .sh installer "
                    f"(it knows {', '.join(sorted(SH_FLAGS))}, -p PREFIX and -h).")
    if unread:
        raise Wrong(f"for {system}, the installer reads its options up to the first word without a '-': "
                    f"{shown(unread[0], 40)} and what follows it are never read.")
    flags = [flag for flag, _ in options]
    if "-h" in flags:
        raise Wrong(f"for {system}, -h only prints the installer's help and stops: leave it out.")
    prefixes = [value for flag, value in options if flag == "-p"]
    if not prefixes or prefixes[-1] is None or prefixes[-1].rstrip("/") != prefix.rstrip("/"):
        raise Wrong(f"for {system}, `-p PREFIX` must name the install folder: '-p', then the `prefix` argument.")
    batch = [flag for flag in flags if flag in ("-b", "-i")]
    if not batch:
        raise Wrong(f"for {system}, `-b` (batch mode) is missing: without it the installer stops to ask questions.")
    if batch[-1] == "-i":
        raise Wrong(f"for {system}, -i after -b asks the questions again (interactive mode): leave it out.")


def _check_exe_command(got: list[str], filename: str, prefix: str) -> None:
    if got[:1] == ["start"] or '""' in got:
        raise Wrong("`start /wait \"\"` is a built-in of cmd.exe, not a program: a command given as a list runs "
                    "the installer itself, first, and waits for it.")
    if not got or _base_name(got[0]) != filename:
        raise Wrong(f"on Windows the command starts with the installer itself ({filename!r}).")
    arguments = got[1:]
    if "/S" not in arguments:
        raise Wrong("on Windows, /S makes the installer silent; it is missing (and it is a capital S).")
    if not arguments or not arguments[-1].startswith("/D="):
        raise Wrong("on Windows, /D=PREFIX must be the very last argument (the installer reads everything after /D= "
                    "as the folder).")
    if arguments[-1] != f"/D={prefix}":
        if arguments[-1].strip('"') != arguments[-1] or "\"" in arguments[-1]:
            raise Wrong("on Windows, /D= takes the folder without quotes: the installer reads everything after /D=.")
        raise Wrong("on Windows, /D= must name the install folder: '/D=' followed by the `prefix` argument.")
    if any(part.lower() == "/installationtype=allusers" for part in arguments):
        raise Wrong("on Windows, /InstallationType=AllUsers needs an administrator's prompt: the installer goes into "
                    "your own folder, as you (JustMe, the default: leave it out).")
    if any(part.startswith("/AddToPath=1") for part in arguments):
        raise Wrong("leave /AddToPath at its default (0): use the Miniforge Prompt or `conda init` instead.")
    stray = [part for part in arguments if not part.startswith("/")]
    if stray:
        raise Wrong(f"on Windows every option starts with '/'; {shown(stray[0], 40)} does not.")


SILENT_COMMAND = exercise("01.silent_command", hint="reread *Installing without questions*: which options make the "
                          "installer ask nothing and where does each say the folder goes? On Windows, which one must "
                          "come last?")


@SILENT_COMMAND.reference
def _() -> list[tuple[str, str, str]]:
    from ..installer import pick_installer

    return [(system, pick_installer("miniconda", system, machine).filename, prefix) for system, machine, prefix in SILENT_CASES]


@SILENT_COMMAND.run
def _(write_command: Any) -> list[list[str]]:
    from ..installer import pick_installer

    expect_callable(write_command, "silent_command")
    commands = []
    for system, machine, prefix in SILENT_CASES:
        got = plain_list(write_command(system, pick_installer("miniconda", system, machine).filename, prefix),
                         f"silent_command({system!r}, ...)", limit=40)
        got = [str(part) if isinstance(part, PurePath) else part for part in got]  # subprocess takes paths too
        if not all(isinstance(part, str) for part in got):
            raise Wrong(f"for {system}, every part of the command should be a string.")
        commands.append([plain_text(part, "a part of the command", limit=400) for part in got])
    return commands


@SILENT_COMMAND.judge
def _(got: list[list[str]], cases: list[tuple[str, str, str]]) -> None:
    for (system, filename, prefix), command in zip(cases, got):
        if system == "Windows":
            _check_exe_command(command, filename, prefix)
        else:
            _check_sh_command(command, filename, prefix, system)


def expected_fix(message: str) -> str:
    """The fix (a name of ``FIX_NAMES``) that an error message of ``ERROR_MESSAGES`` needs, read from what
    the message says (not from its place in the list)."""
    if "is not recognized as an internal or external command" in message:
        return "prompt"
    if "running scripts is disabled" in message:
        return "execution_policy"
    if "conda init" in message or "CommandNotFoundError" in message:
        return "init"
    if "CondaToSNonInteractiveError" in message:
        return "tos"
    if "CondaSSLError" in message or "SSL module is not available" in message:
        return "activate_base"
    if "CERTIFICATE_VERIFY_FAILED" in message:
        return "truststore"
    if "HTTP 000" in message:
        # conda 4.14 and newer say this when no server answers at all (offline, DNS, a proxy, a firewall).
        return "network"
    return "?"


#: Why each kind of message happens, told when a learner picks a fix it does not need.
WHY = {
    "prompt": "Windows cannot find conda at all: conda is not on PATH (by design)",
    "execution_policy": "PowerShell refuses to run the start-up script that `conda init` wrote",
    "init": "this shell was never set up to run `conda activate`",
    "tos": "Anaconda's channels refuse a command that cannot ask you until their terms are accepted",
    "activate_base": "conda runs outside an activated environment, where it cannot find its SSL library",
    "network": "conda reached no server at all: no connection, or DNS, a proxy or a firewall stopped it",
    "truststore": "something between you and the server (a company proxy) re-signs HTTPS with a certificate "
                  "conda does not trust yet",
}

ERROR_FIXES = {message: expected_fix(message) for message in ERROR_MESSAGES}

ERROR_FIXES_EX = exercise("01.error_fixes", hint="read the 'why' column of the troubleshooting table: each message "
                          "names what is missing or in the way (PATH, PowerShell's execution policy, the shell's set-up, the "
                          "terms, an activated environment, a connection, a certificate).")


@ERROR_FIXES_EX.run
def _(answer: Any) -> dict:
    if not isinstance(answer, dict):
        raise Wrong(f"fixes should be a dict (message -> fix name), but it is {kind_of(answer)}.")
    picked = {}
    for message in ERROR_MESSAGES:
        if dict.__contains__(answer, message):
            value = dict.__getitem__(answer, message)
            picked[message] = plain_text(value, "a fix name", limit=60) if isinstance(value, str) else f"<{type(value).__name__}>"
    return {"picked": picked, "size": dict.__len__(answer)}


@ERROR_FIXES_EX.judge
def _(got: dict, wanted: None) -> None:
    picked = got["picked"]
    for message in ERROR_MESSAGES:
        if message not in picked:
            raise Wrong(f"give a fix for every message in `messages`; this one has none: {shown(message, 70)}.")
    for message in ERROR_MESSAGES:
        choice, right = picked[message], ERROR_FIXES[message]
        if choice not in FIX_NAMES:
            raise Wrong(f"{shown(choice)} is not one of the fix names: {', '.join(FIX_NAMES)}.")
        if choice != right:
            raise Wrong(f"{shown(message, 60)} does not need {choice!r}: {WHY.get(right, 'read the message again')}.")


SHA256 = exercise("01.sha256", hint="hashlib has a SHA-256 object you can feed piece by piece; read the file in "
                  "binary mode, a block at a time, and ask for the digest as hexadecimal text.")
SHA_SIZES = (0, 10, 3 << 20)


def _data(size: int) -> bytes:
    return bytes(range(256)) * (size // 256) + bytes(size % 256)


@SHA256.reference
def _() -> list[str]:
    import hashlib

    return [hashlib.sha256(_data(size)).hexdigest() for size in SHA_SIZES]


@SHA256.run
def _(sha256_of: Any) -> list[str]:
    import tempfile
    from pathlib import Path

    expect_callable(sha256_of, "sha256_of")
    got = []
    with tempfile.TemporaryDirectory() as folder:
        for size in SHA_SIZES:
            path = Path(folder) / f"file{size}"
            path.write_bytes(_data(size))
            answer = sha256_of(path)
            if isinstance(answer, bytes):
                raise Wrong("that is the digest as raw bytes (.digest()); published hashes are hexadecimal text (.hexdigest()).")
            got.append(plain_text(answer, "the returned fingerprint", limit=200))
    return got


@SHA256.judge
def _(got: list[str], wanted: list[str]) -> None:
    for size, answer, right in zip(SHA_SIZES, got, wanted):
        if answer == right:
            continue
        if answer.strip().lower() == right:
            raise Wrong("right digits, but " + ("wrong case: published hashes are lowercase hexadecimal." if answer.strip() == answer
                                                else "with spaces or a new line around them: return the digest alone."))
        if answer.strip().lower().startswith(right):
            raise Wrong("it starts with the right digest, then more text (sha256sum adds the file's name): return the "
                        "64 hexadecimal digits alone.")
        raise Wrong(f"the SHA-256 of a {size}-byte file is not {shown(answer[:16], 20)}...")
