# %% [markdown]
# # 03 · Linear algebra, as BERT uses it
#
# **You will see that a neural network is mostly matrix products, measure how alike two sentences are with a dot product, watch a matrix bend a circle, and compress a real BERT weight matrix, and see why LoRA bets on a low-rank *update* instead.**
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/zero-to-finetune/zero-to-finetune/blob/v0.1.0/notebooks/03_linear_algebra.ipynb)
#
# **Time needed:** about 45 minutes to read and run; with the three exercises, about 75. The code runs in seconds on a 2-core laptop (the instructor guide lists the measured time), once the course's sentence model is on your machine.
# **Prerequisites:** [02 · Conda environments](02_conda_environments.ipynb); Python lists and loops. No earlier linear algebra needed.

# %% [markdown]
# ## Learning objectives
#
# After this notebook you can:
#
# 1. read a tensor's shape and predict the shape of a result, including broadcasting;
# 2. write a linear layer as `x @ W.T + b` and check it against `nn.Linear`;
# 3. measure similarity with the dot product and cosine similarity on real sentence vectors;
# 4. explain eigenvectors and the SVD as what a matrix does to a circle;
# 5. approximate a real BERT weight matrix with low rank, measure the error, and say what LoRA assumes.

# %% [markdown]
# ## Setup

# %%
import os, sys

if "google.colab" in sys.modules:  # on Google Colab only: install the course (PyTorch is there already)
    # %pip install --quiet {os.environ.get("COURSE_UTILS_SOURCE", "git+https://github.com/zero-to-finetune/zero-to-finetune@v0.1.0")}
import course_utils

config = course_utils.setup()

# %%
import math

import matplotlib.pyplot as plt
import torch
from torch import nn

from course_utils import check, plotting
from course_utils.features import load_encoder, sentence_vectors

tokenizer, bert = load_encoder()  # the course's sentence model (the same online and offline): 6 layers, hidden size 384

# %% [markdown]
# ## Tensors and shapes
#
# A **tensor** is an array with any number of axes: a number (0 axes), a vector (1), a matrix (2), or more. Its **shape** lists the length of each axis. BERT's working data is a 3-axis tensor: for each sentence in a batch, for each token, a vector of `hidden_size` numbers.

# %%
batch = tokenizer(["A wonderful film.", "The plot made no sense at all."], padding=True, return_tensors="pt")
with torch.no_grad():                        # no gradients needed: we only look
    hidden = bert(**batch).last_hidden_state

print("token ids:     ", tuple(batch["input_ids"].shape), " (sentences, tokens)")
print("hidden states: ", tuple(hidden.shape), "(sentences, tokens, hidden size)")
print("one token's vector has", hidden[0, 1].numel(), "numbers; its first three:", [round(v, 2) for v in hidden[0, 1, :3].tolist()])

# %% [markdown]
# ### Broadcasting
#
# When two tensors of different shapes meet in `+`, `*` and friends, PyTorch lines the shapes up **from the right**; an axis of length 1 (or a missing one) is stretched to match. That is how one bias vector is added to every token of every sentence without a loop. If two aligned lengths differ and neither is 1, it is an error:

# %%
bias = torch.ones(384)
print(tuple(hidden.shape), "+", tuple(bias.shape), "->", tuple((hidden + bias).shape))

per_sentence = torch.ones(2, 1, 1)   # one number per sentence
print(tuple(hidden.shape), "*", tuple(per_sentence.shape), "->", tuple((hidden * per_sentence).shape))

try:
    hidden + torch.ones(2, 384)      # aligned from the right: 384 vs 384, then 2 vs the token axis
except RuntimeError as problem:
    print("error:", str(problem).splitlines()[0])


