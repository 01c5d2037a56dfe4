"""The sandbox server: every emulator under `/<integration name>`, plus a control API for tests.

Control API (JSON), per emulator `<name>`:
- `POST /__control/<name>/reset` `{"count": N}?`: reload the deterministic seed (N records).
- `POST /__control/<name>/faults` a `Fault` object; `DELETE` clears them.
- `GET /__control/<name>/requests`: the requests received, oldest first; `DELETE` clears them.
- `GET /__control/<name>/records`: the records as the emulated CRM stores them.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Mount, Route

from unigate.sandbox import base
from unigate.sandbox.base import EmulatorMount, Fault, json_response, read_json

_NOT_EMULATORS = {"base", "server"}


def discover_emulators() -> dict[str, type[base.Emulator]]:
    """Every `EMULATOR` class in this package, keyed by integration name."""
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

    def __init__(self, names: list[str] | None = None) -> None:
        classes = discover_emulators()
        selected = names if names is not None else list(classes)
        self.mounts: dict[str, EmulatorMount] = {name: EmulatorMount(classes[name]()) for name in selected}
        routes: list[Any] = [
            Route("/__control/{name}/reset", self.reset, methods=["POST"]),
            Route("/__control/{name}/faults", self.faults, methods=["POST", "DELETE"]),
            Route("/__control/{name}/requests", self.requests, methods=["GET", "DELETE"]),
            Route("/__control/{name}/records", self.records, methods=["GET"]),
        ]
        routes += [Mount(f"/{name}", app=mount) for name, mount in self.mounts.items()]
        self.app = Starlette(routes=routes)

    async def __call__(self, scope, receive, send) -> None:
        await self.app(scope, receive, send)

    def _mount(self, request: Request) -> EmulatorMount | None:
        return self.mounts.get(request.path_params["name"])

    async def reset(self, request: Request):
        mount = self._mount(request)
        if mount is None:
            return json_response({"error": "unknown sandbox"}, 404)
        body = await read_json(request) or {}
        mount.emulator.reset(body.get("count"))
        mount.faults.clear()
        mount.requests.clear()
        return json_response({"reset": mount.emulator.name, "records": len(mount.emulator.records)})

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
        mount.faults.append(Fault(**body))
        return json_response({"faults": len(mount.faults)})

    async def requests(self, request: Request):
        mount = self._mount(request)
        if mount is None:
            return json_response({"error": "unknown sandbox"}, 404)
        if request.method == "DELETE":
            mount.requests.clear()
            return json_response({"requests": 0})
        return json_response([r.as_json() for r in mount.requests])

    async def records(self, request: Request):
        mount = self._mount(request)
        if mount is None:
            return json_response({"error": "unknown sandbox"}, 404)
        return json_response(mount.emulator.snapshot())


def build_sandbox_app(names: list[str] | None = None) -> SandboxApp:
    return SandboxApp(names)
