"""`{{...}}` placeholders in base URLs and paths (not JSONata: plain lookups, checked to exist)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from unigate.errors import GatewayError

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w]*(?:\.[\w-]+)*)\s*\}\}")


def encode_segment(value: Any) -> str:
    """One path segment: every reserved character percent-encoded, `.`/`..` made inert."""
    text = quote(str(value), safe="")
    if text in (".", ".."):
        return text.replace(".", "%2E")
    return text


def _lookup(values: dict[str, Any], dotted: str) -> Any:
    current: Any = values
    for part in dotted.split("."):
        if isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]  # `steps.created.data.0.id`
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return None
    return current


def render(template: str, values: dict[str, Any], *, as_segments: bool) -> str:
    """Fill placeholders; in paths (`as_segments`) each value is encoded as one segment."""
    if "{{" not in template:
        return template

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        value = _lookup(values, name)
        if value is None or value == "":
            if name.startswith("context."):
                field = name.removeprefix("context.")
                raise GatewayError(400, f"The integrated account's context has no `{field}`, which this integration "
                                        f"needs. Add it with PATCH /integrated-account/{{id}}.")
            raise GatewayError(400, f"No value for `{name}` to build the provider request.")
        return encode_segment(value) if as_segments else str(value)

    return _PLACEHOLDER.sub(replace, template)
