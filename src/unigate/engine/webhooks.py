"""Sending webhook deliveries: each one a job on the queue (store/jobs.py), each attempt signed and POSTed.

The outbox row (store/webhooks.py) is the delivery; the job carries only its id. A job takes the row
with a lease, sends it, and records the outcome: delivered on a 2xx answer; otherwise the row is given
its retry time (exponential backoff) and the job asks huey to run it again then (RetryTask); after the
last attempt the delivery is failed and the webhook deactivated. Because huey forgets a job once a
worker takes it, a sweep on each process queues again the pending rows whose time passed a while ago:
those whose process died between commit and queueing, or during an attempt (its lease ended). Taking a
row is one conditional UPDATE, so a row queued twice, or by two processes, is still sent once per
attempt.

Huey's workers are threads; an attempt runs on the gateway's event loop (the store and the HTTP
session live there), the thread waiting for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from huey.consumer import Consumer
from huey.exceptions import RetryTask

from unigate.engine.webhook_targets import PublicOnlyResolver, check_target
from unigate.errors import GatewayError
from unigate.settings import Settings
from unigate.store import Store
from unigate.store.jobs import open_queue

log = logging.getLogger("unigate.webhooks")

SIGNATURE_HEADER = "X-Truto-Signature"
USER_AGENT = "unigate-webhooks/0.1"
# Seconds a worker waits for an attempt beyond its own timeout before giving the thread back.
_ATTEMPT_SLACK = 5.0


def signature(secret: str, body: bytes) -> str:
    """Truto's signature header value (https://truto.one/docs/guides/webhooks/overview)."""
    return "format=sha256,v=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _EmbeddedConsumer(Consumer):
    """huey's consumer inside the gateway process: uvicorn owns the process's signals, not huey."""

    def _set_signal_handlers(self) -> None:
        pass


class WebhookDispatcher:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.queue: Any = None  # opened by start(): opening may create its tables
        self._deliver: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._consumer: _EmbeddedConsumer | None = None
        self._session: aiohttp.ClientSession | None = None
        self._sweeper: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.queue = await asyncio.to_thread(open_queue, self.settings)
        self._deliver = self.queue.task(name="unigate.webhooks.deliver")(self._run_job)
        resolver = None if self.settings.webhook_allow_private_targets else PublicOnlyResolver()
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=resolver, limit=64),
            timeout=aiohttp.ClientTimeout(total=self.settings.webhook_timeout))
        self._consumer = _EmbeddedConsumer(self.queue, workers=max(1, self.settings.webhook_workers),
                                           periodic=False, worker_type="thread", check_worker_health=False,
                                           initial_delay=0.05, max_delay=0.5)
        await asyncio.to_thread(self._consumer.start)
        self.store.webhooks.on_committed = self.enqueue
        self._sweeper = asyncio.create_task(self._sweep_forever())

    async def stop(self) -> None:
        self.store.webhooks.on_committed = None
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self._consumer is not None:
            consumer = self._consumer
            consumer.stop_flag.set()
            # Joined off the loop: a worker may be waiting for an attempt running on it.
            await asyncio.to_thread(self._join, consumer, self.settings.webhook_timeout + _ATTEMPT_SLACK)
        if self._session is not None:
            await self._session.close()
        if self.queue is not None:
            await asyncio.to_thread(self.queue.storage.close)

    @staticmethod
    def _join(consumer: Consumer, timeout: float) -> None:
        for _, thread in consumer.worker_threads:
            thread.join(timeout)
        consumer.scheduler.join(timeout)

    # -- queueing ----------------------------------------------------------------------------------
    def enqueue(self, delivery_ids: list[str]) -> None:
        """Queue deliveries just committed; called on the event loop, so the queue's I/O runs on a thread.
        Should it fail, the rows are still there for the sweep."""
        loop = self._loop
        if loop is None:
            return
        future = loop.run_in_executor(None, self._enqueue_now, delivery_ids)
        future.add_done_callback(_log_failure)

    def _enqueue_now(self, delivery_ids: list[str]) -> None:
        for delivery_id in delivery_ids:
            self._deliver(delivery_id)

    async def _sweep_forever(self) -> None:
        interval = self.settings.webhook_sweep_interval
        while True:
            await asyncio.sleep(interval)
            try:
                due = await self.store.webhooks.due(timedelta(seconds=interval))
                if due:
                    await asyncio.to_thread(self._enqueue_now, due)
            except Exception as error:  # noqa: BLE001 - a store or queue outage: the next sweep tries again
                log.warning("webhook sweep failed (%s); retrying in %.1f s", type(error).__name__, interval)

    # -- one job -----------------------------------------------------------------------------------
    def _run_job(self, delivery_id: str) -> None:
        """On a huey worker thread: one attempt on the gateway's loop, and a retry asked of huey if needed."""
        loop = self._loop
        if loop is None or loop.is_closed():
            raise RuntimeError("the gateway is not running")
        future = asyncio.run_coroutine_threadsafe(self.attempt(delivery_id), loop)
        delay = future.result(timeout=self.settings.webhook_timeout + _ATTEMPT_SLACK + self.settings.store_timeout * 4)
        if delay is not None:
            raise RetryTask(delay=delay)

    async def attempt(self, delivery_id: str) -> float | None:
        """One attempt at a delivery; the seconds until the next one, or None when there is none."""
        lease = timedelta(seconds=self.settings.webhook_timeout + _ATTEMPT_SLACK)
        claimed = await self.store.webhooks.claim(delivery_id, lease)
        if claimed is None:
            return None  # sent, not yet due, or being sent by another process
        if not claimed.webhook_active:
            await self.store.webhooks.finish(claimed.id, "skipped")
            return None
        status = await self._send(claimed.target_url, claimed.secret, claimed.body)
        if status is not None and 200 <= status < 300:
            await self.store.webhooks.finish(claimed.id, "delivered", status)
            return None
        if claimed.attempts >= self.settings.webhook_max_attempts:
            await self.store.webhooks.finish(claimed.id, "failed", status)
            await self.store.webhooks.deactivate(claimed.webhook_id)
            log.warning("webhook %s failed %d attempts at a delivery; it is deactivated", claimed.webhook_id,
                        claimed.attempts)
            return None
        delay = min(self.settings.webhook_retry_delay * 2 ** (claimed.attempts - 1),
                    self.settings.webhook_retry_max_delay)
        await self.store.webhooks.retry_at(claimed.id, datetime.now(UTC) + timedelta(seconds=delay), status)
        return delay

    async def _send(self, target_url: str, secret: str, body: bytes) -> int | None:
        """POST the body; the answer's status, or None when there was none (refused target, network, timeout)."""
        try:
            # Checked again on each attempt: the rules (or the setting) may have changed since creation.
            check_target(target_url, allow_private=self.settings.webhook_allow_private_targets)
        except GatewayError:
            return None
        assert self._session is not None
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   SIGNATURE_HEADER: signature(secret, body)}
        try:
            async with self._session.post(target_url, data=body, headers=headers, allow_redirects=False) as response:
                await response.read()
                return response.status
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            log.info("webhook delivery to %s failed: %s", _host(target_url), type(error).__name__)
            return None


def _host(url: str) -> str:
    """Only the host in logs: a target URL may carry a token in its path or query."""
    return urlsplit(url).hostname or "?"


def _log_failure(future: Any) -> None:
    error = future.exception()
    if error is not None:
        log.warning("queueing webhook deliveries failed (%s); the sweep will queue them", type(error).__name__)
