"""The full profile (the recipe for a GPU: bert-base-uncased, 512 tokens, every review, two epochs) run
end to end on the CPU, with a tiny BERT standing in for bert-base-uncased in the Hugging Face cache and
the course's reviews laid out as IMDb: every code path a Colab run of 07 and 08 takes, but the GPU
itself (CUDA, bf16 or fp16 autocast) and the real model's accuracy. Neither was run here: no GPU."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from course_utils import hub
from course_utils.tools.notebooks import execute, notebooks_dir
from tests.conftest import put_in_cache
from tests.test_online_path import _text, save_course_reviews_as_imdb

pytestmark = pytest.mark.full  # end to end: CI's full tier, not `test --fast`

TOKENIZER_FILES = ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def save_tiny_bert_base(folder: Path) -> None:
    """A 2-layer, 32-wide BERT with random weights and bert-base-uncased's vocabulary and tokenizer
    (MiniLM's files: it uses the same vocabulary), saved as the Hub stores bert-base-uncased."""
    import torch
    from transformers import BertConfig, BertModel

    source = hub.offline_model_folder(hub.MINILM)
    for name in TOKENIZER_FILES:
        shutil.copy2(source / name, folder / name)
    torch.manual_seed(0)
    config = BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
    BertModel(config).save_pretrained(folder)


@pytest.fixture(scope="module")
def full_profile_cache(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("hf")
    put_in_cache(home / "hub", "bert-base-uncased", save_tiny_bert_base)
    put_in_cache(home / "hub", "stanfordnlp/imdb", save_course_reviews_as_imdb, kind="dataset")
    return home


def _errors(notebook) -> list[tuple[int, str, str]]:
    return [(index, out["ename"], cell.source)
            for index, cell in enumerate(notebook.cells) for out in cell.get("outputs", [])
            if out.get("output_type") == "error"]


@pytest.mark.parametrize("name", ["07_finetune_with_trainer.ipynb", "08_training_loop_and_speed.ipynb"])
def test_the_full_profile_runs_end_to_end_with_a_tiny_bert(name, full_profile_cache):
    ran = execute(notebooks_dir() / name, write=False, hf_home=full_profile_cache,
                  env={"COURSE_PROFILE": "full"}, allow_errors=True)
    text = _text(ran)
    assert "profile: full" in text and "bert-base-uncased: local cache" in text and "stanfordnlp/imdb: local cache" in text
    assert ("validation 1000" if name.startswith("07") else "'validation': 1000") in text   # the full sizes ran
    if name.startswith("08"):   # plumbing that holds for any model: DDP's copies agree, the loop matches the Trainer
        assert "identical weights on every rank: True" in text and "weights agree within 1e-6: True" in text
    # A tiny random BERT cannot make the claims a pretrained one makes (that fine-tuning beats naive
    # Bayes, that LoRA trails the full fine-tune): only those checks may fail. Any other error is a
    # broken code path, and so is a claim's check failing in a cell that is not a claim's check.
    broken = [(index, ename, source[-300:]) for index, ename, source in _errors(ran)
              if ename != "AssertionError" or "claim" not in source]
    assert not broken, broken
