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


def test_keep_start_end_or_head_and_tail_and_the_tokenizer_is_left_as_it_was():
    text = "one two three four five six seven eight nine ten eleven twelve"
    start = sentence_vectors([text], max_length=6)
    end = sentence_vectors([text], max_length=6, keep="end")
    both = sentence_vectors([text], max_length=6, keep="head_and_tail", head=1)
    assert torch.allclose(start, sentence_vectors(["one two three four"], max_length=6), atol=1e-6)
    assert torch.allclose(end, sentence_vectors(["nine ten eleven twelve"], max_length=6), atol=1e-6)
    assert torch.allclose(both, sentence_vectors(["one ten eleven twelve"], max_length=6), atol=1e-6)
    assert features.load_encoder()[0].truncation_side == "right"


def test_pooled_outputs_give_mean_cls_and_pooler_from_one_pass():
    """The three summaries 07 compares: the mean of the token vectors (sentence_vectors before scaling),
    the [CLS] vector, and the pooler's tanh(dense([CLS])), on which BertForSequenceClassification's head sits."""
    tokenizer, bert = features.load_encoder()
    texts = ["A fine film.", "Dull, and far too long for what it has to say."]
    pooled = features.pooled_outputs(texts, max_length=16)
    assert set(pooled) == {"mean", "cls", "pooler"} and all(v.shape == (2, 384) for v in pooled.values())
    assert torch.allclose(pooled["mean"], sentence_vectors(texts, max_length=16, normalize=False), atol=1e-6)
    with torch.inference_mode():
        output = bert(**tokenizer(texts[1:], return_tensors="pt"))
        by_hand = torch.tanh(bert.pooler.dense(output.last_hidden_state[0, 0]))
    assert torch.allclose(pooled["cls"][1], output.last_hidden_state[0, 0], atol=1e-5)
    assert torch.allclose(pooled["pooler"][1], output.pooler_output[0], atol=1e-5)
    assert torch.allclose(pooled["pooler"][1], by_hand, atol=1e-5)


def test_autocast_changes_the_vectors_only_a_little():
    """On a GPU the notebooks pass config.autocast_dtype; bf16 autocast also runs on the CPU."""
    texts = ["I loved this film.", "The invoice is due on Friday."]
    plain = sentence_vectors(texts)
    half = sentence_vectors(texts, autocast_dtype=torch.bfloat16)
    assert half.dtype == torch.float32 and torch.allclose(plain, half, atol=0.05)


@pytest.mark.parametrize("bad, kind, message", [("one text", TypeError, "wrap a single text"), ([], ValueError, "at least one"),
                                                (["x"], ValueError, "keep must be"),
                                                ({"text": ["a"], "label": [1]}, TypeError, "not a dict"),
                                                (["a", None], TypeError, "not NoneType")])
def test_bad_input_is_named(bad, kind, message):
    with pytest.raises(kind, match=message):
        sentence_vectors(bad, keep="middle" if message == "keep must be" else "start")
