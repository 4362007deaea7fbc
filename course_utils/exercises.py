"""The checkers of every notebook's exercises, registered by name ("NN.short_name").

Each checker recomputes the right answer (or tries the learner's function on cases) instead of
comparing against a pasted number, and raises ``Wrong`` with a reason the learner can act on.
"""

from __future__ import annotations

import math
from typing import Any

from .checks import (Wrong, close, exercise, expect_callable, expect_number, expect_shape, expect_tensor, expect_type,
                     two_numbers)


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
    from .hub import load_reviews

    expect_type(answer, int, "the number of positive training reviews")
    # The data the learner has: the same resolution as the notebook's (real IMDb online or cached,
    # the course's own reviews offline), so the right answer is 12,500 on IMDb and ours offline.
    labels = load_reviews("stanfordnlp/imdb", verbose=False)["train"]["label"]
    right, total = int(sum(labels)), len(labels)
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
        wanted = torch.ones(size, size, dtype=torch.bool).tril()
        mask = expect_tensor(causal_mask(size), wanted, f"causal_mask({size})")
        if mask.dtype != torch.bool:
            raise Wrong(f"causal_mask({size}) has dtype {mask.dtype}; use booleans (True = may attend).")
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
        wanted = F.scaled_dot_product_attention(q, k, v, attn_mask=kwargs.get("mask"))
        got = expect_tensor(attention(q, k, v, **kwargs), wanted, f"the output {what}")
        if not torch.allclose(got, wanted, atol=1e-5):
            diff = (got - wanted).abs().max().item()
            raise Wrong(f"the output {what} differs from scaled_dot_product_attention by up to {diff:.3g}.")


@exercise("06.layer_parameters", hint="count weights and biases: Q, K, V and output projections, two LayerNorms, two feed-forward layers.")
def _layer_parameters(answer: Any) -> None:
    import json
    from pathlib import Path

    import torch

    from .hub import resolve_model
    from .session import MODELS, resolve_profile

    expect_type(answer, int, "the parameter count")
    # The model notebook 06 loaded: the one the learner's profile names (never a download of another).
    model_id = MODELS[resolve_profile(gpu=torch.cuda.is_available())]
    config = json.loads((Path(resolve_model(model_id).path) / "config.json").read_text())
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
    from .installer import pick_installer

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


#: notebook 01's exercise 3: each real error message, and the key of the fix it needs.
ERROR_FIXES = {
    "'conda' is not recognized as an internal or external command, operable program or batch file.": "prompt",
    "File C:\\Users\\ada\\Documents\\WindowsPowerShell\\profile.ps1 cannot be loaded because running scripts "
    "is disabled on this system.": "execution_policy",
    "CondaError: Run 'conda init' before 'conda activate'": "init",
    "CondaToSNonInteractiveError: Terms of Service have not been accepted for the following channels.": "tos",
    "CondaHTTPError: HTTP 000 CONNECTION FAILED for url <https://conda.anaconda.org/conda-forge/win-64/repodata.json>": "activate_base",
    "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate": "truststore",
}
FIX_NAMES = {
    "prompt": "open the Miniforge Prompt (or run `conda init powershell` there once)",
    "execution_policy": "Set-ExecutionPolicy -Scope CurrentUser RemoteSigned",
    "init": "conda init, then open a new terminal",
    "tos": "conda tos accept ... for each channel, or use Miniforge",
    "activate_base": "the environment is not activated: open the Miniforge Prompt or `conda activate base`",
    "truststore": "conda config --set ssl_verify truststore",
}


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


# --------------------------------------------------------------------------- 02 conda environments

@exercise("02.fix_environment", hint="a `name:`, conda-forge then nodefaults (no `defaults`), `- pip` before `- pip:`, "
          "and torch from one source only.")