# %% [markdown]
# *Try it:* what shape makes `hidden + x` add one number per token position (the same for both sentences)?
#
# <details>
# <summary>Answer (click to open)</summary>
#
# `(tokens, 1)`, or `(1, tokens, 1)`: aligned from the right, 1 meets the hidden size and is stretched, `tokens` meets the token axis, and the missing (or length-1) first axis is stretched over the sentences.
# </details>
#
# ## The matrix product: the engine of a network
#
# For $A$ of shape $(m, k)$ and $B$ of shape $(k, n)$, the product $C = AB$ has shape $(m, n)$ and
#
# $$c_{ij} = \sum_{l=1}^{k} a_{il}\, b_{lj}:$$
#
# entry $(i, j)$ is the dot product of row $i$ of $A$ with column $j$ of $B$. Written as loops, then checked against `@`:

# %%
def matmul_loops(A, B):
    m, k = A.shape
    k2, n = B.shape
    assert k == k2, f"inner sizes differ: {k} vs {k2}"
    C = torch.zeros(m, n)
    for i in range(m):
        for j in range(n):
            C[i, j] = sum(A[i, l] * B[l, j] for l in range(k))
    return C


generator = torch.Generator().manual_seed(0)
A, B = torch.randn(3, 4, generator=generator), torch.randn(4, 2, generator=generator)
print("loops == @ :", torch.allclose(matmul_loops(A, B), A @ B, atol=1e-6))

# %% [markdown]
# A **linear layer** is one matrix product plus a bias: $y = x W^\top + b$, with $W$ of shape (outputs, inputs). `nn.Linear` stores exactly that $W$ and $b$. Every projection inside BERT (queries, keys, values, the feed-forward network) is one of these; here is the query projection of BERT's first layer, by hand and by the layer itself, applied to the token vectors that layer reads (the embeddings, `hidden_states[0]`):

# %%
query = bert.encoder.layer[0].attention.self.query
print(query)
W, b = query.weight.detach(), query.bias.detach()
with torch.no_grad():
    x = bert(**batch, output_hidden_states=True).hidden_states[0][0]   # (tokens, 384): the embeddings of the first sentence
by_hand = x @ W.T + b
print("x @ W.T + b matches nn.Linear:", torch.allclose(by_hand, query(x).detach(), atol=1e-5))
assert torch.allclose(by_hand, query(x).detach(), atol=1e-5)

# %% [markdown]
# Most of BERT's compute is such products: for each token, each layer multiplies by four $d \times d$ matrices in attention (queries, keys, values, output) and by a $d \times 4d$ and a $4d \times d$ matrix in the feed-forward part, where $d$ is the hidden size. The sizes come from the model's configuration:

# %%
sizes = bert.config
print(f"this model: {sizes.num_hidden_layers} layers, hidden size d = {sizes.hidden_size}, "
      f"feed-forward size {sizes.intermediate_size}")

# %% [markdown]
# This notebook's model is the course's sentence model, *all-MiniLM-L6-v2*, a small BERT (the same weights online and offline). `bert-base-uncased`, which notebook 07 fine-tunes in its full profile (the default on a GPU; the quick profile, the default on a CPU, fine-tunes this small model), has 12 layers with $d = 768$ and a feed-forward size of 3072: four times the products per layer, and twice the layers.
#
# ## Dot product and cosine similarity: "how alike?"
#
# The dot product $a \cdot b = \sum_i a_i b_i = \lVert a\rVert\,\lVert b\rVert \cos\theta$ is large when two vectors point the same way. Dividing by both lengths leaves $\cos\theta$, the **cosine similarity**, between -1 and 1. The course's sentence model (the same *all-MiniLM-L6-v2* online and offline) was trained so that the average of a sentence's token vectors is a sentence vector, with sentences of similar meaning pointing in similar directions. `course_utils.sentence_vectors` returns them scaled to length 1, so a plain matrix product gives every cosine at once:

# %%
sentences = [
    "A wonderful film with a moving story.",
    "I loved every minute of this movie.",
    "The acting was superb and the music beautiful.",
    "A dull, boring film; I nearly fell asleep.",
    "The worst movie I have seen this year.",
    "The pasta was cold and the waiter was rude.",
    "Our train was delayed by an hour.",
]
vectors = sentence_vectors(sentences)
similarity = vectors @ vectors.T
print("vector lengths:", [round(v, 3) for v in vectors.norm(dim=1).tolist()])
print("matches F.cosine_similarity:",
      torch.allclose(similarity, nn.functional.cosine_similarity(vectors[:, None], vectors[None, :], dim=-1), atol=1e-5))

