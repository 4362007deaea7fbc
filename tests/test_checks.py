"""The exercise checker: friendly verdicts for right, wrong, mistyped and crashing answers."""

from __future__ import annotations

import pytest

from course_utils.checkers.helpers import Wrong, expect_close, expect_shape
from course_utils.checks import check


def good_clean(text):
    return " ".join(text.replace("<br />", " ").split())


def test_right_answer_passes(capsys):
    verdict = check("00.clean_review", good_clean)
    assert verdict and verdict.passed
    assert capsys.readouterr().out.strip() == "[Correct] 00.clean_review: well done!"


def test_wrong_answer_says_what_and_hints():
    verdict = check("00.clean_review", lambda text: text, quiet=True)
    assert not verdict
    assert "was expected" in verdict.message and "Hint:" in verdict.message


@pytest.mark.parametrize(("answer", "words"), [
    (42, "should be a function"),
    (lambda text: 3, "should be a str, but it is an int"),
])
def test_wrong_types_are_explained(answer, words):
    verdict = check("00.clean_review", answer, quiet=True)
    assert not verdict and words in verdict.message


def test_answer_that_raises_is_caught():
    def broken(text):
        raise KeyError("oops")

    verdict = check("00.clean_review", broken, quiet=True)
    assert not verdict and "raised KeyError" in verdict.message


