"""JSONata behind one small interface: `compile_expression(source).evaluate(input)`.

The engine is jlens (Rust, thread-safe compiled expressions, JSONata error codes); the choice and
its measurements are in docs/architecture.md. Nothing outside this package imports jlens, so
swapping the engine touches this package only.

Each expression is also compiled to Python (compiler.py) when it stays within the subset the
compiler translates; the compiled form then answers, and the engine answers the evaluations the
compiled form hands back (a value outside the subset) and the expressions it could not translate
(`engine_only()`). tests/test_expression_compiler.py holds the two to the same output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jlens

from unigate.expressions.compiler import Unsupported, compile_python
from unigate.expressions.functions import CUSTOM_FUNCTIONS
from unigate.expressions.runtime import Fallback

__all__ = ["Expression", "ExpressionError", "compile_expression", "engine_only"]


class ExpressionError(Exception):
    """An expression failed to compile or to evaluate; `code` is the JSONata error code."""

    def __init__(self, message: str, code: str | None = None, source: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.source = source


# Functions whose result changes between calls: an expression using one is never constant.
_VOLATILE = ("$now", "$millis", "$random", "$uuid")
_NOT_CONSTANT = object()

# Source -> why the compiler left it to the engine; filled as expressions are compiled (start-up).
_ENGINE_ONLY: dict[str, str] = {}


def engine_only() -> dict[str, str]:
    """The expressions compiled so far that the Python compiler left to the engine, with the reason."""
    return dict(_ENGINE_ONLY)


class Expression:
    """A compiled JSONata expression. Evaluate with one input object of named values."""

    __slots__ = ("_compiled", "_constant", "_python", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        try:
            self._compiled = jlens.Expression(source)
        except jlens.JlensError as exc:
            raise ExpressionError(f"invalid JSONata: {exc}", getattr(exc, "code", None), source) from exc
        for name, (function, signature) in CUSTOM_FUNCTIONS.items():
            self._compiled.register_function(name, function, signature)
        self._constant = _NOT_CONSTANT
        self._python: Callable[[Any], Any] | None = None
        try:
            self._python = compile_python(source)
        except (Unsupported, RecursionError) as exc:
            _ENGINE_ONLY[source] = str(exc) or type(exc).__name__
        reads = self._compiled.reads()
        if not reads.get("input") and not reads.get("bindings") and not any(v in source for v in _VOLATILE):
            # Reads nothing (e.g. a fixed property list): evaluate once, not per request.
            try:
                self._constant = self._compiled.evaluate(None)
            except jlens.JlensError:
                self._constant = _NOT_CONSTANT

    def reads(self) -> dict[str, Any] | None:
        """What the expression reads from its input and bindings (the engine's analysis); None when it
        cannot be known, or when the result changes between calls whatever it reads ($now, $random, …)."""
        if any(name in self.source for name in _VOLATILE):
            return None
        try:
            reads: dict[str, Any] = self._compiled.reads()
        except Exception:  # noqa: BLE001 - no analysis
            return None
        return reads

    @property
    def compiled(self) -> bool:
        """Whether the Python compiler translated this expression (else the engine evaluates it)."""
        return self._python is not None

    def prepare(self, data: Any) -> Any:
        """The input as the expression reads it (a subclass may add to it)."""
        return data

    def evaluate(self, data: Any) -> Any:
        """The result, or None for JSONata's undefined and null.

        A constant's result is shared: callers copy before changing it (a shallow copy is given). So
        are the members of a result read from the input as they are (the top-level object or array
        is always the caller's own).
        """
        constant = self._constant
        if constant is not _NOT_CONSTANT:
            if isinstance(constant, dict):
                return dict(constant)
            return list(constant) if isinstance(constant, list) else constant
        data = self.prepare(data)
        python = self._python
        if python is not None:
            try:
                result = python(data)
            except Exception:  # noqa: BLE001 - outside the compiled subset (or a slip in it): the engine answers
                pass
            else:
                return result
        return self._engine(data)

    def evaluate_engine(self, data: Any) -> Any:
        """The JSONata engine's result (the reference the compiled form is tested and measured against)."""
        return self._engine(self.prepare(data))

    def evaluate_compiled(self, data: Any) -> Any:
        """The compiled form's result; raises runtime.Fallback where it hands the evaluation to the engine."""
        if self._python is None:
            raise Fallback
        return self._python(self.prepare(data))

    def _engine(self, data: Any) -> Any:
        try:
            return self._compiled.evaluate(data)
        except jlens.JlensError as exc:
            raise ExpressionError(str(exc), getattr(exc, "code", None), self.source) from exc

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


def compile_expression(source: str | None) -> Expression | None:
    """Compile `source`; None and blank text give None (the expression is optional)."""
    if source is None or not str(source).strip():
        return None
    return Expression(str(source))
