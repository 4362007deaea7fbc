# %% [markdown]
# # 06 · Self-attention from scratch, until it reproduces a real BERT layer
#
# **You will build self-attention one checked step at a time, and finish with your own encoder layer producing the same numbers as a pretrained BERT, each layer to within 1e-5 (the rounding that 32-bit floats pile up in a layer).**
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
# The usual first cell; then the model. Each profile names one model, the same online and offline: the quick profile (a CPU) uses *all-MiniLM-L6-v2*, a 6-layer, 384-wide BERT with `bert-base-uncased`'s vocabulary, which the course also ships offline with a verified hash; the full profile (a GPU) uses `bert-base-uncased` itself, 12 layers, 768 wide. Everything below works the same on either, and every check in this notebook runs on the model your profile names. Two kinds of assert are guarded. The few sentences that say what one model's heads, word vectors and position vectors do are measured on the model you run and asserted only for the quick profile's model, whose outputs you see here: they describe what training put into that model, and `bert-base-uncased` learned its own (it prints its own). The rounding bounds of section 5 (1e-5 per layer, 1e-4 through the whole stack, 1e-10 in 64-bit floats) hold for both: the course's tests check them on a randomly initialised 12-layer, 768-wide BERT too, since the full profile's own run needs a GPU and a download. We ask for the `eager` attention implementation so the model can hand us its attention weights.

# %%
import os, sys

if "google.colab" in sys.modules:  # on Google Colab only: install the course (PyTorch is there already)
    # %pip install --quiet {os.environ.get("COURSE_UTILS_SOURCE", "git+https://github.com/zero-to-finetune/zero-to-finetune@v0.1.0")}
import course_utils

config = course_utils.setup()

# %%
import copy
import math

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
# Let us do it by hand on the real token vectors of a short review: BERT's word embeddings, the word part of the vectors it starts from (section 4 adds the rest).

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
raw_scores, norms = x @ x.T, x.norm(dim=1)
winners = raw_scores.argmax(dim=1).tolist()
print("each token's largest weight goes to:", ", ".join(f"{tokens[i]} -> {tokens[j]}" for i, j in enumerate(winners)))
self_weights = raw_scores.softmax(dim=1).diagonal()
print("the weight each token puts on itself:", ", ".join(f"{t} {w:.2f}" for t, w in zip(tokens, self_weights)))
for i, j in enumerate(winners):     # Cauchy-Schwarz: x_i·x_j <= |x_i| |x_j|, which beats x_i·x_i = |x_i|² only if |x_j| > |x_i|
    assert j == i or norms[j] > norms[i]
if MODEL_ID == "sentence-transformers/all-MiniLM-L6-v2":
    assert winners == list(range(len(tokens)))      # the quick profile's model: every token's largest weight is on itself
    assert 0.25 < self_weights.min() and self_weights.max() < 0.65   # ... yet a third to three fifths of its weight, no more

# %% [markdown]
# Why does a token favour itself? Its score with itself is its squared length, $x_i \cdot x_i = \lVert x_i\rVert^2$, while its score with any other token is at most $\lVert x_i\rVert\,\lVert x_j\rVert$ (the Cauchy–Schwarz inequality: equal only when the two point the same way). So another token $j$ can win only by being longer *and* pointing close enough to the same way: $\cos\theta > \lVert x_i\rVert / \lVert x_j\rVert$ (a token three times longer wins at an angle of up to about 70°); the cell checks that every winner other than the token itself is longer. With the quick profile's model every token's largest single weight is on itself, between a third and three fifths of its weight (printed above, and asserted there), so much of each output still comes from the neighbours. But which neighbours, and how much, is decided by the raw vectors alone, with each token favouring itself: one reason real attention first *projects* the vectors (section 3), so that what a token looks for need not be what it is.
#
# The loops are three matrix products in disguise: all scores at once are $XX^\top$, the softmax runs along each row, and the weighted sums are one more product.

# %%
scores = x @ x.T                      # (tokens, tokens): every dot product at once
weights = scores.softmax(dim=-1)      # each row sums to one
as_matrices = weights @ x             # (tokens, d_model)
assert torch.allclose(weights.sum(-1), torch.ones(len(tokens)))
print("loops and matrix products agree:", torch.allclose(by_hand, as_matrices, atol=1e-5))
assert torch.allclose(by_hand, as_matrices, atol=1e-5)

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
    assert abs(v / d - 1) < 0.1                       # the variance is d
