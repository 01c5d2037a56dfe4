"""What every CRM emulator shares: resources, request recording, fault injection, JSON helpers.

An emulator is a Starlette router plus in-memory records, one `Resource` per unified resource
(see `unigate.sandbox`'s docstring for how a CRM package assembles them). The sandbox server wraps each one
in `EmulatorMount`, which records every request (so tests can assert what the gateway sent) and
applies faults queued through the control API (`/__control/<name>/faults`) before the emulator sees
the request. The fault kinds are listed in `FAULT_KINDS` and documented in server.py and
docs/testing.md.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route, Router

from unigate.errors import reason_phrase
from unigate.sandbox import spaces
from unigate.sandbox._oauth import OAuthProfile, OAuthServer
from unigate.sandbox.spaces import (
    ACTIVE_LIMITS,
    CREDENTIAL_HEADERS,
    CREDENTIAL_QUERY,
    DEFAULT_SPACE,
    BoundedRecords,
    SpaceFull,
    SpaceLimits,
)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None,
                  media_type: str = "application/json") -> Response:
    """A JSON answer; `body=None` with a 204 gives an empty body, as the vendors do."""
    content = b"" if body is None else orjson.dumps(body)
    return Response(content=content, status_code=status, headers=headers, media_type=None if body is None else media_type)


# How deeply a request body may nest before it is refused as malformed. No CRM's write body nests
# more than a handful of levels; the vendors' own parsers stop somewhere (Ruby's JSON.parse, behind the
# Rails APIs, at `max_nesting` 100: https://ruby-doc.org/3.3/exts/json/JSON.html ; Jackson at 1,000:
# https://github.com/FasterXML/jackson-core/blob/2.18/src/main/java/com/fasterxml/jackson/core/StreamReadConstraints.java ;
# PHP's json_decode at 512: https://www.php.net/manual/en/function.json-decode.php). The lowest of them
# is the bound, so no emulator's validation code ever walks a body deep enough to exhaust the stack.
MAX_JSON_DEPTH = 100


def loads_json(raw: bytes | str) -> Any:
    """`orjson.loads`, refusing a value nested deeper than MAX_JSON_DEPTH the same way as malformed JSON
    (`orjson.JSONDecodeError`), so every body reader answers it as the vendor answers a body it cannot parse."""
    value = orjson.loads(raw)
    if isinstance(value, (dict, list)) and _too_deep(value):
        text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
        raise orjson.JSONDecodeError(f"nested deeper than {MAX_JSON_DEPTH} levels", text, 0)
    return value


def _too_deep(value: dict | list) -> bool:
    level: list[Any] = [value]
    for _ in range(MAX_JSON_DEPTH):
        level = [child for node in level for child in (node.values() if isinstance(node, dict) else node)
                 if isinstance(child, (dict, list))]
        if not level:
            return False
    return True


def member(value: Any, allowed: Any) -> bool:
    """`value in allowed` for a value from a request body: an object or array (never an id, code or
    option) is in no set, where `in` on a set or dict would raise TypeError."""
    return not isinstance(value, (dict, list)) and value in allowed


def lookup(mapping: Any, key: Any) -> Any:
    """`mapping.get(key)` for a key from a request body: None for an object or array, which keys nothing."""
    return None if isinstance(key, (dict, list)) else mapping.get(key)


async def read_json(request: Request) -> Any:
    """The request body as JSON, or None when it is empty or not JSON (emulators answer 400 then)."""
    raw = await request.body()
    if not raw:
        return None
    try:
        return loads_json(raw)
    except orjson.JSONDecodeError:
        return None


def bearer_token(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    if value[:7].lower() == "bearer ":
        return value[7:].strip()
    return None


# What a fault can do besides answering a given status (see `Fault.kind`).
FAULT_KINDS = ("reset", "truncated_json", "malformed_json", "html", "error_in_200", "expired_token",
               "hostile_headers", "hostile_body")
# How a `hostile_body` fault spoils the emulator's JSON answer (see `Fault`).
HOSTILE_SPOILS = ("lists_as_strings", "ids_as_objects", "ids_as_floats", "cursors_as_lists", "cursors_as_numbers")
# Keys under which the ten CRMs' list answers carry the next page's cursor or link.
_CURSOR_KEYS = frozenset({"after", "next_cursor", "next_page_token", "cursor", "end_cursor", "next"})
# Every rate-limit and wait header the ten CRMs send, each with a value no parser should trust:
# not numbers, infinities, negative or enormous waits, structured fields with garbage parameters.
_HOSTILE_HEADERS = {
    "retry-after": "99999999999999999999999",
    "x-ratelimit-limit": "NaN",
    "x-ratelimit-remaining": "-1e309",
    "x-ratelimit-reset": "inf",
    "x-hubspot-ratelimit-max": "ten",
    "x-hubspot-ratelimit-remaining": "1e400",
    "x-hubspot-ratelimit-interval-milliseconds": "-Infinity",
    "x-hubspot-ratelimit-secondly": "[]",
    "x-ratelimit-limit-minute": "{}",
    "x-ratelimit-remaining-minute": "-5",
    "x-ratelimit-reset-minute": "1e99",
    "x-rate-limit-reset": "nan",
    "x-ratelimit-retry-after": "-1",
    "ratelimit-policy": '"complexity";q=abc;w=-1',
    "ratelimit": '"complexity";r=99999999999999999999999999;t=1e999',
    "x-api-call-limit": "x/y",
}

# A load balancer's error page (nginx's own wording), as CRMs behind one send when a backend is down.
_HTML_PAGE = ("<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}"
              "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
_HTML_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Temporarily Unavailable",
                 504: "Gateway Time-out"}
# Not JSON by any parser: a trailing comma and a bare word.
_MALFORMED_JSON = b'{"data": [{"id": 1,}], "next": undefined}'


@dataclass
class Fault:
    """One queued misbehaviour. `times` counts how many matching requests it applies to (-1: forever).

    Without a `kind`, a fault answers `status` with `body` and `headers` (or, with only `delay`,
    passes the request on late). With a `kind`:
    - `reset`: the connection is dropped with no answer; with `mid_answer`, the emulator handles the
      request and the connection drops halfway through its answer.
    - `truncated_json`: the emulator handles the request; its answer arrives as a 200 whose JSON
      body is cut short.
    - `malformed_json`: the emulator handles the request; its answer arrives as a 200 whose body is
      not valid JSON.
    - `html`: a load balancer's HTML error page, `text/html`, with `status` (502 by default).
    - `error_in_200`: the CRM's own error inside an HTTP 200, for CRMs that do that (monday's
      GraphQL `errors`); others refuse the fault when it is queued.
    - `expired_token`: the request's credentials are made invalid before the emulator sees them, so
      it answers with its own 401.
    - `hostile_headers`: the emulator handles the request; its answer arrives with every rate-limit
      and Retry-After header the CRMs use set to garbage (`_HOSTILE_HEADERS`, then `headers` on top),
      with `status` instead of the emulator's when given (e.g. 429).
    - `hostile_body`: the emulator handles the request; its JSON answer arrives with values of the
      wrong type, as `spoil` says: `lists_as_strings` (every array becomes its JSON text),
      `ids_as_objects` / `ids_as_floats` (every `id`), `cursors_as_lists` / `cursors_as_numbers`
      (every value under a next-page key: `after`, `next_cursor`, `next`, ...).
    """

    status: int | None = None          # answer with this status instead of the emulator's
    body: Any = None                   # JSON body for that answer (None: empty)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0                 # seconds to wait before answering (or before passing through)
    times: int = 1
    method: str | None = None          # only for this HTTP method
    path_contains: str | None = None   # only when the path contains this text
    path_endswith: str | None = None   # only when the path ends with this text
    body_contains: str | None = None   # only when the request body contains this text (e.g. a GraphQL field)
    kind: str | None = None            # one of FAULT_KINDS
    mid_answer: bool = False           # `reset` only: drop the connection halfway through the answer
    spoil: str | None = None           # `hostile_body` only: one of HOSTILE_SPOILS
    space: str | None = None           # only for requests to this data space (spaces.py)

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(FAULT_KINDS)}")
        if self.mid_answer and self.kind != "reset":
            raise ValueError("mid_answer only applies to the reset kind")
        if (self.kind == "hostile_body") != (self.spoil is not None):
            raise ValueError(f"the hostile_body kind takes a spoil (one of {', '.join(HOSTILE_SPOILS)}), "
                             "and only it does")
        if self.spoil is not None and self.spoil not in HOSTILE_SPOILS:
            raise ValueError(f"unknown spoil {self.spoil!r}; one of {', '.join(HOSTILE_SPOILS)}")

    def matches(self, method: str, path: str, body: bytes = b"", space: str = DEFAULT_SPACE) -> bool:
        if self.space is not None and self.space != space:
            return False
        if self.method and self.method.upper() != method:
            return False
        if self.path_contains and self.path_contains not in path:
            return False
        if self.path_endswith and not path.endswith(self.path_endswith):
            return False
        return not (self.body_contains and self.body_contains.encode() not in body)


@dataclass
class LargeList:
    """A list answer of about `size` bytes, generated while it is sent (never held in memory whole).

    Built from an emulator's `large_list_parts()`: the body is `prefix`, then `records` joined by
    commas and repeated until `size` bytes are out, then `suffix`, so it stays valid JSON in the
    CRM's own list envelope. It answers the next GET of `path` only (one-shot).
    """

    path: str
    prefix: bytes
    records: list[bytes]
    suffix: bytes
    size: int
    media_type: str = "application/json"

    async def chunks(self):
        yield self.prefix
        sent = len(self.prefix)
        block = b",".join(self.records)
        separated = b"," + block
        piece = block
        while sent < self.size:
            yield piece
            sent += len(piece)
            piece = separated
        yield self.suffix


@dataclass
class RecordedRequest:
    method: str
    path: str
    raw_path: str
    query: str
    headers: dict[str, str]
    body: bytes
    at: float
    space: str = DEFAULT_SPACE

    def as_json(self) -> dict[str, Any]:
        try:
            body: Any = orjson.loads(self.body) if self.body else None
        except orjson.JSONDecodeError:
            body = self.body.decode("utf-8", "replace")
        return {
            "method": self.method,
            "path": self.path,
            "raw_path": self.raw_path,
            "query": self.query,
            "query_params": parse_qsl(self.query, keep_blank_values=True),
            "headers": self.headers,
            "body": body,
            "space": self.space,
        }


class Resource:
    """One resource of one emulator (accounts, contacts, ...): its routes, its seed, its records.

    A CRM package's resource module (`sandbox/<crm>/accounts.py`, `contacts.py`) defines one
    subclass and the emulator lists it in `Emulator.resources`. `name` is the unified resource name
    the control API takes (`/__control/<crm>/records/<name>`). The emulator creates one instance,
    reachable as `emulator.resource(name)`, and seeds the resources in the declared order, so a
    later resource's seed can link to an earlier one's records (contacts to their accounts).
    Shared per-CRM behaviour (auth, error bodies, rate-limit headers) lives on the emulator or in
    the package's `common.py`; a resource reaches the emulator as `self.emulator`.
    """

    name: ClassVar[str] = ""
    # Records seeded when a reset names no count for this resource (None: the emulator's default).
    default_seed_count: ClassVar[int | None] = None

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def routes(self) -> list[Route]:  # pragma: no cover - abstract
        """The CRM's real paths for this resource."""
        raise NotImplementedError

    def seed(self, count: int) -> None:  # pragma: no cover - abstract
        """Forget this resource's records and load `count` deterministic ones."""
        raise NotImplementedError

    def snapshot(self) -> Any:  # pragma: no cover - abstract
        """The records as the CRM stores them (`GET /__control/<crm>/records/<name>`)."""
        raise NotImplementedError

    def count(self) -> int:
        """How many records are stored (the reset answer reports it)."""
        snapshot = self.snapshot()
        return len(snapshot) if isinstance(snapshot, (list, dict)) else 0

    def large_list_parts(self) -> tuple[str, bytes, list[bytes], bytes, str] | None:
        """See `Emulator.large_list_parts`; None when this resource offers no large list."""
        return None


