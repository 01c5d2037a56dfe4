"""A loopback webhook receiver: records each delivery, verifies nothing itself (the tests do), and can be
stopped and started again on the same port (a receiver that was down)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from support import free_port


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    def signed_by(self, secret: str) -> bool:
        expected = "format=sha256,v=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers.get("x-truto-signature", ""), expected)


class Receiver:
    def __init__(self, status: int = 200, delay: float = 0.0, hold_first: float = 0.0) -> None:
        self.port = free_port()
        self.status = status  # what every delivery is answered
        self.delay = delay  # seconds each answer waits
        self.hold_first = hold_first  # seconds the very first answer waits (a delivery caught mid-flight)
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/unigate"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's name for the POST handler
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver._lock:
                    receiver.deliveries.append(Delivery({k.lower(): v for k, v in self.headers.items()}, body,
                                                        time.monotonic()))
                    first = len(receiver.deliveries) == 1
                wait = receiver.hold_first if first and receiver.hold_first else receiver.delay
                if wait:
                    time.sleep(wait)
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            allow_reuse_address = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a sender that went away mid-answer (the killed gateway) is what some tests do

        self._server = Server(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def events(self, name: str | None = None) -> list[Delivery]:
        with self._lock:
            found = list(self.deliveries)
        return [d for d in found if name is None or d.json["event"] == name]

    def wait_for(self, condition, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, [d.json["event"] for d in self.events()]
            time.sleep(0.05)