assert top_raw[-1] > 0.95 and max(top_scaled) < 0.5   # unscaled, the softmax saturates; scaled, it does not

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
# - a **causal mask**: a token may attend only to itself and earlier tokens. GPT-style models that generate text left to right need it. BERT does **not** use it: it reads the whole sentence in both directions at once, which suits understanding a text, and is why BERT is not used to write text word by word.
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
# where $d_k$ is the size of one head's queries and keys ($d/h$, defined next; the code reads it as `q.shape[-1]`). **Multi-head** attention runs $h$ smaller attentions side by side, each on its own slice of size $d_k = d/h$, so different heads can track different relations; an output projection mixes the heads again. The only tricky part is the bookkeeping of shapes, so every step below is shape-checked:

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
# BERT therefore adds a **learned position embedding** (one vector per position, up to 512) to each token's word embedding before the first layer, plus a segment embedding (one of two vectors, saying whether the token belongs to the first or the second sentence of a pair: `token_type_ids`), and normalizes the sum. After training, nearby positions have similar vectors:

# %%
with torch.no_grad():
    positions = F.normalize(bert.embeddings.position_embeddings.weight[:64], dim=-1)
similarity = positions @ positions.T
labels = [str(i) if i % 8 == 0 else "" for i in range(64)]
fig, ax = plt.subplots(figsize=(5.5, 4.5))
heatmap(similarity, labels, labels, title="Cosine similarity of the first 64 position embeddings", ax=ax, vmin=None, cmap="RdBu_r")
plt.show()

# %% [markdown]
# The band along the diagonal says that each position is most like its neighbours: the model has learned a sense of distance from data alone. Two more things to read in that picture. The colour changes much more across the diagonal than along it, so the similarity of positions $i$ and $j$ depends mostly on their distance $|i - j|$. And along each row it does not simply fall with distance: it rises and falls again, which draws the stripes parallel to the diagonal. Both measured: the share of the picture's variation (off the diagonal) that the distance alone explains, the average similarity at each distance, and the distances where that average peaks again:

# %%
distance = (torch.arange(64)[:, None] - torch.arange(64)[None, :]).abs()
by_distance = torch.stack([similarity[distance == k].mean() for k in range(64)])
off_diagonal = distance > 0
residual = similarity - by_distance[distance]
explained = 1 - (residual[off_diagonal] ** 2).sum() / ((similarity[off_diagonal] - similarity[off_diagonal].mean()) ** 2).sum()
peaks = [k for k in range(2, 63) if by_distance[k] > by_distance[k - 1] and by_distance[k] > by_distance[k + 1]]
print(f"variation explained by the distance alone: {explained:.0%}")
print("average similarity at distance 0-12:", [round(v, 2) for v in by_distance[:13].tolist()])
print("distances where it peaks again:", peaks[:8])
print(f"position 0 with the others: {similarity[0, 1:].mean():.2f} on average; any two of positions 1-63: "
      f"{similarity[1:, 1:][~torch.eye(63, dtype=torch.bool)].mean():.2f}")
assert by_distance[1] > by_distance[16:].mean()          # nearby positions are more alike than distant ones
if MODEL_ID == "sentence-transformers/all-MiniLM-L6-v2":                                    # the quick profile's model: the stripes, measured
    assert explained > 0.7 and len(peaks) >= 5 and all(4 <= b - a <= 8 for a, b in zip(peaks, peaks[1:5]))
    assert similarity[0, 1:].mean() < similarity[1:, 1:][~torch.eye(63, dtype=torch.bool)].mean()   # position 0 stands apart


# %% [markdown]
# In the quick profile's model the distance explains most of the picture, and the average similarity peaks again at a steady spacing of a few positions (printed): the position vectors behave partly like **waves** along the sequence, the same idea as the sines and cosines the original Transformer used for positions by design; two waves line up again whenever the distance is a whole number of periods, and that is a stripe. The model found this on its own. (With the full profile's `bert-base-uncased` the cell prints its own measures.) In the quick profile's model position 0 is the odd one out: it always holds `[CLS]`, and it is less like the other positions than they are like each other (printed, and asserted for that model; `bert-base-uncased` prints its own).