def _fix_environment(text: Any) -> None:
    import yaml

    from .envcheck import TORCH_NAMES, _spec_parts, check_environment_file

    expect_type(text, str, "fixed_environment")
    problems = check_environment_file(text)
    if problems:
        raise Wrong(f"{len(problems)} problem(s) left, the first: {problems[0]}.")
    names: set[str] = set()
    for item in yaml.safe_load(text).get("dependencies") or []:
        entries = (item.get("pip") or []) if isinstance(item, dict) else [item]  # conda lines and the pip section
        names |= {_spec_parts(str(entry))[0].lower() for entry in entries}
    for needed in ("python", "numpy", "transformers"):
        if needed not in names:
            raise Wrong(f"`{needed}` is no longer in the file; fix the problems without dropping packages.")
    if not names & TORCH_NAMES:
        raise Wrong("torch is no longer in the file; keep it, from one source.")


@exercise("02.conda_practice", hint="four lists: conda create (python=3.12 and numpy), conda install, conda env export "
          "(--from-history, --file), conda env remove; -n NAME in each, and -y wherever conda would ask.")
def _conda_practice(conda_practice: Any) -> None:
    from .envs import practice_problems

    expect_callable(conda_practice, "conda_practice")
    for name in ("practice", "my-first-env"):
        problems = practice_problems(conda_practice(name), name)
        if problems:
            raise Wrong(f"for name={name!r}: {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "") + ".")


def _conda_like_python(prefix: "Path") -> "Path | None":
    """A Python whose sys.prefix is `prefix` and equals its sys.base_prefix, with a conda-meta/ folder: how a
    conda environment looks from inside. Made from this Python's own binary and standard library (POSIX
    only); None where that layout does not work, and the check then tries the other cases only."""
    import os
    import shutil
    import subprocess
    import sys
    import sysconfig
    from pathlib import Path

    if os.name == "nt" or sys.platform == "darwin":
        return None
    try:
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        python = prefix / "bin" / "python"
        python.parent.mkdir(parents=True)
        (prefix / "lib").mkdir()
        (prefix / "lib" / stdlib.name).symlink_to(stdlib, target_is_directory=True)
        (prefix / "conda-meta").mkdir()
        shutil.copy2(os.path.realpath(sys.executable), python)
        done = subprocess.run([str(python), "-c", "import sys; print(sys.prefix == sys.base_prefix, sys.prefix)"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return python if done.stdout.strip() == f"True {prefix}" else None


@exercise("02.describe", hint="run [python, '-c', CODE] with subprocess, where CODE prints sys.prefix and whether "
          "sys.prefix != sys.base_prefix or (Path(sys.prefix) / 'conda-meta').is_dir().")
def _describe(describe: Any) -> None:
    import sys
    import tempfile
    import venv
    from pathlib import Path

    from .envs import in_an_environment, venv_python

    expect_callable(describe, "describe")
    with tempfile.TemporaryDirectory() as folder:
        env = Path(folder) / "probe-env"
        venv.create(env, with_pip=False)
        cases = [(venv_python(env), str(env), True, "a fresh venv"),
                 (Path(sys.executable), sys.prefix, in_an_environment(sys.prefix, sys.base_prefix), "this notebook's Python")]
        conda_like = _conda_like_python(Path(folder) / "conda-env")
        if conda_like is not None:
            cases.append((conda_like, str(conda_like.parent.parent), True, "a conda environment"))
        for python, prefix, wanted, what in cases:
            got = describe(python)
            expect_type(got, tuple, f"describe() for {what}")
            if len(got) != 2:
                raise Wrong(f"describe() should return two things (prefix, is_environment), not {len(got)}.")
            if prefix is not None and Path(str(got[0])).resolve() != Path(prefix).resolve():
                raise Wrong(f"for {what}, the prefix is not the interpreter's sys.prefix (run the given python, not this one).")
            if not isinstance(got[1], bool):
                raise Wrong(f"is_environment should be a bool (True or False), not {type(got[1]).__name__}.")
            if got[1] is not wanted:
                extra = " A conda environment has sys.prefix == sys.base_prefix: test for its conda-meta folder too." \
                    if wanted and what != "a fresh venv" else ""
                raise Wrong(f"for {what}, is_environment should be {wanted}.{extra}")


# --------------------------------------------------------------------------- 03 linear algebra

@exercise("03.linear", hint="x @ W.T + b: W has shape (outputs, inputs), so it is transposed.")
def _linear(linear: Any) -> None:
    import torch

    expect_callable(linear, "linear")
    generator = torch.Generator().manual_seed(3)
    for shape in ((5,), (4, 5), (2, 7, 5)):
        layer = torch.nn.Linear(5, 3)
        torch.nn.init.normal_(layer.bias, generator=generator)
        x = torch.randn(*shape, generator=generator)
        wanted = layer(x).detach()
        got = expect_tensor(linear(x, layer.weight.detach(), layer.bias.detach()), wanted, f"linear() for x of shape {shape}")
        if not torch.allclose(got, wanted, atol=1e-5):
            if torch.allclose(got, wanted - layer.bias.detach(), atol=1e-5):
                raise Wrong("the bias b is missing.")
            raise Wrong(f"for x of shape {shape}, the result differs from nn.Linear.")


#: bert-base-uncased's sizes (from its config on the Hub): what 03's LoRA exercise counts for.
BERT_BASE_LAYERS, BERT_BASE_HIDDEN = 12, 768


@exercise("03.rank_for_error", hint="Eckart-Young: the error of the best rank-r matrix comes from the singular values "
          "it leaves out; try r = 0, 1, 2, ... in turn.")
def _rank_for_error(smallest_rank: Any) -> None:
    import torch

    expect_callable(smallest_rank, "smallest_rank")
    generator = torch.Generator().manual_seed(5)
    spectra = [torch.linspace(3.0, 0.1, 40, dtype=torch.float64),
               torch.linalg.svdvals(torch.randn(60, 60, generator=generator, dtype=torch.float64)),
               torch.tensor([5.0, 1.0, 1.0, 0.5], dtype=torch.float64)]
    for S in spectra:
        total = S.square().sum()
        errors = [(S[r:].square().sum() / total).sqrt().item() for r in range(len(S) + 1)]
        for max_error in (0.9, 0.5, 0.2, 0.0):
            wanted = next(r for r, error in enumerate(errors) if error <= max_error + 1e-12)
            got = expect_number(smallest_rank(S.clone(), max_error), f"smallest_rank(S, {max_error})")
            if got == wanted:
                continue
            energy = next(r for r, error in enumerate(errors) if error ** 2 <= max_error + 1e-12)
            if got == energy and energy != wanted:
                raise Wrong(f"for max_error={max_error} you give {got:g}: that rank loses at most {max_error:.0%} of Σσ² "
                            "(the 'energy'), but the error is measured in the norm, the square root of that share.")
            if abs(got - wanted) == 1:
                raise Wrong(f"for max_error={max_error} you give {got:g}, one off from {wanted}: the error at rank r uses the "
                            "singular values from index r on (S[r:]), and r = 0 keeps none.")
            raise Wrong(f"for {len(S)} singular values and max_error={max_error} you give {got:g}; the smallest rank is {wanted}.")


@exercise("03.lora_parameters", hint="count the numbers in B and in A for one adapted matrix, then count the adapted "
          "matrices in the whole model.")
def _lora_parameters(answer: Any) -> None:
    expect_type(answer, int, "the number of trainable LoRA parameters")
    rank, layers, hidden = 8, BERT_BASE_LAYERS, BERT_BASE_HIDDEN
    per_matrix = rank * (hidden + hidden)
    wanted = layers * 2 * per_matrix
    explanations = {
        layers * per_matrix: "that is half the count: one adapted matrix per layer (LoRA here adapts two, query and value), "
                             "or only B (or only A) of each (each adapted matrix gets both).",
        2 * per_matrix: "that is one layer; bert-base-uncased has 12.",
        layers * 2 * hidden * hidden: "that is the size of the full update ΔW; LoRA trains B and A instead, r columns and r rows.",
        6 * 2 * rank * (384 + 384): "those are the sizes of the offline stand-in (6 layers of 384); bert-base-uncased has 12 layers of 768.",
    }
    if answer != wanted:
        raise Wrong(explanations.get(int(answer), f"{int(answer):,} is not the number of trainable LoRA parameters."))


# --------------------------------------------------------------------------- 04 probability and Bayes

@exercise("04.posterior", hint="P(flag) = P(flag|spoiler)P(spoiler) + P(flag|clean)(1 - P(spoiler)); divide P(flag|spoiler)P(spoiler) by it.")
def _posterior(posterior: Any) -> None:
    expect_callable(posterior, "posterior")
    for prior, hit, false_alarm in ((0.02, 0.90, 0.05), (0.5, 0.8, 0.2), (0.3, 0.6, 0.6), (0.001, 0.99, 0.01)):
        wanted = hit * prior / (hit * prior + false_alarm * (1 - prior))
        value = expect_number(posterior(prior, hit, false_alarm), "what posterior() returns")
        if not close(value, wanted):
            if close(value, hit):
                raise Wrong("that is P(flag | spoiler), the likelihood; Bayes' rule turns it around.")
            if close(value, hit * prior):
                raise Wrong("you forgot to divide by the evidence P(flag).")
            shown, expected = two_numbers(value, wanted)
            raise Wrong(f"posterior({prior}, {hit}, {false_alarm}) gave {shown}, expected {expected}.")


@exercise("04.mle", hint="differentiate the two log terms one at a time; log(1 - q) needs the chain rule.")
def _mle(slope: Any) -> None:
    import torch

    expect_callable(slope, "slope")
    for q, k, n in ((0.3, 7, 10), (0.7, 7, 10), (0.5, 1, 4), (0.05, 30, 100), (0.9, 99, 100)):
        point = torch.tensor(q, dtype=torch.float64, requires_grad=True)
        (k * point.log() + (n - k) * (1 - point).log()).backward()
        wanted = point.grad.item()
        got = expect_number(slope(q, k, n), f"slope({q}, {k}, {n})")
        if close(got, wanted):
            continue
        if close(got, -wanted):
            raise Wrong("the sign is flipped: the derivative of log(1 - q) is -1 / (1 - q).")
        if close(got, k / q):
            raise Wrong("the failures are missing: the term (n - k) log(1 - q) has a slope too.")
        shown, expected = two_numbers(got, wanted)
        raise Wrong(f"slope({q}, {k}, {n}) gave {shown}; the derivative there is {expected}.")


@exercise("04.cross_entropy", hint="log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True); pick each row's target; negate; mean.")
def _cross_entropy(my_cross_entropy: Any) -> None:
    import torch

    expect_callable(my_cross_entropy, "my_cross_entropy")
    generator = torch.Generator().manual_seed(7)
    cases = [(torch.randn(6, 2, generator=generator), torch.tensor([0, 1, 1, 0, 1, 0])),
             (torch.randn(4, 5, generator=generator) * 50, torch.tensor([4, 0, 2, 2]))]
    for logits, targets in cases:
        result = my_cross_entropy(logits, targets)
        try:
            value = float(result)
        except (TypeError, ValueError, RuntimeError):
            value = 0.0
        if math.isinf(value) and value > 0:
            raise Wrong("the loss is inf: for logits of 50x the usual size softmax rounds a very unlikely class to exactly 0, "
                        "and log(0) = -inf. Compute log-probabilities directly, z - logsumexp(z), never log(softmax(z)).")
        value = expect_number(result, "what my_cross_entropy() returns (one number for the batch)")
        wanted = torch.nn.functional.cross_entropy(logits, targets).item()
        tolerance = 1e-4 * max(1.0, abs(wanted))
        if abs(value - wanted) <= tolerance:
            continue
        naive = -torch.softmax(logits, dim=1).log()[torch.arange(len(targets)), targets].mean().item()
        if abs(value - naive) < 1e-6:
            raise Wrong(f"for large logits you give {value:.4f}, F.cross_entropy {wanted:.4f}: log(softmax(z)) loses the "
                        "tiny probabilities to rounding before the log sees them. Compute z - logsumexp(z) instead.")
        total = torch.nn.functional.cross_entropy(logits, targets, reduction="sum").item()
        if abs(value - total) < 1e-3:
            raise Wrong("that is the sum over the batch; take the mean.")
        raise Wrong(f"for a batch of {len(targets)}, you gave {value:.4f}; F.cross_entropy gives {wanted:.4f}.")


# --------------------------------------------------------------------------- 05 gradient descent

@exercise("05.logistic_gradient", hint="start from one review, dL/dw = (sigmoid(z) - y) x (the scalar graph); then average "
          "over the rows of X, and write that sum as a matrix product.")
def _logistic_gradient(logistic_gradient: Any) -> None:
    import torch

    expect_callable(logistic_gradient, "logistic_gradient")
    generator = torch.Generator().manual_seed(8)
    for n, d in ((10, 3), (50, 7)):
        X = torch.randn(n, d, generator=generator, dtype=torch.float64)
        y = (torch.rand(n, generator=generator) > 0.5).double()
        w = torch.randn(d, generator=generator, dtype=torch.float64, requires_grad=True)
        b = torch.tensor(0.3, dtype=torch.float64)
        torch.nn.functional.binary_cross_entropy_with_logits(X @ w + b, y).backward()
        got = expect_tensor(logistic_gradient(X, y, w.detach(), b), w.grad, f"the gradient for {d} weights")
        if not torch.allclose(got.double(), w.grad, atol=1e-8):
            if torch.allclose(got.double(), w.grad * n, atol=1e-6):
                raise Wrong("that is the gradient of the summed loss; divide by the number of examples.")
            if torch.allclose(got.double(), -w.grad, atol=1e-8):
                raise Wrong("the sign is flipped: the gradient uses sigmoid(z) - y.")
            raise Wrong(f"for {n} examples and {d} weights, your gradient differs from autograd's.")


@exercise("05.largest_stable_lr", hint="along each eigenvector of H, one step multiplies the distance to the minimum "
          "by (1 - lr * eigenvalue): for which lr does that shrink in every direction?")
def _largest_stable_lr(largest_stable_lr: Any) -> None:
    import torch

    expect_callable(largest_stable_lr, "largest_stable_lr")
    generator = torch.Generator().manual_seed(11)
    cases = [torch.diag(torch.tensor([1.0, 25.0], dtype=torch.float64))]
    for size in (3, 6):
        A = torch.randn(size, size, generator=generator, dtype=torch.float64)
        cases.append(A @ A.T + 0.1 * torch.eye(size, dtype=torch.float64))
    for H in cases:
        eigenvalues = torch.linalg.eigvalsh(H)
        wanted = 2 / eigenvalues.max().item()
        got = expect_number(largest_stable_lr(H.clone()), f"largest_stable_lr(H) for a {len(H)}x{len(H)} Hessian")
        if close(got, wanted, rel=1e-6):
            continue
        if close(got, 1 / eigenvalues.max().item(), rel=1e-6):
            raise Wrong("that is 1 / λ_max: stable, and the fastest for the steepest direction, but not the largest; the "
                        "factor 1 - η λ only has to stay above -1.")
        if close(got, 2 / eigenvalues.min().item(), rel=1e-6):
            raise Wrong("that uses the smallest eigenvalue; the steepest direction (the largest eigenvalue) diverges first.")
        shown, expected = two_numbers(got, wanted)
        raise Wrong(f"for a {len(H)}x{len(H)} Hessian you give {shown}; the largest stable learning rate is {expected}.")


@exercise("05.linear_backward", hint="each gradient has the shape of what it belongs to; write one entry y_ij as a sum "
          "over k of x_ik w_jk, and ask which y's a given w_jk or x_ik touches.")
def _linear_backward(linear_backward: Any) -> None:
    import torch

    expect_callable(linear_backward, "linear_backward")
    generator = torch.Generator().manual_seed(12)
    for n, d_in, d_out in ((4, 3, 2), (7, 5, 5), (1, 6, 3)):
        X = torch.randn(n, d_in, generator=generator, dtype=torch.float64, requires_grad=True)
        W = torch.randn(d_out, d_in, generator=generator, dtype=torch.float64, requires_grad=True)
        b = torch.randn(d_out, generator=generator, dtype=torch.float64, requires_grad=True)
        delta = torch.randn(n, d_out, generator=generator, dtype=torch.float64)
        (X @ W.T + b).backward(delta)       # autograd's answer for dL/dY = delta
        result = linear_backward(X.detach(), W.detach(), delta)
        if not isinstance(result, tuple) or len(result) != 3:
            raise Wrong("linear_backward() should return three things: (dW, db, dX).")
        for got, param, name in zip(result, (W, b, X), ("dW", "db", "dX")):
            got = expect_tensor(got, param.grad, f"{name} for X of shape {tuple(X.shape)}")
            if not torch.allclose(got, param.grad, atol=1e-10):
                if name == "db" and torch.allclose(got, param.grad / n, atol=1e-10):
                    raise Wrong("db is the sum of delta over the batch, not its mean: each example adds its own share.")
                raise Wrong(f"{name} differs from autograd's for X of shape {tuple(X.shape)} and W of shape {tuple(W.shape)}: "
                            "check which matrix is transposed (each gradient has the shape of what it belongs to).")


# --------------------------------------------------------------------------- 07 fine-tuning with the Trainer

@exercise("07.head_and_tail", hint="if it fits, return it; else ids[:head + 1] + ids[-(max_length - head - 1):].")
def _head_and_tail(keep_head_and_tail: Any) -> None:
    from .finetune import head_and_tail

    expect_callable(keep_head_and_tail, "keep_head_and_tail")
    ids = [101] + list(range(1000, 1040)) + [102]
    for max_length, head in ((10, 3), (16, 0), (42, 5), (60, 10), (5, 2)):
        wanted = head_and_tail(ids, max_length, head)
        got = list(keep_head_and_tail(list(ids), max_length, head))
        if got == wanted:
            continue
        if len(ids) <= max_length:
            raise Wrong(f"a review of {len(ids)} tokens fits in max_length={max_length}: return it unchanged.")
        if len(got) != max_length:
            raise Wrong(f"with max_length={max_length}, head={head} you return {len(got)} ids; cut to exactly {max_length}.")
        if got[-1] != 102:
            raise Wrong("the result must still end with [SEP] (id 102 here): keep the very end of the review.")
        if got[:head + 1] != ids[:head + 1]:
            raise Wrong(f"the result must start with [CLS] and the first {head} tokens after it.")
        raise Wrong(f"with max_length={max_length}, head={head} the tail is wrong: fill the rest with the last tokens.")


@exercise("07.padded_tokens", hint="for each run of batch_size lengths, add len(batch) * max(batch).")
def _padded_tokens(tokens_per_epoch: Any) -> None:
    import random

    from .finetune import padded_tokens

    expect_callable(tokens_per_epoch, "tokens_per_epoch")
    rng = random.Random(7)
    cases = [([5, 9, 3], 2), ([4] * 6, 4), ([rng.randint(10, 300) for _ in range(53)], 16), ([7], 8)]
    for lengths, batch_size in cases:
        got = expect_number(tokens_per_epoch(list(lengths), batch_size), "tokens_per_epoch(...)")
        wanted = padded_tokens(lengths, batch_size)
        if got == sum(lengths) and wanted != got:
            raise Wrong("that is the number of real tokens; every review in a batch is padded to the batch's longest.")
        if got != wanted:
            raise Wrong(f"for lengths {lengths[:6]}{'...' if len(lengths) > 6 else ''} and batch_size={batch_size}: "
                        f"you count {got:g} tokens, the batches hold {wanted}. Is the last, shorter batch included?")


@exercise("07.compute_metrics", hint="predictions = eval_prediction.predictions.argmax(axis=-1); then sklearn's "
          "balanced_accuracy_score(labels, predictions) and matthews_corrcoef(labels, predictions).")
def _compute_metrics(compute_metrics_balanced: Any) -> None:
    import numpy as np
    from sklearn.metrics import balanced_accuracy_score, matthews_corrcoef
    from transformers import EvalPrediction

    expect_callable(compute_metrics_balanced, "compute_metrics_balanced")
    rng = np.random.default_rng(3)
    labels = np.array([1] * 95 + [0] * 5)
    always_pos = np.tile([-1.0, 1.0], (100, 1))
    noisy = rng.normal(size=(100, 2)) + np.eye(2)[labels] * 1.5
    for logits in (always_pos, noisy):
        got = compute_metrics_balanced(EvalPrediction(predictions=logits, label_ids=labels))
        expect_type(got, dict, "compute_metrics_balanced(...)")
        predictions = logits.argmax(axis=-1)
        wanted = {"balanced_accuracy": balanced_accuracy_score(labels, predictions), "mcc": matthews_corrcoef(labels, predictions)}
        for name, value in wanted.items():
            if name not in got:
                raise Wrong(f"the dict needs a key {name!r}; it has {sorted(got)}.")
            if not close(expect_number(got[name], name), value):
                raise Wrong(f"{name} is {float(got[name]):.3f} but scikit-learn gives {value:.3f}: take predictions as the "
                            "argmax of the logits, and pass (labels, predictions) in that order.")


# --------------------------------------------------------------------------- 08 the training loop, evaluation and speed

def _small_bert_like():  # -> torch.nn.Module: named like BERT's parts, with one frozen weight
    from torch import nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.word_embeddings = nn.Embedding(10, 4)
            self.dense = nn.Linear(4, 4)
            self.LayerNorm = nn.LayerNorm(4)
            self.classifier = nn.Linear(4, 2)
            self.frozen = nn.Linear(4, 4)
            self.frozen.requires_grad_(False)

    return Block()


@exercise("08.param_groups", hint="loop over model.parameters(); skip those with requires_grad False; "
          "parameter.ndim < 2 (biases, LayerNorm) goes in the group with weight_decay 0.0.")
def _param_groups(no_decay_groups: Any) -> None:
    from .finetune import parameter_groups

    expect_callable(no_decay_groups, "no_decay_groups")
    model = _small_bert_like()
    got = no_decay_groups(model, 0.01)
    expect_type(got, list, "no_decay_groups(model, 0.01)")
    if not all(isinstance(group, dict) and "params" in group and "weight_decay" in group for group in got):
        raise Wrong("each group is a dict with the keys 'params' (a list of parameters) and 'weight_decay'.")
    names = {id(parameter): name for name, parameter in model.named_parameters()}
    decay_of: dict[str, float] = {}
    for group in got:
        for parameter in group["params"]:
            decay_of[names.get(id(parameter), "?")] = float(group["weight_decay"])
    wanted = {names[id(p)]: float(group["weight_decay"]) for group in parameter_groups(model, 0.01) for p in group["params"]}
    if any(name.startswith("frozen.") for name in decay_of):
        raise Wrong("frozen parameters (requires_grad=False) should not be handed to the optimizer at all.")
    missing = sorted(set(wanted) - set(decay_of))
    if missing:
        raise Wrong(f"these trainable parameters are in no group: {missing}.")
    for name, decay in wanted.items():
        if decay_of[name] != decay:
            kind = "a 1-D parameter (bias or LayerNorm): no decay" if decay == 0 else "a weight matrix: decay 0.01"
            raise Wrong(f"{name} has weight_decay {decay_of[name]:g}, but it is {kind}.")


@exercise("08.ece", hint="bins = np.searchsorted(np.linspace(0, 1, n_bins + 1)[1:-1], probabilities, side='right'); "
          "then sum over bins of (count / n) * |mean(labels) - mean(probabilities)|.")
def _ece(expected_calibration_error: Any) -> None:
    import numpy as np

    from .finetune import calibration_bins, expected_calibration_error as reference

    expect_callable(expected_calibration_error, "expected_calibration_error")
    rng = np.random.default_rng(8)
    probabilities = rng.uniform(size=400)
    cases = [(probabilities, (rng.uniform(size=400) < probabilities).astype(int), 10),
             (probabilities, (rng.uniform(size=400) < probabilities ** 3).astype(int), 10),
             (np.array([0.9, 0.9, 0.9, 0.1]), np.array([1, 0, 1, 0]), 5),
             (np.array([0.0, 0.05, 1.0, 1.0]), np.array([0, 0, 1, 1]), 10)]
    for probs, labels, n_bins in cases:
        got = expect_number(expected_calibration_error(probs.copy(), labels.copy(), n_bins), "expected_calibration_error(...)")
        wanted = reference(probs, labels, n_bins)
        if not close(got, wanted):
            bins = calibration_bins(probs, n_bins)
            unweighted = np.mean([abs(labels[bins == b].mean() - probs[bins == b].mean()) for b in np.unique(bins)])
            if abs(got - unweighted) < 1e-9:
                raise Wrong("each bin's gap must be weighted by its share of the reviews, not averaged equally.")
            raise Wrong(f"for {len(labels)} predictions and n_bins={n_bins} you give {got:.4f}, the ECE is {wanted:.4f}. "
                        "Are the bins equal-width on [0, 1], with 1.0 in the last bin?")


@exercise("08.accumulation", hint="for each micro-batch: loss = model(**batch).loss / len(micro_batches); loss.backward(). "
          "Then optimizer.step() and optimizer.zero_grad() once.")
def _accumulation(train_step_accumulated: Any) -> None:
    import torch
    from torch import nn

    class Regression(nn.Module):  # returns an object with .loss, as a transformers model does
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(3, 1)

        def forward(self, inputs, labels):
            return type("Output", (), {"loss": nn.functional.mse_loss(self.linear(inputs).squeeze(-1), labels)})()

    expect_callable(train_step_accumulated, "train_step_accumulated")
    generator = torch.Generator().manual_seed(0)
    inputs, labels = torch.randn(8, 3, generator=generator), torch.randn(8, generator=generator)
    torch.manual_seed(0)
    whole, learner = Regression(), Regression()
    learner.load_state_dict(whole.state_dict())
    whole_optimizer = torch.optim.SGD(whole.parameters(), lr=0.1)
    whole(inputs, labels).loss.backward()  # the step accumulation must reproduce: one batch of 8
    whole_optimizer.step()

    steps = []
    optimizer = torch.optim.SGD(learner.parameters(), lr=0.1)
    optimizer.register_step_post_hook(lambda *_: steps.append(1))
    micro_batches = [{"inputs": inputs[i:i + 2], "labels": labels[i:i + 2]} for i in range(0, 8, 2)]
    train_step_accumulated(learner, optimizer, micro_batches)
    if len(steps) != 1:
        raise Wrong(f"the optimizer stepped {len(steps)} times; accumulation steps it once, after all the micro-batches.")
    if any(parameter.grad is not None and parameter.grad.abs().sum() > 0 for parameter in learner.parameters()):
        raise Wrong("after the step the gradients are still there: call optimizer.zero_grad() after optimizer.step().")
    if not torch.allclose(learner.linear.weight, whole.linear.weight, atol=1e-6):
        raise Wrong("one step on 4 micro-batches of 2 should move the weights exactly as one step on the batch of 8: "
                    "divide each micro-batch's loss by the number of micro-batches before backward().")
