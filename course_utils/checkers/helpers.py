"""What a checker is made of: the registry, ``exercise(...)``, ``Wrong`` and the helpers.

An exercise is checked in three steps, so that nothing the learner's code does can change what it is
compared with:

1. **reference** (``@EX.reference``): the right answers, computed by the course from fresh inputs of its
   own, never from the objects the learner's code receives. ``course_utils.checks`` computes them before
   the learner's code runs, or in another process than the one that runs it.
2. **run** (``@EX.run``): calls the learner's code on fresh inputs and turns what it returns into plain
   values (numbers, strings, lists, dicts) with the ``plain_*`` helpers below. Only this step touches the
   learner's code, and ``course_utils.checks`` runs it under limits (time, memory, output). It raises
   ``Wrong`` for an answer of the wrong kind or shape.
3. **judge** (``@EX.judge``): compares the plain values with the reference in plain Python and raises
   ``Wrong`` with what the mistake is, or returns when the answer is right.

So an answer that changes its inputs in place, returns an object whose ``==`` always says yes, replaces
``torch.allclose`` or reads the checker's variables is compared with the same right answer as any
other: a course is not an exam, but no answer gets ``[Correct]`` by accident.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from typing import Any, Callable, Iterator, Sequence


class Wrong(Exception):
    """Raised by a checker to say what is wrong with an answer (shown to the learner)."""


def _no_reference() -> None:
    return None


class Exercise:
    """One exercise: its name, its hint and its three steps (see the module's docstring)."""

    def __init__(self, name: str, hint: str, needs: tuple[str, ...] = ()) -> None:
        self.name, self.hint, self.needs = name, hint, needs
        self.make_reference: Callable[[], Any] = _no_reference
        self.run_answer: Callable[[Any], Any] | None = None
        self.judge_answer: Callable[[Any, Any], None] | None = None

    def reference(self, function: Callable[[], Any]) -> Callable[[], Any]:
        """Register the step that computes the right answers (no argument)."""
        self.make_reference = function
        return function

    def run(self, function: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Register the step that runs the learner's answer and returns plain values."""
        self.run_answer = function
        return function

    def judge(self, function: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        """Register the step that compares (got, wanted) and raises ``Wrong``."""
        self.judge_answer = function
        return function


EXERCISES: dict[str, Exercise] = {}


def exercise(name: str, hint: str, needs: tuple[str, ...] = ()) -> Exercise:
    """Register the exercise `name` ("NN.short_name"); add its steps with ``@EX.run``, ``@EX.reference``
    and ``@EX.judge``. The hint guides (a concept, a section to reread, a question to ask), it never
    prints the solution: a learner who runs the starter cell reads it. `needs` names the modules its run
    step imports: the kernel imports them first, so that a child process does not import them anew at
    every check."""
    item = Exercise(name, hint, needs)
    EXERCISES[name] = item
    return item


# --------------------------------------------------------------------------- words

def _a(noun: str) -> str:
    """'a list', 'an int': the article a learner expects in a message."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def kind_of(value: Any) -> str:
    """What `value` is, in words: 'a str', 'a tensor of shape (2, 3)', 'a NoneType'."""
    shape = _shape_of(value)
    if shape is not None and not isinstance(value, (str, bytes)):
        return f"{_a(_type_word(value))} of shape {shape}"
    return _a(type(value).__name__)


def _type_word(value: Any) -> str:
    module = type(value).__module__.split(".")[0]
    return {"torch": "tensor", "numpy": "NumPy array"}.get(module, type(value).__name__)


def shown(value: Any, limit: int = 60) -> str:
    """repr(value), cut to `limit` characters: a 64 MB answer is never printed whole."""
    if isinstance(value, str):
        text = repr(value[:limit + 1])
    else:
        try:
            text = repr(value)
        except Exception:  # noqa: BLE001 - a repr that raises is the learner's; say what it is instead
            text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def safe_text(exc: BaseException, limit: int = 300) -> str:
    """str(exc), cut to `limit` characters; a message whose __str__ raises is named, never re-raised."""
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - an exception whose __str__ raises (issue 40.4)
        return "(its message could not be shown: turning it into text raised another error)"
    return text if len(text) <= limit else text[:limit - 3] + "..."


# --------------------------------------------------------------------------- plain values

def _shape_of(value: Any) -> tuple[int, ...] | None:
    """The shape of a tensor or array (from the base class, whatever a subclass says), else None."""
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        with torch._C.DisableTorchFunctionSubclass():
            return tuple(torch.Tensor.size(value))
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ndarray):
        return tuple(numpy.asarray(value).shape)
    return None


def _plain_nested(value: Any) -> Any:
    """A tensor or array as nested Python lists of bools, ints or floats, read through the base class."""
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        with torch._C.DisableTorchFunctionSubclass():
            base = torch.Tensor.detach(value)
            if torch.Tensor.is_complex(base):
                raise Wrong("a tensor of complex numbers: the exercise needs real numbers.")
            return torch.Tensor.tolist(torch.Tensor.cpu(base))
    import numpy

    array = numpy.asarray(value)  # the base class, even for a subclass; lists and tuples too
    if array.dtype.kind not in "biuf":
        raise Wrong(f"it holds {array.dtype} values, not numbers.")
    return array.tolist()


#: Why a result may be nan or inf, said where the exercise has no likelier cause of its own.
NOT_FINITE = "somewhere a number overflowed or 0 was divided by 0"
#: The likely cause where the exercise takes exp() of scores (softmax, sigmoid, cross-entropy).
NOT_FINITE_EXP = NOT_FINITE + " (exp() of a large score is a common cause)"


def plain_number(value: Any, what: str = "your answer", not_finite: str = NOT_FINITE) -> float:
    """`value` as a plain float: a Python, NumPy or 0-d (or one-element) tensor number. Text ("0.5"), a
    bool, None, complex or a several-element tensor is Wrong, as are nan and inf (`not_finite` says the
    likely cause in this exercise)."""
    number = _any_float(value, what)
    if not math.isfinite(number):
        # NaN compares False with everything, so `abs(value - wanted) > tol` would let it pass.
        raise Wrong(f"{what} is {number}, not a finite number: {not_finite}.")
    return number


def number_or_none(value: Any) -> float | None:
    """`value` as a float when it is one number (inf and nan included), else None; never raises."""
    try:
        return _any_float(value, "it")
    except (Wrong, TypeError, ValueError, RuntimeError):
        return None


def _any_float(value: Any, what: str) -> float:
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        raise Wrong(f"{what} should be a number, but it is a bool (True or False).")
    if isinstance(value, (str, bytes)):
        raise Wrong(f"{what} should be a number, but it is {_a(type(value).__name__)} (text such as {shown(value, 20)}): "
                    "return the number itself, not its text.")
    if isinstance(value, float):
        number = float.__float__(value)
    elif isinstance(value, int):
        number = float(int.__int__(value))
    elif isinstance(value, numbers.Real) and _shape_of(value) is None:
        number = float(value)  # NumPy scalars, fractions
    else:
        shape = _shape_of(value)
        if shape is None or math.prod(shape) != 1:
            raise Wrong(f"{what} should be a number, but it is {kind_of(value)}.")
        flat = _plain_nested(value)
        while isinstance(flat, list):
            flat = flat[0]
        if isinstance(flat, bool):
            raise Wrong(f"{what} should be a number, but it holds a bool (True or False).")
        number = float(flat)
    return number


#: The old name of ``plain_number`` (tests and notebooks may still use it).
expect_number = plain_number


def plain_count(value: Any, what: str = "your answer") -> int:
    """`value` as a plain int: a whole number as a Python int or float (1774464.0), a NumPy number or a 0-d
    tensor. A bool is not a count; 2.5 is not a whole number."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        raise Wrong(f"{what} should be a whole number, but it is a bool (True or False).")
    if isinstance(value, int):
        return int.__int__(value)
    number = plain_number(value, what)
    if not number.is_integer():
        raise Wrong(f"{what} should be a whole number, but it is {number:g}.")
    return int(number)


def plain_text(value: Any, what: str = "your answer", limit: int = 10_000) -> str:
    """`value` as a plain str (a str subclass is read as the str it holds), cut after `limit` characters
    (enough to see that a longer one is wrong)."""
    if not isinstance(value, str):
        raise Wrong(f"{what} should be a str, but it is {kind_of(value)}.")
    text = str.__str__(value)
    return text[:limit + 1]


def plain_list(value: Any, what: str = "your answer", limit: int = 1_000) -> list:
    """`value` as a plain list of its items: a list or a tuple (a subclass is read as what it holds)."""
    if isinstance(value, list):
        items = list.copy(value)
    elif isinstance(value, tuple):
        items = list(tuple.__iter__(value))
    else:
        raise Wrong(f"{what} should be a list (or a tuple), but it is {kind_of(value)}.")
    if len(items) > limit:
        raise Wrong(f"{what} has {len(items):,} items; far more than the exercise needs.")
    return items


def plain_array(value: Any, shape: Sequence[int], what: str = "your answer", not_finite: str = NOT_FINITE) -> dict:
    """A tensor, NumPy array or nested list of the given `shape` as plain data: {"shape", "kind" ("bool",
    "int" or "float"), "values" (flat list)}. Wrong for another shape, for text, or for nan and inf (`not_finite`
    says the likely cause in this exercise)."""
    import numpy

    shape = tuple(shape)
    actual = _shape_of(value)
    if actual is None:
        if not isinstance(value, (list, tuple)):
            raise Wrong(f"{what} should be a tensor of shape {shape}, but it is {kind_of(value)}.")
        try:
            nested = _plain_nested(value)
        except (ValueError, TypeError):
            nested = None
        actual = None if nested is None else tuple(numpy.shape(nested))
        if actual != shape and isinstance(value, tuple) and 2 <= len(value) <= 4 \
                and any(_shape_of(item) is not None for item in value):
            raise Wrong(f"{what} is {len(value)} things (a tuple): return only the one tensor of shape {shape}.")
        if nested is None:
            raise Wrong(f"{what} should be a tensor of shape {shape}; its nested lists do not make one.")
    else:
        if actual == shape:
            nested = _plain_nested(value)
        else:
            nested = None
    if actual != shape:
        raise Wrong(f"{what} has shape {actual}, but shape {shape} was expected.")
    flat = numpy.asarray(nested).reshape(-1)
    kind = {"b": "bool", "i": "int", "u": "int", "f": "float"}.get(flat.dtype.kind)
    if kind is None:
        raise Wrong(f"{what} holds {flat.dtype} values, not numbers.")
    if kind == "float" and not bool(numpy.isfinite(flat).all()):
        raise Wrong(f"{what} contains nan or inf, not finite numbers: {not_finite}.")
    return {"shape": list(shape), "kind": kind, "values": flat.tolist()}


def tensor_values(tensor: Any) -> list:
    """The course's own tensor (a reference) as a flat list of plain numbers."""
    import numpy

    return numpy.asarray(_plain_nested(tensor)).reshape(-1).tolist()


# --------------------------------------------------------------------------- comparing plain values

def close(value: float, wanted: float, rel: float = 1e-6, tol: float = 1e-9) -> bool:
    """`value` equals `wanted` up to float32 rounding (relative `rel`) or an absolute `tol`."""
    return math.isclose(value, wanted, rel_tol=rel, abs_tol=tol)


def largest_gap(got: Sequence[float], wanted: Sequence[float]) -> float:
    """The largest absolute difference between two equally long lists of numbers."""
    return max((abs(float(a) - float(b)) for a, b in zip(got, wanted)), default=0.0)


def all_close(got: Sequence[float], wanted: Sequence[float], atol: float = 1e-5, rtol: float = 1e-5) -> bool:
    """Like torch.allclose, in plain Python (a replaced torch.allclose changes nothing here)."""
    return len(got) == len(wanted) and all(abs(float(a) - float(b)) <= atol + rtol * abs(float(b))
                                           for a, b in zip(got, wanted))


def two_numbers(value: float, wanted: float) -> tuple[str, str]:
    """Both numbers with as many digits as it takes to see that they differ (never "0.2687 vs 0.2687")."""
    for digits in range(4, 17):
        pair = f"{value:.{digits}g}", f"{wanted:.{digits}g}"
        if pair[0] != pair[1]:
            return pair
    return repr(value), repr(wanted)


def expect_close(answer: Any, expected: float, tol: float = 1e-6, what: str = "your answer") -> None:
    """Wrong unless `answer` is a number within `tol` (or float32 rounding) of `expected`."""
    value = plain_number(answer, what)
    if not close(value, expected, tol=tol):
        raise Wrong(f"{what} is {two_numbers(value, expected)[0]}, which is not the expected value.")


def expect_value(got: float, wanted: float, mistakes: Sequence[tuple[float, str]], wrong: str, rel: float = 1e-6) -> None:
    """Return when `got` equals `wanted` up to `rel`; else raise Wrong with the reason of the first known mistake
    `got` equals (each a value and what it means), or `wrong` with ``{got}`` and ``{wanted}`` filled in with the
    digits it takes to see them differ."""
    if close(got, wanted, rel=rel):
        return
    for value, reason in mistakes:
        if close(got, value, rel=rel):
            raise Wrong(reason)
    pair = two_numbers(got, wanted)
    raise Wrong(wrong.format(got=pair[0], wanted=pair[1]))


# --------------------------------------------------------------------------- checks on the answer itself

def expect_type(answer: Any, kind: type | tuple[type, ...], what: str = "your answer") -> None:
    """Wrong unless `answer` is an instance of `kind`. `int` also takes any whole number that is not a
    bool (NumPy's int64, a counted `sum`), `float` any real number."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if int in kinds and isinstance(answer, numbers.Integral) and not isinstance(answer, bool):
        return
    if float in kinds and isinstance(answer, numbers.Real) and not isinstance(answer, bool):
        return
    if not isinstance(answer, kind):
        names = " or ".join(k.__name__ for k in kinds)
        raise Wrong(f"{what} should be {_a(names)}, but it is {kind_of(answer)}.")


def expect_callable(answer: Any, what: str = "your answer") -> None:
    """Wrong unless `answer` is a function (or anything callable)."""
    if not callable(answer):
        raise Wrong(f"{what} should be a function you defined (pass the name, without calling it), "
                    f"but it is {kind_of(answer)}.")


def expect_shape(answer: Any, shape: tuple[int, ...], what: str = "your answer") -> None:
    """Wrong unless `answer` has a `.shape` equal to `shape` (tensors and arrays)."""
    actual = _shape_of(answer)
    if actual is None:
        raise Wrong(f"{what} should be a tensor or array of shape {shape}, but it is {_a(type(answer).__name__)}.")
    if tuple(actual) != tuple(shape):
        raise Wrong(f"{what} has shape {tuple(actual)}, but shape {tuple(shape)} was expected.")


@contextlib.contextmanager
def watching(functions: Sequence[str] = (), autograd: bool = False) -> Iterator[list[str]]:
    """Inside the block, note each call of a torch function named in `functions` (however it was imported)
    and, when `autograd`, the building of an autograd graph ("autograd"): the list it yields says which ran.
    For exercises whose point is to write what those do."""
    import torch
    from torch.overrides import TorchFunctionMode

    seen: list[str] = []

    class Watch(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            name = getattr(func, "__name__", "")
            if name in functions and name not in seen:
                seen.append(name)
            return func(*args, **(kwargs or {}))

    def saved(tensor: Any) -> Any:  # called when an operation keeps a tensor for a backward pass
        if "autograd" not in seen:
            seen.append("autograd")
        return tensor

    graph = torch.autograd.graph.saved_tensors_hooks(saved, lambda tensor: tensor) if autograd else contextlib.nullcontext()
    with Watch(), graph:
        yield seen


def unchanged(before: Any, after: Any) -> bool:
    """True when the course's input tensor `after` still holds what its copy `before` held (bitwise, nan-safe)."""
    import torch

    return bool(torch.equal(before, after))