# %% [markdown]
# ## 5 · The full encoder layer, checked against BERT
#
# A BERT layer wraps attention in a few more pieces, each with a job:
#
# 1. **multi-head self-attention**, then a residual connection ($x + \text{attention}(x)$) and **LayerNorm**;
# 2. a **feed-forward** network applied to each token separately: a linear layer to a wider size, **GELU**, a linear layer back; then again residual and LayerNorm.
#
# Two pieces are new. **LayerNorm** normalizes each token's vector on its own: subtract its mean $\bar x$ over the $d$ numbers, divide by its standard deviation, then scale and shift with two learned vectors, $\text{LayerNorm}(x) = \frac{x - \bar x}{\sqrt{\operatorname{var}(x) + \epsilon}} \odot \gamma + \beta$ (that keeps the numbers in a steady range, layer after layer). **GELU** is a smooth cousin of ReLU: $\text{GELU}(x) = x\,\Phi(x)$, where $\Phi$ is the standard normal distribution function, so large positive inputs pass almost unchanged and large negative ones become almost 0.
#
# (BERT also has dropout in these places; at inference it does nothing, so we leave it out.) Both, written out and checked against PyTorch's:

# %%
def layer_norm(x, gamma, beta, eps):
    mean = x.mean(dim=-1, keepdim=True)
    variance = x.var(dim=-1, unbiased=False, keepdim=True)       # the mean of the squared deviations (divide by d)
    return (x - mean) / torch.sqrt(variance + eps) * gamma + beta


def gelu(x):
    return x * 0.5 * (1 + torch.erf(x / math.sqrt(2)))            # x Φ(x), Φ written with the error function


reference_norm = nn.LayerNorm(d_model, eps=bert.config.layer_norm_eps)
norm_generator = torch.Generator().manual_seed(5)
with torch.no_grad():
    reference_norm.weight.normal_(generator=norm_generator), reference_norm.bias.normal_(generator=norm_generator)
    sample = torch.randn(3, d_model, generator=norm_generator)
    norm_matches = torch.allclose(layer_norm(sample, reference_norm.weight, reference_norm.bias, reference_norm.eps),
                                  reference_norm(sample), atol=1e-5)
    gelu_matches = torch.allclose(gelu(sample), F.gelu(sample), atol=1e-6)
print(f"our LayerNorm matches nn.LayerNorm: {norm_matches}; our GELU matches F.gelu: {gelu_matches}")
assert norm_matches and gelu_matches


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
# And all the layers chained (6 in MiniLM, 12 in `bert-base-uncased`), starting from the embeddings and ending at the model's final hidden states:

# %% tags=["nbval-ignore-output"]
def run_chain(layers, embeddings, padding):
    hidden = embeddings
    for layer in layers:
        hidden = layer(hidden, padding)
    return hidden


with torch.inference_mode():
    gap32 = (run_chain(our_layers, result.hidden_states[0], padding) - result.last_hidden_state).abs().max().item()
print(f"{len(our_layers)} layers chained, 32-bit floats: largest difference {gap32:.0e}")   # varies with the CPU
assert gap32 <= 1e-4                           # the claim: still within 1e-4 after all the layers

# %% [markdown]
# In 32-bit floats each layer adds rounding noise of around $10^{-6}$ (the exact figures depend on the CPU, which is why these two cells check a bound rather than print a fixed number), and a stack of layers adds up to more. (With `bert-base-uncased`, whose heads have 64 numbers, the scale $1/\sqrt{64} = 1/8$ is exact, and your layers may agree with BERT's to the last bit: a printed 0 is not a mistake either.) To prove that this is rounding and not a mistake, repeat in 64-bit floats, whose rounding steps are $2^{29}$ (about half a billion) times finer. Both models must then agree almost exactly:

# %%
bert64 = AutoModel.from_pretrained(model_folder, attn_implementation="eager", dtype=torch.float64).eval()
our_layers64 = [copy.deepcopy(layer).double() for layer in our_layers]
with torch.inference_mode():
    result64 = bert64(**batch, output_hidden_states=True)
    gap64 = (run_chain(our_layers64, result64.hidden_states[0], padding) - result64.last_hidden_state).abs().max().item()
print(f"{len(our_layers64)} layers chained, 64-bit floats: within 1e-10: {gap64 <= 1e-10}")
assert gap64 <= 1e-10