# %%
labels = [s if len(s) < 32 else s[:29] + "..." for s in sentences]
ax = plotting.heatmap(similarity, labels, labels, title="Cosine similarity of sentence vectors", vmin=-0.1, vmax=1,
                      annotate=True)
plt.show()

# %% [markdown]
# What the picture says, computed rather than eyeballed: the three praising sentences (0-2), the two complaints about films (3-4), and the two sentences that are not about films at all (5-6):

# %%
praise, complaints, elsewhere = [0, 1, 2], [3, 4], [5, 6]


def mean_similarity(rows, cols):
    pairs = [similarity[i, j].item() for i in rows for j in cols if i != j]
    return sum(pairs) / len(pairs)


films = praise + complaints
within = (mean_similarity(praise, praise) + mean_similarity(complaints, complaints)) / 2
across = mean_similarity(praise, complaints)
print(f"film sentences with each other: lowest {min(similarity[i, j].item() for i in films for j in films if i != j):.2f}; "
      f"a film sentence with pasta or trains: highest {max(similarity[i, j].item() for i in films for j in elsewhere):.2f}")
print(f"same sentiment (praise with praise, complaint with complaint): {within:.2f} on average; praise with complaint: {across:.2f}")
for i in films:
    nearest = max((j for j in range(len(sentences)) if j != i), key=lambda j: similarity[i, j].item())
    print(f"  nearest to {labels[i]!r}: {labels[nearest]!r} ({similarity[i, nearest]:.2f})")
    assert (i in praise) == (nearest in praise)        # the claim below: each nearest neighbour shares the opinion
complaint_with_praise = min(similarity[i, j].item() for i in complaints for j in praise)
complaint_with_pasta = max(similarity[i, 5].item() for i in complaints)
print(f"a film complaint with a film praise: lowest {complaint_with_praise:.2f}; "
      f"with the complaint about pasta: highest {complaint_with_pasta:.2f}")
assert min(similarity[i, j] for i in films for j in films if i != j) > max(similarity[i, j] for i in films for j in elsewhere)
assert within > across and complaint_with_praise > complaint_with_pasta

# %% [markdown]
# Every sentence about a film is closer to every other film sentence than to the pasta or the train: the vectors capture **topic** well. Sentiment shows too, but more weakly. Each nearest neighbour above shares its sentence's opinion, and same-opinion pairs are more alike on average than praise with complaint (both printed). Yet a complaint about a film is closer to *every* praise of a film than to the complaint about the pasta, which shares its opinion but not its topic: these vectors rank topic above sentiment. That is why notebook 07 fine-tunes the model instead of reading sentiment off its similarities.
#
# ## Norms: the length of a vector
#
# A **norm** measures size. The three you will meet: L2 $\lVert x\rVert_2 = \sqrt{\sum x_i^2}$ (ordinary length; weight decay in notebook 05, and the gradient clipping of notebook 08, which rescales the whole gradient when its L2 norm is too large), L1 $\lVert x\rVert_1 = \sum |x_i|$ (L1 regularization), and the max norm $\lVert x\rVert_\infty = \max |x_i|$ (the largest absolute value of an entry, whatever its sign: for $[3, -4]$ it is 4; clipping *by value* caps each entry's absolute value at a bound). The picture: all points of norm 1, for each norm.

# %%
x = torch.tensor([3.0, -4.0])
print("L2:", torch.linalg.vector_norm(x, 2).item(), " L1:", torch.linalg.vector_norm(x, 1).item(),
      " max:", torch.linalg.vector_norm(x, float("inf")).item())
assert torch.linalg.vector_norm(x, float("inf")).item() == x.abs().max().item() == 4.0   # the largest |entry|, not the largest entry

