# %% [markdown]
# # 06 · Self-attention from scratch, until it reproduces a real BERT layer
#
# **You will build self-attention one checked step at a time, and finish with your own encoder layer producing the same numbers as a pretrained BERT, to within 1e-5 (the rounding of 32-bit floats).**
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/zero-to-finetune/zero-to-finetune/blob/v0.1.0/notebooks/06_self_attention.ipynb)
#
# **Time needed:** about 60 minutes to read and try; the code runs in under 90 seconds on a CPU laptop.
# **Prerequisites:** [03 · Linear algebra](03_linear_algebra.ipynb) (matrix products, dot products) and [04 · Probability](04_probability_and_bayes.ipynb) (softmax).

# %% [markdown]
# ## Learning objectives
#
# After this notebook you can:
#
# 1. compute attention by hand as a weighted average, then as three matrix products;
# 2. explain why scores are divided by √d, and apply padding and causal masks;
# 3. write multi-head attention with every reshape spelled out, and check it against PyTorch;
# 4. show that attention alone ignores word order, and how BERT adds positions;
# 5. assemble a full encoder layer that reproduces a pretrained BERT layer, and read its attention maps.

# %% [markdown]
# ## Setup
#
# The usual first cell; then the model. Each profile names one model, the same online and offline: the quick profile (a CPU) uses *all-MiniLM-L6-v2*, a 6-layer, 384-wide BERT with `bert-base-uncased`'s vocabulary, which the course also ships offline with a verified hash; the full profile (a GPU) uses `bert-base-uncased` itself, 12 layers, 768 wide. Everything below works the same on either, and every check in this notebook runs on the model your profile names. We ask for the `eager` attention implementation so the model can hand us its attention weights.

# %%
import os, sys

if "google.colab" in sys.modules:  # on Google Colab only: install the course (PyTorch is there already)
    # %pip install --quiet {os.environ.get("COURSE_UTILS_SOURCE", "git+https://github.com/zero-to-finetune/zero-to-finetune@v0.1.0")}
import course_utils

config = course_utils.setup()

# %%
import copy
import math
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn
from transformers import AutoModel, AutoTokenizer

from course_utils import check
from course_utils.plotting import heatmap

MODEL_ID = config.model_id     # quick: sentence-transformers/all-MiniLM-L6-v2; full: bert-base-uncased
model_folder = course_utils.model_path(MODEL_ID)
tokenizer = AutoTokenizer.from_pretrained(model_folder)
bert = AutoModel.from_pretrained(model_folder, attn_implementation="eager").eval()
d_model, n_heads = bert.config.hidden_size, bert.config.num_attention_heads
print(f"{bert.config.num_hidden_layers} layers, hidden size {d_model}, {n_heads} heads of size {d_model // n_heads}")

# %% [markdown]
# ## 1 · Attention is a weighted average
#
# Each token starts as a vector. Self-attention replaces every token's vector by a **weighted average of all the tokens' vectors**, where the weights say how relevant each other token is. Relevance is measured by the dot product (large when two vectors point the same way), and turned into weights that are positive and sum to one by the softmax:
#
# $$\text{weights}_{i,j} = \frac{e^{x_i \cdot x_j}}{\sum_{j'} e^{x_i \cdot x_{j'}}}, \qquad \text{output}_i = \sum_j \text{weights}_{i,j}\, x_j$$
#
# Let us do it by hand on the real token vectors of a short review: BERT's word embeddings, the vectors it starts from.

# %%
sentence = "the acting was not good"
token_ids = tokenizer(sentence, add_special_tokens=False, return_tensors="pt")["input_ids"][0]
tokens = tokenizer.convert_ids_to_tokens(token_ids)
with torch.no_grad():
    x = bert.embeddings.word_embeddings(token_ids)  # (tokens, d_model)
print(tokens, tuple(x.shape))

# %% [markdown]
# First with plain loops, one query at a time, so nothing is hidden:

# %%
by_hand = torch.zeros_like(x)
for i in range(len(tokens)):
    scores = torch.tensor([torch.dot(x[i], x[j]) for j in range(len(tokens))])
    weights = torch.exp(scores) / torch.exp(scores).sum()
    by_hand[i] = sum(weights[j] * x[j] for j in range(len(tokens)))