# %% [markdown]
# The differences are rounding noise: **your code is a BERT encoder.** What remains of the model is the embedding layer (which you saw in section 4), the **pooler** (one more linear layer and tanh on the `[CLS]` vector, which notebook 07 discusses) and, for classification, a small head on top, which is where notebook 07 starts.
#
# ## 6 · What do the heads look at?
#
# The model returned its attention weights too: one $T\times T$ map per layer and head. Heads specialise. Clark et al. ([2019](https://aclanthology.org/W19-4828/)) found heads in BERT that look at the previous or the next token, and many that put most of their attention on `[SEP]`, `[CLS]` or punctuation, which they read as a "no-op" for a head with nothing to do. Read such maps as hints, not explanations: attention weights are only one part of what a layer computes. First, measured on our three sentences: for each pattern, the head that follows it most, and how many heads put more than half their weight there:

# %%
attention_maps = torch.stack(result.attentions)             # (layers, sentences, heads, T, T)
n_layers = attention_maps.shape[0]
key_of = {"the previous token": lambda i, n: i - 1, "the next token": lambda i, n: i + 1,
          "[CLS]": lambda i, n: 0, "[SEP]": lambda i, n: n - 1}          # which key each query i looks at, in n real tokens


def average_weight(pattern: str) -> torch.Tensor:
    """(layers, heads): the average weight a query puts on the key `pattern` names, over the three sentences' real tokens."""
    total = torch.zeros(n_layers, n_heads)
    for s in range(len(reviews)):
        n = int(batch["attention_mask"][s].sum())
        pairs = [(i, key_of[pattern](i, n)) for i in range(n) if 0 <= key_of[pattern](i, n) < n]
        total += torch.stack([attention_maps[:, s, :, i, j] for i, j in pairs], dim=-1).mean(dim=-1) / len(reviews)
    return total


patterns, best_share, heads_over_half = {}, {}, {}
for pattern in key_of:
    share = average_weight(pattern)
    layer, head = divmod(share.round(decimals=3).argmax().item(), n_heads)   # rounded: ties go to the first head everywhere
    patterns[pattern], best_share[pattern], heads_over_half[pattern] = (layer, head), share[layer, head].item(), int((share > 0.5).sum())
    print(f"{pattern:18s}: most followed by layer {layer}, head {head:2d} ({best_share[pattern]:.0%} of its weight); "
          f"{heads_over_half[pattern]} of {share.numel()} heads put over half there")
if MODEL_ID == "sentence-transformers/all-MiniLM-L6-v2":     # the quick profile's model, as the text below says
    assert min(best_share["the previous token"], best_share["the next token"], best_share["[CLS]"]) > 0.5
    assert heads_over_half["[CLS]"] > heads_over_half["[SEP]"]


# %% [markdown]
# With the quick profile's model (all-MiniLM-L6-v2), one head follows the previous token almost exactly, another the next token, and many heads park on `[CLS]` rather than on `[SEP]` (printed above; `bert-base-uncased` prints its own). Those heads are drawn below, on the first sentence:

# %%
def show_attention(sentence: int = 0, layer: int = 0, head: int = 0) -> None:
    length = int(batch["attention_mask"][sentence].sum())
    words = tokenizer.convert_ids_to_tokens(batch["input_ids"][sentence][:length])
    weights = result.attentions[layer][sentence, head, :length, :length]
    heatmap(weights, words, words, title=f"sentence {sentence}, layer {layer}, head {head}", vmax=1)
    plt.show()


# %% [markdown]
# In JupyterLab or Colab this shows a picker (sentence, layer, head); in the saved file it draws the heads found above instead.

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
    static=[{"sentence": 0, "layer": layer, "head": head} for layer, head in
            (patterns["the previous token"], patterns["the next token"], patterns["[CLS]"])],
)

