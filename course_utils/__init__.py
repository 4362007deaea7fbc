"""course_utils: the zero-to-finetune course's one helper package.

Import is instant: heavy libraries (torch, transformers, datasets, matplotlib) load only when a
function that needs them is called. The names a notebook uses:

- ``setup()``: seeds, threads, quiet logs, plot style, one status line; returns a ``CourseConfig``.
- ``model_path(id)``, ``load_reviews(id)``: models and data from the cache, the Hub or offline.
- ``check(name, answer)``: exercise checkers with friendly verdicts.
- ``run_checks()``: the environment doctor, as notebook 00 shows it.
- ``sentence_vectors(texts)``: sentence vectors from the offline BERT (notebooks 03, 05, 07).
"""

from __future__ import annotations

__version__ = "0.1.0"

#: The course's home; Colab badges and install cells are made from it.
REPO_URL = "https://github.com/zero-to-finetune/zero-to-finetune"

_LAZY = {
    "setup": "session", "CourseConfig": "session", "output_dir": "session",
    "model_path": "hub", "resolve_model": "hub", "load_reviews": "hub",
    "check": "checks", "run_checks": "doctor", "sentence_vectors": "features",
    "CourseError": "errors", "ResolutionError": "errors", "IntegrityError": "errors", "ProfileError": "errors",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'course_utils' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))
