"""The sandbox server: every emulator under `/<integration name>`, plus a control API for tests.

Control API (JSON), per emulator `<name>`. Each emulator holds data spaces (spaces.py): the
documented sandbox credentials reach the `default` space, a credential ending in `~<key>` the space
`<key>`. Without `?space=<key>` the routes below address the default space; faults and requests are
the emulator's, whatever the space (a fault's `space` and `requests?space=` narrow them to one).
- `POST /__control/<name>/reset` `{"count": N, "resource": R, "counts": {R: N}}` (all optional):
  reseed every resource of the emulator, in its seeding order (accounts before contacts). A
  resource seeds the number `counts` names for it; else N when `count` is given without `resource`
  (or with `resource` naming it); else its default. Answers `{"reset": name, "records": {R: n}}`.
  An unknown resource, or a count that is not an integer from 0 to 1,000,000, answers 400.
  `POST /__control/<name>/reset?space=<key>` reseeds that space only (created when new); the OAuth
  server, faults and requests are left as they are.
- `POST /__control/<name>/faults` a `Fault` object; `DELETE` clears them. Faults apply in the order
  queued, each to the next `times` requests that match `method`, `path_contains`, `path_endswith`
  and `body_contains` (all optional). A fault answers `status` with `body` and `headers`, and/or
  waits `delay` seconds first (with no status, the request then reaches the emulator late). A
  `kind` makes it misbehave instead (base.Fault):
  - `reset`: the TCP connection is dropped with no answer; `"mid_answer": true`: the emulator
    handles the request and the connection drops halfway through its answer;
  - `truncated_json`: the emulator handles the request; a 200 arrives with its JSON cut short;
  - `malformed_json`: the emulator handles the request; a 200 arrives with a body that is not JSON;
  - `html`: a load balancer's HTML error page, `text/html`, status `status` (default 502);
  - `error_in_200`: the CRM's own error inside an HTTP 200 (monday's GraphQL `errors`); 400 for
    CRMs that never answer that way;
  - `expired_token`: the credentials are made invalid on the way in; the emulator answers its 401.
  - `hostile_headers`: the emulator handles the request; its answer arrives with every rate-limit and
    Retry-After header the CRMs use set to garbage (NaN, inf, negative, enormous, not numbers),
    `headers` on top, and `status` instead of the emulator's when given;
  - `hostile_body` with `"spoil"`: the emulator handles the request; its JSON answer arrives with
    values of the wrong type: `lists_as_strings`, `ids_as_objects`, `ids_as_floats`,
    `cursors_as_lists`, `cursors_as_numbers` (base.HOSTILE_SPOILS).
  An unknown field or kind answers 400.
- `GET /__control/<name>/requests`: the requests received, oldest first, each with the `space` it
  went to; `?space=<key>` only that space's; `DELETE` clears them all.
- `GET /__control/<name>/spaces`: `{"spaces": [{"space", "records": {R: n}}], "limits": {...}}`, the
  spaces held, least recently used first, and the bounds (spaces.SpaceLimits).
- `GET /__control/<name>/records/<resource>`: the records of `resource` (`accounts`, `contacts`,
  ...) as the emulated CRM stores them; an unknown resource answers 404 with the emulator's
  `resources`; `?space=<key>` a space the emulator does not hold answers 404. `GET
  /__control/<name>/records` (no resource) answers 400 listing them. Where the CRM
  keeps two resources in one store (Capsule's parties), each resource shows that whole store.
- `POST /__control/<name>/oauth` (OAuth CRMs) with any of `{"access_token_ttl": seconds,
  "code_ttl": seconds, "expire_all": true, "revoke_refresh_tokens": true}`: the lifetime of access
  tokens (or authorization codes) issued from now on (null: the vendor's); expire every issued
  access token now; refuse every refresh token issued so far (`invalid_grant`).
- `GET /__control/<name>/oauth`: `{"token_requests", "refresh_requests", "active_access_tokens",
  "active_refresh_tokens"}` since the last reset. `token_requests` counts every request to a token
  endpoint (any grant, any outcome); `refresh_requests` the ones with `grant_type=refresh_token`.
  A reset clears the OAuth server too.
- `POST /__control/<name>/switches` `{"<switch>": value}`: how the emulator behaves where the vendor's
  sources leave the behaviour open (each emulator's `switches` lists them with their values, the
  default first); `GET` answers `{"switches": {name: value}, "choices": {name: [values]}}`. An
  unknown switch or value answers 400; a reset restores the defaults. Switches describe the CRM, not
  one account's data, so every data space of the CRM shares them.
- `POST /__control/<name>/large_list` `{"bytes": N}`: the next list request answers with a generated
  body of about N bytes (the CRM's list envelope around seeded records, repeated), streamed as it is
  produced, so benchmarks can send hundreds of megabytes without the sandbox holding them.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Mount, Route

from unigate.sandbox import base
from unigate.sandbox.base import EmulatorMount, Fault, LargeList, json_response, read_json
from unigate.sandbox.spaces import DEFAULT_SPACE, KEY_PATTERN, SpaceLimits

_NOT_EMULATORS = {"base", "server", "collection", "spaces"}
MAX_LARGE_LIST_BYTES = 16 << 30
MAX_SEED_COUNT = 1_000_000


def discover_emulators() -> dict[str, type[base.Emulator]]:
    """Every `EMULATOR` class in this package (a CRM package `sandbox/<crm>/` exposes it from its
    `__init__`, a single-module emulator from `sandbox/<crm>.py`), keyed by integration name."""
    import unigate.sandbox as package

    found: dict[str, type[base.Emulator]] = {}
    for module_info in pkgutil.iter_modules(package.__path__):
        if module_info.name in _NOT_EMULATORS or module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"unigate.sandbox.{module_info.name}")
        emulator = getattr(module, "EMULATOR", None)
        if emulator is not None:
            found[emulator.name] = emulator
    return dict(sorted(found.items()))


class SandboxApp:
    """Holds one mount per emulator and builds the Starlette app around them."""

    def __init__(self, names: list[str] | None = None, limits: SpaceLimits | None = None) -> None:
        classes = discover_emulators()
        selected = names if names is not None else list(classes)
        # Bounds of each emulator's data (spaces.py): UNIGATE_SANDBOX_* unless given.
        limits = limits or SpaceLimits.from_environment()
        self.mounts: dict[str, EmulatorMount] = {name: EmulatorMount(classes[name](), limits=limits)
                                                 for name in selected}
        routes: list[Any] = [
            Route("/__control/{name}/reset", self.reset, methods=["POST"]),
            Route("/__control/{name}/faults", self.faults, methods=["POST", "DELETE"]),
            Route("/__control/{name}/requests", self.requests, methods=["GET", "DELETE"]),
            Route("/__control/{name}/records", self.records, methods=["GET"]),
            Route("/__control/{name}/records/{resource}", self.records, methods=["GET"]),
            Route("/__control/{name}/oauth", self.oauth, methods=["GET", "POST"]),
            Route("/__control/{name}/large_list", self.large_list, methods=["POST", "DELETE"]),
            Route("/__control/{name}/switches", self.switches, methods=["GET", "POST"]),
            Route("/__control/{name}/spaces", self.spaces, methods=["GET"]),
        ]
        routes += [Mount(f"/{name}", app=mount) for name, mount in self.mounts.items()]
        self.app = Starlette(routes=routes)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            # The server's per-request object (uvicorn's holds the socket transport), so a `reset`
            # fault can drop the real connection (base.drop_connection).
            scope.setdefault("extensions", {})["unigate.connection"] = getattr(send, "__self__", None)
        await self.app(scope, receive, send)

    def _mount(self, request: Request) -> EmulatorMount | None:
        return self.mounts.get(request.path_params["name"])

    async def reset(self, request: Request):
        mount = self._mount(request)
        if mount is None:
            return json_response({"error": "unknown sandbox"}, 404)
        body = await read_json(request) or {}
        if not isinstance(body, dict):
            return json_response({"error": "reset takes a JSON object"}, 400)
        space = request.query_params.get("space")
        if space is not None and space != DEFAULT_SPACE and not KEY_PATTERN.fullmatch(space):
            return json_response({"error": "space must be default or 16 to 64 characters of A-Z, a-z, 0-9, _ and -"},
                                 400)
        names = mount.emulator.resource_names()
        try:
            count, counts = _seed_counts(body, names)
        except ValueError as error:
            return json_response({"error": str(error), "resources": names}, 400)
        if space is not None:
            # One data space only: the others, the OAuth server, faults and requests stay as they are.
            emulator = mount.space(space)
            assert emulator is not None
            emulator.reseed(count, counts)
            return json_response({"reset": emulator.name, "space": space, "records": emulator.counts()})
        emulator = mount.emulator
        emulator.reseed(count, counts)
        if emulator.oauth is not None:
            emulator.oauth.reset()
        mount.faults.clear()
        mount.requests.clear()
        mount.large_list = None
        return json_response({"reset": emulator.name, "records": emulator.counts()})

    async def spaces(self, request: Request):
        mount = self._mount(request)
        if mount is None:
            return json_response({"error": "unknown sandbox"}, 404)
        limits = mount.limits
        return json_response({
            "spaces": [{"space": space, "records": emulator.counts()} for space, (emulator, _) in mount.spaces.items()],
            "limits": {"max_spaces": limits.max_spaces, "max_records": limits.max_records,
                       "max_record_bytes": limits.max_record_bytes, "max_body_bytes": limits.max_body_bytes},
        })

    async def faults(self, request: Request):
        mount = self._mount(request)
        if mount is None:
            return json_response({"error": "unknown sandbox"}, 404)
        if request.method == "DELETE":
            mount.faults.clear()
            return json_response({"faults": 0})
        body = await read_json(request)
        if not isinstance(body, dict):
            return json_response({"error": "fault must be a JSON object"}, 400)
        unknown = sorted(set(body) - set(Fault.__dataclass_fields__))
        if unknown:
            return json_response({"error": f"unknown fault fields: {', '.join(unknown)}"}, 400)
        try:
            fault = Fault(**body)
        except (TypeError, ValueError) as exc:
            return json_response({"error": str(exc)}, 400)
        if fault.kind == "error_in_200" and mount.emulator.error_in_200() is None:
            return json_response({"error": f"{mount.emulator.name} never puts an error inside a 200 answer"}, 400)
        mount.faults.append(fault)
        return json_response({"faults": len(mount.faults)})

    async def requests(self, request: Request):
        mount = self._mount(request)
        if mount is None:
            return json_response({"error": "unknown sandbox"}, 404)
        if request.method == "DELETE":
            mount.requests.clear()
            return json_response({"requests": 0})
        space = request.query_params.get("space")
        return json_response([r.as_json() for r in mount.requests if space is None or r.space == space])

    async def large_list(self, request: Request):
        mount = self._mount(request)
        if mount is None:
            return json_response({"error": "unknown sandbox"}, 404)
        if request.method == "DELETE":
            mount.large_list = None
            return json_response({"large_list": None})
        body = await read_json(request)
        size = body.get("bytes") if isinstance(body, dict) else None
        if type(size) is not int or not 1 <= size <= MAX_LARGE_LIST_BYTES:
            return json_response({"error": f"bytes must be an integer from 1 to {MAX_LARGE_LIST_BYTES}"}, 400)
        parts = mount.emulator.large_list_parts()
        if parts is None:
            return json_response({"error": f"{mount.emulator.name} offers no large list (or has no records)"}, 400)
        path, prefix, records, suffix, media_type = parts
        mount.large_list = LargeList(path, prefix, records, suffix, size, media_type)
        return json_response({"large_list": path, "bytes": size})

    async def switches(self, request: Request):
        mount = self._mount(request)
        if mount is None:
            return json_response({"error": "unknown sandbox"}, 404)
        emulator = mount.emulator
        if request.method == "POST":
            body = await read_json(request)
            if not isinstance(body, dict):
                return json_response({"error": "switches take a JSON object"}, 400)
            try:
                emulator.set_switches(body)
            except ValueError as error:
                return json_response({"error": str(error)}, 400)
        return json_response({"switches": emulator.switch,
                              "choices": {name: list(values) for name, values in emulator.switches.items()}})

    async def records(self, request: Request):
        mount = self._mount(request)
        if mount is None:
            return json_response({"error": "unknown sandbox"}, 404)
        emulator = mount.space(request.query_params.get("space") or DEFAULT_SPACE, create=False)
        if emulator is None:
            return json_response({"error": f"{mount.emulator.name} holds no data space {request.query_params['space']!r}"},
                                 404)
        names = emulator.resource_names()
        resource = request.path_params.get("resource")
        if resource is None:
            return json_response({"error": f"name a resource: /__control/{mount.emulator.name}/records/<resource>",
                                  "resources": names}, 400)
        if resource not in names:
            return json_response({"error": f"{mount.emulator.name} has no resource {resource!r}",
                                  "resources": names}, 404)
        return json_response(emulator.records_of(resource))

    async def oauth(self, request: Request):
        mount = self._mount(request)
        if mount is None:
            return json_response({"error": "unknown sandbox"}, 404)
        server = mount.emulator.oauth
        if server is None:
            return json_response({"error": f"{mount.emulator.name} has no OAuth server"}, 404)
        if request.method == "POST":
            body = await read_json(request)
            if not isinstance(body, dict):
                return json_response({"error": "OAuth settings must be a JSON object"}, 400)
            try:
                server.configure(body)
            except ValueError as error:
                return json_response({"error": str(error)}, 400)
        return json_response(server.summary())


def _seed_counts(body: dict[str, Any], resources: list[str]) -> tuple[int | None, dict[str, int]]:
    """(count for every resource, per-resource counts) from a reset body; ValueError when invalid."""
    unknown = sorted(set(body) - {"count", "resource", "counts"})
    if unknown:
        raise ValueError(f"unknown reset fields: {', '.join(unknown)}")
    counts = body.get("counts") or {}
    if not isinstance(counts, dict):
        raise ValueError("counts must be an object of resource: count")
    count = body.get("count")
    resource = body.get("resource")
    if resource is not None:
        if count is None:
            raise ValueError("resource needs a count")
        counts = {**counts, resource: count}
        count = None
    for name, value in [("count", count), *counts.items()]:
        if name != "count" and name not in resources:
            raise ValueError(f"unknown resource {name!r}")
        if value is not None and (type(value) is not int or not 0 <= value <= MAX_SEED_COUNT):
            raise ValueError(f"a count must be an integer from 0 to {MAX_SEED_COUNT}")
    return count, counts


def build_sandbox_app(names: list[str] | None = None, limits: SpaceLimits | None = None) -> SandboxApp:
    return SandboxApp(names, limits)
