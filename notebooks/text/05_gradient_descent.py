# %% [markdown]
# # 05 · Gradient descent, losses and regularization
#
# **You will watch gradient descent walk downhill, derive gradients by hand (backpropagation) and check them against autograd, choose a learning rate from the curvature, write SGD, momentum, Adam and AdamW until they match PyTorch step for step, and train a classifier on BERT's sentence vectors with them, choosing its settings on validation data.**
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/zero-to-finetune/zero-to-finetune/blob/v0.1.0/notebooks/05_gradient_descent.ipynb)
#
# **Time needed:** about 60 minutes to read and run; with the three exercises, about 90. The code runs in under a minute in the quick profile; the full profile encodes every IMDb review with the sentence model (on the GPU), which takes minutes.
# **Prerequisites:** [04 · Probability and Bayes](04_probability_and_bayes.ipynb) (cross-entropy); a derivative as "the slope".

# %% [markdown]
# ## Learning objectives
#
# After this notebook you can:
#
# 1. run gradient descent, and predict from the curvature which learning rates converge, oscillate or diverge;
# 2. derive gradients by hand with the chain rule (a scalar graph, a linear layer, softmax with cross-entropy) and check them against autograd and finite differences;
# 3. write SGD, momentum, Adam and AdamW from their update rules and match `torch.optim` step for step;
# 4. train logistic regression on frozen BERT sentence vectors with full batches and mini-batches, choosing learning rates and regularization on a validation split;
# 5. explain L1, L2 and AdamW's decoupled weight decay, and build the warm-up-then-linear-decay schedule that fine-tuning uses.

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

import ipywidgets
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from course_utils import check, plotting
from course_utils.widgets import explore

STEPS = 100                   # optimizer steps compared with torch.optim
MAX_TOKENS = 64               # tokens per review for the sentence vectors
REVIEWS_PER_SPLIT = config.pick(quick=1000, full=None)   # at most this many per split (None: all; real IMDb has 25,000)


# %% [markdown]
# ## Gradient descent in one dimension
#
# To minimize a function $f(w)$, start somewhere and step against the slope:
#
# $$w_{t+1} = w_t - \eta\, f'(w_t),$$
#
# where $\eta$ is the **learning rate**. On $f(w) = (w - 2)^2 + 1$, with $f'(w) = 2(w - 2)$, each step multiplies the distance to the minimum by $(1 - 2\eta)$. So $\eta$ decides everything: too small crawls, around $0.5$ jumps straight there, between $0.5$ and $1$ overshoots back and forth, above $1$ diverges. The limits come from the **curvature** $f''(w) = 2$: a step multiplies the distance by $1 - \eta f''$, which shrinks it only while $\eta < 2 / f''$. Keep that rule; it decides the learning rates below. Slide it (four settings are drawn when there is no live front end):

# %%
def f(w):
    return (w - 2) ** 2 + 1


def gradient_descent_1d(learning_rate, start=-1.0, steps=12):
    path = [start]
    for _ in range(steps):
        path.append(path[-1] - learning_rate * 2 * (path[-1] - 2))
    return path


def draw_1d(learning_rate=0.1):
    path = gradient_descent_1d(learning_rate)
    grid = torch.linspace(-2.5, 6.5, 200)
    fig, ax = plt.subplots(figsize=(4.8, 2.8))
    ax.plot(grid, f(grid), color=plotting.COURSE_COLORS[6], lw=1)
    ax.plot(path, [f(w) for w in path], "o-", ms=4, lw=1, color=plotting.COURSE_COLORS[1])
    verdict = "diverges" if abs(path[-1] - 2) > abs(path[0] - 2) else f"ends at w = {path[-1]:.2f}"
    ax.set(xlim=(-2.5, 6.5), ylim=(0, 20), xlabel="w", ylabel="f(w)", title=f"η = {learning_rate}: {verdict}")
    plt.show()


explore(draw_1d, {"learning_rate": ipywidgets.FloatSlider(value=0.1, min=0.01, max=1.1, step=0.01)},
        static=[{"learning_rate": 0.03}, {"learning_rate": 0.3}, {"learning_rate": 0.9}, {"learning_rate": 1.05}])


# %% [markdown]
# ## Gradients: autograd, checked by finite differences
#
# For functions of millions of weights we do not derive gradients by hand: PyTorch's **autograd** records the computation and runs it backwards (`loss.backward()`). To trust it (or your own derivation), compare with the **central finite difference** $\frac{f(w + h e_i) - f(w - h e_i)}{2h}$, one coordinate at a time, in float64 so rounding does not hide a mistake. Here on the logistic-regression loss we will train below:

# %%
def logistic_loss(w, b, X, y):
    return F.binary_cross_entropy_with_logits(X @ w + b, y)


generator = torch.Generator().manual_seed(0)
X_small = torch.randn(20, 5, generator=generator, dtype=torch.float64)
y_small = (torch.rand(20, generator=generator) > 0.5).double()
w = torch.randn(5, generator=generator, dtype=torch.float64, requires_grad=True)
b = torch.zeros((), dtype=torch.float64)

logistic_loss(w, b, X_small, y_small).backward()
h = 1e-6
numeric = torch.zeros(5, dtype=torch.float64)
with torch.no_grad():
    for i in range(5):
        step = torch.zeros(5, dtype=torch.float64)
        step[i] = h
        numeric[i] = (logistic_loss(w + step, b, X_small, y_small) - logistic_loss(w - step, b, X_small, y_small)) / (2 * h)
print("autograd:          ", [round(g, 6) for g in w.grad.tolist()])
print("finite differences:", [round(g, 6) for g in numeric.tolist()])
print("largest difference below 1e-8:", (w.grad - numeric).abs().max().item() < 1e-8)
assert (w.grad - numeric).abs().max().item() < 1e-8

# %% [markdown]
# `torch.autograd.gradcheck` does this same comparison for you.
#
# ### Why step against the gradient?
#
# In one dimension, a small step $\epsilon$ changes a smooth function by about the slope times the step: $f(w + \epsilon) \approx f(w) + \epsilon\, f'(w)$ (the **first-order Taylor expansion**: near $w$ the curve is close to its tangent line). With many weights the slope becomes the gradient, the tangent line a tangent plane, and for a small step $\epsilon$ in a direction $u$ of length 1,
#
# $$f(w + \epsilon u) \approx f(w) + \epsilon\, \nabla f(w) \cdot u .$$
#
# So the change per unit of step is the dot product $\nabla f \cdot u = \lVert \nabla f\rVert \cos\theta$ (notebook 03), which is smallest, $-\lVert \nabla f\rVert$, when $u$ points exactly opposite the gradient, $u = -\nabla f / \lVert \nabla f\rVert$. No other direction goes down as fast: that is why gradient descent steps along $-\nabla f$, and why it is called **steepest descent**. Checked on the same loss, against 1,000 random directions:

# %%
gradient = w.grad
directions = F.normalize(torch.randn(1000, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64), dim=1)
steepest = -gradient / gradient.norm()
epsilon = 1e-4
with torch.no_grad():
    change = lambda u: (logistic_loss(w + epsilon * u, b, X_small, y_small) - logistic_loss(w, b, X_small, y_small)).item()
    random_changes = [change(u) for u in directions]
    print(f"loss change for a step of {epsilon:g}: along -gradient {change(steepest):.3e}; "
          f"best of 1,000 random directions {min(random_changes):.3e}")
    print(f"first-order prediction -ε‖∇f‖ = {-epsilon * gradient.norm().item():.3e}")
    assert change(steepest) < min(random_changes)
    assert math.isclose(change(steepest), -epsilon * gradient.norm().item(), rel_tol=1e-3)

# %% [markdown]
# But where do gradients come from? Exercise 1 asks you to derive this one by hand; the next section shows how.
#
# ## Backpropagation by hand
#
# A network is a chain of simple steps, and the **chain rule** gives the derivative of the loss through the chain: multiply the local derivatives, from the loss back to the input. Autograd does exactly this, step by step, in reverse order (hence *back*-propagation). Four derivations cover everything a BERT classifier needs.
#
# **1. A scalar graph.** One review's logistic regression: $z = w x + b$, $p = \sigma(z)$, $L = -[y \log p + (1-y) \log(1-p)]$. Going backwards: $\frac{\partial L}{\partial p} = -\frac{y}{p} + \frac{1-y}{1-p}$, $\frac{\partial p}{\partial z} = p(1-p)$, and their product simplifies to $\frac{\partial L}{\partial z} = p - y$. Then $\frac{\partial L}{\partial w} = (p - y)\,x$ and $\frac{\partial L}{\partial b} = p - y$. Each local derivative, by hand, against autograd:

# %%
x, y, w0, b0 = 2.0, 1.0, -0.3, 0.1
w_t = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
b_t = torch.tensor(b0, dtype=torch.float64, requires_grad=True)
z_t = w_t * x + b_t
z_t.retain_grad()
p_t = torch.sigmoid(z_t)
p_t.retain_grad()
loss_t = -(y * p_t.log() + (1 - y) * (1 - p_t).log())
loss_t.backward()

p = 1 / (1 + math.exp(-(w0 * x + b0)))
by_hand = {"dL/dp": -y / p + (1 - y) / (1 - p), "dL/dz": p - y, "dL/dw": (p - y) * x, "dL/db": p - y}
by_autograd = {"dL/dp": p_t.grad.item(), "dL/dz": z_t.grad.item(), "dL/dw": w_t.grad.item(), "dL/db": b_t.grad.item()}
for name in by_hand:
    print(f"{name}: by hand {by_hand[name]:+.6f}, autograd {by_autograd[name]:+.6f}")
    assert math.isclose(by_hand[name], by_autograd[name], rel_tol=1e-12)

# %% [markdown]
# **2. A linear layer.** For a batch, $Y = X W^\top + b$ with $X$ of shape $(n, \text{in})$, $W$ of shape $(\text{out}, \text{in})$ (notebook 03's `x @ W.T + b`). Suppose the layers above have already sent back $\delta = \partial L / \partial Y$, of shape $(n, \text{out})$. Since $y_{ij} = \sum_k x_{ik} w_{jk} + b_j$, each weight $w_{jk}$ touches column $j$ of $Y$ through column $k$ of $X$, and each input $x_{ik}$ touches row $i$ of $Y$ through all of $W$:
#
# $$\frac{\partial L}{\partial W} = \delta^\top X, \qquad \frac{\partial L}{\partial b} = \sum_i \delta_{i,:}, \qquad \frac{\partial L}{\partial X} = \delta\, W.$$
#
# **The shape rule** helps you remember them: a gradient has the shape of the thing it belongs to, $(\text{out}, \text{in})$ for $W$, $(n, \text{in})$ for $X$. It is a memory aid, not a derivation: when in = out, as in every attention projection of BERT (square, $d \times d$), both $\delta^\top X$ and $X^\top \delta$ have $W$'s shape, and only one of them is right. The check is one entry written out: $\partial L / \partial w_{jk} = \sum_i \delta_{ij}\, x_{ik}$, which is entry $(j, k)$ of $\delta^\top X$. $\partial L/\partial X$ is the $\delta$ the layer below receives: that is how the chain continues down a network. Checked on a random layer, then on a square one (exercise 3 asks you to write it):

# %%
X = torch.randn(4, 3, generator=generator, dtype=torch.float64, requires_grad=True)
W = torch.randn(2, 3, generator=generator, dtype=torch.float64, requires_grad=True)
bias = torch.randn(2, generator=generator, dtype=torch.float64, requires_grad=True)
delta = torch.randn(4, 2, generator=generator, dtype=torch.float64)      # pretend: dL/dY from the layers above
(X @ W.T + bias).backward(delta)                                         # autograd, given dL/dY = delta
print("dL/dW = δᵀX matches:", torch.allclose(delta.T @ X.detach(), W.grad), tuple(W.grad.shape))
print("dL/db = Σ δ matches: ", torch.allclose(delta.sum(0), bias.grad), tuple(bias.grad.shape))
print("dL/dX = δW matches:  ", torch.allclose(delta @ W.detach(), X.grad), tuple(X.grad.shape))
assert torch.allclose(delta.T @ X.detach(), W.grad) and torch.allclose(delta @ W.detach(), X.grad)

X_square = torch.randn(4, 3, generator=generator, dtype=torch.float64)
W_square = torch.randn(3, 3, generator=generator, dtype=torch.float64, requires_grad=True)     # in = out = 3
delta_square = torch.randn(4, 3, generator=generator, dtype=torch.float64)
(X_square @ W_square.T).backward(delta_square)
right, wrong = delta_square.T @ X_square, X_square.T @ delta_square
entry = sum(delta_square[i, 0] * X_square[i, 2] for i in range(4))                              # dL/dw_02, written out
print(f"square layer: δᵀX and Xᵀδ both have shape {tuple(right.shape)}; δᵀX matches autograd: {torch.allclose(right, W_square.grad)}, "
      f"Xᵀδ: {torch.allclose(wrong, W_square.grad)}; entry (0, 2) written out matches: {torch.isclose(entry, W_square.grad[0, 2]).item()}")
assert right.shape == wrong.shape and torch.allclose(right, W_square.grad) and not torch.allclose(wrong, W_square.grad)
assert torch.isclose(entry, W_square.grad[0, 2])

# %% [markdown]
# **3. Softmax and cross-entropy.** BERT's classifier ends with logits $z$ (one per class), softmax and cross-entropy (notebook 04). The derivative of the mean loss over $n$ examples with respect to the logits is strikingly simple:
#
# $$\frac{\partial L}{\partial z} = \frac{1}{n}\big(\operatorname{softmax}(z) - \text{onehot}(y)\big):$$
#
# the predicted probabilities minus the truth. For the right class $y$ the entry is $-(1 - p_y)/n$: raising that logit lowers the loss at a rate equal to how unsure the model was of the right class, $1 - p_y$ (divided by $n$, for the mean over $n$ examples). A sure and right model ($p_y \approx 1$) gets almost no push.
#
# **4. Sigmoid is a two-class softmax.** For two logits $z_0, z_1$, $\operatorname{softmax}(z)_1 = \frac{e^{z_1}}{e^{z_0} + e^{z_1}} = \sigma(z_1 - z_0)$. So the logistic regression above is a 2-class softmax with logits $(0, z)$, its $p - y$ is rule 3 for two classes, and the 2-logit head that 07 fine-tunes is logistic regression on the difference of its logits. Both, checked:

# %%
logits = torch.randn(5, 3, generator=generator, dtype=torch.float64, requires_grad=True)
targets = torch.tensor([0, 2, 1, 1, 0])
F.cross_entropy(logits, targets).backward()
by_hand = (F.softmax(logits.detach(), dim=1) - F.one_hot(targets, 3)) / len(targets)
print("dL/dz = (softmax - one-hot) / n matches autograd:", torch.allclose(by_hand, logits.grad))
assert torch.allclose(by_hand, logits.grad)

pair = torch.randn(5, 2, generator=generator, dtype=torch.float64)
print("softmax(z)[1] = sigmoid(z1 - z0):", torch.allclose(F.softmax(pair, dim=1)[:, 1], torch.sigmoid(pair[:, 1] - pair[:, 0])))
assert torch.allclose(F.softmax(pair, dim=1)[:, 1], torch.sigmoid(pair[:, 1] - pair[:, 0]))


# %% [markdown]
# A whole network's backward pass is these rules, applied layer by layer from the loss down: `loss.backward()` does nothing else.
#
# ## Optimizers from scratch
#
# Every optimizer is an update rule. With gradient $g_t$ at step $t$:
#
# - **SGD**: $w \leftarrow w - \eta\, g_t$. (In the strict sense, *stochastic* gradient descent uses the gradient of a random mini-batch; with the whole data set at once it is plain gradient descent. The rule is the same; mini-batches come below.)
# - **Momentum**: keep a running direction $m \leftarrow \mu m + g_t$, then $w \leftarrow w - \eta\, m$: a ball rolling downhill, which builds up speed along consistent directions.
# - **Adam**: running averages of the gradient and of its square, $m \leftarrow \beta_1 m + (1-\beta_1) g_t$, $v \leftarrow \beta_2 v + (1-\beta_2) g_t^2$, corrected for starting at zero, $\hat m = m / (1-\beta_1^t)$, $\hat v = v / (1-\beta_2^t)$; then $w \leftarrow w - \eta\, \hat m / (\sqrt{\hat v} + \epsilon)$: each weight gets its own step size.
# - **AdamW**: Adam plus *decoupled* weight decay, $w \leftarrow w - \eta \lambda w$, applied directly to the weights (more on this below).
#
# Each function below takes the parameter, its gradient and a `state` dictionary, and changes the parameter in place:

# %%
def sgd(param, grad, state, lr):
    param -= lr * grad


def momentum(param, grad, state, lr, mu=0.9):
    state["m"] = grad.clone() if "m" not in state else mu * state["m"] + grad
    param -= lr * state["m"]


def adam(param, grad, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    beta1, beta2 = betas
    if decoupled:
        param -= lr * weight_decay * param          # AdamW: shrink the weights directly
    elif weight_decay:
        grad = grad + weight_decay * param          # Adam's "L2": λw, the gradient of (λ/2)‖w‖²
    t = state["t"] = state.get("t", 0) + 1
    state["m"] = beta1 * state.get("m", torch.zeros_like(param)) + (1 - beta1) * grad
    state["v"] = beta2 * state.get("v", torch.zeros_like(param)) + (1 - beta2) * grad**2
    m_hat = state["m"] / (1 - beta1**t)
    v_hat = state["v"] / (1 - beta2**t)
    param -= lr * m_hat / (v_hat.sqrt() + eps)


# %% [markdown]
# Now the test: start our version and PyTorch's from the same weights on the same loss, and compare the weights after every one of `STEPS` steps (in float64, so the only differences are our mistakes).

# %%
X_check = torch.randn(64, 16, generator=generator, dtype=torch.float64)
y_check = (torch.rand(64, generator=generator) > 0.5).double()
start = 0.5 * torch.randn(16, generator=generator, dtype=torch.float64)


def largest_gap(mine, theirs, options):
    # Run our rule and torch.optim side by side from `start`; return the largest weight difference seen.
    ours, reference = start.clone().requires_grad_(), start.clone().requires_grad_()
    optimizer = theirs([reference], **options)
    state, gap = {}, 0.0
    for _ in range(STEPS):
        for param in (ours, reference):
            param.grad = None
            logistic_loss(param, 0.0, X_check, y_check).backward()
        with torch.no_grad():
            mine(ours, ours.grad, state)
        optimizer.step()
        gap = max(gap, (ours - reference).abs().max().item())
    return gap


comparisons = [
    ("SGD", lambda p, g, s: sgd(p, g, s, lr=0.5), torch.optim.SGD, {"lr": 0.5}),
    ("momentum", lambda p, g, s: momentum(p, g, s, lr=0.1, mu=0.9), torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    ("Adam", lambda p, g, s: adam(p, g, s, lr=0.05), torch.optim.Adam, {"lr": 0.05}),
    ("Adam + L2", lambda p, g, s: adam(p, g, s, lr=0.05, weight_decay=0.1), torch.optim.Adam, {"lr": 0.05, "weight_decay": 0.1}),
    ("AdamW", lambda p, g, s: adam(p, g, s, lr=0.05, weight_decay=0.1, decoupled=True), torch.optim.AdamW,
     {"lr": 0.05, "weight_decay": 0.1}),
]
for name, mine, theirs, options in comparisons:
    gap = largest_gap(mine, theirs, options)
    print(f"{name:10s} largest difference over {STEPS} steps: below 1e-6: {gap < 1e-6}  (below 1e-12: {gap < 1e-12})")
    assert gap < 1e-6


# %% [markdown]
# ### The learning rate from the curvature: a narrow valley
#
# The function $f(w_1, w_2) = \frac{1}{2}(w_1^2 + 25\, w_2^2)$ is a valley 25 times steeper across than along. Its **Hessian**, the matrix of second derivatives, is $\operatorname{diag}(1, 25)$: its eigenvalues (notebook 03) are the curvatures along the two axes. The Hessian of a loss with continuous second derivatives is symmetric, so by the spectral theorem (notebook 03) its eigenvectors can be chosen at right angles, and a gradient step splits into independent moves along them; here they are simply the two axes. Along each eigenvector a gradient step multiplies the distance to the minimum by $1 - \eta\lambda_i$, so gradient descent converges from every start exactly when $\eta < 2/\lambda_{\max} = 2/25 = 0.08$, and then crawls along the flat direction, where each step removes only a fraction $\eta \lambda_{\min}$ of the distance. The ratio $\kappa = \lambda_{\max}/\lambda_{\min} = 25$, the **condition number**, measures how bad this is.
#
# The settings below are chosen from that curvature, not to make a point: SGD near its threshold ($\eta = 0.07$, so the factor across the valley is $1 - 0.07 \cdot 25 = -0.75$: it overshoots and **zig-zags**); momentum with the classic tuning for a quadratic with curvatures from $\lambda_{\min}$ to $\lambda_{\max}$, $\eta = 4/(\sqrt{\lambda_{\max}} + \sqrt{\lambda_{\min}})^2$ and $\mu = \big(\frac{\sqrt{\kappa} - 1}{\sqrt{\kappa} + 1}\big)^2$; and Adam at the best of a few learning rates for this budget. Both axes use the same scale.

# %%
def valley(w):
    return 0.5 * (w[0] ** 2 + 25 * w[1] ** 2)


def path_of(rule, lr, steps=40, **options):
    w = torch.tensor([-4.5, 1.0], requires_grad=True)
    state, path = {}, [w.detach().clone()]
    for _ in range(steps):
        w.grad = None
        valley(w).backward()
        with torch.no_grad():
            rule(w, w.grad, state, lr, **options)
        path.append(w.detach().clone())
    return torch.stack(path)


curvatures = torch.linalg.eigvalsh(torch.diag(torch.tensor([1.0, 25.0])))
lam_min, lam_max = curvatures.min().item(), curvatures.max().item()
kappa = lam_max / lam_min
tuned = {"lr": 4 / (math.sqrt(lam_max) + math.sqrt(lam_min)) ** 2, "mu": ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2}
adam_rates = (0.1, 0.3, 1.0, 3.0)
adam_lr = min(adam_rates, key=lambda lr: valley(path_of(adam, lr)[-1]).item())   # the best for 40 steps
assert adam_lr not in (adam_rates[0], adam_rates[-1])                            # inside the grid, not at its edge
print(f"curvatures {lam_min:g} and {lam_max:g}: SGD stable for η < {2 / lam_max:.3f}; tuned momentum η = {tuned['lr']:.3f}, μ = {tuned['mu']:.3f}; "
      f"Adam's best η of {', '.join(f'{lr:g}' for lr in adam_rates)}: {adam_lr:g}")

grid = torch.linspace(-5, 5, 200)
W1, W2 = torch.meshgrid(grid, grid / 2.5, indexing="xy")
fig, ax = plt.subplots(figsize=(8.5, 4.2))
ax.contour(W1, W2, valley([W1, W2]), levels=[0.5, 2, 5, 10, 20, 40], colors="gray", linewidths=0.7)
finals, paths = {}, {}
for label, rule, lr, options in [("SGD, η=0.07", sgd, 0.07, {}),
                                 (f"momentum, η={tuned['lr']:.3f}, μ={tuned['mu']:.2f}", momentum, tuned["lr"], {"mu": tuned["mu"]}),
                                 (f"Adam, η={adam_lr:g}", adam, adam_lr, {})]:
    path = paths[label.split(",")[0]] = path_of(rule, lr, **options)
    finals[label.split(",")[0]] = valley(path[-1]).item()
    ax.plot(path[:, 0], path[:, 1], "o-", ms=3, lw=1.2, label=f"{label}: f = {valley(path[-1]):.1e} after 40 steps")
ax.plot([0], [0], "k*", ms=10)
ax.set(xlabel="w₁ (flat direction)", ylabel="w₂ (steep direction)", title="40 steps on a narrow valley", aspect="equal")
ax.legend(fontsize=8, loc="upper right")
plt.show()
crossings = int((paths["SGD"][1:, 1] * paths["SGD"][:-1, 1] < 0).sum())
print(f"SGD crosses the valley floor on {crossings} of 40 steps")
assert crossings == 40 and finals["momentum"] < 1e-6 < finals["SGD"] and finals["momentum"] < finals["Adam"]

# %% [markdown]
# SGD zig-zags across the valley on every step (40 of 40, printed) while it creeps along it. Tuned momentum is faster by orders of magnitude: its path also swings across, but the swings die out quickly, and speed builds along the valley. Adam takes steps of about the same size in every direction at first (it divides by each gradient's own size), so it heads diagonally; on a perfect bowl like this, a method tuned to the curvature beats it. Adam earns its place where curvature differs wildly between weights and changes as training goes, as in a transformer, and where nobody can compute the Hessian. *Try it:* give SGD $\eta = 0.085$, just above $2/25$.

# %% [markdown]
# ## Logistic regression on BERT's sentence vectors
#
# Now a real task: sentiment, with the course's offline BERT as a frozen feature extractor. Each review becomes one 384-number sentence vector (mean-pooled, from `course_utils.sentence_vectors`, as in notebook 03); a **logistic regression** $P(\text{pos}) = \sigma(x \cdot w + b)$ learns 385 numbers on top. This is also the "cheap strong baseline" that notebook 07 compares fine-tuning with.
#
# To stay fast on a CPU we read only `MAX_TOKENS` tokens of each review, and we keep its **end** (`keep="end"`), where many reviewers sum up. *Try it:* use `keep="start"` instead and compare the validation accuracies below; notebook 07 meets the same question when BERT's 512-token limit cuts long reviews.
#
# Every setting below (the learning rates, the penalty) is chosen on a **validation split**: a fifth of the training reviews, set aside. The test reviews are used once, at the very end; a setting chosen by its test score would make that score an optimistic guess (notebook 08 says more).
#
# A few sentences below describe how *these* reviews train: how many weights L1 sends to near zero, how noisy a batch's gradient is at the end, how often the mini-batch loss goes up. Their numbers are printed on whatever data you run. The asserts that back them run only on the data they were measured on: the course's own reviews at the quick profile's size, 1,000 training reviews, whose outputs you see (`MEASURED_SIZE`). On real IMDb (online), or with more reviews (the full profile's 25,000 could not be run offline where this course is built, and what holds for 800 reviews need not hold for 20,000), the numbers are printed but not asserted: read them against the sentences. The rest, the math checks, run on any data.

# %%
from course_utils import load_reviews, sentence_vectors
from course_utils.reviews import is_course_copy

reviews = load_reviews("stanfordnlp/imdb")
if REVIEWS_PER_SPLIT is not None:   # a CPU-sized random sample of each split that is larger
    reviews = {split: data.shuffle(seed=0).select(range(min(REVIEWS_PER_SPLIT, len(data)))) if len(data) > REVIEWS_PER_SPLIT
               else data for split, data in reviews.items()}
X_all = sentence_vectors(reviews["train"]["text"], max_length=MAX_TOKENS, keep="end", device=config.device)
y_all = torch.tensor(reviews["train"]["label"], dtype=torch.float32)
X_test = sentence_vectors(reviews["test"]["text"], max_length=MAX_TOKENS, keep="end", device=config.device)
y_test = torch.tensor(reviews["test"]["label"], dtype=torch.float32)

order = torch.randperm(len(y_all), generator=torch.Generator().manual_seed(0))
held_out = len(order) // 5
X_train, y_train = X_all[order[held_out:]], y_all[order[held_out:]]
X_val, y_val = X_all[order[:held_out]], y_all[order[:held_out]]
print("features:", tuple(X_train.shape), "for training,", tuple(X_val.shape), "for validation,", tuple(X_test.shape), "for the test")
MEASURED_SIZE = is_course_copy(reviews) and len(y_all) == 1000   # the data the claims about how these reviews train were measured on (see above)

# %% [markdown]
# Which learning rate? The curvature again. The logistic loss's Hessian is $\frac{1}{n} \tilde X^\top D \tilde X$, where $\tilde X$ is $X$ with a column of ones for the bias and $D$ holds $\sigma(z)(1 - \sigma(z)) \le \frac14$; at the start ($w = 0$) it equals $\frac{1}{4n}\tilde X^\top \tilde X$ and is never larger, so $L_{\text{curv}} = \lambda_{\max}\big(\frac{1}{4n}\tilde X^\top \tilde X\big)$ bounds the curvature everywhere (the subscript keeps it apart from the loss $L$ above). For a convex loss whose curvature never exceeds $L_{\text{curv}}$, gradient descent is guaranteed to converge for $\eta < 2/L_{\text{curv}}$. That is a *sufficient* condition, not a limit: once the weights move, $\sigma(z)(1 - \sigma(z))$ falls below $\frac14$ for most reviews, the curvature falls with it, and a larger rate may converge too.

# %%
with_bias = torch.cat([X_train, torch.ones(len(X_train), 1)], dim=1)
L_curv = torch.linalg.eigvalsh(with_bias.T @ with_bias / (4 * len(X_train))).max().item()
print(f"curvature bound L_curv = {L_curv:.3f}, so gradient descent is guaranteed to converge for η < 2/L_curv = {2 / L_curv:.2f}")


# %%
def train_logistic(rule, lr, epochs=150, penalty=None, strength=0.0, batch_size=None, weight_state=None, trace=None,
                   **options):
    """Training with one of our optimizers, on full batches (batch_size=None) or shuffled mini-batches;
    returns weights, bias and the loss of each step's batch. Optional: `weight_state`, a dict that receives the
    optimizer's state for the weights; `trace`, a list that receives the loss on all training reviews after every step."""
    torch.manual_seed(0)
    shuffle = torch.Generator().manual_seed(0)
    w = torch.zeros(X_train.shape[1], requires_grad=True)
    b = torch.zeros((), requires_grad=True)
    states, losses = ({} if weight_state is None else weight_state, {}), []
    for _ in range(epochs):
        batches = [torch.arange(len(y_train))] if batch_size is None else torch.randperm(len(y_train), generator=shuffle).split(batch_size)
        for rows in batches:
            loss = logistic_loss(w, b, X_train[rows], y_train[rows])
            losses.append(loss.item())
            if penalty == "l2":
                loss = loss + 0.5 * strength * (w ** 2).sum()   # (λ/2)‖w‖²: its gradient is λw
            elif penalty == "l1":
                loss = loss + strength * w.abs().sum()
            w.grad = b.grad = None
            loss.backward()
            with torch.no_grad():
                rule(w, w.grad, states[0], lr, **options)
                rule(b, b.grad, states[1], lr, **{k: v for k, v in options.items() if k != "weight_decay"})
                if trace is not None:
                    trace.append(logistic_loss(w, b, X_train, y_train).item())
    return w.detach(), b.detach(), losses


def evaluate(w, b, X, y):
    """(loss, accuracy) of the weights on one split."""
    return logistic_loss(w, b, X, y).item(), ((X @ w + b > 0).float() == y).float().mean().item()


def tune(train, first_guess, factor=2.0):
    """Validation loss of `train(setting)` for settings `factor` apart: three around `first_guess`, then one more at
    whichever end holds the best, until the best has a worse one on each side. Returns the best and every score."""
    scores, settings = {}, [first_guess / factor, first_guess, first_guess * factor]
    for _ in range(12):
        for setting in settings:
            loss = evaluate(*train(setting)[:2], X_val, y_val)[0]
            scores[setting] = loss if math.isfinite(loss) else math.inf       # a diverged run scores infinity
        best = min(scores, key=lambda setting: round(scores[setting], 3))     # rounded: the same choice on every machine
        if min(scores) < best < max(scores):
            return best, dict(sorted(scores.items()))
        settings = [best / factor] if best == min(scores) else [best * factor]
    raise RuntimeError("no setting with a worse one on each side")


grids = {"SGD": (sgd, 1 / L_curv, {}), "momentum": (momentum, (1 - 0.9) / L_curv, {"mu": 0.9}), "Adam": (adam, 0.01, {})}
chosen = {}
for name, (rule, first_guess, options) in grids.items():
    chosen[name], scores = tune(lambda lr: train_logistic(rule, lr, **options), first_guess)
    print(f"{name:9s} validation loss by η ({len(scores)} tried): " + ", ".join(f"{lr:.3g}: {loss:.3f}" for lr, loss in scores.items())
          + f"  -> η = {chosen[name]:.3g}")

# %%
runs = {f"{name} η={lr:.3g}": train_logistic(grids[name][0], lr, **grids[name][2]) for name, lr in chosen.items()}
plotting.curves({name: losses for name, (_, _, losses) in runs.items()}, xlabel="step (full batch: one per epoch)",
                ylabel="training loss", title="Each optimizer at its validated learning rate")
plt.show()
final = {name: evaluate(w, b, X_val, y_val) for name, (w, b, _) in runs.items()}
for name, (loss, accuracy) in final.items():
    print(f"{name:18s} validation loss {loss:.3f}, validation accuracy {accuracy:.3f}")
ranking = sorted(final, key=lambda name: round(final[name][0], 3))   # rounded: a tie keeps the order above on every machine
print("lowest validation loss first:", ", ".join(name.split()[0] for name in ranking))
print(f"SGD's validated rate is the bound 2/L_curv itself: {math.isclose(chosen['SGD'], 2 / L_curv)}")


# %% [markdown]
# Each optimizer got the same budget, 150 full-batch steps, and the same kind of search: a learning rate from a grid of factors of 2 that starts at its natural scale ($1/L_{\text{curv}}$ for SGD; $(1 - \mu)/L_{\text{curv}}$ for momentum, whose steps build up to $1/(1 - \mu)$ times the gradient; 0.01 for Adam, whose steps are about $\eta$ per weight whatever the gradient) and is widened until the best rate has a worse one on each side, so no winner sits at the edge of its grid. The searches need not run equally long: each line prints how many rates it tried. Only the learning rate was tuned; momentum's $\mu = 0.9$ and Adam's betas keep their usual defaults. A different budget could change the ranking: plain gradient descent keeps improving long after 150 steps.
#
# SGD's grid holds $2/L_{\text{curv}}$ itself, and validation may choose it (the cell prints whether it did): a rate exactly on the bound, where the strict inequality $\eta < 2/L_{\text{curv}}$ no longer promises anything. It trains all the same, because the bound is a worst case: the run at $2.5/L_{\text{curv}}$ below shows why.
#
# Is the ranking real? The validation split is only a fifth of the training reviews (its size is printed above), and a different split would give different losses. For two models scored on the *same* reviews, the **paired standard error** says how much their gap would move: take each review's loss under both, and the standard error of the mean of the differences, $\operatorname{sd}(d)/\sqrt{n}$. A gap within about two standard errors cannot be told from noise: another draw of validation reviews could reverse it. This standard error covers only which validation reviews were drawn; retraining on another training split, and the optimism of having tuned every rate on these same validation reviews, add more.

# %%
def per_review(w, b, X, y):
    """Each review's loss, and 1.0 where the weights classify it right."""
    logits = X @ w + b
    return F.binary_cross_entropy_with_logits(logits, y, reduction="none"), ((logits > 0).float() == y).float()


def paired_gap(a, b):
    """The mean of a - b over the same reviews, and its standard error."""
    difference = (a - b).double()
    return difference.mean().item(), difference.std().item() / math.sqrt(len(difference))


scored = {name: per_review(w, b, X_val, y_val) for name, (w, b, _) in runs.items()}
leader = ranking[0]
beyond_noise = 0


def direction(gap, positive, negative):
    """'higher by 0.012', or 'tied to 3 decimals' for a gap under 0.0005 (never 'lower by 0.000')."""
    return "tied to 3 decimals" if abs(gap) < 0.0005 else f"{positive if gap > 0 else negative} by {abs(gap):.3f}"


for name in ranking[1:]:
    loss_gap, loss_error = paired_gap(scored[name][0], scored[leader][0])
    accuracy_gap, accuracy_error = paired_gap(scored[leader][1], scored[name][1])
    beyond_noise += loss_gap > 2 * loss_error
    print(f"{name.split()[0]:8s} vs {leader.split()[0]}: validation loss {direction(loss_gap, 'higher', 'lower')} ± {loss_error:.3f} "
          f"({'more' if loss_gap > 2 * loss_error else 'less'} than two standard errors), "
          f"accuracy {direction(accuracy_gap, 'lower', 'higher')} ± {accuracy_error:.3f}")
gaps_total = len(ranking) - 1
if beyond_noise == 0:
    print(f"none of the {gaps_total} gaps in validation loss exceeds two standard errors: the ranking cannot be told from noise")
elif beyond_noise == gaps_total:
    print(f"{'both' if gaps_total == 2 else f'all {gaps_total}'} gaps in validation loss exceed two standard errors: "
          f"{leader.split()[0]}'s lead would likely survive another draw of validation reviews")
else:
    print(f"{beyond_noise} of {gaps_total} gaps in validation loss exceed two standard errors; "
          f"{'the other cannot' if gaps_total - beyond_noise == 1 else 'the others cannot'} be told from noise")

# %% [markdown]
# Read the ranking with the errors beside it (printed above): only a gap larger than about two standard errors says that one optimizer did better here, and the accuracy gaps are read the same way. The lesson is not which optimizer won on these reviews, but how to tell a result from noise: every comparison of models in notebooks 07 and 08 needs the same check.
#
# One more thing the curvature bound does not say: that $2/L_{\text{curv}}$ is a wall. Whether a rate above it converges depends on the curvature along the way. Here is SGD at $2.5/L_{\text{curv}}$, beyond the guarantee, and the largest curvature where its training ends:

# %%
beyond = train_logistic(sgd, 2.5 / L_curv)
end_weights = torch.cat([beyond[0], beyond[1][None]])
slopes = torch.sigmoid(with_bias @ end_weights)
curvature_end = torch.linalg.eigvalsh(with_bias.T @ (with_bias * (slopes * (1 - slopes))[:, None]) / len(with_bias)).max().item()
loss_start, loss_end = beyond[2][0], evaluate(*beyond[:2], X_train, y_train)[0]
print(f"SGD at η = 2.5/L_curv = {2.5 / L_curv:.2f}: training loss {loss_start:.3f} at the start, {loss_end:.3f} after 150 steps "
      f"({'lower' if loss_end < loss_start else 'not lower'})")
print(f"largest curvature where it ends {curvature_end:.3f}, against L_curv = {L_curv:.3f}; "
      f"2 / {curvature_end:.3f} = {2 / curvature_end:.2f}, so η is {'below' if 2.5 / L_curv < 2 / curvature_end else 'not below'} "
      f"the threshold where training ends")
assert curvature_end <= L_curv * (1 + 1e-4)     # L_curv bounds the curvature everywhere: the guarantee holds at any weights

# %% [markdown]
# The guarantee uses the worst curvature anywhere, $L_{\text{curv}}$, reached at $w = 0$. Where training goes the curvature is smaller (printed), and the threshold $2/\text{curvature}$ is larger with it: when $\eta$ is below the threshold at the weights where training ends (the cell says whether it is), the steps are stable there, whatever the bound said at the start.
#
# ### Mini-batches
#
# Each step above computed the gradient on all the training reviews. **Mini-batch SGD**, the *stochastic* in SGD, takes it on a random batch (here 32 reviews): a noisy estimate, but many more steps for the same amount of computing. One pass over the data (an **epoch**) then takes many steps instead of one (counted below). Why can a noisy gradient be trusted? Two facts, checked below at one fixed $w$:
#
# - It is **unbiased**: a random batch's gradient is right on average, and the batches of one epoch, weighted by their sizes, average to the full gradient exactly.
# - Its **variance falls as $1/B$**: a batch of $B$ reviews averages $B$ per-review gradients, so its expected squared error is the per-review variance $s^2$ divided by $B$ (times $\frac{N - B}{N - 1}$, because a batch draws $B$ different reviews out of $N$).

# %%
n = len(y_train)
fixed_w, fixed_b, _ = train_logistic(sgd, 1 / L_curv)                                    # one fixed w (not a fixed point of the update): the weights after training
per_example = (torch.sigmoid(with_bias @ torch.cat([fixed_w, fixed_b[None]])) - y_train)[:, None] * with_bias   # (p - y) x̃: rule 1
full_gradient = per_example.mean(dim=0)
w_check, b_check = fixed_w.clone().requires_grad_(), fixed_b.clone().requires_grad_()
logistic_loss(w_check, b_check, X_train, y_train).backward()
assert torch.allclose(full_gradient, torch.cat([w_check.grad, b_check.grad[None]]), atol=1e-6)   # rule 1 = autograd

sampler = torch.Generator().manual_seed(0)
epoch = torch.randperm(n, generator=sampler).split(32)
epoch_average = sum(per_example[rows].mean(dim=0) * len(rows) for rows in epoch) / n
print("one epoch's batch gradients, weighted by size, average to the full gradient:", torch.allclose(epoch_average, full_gradient, atol=1e-6))
assert torch.allclose(epoch_average, full_gradient, atol=1e-6)
s2 = ((per_example - full_gradient) ** 2).sum(dim=1).mean().item()                    # per-review variance (summed over weights)
for B in (8, 32, 128):
    picks = torch.zeros(1000, n)                                                        # 1,000 random batches of B reviews
    for row in picks:
        row[torch.randperm(n, generator=sampler)[:B]] = 1 / B
    measured = ((picks @ per_example - full_gradient) ** 2).sum(dim=1).mean().item()
    predicted = s2 / B * (n - B) / (n - 1)
    print(f"B = {B:3d}: squared error of a batch gradient {measured:.2e}, predicted s²/B·(N-B)/(N-1) = {predicted:.2e}")
    assert abs(measured / predicted - 1) < 0.15
signal, noise = (full_gradient ** 2).sum().item(), s2 / 32 * (n - 32) / (n - 1)
print(f"at these weights: the full gradient's squared length {signal:.1e}; a batch of 32's expected squared error {noise:.1e}, "
      f"{noise / signal:.0f} times larger")
if MEASURED_SIZE:
    assert noise > signal      # the claim below: near the end of training, a batch's error outweighs the gradient itself

# %% [markdown]
# Twenty epochs of mini-batches against 150 epochs of full batches, at the same learning rate $1/L_{\text{curv}}$, with the loss on all the training reviews recorded after every step:

# %%
full_trace, mini_trace = [], []
full = train_logistic(sgd, 1 / L_curv, epochs=150, trace=full_trace)
mini = train_logistic(sgd, 1 / L_curv, epochs=20, batch_size=32, trace=mini_trace)
plotting.curves({"full batch, 150 epochs": full_trace, "batches of 32, 20 epochs": mini_trace}, xlabel="optimizer step",
                ylabel="loss on all training reviews", title="Noisy but many: mini-batch steps", logy=True)
plt.show()
(full_train, _), (mini_train, _) = evaluate(*full[:2], X_train, y_train), evaluate(*mini[:2], X_train, y_train)
(full_val, _), (mini_val, _) = evaluate(*full[:2], X_val, y_val), evaluate(*mini[:2], X_val, y_val)
print(f"full batch: {len(full[2]):3d} steps over 150 epochs, training loss {full_train:.3f}, validation loss {full_val:.3f}")
print(f"mini-batch: {len(mini[2]):3d} steps over  20 epochs ({len(mini[2]) // 20} per epoch), training loss {mini_train:.3f}, "
      f"validation loss {mini_val:.3f}")
if MEASURED_SIZE:
    assert mini_train < full_train   # the claim below: fewer passes, lower training loss
rises = lambda trace: sum(later > earlier + 1e-6 for earlier, later in zip(trace, trace[1:]))
print(f"steps on which the loss on all training reviews went up: full batch {rises(full_trace)} of {len(full_trace)}, "
      f"mini-batch {rises(mini_trace[-100:])} of its last 100")
assert rises(full_trace) == 0                       # below 2/L_curv, full-batch descent never goes up
if MEASURED_SIZE:
    assert rises(mini_trace[-100:]) >= 10            # the claim below: the noise floor

# %% [markdown]
# With less than a seventh of the passes over the data, the mini-batches reach a lower training loss here: per pass over the data, dozens to hundreds of cheap unbiased steps (the number per epoch is printed above; it grows with the data) do more than one exact step. But the noise does not average away at a constant learning rate. Near a minimum the full gradient shrinks towards zero while a batch's error does not (at the weights where full-batch training ended, a batch of 32 erred by many times the gradient's own size, printed two cells up), so the steps keep hopping: the loss on all training reviews went up on many of the last steps (counted above), where full-batch descent below $2/L_{\text{curv}}$ never goes up. Kept at a constant learning rate, that hopping never dies out; the loss it hovers at is the **noise floor**, higher for a larger $\eta$ and a larger gradient variance (so lower for a larger $B$). Decaying the learning rate (the schedules at the end of this notebook) or growing the batch lowers it. Whether the lower training loss carries over to the validation split is a separate question, and the printed validation losses answer it for this run: a lower training loss can also mean fitting the training reviews' noise, which is what the penalty in the next section controls. This is one reason deep networks, BERT included, usually train on mini-batches (the other: a forward and backward pass over every review at once would need memory for every review's activations; summing the gradient batch by batch, as notebook 08's gradient accumulation does, avoids that, since the gradient is only the size of the weights, but then each exact step still costs a whole pass over the data, which is the first reason again), often with a decaying learning rate (notebooks 07 and 08), and why their loss curves look jagged.

# %% [markdown]
# ## Regularization: L1 and L2
#
# A model with many weights can fit accidents of its training data. **Regularization** adds a price for large weights to the loss:
#
# - **L2** (ridge, "weight decay"): $\mathcal{L} + \frac{\lambda}{2} \lVert w\rVert_2^2 = \mathcal{L} + \frac{\lambda}{2} \sum_j w_j^2$, whose gradient adds exactly $\lambda w$: the convention of `torch.optim`'s `weight_decay` and of this whole course. It shrinks all weights smoothly towards zero.
# - **L1** (lasso): $\mathcal{L} + \lambda \sum_j |w_j|$. Its pull does not weaken near zero, so it pushes many weights towards zero: with a proximal step (what scikit-learn's L1 solvers do), exactly to zero, a sparse model that uses few features; with the ordinary (sub)gradient steps used here (Adam's, below), only near it.
#
# First the question that matters: does a penalty help here? On the validation split, with Adam at its validated learning rate:

# %%
adam_lr = chosen["Adam"]
unregularized = train_logistic(adam, adam_lr)
train_accuracy = evaluate(*unregularized[:2], X_train, y_train)[1]
val_loss, val_accuracy = evaluate(*unregularized[:2], X_val, y_val)
print(f"no penalty: training accuracy {train_accuracy:.3f}, validation accuracy {val_accuracy:.3f} "
      f"(gap {train_accuracy - val_accuracy:.3f}), validation loss {val_loss:.3f}")
candidates, trained = {("none", 0.0): val_loss}, {("none", 0.0): unregularized[:2]}
for penalty, strengths in (("l2", [1e-4, 1e-3, 1e-2]), ("l1", [1e-4, 1e-3])):
    for strength in strengths:
        w, b, _ = trained[(penalty, strength)] = train_logistic(adam, adam_lr, penalty=penalty, strength=strength)
        candidates[(penalty, strength)] = evaluate(w, b, X_val, y_val)[0]
        print(f"{penalty} λ={strength:g}: validation loss {candidates[(penalty, strength)]:.3f}")
by_loss = sorted(candidates, key=lambda key: round(candidates[key], 3))    # rounded; sorted() is stable: a tie goes to the one listed first
best_penalty, runner_up = by_loss[0], by_loss[1]
name_of = lambda key: "no penalty" if key[0] == "none" else f"{key[0]} with λ={key[1]:g}"
review_losses = lambda key: per_review(*trained[key][:2], X_val, y_val)[0]


def gap_text(gap, error):
    # "lower by 0.006 ± 0.004" or "higher by ...", never a signed or negative zero; a gap under 0.0005 is a tie.
    if abs(gap) < 0.0005:
        return f"tied to 3 decimals (± {error:.3f})"
    return f"{direction(gap, 'lower', 'higher')} ± {error:.3f}: {'more' if abs(gap) > 2 * error else 'less'} than two standard errors"


best_with_penalty = next(key for key in by_loss if key[0] != "none")
gap, error = paired_gap(review_losses(("none", 0.0)), review_losses(best_with_penalty))
print(f"does a penalty help? the best one, {name_of(best_with_penalty)}, against no penalty: validation loss {gap_text(gap, error)}")
margin, margin_error = paired_gap(review_losses(runner_up), review_losses(best_penalty))
print(f"chosen on validation: {name_of(best_penalty)} (a tie to 3 decimals goes to the one tried first: none, L2, L1, weakest first); "
      f"the runner-up, {name_of(runner_up)}, against it: validation loss {gap_text(-margin, margin_error)}")

# %% [markdown]
# The gap between training and validation accuracy is how much the model overfits. Whether a penalty pays for itself is answered with the same check as before: the best penalty's validation loss against no penalty's, with its paired standard error (printed above). A gap within about two standard errors cannot be told from noise: then the penalty is not shown to help, and either choice will do; the same holds between the winner and the runner-up. (The choice treats two validation losses that round to the same third decimal as tied and takes the one tried first, even if the runner-up's loss is lower by up to 0.001; the printed gap says "tied to 3 decimals" when the two differ by less than 0.0005, which can happen even when their rounded values differ, e.g. 0.4714 and 0.4716.) What the penalties *do* is clearer in a picture: the weights of the same model trained with neither, L2 and L1, sorted by size, at strengths large enough to see the effect (chosen for the picture, not for accuracy), all three at a fixed η = 0.05 rather than the rate chosen on validation, which is why the no-penalty loss printed there differs from the one above.

# %%
settings = {"no penalty": (None, 0.0), "L2, λ=0.02": ("l2", 0.02), "L1, λ=0.002": ("l1", 0.002)}
weights = {}
for label, (penalty, strength) in settings.items():
    w, b, _ = train_logistic(adam, 0.05, penalty=penalty, strength=strength)
    weights[label] = w
    # Rounded: under L1, Adam hops small weights back and forth across 0, so the last digits (and which
    # validation reviews land right) move with the CPU's rounding; the loss moves far less.
    print(f"{label:12s} validation loss {evaluate(w, b, X_val, y_val)[0]:.2f}, ‖w‖₂ = {w.norm():.1f}, "
          f"weights with |w| < 0.01: about {round((w.abs() < 0.01).double().mean().item(), 1):.0%}")
tiny = {label: (w.abs() < 0.01).double().mean().item() for label, w in weights.items()}
if MEASURED_SIZE:
    assert tiny["L1, λ=0.002"] > 0.3 > tiny["L2, λ=0.02"]        # the claim below: L1 sends many weights to ~0
assert weights["L2, λ=0.02"].abs().max() < weights["no penalty"].abs().max()   # L2 keeps them small

fig, ax = plt.subplots(figsize=(6.4, 3.4))
for label, w in weights.items():
    ax.plot(w.abs().sort(descending=True).values, label=label)
ax.set(yscale="log", ylim=(1e-4, None), xlabel="weights, largest first", ylabel="|w| (log scale)",
       title="What L1 and L2 do to the weights")
ax.legend(fontsize=9)
plt.show()

# %% [markdown]
# Here L1 leaves a large share of the weights near zero (printed); L2 keeps all of them small. Regularization earns its keep when the weights far outnumber the examples, as when 07 fine-tunes BERT: about 11 million trainable weights in the quick profile's MiniLM (its embeddings frozen) and all 110 million of `bert-base-uncased` in the full profile, on far fewer reviews (tens of thousands at most). *Try it:* add more strengths to the validation search above and see where the validation loss turns.
#
# ### Adam + L2 is not AdamW
#
# In plain SGD, adding $\lambda w$ to the gradient (the gradient of the L2 penalty) and shrinking the weights by $\eta\lambda w$ each step (weight decay) are the same thing. In Adam they are not: the L2 term goes through Adam's per-weight scaling $1/\sqrt{\hat v}$, so its decay term in each step is $\eta \frac{\lambda}{\sqrt{\hat v_j} + \epsilon} w_j$: Adam + L2 acts like a weight decay with a different strength for every weight, $\lambda_j = \lambda / (\sqrt{\hat v_j} + \epsilon)$. Weights with large gradients are barely decayed, and weights with tiny gradients are decayed hard. **AdamW** (Loshchilov and Hutter, [Decoupled Weight Decay Regularization](https://arxiv.org/abs/1711.05101)) applies the decay directly to the weights, $\eta \lambda w_j$, one strength $\lambda$ for all, outside Adam's scaling; it is what `transformers` uses for fine-tuning, and what notebook 08 uses.
#
# The same $\lambda$ would not be a fair comparison: divided by $\sqrt{\hat v}$, a small number, it is a far stronger decay in Adam + L2 than in AdamW. So each gets its own $\lambda$, chosen on validation from the same grid (no penalty, then factors of 10), with the same budget; then the two best are compared with the paired standard error:

# %%
strength_grid = [0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
decay_runs = {"Adam + L2": {}, "AdamW": {}}
for label, decoupled in (("Adam + L2", False), ("AdamW", True)):
    for strength in strength_grid:
        w, b, _ = decay_runs[label][strength] = train_logistic(adam, adam_lr, weight_decay=strength, decoupled=decoupled)
    losses = {strength: evaluate(*run[:2], X_val, y_val)[0] for strength, run in decay_runs[label].items()}
    print(f"{label:9s} validation loss by λ: " + ", ".join(f"{strength:g}: {loss:.3f}" for strength, loss in losses.items()))
best_strength = {label: min(runs_, key=lambda strength: round(evaluate(*runs_[strength][:2], X_val, y_val)[0], 3))
                 for label, runs_ in decay_runs.items()}                  # rounded: a tie goes to the weaker decay
assert best_strength["AdamW"] < strength_grid[-1] and best_strength["Adam + L2"] < strength_grid[-1]   # not at the grid's edge
results = {label: per_review(*decay_runs[label][best_strength[label]][:2], X_val, y_val) for label in decay_runs}
gap, error = paired_gap(results["AdamW"][0], results["Adam + L2"][0])
print(f"each at its validated λ (Adam + L2: {best_strength['Adam + L2']:g}, AdamW: {best_strength['AdamW']:g}); "
      f"AdamW against Adam + L2, validation loss {gap_text(-gap, error)}")

# %% [markdown]
# Read the gap with its standard error (printed above): on this small linear model on sentence vectors, the two penalties' best settings may well be within noise of each other, and which wins says little about a transformer. A validated $\lambda$ of 0 means that decay did not pay for itself here: the run is then plain Adam. The difference between them is *where* the decay lands. Take Adam + L2 at $\lambda = 0.001$, compute from its state at the end of training each weight's strength $\lambda_j = \lambda / (\sqrt{\hat v_j} + \epsilon)$, and draw it against the size of each weight's gradient ($\sqrt{\hat v_j}$, its root mean square as Adam tracks it), beside AdamW's single strength (for the picture, the median of the $\lambda_j$: the two then share their middle, which says nothing about their totals):

# %%
l2_strength, state = 1e-3, {}
w_l2, b_l2, _ = train_logistic(adam, adam_lr, weight_decay=l2_strength, weight_state=state)
gradient_size = (state["v"] / (1 - 0.999 ** state["t"])).sqrt()                 # √v̂ for each weight
l2_per_weight = l2_strength / (gradient_size + 1e-8)                               # Adam + L2: λ_j for each weight
adamw_strength = l2_per_weight.median().item()                                     # for the picture: the median of those
print(f"Adam + L2, λ = {l2_strength:g}: decay strength λ_j from {l2_per_weight.min():.2g} to {l2_per_weight.max():.2g} "
      f"across the weights, a factor of about {float(f'{l2_per_weight.max() / l2_per_weight.min():.2g}'):,.0f}; AdamW: one strength for all")
smallest, largest = gradient_size.argmin(), gradient_size.argmax()
assert l2_per_weight[smallest] > 10 * l2_per_weight[largest]   # the claim below: L2 inside Adam decays small-gradient weights hardest

fig, ax = plt.subplots(figsize=(6.4, 3.6))
ax.scatter(gradient_size, l2_per_weight, s=6, label=f"Adam + L2, λ = {l2_strength:g}: λ / (√v̂ + ε)")
ax.axhline(adamw_strength, color=plotting.COURSE_COLORS[1], label=f"AdamW, one λ for all (here {adamw_strength:.3g})")
ax.set(xscale="log", yscale="log", xlabel="√v̂: the weight's gradient size as Adam tracks it",
       ylabel="decay strength on the weight", title="Same middle, different targets")
ax.legend(fontsize=9)
plt.show()

# %% [markdown]
# AdamW's decay is one horizontal line: every weight is decayed with the same strength. Adam + L2's points fall along a slope: the weights with the smallest gradients are decayed hardest, and the weights the data pushes hardest are barely decayed. The two are different regularizers, and which validates better on a given task is an empirical question, answered above for this small linear model only. Loshchilov and Hutter found that decoupling makes the best $\lambda$ far less dependent on the learning rate and improves Adam's results on image classification; in a transformer, whose weights' gradient sizes differ by orders of magnitude, it is the decay you meant to apply.
#
# ### The test, once
#
# All choices are made: Adam at its validated learning rate, with the penalty the validation split chose. (Adam itself was not chosen on validation, and the ranking above may put another optimizer first: we keep it because Adam, as AdamW, is what fine-tuning uses.) Only now do the test reviews come out:

# %%
penalty, strength = best_penalty
final_w, final_b, _ = train_logistic(adam, adam_lr, penalty=None if penalty == "none" else penalty, strength=strength)
test_loss, test_accuracy = evaluate(final_w, final_b, X_test, y_test)
print(f"test accuracy {test_accuracy:.3f} (validation accuracy was {evaluate(final_w, final_b, X_val, y_val)[1]:.3f})")

# %% [markdown]
# ## Learning-rate schedules: warm up, then decay
#
# Fine-tuning a pretrained model starts gently: for the first steps, Adam's estimates $\hat v$ are based on few gradients, and a full-size step can wreck what pretraining learned. So the learning rate **warms up** linearly from 0 to its peak over the first steps (the first 10% of them, in notebooks 07 and 08 and here: `WARMUP` of `TOTAL`), then **decays** linearly to 0 at the end, which also lowers the mini-batch noise floor as training ends. `transformers` provides it as `get_linear_schedule_with_warmup`; ours is one line, and must agree:

# %%
from transformers import get_linear_schedule_with_warmup

TOTAL, WARMUP, PEAK = 200, 20, 5e-5
assert WARMUP / TOTAL == 0.1                # the share 07 and 08 warm up for


def linear_warmup_decay(step, warmup=WARMUP, total=TOTAL):
    if step < warmup:
        return step / warmup
    return max(0.0, (total - step) / (total - warmup))


dummy = torch.nn.Parameter(torch.zeros(1))
optimizer = torch.optim.AdamW([dummy], lr=PEAK)
scheduler = get_linear_schedule_with_warmup(optimizer, num_warmup_steps=WARMUP, num_training_steps=TOTAL)
theirs = []
for _ in range(TOTAL):
    theirs.append(scheduler.get_last_lr()[0])
    optimizer.step()
    scheduler.step()
ours = [PEAK * linear_warmup_decay(step) for step in range(TOTAL)]
print("same learning rate at every step:", all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15) for a, b in zip(ours, theirs)))
assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15) for a, b in zip(ours, theirs))

