"""The course's offline reviews: enough, balanced, varied, no near-duplicates, IMDb-shaped."""

from __future__ import annotations

import importlib.util
import re

import numpy as np
import pytest

from course_utils import hub, reviews


@pytest.fixture(scope="module")
def rows():
    return reviews.read_rows()


def test_at_least_1000_balanced_reviews(rows):
    assert len(rows) >= 1000
    for split in reviews.SPLITS:
        labels = [r["label"] for r in rows if r["split"] == split]
        assert labels.count(0) == labels.count(1) > 0


def test_train_and_test_share_no_film(rows):
    train = {r["film"] for r in rows if r["split"] == "train"}
    test = {r["film"] for r in rows if r["split"] == "test"}
    assert train and test and not train & test


def test_no_near_duplicates(rows):
    from course_utils.tools.review_stats import most_similar_pair

    similarity, first, second = most_similar_pair([r["text"] for r in rows])
    assert similarity <= 0.5, (rows[first]["text"][:200], rows[second]["text"][:200])


def test_lengths_and_style_look_like_imdb(rows):
    words = np.array([len(r["text"].split()) for r in rows])
    assert words.min() <= 20, "some reviews should be a single sentence"
    assert np.median(words) >= 100, "most reviews should be a paragraph or longer"
    # IMDB_FACTS.md: mean about 230 words, a tenth over about 450; 512 tokens cut the longest.
    assert 200 <= words.mean() <= 270
    assert np.quantile(words, 0.9) >= 400
    assert words.max() >= 600
    texts = [r["text"] for r in rows]
    share = lambda pattern: np.mean([bool(re.search(pattern, t)) for t in texts])  # noqa: E731
    assert share(r"<br /><br />") > 0.5
    assert share(r"\b\d+ ?(/|out of) ?10\b") > 0.15  # ratings in the text
    assert share(r"\b(not|never|cannot|nothing|no)\b") > 0.5  # negation
    assert share(r"\b(but|though|however)\b") > 0.4  # contrast and mixed feelings
    assert share(r"\b[A-Z]{4,}\b") > 0.03  # capitals for emphasis


def test_served_like_imdb():
    data = reviews.load_course_reviews()
    assert set(data) == {"train", "test"}
    assert data["train"].column_names == ["text", "label"]
    assert data["train"].features["label"].names == ["neg", "pos"]
    assert data["train"].num_rows + data["test"].num_rows == len(reviews.read_rows())


def test_load_reviews_offline_uses_the_course_copy(hf_home, capsys):
    data = hub.load_reviews("stanfordnlp/imdb")
    assert data["test"].num_rows > 0
    assert "offline copy" in capsys.readouterr().out


def test_unknown_dataset_offline_names_the_fix(hf_home):
    with pytest.raises(hub.ResolutionError, match="Fix:"):
        hub.load_reviews("someone/no-such-dataset")


def test_cached_parquet_snapshot_is_loaded(hf_home, tmp_path):
    """A cached IMDb-layout snapshot (parquet per split) wins over the offline copy."""
    import pandas as pd

    repo = hf_home / "datasets--stanfordnlp--imdb"
    snapshot = repo / "snapshots" / "abc"
    (snapshot / "plain_text").mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc")
    for split in ("train", "test"):
        pd.DataFrame({"text": ["good", "bad"], "label": [1, 0]}).to_parquet(snapshot / "plain_text" / f"{split}-00000-of-00001.parquet")
    data = hub.load_reviews("stanfordnlp/imdb", verbose=False)
    assert list(data["train"]["text"]) == ["good", "bad"]
    assert data["train"].features["label"].names == ["neg", "pos"]


@pytest.mark.full
def test_shipped_file_is_rebuilt_exactly_by_the_builder():
    spec = importlib.util.spec_from_file_location("build_reviews", reviews.DATA_DIR / "build_reviews.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    assert builder.build() == reviews.read_rows()


def test_data_card_covers_the_essentials():
    card = reviews.CARD_FILE.read_text()
    for topic in ("How they were written", "Licence", "Limits", "Split"):
        assert topic in card
