"""Shared fixtures: a private Hugging Face cache and a tiny BERT saved in it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from course_utils import hub


@pytest.fixture(autouse=True)
def _fresh_probe_cache():
    """Each test sees its own Hub probe result."""
    hub._STATUS.clear()
    yield
    hub._STATUS.clear()


@pytest.fixture(autouse=True)
def _environment_restored():
    """What a test (or the setup() it calls) writes into os.environ is undone after it, so no test reads
    settings another test left behind (setup() sets OMP_NUM_THREADS, COURSE_PROFILE and more)."""
    saved = dict(os.environ)
    yield
    if dict(os.environ) != saved:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def hf_home(tmp_path, monkeypatch) -> Path:
    """An empty Hugging Face cache, offline."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tmp_path / "hf" / "hub"


def save_tiny_bert(folder: Path) -> None:
    """A 1-layer BERT with random weights, saved as safetensors (the real save_pretrained)."""
    from transformers import BertConfig, BertModel

    config = BertConfig(vocab_size=64, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    BertModel(config).save_pretrained(folder, safe_serialization=True)


def put_in_cache(cache: Path, repo_id: str, make, kind: str = "model") -> Path:
    """Lay out `repo_id` the way huggingface_hub does: refs/main -> snapshots/<commit>/files."""
    repo = cache / f"{kind}s--{repo_id.replace('/', '--')}"
    commit = "0123456789abcdef0123456789abcdef01234567"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    make(snapshot)
    return snapshot


@pytest.fixture
def cached_tiny_bert(hf_home) -> tuple[str, Path]:
    repo_id = "course-tests/tiny-bert"
    return repo_id, put_in_cache(hf_home, repo_id, save_tiny_bert)


def save_imdb_parquet(folder: Path, positives: int = 7, negatives: int = 5) -> None:
    """An IMDb-shaped snapshot as the Hub stores it (plain_text/{split}-00000-of-00001.parquet),
    with the course's own review texts, `positives`/`negatives` of each in train."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from course_utils.reviews import read_rows

    rows = read_rows()
    pos = [r["text"] for r in rows if r["label"] == 1][:positives]
    neg = [r["text"] for r in rows if r["label"] == 0][:negatives]
    (folder / "plain_text").mkdir(parents=True)
    for split in ("train", "test"):
        table = pa.table({"text": pos + neg, "label": [1] * len(pos) + [0] * len(neg)})
        pq.write_table(table, folder / "plain_text" / f"{split}-00000-of-00001.parquet")


@pytest.fixture
def cached_imdb(hf_home) -> Path:
    """IMDb in a private Hugging Face cache, as an online learner has it after the first download."""
    return put_in_cache(hf_home, "stanfordnlp/imdb", save_imdb_parquet, kind="dataset")