plotting.curves({"linear warm-up and decay": ours, "constant": [PEAK] * TOTAL}, xlabel="optimizer step",
                ylabel="learning rate", title=f"{WARMUP} warm-up steps, then linear decay to 0")
plt.show()


# %% [markdown]
# ## Exercises
#
# ### Exercise 1: derive and check a gradient
#
# Write `logistic_gradient(X, y, w, b)` returning the gradient of the mean logistic loss `F.binary_cross_entropy_with_logits(X @ w + b, y)` with respect to `w`, **without autograd**. Derive it first: the scalar graph in *Backpropagation by hand* did it for one review; now average over the batch, and write the sum over reviews as a matrix product. The checker compares it with autograd.

# %%
def logistic_gradient(X, y, w, b):
    # Your code here: replace this line.
    return torch.zeros_like(w)


check("05.logistic_gradient", logistic_gradient)


# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def logistic_gradient(X, y, w, b):
#     return X.T @ (torch.sigmoid(X @ w + b) - y) / len(y)
# ```
# </details>
#
# Why: for one review $\partial L/\partial w = (\sigma(z) - y)\,x$ (rule 1 above). The mean over $n$ reviews adds these up and divides by $n$; stacking the reviews as rows of $X$, the sum $\sum_i (\sigma(z_i) - y_i)\, x_i$ is $X^\top (\sigma(Xw + b) - y)$.

