"""Checkers of notebook 06 (self-attention). Each computes the right answers itself, runs the learner's
answer on fresh inputs, and raises ``Wrong`` with a reason the learner can act on (see ``helpers``)."""

from __future__ import annotations

from typing import Any

from .helpers import (Wrong, all_close, exercise, expect_callable, largest_gap, plain_array, plain_count,
                      tensor_values, unchanged)

# --------------------------------------------------------------------------- 06.causal_mask

CAUSAL_SIZES = (1, 3, 7)

CAUSAL_MASK = exercise("06.causal_mask", hint="token i may look at tokens 0..i: which triangle of a T x T grid is that, "
                       "diagonal included? torch has a function that keeps one triangle of a matrix.", needs=("torch",))


@CAUSAL_MASK.run
def _(causal_mask: Any) -> list[dict]:
    expect_callable(causal_mask, "causal_mask")
    return [plain_array(causal_mask(size), (size, size), f"causal_mask({size})",
                        "a mask of -inf and 0 is the additive form; this exercise wants booleans (dtype=torch.bool, "
                        "True = may attend)") for size in CAUSAL_SIZES]


def _causal(size: int) -> list[bool]:
    return [column <= row for row in range(size) for column in range(size)]


@CAUSAL_MASK.judge
def _(got: list[dict], wanted: None) -> None:
    for size, mask in zip(CAUSAL_SIZES, got):
        if mask["kind"] != "bool":
            raise Wrong(f"causal_mask({size}) holds {mask['kind']} values; use booleans (dtype=torch.bool, True = may attend).")
    if all(mask["values"] == [not allowed for allowed in _causal(size)] for size, mask in zip(CAUSAL_SIZES, got)):
        raise Wrong("your mask is inverted: True must mark the positions a token MAY attend to.")
    for size, mask in zip(CAUSAL_SIZES, got):
        if mask["values"] != _causal(size):
            raise Wrong(f"causal_mask({size}) lets a token see the wrong positions: row i must be True for columns 0..i only.")


# --------------------------------------------------------------------------- 06.scaled_attention

SCALED_ATTENTION = exercise("06.scaled_attention", hint="write the four steps of section 2 yourself: scores from q and "
                            "k, scaled by the square root of d; masked positions get a score that softmax turns into 0; "
                            "softmax over the keys; a weighted sum of v.", needs=("torch",))
#: The masks tried: none, causal (tokens x tokens), and padding (batch, 1, 1, tokens): the second review of the
#: batch has two padded tokens at its end, which no query may attend to.
MASK_KINDS = ("without a mask", "with a causal mask", "with a padding mask of shape (2, 1, 1, 5)")


_NOT_FINITE = ("somewhere a number overflowed or 0 was divided by 0: exp() of a large score, or a row whose every "
               "score was masked (softmax of all -inf is 0/0; is the mask inverted? True = may attend)")


def _attention_cases():  # -> list of (q, k, v, mask or None), fresh tensors
    import torch

    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 5, 8, generator=generator) for _ in range(3))
    causal = torch.ones(5, 5, dtype=torch.bool).tril()
    padding = torch.ones(2, 1, 1, 5, dtype=torch.bool)
    padding[1, ..., 3:] = False
    return [(q.clone(), k.clone(), v.clone(), mask) for mask in (None, causal, padding)]


@SCALED_ATTENTION.reference
def _() -> list[list[float]]:
    import torch.nn.functional as F

    return [tensor_values(F.scaled_dot_product_attention(q, k, v, attn_mask=mask)) for q, k, v, mask in _attention_cases()]


@SCALED_ATTENTION.run
def _(attention: Any) -> list[dict]:
    from torch.overrides import TorchFunctionMode

    called: list[str] = []

    class Watch(TorchFunctionMode):  # notes a call of PyTorch's own attention, however it was imported
        def __torch_function__(self, func, types, args=(), kwargs=None):
            if "scaled_dot_product_attention" in getattr(func, "__name__", ""):
                called.append(func.__name__)
            return func(*args, **(kwargs or {}))

    expect_callable(attention, "attention")
    answers = []
    for (q, k, v, mask), what in zip(_attention_cases(), MASK_KINDS):
        given = [tensor.clone() for tensor in (q, k, v)] + [None if mask is None else mask.clone()]
        with Watch():
            result = attention(*given[:3]) if mask is None else attention(*given[:3], mask=given[3])
        try:
            answer = plain_array(result, (2, 3, 5, 8), f"the output {what}", _NOT_FINITE)
        except Wrong as exc:  # said when the judge reaches this case: an earlier case's mistake comes first
            extra = (" The padding mask broadcasts over the heads and the queries as it is: use it without adding "
                     "dimensions." if mask is not None and mask.dim() == 4 and "shape" in str(exc) else "")
            answers.append({"wrong": f"{exc}{extra}", "called": bool(called)})
            continue
        answer["changed"] = not all(unchanged(before, after) for before, after in zip((q, k, v, mask), given)
                                    if before is not None)
        answer["called"] = bool(called)
        answers.append(answer)
    return answers