# %% [markdown]
# *Try it:* in the picker, find a head in a later layer that links related words rather than neighbours.
#
# ## 7 · The cost of attention, counted
#
# How does a layer's work grow with the length $T$ of its input? Count the arithmetic of its matrix products in **FLOPs** (one multiply-add is two floating-point operations). They are nearly all of it: the element-wise steps (softmax, GELU, LayerNorm, the residual additions) touch each number only a few times, and there are far fewer numbers than FLOPs (printed below). The layer has two kinds of part:
#
# - **Linear in $T$:** the four $d \times d$ projections (queries, keys, values, output) and the feed-forward network ($d \to d_{ff} \to d$) multiply each token's vector by the same matrices, one token at a time: $2T(4d^2 + 2d\,d_{ff})$ FLOPs, which is $24\,T d^2$ for BERT's $d_{ff} = 4d$. Twice the tokens, twice the work.
# - **Quadratic in $T$:** the scores $QK^\top$ and the weighted sum of the values compare every token with every other: $2 \cdot 2\,T^2 d$ FLOPs over all the heads together. Twice the tokens, four times the work.
#
# So the quadratic part's share of a layer is $\frac{4T^2 d}{24 T d^2 + 4T^2 d} = \frac{T}{6d + T}$: it matters only once $T$ approaches $6d$ (2,304 tokens for a 384-wide model, 4,608 for a 768-wide one). PyTorch's `FlopCounterMode` counts the FLOPs of our own encoder layer exactly, without running it (on the `meta` device, tensors have shapes but no numbers), for both profiles' widths:

# %%
from torch.utils.flop_counter import FlopCounterMode


def counted_flops(function, *shapes) -> int:
    """FLOPs of the matrix products in function(*inputs), for zero-filled inputs of these shapes on the meta device."""
    with torch.device("meta"), FlopCounterMode(display=False) as counter:
        function(*(torch.zeros(shape) for shape in shapes))
    return counter.get_total_flops()


