"""JSONata's regular expressions (JavaScript's) as Python patterns, for the part where the two agree.

The compiler (compiler.py) translates a regular expression only when every construct in it means the
same in JavaScript and in Python's `re`, so the compiled form finds exactly what the engine finds:
ASCII literals and escaped punctuation, bracket classes of ASCII characters and ranges, groups
(plain and `(?:`), alternation, the quantifiers `? * + {m} {m,} {m,n}` (lazy or not), `.`, and the
anchors `^` first and `$` last. JavaScript's `$` (without the `m` flag) matches only at the end of
the text, which is Python's `\\Z` (Python's `$` also matches before a final newline); its `.` stops at
four line terminators where Python's stops at one. Anything else (`\\d`, `\\s` and `\\w`, whose
Unicode reach differs, look-arounds, back-references, flags) is left to the engine: `None`.
"""

from __future__ import annotations

import re
import warnings

_LITERAL = re.compile(r"[A-Za-z0-9 _,:;=@#%&'\"!<>~`-]")
_QUANTIFIER = re.compile(r"\{[0-9]+(,[0-9]*)?\}\??")
_ESCAPED = set(".-+*?()[]{}|/^$\\")
_CLASS_MEMBER = re.compile(r"[A-Za-z0-9 _,:;=@#%&'\"!<>~`.+*?(){}|$/]")
# JavaScript's `.`: any character but a line terminator (ECMA-262, 22.2.2.8 CharacterClassEscape)
_DOT = "[^\\n\\r\\u2028\\u2029]"


def python_pattern(pattern: str, flags: str) -> re.Pattern[str] | None:
    """The compiled Python pattern that matches what `/pattern/flags` matches in JavaScript, or None."""
    if flags:
        return None
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            following = pattern[i + 1:i + 2]
            if following not in _ESCAPED:  # also the end of the pattern ("")
                return None
            out.append("\\" + following)
            i += 2
        elif ch == "[":
            end = _class_end(pattern, i)
            if end is None:
                return None
            out.append(pattern[i:end])
            i = end
        elif ch == "{":
            match = _QUANTIFIER.match(pattern, i)
            if match is None or not out:
                return None
            out.append(match.group(0))
            i = match.end()
        elif ch == "(":
            if pattern.startswith("(?", i) and not pattern.startswith("(?:", i):
                return None  # look-arounds and named groups
            out.append("(?:" if pattern.startswith("(?:", i) else "(")
            i += 3 if pattern.startswith("(?:", i) else 1
        elif ch in ")|*+?":
            out.append(ch)
            i += 1
        elif ch == "^":
            if i != 0:
                return None
            out.append("^")
            i += 1
        elif ch == "$":
            if i != n - 1:
                return None
            out.append("\\Z")
            i += 1
        elif ch == ".":
            out.append(_DOT)
            i += 1
        elif _LITERAL.fullmatch(ch):
            out.append(re.escape(ch))
            i += 1
        else:
            return None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Python's "possible nested set" and the like: read differently later
        try:
            return re.compile("".join(out))
        except (re.error, FutureWarning, DeprecationWarning):
            return None  # JavaScript may read it differently (or refuse it): the engine decides


def _class_end(pattern: str, start: int) -> int | None:
    """The index after the `]` closing the bracket class at `start`, when every member is plain ASCII."""
    i = start + 1
    if pattern.startswith("^", i):
        i += 1
    if pattern.startswith("]", i):
        return None  # `[]` and `[^]` mean nothing and anything in JavaScript, not in Python
    while i < len(pattern):
        ch = pattern[i]
        if ch == "]":
            return i + 1
        if ch == "\\":
            if pattern[i + 1:i + 2] not in ("-", "]", "\\", ".", "/", "^"):
                return None
            i += 2
        elif ch == "-" or _CLASS_MEMBER.fullmatch(ch) or ch == "^":
            i += 1
        else:
            return None
    return None