@SCALED_ATTENTION.judge
def _(got: list[dict], wanted: list[list[float]]) -> None:
    for what, answer, right in zip(MASK_KINDS, got, wanted):
        if answer["called"]:
            raise Wrong("your function calls F.scaled_dot_product_attention, the very function the check compares with: "
                        "write the steps yourself (scores, scaling, mask, softmax, weighted sum).")
        if "wrong" in answer:
            raise Wrong(answer["wrong"])
        if answer["changed"]:
            raise Wrong(f"{what}, your function changed q, k, v or the mask it was given, in place (`/=`, `.div_()`, ...): "
                        "the caller's tensors must stay as they were; compute new tensors instead.")
        if not all_close(answer["values"], right, atol=1e-5):
            gap = largest_gap(answer["values"], right)
            extra = {MASK_KINDS[0]: " Is softmax taken over the keys (the last dimension), and are the scores divided "
                                    "by the square root of d?",
                     MASK_KINDS[2]: " The padding mask has one row per review and must broadcast over the heads and "
                                    "the queries."}.get(what, "")
            raise Wrong(f"the output {what} differs from scaled_dot_product_attention by up to {gap:.3g}.{extra}")


# --------------------------------------------------------------------------- 06.layer_parameters

LAYER_PARAMETERS = exercise("06.layer_parameters", hint="count weights and biases: Q, K, V and output projections, two "
                            "LayerNorms, two feed-forward layers.")


@LAYER_PARAMETERS.reference
def _() -> dict:
    import json
    from pathlib import Path

    from ..hub import resolve_model
    from ..session import MODELS, resolve_device, resolve_profile

    # The model notebook 06 loaded: the one the learner's profile names, picked exactly as setup() picks it
    # (COURSE_PROFILE, else from the device COURSE_DEVICE or the machine gives), never a download of another.
    model_id = MODELS[resolve_profile(gpu=resolve_device() == "cuda")]
    config = json.loads((Path(resolve_model(model_id).path) / "config.json").read_text())
    d, ff = config["hidden_size"], config["intermediate_size"]
    attention = 4 * (d * d + d)
    return {"right": _layer_count(d, ff), "attention": attention, "d": d, "ff": ff}


def _layer_count(d: int, ff: int) -> int:
    """The parameters of one BERT layer of width `d` and feed-forward width `ff`."""
    return 4 * (d * d + d) + 2 * (2 * d) + (d * ff + ff) + (ff * d + d)


@LAYER_PARAMETERS.run
def _(answer: Any) -> int:
    return plain_count(answer, "the parameter count")


@LAYER_PARAMETERS.judge
def _(answer: int, wanted: dict) -> None:
    if answer == wanted["attention"]:
        raise Wrong("that is the attention part only; add the feed-forward layers and the two LayerNorms.")
    if answer == wanted["right"] - 4 * wanted["d"]:
        raise Wrong("close: you left out the LayerNorms (each has a weight and a bias of size d).")
    d, ff, right = wanted["d"], wanted["ff"], wanted["right"]
    other = (384, 1536) if d == 768 else (768, 3072)  # the stand-in and bert-base-uncased: the other one's count
    mistakes = {4 * d * d + 2 * d * ff + 2 * d: "close: those are the weights without any bias (each Linear layer and "
                                                "each LayerNorm has a bias of its own).",
                right - (d * d + d): "close: the attention output projection is missing (Q, K, V and the output: four "
                                     "d x d layers, each with a bias).",
                right - (ff + d): "close: the feed-forward layers' biases are missing (one of size ff, one of size d).",
                right - 2 * d: "close: 2 x d short: the layer has two LayerNorms, each with a weight and a bias of size d.",
                _layer_count(*other): f"that is the count for a model {other[0]} wide; the model in use here is {d} wide "
                                      f"(hidden_size in its config), with a feed-forward layer of {ff}."}
    if answer != right and answer in mistakes:
        raise Wrong(mistakes[answer])
    if answer != right:
        raise Wrong(f"{answer:,} is not the number of parameters in one layer of this model.")