class Emulator:
    """Base class for one CRM's emulator.

    A packaged emulator (`sandbox/<crm>/__init__.py`) sets `name` and `resources` (Resource
    subclasses, in seeding order); routes, seed, snapshot and large list come from them.
    `reset_state()` is the hook for emulator-wide state (rate-limit counters) cleared on every reset.
    A single-module emulator instead implements `routes()` and `seed()` over `self.records` (its
    only resource is `accounts`).
    """

    name: ClassVar[str] = ""
    default_seed_count: ClassVar[int] = 60
    # The vendor's OAuth 2 authorization server, for CRMs that offer one (see `_oauth.py`).
    oauth_profile: ClassVar[OAuthProfile | None] = None
    # The resource modules' classes, in the order they are seeded.
    resources: ClassVar[tuple[type[Resource], ...]] = ()
    # Behaviours the vendor's sources leave open (unverified, or two sources disagree): switch name ->
    # the values it takes, the emulator's default first. Set through `POST /__control/<name>/switches`;
    # every reset restores the defaults.
    switches: ClassVar[dict[str, tuple[Any, ...]]] = {}

    def __init__(self, oauth: OAuthServer | None = None, space: str = DEFAULT_SPACE,
                 switch: dict[str, Any] | None = None) -> None:
        # The data space this instance holds (spaces.py); the sandbox server builds one instance per space.
        self.space = space
        self.records: dict[str, dict[str, Any]] = BoundedRecords()
        # Switches describe the vendor, not one account's data: every space of a CRM shares one dict.
        self.switch: dict[str, Any] = switch if switch is not None else self.default_switches()
        # One OAuth server per CRM, shared by its spaces: it knows which space each token belongs to.
        if oauth is None and self.oauth_profile:
            oauth = OAuthServer(self.oauth_profile)
        self.oauth: OAuthServer | None = oauth
        self._resources: dict[str, Resource] = {cls.name: cls(self) for cls in self.resources}
        self.reset()

    # -- resources ----------------------------------------------------------------------------------
    def resource_names(self) -> list[str]:
        """The resources the control API knows for this emulator, in seeding order."""
        return list(self._resources) if self._resources else ["accounts"]

    def resource(self, name: str) -> Resource:
        """The emulator's instance of resource `name` (KeyError when it has none)."""
        return self._resources[name]

    # -- data -------------------------------------------------------------------------------------
    def reset(self, count: int | None = None, counts: dict[str, int] | None = None) -> None:
        """Forget everything and load the deterministic seed again.

        Every resource is reseeded, in declaration order: with the number `counts` gives for it,
        else `count`, else its own default (`Resource.default_seed_count`, else the emulator's).
        """
        self.records = BoundedRecords()
        if not self._resources:
            self.seed(self.default_seed_count if count is None else count)
            return
        self.reset_state()
        for name, resource in self._resources.items():
            wanted = (counts or {}).get(name, count)
            if wanted is None:
                wanted = resource.default_seed_count
            resource.seed(self.default_seed_count if wanted is None else wanted)

    def reseed(self, count: int | None = None, counts: dict[str, int] | None = None) -> None:
        """The control API's reset; single-module emulators (which override `reset(count)`) take
        their one count from `counts["accounts"]` or `count`."""
        self.switch.update(self.default_switches())   # in place: the CRM's other spaces share it
        if self._resources:
            self.reset(count, counts)
        else:
            self.reset((counts or {}).get("accounts", count))

    def reset_state(self) -> None:
        """Emulator-wide state to clear on every reset, before the resources are seeded."""

    @classmethod
    def default_switches(cls) -> dict[str, Any]:
        return {name: values[0] for name, values in cls.switches.items()}

    def set_switches(self, settings: dict[str, Any]) -> None:
        """Set switches (`switches` names them and their values); ValueError, with nothing changed, for an
        unknown switch or value."""
        for name, value in settings.items():
            if name not in self.switches:
                known = ", ".join(self.switches) or "none"
                raise ValueError(f"{self.name} has no switch {name!r} (switches: {known})")
            allowed = self.switches[name]
            if not any(value == choice and type(value) is type(choice) for choice in allowed):
                raise ValueError(f"switch {name!r} takes one of {list(allowed)}")
        self.switch.update(settings)

    def seed(self, count: int) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def routes(self) -> list[Route]:
        """Every resource's routes, in declaration order (single-module emulators override this)."""
        if not self._resources:  # pragma: no cover - abstract
            raise NotImplementedError
        return [route for resource in self._resources.values() for route in resource.routes()]

    def oauth_routes(self) -> list[Route]:
        """The authorize and token endpoints at the vendor's paths (none for CRMs without OAuth)."""
        return self.oauth.routes() if self.oauth else []

    def issued_access_token(self, token: str | None) -> bool:
        """True for an unexpired access token this emulator's OAuth server issued for this space."""
        return self.oauth is not None and self.oauth.is_active_access_token(token, self.space)

    def large_list_parts(self) -> tuple[str, bytes, list[bytes], bytes, str] | None:
        """(list path, body prefix, encoded records, body suffix, media type) for a generated huge list
        answer (`POST /__control/<name>/large_list`); None when this emulator does not offer one.
        A packaged emulator answers with its first resource that offers one."""
        for resource in self._resources.values():
            parts = resource.large_list_parts()
            if parts is not None:
                return parts
        return None

    def records_of(self, resource: str) -> Any:
        """What `GET /__control/<name>/records/<resource>` returns: that resource's stored records,
        as the CRM holds them. KeyError for a resource this emulator does not have."""
        if self._resources:
            return self._resources[resource].snapshot()
        if resource != "accounts":
            raise KeyError(resource)
        return self.snapshot()

    def snapshot(self) -> Any:
        """A single-module emulator's records (its `accounts`), as the CRM holds them."""
        return list(self.records.values())

    def counts(self) -> dict[str, int]:
        """How many records each resource stores (the reset answer)."""
        if self._resources:
            return {name: r.count() for name, r in self._resources.items()}
        return {"accounts": len(self.records)}

    def error_in_200(self) -> Response | None:
        """The CRM's own error inside an HTTP 200, or None when the CRM never answers that way."""
        return None

    def space_full(self, error: SpaceFull) -> Response:
        """The answer to a write past the space's bounds (spaces.py). None of the ten CRMs' current
        APIs documents how a full account answers a write (Zoho's retired API v1 listed 4809 "Exceeded
        storage space limit", https://www.zoho.com/developer/help/api/error-messages.html), so the
        default is a plain 403 naming the bound; an emulator whose vendor documents one overrides this
        with the vendor's error body."""
        return json_response({"status": "error", "category": "SANDBOX_LIMIT", "message": error.message,
                              "limit": error.limit, "value": error.value}, 403)

    def body_too_large(self, size: int, limit: int) -> Response:
        """The answer to a request body over UNIGATE_SANDBOX_MAX_BODY_BYTES: 413, as HTTP servers answer."""
        return json_response({"status": "error", "category": "SANDBOX_LIMIT",
                              "message": f"The request body has {size} bytes, over this sandbox's limit of {limit} "
                                         "(UNIGATE_SANDBOX_MAX_BODY_BYTES).",
                              "limit": "UNIGATE_SANDBOX_MAX_BODY_BYTES", "value": limit}, 413)