angle = torch.linspace(0, 2 * math.pi, 400)
directions = torch.stack([angle.cos(), angle.sin()], dim=1)
fig, ax = plt.subplots(figsize=(4.2, 4.2))
for order, name in [(1, "L1"), (2, "L2"), (float("inf"), "max")]:
    unit = directions / torch.linalg.vector_norm(directions, order, dim=1, keepdim=True)
    ax.plot(unit[:, 0], unit[:, 1], label=f"{name} norm = 1")
ax.set_aspect("equal")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=9)    # beside the plot, so it hides no curve
ax.set_title("Unit 'circles' of three norms")
plt.show()

# %% [markdown]
# A matrix has a size too. The one this notebook uses is the **Frobenius norm**: lay all the entries out as one long vector and take its L2 norm, $\lVert A\rVert_F = \sqrt{\sum_{i,j} a_{ij}^2}$. It measures how far apart two matrices are, $\lVert A - B\rVert_F$, which is how the low-rank section below scores an approximation of a BERT weight matrix:

# %%
A = torch.tensor([[1.0, -2.0], [3.0, 4.0]])
frobenius = torch.linalg.matrix_norm(A, "fro")
print(f"‖A‖_F = {frobenius:.4f} = √(1 + 4 + 9 + 16) = √30 = {math.sqrt(30):.4f}")
assert torch.isclose(frobenius, A.flatten().norm()) and math.isclose(frobenius.item(), math.sqrt(30), rel_tol=1e-6)


# %% [markdown]
# ## Eigenvectors and the SVD, as pictures
#
# A $2 \times 2$ matrix moves every point of the plane. Draw what it does to the unit circle and you see everything about it:
#
# - An **eigenvector** $v$ is a direction the matrix keeps on its own line: $Av = \lambda v$. The **eigenvalue** $\lambda$ says what happens along it: stretched if $|\lambda| > 1$, shrunk if $|\lambda| < 1$, and flipped to the other side if $\lambda < 0$. (Not every matrix has real ones: a rotation by any angle other than 0° or 180° turns every direction off its line, while a 180° rotation keeps every line and flips it, $\lambda = -1$. And eigenvectors need not be at right angles to each other.)
# - A **symmetric** matrix ($A = A^\top$) is the good case. The **spectral theorem** says it has real eigenvalues and eigenvectors that *are* at right angles: $A = Q \Lambda Q^\top$ with $Q$ orthogonal (its columns the eigenvectors) and $\Lambda$ diagonal (the eigenvalues). Matrices of second derivatives (the Hessians of notebook 05) and products $X^\top X$ are symmetric, which is why notebook 05 can split a gradient step into independent moves along the eigenvectors.
# - The **singular value decomposition** $A = U \Sigma V^\top$ says *every* matrix is an orthogonal map ($V^\top$), a stretch along the axes ($\Sigma$), and another orthogonal map ($U$). An orthogonal map keeps lengths and angles; in the plane it is a **rotation or a reflection** (a mirror image; its determinant is $-1$ instead of $+1$), and in more dimensions one of determinant $-1$ is a rotation combined with a reflection. Column $i$ of $V$, a unit vector $v_i$, is sent to $\sigma_i u_i$: $A v_i = \sigma_i u_i$. So the circle becomes an ellipse whose half-axes are $\sigma_1 u_1$ and $\sigma_2 u_2$, or, when a singular value is 0 (a **singular** matrix), a flat segment: the plane is squashed onto a line.
#
# In the pictures, the thin arrows are $v_1, v_2$ on the circle and the thick arrows their images $\sigma_1 u_1, \sigma_2 u_2$ (same colour, same $i$); dashed lines are eigenvector directions where real ones exist.

