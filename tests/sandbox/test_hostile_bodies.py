"""Hostile request bodies, parameters and ids against every write route of every emulator.

The routes come from the emulators' own route tables (`Emulator.routes()` and `oauth_routes()`), so a
new route or CRM is covered with no edit here. Each (CRM, method, route) case sends a deterministic set
of hostile requests (`hostile_requests`): bodies that are not JSON, not UTF-8, empty, JSON of the wrong
type at the top, nested past `base.MAX_JSON_DEPTH`, the vendor's write envelope around a seeded record
with each of its values, at every level, swapped for one of another JSON type (object, array, null, a
number past 64 bits or past a double, a boolean, a 20,000-character string, a deep nest), unknown keys
added, wrong content types, junk query parameters, and hostile ids in the path. For each answer it asserts:

- no 5xx and no hang (every request has a 5-second timeout);
- a 4xx is in the vendor's own error shape (`ERROR_SHAPES`; the OAuth token endpoints RFC 6749's);
- a refused write left the emulator's records as they were (a refused create adds no record);
- afterwards the emulator still serves the resource's reads (nothing stored that breaks a read).

A 2xx is allowed where the vendor takes the body (many ignore unknown keys); which wrong types a
vendor refuses is held per field by the CRM's own sandbox tests. The cases run against a sandbox
server of their own, seeded small, so the records can be compared in process.
"""

from __future__ import annotations

import base64
import random
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import orjson
import pytest
import requests
from starlette.routing import Route

from unigate.sandbox import capsule, copper, hubspot, monday, nutshell, outreach, pipedrive, pipeliner, zendesk_sell, \
    zoho_crm
from unigate.sandbox.base import MAX_JSON_DEPTH, Emulator
from unigate.sandbox.server import build_sandbox_app, discover_emulators
from unigate.serving import start_in_thread

EMULATORS = discover_emulators()
SEED = 3   # records per resource: enough to address one, cheap to compare after every request
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# How each CRM's sandbox credential is sent (as its sandbox tests send it), so the body is what is refused.
AUTH: dict[str, dict[str, str]] = {
    "capsule": {"Authorization": f"Bearer {capsule.SANDBOX_TOKEN}"},
    "copper": {"X-PW-AccessToken": copper.SANDBOX_TOKEN, "X-PW-Application": "developer_api",
               "X-PW-UserEmail": copper.SANDBOX_USER_EMAIL},
    "hubspot": {"Authorization": f"Bearer {hubspot.SANDBOX_TOKEN}"},
    "monday": {"Authorization": monday.SANDBOX_TOKEN, "API-Version": "2025-07"},
    "nutshell": {"Authorization": _basic(nutshell.SANDBOX_USERNAME, nutshell.SANDBOX_API_KEY)},
    "outreach": {"Authorization": f"Bearer {outreach.SANDBOX_TOKEN}"},
    "pipedrive": {"x-api-token": pipedrive.SANDBOX_API_TOKEN},
    "pipeliner": {"Authorization": _basic(pipeliner.SANDBOX_USERNAME, pipeliner.SANDBOX_PASSWORD)},
    "zendesk_sell": {"Authorization": f"Bearer {zendesk_sell.SANDBOX_TOKEN}", "User-Agent": "hostile-bodies",
                     "Accept": "application/json"},
    "zoho_crm": {"Authorization": f"Zoho-oauthtoken {zoho_crm.SANDBOX_TOKEN}"},
}


def _is_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _error_list(body: Any, key: str = "errors") -> list:
    errors = body.get(key) if isinstance(body, dict) else None
    return errors if isinstance(errors, list) and errors and all(isinstance(e, dict) for e in errors) else []


