"""Shared fixtures: the sandbox server (every CRM emulator) on a loopback port."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import requests

from unigate.sandbox.server import build_sandbox_app
from unigate.serving import start_in_thread


@dataclass
class SandboxControl:
    """Drives one emulator through the sandbox control API."""

    base: str
    name: str

    @property
    def url(self) -> str:
        """The emulator's root: where the CRM's real paths start."""
        return f"{self.base}/{self.name}"

    def _control(self, suffix: str) -> str:
        return f"{self.base}/__control/{self.name}/{suffix}"

    def reset(self, count: int | None = None) -> None:
        body = {} if count is None else {"count": count}
        requests.post(self._control("reset"), json=body, timeout=30).raise_for_status()

    def fault(self, **fault) -> None:
        requests.post(self._control("faults"), json=fault, timeout=5).raise_for_status()

    def clear_faults(self) -> None:
        requests.delete(self._control("faults"), timeout=5).raise_for_status()

    def requests(self) -> list[dict]:
        return requests.get(self._control("requests"), timeout=5).json()

    def clear_requests(self) -> None:
        requests.delete(self._control("requests"), timeout=5).raise_for_status()

    def records(self):
        return requests.get(self._control("records"), timeout=5).json()


@dataclass
class Sandbox:
    url: str

    def control(self, name: str) -> SandboxControl:
        return SandboxControl(self.url, name)


@pytest.fixture(scope="session")
def sandbox():
    server = start_in_thread(build_sandbox_app())
    yield Sandbox(server.url)
    server.stop()
