"""Fine-tuning helpers shared by notebooks 07 and 08 and the multi-process script (``course_utils.ddp``).

What a learner should see being built (the tokenizer call, the Trainer, the training loop)
stays in the notebooks; this module holds the pieces they share: cutting a long review to its
head and tail, tokenizing a ``DatasetDict`` that way, the optimizer's parameter groups, the
labels, and turning the Trainer's log into curves.
"""

from __future__ import annotations

from typing import Any, Sequence

from .reviews import LABEL_NAMES

LABELS = dict(enumerate(LABEL_NAMES))  # {0: "neg", 1: "pos"}, as IMDb names them
#: BERT-style models keep the first HEAD_TOKENS and the last (max_length - HEAD_TOKENS - 2) tokens
#: of a long review: openers say what the film is, verdicts come last (Sun et al., 2019, found
#: head + tail best on IMDb).
HEAD_TOKENS = 32


def head_and_tail(ids: Sequence[int], max_length: int, head: int = HEAD_TOKENS) -> list[int]:
    """Token ids cut to at most `max_length`, keeping `[CLS]` + the first `head` tokens and the
    end (the last tokens and `[SEP]`). Ids already short enough come back unchanged.

    `ids` are a tokenizer's output with its special tokens, `[CLS] ... [SEP]`.
    """
    ids = list(ids)
    if max_length < head + 3:
        raise ValueError(f"max_length={max_length} leaves no room for the tail: it must be at least head + 3 = {head + 3}")
    if head < 0:
        raise ValueError(f"head must be 0 or more, not {head}")
    if len(ids) <= max_length:
        return ids
    tail = max_length - head - 1  # the tail includes the final [SEP]
    return ids[:head + 1] + ids[-tail:]


def tokenize_reviews(dataset, tokenizer, max_length: int, head: int = HEAD_TOKENS):  # -> datasets.Dataset(Dict)
    """Tokenize a `text` column with ``datasets.map(batched=True)``, cut long reviews to head and tail,
    drop `text`, and add `length` (the Trainer's `group_by_length` and our padding sums read it).

    No padding here: ``DataCollatorWithPadding`` pads each batch to its own longest review.
    """

    def tokenize(batch: dict) -> dict:
        ids = [head_and_tail(row, max_length, head) for row in tokenizer(batch["text"])["input_ids"]]
        return {"input_ids": ids, "attention_mask": [[1] * len(row) for row in ids],
                "length": [len(row) for row in ids]}

    return dataset.map(tokenize, batched=True, remove_columns=["text"])


def padded_tokens(lengths: Sequence[int], batch_size: int, pad_to: int | None = None) -> int:
    """Tokens the model processes in one epoch when batches are taken in the given order:
    each batch padded to its own longest member, or to `pad_to` when given."""
    lengths = list(lengths)
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    total = 0
    for start in range(0, len(lengths), batch_size):
        batch = lengths[start:start + batch_size]
        total += len(batch) * (pad_to if pad_to is not None else max(batch))
    return total


def parameter_groups(model, weight_decay: float) -> list[dict[str, Any]]:
    """AdamW parameter groups: weight decay on weight matrices only, none on biases and LayerNorm.

    Decay pulls weights towards zero; for a bias or a LayerNorm scale that is not regularization,
    just a wrong prior (a LayerNorm scale of 0 switches its features off). Biases and LayerNorm
    scales and shifts are exactly the 1-D parameters, so the split goes by ``ndim``. Frozen
    parameters (``requires_grad=False``) are left out.
    """
    decay, no_decay = [], []
    for parameter in model.parameters():
        if not parameter.requires_grad:
            continue
        (no_decay if parameter.ndim < 2 else decay).append(parameter)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def label_config() -> dict[str, dict]:
    """`id2label` and `label2id` for ``from_pretrained``: saved in config.json, read by ``pipeline``."""
    return {"id2label": dict(LABELS), "label2id": {name: index for index, name in LABELS.items()}}


def freeze_embeddings(model) -> int:
    """Stop training the embedding layer (word, position, type); returns how many numbers that froze.

    The word embeddings are half of a small BERT's weights. Fine-tuning on a few hundred reviews
    moves only the words those reviews contain, and words they never use drift out of line with
    the rest; left frozen, every word keeps its pretrained vector, and each step is cheaper.
    """
    frozen = 0
    for parameter in model.base_model.embeddings.parameters():
        parameter.requires_grad_(False)
        frozen += parameter.numel()
    return frozen


def trainer_curves(log_history: Sequence[dict]) -> dict[str, tuple[list[float], list[float]]]:
    """The Trainer's ``state.log_history`` as curves against the step: training loss,
    validation loss and validation accuracy (where logged); for ``plotting.curves``."""
    wanted = {"loss": "training loss", "eval_loss": "validation loss", "eval_accuracy": "validation accuracy"}
    series: dict[str, tuple[list[float], list[float]]] = {}
    for entry in log_history:
        for key, name in wanted.items():
            if key in entry and "step" in entry:
                xs, ys = series.setdefault(name, ([], []))
                xs.append(float(entry["step"]))
                ys.append(float(entry[key]))
    if not series:
        raise ValueError("the log has no losses: train with logging_steps and an eval_strategy first")
    return series