# Each vendor's error body, as its emulator documents it (docs/testing.md, each CRM's table).
ERROR_SHAPES: dict[str, Callable[[Any], bool]] = {
    # {"message", "errors"?}
    "capsule": lambda b: isinstance(b, dict) and _is_str(b.get("message")),
    # {"success": false, "status", "message"}
    "copper": lambda b: isinstance(b, dict) and b.get("success") is False and _is_str(b.get("message")),
    # {"status": "error", "message", "correlationId", "category"}
    "hubspot": lambda b: isinstance(b, dict) and b.get("status") == "error" and _is_str(b.get("message"))
    and _is_str(b.get("category")),
    # GraphQL `errors` [{message, extensions}], or the REST-ish `error_message` monday answers beside it
    "monday": lambda b: (all(_is_str(e.get("message")) for e in _error_list(b)) and bool(_error_list(b)))
    or (isinstance(b, dict) and _is_str(b.get("error_message"))),
    # JSON:API-ish `errors` [{title}], the JSON-RPC `error` {code, message}, or the bare JSON string a PATCH
    # without the JSON Patch media type gets (PATCH_CONTENT_TYPE_ERROR)
    "nutshell": lambda b: (bool(_error_list(b)) and all(_is_str(e.get("title")) for e in _error_list(b)))
    or (isinstance(b, dict) and isinstance(b.get("error"), dict) and _is_str(b["error"].get("message")))
    or _is_str(b),
    # JSON:API `errors` [{id?, title, detail}]
    "outreach": lambda b: bool(_error_list(b)) and all(_is_str(e.get("title")) for e in _error_list(b)),
    # {"success": false, "error", "error_info", ...}
    "pipedrive": lambda b: isinstance(b, dict) and b.get("success") is False and _is_str(b.get("error")),
    # {"code", "name", "message", "success": false}
    "pipeliner": lambda b: isinstance(b, dict) and b.get("success") is False and _is_str(b.get("name")),
    # {"errors": [{"error": {code, message, ...}}], "meta": {http_status, logref}}
    "zendesk_sell": lambda b: bool(_error_list(b)) and all(isinstance(e.get("error"), dict) for e in _error_list(b))
    and isinstance(b.get("meta"), dict),
    # {"code", "details", "message", "status": "error"}, or the same per item under `data` (`merge` for a merge)
    "zoho_crm": lambda b: isinstance(b, dict) and (
        (b.get("status") == "error" and _is_str(b.get("code")))
        or any(bool(_error_list(b, key)) and all(e.get("status") == "error" and _is_str(e.get("code"))
                                                 for e in _error_list(b, key)) for key in ("data", "merge"))),
}


def oauth_error(body: Any) -> bool:
    """RFC 6749 section 5.2: `{"error", "error_description"?}`."""
    return isinstance(body, dict) and _is_str(body.get("error"))


def _singular(segment: str) -> str:
    return segment[:-3] + "y" if segment.endswith("ies") else segment[:-1] if segment.endswith("s") else segment


def _envelope(name: str, method: str, path: str, record: dict[str, Any]) -> Any:
    """A write body in the vendor's envelope around `record` (a seeded record as the CRM stores it)."""
    segment = next((part for part in reversed(path.split("/")) if part and not part.startswith("{")), "")
    if name == "capsule":
        return {_singular(segment): record}
    if name == "hubspot":
        return {"properties": record.get("properties", record)}
    if name == "monday":
        return {"query": "mutation ($board: ID!, $name: String!, $values: JSON) { create_item(board_id: $board, "
                         "item_name: $name, column_values: $values) { id } }",
                "variables": {"board": record.get("board_id"), "name": record.get("name"), "values": record}}
    if name == "nutshell":
        if method == "PATCH":
            return [{"op": "replace", "path": f"/{key}", "value": value} for key, value in list(record.items())[2:5]]
        return {segment: [record]}
    if name == "outreach":
        return {"data": {k: record[k] for k in ("type", "id", "attributes") if k in record}}
    if name == "zendesk_sell":
        return {"data": record}
    if name == "zoho_crm":
        return {"data": [record]}
    return record


# Values of the wrong JSON type for wherever they land; `DEEP` and `HUGE` are spliced in as raw JSON text
# (orjson writes neither: it stops at 255 levels and 64-bit integers).
DEEP_MARK, HUGE_MARK = "\x00deep\x00", "\x00huge\x00"
WRONG_VALUES: list[Any] = [{"$oid": "1"}, [1, "x", None], [], {}, None, True, False, 0, -1, 1.5e308, HUGE_MARK,
                           "", "x" * 20_000, "\u0000\ud7ff\ufffd", DEEP_MARK]
