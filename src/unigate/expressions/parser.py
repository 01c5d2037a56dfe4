"""JSONata source text to a syntax tree, for the compiler (compiler.py).

A Pratt parser after the reference implementation's (https://github.com/jsonata-js/jsonata,
src/parser.js), with the same binding powers, then the same rewriting of `.` chains into paths
whose steps carry their own filters. It reads the whole language's syntax; what the compiler
does not translate it refuses with `Unsupported`, and that expression stays on the JSONata engine.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any


class Unsupported(Exception):
    """The source uses syntax or a construct the compiler does not translate."""


# -- syntax tree -----------------------------------------------------------------------------------


@dataclass
class Node:
    kind: str                       # literal, name, variable, regex, path, array, object, block, bind,
    #                                 lambda, call, condition, binary, negate, range, wildcard, ...
    value: Any = None               # literal value, name, variable name, operator
    items: list[Node] = field(default_factory=list)   # path steps, array items, block body, call args
    pairs: list[tuple[Node, Node]] = field(default_factory=list)  # object constructor
    left: Node | None = None        # binary lhs, bind value, call target, condition test, lambda body
    right: Node | None = None       # binary rhs, condition `then`
    other: Node | None = None       # condition `else`
    params: list[str] = field(default_factory=list)   # lambda parameters
    filters: list[Node] = field(default_factory=list)  # `[...]` after a step or an expression
    keep_array: bool = False        # `[]` after a step


# -- tokens ----------------------------------------------------------------------------------------

_OPERATORS = {
    ".": 75, "[": 80, "]": 0, "{": 70, "}": 0, "(": 80, ")": 0, ",": 0, "@": 80, "#": 80, ";": 80,
    ":": 80, "?": 20, "+": 50, "-": 50, "*": 60, "/": 60, "%": 60, "|": 20, "=": 40, "<": 40,
    ">": 40, "^": 40, "**": 60, "..": 20, ":=": 10, "!=": 40, "<=": 40, ">=": 40, "~>": 40,
    "and": 30, "or": 25, "in": 40, "&": 50, "!": 0, "~": 0, "??": 40, "?:": 40,
}
_SEPARATORS = {":", ";", ",", "..", ")", "]", "}"}
_TWO_CHAR = {"..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??"}
_NUMBER = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?([Ee][-+]?[0-9]+)?")
_NAME_END = re.compile(r"[\s.\[\]{}()\,@#;:?+\-*/%|=<>^~!&\"'`]")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


@dataclass
class Token:
    type: str   # operator, string, number, name, variable, value, regex, end
    value: Any
    position: int


def _tokens(source: str) -> list[Token]:
    out: list[Token] = []
    i, n = 0, len(source)
    while True:
        while i < n and source[i] in " \t\n\r\v\f":
            i += 1
        if source.startswith("/*", i):
            end = source.find("*/", i + 2)
            if end < 0:
                raise Unsupported("unterminated comment")
            i = end + 2
            continue
        if i >= n:
            out.append(Token("end", None, i))
            return out
        ch = source[i]
        previous = out[-1] if out else None
        if ch == "/" and not (previous and (previous.type in ("number", "string", "name", "variable", "value", "regex")
                                              or previous.value in (")", "]", "}"))):
            i, pattern = _regex(source, i)
            out.append(Token("regex", pattern, i))
            continue
        pair = source[i:i + 2]
        if pair in _TWO_CHAR:
            out.append(Token("operator", pair, i))
            i += 2
            continue
        if ch in _OPERATORS:
            out.append(Token("operator", ch, i))
            i += 1
            continue
        if ch in "\"'":
            i, text = _string(source, i)
            out.append(Token("string", text, i))
            continue
        match = _NUMBER.match(source, i)
        if match:
            number = float(match.group(0))
            if number != number or number in (float("inf"), float("-inf")):
                raise Unsupported("number out of range")
            out.append(Token("number", int(number) if number.is_integer() and abs(number) < 2**53 else number, i))
            i = match.end()
            continue
        if ch == "`":
            end = source.find("`", i + 1)
            if end < 0:
                raise Unsupported("unterminated name")
            out.append(Token("name", source[i + 1:end], i))
            i = end + 1
            continue
        end_match = _NAME_END.search(source, i + (1 if ch == "$" else 0))
        end = end_match.start() if end_match else n
        word = source[i:end]
        i = end
        if word.startswith("$"):
            out.append(Token("variable", word[1:], i))
        elif word in ("and", "or", "in"):
            out.append(Token("operator", word, i))
        elif word in ("true", "false"):
            out.append(Token("value", word == "true", i))
        elif word == "null":
            out.append(Token("value", None, i))
        else:
            out.append(Token("name", word, i))


def _string(source: str, start: int) -> tuple[int, str]:
    quote = source[start]
    i = start + 1
    parts: list[str] = []
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            nxt = source[i + 1:i + 2]
            if nxt in _ESCAPES:
                parts.append(_ESCAPES[nxt])
                i += 2
            elif nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", source[i + 2:i + 6]):
                # a surrogate pair is two escapes; json joins them as JavaScript does
                parts.append(json.loads('"' + source[i:i + 6] + '"') if not 0xD800 <= int(source[i + 2:i + 6], 16) <= 0xDFFF
                             else _surrogate(source, i))
                i += 12 if 0xD800 <= int(source[i + 2:i + 6], 16) <= 0xDBFF else 6
            else:
                raise Unsupported("string escape")
        elif ch == quote:
            return i + 1, "".join(parts)
        else:
            parts.append(ch)
            i += 1
    raise Unsupported("unterminated string")


def _regex(source: str, start: int) -> tuple[int, tuple[str, str]]:
    """`/pattern/flags` as the reference scans it (src/tokenizer.js, scanRegex): the closing slash is
    the first unescaped one outside brackets, braces and parentheses; the flags are `i` and `m`."""
    depth = 0
    escaped = False
    for i in range(start + 1, len(source)):
        ch = source[i]
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "/" and depth == 0:
            pattern = source[start + 1:i]
            if not pattern:
                raise Unsupported("empty regular expression")
            end = i + 1
            while end < len(source) and source[end] in "im":
                end += 1
            return end, (pattern, source[i + 1:end])
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
    raise Unsupported("unterminated regular expression")


def _surrogate(source: str, i: int) -> str:
    try:
        return json.loads('"' + source[i:i + 12] + '"')
    except ValueError as exc:
        raise Unsupported("lone surrogate") from exc


# -- Pratt parser ----------------------------------------------------------------------------------


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = _tokens(source)
        self.at = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def advance(self, expected: str | None = None) -> Token:
        token = self.token
        if expected is not None and not (token.type == "operator" and token.value == expected):
            raise Unsupported(f"expected {expected!r} at {token.position}")
        self.at += 1
        return token

    def bp(self, token: Token) -> int:
        # `:`, `;`, `,` and `..` separate; only the reference's infix operators bind
        if token.type == "operator" and token.value not in _SEPARATORS:
            return _OPERATORS[token.value]
        return 0

    def expression(self, rbp: int) -> Node:
        token = self.advance()
        left = self.nud(token)
        while rbp < self.bp(self.token):
            left = self.led(self.advance(), left)
        return left

    def nud(self, token: Token) -> Node:
        if token.type == "string":
            return Node("string", token.value)
        if token.type == "number":
            return Node("literal", token.value)
        if token.type == "value":
            return Node("literal", token.value)
        if token.type == "name":
            return Node("name", token.value)
        if token.type == "variable":
            return Node("variable", token.value)
        if token.type == "regex":
            return Node("regex", token.value)
        if token.type != "operator":
            raise Unsupported("unexpected end")
        op = token.value
        if op == "-":
            operand = self.expression(70)
            if operand.kind == "literal" and isinstance(operand.value, (int, float)) and not isinstance(operand.value, bool):
                return Node("literal", -operand.value)
            return Node("negate", left=operand)
        if op == "(":
            body: list[Node] = []
            while not (self.token.type == "operator" and self.token.value == ")"):
                body.append(self.expression(0))
                if not (self.token.type == "operator" and self.token.value == ";"):
                    break
                self.advance(";")
            self.advance(")")
            return Node("block", items=body)
        if op == "[":
            items: list[Node] = []
            if not (self.token.type == "operator" and self.token.value == "]"):
                while True:
                    item = self.expression(0)
                    if self.token.type == "operator" and self.token.value == "..":
                        self.advance("..")
                        item = Node("range", left=item, right=self.expression(0))
                    items.append(item)
                    if not (self.token.type == "operator" and self.token.value == ","):
                        break
                    self.advance(",")
            self.advance("]")
            return Node("array", items=items)
        if op == "{":
            pairs: list[tuple[Node, Node]] = []
            if not (self.token.type == "operator" and self.token.value == "}"):
                while True:
                    key = self.expression(0)
                    self.advance(":")
                    pairs.append((key, self.expression(0)))
                    if not (self.token.type == "operator" and self.token.value == ","):
                        break
                    self.advance(",")
            self.advance("}")
            return Node("object", pairs=pairs)
        if op == "*":
            return Node("wildcard")
        raise Unsupported(f"operator {op!r} in prefix position")

    def led(self, token: Token, left: Node) -> Node:
        op = token.value
        if op == "(":
            args: list[Node] = []
            if not (self.token.type == "operator" and self.token.value == ")"):
                while True:
                    if self.token.type == "operator" and self.token.value == "?":
                        raise Unsupported("partial application")
                    args.append(self.expression(0))
                    if not (self.token.type == "operator" and self.token.value == ","):
                        break
                    self.advance(",")
            self.advance(")")
            if left.kind == "name" and left.value in ("function", "λ"):
                params = []
                for arg in args:
                    if arg.kind != "variable":
                        raise Unsupported("lambda parameter")
                    params.append(arg.value)
                if self.token.type == "operator" and self.token.value == "<":
                    raise Unsupported("lambda signature")
                self.advance("{")
                body = self.expression(0)
                self.advance("}")
                return Node("lambda", params=params, left=body)
            return Node("call", left=left, items=args)
        if op == "[":
            if self.token.type == "operator" and self.token.value == "]":
                self.advance("]")
                left.keep_array = True
                return left
            predicate = self.expression(0)
            self.advance("]")
            return Node("filtered", left=left, right=predicate)
        if op == "?":
            then = self.expression(0)
            otherwise = None
            if self.token.type == "operator" and self.token.value == ":":
                self.advance(":")
                otherwise = self.expression(0)
            return Node("condition", left=left, right=then, other=otherwise)
        if op == ":=":
            if left.kind != "variable":
                raise Unsupported("assignment to a non-variable")
            return Node("bind", value=left.value, left=self.expression(_OPERATORS[":="] - 1))
        if op in ("{", "@", "#", "~>", "^", "..", "?:", "??", "|"):
            raise Unsupported(f"operator {op!r}")
        if op in _OPERATORS and _OPERATORS[op] > 0:
            return Node("binary", value=op, left=left, right=self.expression(_OPERATORS[op]))
        raise Unsupported(f"operator {op!r}")


# -- the reference parser's rewriting (processAST): paths and filters ---------------------------------


def _process(node: Node) -> Node:
    kind = node.kind
    if kind == "binary" and node.value == ".":
        assert node.left is not None and node.right is not None
        first = _process(node.left)
        path = first if first.kind == "path" else Node("path", items=[first])
        if node.right.kind == "string":  # a quoted name
            node.right.kind = "name"
        rest = _process(node.right)
        if rest.kind == "path":
            path.items.extend(rest.items)
        else:
            if rest.filters:
                rest = _as_step(rest)
            path.items.append(rest)
        for step in path.items:
            if step.kind == "literal":
                raise Unsupported("a literal value as a path step")
            if step.kind == "string":
                step.kind = "name"
            if step.kind == "array":
                raise Unsupported("an array constructor as a path step")
            if step.kind in ("wildcard", "parent"):
                raise Unsupported("wildcard step")
        path.keep_array = any(step.keep_array for step in path.items)
        return path
    if kind == "filtered":
        assert node.left is not None and node.right is not None
        target = _process(node.left)
        predicate = _process(node.right)
        if target.kind == "path":
            last = target.items[-1]
            last.filters.append(predicate)
            if last.kind != "step":
                target.items[-1] = _as_step(last)
            return target
        target.filters.append(predicate)
        return target
    if kind == "wildcard":
        raise Unsupported("wildcard")
    if node.left is not None:
        node.left = _process(node.left)
    if node.right is not None:
        node.right = _process(node.right)
    if node.other is not None:
        node.other = _process(node.other)
    node.items = [_process(i) for i in node.items]
    node.pairs = [(_process(k), _process(v)) for k, v in node.pairs]
    return node


def _as_step(node: Node) -> Node:
    """A path step with filters: the filters apply to each input item's result (`stages`)."""
    if node.kind == "step":
        return node
    filters, node.filters = node.filters, []
    keep, node.keep_array = node.keep_array, False
    if node.kind == "string":
        node.kind = "name"
    return Node("step", left=node, filters=filters, keep_array=keep)


def parse(source: str) -> Node:
    """The syntax tree of `source`; `Unsupported` for syntax the compiler does not translate."""
    parser = _Parser(source)
    tree = parser.expression(0)
    if parser.token.type != "end":
        raise Unsupported(f"unexpected token at {parser.token.position}")
    return _process(tree)