# %%
def draw_matrix(A, ax, title):
    circle = torch.stack([angle.cos(), angle.sin()])          # (2, points)
    image = A @ circle
    ax.plot(circle[0], circle[1], color=plotting.COURSE_COLORS[6], lw=1, label="unit circle")
    ax.plot(image[0], image[1], color=plotting.COURSE_COLORS[0], label="A @ circle")
    U, S, Vt = torch.linalg.svd(A)
    for i, colour in zip(range(2), (plotting.COURSE_COLORS[1], plotting.COURSE_COLORS[3])):
        v, target = Vt[i], S[i] * U[:, i]                       # A v_i = σ_i u_i
        ax.annotate("", xy=(v[0], v[1]), xytext=(0, 0), arrowprops=dict(arrowstyle="->", color=colour, lw=1))
        ax.annotate("", xy=(target[0], target[1]), xytext=(0, 0), arrowprops=dict(arrowstyle="->", color=colour, lw=2.5))
    values, vectors = torch.linalg.eig(A)
    if values.imag.abs().max() < 1e-6:                          # real eigenvectors exist
        for i in range(2):
            v = vectors[:, i].real
            ax.plot([-2.8 * v[0], 2.8 * v[0]], [-2.8 * v[1], 2.8 * v[1]], "--", color=plotting.COURSE_COLORS[2], lw=1)
    ax.set(xlim=(-2.8, 2.8), ylim=(-2.8, 2.8), aspect="equal", title=title)


matrices = {
    "symmetric: stretch along tilted axes": torch.tensor([[1.25, 0.75], [0.75, 1.25]]),
    "shear": torch.tensor([[1.0, 1.0], [0.0, 1.0]]),
    "eigenvectors not at right angles": torch.tensor([[2.0, 1.0], [0.0, 1.0]]),
    "rotate and stretch": torch.tensor([[1.2, -0.9], [0.9, 1.2]]),
    "singular (rank 1)": torch.tensor([[1.0, 2.0], [0.5, 1.0]]),
    "mirror and stretch": torch.tensor([[0.0, 2.0], [0.5, 0.0]]),
}
fig, axes = plt.subplots(2, 3, figsize=(11, 8.2))
for ax, (name, A) in zip(axes.flat, matrices.items()):
    draw_matrix(A, ax, name)
key = [plt.Line2D([], [], color=plotting.COURSE_COLORS[6], lw=1, label="unit circle"),
       plt.Line2D([], [], color=plotting.COURSE_COLORS[0], label="A @ circle (its image)"),
       plt.Line2D([], [], color=plotting.COURSE_COLORS[1], lw=1, marker=">", label="thin: v_1, v_2 on the circle"),
       plt.Line2D([], [], color=plotting.COURSE_COLORS[1], lw=2.5, marker=">", label="thick: A v_i = σ_i u_i, the colour of its v_i"),
       plt.Line2D([], [], color=plotting.COURSE_COLORS[2], lw=1, ls="--", label="a real eigenvector's line")]
fig.legend(handles=key, loc="lower center", ncol=3, fontsize=9)   # one key for all six, below them: it covers no panel
fig.suptitle("What a matrix does to the unit circle")
fig.subplots_adjust(bottom=0.13)
plt.show()

# %%
for name, A in matrices.items():
    U, S, Vt = torch.linalg.svd(A)
    rebuilt = U @ torch.diag(S) @ Vt
    det = torch.linalg.det(A).item()
    if abs(det) < 1e-6:
        kinds = "may be rotations or reflections (A is singular)"
    elif det < 0:
        kinds = "are one reflection, one rotation"          # det A = det U · σ1σ2 · det V, and σ1σ2 > 0
    else:
        kinds = "are both rotations or both reflections"
    shown = 0.0 if abs(det) < 1e-6 else det                # no "-0.00": the sign of a rounding error is not stable
    print(f"{name:36s} singular values {[round(v, 3) for v in S.tolist()]}, det A = {shown:5.2f}: U and V {kinds}")
    assert torch.allclose(rebuilt, A, atol=1e-5)
    assert abs(abs(torch.linalg.det(U)) - 1) < 1e-5 and abs(abs(torch.linalg.det(Vt)) - 1) < 1e-5   # orthogonal

# %% [markdown]
# The spectral theorem, checked on the symmetric matrix of the first picture and on a random symmetric $5 \times 5$ one (`torch.linalg.eigh` is the eigen-solver for symmetric matrices); and the eigenvalues of the mirror, one of them negative:

# %%
generator = torch.Generator().manual_seed(1)
B = torch.randn(5, 5, generator=generator, dtype=torch.float64)
for name, A in [("symmetric 2 x 2", matrices["symmetric: stretch along tilted axes"].double()), ("random symmetric 5 x 5", B + B.T)]:
    eigenvalues, Q = torch.linalg.eigh(A)                     # real eigenvalues, eigenvectors in the columns of Q
    orthogonal = torch.allclose(Q.T @ Q, torch.eye(len(A), dtype=torch.float64))
    rebuilt = torch.allclose(Q @ torch.diag(eigenvalues) @ Q.T, A)
    print(f"{name}: eigenvectors at right angles (QᵀQ = I): {orthogonal}; A = QΛQᵀ: {rebuilt}")
    assert orthogonal and rebuilt
mirror_eigenvalues = sorted(torch.linalg.eigvals(matrices["mirror and stretch"]).real.tolist())
print("eigenvalues of 'mirror and stretch':", [round(v, 3) for v in mirror_eigenvalues], "(λ = -1: that line is flipped, not stretched)")
assert torch.allclose(torch.tensor(mirror_eigenvalues), torch.tensor([-1.0, 1.0]))

# %% [markdown]
# Three things to notice. The shear has only one eigenvector direction (it is not diagonalizable), and the rotation has none that is real, yet each has an SVD. The eigenvectors of the third matrix are not at right angles, while $v_1, v_2$ (and $u_1, u_2$) always are. And $U$ and $V$ are not always rotations. Since $\det A = \det U \cdot \sigma_1 \sigma_2 \cdot \det V$ and the singular values are not negative, a matrix that mirrors the plane ($\det A < 0$, the last one) must have exactly one reflection among $U$ and $V$; for the others, flipping the sign of a $u_i$ together with its $v_i$ gives another valid SVD, so a library may return two reflections where two rotations would do. "Rotate, stretch, rotate" is true only up to a mirror. That the SVD always exists, with orthogonal directions, is why it, not eigenvectors, is the tool for the next section.
#
# ## Low rank: compressing a real BERT weight matrix
#
# Keep only the $r$ largest singular values: $W_r = U_{:, :r}\, \Sigma_{:r, :r}\, V_{:, :r}^\top$ (the first $r$ columns of $U$ and $V$, the top-left $r \times r$ block of $\Sigma$). It stores $r(m + n)$ numbers instead of $mn$ (with each $\sigma_i$ folded into its column of $U$), and no matrix of rank at most $r$ is closer to $W$ in the Frobenius norm (the Eckart–Young theorem): the error is exactly the singular values left out, $\lVert W - W_r\rVert_F = \sqrt{\sum_{i > r} \sigma_i^2}$, and with nothing left out, $\lVert W\rVert_F = \sqrt{\sum_i \sigma_i^2}$. Two ways to say how much is lost, easy to confuse: the **relative error** $\lVert W - W_r\rVert_F / \lVert W\rVert_F$, and the **share of energy** lost, $\sum_{i > r} \sigma_i^2 / \sum_i \sigma_i^2$, which is the square of the first.
#
# We take the first feed-forward matrix of BERT's first layer and compare its spectrum with a random matrix of the same shape and scale:

# %%
weight = bert.encoder.layer[0].intermediate.dense.weight.detach()
U, S, Vt = torch.linalg.svd(weight, full_matrices=False)
random_matrix = torch.randn(weight.shape, generator=torch.Generator().manual_seed(0)) * weight.std()
S_random = torch.linalg.svdvals(random_matrix)


def relative_error(singular_values, rank):
    return ((singular_values[rank:] ** 2).sum() / (singular_values ** 2).sum()).sqrt().item()


ranks = list(range(0, len(S) + 1, 8))
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
left.semilogy(S, label="BERT layer 0, feed-forward in")
left.semilogy(S_random, label="random, same shape and scale")
left.set(title="Singular values", xlabel="index i", ylabel="σᵢ (log scale)")
left.legend()
right.plot(ranks, [relative_error(S, r) for r in ranks], label="BERT weight")
right.plot(ranks, [relative_error(S_random, r) for r in ranks], label="random")
right.set(title="Error of the best rank-r approximation", xlabel="rank r", ylabel="‖W − W_r‖ / ‖W‖")
right.legend()
plt.show()


