"""Claims of notebooks 03 and 04 that a cell's assert alone cannot prove (reader r0304).

- 04's test of the naive assumption must be able to fail: on reviews drawn from the fitted naive Bayes model itself
  (the assumption true by construction) its assert refuses, on the course's reviews and on re-splits of them it holds.
- 04's data-dependent sentences (which way *best* moves P(pos), a positive review that negates *boring*, naive Bayes
  wrong more often than a calibrated model among its near-certainties) hold on re-splits, not only the served split.
- 04's entropy is 0 for a sure thing (0 log 0 = 0), and the negation pattern finds negations and nothing else.
- The 03 and 04 checkers' hints name sections that exist in their notebooks.
"""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import numpy as np
import pytest

TEXT = Path(__file__).resolve().parents[1] / "notebooks" / "text"
NB03 = TEXT / "03_linear_algebra.py"
NB04 = TEXT / "04_probability_and_bayes.py"


def code_cell(twin: Path, containing: str) -> str:
    """The one code cell of a text twin whose source contains `containing`."""
    cells = [cell for cell in re.split(r"^(?=# %%)", twin.read_text(encoding="utf-8"), flags=re.M)
             if cell.startswith("# %%\n") and containing in cell]
    assert len(cells) == 1, (twin.name, containing, len(cells))
    return cells[0]


class Split:
    """Just enough of a datasets split for the cells: train["text"], train["label"], train.features."""

    class _Label:
        names = ["neg", "pos"]

    def __init__(self, texts: list[str], labels: list[int]) -> None:
        self.columns = {"text": texts, "label": labels}
        self.features = {"label": self._Label()}

    def __getitem__(self, column: str) -> list:
        return self.columns[column]


