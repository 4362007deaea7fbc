"""Sentence vectors from the course's offline BERT, for notebooks 03, 05, 07 and 08.

all-MiniLM-L6-v2 was trained so that the mean of its token vectors (padding left out), scaled to
length 1, is a sentence vector whose dot products measure similarity of meaning. Notebooks use it
for cosine-similarity heatmaps, for logistic regression on frozen features, and as the cheap
strong baseline that fine-tuning must beat. ``pooled_outputs`` also gives the two other summaries
of a text a BERT offers, its `[CLS]` vector and the pooler's output (what
``AutoModelForSequenceClassification`` puts its head on), so that notebook 07 can compare them.
"""

from __future__ import annotations

from typing import Sequence

from .errors import InputError

SENTENCE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
#: Which tokens of a long text are kept: the start (the usual truncation), the end, or both.
KEEPS = ("start", "end", "head_and_tail")
#: The summaries of a text that ``pooled_outputs`` returns.
POOLINGS = ("mean", "cls", "pooler")

_ENCODERS: dict[tuple[str, str], tuple] = {}


def load_encoder(model_id: str = SENTENCE_MODEL, device: str = "cpu"):  # -> (tokenizer, model)
    """Tokenizer and model (eval mode, on `device`) for `model_id`, via ``course_utils.model_path``;
    loaded once per device."""
    key = (model_id, str(device))
    if key not in _ENCODERS:
        from transformers import AutoModel, AutoTokenizer

        from .hub import model_path

        path = model_path(model_id)
        _ENCODERS[key] = (AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval().to(device))
    return _ENCODERS[key]


def mean_pool(hidden, attention_mask):  # (batch, seq, d), (batch, seq) -> (batch, d)
    """The average of the token vectors where `attention_mask` is 1 (padding is left out)."""
    weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


def _checked_texts(texts, name: str) -> list[str]:
    from .finetune import as_texts

    texts = as_texts(texts, f"{name}()")
    if not texts:
        raise InputError(f"{name}() needs at least one text. Fix: pass a non-empty list.")
    return texts


def pooled_outputs(texts: Sequence[str], max_length: int = 64, batch_size: int = 32, model_id: str = SENTENCE_MODEL,
                   keep: str = "start", head: int = 16, device: str = "cpu", autocast_dtype=None,
                   poolings: Sequence[str] = POOLINGS, encoder=None) -> dict:  # -> {pooling: (n, d) float32 tensor on the CPU}
    """Summaries of each text from one pass of the encoder over `max_length` of its tokens.

    - ``"mean"``: the mean of the last layer's token vectors (padding left out): what
      sentence-transformers trained all-MiniLM-L6-v2 to make meaningful;
    - ``"cls"``: the last layer's vector at `[CLS]`, the first token;
    - ``"pooler"``: ``tanh(dense([CLS]))``, the pooler's output, on which
      ``BertForSequenceClassification`` puts its classification head.

    `keep` says which tokens a long text keeps: "start" (the usual truncation), "end" (a review's
    verdict is often in its last lines) or "head_and_tail" (`[CLS]`, the first `head` tokens and the
    end, as ``finetune.head_and_tail`` cuts them). The model runs on `device` (under autocast with
    `autocast_dtype` where given: ``config.autocast_dtype`` on a GPU); texts are encoded in batches
    sorted by length, so little time goes into padding, and the rows come back in the input order.
    `encoder`, a (tokenizer, model) pair, replaces `model_id`'s: e.g. the encoder of a model you
    fine-tuned (``model.base_model``), which must already be on `device`.
    """
    import torch

    from .finetune import head_and_tail

    texts = _checked_texts(texts, "sentence_vectors")
    if keep not in KEEPS:
        raise InputError(f"keep must be one of {', '.join(map(repr, KEEPS))}, not {keep!r}. "
                         "Fix: keep='start' (the usual), keep='end' or keep='head_and_tail'.")
    unknown = [name for name in poolings if name not in POOLINGS]
    if unknown or not poolings:
        raise InputError(f"poolings must be some of {POOLINGS}, not {list(poolings)}. Fix: e.g. poolings=('mean',).")
    if keep == "head_and_tail":
        head_and_tail([], max_length, head)   # refuses a cut that leaves no room, before any work
    tokenizer, model = encoder if encoder is not None else load_encoder(model_id, device)
    was_training = model.training
    model.eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = {name: torch.empty(len(texts), model.config.hidden_size) for name in poolings}
    try:
        with torch.inference_mode(), torch.autocast(torch.device(device).type, dtype=autocast_dtype,
                                                    enabled=autocast_dtype is not None):
            for start in range(0, len(order), batch_size):
                chunk = order[start:start + batch_size]
                ids = tokenizer([texts[i] for i in chunk])["input_ids"]
                if keep == "start":
                    ids = [row if len(row) <= max_length else row[:max_length - 1] + row[-1:] for row in ids]
                elif keep == "end":
                    ids = [row if len(row) <= max_length else row[:1] + row[len(row) - max_length + 1:] for row in ids]
                else:
                    ids = [head_and_tail(row, max_length, head) for row in ids]
                batch = tokenizer.pad({"input_ids": ids}, return_tensors="pt").to(device)
                output = model(**batch)
                hidden = output.last_hidden_state.float()
                summaries = {"mean": lambda: mean_pool(hidden, batch["attention_mask"]), "cls": lambda: hidden[:, 0],
                             "pooler": lambda: output.pooler_output.float()}
                for name in poolings:
                    out[name][chunk] = summaries[name]().cpu()
    finally:
        model.train(was_training)
    return out


def sentence_vectors(texts: Sequence[str], max_length: int = 64, batch_size: int = 32,
                     model_id: str = SENTENCE_MODEL, normalize: bool = True, keep: str = "start", head: int = 16,
                     device: str = "cpu", autocast_dtype=None):  # -> (n, d) float32 tensor on the CPU
    """One vector per text: the mean-pooled last hidden states of `max_length` of its tokens
    (``pooled_outputs``' "mean"; `keep`, `head`, `device` and `autocast_dtype` as there).

    With `normalize`, each vector has length 1, so a dot product is the cosine similarity.
    """
    import torch

    vectors = pooled_outputs(texts, max_length, batch_size, model_id, keep, head, device, autocast_dtype,
                             poolings=("mean",))["mean"]
    return torch.nn.functional.normalize(vectors, dim=-1) if normalize else vectors