# %% [markdown]
# ### Exercise 2: the stability threshold
#
# Write `stability_threshold(H)` that takes the Hessian `H` of a quadratic loss (a symmetric matrix with positive eigenvalues) and returns the threshold learning rate: gradient descent converges from every start for every learning rate below it, and for none at or above it. (There is no *largest* stable rate: the stable rates run up to the threshold without reaching it.) Derive it from what a step does along each eigenvector; then check your answer against the valley above ($H = \operatorname{diag}(1, 25)$).

# %%
def stability_threshold(H):
    # Your code here: replace this line.
    return 0.01


check("05.stability_threshold", stability_threshold)


# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def stability_threshold(H):
#     return 2 / torch.linalg.eigvalsh(H).max().item()
# ```
#
# $H$ is symmetric, so (the spectral theorem) its eigenvectors can be chosen at right angles and a step acts on each separately: along eigenvector $i$ it multiplies the distance to the minimum by $1 - \eta \lambda_i$. That shrinks when $|1 - \eta\lambda_i| < 1$, that is $0 < \eta < 2/\lambda_i$, and this must hold for every $i$, so the steepest direction decides: every $\eta < 2/\lambda_{\max}$ converges (0.08 for the valley). At exactly $2/\lambda_{\max}$ the steep direction bounces back and forth forever, and above it the bounces grow. For a loss that is not quadratic, such as the logistic loss above, $2/L_{\text{curv}}$ from a bound $L_{\text{curv}}$ on the curvature is only a guarantee: larger rates may converge too.
# </details>

