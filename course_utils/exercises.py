"""The checkers of every notebook's exercises, registered by name ("NN.short_name").

Each checker recomputes the right answer (or tries the learner's function on cases) instead of
comparing against a pasted number, and raises ``Wrong`` with a reason the learner can act on.
"""

from __future__ import annotations

from typing import Any

from .checks import Wrong, exercise, expect_callable, expect_shape, expect_type


# --------------------------------------------------------------------------- 00 welcome

@exercise("00.clean_review", hint="replace every '<br />' with a space, then join `text.split()` with single spaces.")
def _clean_review(clean_review: Any) -> None:
    expect_callable(clean_review, "clean_review")
    cases = {
        "Great film.<br /><br />Loved it.": "Great film. Loved it.",
        "  Too   long,<br />too loud.  ": "Too long, too loud.",
        "No breaks here.": "No breaks here.",
        "<br /><br />": "",
    }
    for text, wanted in cases.items():
        got = clean_review(text)
        expect_type(got, str, f"clean_review({text!r})")
        if got != wanted:
            raise Wrong(f"clean_review({text!r}) returned {got!r}, but {wanted!r} was expected.")


@exercise("00.count_positive", hint="a review is positive when its label is 1 (`pos`); sum the labels of the train split.")
def _count_positive(answer: Any) -> None:
    from .reviews import read_rows

    expect_type(answer, int, "the number of positive training reviews")
    rows = read_rows()
    right = sum(r["label"] for r in rows if r["split"] == "train")
    total = sum(1 for r in rows if r["split"] == "train")
    if answer == total:
        raise Wrong("that is the number of all training reviews, positive and negative.")
    if answer != right:
        raise Wrong(f"{answer} is not the number of positive training reviews.")


# --------------------------------------------------------------------------- 06 self-attention

@exercise("06.causal_mask", hint="torch.tril(torch.ones(T, T, dtype=torch.bool)): True on and below the diagonal.")
def _causal_mask(causal_mask: Any) -> None:
    import torch

    expect_callable(causal_mask, "causal_mask")
    for size in (1, 3, 7):
        mask = causal_mask(size)
        expect_shape(mask, (size, size), f"causal_mask({size})")
        if mask.dtype != torch.bool:
            raise Wrong(f"causal_mask({size}) has dtype {mask.dtype}; use booleans (True = may attend).")
        wanted = torch.ones(size, size, dtype=torch.bool).tril()
        if not torch.equal(mask, wanted):
            if torch.equal(mask, ~wanted):
                raise Wrong("your mask is inverted: True must mark the positions a token MAY attend to.")
            raise Wrong(f"causal_mask({size}) lets a token see the wrong positions: row i must be True for columns 0..i only.")


@exercise("06.scaled_attention", hint="scores = q @ k.transpose(-2, -1) / sqrt(d); fill masked scores with -inf; softmax over the last axis; times v.")
def _scaled_attention(attention: Any) -> None:
    import torch
    import torch.nn.functional as F

    expect_callable(attention, "attention")
    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 5, 8, generator=generator) for _ in range(3))
    mask = torch.ones(5, 5, dtype=torch.bool).tril()
    for kwargs, what in (({}, "without a mask"), ({"mask": mask}, "with a causal mask")):
        got = attention(q, k, v, **kwargs)
        wanted = F.scaled_dot_product_attention(q, k, v, attn_mask=kwargs.get("mask"))
        expect_shape(got, tuple(wanted.shape), f"the output {what}")
        if not torch.allclose(got, wanted, atol=1e-5):
            diff = (got - wanted).abs().max().item()
            raise Wrong(f"the output {what} differs from scaled_dot_product_attention by up to {diff:.3g}.")


@exercise("06.layer_parameters", hint="count weights and biases: Q, K, V and output projections, two LayerNorms, two feed-forward layers.")
def _layer_parameters(answer: Any) -> None:
    import json
    from pathlib import Path

    from .hub import resolve_model

    expect_type(answer, int, "the parameter count")
    config = json.loads((Path(resolve_model("bert-base-uncased").path) / "config.json").read_text())
    d, ff = config["hidden_size"], config["intermediate_size"]
    attention = 4 * (d * d + d)
    wanted = attention + 2 * (2 * d) + (d * ff + ff) + (ff * d + d)
    if answer == attention:
        raise Wrong("that is the attention part only; add the feed-forward layers and the two LayerNorms.")
    if answer == wanted - 4 * d:
        raise Wrong("close: you left out the LayerNorms (each has a weight and a bias of size d).")
    if answer != wanted:
        raise Wrong(f"{answer:,} is not the number of parameters in one layer of this model.")


