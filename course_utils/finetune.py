"""Fine-tuning helpers shared by notebooks 07 and 08 and the multi-process script (``course_utils.ddp``).

What a learner should see being built (the tokenizer call, the Trainer, the training loop)
stays in the notebooks; this module holds the pieces they share: cutting a long review to its
head and tail, tokenizing a ``DatasetDict`` that way, the optimizer's parameter groups, the
labels, turning the Trainer's log into curves, classifying new text exactly as the model was trained
(``classify``, ``ReviewClassifier``), what a BERT layer's arithmetic costs and what that means in
time on a GPU (``bert_flops``, ``gpu_seconds``), and two measurements notebook 08 makes: the
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


_METRICS = ("loss", "accuracy", "precision", "recall", "f1")


def trainer_curves(log_history: Sequence[dict]) -> dict[str, tuple[list[float], list[float]]]:
    """The Trainer's ``state.log_history`` as curves against the step, for ``plotting.curves``.

    "training loss" from ``loss``; each evaluation metric by the name of its data set: ``eval_accuracy``
    (one eval data set) becomes "validation accuracy", ``eval_train_accuracy`` (a dict of eval data
    sets, one named "train") becomes "train accuracy". Runtimes and speeds are left out.
    """
    skip = ("runtime", "samples_per_second", "steps_per_second", "epoch")
    series: dict[str, tuple[list[float], list[float]]] = {}
    for entry in log_history:
        if "step" not in entry:
            continue
        for key, value in entry.items():
            if key == "loss":
                name = "training loss"
            elif key.startswith("eval_") and not key.endswith(skip) and isinstance(value, (int, float)):
                rest = key.removeprefix("eval_")
                dataset, _, metric = rest.partition("_")
                name = f"{dataset} {metric}" if metric and dataset not in _METRICS else f"validation {rest}"
            else:
                continue
            xs, ys = series.setdefault(name, ([], []))
            xs.append(float(entry["step"]))
            ys.append(float(value))
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


#: What to expect on real IMDb, for a learner online (where the reviews are real IMDb) to compare with their
#: own run: measured by the course's maintainers on 1,180 held-out real IMDb reviews that no run trained on
#: (issue 38 of the course's tracker), for two earlier quick recipes (neither is exactly today's 07 or 08
#: recipe), and published for bert-base (Sun et al., 2019, table 3).
REAL_IMDB_MEASURED = (
    "What to expect on real IMDb: the course's maintainers measured, on 1,180 held-out real IMDb reviews (issue 38 "
    "of the course's tracker), two earlier quick recipes, not exactly this one: MiniLM fine-tuned on about 1,100 "
    "real reviews scored 0.81 trained and served at 64 tokens (head 16), and 0.84 at 128 tokens (head 32, nothing "
    "frozen, 2 epochs, learning rate 1e-4); 08's quick loop trains on fewer reviews. Published: bert-base at 512 "
    "tokens, head and tail, trained on all 25,000, 94.6% test accuracy (Sun et al., 2019, table 3).")

#: The key under which a saved model's config.json records how it cut reviews in training.
RECIPE_KEY = "head_and_tail"
_RECIPE_FIX = (f"set model.config.{RECIPE_KEY} = {{'max_length': MAX_LENGTH, 'head': HEAD}} with the values it was "
               "trained with, and save it again")


def as_texts(texts, name: str = "classify") -> list[str]:
    """`texts` as a list of str, or an ``InputError`` that names the fix: one text, a dict (such as a data
    set's rows, ``dataset[:5]``, whose keys would be read as texts), a data set or non-text items."""
    if isinstance(texts, str):
        raise InputError(f"{name} takes a list of texts. Fix: wrap a single text in a list: {name}([text]).")
    if hasattr(texts, "keys") or hasattr(texts, "column_names"):
        columns = list(getattr(texts, "column_names", None) or texts.keys())
        raise InputError(f"{name} takes a list of texts, not a dict or a data set (columns {columns}): its keys or rows "
                         f"would be read as the texts. Fix: pass the text column, e.g. dataset['text'] or dataset[:5]['text'].")
    texts = list(texts)
    wrong = [item for item in texts if not isinstance(item, str)][:1]
    if wrong:
        raise InputError(f"{name} takes texts (str), not {type(wrong[0]).__name__}. Fix: pass the reviews' text, "
                         "e.g. dataset['text'].")
    return texts


def classify(texts: Sequence[str], model, tokenizer, max_length: int, head: int = HEAD_TOKENS,
             batch_size: int = 64, autocast_dtype=None):  # -> np.ndarray, one row of class probabilities per text
    """Class probabilities for `texts`, each read the way the model was trained: tokenized, cut to
    `max_length` tokens by ``head_and_tail``, padded per batch, in evaluation mode, with no autograd,
    on the model's own device (under autocast with `autocast_dtype` where given: ``config.autocast_dtype``
    on a GPU, as training ran). Rows come back in the order of `texts`.

    A plain ``pipeline(..., truncation=True)`` keeps the *first* tokens instead; for a model trained
    on heads and tails that is a different input than the one it learned from.
    """
    import numpy as np
    import torch

    texts = as_texts(texts)
    if not texts:
        return np.zeros((0, model.config.num_labels))
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    rows = []
    try:
        with torch.inference_mode(), torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            for start in range(0, len(texts), batch_size):
                ids = cut_token_ids(texts[start:start + batch_size], tokenizer, max_length, head)
                batch = tokenizer.pad({"input_ids": ids}, return_tensors="pt")
                logits = model(**{key: value.to(device) for key, value in batch.items()}).logits
                rows.append(torch.softmax(logits.float(), dim=-1).cpu().numpy())
    finally:
        model.train(was_training)
    return np.concatenate(rows)


def checked_recipe(recipe, max_positions: int, where: str = "the recipe") -> tuple[int, int]:
    """(max_length, head) from a saved recipe ``{"max_length": ..., "head": ...}``, checked: whole numbers,
    a head that leaves room for the tail, and a length the model's position table can hold
    (`max_positions`, its ``max_position_embeddings``). Raises a ``CourseError`` naming the fix."""
    from .errors import CourseError

    if not isinstance(recipe, dict) or not {"max_length", "head"} <= set(recipe):
        raise CourseError(f"{where} does not say how the model cut reviews in training (no '{RECIPE_KEY}' entry with "
                          f"max_length and head). Fix: {_RECIPE_FIX}.")
    values = {}
    for key in ("max_length", "head"):
        value = recipe[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise CourseError(f"{where} gives {key} = {value!r}; it must be a whole number of tokens. Fix: {_RECIPE_FIX}.")
        values[key] = value
    max_length, head = values["max_length"], values["head"]
    if not 2 <= max_length <= max_positions:
        raise CourseError(f"{where} gives max_length = {max_length}, but this model reads 2 to {max_positions} tokens "
                          f"(its position table, max_position_embeddings, has {max_positions} rows). Fix: {_RECIPE_FIX}.")
    if not 0 <= head <= max_length - 2:
        raise CourseError(f"{where} gives head = {head} with max_length = {max_length}: the head must be from 0 to "
                          f"max_length - 2 = {max_length - 2}, leaving room for [CLS] and [SEP]. Fix: {_RECIPE_FIX}.")
    return max_length, head


class ReviewClassifier:
    """A fine-tuned model and its tokenizer, reading text exactly as in training (``classify``).

    ``ReviewClassifier.load(folder)`` reads the cut (`max_length`, `head`) from the folder's
    config.json, where notebook 07 records it before saving, and checks it against the model;
    calling the object on a list of texts returns ``[{"label": "pos", "score": 0.97}, ...]``, the shape
    a ``pipeline`` returns.
    """

    def __init__(self, model, tokenizer, max_length: int, head: int = HEAD_TOKENS, autocast_dtype=None) -> None:
        self.max_length, self.head = checked_recipe({"max_length": max_length, "head": head},
                                                    int(getattr(model.config, "max_position_embeddings", 512)),
                                                    where="ReviewClassifier(...)")
        self.model, self.tokenizer, self.autocast_dtype = model, tokenizer, autocast_dtype

    @classmethod
    def load(cls, folder, device: str = "cpu", autocast_dtype=None) -> "ReviewClassifier":
        """Load a model saved with its recipe (``config.head_and_tail``) and its tokenizer from `folder`."""
        from pathlib import Path

        from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

        from .errors import CourseError

        folder = Path(folder)
        if not (folder / "config.json").is_file():
            raise CourseError(f"{folder} holds no saved model (no config.json). Fix: run notebook 07 up to "
                              "`trainer.save_model`, or pass the folder you saved to.")
        config = AutoConfig.from_pretrained(folder)   # checked before the weights are read
        max_length, head = checked_recipe(getattr(config, RECIPE_KEY, None),
                                          int(getattr(config, "max_position_embeddings", 512)),
                                          where=f"{folder / 'config.json'}")
        model = AutoModelForSequenceClassification.from_pretrained(folder).to(device)
        return cls(model, AutoTokenizer.from_pretrained(folder), max_length, head, autocast_dtype)

    def probabilities(self, texts: Sequence[str]):  # -> np.ndarray
        """One row of class probabilities per text, in order."""
        return classify(as_texts(texts, "ReviewClassifier"), self.model, self.tokenizer, self.max_length, self.head,
                        autocast_dtype=self.autocast_dtype)

    def __call__(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        names = self.model.config.id2label
        return [{"label": names[int(row.argmax())], "score": float(row.max())} for row in self.probabilities(texts)]


# What the arithmetic of a BERT costs, and what that means in time on a GPU.

def bert_flops(config, widths: Sequence[int], batch_size: int = 1, training: bool = True) -> dict[str, float]:
    """Floating-point operations of a BERT encoder over batches padded to `widths` (one width per batch
    of `batch_size` rows), split into what grows linearly with the length and what grows with its square.

    Per layer and token, the four attention projections cost 2·4·d² and the feed-forward block
    2·2·d·d_ff (d = ``hidden_size``, d_ff = ``intermediate_size``): linear in the length T. Only the
    attention scores Q·Kᵀ and their weighted sum of V cost 2·2·T·d per token, so 4·T²·d per sequence:
    quadratic. Training costs about 3 times a forward pass (the backward pass computes two products
    for every one of the forward pass). Embedding look-ups, layer norms, softmax and the head are
    left out: they are small beside the matrix products.
    """
    d, d_ff, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    factor = 3 if training else 1
    projections = feed_forward = scores = 0.0
    for width in widths:
        tokens = batch_size * width
        projections += factor * layers * tokens * 2 * 4 * d * d
        feed_forward += factor * layers * tokens * 2 * 2 * d * d_ff
        scores += factor * layers * batch_size * 4 * width * width * d
    return {"projections": projections, "feed-forward": feed_forward, "attention scores": scores,
            "total": projections + feed_forward + scores}


#: For each GPU: its dense 16-bit tensor-core peak from NVIDIA's data sheets (T4: 65 TFLOPS fp16; A100: 312
#: TFLOPS bf16), and the share of it that BERT fine-tuning in eager PyTorch with the Trainer sustains
#: ("model FLOPs utilisation") that we assume: lower on a T4 (a 70 W card that slows down when hot, with little
#: memory bandwidth for the softmax and layer norms of 512-token sequences). The shares are assumptions, not
#: measurements of ours: no GPU was lent to the course's builders. A run on a GPU prints its own time; compare.
GPU_PEAKS = {"T4 (fp16)": (65e12, (0.10, 0.30)), "A100 (bf16)": (312e12, (0.20, 0.40))}


def gpu_seconds(flops: float, gpu: str) -> tuple[float, float]:
    """(fast, slow) seconds that `flops` take on `gpu` (a key of ``GPU_PEAKS``) at its assumed utilisation."""
    if gpu not in GPU_PEAKS:
        raise InputError(f"no peak is recorded for {gpu!r}. Fix: one of {', '.join(GPU_PEAKS)}.")
    peak, (low, high) = GPU_PEAKS[gpu]
    return flops / (peak * high), flops / (peak * low)