# %% [markdown]
# ### Exercise 3: a linear layer's backward pass
#
# Write `linear_backward(X, W, delta)` for the layer $Y = X W^\top + b$: given the input `X` of shape `(n, in)`, the weights `W` of shape `(out, in)` and `delta` $= \partial L/\partial Y$ of shape `(n, out)`, return `(dW, db, dX)`, the gradients of the loss with respect to `W`, `b` and `X`. Use the shape rule, then check the derivation; the checker compares with autograd.

# %%
def linear_backward(X, W, delta):
    # Your code here: replace this line.
    return W, delta[0], X


check("05.linear_backward", linear_backward)

# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def linear_backward(X, W, delta):
#     return delta.T @ X, delta.sum(dim=0), delta @ W
# ```
#
# `dW` must have the shape of `W`, `(out, in)`; when `in` and `out` differ, only `delta.T @ X` has it, but for a square layer `X.T @ delta` has it too, so check one entry: $\partial L/\partial w_{jk} = \sum_i \delta_{ij} x_{ik}$ is entry $(j, k)$ of `delta.T @ X`. `db`: the bias is added to every row of $Y$, so its gradient collects `delta` from every row. `dX`, `(n, in)`: `delta @ W`. This is exactly what `loss.backward()` computes for every `nn.Linear` in BERT.
# </details>