i_not = tokens.index("not")
weights_not = (x @ x[i_not]).softmax(0)
print("how much 'not' attends to each token:", ", ".join(f"{t} {w:.2f}" for t, w in zip(tokens, weights_not)))

# %% [markdown]
# Every token attends mostly to itself: a vector's dot product with itself is its squared length, larger than with any other. That is one reason real attention first *projects* the vectors (section 3).
#
# The loops are three matrix products in disguise: all scores at once are $XX^\top$, the softmax runs along each row, and the weighted sums are one more product.

# %%
scores = x @ x.T                      # (tokens, tokens): every dot product at once
weights = scores.softmax(dim=-1)      # each row sums to one
as_matrices = weights @ x             # (tokens, d_model)
assert torch.allclose(weights.sum(-1), torch.ones(len(tokens)))
print("loops and matrix products agree:", torch.allclose(by_hand, as_matrices, atol=1e-5))

# %%
heatmap(weights, tokens, tokens, title="Raw dot-product attention (query rows, key columns)")
plt.show()

# %% [markdown]
# ## 2 · Scaled dot-product attention
#
# ### Why divide by √d
#
# If the entries of two vectors are independent with mean 0 and variance 1, their dot product sums $d$ such terms, so its **variance is $d$**. Large scores push the softmax to put almost all the weight on one token (it *saturates*), and then gradients vanish. Dividing by $\sqrt{d}$ brings the variance back to 1. Let us measure both effects.

# %%
generator = torch.Generator().manual_seed(0)
dims = [4, 16, 64, 256, 1024]
variance, top_raw, top_scaled = [], [], []
for d in dims:
    q = torch.randn(2000, d, generator=generator)
    k = torch.randn(2000, 10, d, generator=generator)   # 10 keys per query
    s = torch.einsum("nd,nkd->nk", q, k)
    variance.append(s.var().item())
    top_raw.append(s.softmax(-1).max(-1).values.mean().item())
    top_scaled.append((s / math.sqrt(d)).softmax(-1).max(-1).values.mean().item())
for d, v in zip(dims, variance):
    print(f"d = {d:4d}: variance of q·k = {v:7.1f}   (d = {d})")

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
left.loglog(dims, variance, "o-", label="measured")
left.loglog(dims, dims, "--", label="d")
left.set(xlabel="dimension d", ylabel="variance of the score", title="Scores grow with d")
left.legend()
right.semilogx(dims, top_raw, "o-", label="softmax(q·k)")
right.semilogx(dims, top_scaled, "o-", label="softmax(q·k / √d)")
right.axhline(0.1, color="grey", ls=":", label="uniform over 10 keys")
right.set(xlabel="dimension d", ylabel="average largest weight", title="Without scaling, softmax saturates")
right.legend()
plt.show()


# %% [markdown]
# ### Masks
#
# Two kinds of mask set some scores to $-\infty$ before the softmax, so those weights become exactly 0:
#
# - a **padding mask**: batches hold sentences of different lengths, padded with `[PAD]` tokens; no token may attend to padding;
# - a **causal mask**: a token may attend only to itself and earlier tokens. GPT-style models that generate text left to right need it. BERT does **not** use it: it reads the whole sentence in both directions at once, which is what makes it good at understanding (and why it cannot generate text).
#
# Here is scaled dot-product attention with an optional boolean mask (`True` = may attend), the convention PyTorch uses:

