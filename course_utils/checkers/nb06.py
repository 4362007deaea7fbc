"""Checkers of notebook 06 (self-attention): each recomputes the right answer, or tries the learner's
function on cases, and raises ``Wrong`` with a reason the learner can act on."""

from __future__ import annotations

from typing import Any

from .helpers import (Wrong, exercise, expect_callable, expect_tensor, expect_type)


@exercise("06.causal_mask", hint="torch.tril(torch.ones(T, T, dtype=torch.bool)): True on and below the diagonal.")
def _causal_mask(causal_mask: Any) -> None:
    import torch

    expect_callable(causal_mask, "causal_mask")
    for size in (1, 3, 7):
        wanted = torch.ones(size, size, dtype=torch.bool).tril()
        mask = expect_tensor(causal_mask(size), wanted, f"causal_mask({size})")
        if mask.dtype != torch.bool:
            raise Wrong(f"causal_mask({size}) has dtype {mask.dtype}; use booleans (True = may attend).")
        if not torch.equal(mask, wanted):
            if torch.equal(mask, ~wanted):
                raise Wrong("your mask is inverted: True must mark the positions a token MAY attend to.")
            raise Wrong(f"causal_mask({size}) lets a token see the wrong positions: row i must be True for columns 0..i only.")


@exercise("06.scaled_attention", hint="scores = q @ k.transpose(-2, -1) / sqrt(d); fill masked scores with -inf; softmax over the last axis; times v.")
def _scaled_attention(attention: Any) -> None:
    import torch
    import torch.nn.functional as F

    expect_callable(attention, "attention")
    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 5, 8, generator=generator) for _ in range(3))
    mask = torch.ones(5, 5, dtype=torch.bool).tril()
    for kwargs, what in (({}, "without a mask"), ({"mask": mask}, "with a causal mask")):
        wanted = F.scaled_dot_product_attention(q, k, v, attn_mask=kwargs.get("mask"))
        got = expect_tensor(attention(q, k, v, **kwargs), wanted, f"the output {what}")
        if not torch.allclose(got, wanted, atol=1e-5):
            diff = (got - wanted).abs().max().item()
            raise Wrong(f"the output {what} differs from scaled_dot_product_attention by up to {diff:.3g}.")


@exercise("06.layer_parameters", hint="count weights and biases: Q, K, V and output projections, two LayerNorms, two feed-forward layers.")
def _layer_parameters(answer: Any) -> None:
    import json
    from pathlib import Path

    import torch

    from ..hub import resolve_model
    from ..session import MODELS, resolve_profile

    expect_type(answer, int, "the parameter count")
    # The model notebook 06 loaded: the one the learner's profile names (never a download of another).
    model_id = MODELS[resolve_profile(gpu=torch.cuda.is_available())]
    config = json.loads((Path(resolve_model(model_id).path) / "config.json").read_text())
    d, ff = config["hidden_size"], config["intermediate_size"]
    attention = 4 * (d * d + d)
    wanted = attention + 2 * (2 * d) + (d * ff + ff) + (ff * d + d)
    if answer == attention:
        raise Wrong("that is the attention part only; add the feed-forward layers and the two LayerNorms.")
    if answer == wanted - 4 * d:
        raise Wrong("close: you left out the LayerNorms (each has a weight and a bias of size d).")
    if answer != wanted:
        raise Wrong(f"{answer:,} is not the number of parameters in one layer of this model.")