def test_count_positive_is_recomputed_from_the_data():
    """The exercise takes a function of the split (issue 40.1: on a balanced split, IMDb's or ours, the number of
    negatives equals the number of positives, so a number alone could never tell them apart); the checker
    counts on splits of its own where they differ."""
    assert check("00.count_positive", lambda split: sum(split["label"]), quiet=True)
    assert not check("00.count_positive", lambda split: sum(split["label"]) + 1, quiet=True)
    assert "all its reviews" in check("00.count_positive", lambda split: 2 * len(split) // 2, quiet=True).message
    assert "as a string" not in check("00.count_positive", 621, quiet=True).message
    assert "takes a function" in check("00.count_positive", 621, quiet=True).message


def test_count_positive_follows_the_data_the_learner_has(cached_imdb):
    """Online, load_reviews serves IMDb; a function that counts the split it is given is right whatever the
    learner's data, and one that returns the notebook's own count is not."""
    from course_utils.hub import load_reviews

    train = load_reviews("stanfordnlp/imdb", verbose=False)["train"]
    assert sum(train["label"]) == 7
    assert check("00.count_positive", lambda split: sum(split["label"]), quiet=True)
    assert not check("00.count_positive", lambda split: sum(train["label"]), quiet=True)


def test_unknown_exercise_lists_known_names():
    verdict = check("00.no_such_thing", 1, quiet=True)
    assert not verdict and "00.clean_review" in verdict.message


def test_verdict_is_not_displayed_twice_in_jupyter(capsys):
    """check() prints its verdict; as the last line of a cell, IPython would show the returned Verdict
    again as Out[...] unless it displays as nothing."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        shell.run_cell("from course_utils import check\ncheck('00.count_positive', 1)", store_history=True)
    finally:
        InteractiveShell.clear_instance()
    out = capsys.readouterr().out
    assert out.count("00.count_positive") == 1, out


def test_shape_helper():
    import torch

    expect_shape(torch.zeros(2, 3), (2, 3))
    with pytest.raises(Wrong, match=r"has shape \(3, 2\)"):
        expect_shape(torch.zeros(3, 2), (2, 3))
    with pytest.raises(Wrong, match="should be a tensor or array"):
        expect_shape([[0, 0, 0]], (1, 3))


def test_close_helper():
    expect_close(0.1 + 0.2, 0.3)
    with pytest.raises(Wrong, match="should be a number"):
        expect_close(object(), 0.3)
    with pytest.raises(Wrong, match="not a finite number"):
        expect_close(float("nan"), 0.3)
    with pytest.raises(Wrong, match="not the expected value"):
        expect_close(0.31, 0.3)


# --------------------------------------------------------------------------- 06 checkers

def test_causal_mask_checker():
    import torch

    assert check("06.causal_mask", lambda T: torch.ones(T, T, dtype=torch.bool).tril(), quiet=True)
    assert "inverted" in check("06.causal_mask", lambda T: ~torch.ones(T, T, dtype=torch.bool).tril(), quiet=True).message
    assert "dtype" in check("06.causal_mask", lambda T: torch.ones(T, T).tril(), quiet=True).message
    assert "shape" in check("06.causal_mask", lambda T: torch.ones(T, dtype=torch.bool), quiet=True).message


def test_scaled_attention_checker():
    import math


    def good(q, k, v, mask=None):
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        return scores.softmax(-1) @ v

    def unscaled(q, k, v, mask=None):
        return (q @ k.transpose(-2, -1)).softmax(-1) @ v

    assert check("06.scaled_attention", good, quiet=True)
    assert "differs" in check("06.scaled_attention", unscaled, quiet=True).message


def test_layer_parameters_checker_agrees_with_the_model():
    from transformers import AutoModel

    from course_utils.hub import resolve_model

    layer = AutoModel.from_pretrained(resolve_model("bert-base-uncased").path).encoder.layer[0]
    count = sum(p.numel() for p in layer.parameters())
    assert check("06.layer_parameters", count, quiet=True)
    assert "LayerNorms" in check("06.layer_parameters", count - 4 * 384, quiet=True).message
    assert check("06.layer_parameters", float(count), quiet=True)  # issue 40.2: a whole float is a right count
    assert not check("06.layer_parameters", count + 0.5, quiet=True)


# --------------------------------------------------------------------------- 01 checkers

def test_silent_command_checker():
    def good(system, filename, prefix):
        if system == "Windows":
            return [filename, "/InstallationType=JustMe", "/RegisterPython=0", "/S", f"/D={prefix}"]
        return ["bash", filename, "-b", "-p", prefix]

    def d_not_last(system, filename, prefix):
        command = good(system, filename, prefix)
        return [filename, f"/D={prefix}", "/S"] if system == "Windows" else command

    def with_update(system, filename, prefix):  # the form in Anaconda's own docs: -u updates an existing install
        return good(system, filename, prefix) if system == "Windows" else ["bash", filename, "-b", "-u", "-p", prefix]

    def no_installer(system, filename, prefix):  # once accepted: a Windows command that runs nothing
        return good(system, filename, prefix) if system != "Windows" else ["/S", f"/D={prefix}"]

    def through_cmd(system, filename, prefix):
        return good(system, filename, prefix) if system != "Windows" else ["start", "/wait", '""', *good(system, filename, prefix)]

    assert check("01.silent_command", good, quiet=True)
    assert check("01.silent_command", with_update, quiet=True)
    assert "/D=PREFIX must be the very last" in check("01.silent_command", d_not_last, quiet=True).message
    assert "starts with the installer itself" in check("01.silent_command", no_installer, quiet=True).message
    assert "built-in of cmd.exe" in check("01.silent_command", through_cmd, quiet=True).message
    assert "`-p PREFIX`" in check("01.silent_command", lambda s, f, p: ["bash", f], quiet=True).message
    assert "`-b` (batch mode) is missing" in check("01.silent_command", lambda s, f, p: ["bash", f, "-p", p], quiet=True).message
    assert "not an option" in check("01.silent_command", lambda s, f, p: ["bash", f, "-b", "-y", "-p", p], quiet=True).message


def test_error_fixes_checker():
    from course_utils.checkers.nb01 import ERROR_FIXES

    assert check("01.error_fixes", dict(ERROR_FIXES), quiet=True)
    swapped = dict(ERROR_FIXES)
    first, second = list(swapped)[:2]
    swapped[first], swapped[second] = swapped[second], swapped[first]
    assert "does not need" in check("01.error_fixes", swapped, quiet=True).message
    assert "has none" in check("01.error_fixes", {}, quiet=True).message
    assert "not one of the fix names" in check("01.error_fixes", {m: "reinstall" for m in ERROR_FIXES}, quiet=True).message


def _describe_with(test):
    import subprocess

    def describe(python):
        code = f"import sys; from pathlib import Path; print(sys.prefix); print({test})"
        prefix, flag = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
        return prefix, flag == "True"
    return describe


def test_describe_accepts_a_conda_aware_answer_and_teaches_the_venv_only_one():
    both = _describe_with("sys.prefix != sys.base_prefix or ((Path(sys.prefix) / 'conda-meta').is_dir() "
                          "and not any((Path(sys.prefix) / 'conda-meta').glob('conda-[0-9]*.json')))")
    assert check("02.describe", both, quiet=True)
    venv_only = check("02.describe", _describe_with("sys.prefix != sys.base_prefix"), quiet=True)
    # issue 40.1: the conda-like case is built on every system (a venv and a .pth file), never skipped
    assert not venv_only and "conda-meta" in venv_only.message


@pytest.mark.parametrize("fix, words", [
    ("name: my env", "which conda refuses"),
    ("channels:\n  - defaults", "`defaults` channel"),
    ("accelerate under conda", "two copies of torch"),   # conda-forge's accelerate requires pytorch (transformers does not)
])
def test_fix_environment_rejects_what_conda_would(fix, words):
    good = ("name: sentiment\nchannels:\n  - conda-forge\n  - nodefaults\ndependencies:\n  - python=3.11\n  - numpy=1.26\n"
            "  - pip\n  - pip:\n      - torch>=2.4\n      - transformers\n      - accelerate\n")
    assert check("02.fix_environment", good, quiet=True)
    if fix == "name: my env":
        bad = good.replace("name: sentiment", fix)
    elif fix.startswith("channels"):
        bad = good.replace("  - nodefaults\n", "  - defaults\n")
    else:
        bad = good.replace("  - pip\n  - pip:", "  - accelerate\n  - pip\n  - pip:").replace("      - accelerate\n", "")
    verdict = check("02.fix_environment", bad, quiet=True)
    assert not verdict and words in verdict.message


def test_sha256_checker():
    import hashlib

    def good(path):
        return hashlib.sha256(open(path, "rb").read()).hexdigest()

    assert check("01.sha256", good, quiet=True)
    assert "wrong case" in check("01.sha256", lambda p: good(p).upper(), quiet=True).message
    assert not check("01.sha256", lambda p: hashlib.md5(open(p, "rb").read()).hexdigest(), quiet=True)


def test_expect_number_takes_numbers_and_one_element_tensors():
    import torch

    from course_utils.checkers.helpers import Wrong, expect_number

    assert expect_number(3) == 3.0 and expect_number(torch.tensor(0.5)) == 0.5
    for bad in ("0.5x", None, torch.tensor([1.0, 2.0])):
        with pytest.raises(Wrong, match="should be a number"):
            expect_number(bad, "the loss")


NAN_ANSWERS = {
    # exercise name: an answer that returns NaN where a number is due (each was [Correct] before)
    "03.rank_for_error": lambda S, max_error: float("nan"),
    "04.mle": lambda q, k, n: float("nan"),
    "05.stability_threshold": lambda H: float("nan"),
    "04.posterior": lambda prior, hit, false_alarm: float("nan"),
    "08.ece": lambda probabilities, labels, n_bins=10: float("nan"),
    "07.compute_metrics": lambda prediction: {"balanced_accuracy": float("nan"), "mcc": float("nan")},
}


@pytest.mark.parametrize("name", sorted(NAN_ANSWERS))
def test_numeric_checkers_reject_nan(name):
    verdict = check(name, NAN_ANSWERS[name], quiet=True)
    assert not verdict and "not a finite number" in verdict.message


def test_naive_softmax_cross_entropy_overflows_and_is_rejected():
    """exp() of a score of 50 x randn overflows to inf/inf = NaN: the unstable version 04 warns against."""
    import torch

    def naive(logits, targets):
        probabilities = logits.exp() / logits.exp().sum(dim=-1, keepdim=True)
        return -probabilities[torch.arange(len(targets)), targets].log().mean()

    verdict = check("04.cross_entropy", naive, quiet=True)
    assert not verdict and "not a finite number" in verdict.message


def test_infinite_and_nan_numbers_are_named():
    from course_utils.checkers.helpers import Wrong, expect_number

    for bad in (float("inf"), float("-inf"), float("nan")):
        with pytest.raises(Wrong, match="not a finite number"):
            expect_number(bad)


# --------------------------------------------------------------------------- 03-05: exercises that need thought

def test_rank_for_error_explains_energy_and_off_by_one():
    def right(S, max_error):
        total = S.square().sum()
        return next(r for r in range(len(S) + 1) if (S[r:].square().sum() / total).sqrt() <= max_error)

    def energy(S, max_error):
        total = S.square().sum()
        return next(r for r in range(len(S) + 1) if S[r:].square().sum() / total <= max_error)

    assert check("03.rank_for_error", right, quiet=True)
    assert "the 'energy'" in check("03.rank_for_error", energy, quiet=True).message
    assert "one off" in check("03.rank_for_error", lambda S, e: right(S, e) + 1, quiet=True).message


def test_lora_count_explains_the_usual_slips():
    assert check("03.lora_parameters", 12 * 2 * 8 * (768 + 768), quiet=True)
    assert "offline stand-in" in check("03.lora_parameters", 6 * 2 * 8 * (384 + 384), quiet=True).message
    assert "full update" in check("03.lora_parameters", 12 * 2 * 768 * 768, quiet=True).message
    assert "half the count" in check("03.lora_parameters", 12 * 8 * 1536, quiet=True).message


def test_mle_slope_and_its_usual_slips():
    assert check("04.mle", lambda q, k, n: k / q - (n - k) / (1 - q), quiet=True)
    assert "sign is flipped" in check("04.mle", lambda q, k, n: -(k / q - (n - k) / (1 - q)), quiet=True).message
    assert "failures are missing" in check("04.mle", lambda q, k, n: k / q, quiet=True).message


def test_cross_entropy_names_the_log_softmax_underflow():
    import torch

    def log_of_softmax(logits, targets):
        return -torch.softmax(logits, dim=1).log()[torch.arange(len(targets)), targets].mean()

    verdict = check("04.cross_entropy", log_of_softmax, quiet=True)
    assert not verdict and "log(softmax(z))" in verdict.message


def test_stability_threshold_and_linear_backward():
    import torch

    assert check("05.stability_threshold", lambda H: 2 / torch.linalg.eigvalsh(H).max().item(), quiet=True)
    assert "1 / λ_max" in check("05.stability_threshold", lambda H: 1 / torch.linalg.eigvalsh(H).max().item(), quiet=True).message
    assert "smallest eigenvalue" in check("05.stability_threshold", lambda H: 2 / torch.linalg.eigvalsh(H).min().item(),
                                          quiet=True).message
    assert check("05.linear_backward", lambda X, W, d: (d.T @ X, d.sum(0), d @ W), quiet=True)
    assert "not its mean" in check("05.linear_backward", lambda X, W, d: (d.T @ X, d.mean(0), d @ W), quiet=True).message
    assert "shape" in check("05.linear_backward", lambda X, W, d: (X.T @ d, d.sum(0), d @ W), quiet=True).message