# %%
def low_rank_svd(W, rank):
    U, S, Vt = torch.linalg.svd(W, full_matrices=False)
    return U[:, :rank] @ torch.diag(S[:rank]) @ Vt[:rank]


print("matrix shape:", tuple(weight.shape))
print(f"‖W‖_F = {weight.norm():.2f}, √(Σ σᵢ²) = {(S ** 2).sum().sqrt():.2f}")
assert torch.isclose(weight.norm(), (S ** 2).sum().sqrt(), rtol=1e-4)
for rank in (8, 64, 192):
    approx = low_rank_svd(weight, rank)
    measured = ((weight - approx).norm() / weight.norm()).item()
    stored = rank * sum(weight.shape) / weight.numel()
    print(f"rank {rank:3d}: stores {stored:5.1%} of the numbers, relative error {measured:.3f} "
          f"(Eckart-Young predicts {relative_error(S, rank):.3f}), energy lost {relative_error(S, rank) ** 2:.0%}")
    assert abs(measured - relative_error(S, rank)) < 1e-3
print(f"the random matrix at rank 64: relative error {relative_error(S_random, 64):.3f}")
# The lesson below, checked: at rank 64 (a fifth of the numbers) about two thirds of the norm and almost half of the energy
# are lost, and the BERT matrix's spectrum still falls faster than the random one's.
assert 0.6 < relative_error(S, 64) < 0.72 and 0.4 < relative_error(S, 64) ** 2 < 0.5
assert relative_error(S, 64) < relative_error(S_random, 64)

# %% [markdown]
# Two honest lessons:
#
# 1. A pretrained weight matrix is **not** low-rank: its spectrum falls faster than a random matrix's, but rank 64, a fifth of the numbers, still leaves a relative error of about two thirds, and loses almost half of the energy (printed above). Compressing BERT's weights this way throws away much of what they hold.
# 2. **LoRA** (low-rank adaptation) makes a different bet: not that $W$ is low-rank, but that the *change* fine-tuning needs, $\Delta W$, is. It freezes $W$ and trains $\Delta W = BA$ with $B$ of shape $(m, r)$ and $A$ of shape $(r, n)$, for a small $r$ such as 8: for this matrix, $8 \cdot (m + n)$ trainable numbers instead of $m \cdot n$ (exercise 3 counts them for all of `bert-base-uncased`).
#
# Move the slider to see a corner of the matrix rebuilt from $r$ singular values, and what is left over (in a static copy, such as this page on GitHub, two ranks are drawn instead of a slider):

# %%
from course_utils.widgets import explore


def draw_rank(rank=8):
    corner = slice(0, 40)
    approx = U[:, :rank] @ torch.diag(S[:rank]) @ Vt[:rank]
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.0), constrained_layout=True)
    limit = weight[corner, corner].abs().max().item()
    panels = [(weight, "W"), (approx, f"W_r, rank {rank}"), (weight - approx, "residual W − W_r")]
    for ax, (matrix, title) in zip(axes, panels):
        image = ax.imshow(matrix[corner, corner], cmap="RdBu", vmin=-limit, vmax=limit)
        ax.set(title=f"{title} (40 × 40 corner)", xlabel="column (input feature)", ylabel="row (output feature)")
        ax.grid(False)
    fig.colorbar(image, ax=axes, shrink=0.8, label="weight value")
    fig.suptitle(f"relative error at rank {rank}: {relative_error(S, rank):.2f}")
    plt.show()


import ipywidgets

explore(draw_rank, {"rank": ipywidgets.IntSlider(value=8, min=1, max=384, step=1)}, static=[{"rank": 8}, {"rank": 192}])


# %% [markdown]
# ## Exercises
#
# ### Exercise 1: a linear layer by hand
#
# Write `linear(x, W, b)` returning $x W^\top + b$ for a batch `x` of shape `(..., inputs)`. The checker compares it with `nn.Linear` on several shapes, including BERT's 3-axis hidden states.

