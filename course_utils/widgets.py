"""Sliders and pickers that drive a plot, with a static fallback nbval and readers can see.

``explore(draw, controls, static)`` shows an ipywidgets control panel in JupyterLab and Colab.
Where no front end can show widgets (nbval, ``regenerate``, CI, a plain script, GitHub's file
view), it instead calls the same ``draw`` function for a few fixed settings, so the saved
notebook holds real pictures and its outputs are stable.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from .session import detect_frontend
from .errors import InputError

LIVE_FRONTENDS = ("jupyterlab", "jupyter", "colab")


def widgets_live() -> bool:
    """True where a front end can render widgets (not under nbval, CI or a plain script)."""
    return detect_frontend() in LIVE_FRONTENDS


def explore(draw: Callable[..., None], controls: dict[str, Any], static: Sequence[dict[str, Any]]) -> None:
    """Show `draw` with live `controls` (ipywidgets), or once per settings dict in `static`.

    `controls` maps each parameter of `draw` to an ipywidgets control (or anything
    ``ipywidgets.interact`` accepts, such as a list of choices); `static` lists the settings to
    draw when widgets cannot be shown.
    """
    if not static:
        raise InputError("explore() needs at least one static setting to draw without a front end. "
                         "Fix: pass static=[{...}] with a value for each control.")
    missing = [name for settings in static for name in settings if name not in controls]
    if missing:
        raise InputError(f"static settings name parameters that have no control: {sorted(set(missing))}. "
                         "Fix: add a control for each, or drop them from the static settings.")
    if widgets_live():
        import ipywidgets

        ipywidgets.interact(draw, **controls)
        return
    for settings in static:
        draw(**settings)
