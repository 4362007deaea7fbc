"""Fine-tuning helpers shared by notebooks 07 and 08 and the multi-process script (``course_utils.ddp``).

What a learner should see being built (the tokenizer call, the Trainer, the training loop)
stays in the notebooks; this module holds the pieces they share: cutting a long review to its
head and tail, tokenizing a ``DatasetDict`` that way, the optimizer's parameter groups, the
labels, turning the Trainer's log into curves, classifying new text exactly as the model was trained
(``classify``, ``ReviewClassifier``), and two measurements notebook 08 makes: the
expected calibration error and the activation memory a training step keeps for its backward pass.
"""

from __future__ import annotations

from typing import Any, Sequence

from .errors import InputError
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
    if max_length < head + 2:
        raise InputError(f"max_length={max_length} leaves no room for [SEP] after [CLS] and {head} head tokens. "
                         f"Fix: make max_length at least head + 2 = {head + 2} (head = max_length - 2 keeps the start only).")
    if head < 0:
        raise InputError(f"head must be 0 or more, not {head}. Fix: head=0 keeps only the end; the course uses 128.")
    if len(ids) <= max_length:
        return ids
    tail = max_length - head - 1  # the tail includes the final [SEP] (a tail of 1 is [SEP] alone)
    return ids[:head + 1] + ids[-tail:]


def cut_token_ids(texts: Sequence[str], tokenizer, max_length: int, head: int = HEAD_TOKENS) -> list[list[int]]:
    """Each text's token ids (with `[CLS]` and `[SEP]`), cut by ``head_and_tail``: how training reads a review."""
    return [head_and_tail(row, max_length, head) for row in tokenizer(list(texts))["input_ids"]]


def tokenize_reviews(dataset, tokenizer, max_length: int, head: int = HEAD_TOKENS):  # -> datasets.Dataset(Dict)
    """Tokenize a `text` column with ``datasets.map(batched=True)``, cut long reviews to head and tail,
    drop `text`, and add `length` (the Trainer's `group_by_length` and our padding sums read it).

    No padding here: ``DataCollatorWithPadding`` pads each batch to its own longest review.
    """

    def tokenize(batch: dict) -> dict:
        ids = cut_token_ids(batch["text"], tokenizer, max_length, head)
        return {"input_ids": ids, "attention_mask": [[1] * len(row) for row in ids],
                "length": [len(row) for row in ids]}

    return dataset.map(tokenize, batched=True, remove_columns=["text"])


def padded_tokens(lengths: Sequence[int], batch_size: int, pad_to: int | None = None) -> int:
    """Tokens the model processes in one epoch when batches are taken in the given order:
    each batch padded to its own longest member, or to `pad_to` when given."""
    lengths = list(lengths)
    if batch_size < 1:
        raise InputError(f"batch_size must be at least 1, not {batch_size}. Fix: pass a positive batch size.")
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


def freeze_lower_layers(model, count: int) -> int:
    """Freeze the embeddings and the lowest ``count`` encoder layers; returns how many numbers that froze.

    The lower layers of a pretrained BERT hold general knowledge of English that a few hundred
    reviews barely change; frozen, they need no gradients and no saved activations, so a step costs
    less time and memory, and only the top layers and the head learn the task.
    """
    layers = model.base_model.encoder.layer
    if not 0 <= count < len(layers):
        raise InputError(f"cannot freeze {count} layers of this {len(layers)}-layer model. Fix: give a number "
                         f"from 0 to {len(layers) - 1}, so that at least the top layer still trains.")
    frozen = freeze_embeddings(model)
    for layer in layers[:count]:
        for parameter in layer.parameters():
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
        raise InputError("the log has no losses. Fix: train with logging_steps and an eval_strategy first, then pass "
                         "trainer.state.log_history.")
    return series



def calibration_bins(probabilities, n_bins: int):  # -> np.ndarray of bin indices, 0 .. n_bins - 1
    """The bin of each probability among `n_bins` equal-width bins of [0, 1], exactly as
    ``sklearn.calibration.calibration_curve`` assigns them (1.0 falls in the last bin)."""
    import numpy as np

    return np.searchsorted(np.linspace(0.0, 1.0, n_bins + 1)[1:-1], probabilities, side="right")


def expected_calibration_error(probabilities: Sequence[float], labels: Sequence[int], n_bins: int = 10) -> float:
    """Expected calibration error of a binary classifier's P(positive), binned as
    ``sklearn.calibration.calibration_curve(labels, probabilities, n_bins=n_bins)`` bins them.

    In each of `n_bins` equal-width bins of predicted probability, compare the share of reviews
    that really are positive with the mean predicted probability; ECE is the mean gap, weighted by
    how many reviews fall in each bin. 0 is perfectly calibrated; scikit-learn draws the diagram but
    has no ECE, so this sums the gaps of the same bins.
    """
    import numpy as np

    probabilities, labels = np.asarray(probabilities, dtype=float), np.asarray(labels)
    if probabilities.shape != labels.shape or probabilities.ndim != 1 or len(labels) == 0:
        raise InputError(f"probabilities and labels must be two 1-D sequences of the same non-zero length, "
                         f"not shapes {probabilities.shape} and {labels.shape}. Fix: one probability per label.")
    if probabilities.min() < 0 or probabilities.max() > 1:
        raise InputError("probabilities must lie in [0, 1]. Fix: pass P(positive), e.g. softmax(logits)[:, 1], not logits.")
    if n_bins < 1:
        raise InputError(f"n_bins must be at least 1, not {n_bins}. Fix: the course uses n_bins=10.")
    bins = calibration_bins(probabilities, n_bins)
    total = 0.0
    for b in np.unique(bins):
        inside = bins == b
        total += inside.sum() * abs(labels[inside].mean() - probabilities[inside].mean())
    return float(total / len(labels))


