"""JSONata behind one small interface: `compile_expression(source).evaluate(input)`.

The engine is jlens (Rust, thread-safe compiled expressions, JSONata error codes); the choice and
its measurements are in docs/architecture.md. Nothing outside this package imports jlens, so
swapping the engine touches this package only.
"""

from __future__ import annotations

from typing import Any

import jlens

from unigate.expressions.functions import CUSTOM_FUNCTIONS

__all__ = ["Expression", "ExpressionError", "compile_expression"]


class ExpressionError(Exception):
    """An expression failed to compile or to evaluate; `code` is the JSONata error code."""

    def __init__(self, message: str, code: str | None = None, source: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.source = source


# Functions whose result changes between calls: an expression using one is never constant.
_VOLATILE = ("$now", "$millis", "$random", "$uuid")
_NOT_CONSTANT = object()


class Expression:
    """A compiled JSONata expression. Evaluate with one input object of named values."""

    __slots__ = ("_compiled", "_constant", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        try:
            self._compiled = jlens.Expression(source)
        except jlens.JlensError as exc:
            raise ExpressionError(f"invalid JSONata: {exc}", getattr(exc, "code", None), source) from exc
        for name, (function, signature) in CUSTOM_FUNCTIONS.items():
            self._compiled.register_function(name, function, signature)
        self._constant = _NOT_CONSTANT
        reads = self._compiled.reads()
        if not reads.get("input") and not reads.get("bindings") and not any(v in source for v in _VOLATILE):
            # Reads nothing (e.g. a fixed property list): evaluate once, not per request.
            try:
                self._constant = self._compiled.evaluate(None)
            except jlens.JlensError:
                self._constant = _NOT_CONSTANT

    def evaluate(self, data: Any) -> Any:
        """The result, or None for JSONata's undefined and null.

        A constant's result is shared: callers copy before changing it (a shallow copy is given).
        """
        constant = self._constant
        if constant is not _NOT_CONSTANT:
            if isinstance(constant, dict):
                return dict(constant)
            return list(constant) if isinstance(constant, list) else constant
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
