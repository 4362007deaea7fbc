"""Sentence vectors from the course's offline BERT, for notebooks 03, 05 and 07.

all-MiniLM-L6-v2 was trained so that the mean of its token vectors (padding left out), scaled to
length 1, is a sentence vector whose dot products measure similarity of meaning. Notebooks use it
for cosine-similarity heatmaps, for logistic regression on frozen features, and as the cheap
strong baseline that fine-tuning must beat.
"""

from __future__ import annotations

from typing import Sequence
from .errors import InputError

SENTENCE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


_ENCODERS: dict[str, tuple] = {}


def load_encoder(model_id: str = SENTENCE_MODEL):  # -> (tokenizer, model)
    """Tokenizer and model (eval mode) for `model_id`, via ``course_utils.model_path``; loaded once."""
    if model_id not in _ENCODERS:
        from transformers import AutoModel, AutoTokenizer

        from .hub import model_path

        path = model_path(model_id)
        _ENCODERS[model_id] = (AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval())
    return _ENCODERS[model_id]


def mean_pool(hidden, attention_mask):  # (batch, seq, d), (batch, seq) -> (batch, d)
    """The average of the token vectors where `attention_mask` is 1 (padding is left out)."""
    weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


def sentence_vectors(texts: Sequence[str], max_length: int = 64, batch_size: int = 32,
                     model_id: str = SENTENCE_MODEL, normalize: bool = True, keep: str = "start"):  # -> (n, d)
    """One vector per text: mean-pooled last hidden states of `max_length` tokens of it.

    `keep` says which tokens a long text keeps: "start" (the usual truncation) or "end" (a
    review's verdict is often in its last lines).

    Texts are encoded in batches sorted by length, so little time goes into padding; the result
    comes back in the original order. With `normalize`, each vector has length 1, so a dot
    product is the cosine similarity.
    """
    import torch

    if isinstance(texts, str):
        raise InputError("sentence_vectors() takes a list of texts. Fix: wrap a single text in a list: [text].")
    texts = list(texts)
    if not texts:
        raise InputError("sentence_vectors() needs at least one text. Fix: pass a non-empty list.")
    if keep not in ("start", "end"):
        raise InputError(f"keep must be 'start' or 'end', not {keep!r}. Fix: keep='start' (the usual) or keep='end'.")
    tokenizer, model = load_encoder(model_id)
    side = {"start": "right", "end": "left"}[keep]  # the side the tokenizer cuts away
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors = torch.empty(len(texts), model.config.hidden_size)
    saved_side, tokenizer.truncation_side = tokenizer.truncation_side, side
    try:
        _encode(texts, order, tokenizer, model, vectors, max_length, batch_size, normalize)
    finally:
        tokenizer.truncation_side = saved_side
    return vectors


def _encode(texts, order, tokenizer, model, vectors, max_length, batch_size, normalize) -> None:
    import torch

    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            batch = tokenizer([texts[i] for i in chunk], truncation=True, max_length=max_length,
                              padding=True, return_tensors="pt")
            pooled = mean_pool(model(**batch).last_hidden_state, batch["attention_mask"])
            vectors[chunk] = torch.nn.functional.normalize(pooled, dim=-1) if normalize else pooled
