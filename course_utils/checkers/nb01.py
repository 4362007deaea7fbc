"""Checkers of notebook 01 (install Miniconda): each recomputes the right answer, or tries the learner's
function on cases, and raises ``Wrong`` with a reason the learner can act on."""

from __future__ import annotations

from typing import Any

from ..installer import ERROR_MESSAGES, FIX_NAMES
from .helpers import (Wrong, exercise, expect_callable, expect_type)


#: The .sh installers' flags: -b batch (required for a silent install), -p PREFIX, and the optional ones.
SH_FLAGS = {"-b": "batch mode", "-u": "update an existing install", "-f": "no error if the folder exists",
            "-s": "skip the pre/post-link scripts", "-k": "keep the package cache"}


def _check_sh_command(got: list[str], filename: str, prefix: str, system: str) -> None:
    if got[:1] not in (["bash"], ["sh"]) or got[1:2] != [filename]:
        raise Wrong(f"for {system}, start with ['bash', filename, ...]: the .sh installer is run by bash.")
    flags = got[2:]
    if "-p" not in flags or flags.index("-p") + 1 >= len(flags) or flags[flags.index("-p") + 1] != prefix:
        raise Wrong(f"for {system}, `-p PREFIX` must name the install folder: '-p', then the `prefix` argument.")
    others = flags[:flags.index("-p")] + flags[flags.index("-p") + 2:]
    if "-b" not in others:
        raise Wrong(f"for {system}, `-b` (batch mode) is missing: without it the installer stops to ask questions.")
    unknown = [flag for flag in others if flag not in SH_FLAGS]
    if unknown:
        raise Wrong(f"for {system}, {unknown[0]!r} is not an option of the .sh installer (it knows {', '.join(SH_FLAGS)} and -p).")


@exercise("01.silent_command", hint="Linux/macOS .sh: ['bash', FILE, '-b', '-p', PREFIX]. Windows .exe: [FILE, "
          "'/InstallationType=JustMe', '/RegisterPython=0', '/S', '/D=' + PREFIX], with /D= last.")
def _silent_command(write_command: Any) -> None:
    from ..installer import pick_installer

    expect_callable(write_command, "silent_command")
    cases = [("Linux", "x86_64", "/home/ada/miniconda3"), ("Darwin", "arm64", "/Users/ada/miniconda3"),
             ("Windows", "x86_64", r"C:\Users\ada\miniconda3")]
    for system, machine, prefix in cases:
        item = pick_installer("miniconda", system, machine)
        got = write_command(system, item.filename, prefix)
        expect_type(got, list, f"silent_command({system!r}, ...)")
        if not all(isinstance(part, str) for part in got):
            raise Wrong(f"for {system}, every part of the command should be a string.")
        if system != "Windows":
            _check_sh_command(got, item.filename, prefix, system)
            continue
        if got[:1] == ["start"] or '""' in got:
            raise Wrong("`start /wait \"\"` is a built-in of cmd.exe, not a program: a command given as a list runs "
                        "the installer itself, first, and waits for it.")
        if got[:1] != [item.filename]:
            raise Wrong(f"on Windows the command starts with the installer itself ({item.filename!r}).")
        if "/S" not in got:
            raise Wrong("on Windows, /S makes the installer silent; it is missing.")
        if got[-1] != f"/D={prefix}":
            raise Wrong("on Windows, /D=PREFIX must be the very last argument, without quotes (the installer reads "
                        "everything after /D= as the folder).")
        if any(part.startswith("/AddToPath=1") for part in got):
            raise Wrong("leave /AddToPath at its default (0): use the Miniforge Prompt or `conda init` instead.")


#: The fix each of ``ERROR_MESSAGES`` needs, in the same order.
ERROR_FIXES = dict(zip(ERROR_MESSAGES, ("prompt", "execution_policy", "init", "tos", "activate_base", "truststore")))


@exercise("01.error_fixes", hint="read the 'why' column of the troubleshooting table: each message names what is missing "
          "(PATH, the shell's set-up, the terms, an activated environment, a certificate).")
def _error_fixes(answer: Any) -> None:
    expect_type(answer, dict, "fixes")
    missing = [message for message in ERROR_FIXES if message not in answer]
    if missing:
        raise Wrong(f"give a fix for every message in `messages`; this one has none: {missing[0][:70]!r}.")
    for message, wanted in ERROR_FIXES.items():
        got = answer[message]
        if got not in FIX_NAMES:
            raise Wrong(f"{got!r} is not one of the fix names: {', '.join(FIX_NAMES)}.")
        if got != wanted:
            raise Wrong(f"{message[:60]!r}... does not need {got!r}. Think about what the message says is missing.")


@exercise("01.sha256", hint="hashlib.sha256(); read the file in blocks with f.read(1 << 20) and .update() each; return .hexdigest().")
def _sha256(sha256_of: Any) -> None:
    import hashlib
    import tempfile
    from pathlib import Path

    expect_callable(sha256_of, "sha256_of")
    with tempfile.TemporaryDirectory() as folder:
        for size in (0, 10, 3 << 20):
            path = Path(folder) / f"file{size}"
            data = bytes(range(256)) * (size // 256) + bytes(size % 256)
            path.write_bytes(data)
            got = sha256_of(path)
            expect_type(got, str, "the returned fingerprint")
            if got != hashlib.sha256(data).hexdigest():
                if got.upper() == hashlib.sha256(data).hexdigest().upper():
                    raise Wrong("right digits, wrong case: published hashes are lowercase hexadecimal.")
                raise Wrong(f"the SHA-256 of a {size}-byte file is not {got[:16]}...")
