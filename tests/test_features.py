"""Sentence vectors from the offline BERT: pooling, order, truncation side, clear errors."""

from __future__ import annotations

import pytest
import torch

from course_utils import features, sentence_vectors


def test_mean_pool_leaves_padding_out():
    hidden = torch.tensor([[[1.0, 1.0], [3.0, 3.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert features.mean_pool(hidden, mask).tolist() == [[2.0, 2.0]]


def test_vectors_have_length_one_and_keep_the_input_order():
    texts = ["A long sentence about a wonderful film that everyone loved.", "Short.", "The train was late again."]
    together = sentence_vectors(texts)
    one_by_one = torch.cat([sentence_vectors([t]) for t in texts])
    assert together.shape == (3, 384)
    assert torch.allclose(together.norm(dim=1), torch.ones(3), atol=1e-5)
    assert torch.allclose(together, one_by_one, atol=1e-5), "batching by length must not change or reorder results"


def test_similar_meaning_is_closer_than_unrelated():
    good, also_good, unrelated = sentence_vectors(["I loved this film.", "A wonderful movie, I enjoyed it.",
                                                   "The invoice is due on Friday."])
    assert good @ also_good > good @ unrelated + 0.2


def test_keep_end_keeps_the_last_tokens_and_restores_the_tokenizer():
    text = "one two three four five six seven eight nine ten eleven twelve"
    start = sentence_vectors([text], max_length=6)
    end = sentence_vectors([text], max_length=6, keep="end")
    assert torch.allclose(start, sentence_vectors(["one two three four"], max_length=6), atol=1e-6)
    assert torch.allclose(end, sentence_vectors(["nine ten eleven twelve"], max_length=6), atol=1e-6)
    assert features.load_encoder()[0].truncation_side == "right"


@pytest.mark.parametrize("bad, kind, message", [("one text", TypeError, "wrap a single text"), ([], ValueError, "at least one"),
                                                (["x"], ValueError, "keep must be")])
def test_bad_input_is_named(bad, kind, message):
    with pytest.raises(kind, match=message):
        sentence_vectors(bad, keep="middle" if message == "keep must be" else "start")