# --------------------------------------------------------------------------- 01 install Miniconda

@exercise("01.silent_command", hint="Linux/macOS .sh: bash FILE -b -p PREFIX. Windows .exe: ... /S /D=PREFIX, with /D= last.")
def _silent_command(write_command: Any) -> None:
    from .installer import pick_installer, silent_install_command

    expect_callable(write_command, "silent_command")
    cases = [("Linux", "x86_64", "/home/ada/miniconda3"), ("Darwin", "arm64", "/Users/ada/miniconda3"),
             ("Windows", "x86_64", r"C:\Users\ada\miniconda3")]
    for system, machine, prefix in cases:
        item = pick_installer("miniconda", system, machine)
        got = write_command(system, item.filename, prefix)
        expect_type(got, list, f"silent_command({system!r}, ...)")
        wanted = silent_install_command(item, item.filename, prefix)
        if system == "Windows":
            flags = [str(part) for part in got]
            if not flags or flags[-1] != f"/D={prefix}":
                raise Wrong("on Windows, /D=PREFIX must be the very last argument, without quotes.")
            if "/S" not in flags:
                raise Wrong("on Windows, /S makes the installer silent; it is missing.")
            continue
        if got != wanted:
            raise Wrong(f"for {system}, {got} is not the silent install command; expected the form bash FILE -b -p PREFIX.")


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


# --------------------------------------------------------------------------- 02 conda environments

@exercise("02.fix_environment", hint="one `=` for conda versions, `- pip` before `- pip:`, torch from one source only, and a `name:`.")
def _fix_environment(text: Any) -> None:
    import yaml

    from .envcheck import _spec_parts, check_environment_file

    expect_type(text, str, "fixed_environment")
    problems = check_environment_file(text)
    if problems:
        raise Wrong(f"{len(problems)} problem(s) left, the first: {problems[0]}.")
    deps = yaml.safe_load(text).get("dependencies") or []
    names = {_spec_parts(str(d))[0].lower() for d in deps if not isinstance(d, dict)}
    for d in deps:
        if isinstance(d, dict):
            names |= {_spec_parts(str(p))[0].lower() for p in d.get("pip") or []}
    for needed in ("python", "numpy", "transformers"):
        if needed not in names:
            raise Wrong(f"`{needed}` is no longer in the file; fix the problems without dropping packages.")
    if not names & {"torch", "pytorch", "pytorch-cpu", "pytorch-gpu"}:
        raise Wrong("torch is no longer in the file; keep it, from one source.")


@exercise("02.describe", hint="run [python, '-c', 'import sys; print(sys.prefix); print(sys.prefix != sys.base_prefix)'] with subprocess.")
def _describe(describe: Any) -> None:
    import sys
    import tempfile
    import venv
    from pathlib import Path

    from .envs import venv_python

    expect_callable(describe, "describe")
    with tempfile.TemporaryDirectory() as folder:
        venv.create(Path(folder) / "probe-env", with_pip=False)
        cases = [(venv_python(Path(folder) / "probe-env"), "a fresh venv"), (Path(sys.executable), "this notebook's Python")]
        for python, what in cases:
            wanted = (sys.prefix if python == Path(sys.executable) else str(Path(folder) / "probe-env"),
                      python != Path(sys.executable) or sys.prefix != sys.base_prefix)
            got = describe(python)
            expect_type(got, tuple, f"describe() for {what}")
            if len(got) != 2:
                raise Wrong(f"describe() should return two things (prefix, is_environment), not {len(got)}.")
            if Path(str(got[0])).resolve() != Path(wanted[0]).resolve():
                raise Wrong(f"for {what}, the prefix is not the interpreter's sys.prefix (run the given python, not this one).")
            if got[1] is not wanted[1]:
                raise Wrong(f"for {what}, is_environment should be {wanted[1]} (a bool).")
