"""The course's one exception type: a clear message that names the fix, shown without a traceback."""

from __future__ import annotations


class CourseError(RuntimeError):
    """An error a learner can act on. The message always says what to do next.

    In Jupyter, IPython calls ``_render_traceback_`` instead of printing the usual stack of
    library frames, so the learner sees one short, readable message.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class InputError(CourseError, ValueError, TypeError):
    """A function was given an argument it does not take; the message says what it takes."""


class ProfileError(CourseError, ValueError):
    """COURSE_PROFILE holds a value that is not a known profile."""


class ResolutionError(CourseError, LookupError):
    """No source (cache, Hub, offline copy) can serve a model or data set id."""


class IntegrityError(CourseError):
    """A file's SHA-256 differs from the published one; the file must not be used."""