def resplit(seed: int) -> tuple[Split, Split]:
    """The course's reviews split afresh, half of each class to train (as tests/test_math_on_other_data.py does)."""
    from course_utils.reviews import read_rows

    rows, rng = read_rows(), random.Random(seed)
    train: list[dict] = []
    test: list[dict] = []
    for label in (0, 1):
        chosen = [row for row in rows if row["label"] == label]
        rng.shuffle(chosen)
        train += chosen[: len(chosen) // 2]
        test += chosen[len(chosen) // 2:]
    return tuple(Split([row["text"] for row in part], [row["label"] for row in part]) for part in (train, test))


def served() -> tuple[Split, Split]:
    """The split the course serves offline (each row's own "split")."""
    from course_utils.reviews import read_rows

    rows = read_rows()
    parts = {name: [row for row in rows if row["split"] == name] for name in ("train", "test")}
    return tuple(Split([row["text"] for row in parts[n]], [row["label"] for row in parts[n]]) for n in ("train", "test"))


def fitted(train: Split) -> dict:
    """The namespace 04's burstiness cell reads: counts, labels and the fitted log θ (α = 1), as 04 computes them."""
    from sklearn.feature_extraction.text import CountVectorizer

    X_train = CountVectorizer().fit_transform(train["text"])
    y_train = np.array(train["label"])
    return {"X_train": X_train, "y_train": y_train, "log_theta": log_theta_of(X_train, y_train), "train": train,
            "np": np, "math": math}


def log_theta_of(X, y) -> np.ndarray:
    word_counts = np.vstack([np.asarray(X[y == c].sum(axis=0)).ravel() for c in (0, 1)])
    return np.log((word_counts + 1.0) / (word_counts + 1.0).sum(axis=1, keepdims=True))


BURSTINESS = code_cell(NB04, "def again(")


@pytest.fixture(scope="module")
def data_sets() -> dict:
    sets = {"served": served()}
    sets.update({f"resplit {seed}": resplit(seed) for seed in (1, 2, 3)})
    return sets


def test_the_burstiness_assert_holds_on_real_reviews(data_sets, capsys):
    for name, (train, _) in data_sets.items():
        exec(BURSTINESS, fitted(train))    # raises AssertionError if real reviews were not burstier than the model's
    printed = capsys.readouterr().out
    assert printed.count("appears again in") == 2 * len(data_sets)


def test_the_burstiness_assert_refuses_reviews_drawn_from_the_model():
    """Where the naive assumption is true (every review drawn from the fitted model at its own length), the check fails:
    it tests the assumption, not something the model reproduces (the co-occurrence test it replaced passed here)."""
    train, _ = resplit(1)
    namespace = fitted(train)
    X, y, log_theta = namespace["X_train"], namespace["y_train"], namespace["log_theta"]
    lengths = np.asarray(X.sum(axis=1)).ravel()
    rng = np.random.default_rng(123)
    from scipy import sparse

    drawn = sparse.csr_matrix(np.vstack([rng.multinomial(lengths[i], np.exp(log_theta[y[i]])) for i in range(len(y))]))
    namespace.update(X_train=drawn, log_theta=log_theta_of(drawn, y))
    with pytest.raises(AssertionError):
        exec(BURSTINESS, namespace)


def _word_cells(train: Split) -> dict:
    namespace = {"np": np, "math": math, "re": re, "train": train, "print": lambda *args, **kwargs: None}
    exec(code_cell(NB04, "def share_positive("), namespace)    # defines labels, words_of, share_positive; asserts on best
    exec(code_cell(NB04, "def first_sentence_with("), namespace)   # asserts a negated 'boring' in a positive review
    return namespace


def test_the_word_sentences_hold_on_resplits(data_sets):
    for name, (train, _) in data_sets.items():
        namespace = _word_cells(train)
        assert namespace["direction"]("best")[0] == "raises", name
        assert re.search(namespace["negated_boring"], namespace["examples"][1].lower()), name


def test_the_negation_pattern():
    pattern = re.search(r'negated_boring = r"(.+?)"', NB04.read_text(encoding="utf-8")).group(1)
    for sentence in ("it's never boring", "it is not boring", "it isn't a boring one", "this wasn't boring at all",
                     "hardly boring"):
        assert re.search(pattern, sentence), sentence
    for sentence in ("a boring film", "boring, boring, boring", "it is not good, and boring", "nothing boring"):
        assert not re.search(pattern, sentence), sentence


def test_overconfident_beyond_what_calibration_allows(data_sets):
    """04: among posteriors below 0.01 or above 0.99 a calibrated model is wrong at most 1% of the time; ours more."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB

    for name, (train, test) in data_sets.items():
        vectorizer = CountVectorizer()
        model = MultinomialNB(alpha=1.0).fit(vectorizer.fit_transform(train["text"]), train["label"])
        posteriors = model.predict_proba(vectorizer.transform(test["text"]))[:, 1]
        certain = (posteriors < 0.01) | (posteriors > 0.99)
        wrong = (posteriors > 0.5) != np.array(test["label"])
        assert certain.mean() > 0.5 and wrong[certain].mean() > 0.01, name


def test_entropy_of_a_sure_thing_is_zero():
    import torch

    namespace = {"torch": torch}
    exec(re.search(r"def entropy\(p\):\n(    .*\n)+", code_cell(NB04, "def entropy(")).group(0), namespace)
    entropy = namespace["entropy"]
    assert entropy(torch.tensor([1.0, 0.0])).item() == 0 and entropy(torch.tensor([0.0, 0.0, 1.0])).item() == 0
    assert math.isclose(entropy(torch.tensor([0.5, 0.5])).item(), math.log(2), rel_tol=1e-6)
    assert math.isclose(entropy(torch.tensor([0.5, 0.5, 0.0])).item(), math.log(2), rel_tol=1e-6)


@pytest.mark.parametrize("prefix, twin", [("03.", NB03), ("04.", NB04)])
def test_checker_hints_name_sections_that_exist(prefix, twin):
    from course_utils.checkers import EXERCISES

    headings = {line.lstrip("# ").strip() for line in twin.read_text(encoding="utf-8").splitlines()
                if re.match(r"^# #{2,4} ", line)}
    for name, exercise in EXERCISES.items():
        if name.startswith(prefix):
            for section in re.findall(r"reread[^*]*\*([^*]+)\*", exercise.hint):
                assert section in headings, (name, section, sorted(headings))


def test_the_lora_count_for_notebook_08():
    """03's exercise 3 says what 08 trains: query and value adapters at rank 8 on the quick profile's 6-layer, 384-wide model."""
    text = NB03.read_text(encoding="utf-8")
    assert "6 \\cdot 2 \\cdot 8 \\cdot (384 + 384) = 73{,}728" in text and 6 * 2 * 8 * (384 + 384) == 73_728
    nb08 = (TEXT / "08_training_loop_and_speed.py").read_text(encoding="utf-8")
    assert re.search(r"^LORA_RANK = 8\b", nb08, flags=re.M) and 'target_modules=["query", "value"]' in nb08