class EmulatorMount:
    """ASGI wrapper of one CRM: record the request, apply a queued fault, pick the data space the
    request's credentials name (spaces.py), then hand over to that space's emulator within its bounds.

    `emulator` is the default space; every other space is a new instance of its class, sharing its
    OAuth server, created (and seeded) on its first request and dropped, least recently used first,
    past `limits.max_spaces`.
    """

    def __init__(self, emulator: Emulator, history: int = 500, limits: SpaceLimits | None = None) -> None:
        self.limits = limits or SpaceLimits.from_environment()
        # space -> (its emulator, its router), least recently used first.
        self.spaces: OrderedDict[str, tuple[Emulator, Router]] = OrderedDict()
        self._add_space(DEFAULT_SPACE, emulator)
        self.requests: deque[RecordedRequest] = deque(maxlen=history)
        self.faults: list[Fault] = []
        self.large_list: LargeList | None = None

    @property
    def emulator(self) -> Emulator:
        """The default space's emulator (the documented sandbox credentials reach it)."""
        return self.spaces[DEFAULT_SPACE][0]

    def _add_space(self, space: str, emulator: Emulator) -> None:
        # OAuth routes first: some emulators end with a catch-all route for unknown paths.
        self.spaces[space] = (emulator, Router(routes=emulator.oauth_routes() + emulator.routes()))

    def space(self, space: str, *, create: bool = True) -> Emulator | None:
        """The emulator holding `space`, created and seeded when new (None if not `create`); marks it used."""
        entry = self.spaces.get(space)
        if entry is not None:
            self.spaces.move_to_end(space)
            return entry[0]
        if not create:
            return None
        emulator = type(self.emulator)(oauth=self.emulator.oauth, space=space, switch=self.emulator.switch)
        self._add_space(space, emulator)
        while len(self.spaces) > self.limits.max_spaces:
            idle = next((key for key in self.spaces if key != DEFAULT_SPACE), None)
            if idle is None or idle == space:
                break
            del self.spaces[idle]
            if emulator.oauth is not None:
                emulator.oauth.forget_space(idle)
        return emulator

    def take_fault(self, method: str, path: str, body: bytes, space: str = DEFAULT_SPACE) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path, body, space):
                if fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                return fault
        return None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.spaces[DEFAULT_SPACE][1](scope, receive, send)
            return
        body, size = await _read_body(receive, self.limits.max_body_bytes)
        method = scope["method"]
        path = scope.get("path", "")
        space, routed = spaces.route(scope)
        self.requests.append(RecordedRequest(
            method=method,
            path=path,
            raw_path=(scope.get("raw_path") or path.encode()).decode("latin-1"),
            query=scope.get("query_string", b"").decode("latin-1"),
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
            body=body,
            at=time.time(),
            space=space,
        ))
        if size > self.limits.max_body_bytes:
            await self.emulator.body_too_large(size, self.limits.max_body_bytes)(scope, _no_body, send)
            return
        fault = self.take_fault(method, path, body, space) if self.faults else None
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.kind is not None:
                await self.misbehave(fault, scope, body, send)
                return
            if fault.status is not None:
                response = json_response(fault.body, status=fault.status, headers=fault.headers)
                await response(scope, receive, send)
                return
        large = self.large_list
        if large is not None and method == "GET" and path.endswith(large.path):
            self.large_list = None
            response = StreamingResponse(large.chunks(), media_type=large.media_type)
            await response(scope, receive, send)
            return
        await self.dispatch(space, routed, _replay(body, receive), send)

    async def dispatch(self, space: str, scope, receive, send) -> None:
        """Hand a routed request to `space`'s emulator, its writes bounded; a write past the bounds
        answers as the emulator answers a full account (`Emulator.space_full`)."""
        new = space not in self.spaces
        emulator = self.space(space)
        assert emulator is not None
        router = self.spaces[space][1]
        status: int | None = None

        async def watched(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        bounded = ACTIVE_LIMITS.set(self.limits)
        try:
            await router(scope, receive, watched)
        except SpaceFull as error:
            if status is not None:
                raise
            await emulator.space_full(error)(scope, _no_body, send)
        finally:
            ACTIVE_LIMITS.reset(bounded)
        if new and status == 401 and space in self.spaces \
                and not (emulator.oauth is not None and emulator.oauth.knows_space(space)):
            # The emulator refused the credential that named the space, and no token was ever issued
            # for it: a request nobody could make with a real sandbox credential must not create (and
            # so evict) spaces. An expired token's space is kept (its refresh comes next).
            del self.spaces[space]

    # -- fault kinds ---------------------------------------------------------------------------------
    async def misbehave(self, fault: Fault, scope, body: bytes, send) -> None:
        kind = fault.kind
        if kind == "reset" and not fault.mid_answer:
            await drop_connection(scope)
            return
        if kind == "html":
            status = fault.status or 502
            page = _HTML_PAGE.format(status=status, reason=_HTML_REASONS.get(status, "Error")).encode()
            await Response(page, status, headers=fault.headers, media_type="text/html")(scope, _no_body, send)
            return
        if kind == "error_in_200":
            response = self.emulator.error_in_200()
            assert response is not None  # refused when queued (server.py)
            await response(scope, _no_body, send)
            return
        if kind == "expired_token":
            space, routed = spaces.route({**scope, **_invalid_credentials(scope)})
            await self.dispatch(space, routed, _replay(body, _no_body), send)
            return
        # The emulator handles the request; its answer is spoiled on the way back.
        status, headers, answer = await self._answer_of(scope, body)
        if kind == "reset":
            await drop_connection(scope, _http_message(status, headers, answer))
            return
        if kind in ("hostile_headers", "hostile_body"):
            await self._send_hostile(fault, status, headers, answer, send)
            return
        if kind == "truncated_json":
            whole = answer or orjson.dumps({"data": {"id": 1, "status": "ok"}})
            spoiled = whole[:max(1, len(whole) // 2)]
        else:  # malformed_json
            spoiled = _MALFORMED_JSON
        headers = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"content-type")]
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(spoiled)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": spoiled})

    @staticmethod
    async def _send_hostile(fault: Fault, status: int, headers: list[tuple[bytes, bytes]], answer: bytes,
                            send) -> None:
        if fault.kind == "hostile_headers":
            hostile = {**_HOSTILE_HEADERS, **{k.lower(): v for k, v in fault.headers.items()}}
            headers = [(k, v) for k, v in headers if k.decode("latin-1").lower() not in hostile]
            headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in hostile.items()]
            status = fault.status or status
        else:
            try:
                parsed = orjson.loads(answer)
            except orjson.JSONDecodeError:
                parsed = None
            if parsed is not None:
                answer = orjson.dumps(_spoiled(parsed, fault.spoil or ""))
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(answer)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

    async def _answer_of(self, scope, body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Run the emulator and capture its whole answer instead of sending it."""
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.dispatch(*spaces.route(scope), _replay(body, _no_body), capture)
        return started.get("status", 500), list(started.get("headers", [])), b"".join(chunks)


def _spoiled(value: Any, spoil: str, key: str = "") -> Any:
    """`value` (a JSON answer) with the values `spoil` names given the wrong type."""
    if spoil.startswith("cursors_as_") and key in _CURSOR_KEYS and isinstance(value, (str, int)) \
            and not isinstance(value, bool):
        return [value] if spoil == "cursors_as_lists" else 1.5e30
    if key == "id" and spoil == "ids_as_objects":
        return {"$oid": value}
    if key == "id" and spoil == "ids_as_floats":
        return float("1e300")
    if isinstance(value, dict):
        return {k: _spoiled(v, spoil, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_spoiled(item, spoil) for item in value]
        return orjson.dumps(items).decode() if spoil == "lists_as_strings" else items
    return value


async def _read_body(receive, limit: int) -> tuple[bytes, int]:
    """The request body (at most `limit` + 1 bytes of it are kept) and its whole size."""
    chunks: list[bytes] = []
    kept = size = 0
    more = True
    while more:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if kept <= limit:
            chunks.append(chunk[:limit + 1 - kept])
            kept += len(chunks[-1])
        more = message.get("more_body", False)
    return b"".join(chunks), size


def _replay(body: bytes, receive):
    """An ASGI `receive` that gives the already-read body once, then defers to `receive`."""
    replayed = False

    async def replay():
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _no_body():
    return {"type": "http.disconnect"}


def _http_message(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    """An HTTP/1.1 response as bytes on the wire, with a Content-Length for the whole body."""
    lines = [f"HTTP/1.1 {status} {reason_phrase(status)}".encode()]
    lines += [k + b": " + v for k, v in headers if k.lower() not in (b"content-length", b"transfer-encoding")]
    lines.append(b"content-length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


async def drop_connection(scope, answer: bytes = b"") -> None:
    """Close the client's TCP connection at once; with `answer`, after sending its first half.

    A real drop, as a client sees a crashed or cut-off server: the socket is aborted (no HTTP answer
    follows). The server's connection is found through the scope (see server.py).
    """
    connection = scope.get("extensions", {}).get("unigate.connection")
    transport = getattr(connection, "transport", None)
    if transport is None:
        raise ConnectionAbortedError("the sandbox's server gives no access to the connection to drop")
    if answer:
        # Half of the body when there is one, else half of the head: the answer is never complete.
        head_end = answer.index(b"\r\n\r\n") + 4
        body_size = len(answer) - head_end
        cut = head_end + body_size // 2 if body_size > 1 else head_end // 2
        transport.write(answer[:cut])
    transport.abort()
    # Let the server see the connection lost before the app returns, so it sends nothing more.
    for _ in range(100):
        if getattr(connection, "disconnected", True):
            break
        await asyncio.sleep(0)


def _invalid_credentials(scope) -> dict[str, Any]:
    """Scope entries whose credentials (headers, `api_token` query) no longer match the emulator's."""
    headers = []
    for name, value in scope["headers"]:
        if name.lower() in CREDENTIAL_HEADERS:
            value = _expired(value.decode("latin-1")).encode("latin-1")
        headers.append((name, value))
    changed: dict[str, Any] = {"headers": headers}
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    if any(k == CREDENTIAL_QUERY for k, _ in query):
        query = [(k, "expired-" + v if k == CREDENTIAL_QUERY else v) for k, v in query]
        changed["query_string"] = urlencode(query).encode("latin-1")
    return changed


def _expired(value: str) -> str:
    """The same kind of credential, no longer valid: a Basic pair keeps its user, a token gets changed."""
    scheme, _, credential = value.partition(" ")
    if not credential:
        return "expired-" + value
    if scheme.lower() == "basic":
        try:
            user = base64.b64decode(credential).decode("utf-8").split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            user = "unknown"
        return "Basic " + base64.b64encode(f"{user}:expired-password".encode()).decode()
    return f"{scheme} expired-{credential}"
