"""The README's images (``python -m course_utils images``), drawn by the same code the notebooks use."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..plotting import course_map

#: Files in images/ and the functions that draw them.
IMAGES: dict[str, Callable[[], object]] = {"course_map.png": course_map}


def write_images(folder: Path) -> list[Path]:
    """Draw every registered image into `folder` (``python -m course_utils images``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in IMAGES.items():
        fig = draw()
        path = folder / name
        fig.savefig(path, metadata={"Software": None})
        plt.close(fig)
        written.append(path)
    return written