widths = {"all-MiniLM-L6-v2": (384, 12, 1536), "bert-base-uncased": (768, 12, 3072)}   # d, heads, d_ff of each profile's model
quadratic_share, elementwise_share = {}, []
for name, (d, heads, d_ff) in widths.items():
    with torch.device("meta"):
        layer = EncoderLayer(d, heads, d_ff, eps=1e-12)          # no weights needed: the count depends on the shapes only
    for T in (64, 512):
        total = counted_flops(layer, (1, T, d))
        quadratic = counted_flops(attention, *[(1, heads, T, d // heads)] * 3)
        assert total == 24 * T * d * d + 4 * T * T * d and quadratic == 4 * T * T * d     # the formulas, exactly
        quadratic_share[name, T] = quadratic / total
        print(f"{name:18s} T = {T:3d}: {total / 1e9:5.2f} GFLOPs per layer, of which the T x T scores and weighted sums "
              f"{quadratic / total:5.1%} (T/(6d+T) = {T / (6 * d + T):.1%})")
        elementwise = heads * T * T + T * d_ff + 4 * T * d      # numbers the softmax, GELU, two LayerNorms and two residuals touch
        elementwise_share.append(elementwise / total)
assert max(quadratic_share.values()) < 0.2 and max(quadratic_share[name, 64] for name in widths) < 0.03
d_base = widths["bert-base-uncased"][0]
cost_512_vs_128 = (24 * 512 * d_base**2 + 4 * 512**2 * d_base) / (24 * 128 * d_base**2 + 4 * 128**2 * d_base)   # the formula, checked above
print(f"bert-base-uncased: 512 tokens cost {cost_512_vs_128:.2f} times what 128 cost, {cost_512_vs_128 / 4 - 1:.0%} above proportion")
assert 4.2 < cost_512_vs_128 < 4.4
print(f"the element-wise steps touch at most {max(elementwise_share):.2%} as many numbers as the matrix products take FLOPs")
assert max(elementwise_share) < 0.01            # even at ten operations a number, a few percent of the work at most

# %% [markdown]
# At 64 tokens the $T \times T$ part is a few percent of a layer's work, and even at 512 tokens less than a fifth (printed above): the projections and the feed-forward network dominate, and the total grows nearly in proportion to $T$. The picture over a wider range of lengths, for this notebook's model:

# %%
d_ff = bert.config.intermediate_size
lengths = [2 ** k for k in range(5, 14)]                           # 32 to 8,192 tokens
with torch.device("meta"):
    our_width_layer = EncoderLayer(d_model, n_heads, d_ff, eps=1e-12)
total_flops = [counted_flops(our_width_layer, (1, T, d_model)) for T in lengths]
quadratic_flops = [counted_flops(attention, *[(1, n_heads, T, d_model // n_heads)] * 3) for T in lengths]
linear_flops = [total - quadratic for total, quadratic in zip(total_flops, quadratic_flops)]
crossing = 6 * d_model
fig, ax = plt.subplots(figsize=(6.6, 4))
ax.loglog(lengths, total_flops, "o-", label="whole layer")
ax.loglog(lengths, linear_flops, "--", label="projections + feed-forward (∝ T)")
ax.loglog(lengths, quadratic_flops, "--", label="scores + weighted sums (∝ T²)")
ax.axvline(crossing, color="grey", ls=":")
ax.text(crossing * 1.05, min(quadratic_flops), f"6d = {crossing}: the T² part\novertakes", color="grey", fontsize=8)
ax.set(xlabel="sequence length T (tokens)", ylabel="FLOPs per layer (counted)",
       title=f"Work of one {d_model}-wide layer: linear until T nears 6d")
ax.legend(fontsize=8)
plt.show()
ratio_64_128 = total_flops[2] / total_flops[1]
print(f"doubling T from 64 to 128 multiplies the work by {ratio_64_128:.2f}; from 4,096 to 8,192 by {total_flops[-1] / total_flops[-2]:.2f}")
assert 2 < ratio_64_128 < 2.1 and lengths[1:3] == [64, 128]

# %% [markdown]
# Memory is where $T^2$ bites sooner. Our `attention` materializes the scores and the weights, two $h \times T \times T$ tensors of 4-byte floats per layer and per sequence (a batch of 32 sequences needs 32 times as much), against $T \times d$ numbers for the token vectors themselves; in training the weights are kept for the backward pass (and, with dropout on them, as BERT has, a dropped copy too). PyTorch's `F.scaled_dot_product_attention` computes the same result and, with its fused kernels, works through the keys in blocks, so it need not store the whole $T \times T$ matrix: it saves memory, not FLOPs.

# %%
for T in (128, 512, 2048):
    materialized = 2 * n_heads * T * T * 4
    token_vectors = T * d_model * 4
    print(f"T = {T:4d}: scores and weights {materialized / 2**20:6.1f} MiB per layer, for one sequence; "
          f"the token vectors {token_vectors / 2**20:5.2f} MiB")

# %% [markdown]
# So why does BERT stop at 512 tokens? Not because the 513th token would cost too much: because there is no position vector for it. BERT's learned position table (section 4) has one row per position, and no more:

# %%
table = bert.embeddings.position_embeddings
print(f"position table: {table.num_embeddings} rows of {table.embedding_dim}; config.max_position_embeddings = "
      f"{bert.config.max_position_embeddings}; the tokenizer's model_max_length = {tokenizer.model_max_length}")
assert table.num_embeddings == bert.config.max_position_embeddings == 512
try:
    table(torch.tensor([table.num_embeddings]))       # the vector for position 512, the 513th token
except IndexError as problem:
    print("position 512:", type(problem).__name__, "(no such row)")
else:
    raise AssertionError("the table has a row for position 512")


# %% [markdown]
# The cost did shape that table: BERT's authors pretrained on 128-token sequences for 90% of the steps and on 512-token sequences only for the last 10%, to learn the later position vectors, because longer sequences cost more than in proportion, attention being quadratic in the length (Devlin et al., [2019](https://arxiv.org/abs/1810.04805), appendix A.2). In FLOPs that surcharge is modest for `bert-base-uncased`: 512 tokens cost about 4.3 times what 128 do, under a tenth above proportion (printed in section 7's count); the $T \times T$ memory is the larger cost. For a fine-tuner the limit is the table: a review longer than 512 tokens must be cut (notebook 07 keeps its head and tail) or read in pieces. *Try it:* time `bert` on a batch at 64 and at 512 tokens on your machine, and compare the time per token with what the FLOPs above predict.

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
# Without looking at section 2, write `my_attention(q, k, v, mask=None)` for inputs of shape `(batch, heads, tokens, d)`. The checker compares it with `F.scaled_dot_product_attention` three times: without a mask, with a causal mask of shape `(tokens, tokens)`, and with a padding mask of shape `(batch, 1, 1, tokens)`. Both masks are boolean (`True` = may attend) and broadcast against the scores of shape `(batch, heads, tokens, tokens)` as they are, so use `mask` without adding dimensions.

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
# - A layer's work is linear in the length for its projections and feed-forward network and quadratic only in its $T \times T$ scores, a small share below $T \approx 6d$ (counted in FLOPs); the score matrices' memory grows with $T^2$, which fused kernels avoid storing. BERT stops at 512 tokens because its position table has 512 rows.
#
# **Next:** [07 · Fine-tuning BERT with the Trainer](07_finetune_with_trainer.ipynb), where a small classification head goes on top of this encoder.
