"""A small, strict GraphQL executable-document parser and executor for emulators.

Supported subset (enough for the operations the monday emulator serves):
- one or more operation definitions (`query` / `mutation`, optional name, optional variable
  definitions `($a: Type!, $b: [ID!] = default)`), or an anonymous `{ ... }` query;
- selection sets of fields with aliases and arguments, `__typename`, and inline fragments
  `... on Type { ... }` (applied when the object's type is `Type`, or implements the interface `Type`);
- values: variables, integers, floats, strings (with escapes and block strings `\"\"\"`),
  booleans, null, enums, lists and input objects;
- directives `@include(if:)` / `@skip(if:)`.

Not supported (reported as a parse error, never silently ignored): named fragments
(`fragment X on T` / `...X`), subscriptions.

The executor resolves a field by calling a resolver for the parent object's type; results are
projected to exactly the selected fields, as a GraphQL server does. An object's type is the concrete
type in its `__typename`; interfaces are declared as `possible_types` (interface -> implementing types).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

_TOKEN = re.compile(
    r"""
    (?P<ws>[\s,\ufeff]+|\#[^\n]*)
  | (?P<block>\"\"\"(?:\\\"\"\"|[^"]|"(?!""))*\"\"\")
  | (?P<string>"(?:\\.|[^"\\\n])*")
  | (?P<float>-?(?:0|[1-9]\d*)(?:\.\d+(?:[eE][+-]?\d+)?|[eE][+-]?\d+))
  | (?P<int>-?(?:0|[1-9]\d*))
  | (?P<spread>\.\.\.)
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
  | (?P<punct>[!$():=@\[\]{}|&])
    """,
    re.VERBOSE,
)


class GraphQLSyntaxError(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass
class Token:
    kind: str
    value: str
    line: int
    column: int


@dataclass
class Variable:
    name: str


@dataclass
class EnumValue:
    name: str


@dataclass
class Field:
    name: str
    alias: str | None
    arguments: dict[str, Any]
    selections: list[Any]
    line: int
    column: int
    directives: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass
class InlineFragment:
    type_condition: str | None
    selections: list[Any]
    directives: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@dataclass
class Operation:
    kind: str                                   # query | mutation
    name: str | None
    variables: dict[str, tuple[str, Any]]       # name -> (type text, default value or None)
    selections: list[Any]


def _tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    line = 1
    line_start = 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:
            raise GraphQLSyntaxError(f'Parse error on "{source[pos]}" at [{line}, {pos - line_start + 1}]',
                                     line, pos - line_start + 1)
        kind = match.lastgroup or ""
        text = match.group(0)
        if kind != "ws":
            tokens.append(Token(kind, text, line, pos - line_start + 1))
        newlines = text.count("\n")
        if newlines:
            line += newlines
            line_start = pos + text.rfind("\n") + 1
        pos = match.end()
    return tokens


def _unescape(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            simple = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
            if nxt in simple:
                out.append(simple[nxt])
                i += 2
                continue
            if nxt == "u" and i + 5 < len(text):
                out.append(chr(int(text[i + 2:i + 6], 16)))
                i += 6
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def _block_string(raw: str) -> str:
    body = raw[3:-3].replace('\\"""', '"""')
    lines = body.splitlines()
    indents = [len(ln) - len(ln.lstrip()) for ln in lines[1:] if ln.strip()]
    common = min(indents) if indents else 0
    if common:
        lines = lines[:1] + [ln[common:] for ln in lines[1:]]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = _tokenize(source)
        self.i = 0

    # -- helpers ----------------------------------------------------------------------------------
    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def error(self, token: Token | None, expected: str = "") -> GraphQLSyntaxError:
        if token is None:
            last = self.tokens[-1] if self.tokens else Token("eof", "", 1, 1)
            return GraphQLSyntaxError("Parse error on end of input (expected " + (expected or "more") + ")",
                                      last.line, last.column)
        kinds = {"punct": token.value, "name": "IDENTIFIER", "string": "STRING", "int": "INT", "float": "FLOAT"}
        label = kinds.get(token.kind, token.kind.upper())
        return GraphQLSyntaxError(f'Parse error on "{token.value}" ({label}) at [{token.line}, {token.column}]',
                                  token.line, token.column)

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise self.error(None)
        self.i += 1
        return token

    def expect(self, value: str) -> Token:
        token = self.peek()
        if token is None or token.value != value or token.kind not in ("punct", "spread"):
            raise self.error(token, value)
        self.i += 1
        return token

    def at(self, value: str) -> bool:
        token = self.peek()
        return token is not None and token.value == value and token.kind in ("punct", "spread")

    def name(self) -> str:
        token = self.peek()
        if token is None or token.kind != "name":
            raise self.error(token, "a name")
        self.i += 1
        return token.value

    # -- grammar ----------------------------------------------------------------------------------
    def document(self) -> list[Operation]:
        operations = []
        if not self.tokens:
            raise GraphQLSyntaxError("Parse error on end of input (expected a query)", 1, 1)
        while self.peek() is not None:
            operations.append(self.operation())
        return operations

    def operation(self) -> Operation:
        token = self.peek()
        if self.at("{"):
            return Operation("query", None, {}, self.selection_set())
        if token is not None and token.kind == "name" and token.value in ("query", "mutation"):
            self.i += 1
            name = None
            if self.peek() is not None and self.peek().kind == "name":  # type: ignore[union-attr]
                name = self.name()
            variables = self.variable_definitions() if self.at("(") else {}
            self.directives()
            return Operation(token.value, name, variables, self.selection_set())
        if token is not None and token.kind == "name" and token.value in ("fragment", "subscription"):
            raise GraphQLSyntaxError(f'"{token.value}" is not supported by this sandbox', token.line, token.column)
        raise self.error(token, "an operation")

    def variable_definitions(self) -> dict[str, tuple[str, Any]]:
        self.expect("(")
        found: dict[str, tuple[str, Any]] = {}
        while not self.at(")"):
            self.expect("$")
            var = self.name()
            self.expect(":")
            type_text = self.type_ref()
            default = None
            if self.at("="):
                self.next()
                default = self.value(const=True)
            self.directives()
            found[var] = (type_text, default)
        self.expect(")")
        return found

    def type_ref(self) -> str:
        if self.at("["):
            self.next()
            inner = self.type_ref()
            self.expect("]")
            text = f"[{inner}]"
        else:
            text = self.name()
        if self.at("!"):
            self.next()
            text += "!"
        return text

    def directives(self) -> list[tuple[str, dict[str, Any]]]:
        found = []
        while self.at("@"):
            self.next()
            found.append((self.name(), self.arguments() if self.at("(") else {}))
        return found

    def selection_set(self) -> list[Any]:
        self.expect("{")
        selections: list[Any] = []
        while not self.at("}"):
            if self.at("..."):
                spread = self.next()
                token = self.peek()
                if token is not None and token.kind == "name" and token.value == "on":
                    self.next()
                    type_name = self.name()
                    directives = self.directives()
                    selections.append(InlineFragment(type_name, self.selection_set(), directives))
                elif self.at("{") or self.at("@"):
                    directives = self.directives()
                    selections.append(InlineFragment(None, self.selection_set(), directives))
                else:
                    raise GraphQLSyntaxError("Named fragment spreads are not supported by this sandbox",
                                             spread.line, spread.column)
                continue
            token = self.peek()
            first = self.name()
            alias = None
            name = first
            if self.at(":"):
                self.next()
                alias = first
                name = self.name()
            arguments = self.arguments() if self.at("(") else {}
            directives = self.directives()
            selections.append(Field(name, alias, arguments, self.selection_set() if self.at("{") else [],
                                    token.line, token.column, directives))  # type: ignore[union-attr]
        self.expect("}")
        if not selections:
            raise self.error(self.tokens[self.i - 1], "a field")
        return selections

    def arguments(self) -> dict[str, Any]:
        self.expect("(")
        found: dict[str, Any] = {}
        while not self.at(")"):
            key = self.name()
            self.expect(":")
            found[key] = self.value()
        self.expect(")")
        return found

    def value(self, const: bool = False) -> Any:
        token = self.next()
        if token.kind == "punct":
            if token.value == "$" and not const:
                return Variable(self.name())
            if token.value == "[":
                items = []
                while not self.at("]"):
                    items.append(self.value(const))
                self.next()
                return items
            if token.value == "{":
                obj = {}
                while not self.at("}"):
                    key = self.name()
                    self.expect(":")
                    obj[key] = self.value(const)
                self.next()
                return obj
            raise self.error(token, "a value")
        if token.kind == "int":
            return int(token.value)
        if token.kind == "float":
            return float(token.value)
        if token.kind == "string":
            return _unescape(token.value[1:-1])
        if token.kind == "block":
            return _block_string(token.value)
        if token.kind == "name":
            if token.value == "true":
                return True
            if token.value == "false":
                return False
            if token.value == "null":
                return None
            return EnumValue(token.value)
        raise self.error(token, "a value")


def parse(source: str) -> list[Operation]:
    return _Parser(source).document()


def resolve_value(value: Any, variables: dict[str, Any]) -> Any:
    """An argument value with variables substituted and enums turned into their names."""
    if isinstance(value, Variable):
        return variables.get(value.name)
    if isinstance(value, EnumValue):
        return value.name
    if isinstance(value, list):
        return [resolve_value(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: resolve_value(v, variables) for k, v in value.items()}
    return value


class FieldError(Exception):
    """An application error raised by a resolver: becomes one entry of `errors[]`, the field is null."""

    def __init__(self, message: str, code: str, status_code: int | None = None,
                 error_data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status_code = status_code
        self.error_data = error_data or {}


# A resolver: (parent object, field name, resolved arguments) -> value. Objects are dicts carrying
# their GraphQL type under "__typename"; a resolver for a type returns values for its fields.
Resolver = Callable[[Any, str, dict[str, Any]], Any]


@dataclass
class Executor:
    resolvers: dict[str, Resolver]               # type name -> resolver
    fields: dict[str, set[str]]                  # type name -> the field names it has
    errors: list[dict[str, Any]] = field(default_factory=list)
    possible_types: dict[str, set[str]] = field(default_factory=dict)   # interface -> implementing types

    def _possible(self, type_name: str) -> set[str]:
        return self.possible_types.get(type_name) or {type_name}

    def _applies(self, type_condition: str | None, type_name: str) -> bool:
        """Does a fragment on `type_condition` apply to an object of the concrete type `type_name`?"""
        return type_condition is None or type_name in self._possible(type_condition)

    def _included(self, directives: list[tuple[str, dict[str, Any]]], variables: dict[str, Any]) -> bool:
        for name, args in directives:
            flag = resolve_value(args.get("if"), variables)
            if name == "include" and not flag:
                return False
            if name == "skip" and flag:
                return False
        return True

    def _flatten(self, selections: list[Any], type_name: str, variables: dict[str, Any]) -> list[Field]:
        out: list[Field] = []
        for sel in selections:
            if not self._included(sel.directives, variables):
                continue
            if isinstance(sel, InlineFragment):
                if self._applies(sel.type_condition, type_name):
                    out.extend(self._flatten(sel.selections, type_name, variables))
            else:
                out.append(sel)
        return out

    def validate(self, selections: list[Any], type_name: str, variables: dict[str, Any],
                 child_types: Callable[[str, str], str | None],
                 arguments: Callable[[str, str], dict[str, str]] | None = None) -> list[dict[str, Any]]:
        """Static checks (graphql-ruby's messages and codes): every selected field exists on its type and,
        given `arguments` (type, field -> {argument: type}), takes the arguments named and gets every
        required one (a type ending in "!" without a default)."""
        problems: list[dict[str, Any]] = []
        for sel in selections:
            if isinstance(sel, InlineFragment):
                condition = sel.type_condition or type_name
                if condition not in self.fields:
                    problems.append({
                        "message": f"No such type {condition}, so it can't be a fragment condition",
                        "locations": [], "path": [],
                        "extensions": {"code": "undefinedType", "typeName": condition},
                    })
                    continue
                if not self._possible(condition) & self._possible(type_name):
                    problems.append({
                        "message": f"Fragment on {condition} can't be spread inside {type_name}",
                        "locations": [], "path": [],
                        "extensions": {"code": "cannotSpreadFragment", "typeName": condition,
                                       "fragmentName": "unknown", "parentName": type_name},
                    })
                    continue
                problems += self.validate(sel.selections, condition, variables, child_types, arguments)
                continue
            if sel.name == "__typename":
                continue
            known = self.fields.get(type_name, set())
            if sel.name not in known:
                problems.append({
                    "message": f"Field '{sel.name}' doesn't exist on type '{type_name}'",
                    "locations": [{"line": sel.line, "column": sel.column}],
                    "path": [],
                    "extensions": {"code": "undefinedField", "typeName": type_name, "fieldName": sel.name},
                })
                continue
            if arguments is not None:
                problems += _argument_problems(sel, type_name, arguments(type_name, sel.name))
            child = child_types(type_name, sel.name)
            if child and sel.selections:
                problems += self.validate(sel.selections, child, variables, child_types, arguments)
            elif child and not sel.selections:
                problems.append({
                    "message": f"Field must have selections (field '{sel.name}' returns {child} but has no selections."
                               " Did you mean '{sel.name} {{ ... }}'?)",
                    "locations": [{"line": sel.line, "column": sel.column}],
                    "path": [],
                    "extensions": {"code": "selectionMismatch", "nodeName": f"field '{sel.name}'", "typeName": child},
                })
        return problems

    def execute(self, selections: list[Any], parent: Any, type_name: str, variables: dict[str, Any],
                path: list[Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for sel in self._flatten(selections, type_name, variables):
            if sel.name == "__typename":
                result[sel.key] = type_name
                continue
            args = {k: resolve_value(v, variables) for k, v in sel.arguments.items()}
            try:
                value = self.resolvers[type_name](parent, sel.name, args)
            except FieldError as exc:
                extensions: dict[str, Any] = {"code": exc.code, "error_data": exc.error_data}
                if exc.status_code is not None:
                    extensions["status_code"] = exc.status_code
                self.errors.append({
                    "message": exc.message,
                    "locations": [{"line": sel.line, "column": sel.column}],
                    "path": path + [sel.key],
                    "extensions": extensions,
                })
                result[sel.key] = None
                continue
            result[sel.key] = self._complete(sel, value, variables, path + [sel.key])
        return result

    def _complete(self, sel: Field, value: Any, variables: dict[str, Any], path: list[Any]) -> Any:
        if value is None or not sel.selections:
            return value
        if isinstance(value, list):
            return [self._complete(sel, v, variables, path + [i]) for i, v in enumerate(value)]
        return self.execute(sel.selections, value, value["__typename"], variables, path)


def _argument_problems(sel: Field, type_name: str, declared: dict[str, str]) -> list[dict[str, Any]]:
    """graphql-ruby's `argumentNotAccepted` for each argument the field does not take, and
    `missingRequiredArguments` for the required ones left out."""
    location = [{"line": sel.line, "column": sel.column}]
    problems = [{
        "message": f"Field '{sel.name}' doesn't accept argument '{name}'",
        "locations": location, "path": [],
        "extensions": {"code": "argumentNotAccepted", "name": sel.name, "typeName": "Field", "argumentName": name},
    } for name in sel.arguments if name not in declared]
    missing = [name for name, kind in declared.items()
               if kind.endswith("!") and "=" not in kind and name not in sel.arguments]
    if missing:
        problems.append({
            "message": f"Field '{sel.name}' is missing required arguments: {', '.join(missing)}",
            "locations": location, "path": [],
            "extensions": {"code": "missingRequiredArguments", "className": "Field", "name": sel.name,
                           "arguments": ", ".join(missing)},
        })
    return problems