def saved_activation_bytes(model, batch: dict) -> int:
    """Bytes of the tensors one forward pass keeps for the backward pass (the activations), for this batch.

    This is the part of training memory that grows with the batch size and the sequence length;
    the weights, their gradients and AdamW's two running averages do not. Counted exactly, with
    ``torch.autograd.graph.saved_tensors_hooks``: each saved tensor's storage once, the model's
    own weights left out. (On a GPU, ``torch.cuda.max_memory_allocated()`` measures the whole peak.)
    """
    import torch

    weights = {parameter.untyped_storage().data_ptr() for parameter in model.parameters()}
    saved: dict[int, int] = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in weights:
            saved[storage.data_ptr()] = storage.nbytes()
        # Not `tensor` itself: a saved output would then hold its own grad_fn, a reference cycle through
        # C++ that no garbage collection frees, and every activation of the pass would stay in memory.
        return tensor.detach()

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        model(**batch)
    return sum(saved.values())


#: The key under which a saved model's config.json records how it cut reviews in training.
RECIPE_KEY = "head_and_tail"


def classify(texts: Sequence[str], model, tokenizer, max_length: int, head: int = HEAD_TOKENS,
             batch_size: int = 64):  # -> np.ndarray, one row of class probabilities per text
    """Class probabilities for `texts`, each read the way the model was trained: tokenized, cut to
    `max_length` tokens by ``head_and_tail``, padded per batch, in evaluation mode, with no autograd,
    on the model's own device. Rows come back in the order of `texts`.

    A plain ``pipeline(..., truncation=True)`` keeps the *first* tokens instead; for a model trained
    on heads and tails that is a different input than the one it learned from.
    """
    import numpy as np
    import torch

    if isinstance(texts, str):
        raise InputError("classify takes a list of texts. Fix: for one text write classify([text], ...).")
    texts = list(texts)
    if not texts:
        return np.zeros((0, model.config.num_labels))
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    rows = []
    try:
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                ids = cut_token_ids(texts[start:start + batch_size], tokenizer, max_length, head)
                batch = tokenizer.pad({"input_ids": ids}, return_tensors="pt")
                logits = model(**{key: value.to(device) for key, value in batch.items()}).logits
                rows.append(torch.softmax(logits.float(), dim=-1).cpu().numpy())
    finally:
        model.train(was_training)
    return np.concatenate(rows)


class ReviewClassifier:
    """A fine-tuned model and its tokenizer, reading text exactly as in training (``classify``).

    ``ReviewClassifier.load(folder)`` reads the cut (`max_length`, `head`) from the folder's
    config.json, where notebook 07 records it before saving; calling the object on a list of texts
    returns ``[{"label": "pos", "score": 0.97}, ...]``, the shape a ``pipeline`` returns.
    """

    def __init__(self, model, tokenizer, max_length: int, head: int = HEAD_TOKENS) -> None:
        head_and_tail([], max_length, head)  # refuse a cut that leaves no room, now rather than later
        self.model, self.tokenizer, self.max_length, self.head = model, tokenizer, max_length, head

    @classmethod
    def load(cls, folder, device: str = "cpu") -> "ReviewClassifier":
        """Load a model saved with its recipe (``config.head_and_tail``) and its tokenizer from `folder`."""
        from pathlib import Path

        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from .errors import CourseError

        folder = Path(folder)
        if not (folder / "config.json").is_file():
            raise CourseError(f"{folder} holds no saved model (no config.json). Fix: run notebook 07 up to "
                              "`trainer.save_model`, or pass the folder you saved to.")
        model = AutoModelForSequenceClassification.from_pretrained(folder).to(device)
        recipe = getattr(model.config, RECIPE_KEY, None)
        if not isinstance(recipe, dict) or not {"max_length", "head"} <= set(recipe):
            raise CourseError(f"{folder}/config.json does not say how the model cut reviews in training "
                              f"(no '{RECIPE_KEY}' entry). Fix: before saving, set "
                              f"model.config.{RECIPE_KEY} = {{'max_length': MAX_LENGTH, 'head': HEAD}}.")
        return cls(model, AutoTokenizer.from_pretrained(folder), int(recipe["max_length"]), int(recipe["head"]))

    def probabilities(self, texts: Sequence[str]):  # -> np.ndarray
        """One row of class probabilities per text, in order."""
        return classify(texts, self.model, self.tokenizer, self.max_length, self.head)

    def __call__(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        names = self.model.config.id2label
        return [{"label": names[int(row.argmax())], "score": float(row.max())} for row in self.probabilities(texts)]
