"""Every notebook's exercise checkers, one module per notebook (``nb00`` ... ``nb08``).

Importing this package registers them all in ``EXERCISES``; ``course_utils.check`` looks names up
there. The imports are explicit, so the registry is complete from the first import and nothing
imports ``course_utils.checks`` back.
"""

from __future__ import annotations

from . import nb00, nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb08  # noqa: F401 - each registers its checkers
from .helpers import EXERCISES

__all__ = ["EXERCISES"]
