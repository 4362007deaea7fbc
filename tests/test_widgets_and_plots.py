"""Shared plotting and the widget helper with its static fallback."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import plotting, widgets  # noqa: E402


def test_heatmap_labels_axes_and_checks_shape():
    ax = plotting.heatmap(np.eye(3), ["a", "b", "c"], ["x", "y", "z"], title="t")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "z"]
    assert ax.get_title() == "t"
    plt.close("all")
    with pytest.raises(ValueError, match=r"shape \(2, 3\)"):
        plotting.heatmap(np.eye(3), ["a", "b"], ["x", "y", "z"])


def test_heatmap_can_write_each_value_in_its_cell():
    ax = plotting.heatmap(np.array([[0.0, 0.25], [0.5, 1.0]]), ["a", "b"], ["x", "y"], vmax=1, annotate=True)
    texts = {(t.get_position(), t.get_text()) for t in ax.texts}
    assert texts == {((0, 0), "0.00"), ((1, 0), "0.25"), ((0, 1), "0.50"), ((1, 1), "1.00")}
    colours = {t.get_text(): t.get_color() for t in ax.texts}
    assert colours["0.00"] == "white" and colours["1.00"] == "black"   # dark cells get light text, and back
    plt.close("all")


def test_heatmap_takes_tensors():
    import torch

    ax = plotting.heatmap(torch.rand(2, 2, requires_grad=True), ["a", "b"], ["a", "b"])
    assert ax.images[0].get_array().shape == (2, 2)
    plt.close("all")


def test_explore_draws_the_static_settings_without_a_front_end(monkeypatch):
    monkeypatch.setenv("CI", "true")
    calls = []
    widgets.explore(lambda rate, steps: calls.append((rate, steps)), {"rate": (0.0, 1.0), "steps": [1, 2]},
                    static=[{"rate": 0.1, "steps": 1}, {"rate": 0.9, "steps": 2}])
    assert calls == [(0.1, 1), (0.9, 2)]


def test_explore_uses_widgets_in_a_live_front_end(monkeypatch):
    import ipywidgets

    seen = {}
    monkeypatch.setattr(widgets, "widgets_live", lambda: True)
    monkeypatch.setattr(ipywidgets, "interact", lambda draw, **controls: seen.update(controls))
    widgets.explore(lambda rate: None, {"rate": (0.0, 1.0)}, static=[{"rate": 0.5}])
    assert seen == {"rate": (0.0, 1.0)}


def test_explore_rejects_bad_static_settings():
    with pytest.raises(ValueError, match="at least one static"):
        widgets.explore(lambda rate: None, {"rate": (0.0, 1.0)}, static=[])
    with pytest.raises(ValueError, match=r"\['speed'\]"):
        widgets.explore(lambda rate: None, {"rate": (0.0, 1.0)}, static=[{"speed": 1}])


def test_style_makes_png_figures():
    plotting.use_course_style()
    assert matplotlib.rcParams["axes.spines.top"] is False
    assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][0] == plotting.COURSE_COLORS[0]


def test_curves_draws_one_line_per_series_and_checks_lengths():
    import torch

    ax = plotting.curves({"train": [3, 2, 1], "eval": [torch.tensor(2.5), torch.tensor(1.5), torch.tensor(1.2)]},
                         ylabel="loss", logy=True)
    assert [line.get_label() for line in ax.get_lines()] == ["train", "eval"]
    assert list(ax.get_lines()[1].get_ydata()) == pytest.approx([2.5, 1.5, 1.2])
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="has 2 values but x has 3"):
        plotting.curves({"a": [1, 2]}, x=[0, 1, 2])
    with pytest.raises(ValueError, match="at least one"):
        plotting.curves({})


def test_curves_takes_curves_logged_at_their_own_steps():
    ax = plotting.curves({"training loss": ([5, 10, 15, 20], [0.7, 0.6, 0.4, 0.3]), "validation loss": ([10, 20], [0.5, 0.35])})
    assert list(ax.get_lines()[1].get_xdata()) == [10.0, 20.0]
    assert list(ax.get_lines()[0].get_ydata()) == pytest.approx([0.7, 0.6, 0.4, 0.3])