# %% [markdown]
# ## Summary
#
# - Gradient descent steps against the gradient, the steepest way down to first order; the curvature decides the learning rate: along each eigenvector of the (symmetric) Hessian a step multiplies the error by $1 - \eta\lambda$, so on a quadratic every $\eta < 2/\lambda_{\max}$ converges and none above, and a large condition number means zig-zags and crawling. On other losses, $2/L_{\text{curv}}$ from a curvature bound $L_{\text{curv}}$ is a guarantee, not a wall.
# - Backpropagation is the chain rule, layer by layer: $p - y$ for the logistic loss, $\delta^\top X$, $\sum \delta$ and $\delta W$ for a linear layer (the shape rule is a memory aid; one entry written out is the check), softmax minus one-hot for cross-entropy; sigmoid is a two-class softmax. Autograd and finite differences check every derivation.
# - SGD, momentum, Adam and AdamW are a few lines each, and ours match `torch.optim` to better than 1e-6 over 100 steps. On the quadratic valley, momentum tuned to the curvature was the fastest of the three; Adam needs no curvature at all.
# - A mini-batch gradient is unbiased, with a variance that falls as $1/B$: many cheap noisy steps reach a lower training loss than a few exact ones in far fewer passes over the data, down to a noise floor that a decaying learning rate lowers; whether that also lowers the validation loss is for the validation split to say.
# - Learning rates and penalties are chosen on a validation split, from grids widened until the best setting is inside them, and a gap smaller than about two paired standard errors cannot be told from noise (and that error covers only the draw of validation reviews); the test split is used once. L2, $\frac{\lambda}{2}\lVert w\rVert^2$ with gradient $\lambda w$, shrinks weights; L1 drives many of them to near zero (exact zeros need a proximal step); AdamW decays every weight by the same share, while L2 inside Adam decays weights with small gradients hardest; fine-tuning uses AdamW with a linear warm-up then decay.
#
# **Next:** [06 · Self-attention from scratch](06_self_attention.ipynb).
