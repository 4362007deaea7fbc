"""The course's one plotting look, and the figures that several notebooks and the README share.

Figures are PNG (stable under nbval and light in git); code that makes a file in ``images/`` is
registered in ``IMAGES`` so ``python -m course_utils images`` can rebuild every one of them.
"""

from __future__ import annotations
from .errors import InputError


COURSE_COLORS = ["#3366aa", "#ee7733", "#228833", "#cc3311", "#aa3377", "#009988", "#777777"]

STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "savefig.bbox": "tight",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 2.0,
    "image.cmap": "viridis",
    "svg.hashsalt": "zero-to-finetune",
}


def use_course_style() -> None:
    """Apply the course's rcParams and make inline figures PNG, without the "Software: Matplotlib version ..."
    text PNG files carry by default (a matplotlib upgrade would otherwise rewrite every stored figure)."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(STYLE)
    mpl.rcParams["axes.prop_cycle"] = cycler(color=COURSE_COLORS)
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png", metadata={"Software": None})
    except ImportError:  # outside Jupyter there is no inline backend to configure
        pass


#: The course map: (number, title, part of the course).
NOTEBOOKS = [
    ("00", "Welcome and\nenvironment check", "set-up"),
    ("01", "Install\nMiniconda", "set-up"),
    ("02", "Conda\nenvironments", "set-up"),
    ("03", "Linear\nalgebra", "math"),
    ("04", "Probability\nand Bayes", "math"),
    ("05", "Gradient descent,\nlosses", "math"),
    ("06", "Self-attention\nfrom scratch", "model"),
    ("07", "Fine-tune BERT\nwith the Trainer", "fine-tuning"),
    ("08", "Training loop,\nevaluation, speed", "fine-tuning"),
]
PART_COLORS = {"set-up": COURSE_COLORS[0], "math": COURSE_COLORS[2], "model": COURSE_COLORS[4], "fine-tuning": COURSE_COLORS[1]}


def course_map():  # -> matplotlib.figure.Figure
    """The nine notebooks as a path of boxes, coloured by part of the course."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    use_course_style()
    fig, ax = plt.subplots(figsize=(10, 3.4))
    ax.set_xlim(-0.2, 5.2)
    ax.set_ylim(-0.1, 2.2)
    ax.axis("off")
    positions = [(i, 1.45) for i in range(5)] + [(4 - i, 0.35) for i in range(4)]
    for (number, title, part), (x, y) in zip(NOTEBOOKS, positions):
        ax.add_patch(FancyBboxPatch((x + 0.05, y - 0.3), 0.8, 0.6, boxstyle="round,pad=0.03",
                                    facecolor=PART_COLORS[part], edgecolor="none", alpha=0.9))
        ax.text(x + 0.45, y + 0.13, number, ha="center", va="center", color="white", fontsize=13, weight="bold")
        ax.text(x + 0.45, y - 0.12, title, ha="center", va="center", color="white", fontsize=8)
    for (x0, y0), (x1, y1) in zip(positions, positions[1:]):
        if y0 != y1:
            start, end = (x0 + 0.45, y0 - 0.33), (x1 + 0.45, y1 + 0.33)
        elif x1 > x0:
            start, end = (x0 + 0.88, y0), (x1 + 0.02, y1)
        else:
            start, end = (x0 + 0.02, y0), (x1 + 0.88, y1)
        ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "->", "color": "#444444", "lw": 1.5})
    for i, (part, color) in enumerate(PART_COLORS.items()):
        ax.text(0.05 + i * 1.1, 2.1, f"■ {part}", color=color, fontsize=10, weight="bold", va="center")
    ax.set_title("zero-to-finetune: the course map", loc="left", pad=4)
    return fig


def heatmap(matrix, row_labels: list[str], col_labels: list[str], title: str = "", ax=None,
            cmap: str = "viridis", vmin: float | None = 0.0, vmax: float | None = None, colorbar: bool = True,
            annotate: bool = False):
    """A labelled heatmap (attention weights, similarities): rows are queries, columns are keys.
    `annotate` writes each value (2 decimals) in its cell, in black or white, whichever reads better."""
    import matplotlib.pyplot as plt
    import numpy as np

    values = np.asarray(getattr(matrix, "detach", lambda: matrix)())
    if values.ndim != 2 or values.shape != (len(row_labels), len(col_labels)):
        raise InputError(f"heatmap needs a 2-D matrix of shape ({len(row_labels)}, {len(col_labels)}) to match the labels, "
                         f"got shape {values.shape}. Fix: one label per row and one per column.")
    if ax is None:
        size = max(3.0, 0.35 * len(col_labels) + 1.5)
        _, ax = plt.subplots(figsize=(size + (1 if colorbar else 0), max(3.0, 0.35 * len(row_labels) + 1.2)))
    image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax)
    ax.set_xticks(range(len(col_labels)), col_labels, rotation=90)
    ax.set_yticks(range(len(row_labels)), row_labels)
    ax.grid(False)
    ax.set_title(title)
    if annotate:
        low, high = image.get_clim()
        for (i, j), value in np.ndenumerate(values):
            shade = (value - low) / ((high - low) or 1.0)
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7,
                    color="black" if shade > 0.55 else "white")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax


def curves(series: dict, xlabel: str = "step", ylabel: str = "", title: str = "", ax=None,
           logy: bool = False, x=None):
    """Several curves on one axis, one per name in `series` (loss curves, learning rates, ...).

    `series` maps a label to a sequence of values (numbers, or 0-axis tensors), or to a pair
    `(xs, values)` for a curve logged at its own steps (validation every 10 steps, training
    loss every 5); `x`, when given, is shared by the plain sequences, otherwise each is plotted
    against 0, 1, 2, ...
    """
    import matplotlib.pyplot as plt

    if not series:
        raise InputError("curves() needs at least one named series to draw. Fix: pass a dict such as {\"train\": losses}.")
    if ax is None:
        _, ax = plt.subplots()
    for label, values in series.items():
        own_x = isinstance(values, tuple) and len(values) == 2
        xs, values = (values[0], values[1]) if own_x else (x, values)
        values = [float(v) for v in values]
        xs = [float(v) for v in xs] if xs is not None else list(range(len(values)))
        if len(xs) != len(values):
            raise InputError(f"series {label!r} has {len(values)} values but x has {len(xs)}. Fix: give one x per value.")
        ax.plot(xs, values, "o-" if len(values) < 12 else "-", label=label, markersize=4)
    if logy:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(fontsize=9)
    return ax