# %%
def attention(q, k, v, mask=None):
    """Scaled dot-product attention over the last two axes; mask: True where attending is allowed."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return scores.softmax(dim=-1) @ v


q, k, v = (torch.randn(2, 4, 6, 8, generator=generator) for _ in range(3))   # (batch, heads, tokens, d)
padding = torch.tensor([[True] * 6, [True] * 4 + [False] * 2])               # 2nd sentence: 4 tokens + 2 pads
padding_mask = padding[:, None, None, :]                                      # broadcast over heads and queries
causal = torch.ones(6, 6, dtype=torch.bool).tril()
for name, mask in [("no mask", None), ("padding mask", padding_mask), ("causal mask", causal)]:
    ours, torchs = attention(q, k, v, mask), F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    print(f"{name:13s} matches F.scaled_dot_product_attention: {torch.allclose(ours, torchs, atol=1e-6)}")
    assert torch.allclose(ours, torchs, atol=1e-6)

# %%
fig, axes = plt.subplots(1, 2, figsize=(8, 3.4))
positions = [str(i) for i in range(6)]
for ax, (name, mask) in zip(axes, [("padding mask, 2nd sentence", padding_mask[1, 0]), ("causal mask", causal)]):
    w = (q[1, 0] @ k[1, 0].T / math.sqrt(8)).masked_fill(~mask, float("-inf")).softmax(-1)
    heatmap(w, positions, positions, title=name, ax=ax, colorbar=False)
plt.show()


# %% [markdown]
# Left: the last two columns (the pads) get no weight. Right: everything above the diagonal (the future) gets no weight.
#
# ## 3 · Queries, keys, values, and many heads
#
# Real attention does not compare the raw vectors. Three learned linear maps give each token a **query** (what am I looking for?), a **key** (what do I offer?) and a **value** (what do I pass on?). Then
#
# $$\text{Attention}(Q, K, V) = \text{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right) V.$$
#
# **Multi-head** attention runs $h$ smaller attentions side by side, each on its own slice of size $d/h$, so different heads can track different relations; an output projection mixes the heads again. The only tricky part is the bookkeeping of shapes, so every step below is shape-checked:

# %%
class MultiHeadSelfAttention(nn.Module):
    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        assert d_model % n_heads == 0, "the heads must split the model dimension evenly"
        self.n_heads, self.d_head = n_heads, d_model // n_heads
        self.query, self.key, self.value = (nn.Linear(d_model, d_model) for _ in range(3))
        self.output = nn.Linear(d_model, d_model)

    def split_heads(self, t):                         # (B, T, D) -> (B, H, T, D/H)
        B, T, D = t.shape
        return t.view(B, T, self.n_heads, self.d_head).transpose(1, 2)

    def forward(self, x, padding=None):               # x: (B, T, D); padding: (B, T), True = real token
        B, T, D = x.shape
        q, k, v = (self.split_heads(f(x)) for f in (self.query, self.key, self.value))
        assert q.shape == (B, self.n_heads, T, self.d_head)
        mask = None if padding is None else padding[:, None, None, :]
        heads = attention(q, k, v, mask)              # (B, H, T, D/H)
        merged = heads.transpose(1, 2).reshape(B, T, D)
        return self.output(merged)


# %% [markdown]
# Check it against `torch.nn.MultiheadAttention`, which packs the three input projections into one matrix, by copying our weights into it:

# %%
torch.manual_seed(0)
ours = MultiHeadSelfAttention(d_model, n_heads).eval()
reference = nn.MultiheadAttention(d_model, n_heads, batch_first=True).eval()
with torch.no_grad():
    reference.in_proj_weight.copy_(torch.cat([ours.query.weight, ours.key.weight, ours.value.weight]))
    reference.in_proj_bias.copy_(torch.cat([ours.query.bias, ours.key.bias, ours.value.bias]))
    reference.out_proj.weight.copy_(ours.output.weight)
    reference.out_proj.bias.copy_(ours.output.bias)

    x = torch.randn(2, 6, d_model)
    expected, _ = reference(x, x, x, key_padding_mask=~padding)   # PyTorch's mask means "ignore"
    difference = (ours(x, padding) - expected).abs().max().item()
print("same as nn.MultiheadAttention to within 1e-5:", difference < 1e-5)
assert difference < 1e-5

# %% [markdown]
# ## 4 · Attention has no idea of word order
#
# Shuffle the tokens, and self-attention returns the same outputs, shuffled the same way: it is **permutation-equivariant**. To attention, "not good, actually great" and "great, actually not good" are the same bag of words. Here is that as a test, not a claim:

# %%
x = torch.randn(1, 6, d_model)
shuffle = torch.randperm(6, generator=generator)
with torch.no_grad():
    out_then_shuffle = ours(x)[:, shuffle]
    shuffle_then_out = ours(x[:, shuffle])
print("attention(shuffled x) == shuffled attention(x):", torch.allclose(out_then_shuffle, shuffle_then_out, atol=1e-5))
assert torch.allclose(out_then_shuffle, shuffle_then_out, atol=1e-5)

# %% [markdown]
# BERT therefore adds a **learned position embedding** (one vector per position, up to 512) to each token's word embedding before the first layer, plus a segment embedding, and normalizes the sum. After training, nearby positions have similar vectors:

# %%
with torch.no_grad():
    positions = F.normalize(bert.embeddings.position_embeddings.weight[:64], dim=-1)
similarity = positions @ positions.T
labels = [str(i) if i % 8 == 0 else "" for i in range(64)]
fig, ax = plt.subplots(figsize=(5.5, 4.5))
heatmap(similarity, labels, labels, title="Cosine similarity of the first 64 position embeddings", ax=ax, vmin=None, cmap="RdBu_r")
plt.show()


# %% [markdown]
# The bright band along the diagonal says that each position is most like its neighbours: the model has learned a sense of distance from data alone.
#
# ## 5 · The full encoder layer, checked against BERT
#
# A BERT layer wraps attention in a few more pieces, each with a job:
#
# 1. **multi-head self-attention**, then a residual connection ($x + \text{attention}(x)$) and **LayerNorm**;
# 2. a **feed-forward** network applied to each token separately: a linear layer to a wider size, **GELU**, a linear layer back; then again residual and LayerNorm.
#
# (BERT also has dropout in these places; at inference it does nothing, so we leave it out.)

# %%
class EncoderLayer(nn.Module):
    def __init__(self, d_model: int, n_heads: int, d_ff: int, eps: float):
        super().__init__()
        self.attention = MultiHeadSelfAttention(d_model, n_heads)
        self.norm1 = nn.LayerNorm(d_model, eps=eps)
        self.feed_forward_in = nn.Linear(d_model, d_ff)
        self.feed_forward_out = nn.Linear(d_ff, d_model)
        self.norm2 = nn.LayerNorm(d_model, eps=eps)

    def forward(self, x, padding=None):
        x = self.norm1(x + self.attention(x, padding))
        return self.norm2(x + self.feed_forward_out(F.gelu(self.feed_forward_in(x))))


# %% [markdown]
# Now copy the weights of a pretrained BERT layer into ours. The names differ, but the pieces match one to one:

# %%
def from_bert_layer(bert_layer) -> EncoderLayer:
    cfg = bert.config
    layer = EncoderLayer(cfg.hidden_size, cfg.num_attention_heads, cfg.intermediate_size, cfg.layer_norm_eps)
    pairs = [
        (layer.attention.query, bert_layer.attention.self.query),
        (layer.attention.key, bert_layer.attention.self.key),
        (layer.attention.value, bert_layer.attention.self.value),
        (layer.attention.output, bert_layer.attention.output.dense),
        (layer.norm1, bert_layer.attention.output.LayerNorm),
        (layer.feed_forward_in, bert_layer.intermediate.dense),
        (layer.feed_forward_out, bert_layer.output.dense),
        (layer.norm2, bert_layer.output.LayerNorm),
    ]
    for mine, theirs in pairs:
        mine.load_state_dict(theirs.state_dict())
    return layer.eval()


our_layers = [from_bert_layer(block) for block in bert.encoder.layer]

# %% [markdown]
# Run real sentences through BERT, keeping every layer's hidden states, and feed layer $i$'s input to our copy of layer $i$:

# %% tags=["nbval-ignore-output"]
reviews = [
    "The acting was not good at all, and the plot made no sense.",
    "A quiet, moving film that stayed with me for days.",
    "I expected to hate it; I was wrong.",
]
batch = tokenizer(reviews, padding=True, return_tensors="pt")
padding = batch["attention_mask"].bool()
gaps = []
with torch.inference_mode():
    result = bert(**batch, output_hidden_states=True, output_attentions=True)
    for i, layer in enumerate(our_layers):
        ours_out = layer(result.hidden_states[i], padding)
        gap = (ours_out - result.hidden_states[i + 1]).abs().max().item()
        gaps.append(gap)
        print(f"layer {i}: largest difference from BERT's output {gap:.0e}")   # rounding: varies with the CPU
assert max(gaps) <= 1e-5, gaps                 # the claim: every layer matches to within 1e-5


# %% [markdown]
# And all six layers chained, starting from the embeddings and ending at the model's final hidden states:

# %% tags=["nbval-ignore-output"]
def run_chain(layers, embeddings, padding):
    hidden = embeddings
    for layer in layers:
        hidden = layer(hidden, padding)
    return hidden


with torch.inference_mode():
    gap32 = (run_chain(our_layers, result.hidden_states[0], padding) - result.last_hidden_state).abs().max().item()
print(f"six layers chained, 32-bit floats: largest difference {gap32:.0e}")   # varies with the CPU
assert gap32 <= 1e-4                           # the claim: still within 1e-4 after six layers

# %% [markdown]
# In 32-bit floats each layer adds rounding noise of around $10^{-6}$ (the exact figures depend on the CPU, which is why these two cells check a bound rather than print a fixed number), and six layers add up to more. To prove that this is rounding and not a mistake, repeat in 64-bit floats, where rounding is a billion times smaller. Both models must then agree almost exactly:

# %%
bert64 = AutoModel.from_pretrained(model_folder, attn_implementation="eager", dtype=torch.float64).eval()
our_layers64 = [copy.deepcopy(layer).double() for layer in our_layers]
with torch.inference_mode():
    result64 = bert64(**batch, output_hidden_states=True)
    gap64 = (run_chain(our_layers64, result64.hidden_states[0], padding) - result64.last_hidden_state).abs().max().item()
print(f"six layers chained, 64-bit floats: within 1e-10: {gap64 <= 1e-10}")
assert gap64 <= 1e-10


# %% [markdown]
# The differences are rounding noise: **your code is a BERT encoder.** What remains of the model is the embedding layer (which you saw in section 4) and, for classification, a small head on top, which is where notebook 07 starts.
#
# ## 6 · What do the heads look at?
#
# The model returned its attention weights too: one $T\times T$ map per layer and head. Heads specialise: some look at the next or previous token, some at `[SEP]` (a "no-op" place to park attention), some link related words. Read these as hints, not explanations: attention weights are only one part of what a layer computes.

# %%
def show_attention(sentence: int = 0, layer: int = 0, head: int = 0) -> None:
    length = int(batch["attention_mask"][sentence].sum())
    words = tokenizer.convert_ids_to_tokens(batch["input_ids"][sentence][:length])
    weights = result.attentions[layer][sentence, head, :length, :length]
    heatmap(weights, words, words, title=f"sentence {sentence}, layer {layer}, head {head}", vmax=1)
    plt.show()


# %% [markdown]
# In JupyterLab or Colab this shows a picker (sentence, layer, head); in the saved file it draws a few chosen heads instead.

# %%
import ipywidgets as widgets
from course_utils.widgets import explore

explore(
    show_attention,
    controls={
        "sentence": widgets.Dropdown(options=list(range(len(reviews))), value=0),
        "layer": widgets.IntSlider(min=0, max=bert.config.num_hidden_layers - 1, value=0),
        "head": widgets.IntSlider(min=0, max=n_heads - 1, value=0),
    },
    static=[{"sentence": 0, "layer": 0, "head": 0}, {"sentence": 0, "layer": 2, "head": 5}, {"sentence": 2, "layer": 5, "head": 3}],
)

# %% [markdown]
# Try it: find a head whose weights sit just below or above the diagonal (it looks at the previous or next token), and a head that sends most weight to `[SEP]`.
#
# ## 7 · The cost of attention
#
# Every token scores every other token, so the score matrix has $T^2$ entries per head: doubling the length quadruples the work and the memory. This is why BERT stops at 512 tokens, and why long reviews are truncated in notebook 07. PyTorch's `scaled_dot_product_attention` computes the same thing with a fused kernel that works through the keys in blocks, so it never stores the whole $T \times T$ matrix.
#
# Memory first. Our version materializes the scores and the weights, two $h \times T \times T$ tensors of 4-byte floats:

# %%
lengths = [128, 256, 512, 1024, 2048]
for length in lengths:
    materialized = 2 * n_heads * length * length * 4
    print(f"T = {length:4d}: our attention stores {materialized / 2**20:7.1f} MB of scores and weights per sentence")


# %% [markdown]
# Now time, measured here on this machine (the figure is redrawn on each run; on a GPU the gap is wider):

# %%
def best_time(function, *args, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return min(times)


ours_s, fused_s = [], []
with torch.inference_mode():
    for length in lengths:
        q, k, v = (torch.randn(1, n_heads, length, d_model // n_heads) for _ in range(3))
        ours_s.append(best_time(attention, q, k, v))
        fused_s.append(best_time(F.scaled_dot_product_attention, q, k, v))

plt.loglog(lengths, ours_s, "o-", label="our attention")
plt.loglog(lengths, fused_s, "o-", label="F.scaled_dot_product_attention")
reference = [ours_s[-1] * (length / lengths[-1]) ** 2 for length in lengths]
plt.loglog(lengths, reference, "--", color="grey", label="∝ T² (quadratic)")
plt.axvline(512, color="grey", ls=":")
plt.text(530, min(fused_s), "BERT's limit: 512", color="grey")
plt.xlabel("sequence length T (tokens)")
plt.ylabel("seconds (best of 3)")
plt.title("Attention time grows with the square of the length")
plt.legend()
plt.show()


# %% [markdown]
# ## Exercises
#
# ### Exercise 1: the causal mask
#
# Write `causal_mask(T)` returning a boolean `(T, T)` tensor that is `True` where token $i$ may attend to token $j$, that is for $j \le i$.

# %%
def causal_mask(T):
    # Your code here: replace this line.
    return torch.ones(T, T, dtype=torch.bool)


check("06.causal_mask", causal_mask)


# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def causal_mask(T):
#     return torch.ones(T, T, dtype=torch.bool).tril()
# ```
#
# `tril` keeps the lower triangle, diagonal included: row $i$ is `True` in columns $0..i$.
# </details>

# %% [markdown]
# ### Exercise 2: attention in one function
#
# Without looking at section 2, write `my_attention(q, k, v, mask=None)` for inputs of shape `(batch, heads, tokens, d)`. The checker compares it with `F.scaled_dot_product_attention`, with and without a causal mask.

# %%
def my_attention(q, k, v, mask=None):
    # Your code here: replace this line.
    return v


check("06.scaled_attention", my_attention)

# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def my_attention(q, k, v, mask=None):
#     scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
#     if mask is not None:
#         scores = scores.masked_fill(~mask, float("-inf"))
#     return scores.softmax(dim=-1) @ v
# ```
# </details>

# %% [markdown]
# ### Exercise 3: count the parameters of one layer
#
# Work out, with pencil and paper or with a formula in $d$ (`d_model`) and $d_{ff}$ (`bert.config.intermediate_size`), how many numbers one encoder layer learns. Do not use `.numel()`; the checker knows the answer. Then check yourself against the model with `sum(p.numel() for p in bert.encoder.layer[0].parameters())`.

# %%
layer_parameters = 0  # Your answer here: a formula in d_model and bert.config.intermediate_size

check("06.layer_parameters", layer_parameters)

# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# d, d_ff = d_model, bert.config.intermediate_size
# layer_parameters = (
#     4 * (d * d + d)          # query, key, value and output projections: weight + bias each
#     + 2 * (2 * d)            # two LayerNorms: a scale and a shift each
#     + (d * d_ff + d_ff)      # feed-forward in
#     + (d_ff * d + d)         # feed-forward out
# )
# ```
#
# For MiniLM ($d = 384$, $d_{ff} = 1536$) that is 1,774,464; for `bert-base-uncased` ($d = 768$, $d_{ff} = 3072$) it is 7,087,872. Either way two-thirds of it sits in the feed-forward network, not in attention.
# </details>

# %% [markdown]
# ## Summary
#
# - Attention is a weighted average of token vectors, with weights from a softmax over dot products: three matrix products.
# - Scores are divided by $\sqrt{d}$ so their variance stays near 1 and the softmax does not saturate; masks set scores to $-\infty$ (padding always; causal only for left-to-right models, not BERT).
# - Multi-head attention is many small attentions side by side: split with `view` + `transpose`, merge back, project.
# - Attention alone ignores order; BERT adds learned position embeddings.
# - An encoder layer is attention + residual + LayerNorm, then a GELU feed-forward + residual + LayerNorm, and your own code reproduced every layer of a pretrained BERT to within 1e-5.
# - The cost grows with the square of the length; fused kernels save memory but not the quadratic work.
#
# **Next:** 07 · Fine-tuning BERT with the Trainer (being written), where a small classification head goes on top of this encoder.
