"""Checkers of notebook 03 (linear algebra): each recomputes the right answer, or tries the learner's
function on cases, and raises ``Wrong`` with a reason the learner can act on."""

from __future__ import annotations

from typing import Any

from .helpers import (Wrong, exercise, expect_callable, expect_number, expect_tensor, expect_type)


@exercise("03.linear", hint="x @ W.T + b: W has shape (outputs, inputs), so it is transposed.")
def _linear(linear: Any) -> None:
    import torch

    expect_callable(linear, "linear")
    generator = torch.Generator().manual_seed(3)
    for shape in ((5,), (4, 5), (2, 7, 5)):
        layer = torch.nn.Linear(5, 3)
        torch.nn.init.normal_(layer.bias, generator=generator)
        x = torch.randn(*shape, generator=generator)
        wanted = layer(x).detach()
        got = expect_tensor(linear(x, layer.weight.detach(), layer.bias.detach()), wanted, f"linear() for x of shape {shape}")
        if not torch.allclose(got, wanted, atol=1e-5):
            if torch.allclose(got, wanted - layer.bias.detach(), atol=1e-5):
                raise Wrong("the bias b is missing.")
            raise Wrong(f"for x of shape {shape}, the result differs from nn.Linear.")


#: bert-base-uncased's sizes (from its config on the Hub): what 03's LoRA exercise counts for.
BERT_BASE_LAYERS, BERT_BASE_HIDDEN = 12, 768


@exercise("03.rank_for_error", hint="Eckart-Young: the error of the best rank-r matrix comes from the singular values "
          "it leaves out; try r = 0, 1, 2, ... in turn.")
def _rank_for_error(smallest_rank: Any) -> None:
    import torch

    expect_callable(smallest_rank, "smallest_rank")
    generator = torch.Generator().manual_seed(5)
    spectra = [torch.linspace(3.0, 0.1, 40, dtype=torch.float64),
               torch.linalg.svdvals(torch.randn(60, 60, generator=generator, dtype=torch.float64)),
               torch.tensor([5.0, 1.0, 1.0, 0.5], dtype=torch.float64)]
    for S in spectra:
        total = S.square().sum()
        errors = [(S[r:].square().sum() / total).sqrt().item() for r in range(len(S) + 1)]
        for max_error in (0.9, 0.5, 0.2, 0.0):
            wanted = next(r for r, error in enumerate(errors) if error <= max_error + 1e-12)
            got = expect_number(smallest_rank(S.clone(), max_error), f"smallest_rank(S, {max_error})")
            if got == wanted:
                continue
            energy = next(r for r, error in enumerate(errors) if error ** 2 <= max_error + 1e-12)
            if got == energy and energy != wanted:
                raise Wrong(f"for max_error={max_error} you give {got:g}: that rank loses at most {max_error:.0%} of Σσ² "
                            "(the 'energy'), but the error is measured in the norm, the square root of that share.")
            if abs(got - wanted) == 1:
                raise Wrong(f"for max_error={max_error} you give {got:g}, one off from {wanted}: the error at rank r uses the "
                            "singular values from index r on (S[r:]), and r = 0 keeps none.")
            raise Wrong(f"for {len(S)} singular values and max_error={max_error} you give {got:g}; the smallest rank is {wanted}.")


@exercise("03.lora_parameters", hint="count the numbers in B and in A for one adapted matrix, then count the adapted "
          "matrices in the whole model.")
def _lora_parameters(answer: Any) -> None:
    expect_type(answer, int, "the number of trainable LoRA parameters")
    rank, layers, hidden = 8, BERT_BASE_LAYERS, BERT_BASE_HIDDEN
    per_matrix = rank * (hidden + hidden)
    wanted = layers * 2 * per_matrix
    explanations = {
        layers * per_matrix: "that is half the count: one adapted matrix per layer (LoRA here adapts two, query and value), "
                             "or only B (or only A) of each (each adapted matrix gets both).",
        2 * per_matrix: "that is one layer; bert-base-uncased has 12.",
        layers * 2 * hidden * hidden: "that is the size of the full update ΔW; LoRA trains B and A instead, r columns and r rows.",
        6 * 2 * rank * (384 + 384): "those are the sizes of the offline stand-in (6 layers of 384); bert-base-uncased has 12 layers of 768.",
    }
    if answer != wanted:
        raise Wrong(explanations.get(int(answer), f"{int(answer):,} is not the number of trainable LoRA parameters."))