HUGE = b"123456789012345678901234567890123456789"
# Nested arrays one level past the bound, then far past it (a parser without a bound recurses that deep).
DEEP = b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)
HOSTILE_IDS = ["-1", "abc", "9" * 40, "%00", "%2E%2E%2F%2E%2E", "%27%20OR%201%3D1--", "%F0%9F%92%A9%FF", "x" * 2_000]
JUNK_QUERY = "limit=-1&page=abc&per_page=1e999&fields=%00&properties=%FF&cursor=%5B%5D&after=%7B%7D&" + "a" * 3_000


def _raw(value: Any) -> bytes:
    text = orjson.dumps(value)
    return text.replace(orjson.dumps(DEEP_MARK), DEEP).replace(orjson.dumps(HUGE_MARK), HUGE)


def _nodes(value: Any, path: tuple = ()) -> list[tuple]:
    """Every position in a JSON value (the root included), as key/index paths."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _nodes(item, (*path, index))
    return found


def _replaced(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)
    return copy


def _at(value: Any, path: tuple) -> Any:
    for step in path:
        value = value[step]
    return value


def _with_unknown_key(value: Any, path: tuple) -> Any:
    return _replaced(value, path, {**_at(value, path), "zz_unknown_key": {"nested": [1, {"x": None}]}})


# For a value of each JSON type, values of other types to put in its place (taken in turn along the body).
_OTHER_TYPES: dict[type, list[Any]] = {
    str: [{"$oid": "1"}, [1, "x", None], 12345, True, None, DEEP_MARK],
    int: ["12", {"$oid": "1"}, [1], True, HUGE_MARK, 1.5e308],
    float: ["1.5", {}, [1.5], False, HUGE_MARK],
    bool: ["true", 1, None, {}, []],
    type(None): [{}, [], "x", 0, False],
    dict: ["x", 1, None, [], True],
    list: ["x", 1, None, {}, [[[]]]],
}


def _other_type(value: Any, index: int) -> Any:
    choices = _OTHER_TYPES[type(value)]
    return choices[index % len(choices)]


# The media type each CRM's writes take where it is not application/json (a JSON Patch, JSON:API).
WRITE_TYPES = {("nutshell", "PATCH"): "application/json-patch+json", ("outreach", "POST"): "application/vnd.api+json",
               ("outreach", "PATCH"): "application/vnd.api+json"}

# (label, body bytes, content type or None for no header)
Body = tuple[str, bytes, str | None]
JSON = "application/json"
FIXED_BODIES: list[Body] = [
    ("empty", b"", JSON),
    ("empty, no content type", b"", None),
    ("truncated", b'{"name": "x"', JSON),
    ("not json", b"name=x&owner=1", JSON),
    ("invalid utf-8", b"\xff\xfe\xfd\x00garbage", JSON),
    ("invalid utf-8 in a string", b'{"name": "\xed\xa0\x80\xc3"}', JSON),
    ("null", b"null", JSON),
    ("true", b"true", JSON),
    ("number", b"0", JSON),
    ("number past a double", b"1e400", JSON),
    ("number past 64 bits", HUGE, JSON),
    ("string", b'"text"', JSON),
    ("empty array", b"[]", JSON),
    ("array of null", b"[null]", JSON),
    ("empty object", b"{}", JSON),
    ("too deep", DEEP, JSON),
    ("far too deep", b'{"a":' * 5_000 + b"1" + b"}" * 5_000, JSON),
    ("unterminated nesting", b"[" * 100_000, JSON),
]


def hostile_requests(name: str, method: str, path: str, record: dict[str, Any] | None,
                     ids: list[str]) -> list[tuple[str, str, str, bytes, str | None]]:
    """(label, path, query, body, content type) for one route: deterministic per route."""
    rng = random.Random(f"{name} {method} {path}")
    real = _fill(path, ids[0]) if ids else path
    template = _envelope(name, method, path, record) if record is not None else {"name": "x"}
    cases = [(label, real, "", body, ctype) for label, body, ctype in FIXED_BODIES]
    cases.append(("template", real, "", _raw(template), JSON))
    cases.append(("junk query", real, JUNK_QUERY, _raw(template), JSON))
    if method != "DELETE":   # no emulator reads a DELETE's body past parsing it
        for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None):
            cases.append((f"content type {ctype}", real, "", _raw(template), ctype))
        # Every value of the body, at every level, swapped in turn for one of another JSON type (one per body: a
        # validator that stops at the first problem would hide the others). Then a few swaps from the whole
        # list, and unknown keys in objects.
        nodes = _nodes(template)[1:]
        for index, node in enumerate(nodes):
            wrong = _other_type(_at(template, node), index)
            cases.append((f"{wrong!r:.30} at {node!r:.80}", real, "", _raw(_replaced(template, node, wrong)), JSON))
        for _ in range(4):
            node = rng.choice(nodes or [()])
            wrong = rng.choice(WRONG_VALUES)
            cases.append((f"{wrong!r:.30} at {node!r:.80}", real, "", _raw(_replaced(template, node, wrong)), JSON))
        objects = [node for node in [(), *nodes] if isinstance(_at(template, node), dict)]
        for node in rng.sample(objects, min(2, len(objects))):
            cases.append((f"unknown key at {node!r:.80}", real, "", _raw(_with_unknown_key(template, node)), JSON))
    if "{" in path:
        for hostile in HOSTILE_IDS:
            cases.append((f"id {hostile:.40}", _fill(path, hostile, raw=True), "", _raw(template), JSON))
    return cases


def _fill(path: str, value: str, raw: bool = False) -> str:
    """`path` with its id parameters set to `value` (taken as already URL-encoded with `raw`), the others
    to a value the CRM knows (`PATH_VALUES`)."""
    def one(match: re.Match) -> str:
        param = match.group(1).split(":")[0]
        if param in PATH_VALUES and not raw:
            return PATH_VALUES[param]
        return value if raw else quote(value, safe="")
    return re.sub(r"\{([^}]+)\}", one, path)


# Path parameters that are not the record's id, with a value the emulator knows.
PATH_VALUES = {"objectType": "deals", "fromType": "deals", "toType": "contacts", "space_id": pipeliner.SANDBOX_SPACE_ID,
               "entity": "people", "module": "Accounts"}


def _records(emulator: Emulator, resource: str) -> list[dict[str, Any]]:
    snapshot = emulator.records_of(resource)
    records = snapshot if isinstance(snapshot, list) else list(snapshot.values()) if isinstance(snapshot, dict) else []
    return [r for r in records if isinstance(r, dict)]


def _resource_of(emulator: Emulator, path: str) -> str | None:
    for resource in emulator.resource_names():
        try:
            routes = emulator.resource(resource).routes()
        except KeyError:
            continue
        if any(getattr(route, "path", None) == path for route in routes):
            return resource
    return None


def _routes(name: str) -> list[tuple[str, str, bool]]:
    """(method, path, is OAuth) for every write route of `name`'s emulator, catch-alls left out (the hostile
    ids reach them)."""
    emulator = EMULATORS[name]()
    found = []
    for oauth, routes in ((True, emulator.oauth_routes()), (False, emulator.routes())):
        for route in routes:
            if not isinstance(route, Route) or ":path}" in route.path:
                continue
            for method in sorted(WRITE_METHODS & set(route.methods or ())):
                found.append((method, route.path, oauth))
    return found


CASES = [pytest.param(name, method, path, oauth, id=f"{name} {method} {path}")
         for name in EMULATORS for method, path, oauth in _routes(name)]


def test_every_emulator_has_write_routes():
    assert {p.values[0] for p in CASES} == set(EMULATORS) == set(AUTH) == set(ERROR_SHAPES)


@pytest.fixture(scope="module")
def server():
    app = build_sandbox_app()
    running = start_in_thread(app)
    session = requests.Session()
    yield app, running.url, session
    session.close()
    running.stop()


def _shape_of(answer: requests.Response) -> tuple:
    """An answer's status, media type and top-level keys: what an unknown path's answers share."""
    try:
        body = answer.json()
    except ValueError:
        body = None
    keys = tuple(sorted(body)) if isinstance(body, dict) else type(body).__name__
    return answer.status_code, answer.headers.get("content-type", "").split(";")[0], keys


def _state(emulator: Emulator) -> bytes:
    return orjson.dumps({r: emulator.records_of(r) for r in emulator.resource_names()},
                        default=lambda v: sorted(v, key=str) if isinstance(v, (set, frozenset)) else str(v),
                        option=orjson.OPT_NON_STR_KEYS)


@pytest.mark.parametrize(("name", "method", "path", "oauth"), CASES)
def test_hostile_requests_get_the_vendors_4xx_and_change_nothing(server, name, method, path, oauth):
    app, url, session = server
    mount = app.mounts[name]
    mount.emulator.reseed(SEED)
    mount.faults.clear()
    emulator = mount.emulator
    resource = _resource_of(emulator, path)
    records = _records(emulator, resource) if resource else []
    record = records[-1] if records else None
    ids = [str(record["id"])] if record is not None and record.get("id") is not None else []
    if not ids and "{" in path:
        ids = ["1"]
    shape = oauth_error if oauth else ERROR_SHAPES[name]
    # A hostile id can take the request off this route (`%2F..`): then the emulator's answer to a path it
    # does not serve, or to a method a route does not serve, is the right one.
    unknown = {_shape_of(session.request(verb, f"{url}/{name}{target}", headers=AUTH[name], timeout=5))
               for verb, target in ((method, "/zz-no-such-route/x"), ("PROPFIND", _fill(path, ids[0]) if ids else path))}
    failures = []
    before = _state(emulator)
    for label, target, query, body, ctype in hostile_requests(name, method, path, record, ids):
        headers = dict(AUTH[name])
        if ctype is not None:
            headers["Content-Type"] = WRITE_TYPES.get((name, method), JSON) if ctype == JSON else ctype
        try:
            answer = session.request(method, f"{url}/{name}{target}" + (f"?{query}" if query else ""), data=body,
                                     headers=headers, timeout=5)
        except requests.RequestException as error:   # a hang or a dropped connection
            failures.append(f"{label}: {type(error).__name__}")
            before = _state(emulator)
            continue
        status = answer.status_code
        if status >= 500:
            failures.append(f"{label}: {status} {answer.text[:200]}")
            before = _state(emulator)
            continue
        if 400 <= status < 500:
            try:
                parsed = answer.json()
            except ValueError:
                parsed = None
            # The sandbox's own bound on a record's size (spaces.py, docs/testing.md) answers for a 20,000-character
            # value before the vendor's rules do.
            bounded = isinstance(parsed, dict) and parsed.get("category") == "SANDBOX_LIMIT"
            if not (shape(parsed) or bounded or (label.startswith("id ") and _shape_of(answer) in unknown)):
                failures.append(f"{label}: {status} not the vendor's error shape: {answer.text[:200]}")
        after = _state(emulator)
        refused_in_200 = name == "monday" and status == 200 and not (answer.json() or {}).get("data")
        if (400 <= status < 500 or refused_in_200) and after != before:
            failures.append(f"{label}: {status} but the records changed")
        before = after
    failures += _still_serving(session, url, name, emulator, resource)
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:40])


def _still_serving(session: requests.Session, url: str, name: str, emulator: Emulator,
                   resource: str | None) -> list[str]:
    """Every read route of the resource (lists, and reads of each remaining record) answers below 500."""
    if resource is None:
        return []
    problems = []
    ids = [str(r["id"]) for r in _records(emulator, resource) if r.get("id") is not None]
    for route in emulator.resource(resource).routes():
        if not isinstance(route, Route) or "GET" not in (route.methods or ()) or ":path}" in route.path:
            continue
        targets = [_fill(route.path, i) for i in ids] if "{" in route.path else [route.path]
        for target in targets[:SEED + 3]:
            answer = session.get(f"{url}/{name}{target}", headers=AUTH[name], timeout=5)
            if answer.status_code >= 500:
                problems.append(f"read {target} after the hostile writes: {answer.status_code} {answer.text[:200]}")
    return problems
