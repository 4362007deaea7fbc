"""Shared fixtures: a private Hugging Face cache and a tiny BERT saved in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from course_utils import hub


@pytest.fixture(autouse=True)
def _fresh_probe_cache():
    """Each test sees its own Hub probe result."""
    hub._STATUS.clear()
    yield
    hub._STATUS.clear()


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


def put_in_cache(cache: Path, repo_id: str, make) -> Path:
    """Lay out `repo_id` the way huggingface_hub does: refs/main -> snapshots/<commit>/files."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
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
