"""Notebook 07's claims that depend on the profile, the window or the reviews: each is asserted in the
notebook only where it holds, and these tests check that the guard is there and that what it guards
holds wherever the guard lets it through (issue 37: asserts that hold in the quick AND the full profile,
on the course's reviews AND on real IMDb)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest

from course_utils.tools.notebooks import notebooks_dir

NOTEBOOK = "07_finetune_with_trainer.ipynb"
MARGIN_ASSERT = "    assert margin >= 0.03, margin"
MARGIN_GUARD = "if config.quick and is_course_copy(reviews):"


def _cells():
    return nbformat.read(notebooks_dir() / NOTEBOOK, as_version=4).cells


def _code_cell(marker: str) -> nbformat.NotebookNode:
    found = [cell for cell in _cells() if cell.cell_type == "code" and marker in cell.source]
    assert len(found) == 1, f"{marker!r} is in {len(found)} code cells of {NOTEBOOK}"
    return found[0]


def _output_text(cell) -> str:
    return "".join(output.get("text", "") for output in cell.get("outputs", []))


def test_the_margin_over_the_baselines_is_asserted_only_in_the_quick_profile_on_the_course_reviews():
    """The full profile offline trains bert-base's recipe on a few hundred reviews, and real IMDb is not ours
    to promise: the 3-point margin is asserted only where both conditions hold."""
    lines = _code_cell(MARGIN_ASSERT).source.splitlines()
    assert lines.count(MARGIN_ASSERT) == 1
    guard = lines[lines.index(MARGIN_ASSERT) - 1]
    assert guard.split("#")[0].strip() == MARGIN_GUARD
    condition = MARGIN_GUARD.removeprefix("if ").removesuffix(":")
    for quick in (True, False):
        for course_copy in (True, False):
            namespace = {"config": SimpleNamespace(quick=quick), "reviews": None,
                         "is_course_copy": lambda reviews, course_copy=course_copy: course_copy}
            assert eval(condition, namespace) == (quick and course_copy)


def test_the_committed_run_meets_the_margin_it_asserts():
    """The committed outputs are the quick profile on the course's reviews, where the assert runs."""
    text = _output_text(_code_cell(MARGIN_ASSERT))
    margin = float(re.search(r"fine-tuning against the better baseline: ([+-]\d\.\d\d)", text).group(1))
    assert margin >= 0.03
    assert re.search(r"naive Bayes: validation accuracy \d\.\d\d \(best alpha = [\d.]+\)", text)   # alpha chosen on validation


@pytest.fixture(scope="module")
def course_token_counts() -> np.ndarray:
    """Token counts of the course's training reviews, as the notebook's tokenizer counts them."""
    from transformers import AutoTokenizer

    from course_utils import hub
    from course_utils.reviews import read_rows

    tokenizer = AutoTokenizer.from_pretrained(hub.offline_model_folder(hub.MINILM))
    texts = [row["text"] for row in read_rows() if row["split"] == "train"]
    return np.array([len(ids) for ids in tokenizer(texts)["input_ids"]])


def _run_padding_cell(token_counts: np.ndarray, max_length: int, batch_size: int) -> dict:
    """Runs the notebook's padding cell (its prints and asserts) on reviews with these token counts, cut
    to `max_length` as head_and_tail cuts them; returns the cell's variables."""
    import torch

    source = _code_cell("epoch_tokens = {").source
    namespace = {"np": np, "torch": torch, "tokenizer": None, "config": SimpleNamespace(seed=0),
                 "MAX_LENGTH": max_length, "BATCH_SIZE": batch_size,
                 "encoded": {"train": {"length": [int(n) for n in np.minimum(token_counts, max_length)]}}}
    exec(compile(source, "07 padding cell", "exec"), namespace)   # raises AssertionError if a claim fails
    return namespace


def _synthetic_counts() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"IMDb-like lognormal": np.clip(rng.lognormal(5.4, 0.7, 1100), 10, 3000).astype(int),
            "all long": rng.integers(600, 2000, 1100), "all short": rng.integers(20, 60, 1100),
            "uniform up to 600": rng.integers(5, 600, 1100), "half at 100, half at 500": np.repeat([100, 500], 550),
            "a few reviews": rng.integers(5, 900, 13)}


@pytest.mark.parametrize("batch_size", [8, 16])
def test_the_padding_cell_holds_at_every_window(course_token_counts, batch_size):
    """Issue 37 and the reader's finding: the claim 'the cut does most of the saving' failed at 384 and 448.
    The cell now asserts it only where it is provably true; every window from 64 to 512 passes, on the
    course's reviews and on other length distributions."""
    for name, counts in {"course reviews": course_token_counts, **_synthetic_counts()}.items():
        for max_length in range(64, 513, 32):
            cell = _run_padding_cell(counts, max_length, batch_size)
            if max_length == 512:
                assert cell["seed_code"] == cell["cut"], name
                assert not cell["filled"] > max_length / 512, name   # the claim's branch cannot run at 512


def test_the_quick_profile_meets_the_claim_it_prints(course_token_counts):
    """The prose of the quick profile (128 tokens, batches of 8) says the cut does most of the saving: on the
    course's reviews the guard lets the assert run there, so the committed output is checked, not skipped."""
    cell = _run_padding_cell(course_token_counts, 128, 8)
    assert cell["filled"] > 128 / 512
    assert cell["seed_code"] / cell["cut"] > max(cell["cut"] / cell["dynamic"], cell["dynamic"] / cell["grouped"])
