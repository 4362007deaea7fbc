"""pytest plugin (enabled in pyproject's addopts): nbval runs notebooks exactly as `regenerate` does."""

from __future__ import annotations

from .notebooks import apply_notebook_env


def pytest_configure(config) -> None:  # noqa: ANN001 - pytest's Config
    """Set NOTEBOOK_ENV before any kernel starts, whichever tests were asked for."""
    apply_notebook_env()