# %%
def linear(x, W, b):
    # Your code here: replace this line.
    return x


check("03.linear", linear)


# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def linear(x, W, b):
#     return x @ W.T + b
# ```
# </details>
#
# `@` multiplies over the last axis of `x` and broadcasts over all the others, so the same line works for a vector, a matrix or a batch of sentences.

# %% [markdown]
# ### Exercise 2: the rank for an error budget
#
# Write `smallest_rank(S, max_error)` that takes the singular values `S` of a matrix (largest first) and returns the smallest rank $r$ whose best rank-$r$ approximation has a **relative error** $\lVert W - W_r\rVert_F / \lVert W\rVert_F$ of at most `max_error`. You do not need the matrix: Eckart–Young tells you the error from `S` alone. Then use it: what rank does the BERT matrix above need for a relative error of 0.5?

# %%
def smallest_rank(S, max_error):
    # Your code here: replace this line.
    return len(S)


check("03.rank_for_error", smallest_rank)

# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def smallest_rank(S, max_error):
#     total = (S ** 2).sum()
#     for r in range(len(S) + 1):
#         if ((S[r:] ** 2).sum() / total).sqrt() <= max_error:
#             return r
# ```
#
# Try `smallest_rank(S, 0.5)` on the BERT matrix and compare it with its 384 singular values: it needs 148. A common slip is to compare the *share of energy* lost with `max_error`: that share is the square of the relative error, so the slip keeps far fewer singular values than the budget requires (51 here, whose relative error is about 0.71, not 0.5).
# </details>

# %% [markdown]
# ### Exercise 3: how many numbers does LoRA train?
#
# LoRA is commonly applied to the **query** and **value** projections of every layer. `bert-base-uncased` has 12 layers, each with query and value matrices of shape $768 \times 768$. With rank $r = 8$ and no LoRA biases, how many numbers does LoRA train in the whole model? Compute it (do not count by hand on paper: write the product) and store it in `lora_parameters` as an `int`.

# %%
lora_parameters = 0  # Your answer here

check("03.lora_parameters", lora_parameters)

# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# rank, layers, hidden = 8, 12, 768
# lora_parameters = layers * 2 * rank * (hidden + hidden)   # B (768 x 8) and A (8 x 768) for query and value
# ```
#
# 294,912 numbers, against the 110 million of the whole model: about a quarter of one percent. Notebook 08 trains such adapters on the quick profile's 6-layer model with $d = 384$: $6 \cdot 2 \cdot 8 \cdot (384 + 384) = 73{,}728$ numbers, plus the small classification head that stays trainable.
# </details>

# %% [markdown]
# ## Summary
#
# - Shapes tell the story: BERT works on `(sentences, tokens, hidden)` tensors; broadcasting aligns shapes from the right and stretches length-1 axes.
# - A linear layer is `x @ W.T + b`; BERT's layers are mostly such products (checked against `nn.Linear` on a real BERT projection).
# - Cosine similarity of sentence vectors measures closeness of meaning: topic clearly, sentiment only weakly.
# - Norms measure size: L2, L1, max (the largest absolute entry) for vectors, Frobenius for matrices. The SVD writes any square matrix as an orthogonal map (in the plane, a rotation or a reflection), a stretch, and another orthogonal map, with $A v_i = \sigma_i u_i$; for a rectangular matrix (the thin SVD) $U$ or $V$ has orthonormal columns but is not square, and $\Sigma$ changes the dimension. Eigenvectors are the directions a matrix keeps on their own line (stretched, shrunk or flipped by $\lambda$); in general they need not be orthogonal, but a symmetric matrix has orthogonal ones and real eigenvalues (the spectral theorem, $A = Q\Lambda Q^\top$).
# - The best rank-$r$ approximation keeps the $r$ largest singular values; its relative error is the square root of the energy it loses. Pretrained weights are not low-rank; LoRA bets that the fine-tuning *update* is, and trains a small fraction of the numbers.
#
# **Next:** [04 · Probability and Bayes](04_probability_and_bayes.ipynb).
