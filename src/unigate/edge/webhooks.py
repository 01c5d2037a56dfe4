"""Webhook routes in Truto's shapes (https://truto.one/docs/guides/webhooks/overview): POST|GET /webhook,
GET|PATCH|DELETE /webhook/{id}, POST /webhook/test. Delivery is engine/webhooks.py."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.edge.admin import json_response
from unigate.edge.redaction import MASK
from unigate.edge.size_limits import json_object_body
from unigate.engine.webhook_targets import check_target
from unigate.errors import GatewayError
from unigate.gateway import Gateway
from unigate.store.webhooks import ALL_EVENTS, EVENTS, Webhook

# What POST /webhook/test sends (Truto's test event).
TEST_EVENT = "test"
TEST_PAYLOAD = {"foo": "bar"}


def webhook_json(webhook: Webhook, secret: str | None = None) -> dict[str, Any]:
    """A webhook as the API shows it: the secret in full only in the answer that created it."""
    return {"id": webhook.id, "environment_id": webhook.environment_id, "target_url": webhook.target_url,
            "event_types": webhook.event_types, "is_active": webhook.is_active,
            "secret": secret if secret is not None else MASK,
            "created_at": webhook.created_at.isoformat().replace("+00:00", "Z"),
            "updated_at": webhook.updated_at.isoformat().replace("+00:00", "Z")}


def check_event_types(value: Any) -> list[str]:
    if (not isinstance(value, list) or not value
            or not all(isinstance(v, str) and (v in EVENTS or v == ALL_EVENTS) for v in value)):
        raise GatewayError(400, f"event_types must be a non-empty array of: {ALL_EVENTS}, {', '.join(EVENTS)}.")
    return list(dict.fromkeys(value))


class WebhookRoutes:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def routes(self) -> list[Route]:
        return [
            Route("/webhook", self.list_webhooks, methods=["GET"]),
            Route("/webhook", self.create_webhook, methods=["POST"]),
            Route("/webhook/test", self.test_webhook, methods=["POST"]),
            Route("/webhook/{id}", self.get_webhook, methods=["GET"]),
            Route("/webhook/{id}", self.update_webhook, methods=["PATCH"]),
            Route("/webhook/{id}", self.delete_webhook, methods=["DELETE"]),
        ]

    @property
    def _webhooks(self):
        assert self.gateway.store is not None
        return self.gateway.store.webhooks

    async def _environment(self, request: Request) -> str:
        return await self.gateway.environment_for(request.headers.get("authorization"))

    async def _body(self, request: Request) -> dict[str, Any]:
        return await json_object_body(request, self.gateway.settings.max_body_bytes)

    def _target(self, value: Any) -> str:
        return check_target(value, allow_private=self.gateway.settings.webhook_allow_private_targets)

    async def _find(self, environment_id: str, webhook_id: Any) -> Webhook:
        webhook = None
        if isinstance(webhook_id, str) and _is_uuid(webhook_id):
            webhook = await self._webhooks.get(environment_id, webhook_id)
        if webhook is None:
            raise GatewayError(404, f"No webhook {str(webhook_id)[:64]!r} in this token's environment.")
        return webhook

    async def list_webhooks(self, request: Request) -> Response:
        environment_id = await self._environment(request)
        found = await self._webhooks.all(environment_id)
        return json_response({"result": [webhook_json(w) for w in found], "next_cursor": None,
                              "limit": len(found)})

    async def create_webhook(self, request: Request) -> Response:
        environment_id = await self._environment(request)
        body = await self._body(request)
        unknown = set(body) - {"target_url", "event_types", "is_active"}
        if unknown:
            raise GatewayError(400, f"Unknown fields: {', '.join(sorted(unknown))}.")
        target_url = self._target(body.get("target_url"))
        event_types = check_event_types(body.get("event_types"))
        is_active = body.get("is_active", True)
        if not isinstance(is_active, bool):
            raise GatewayError(400, "is_active must be true or false.")
        webhook, secret = await self._webhooks.create(environment_id, target_url, event_types, is_active)
        return json_response(webhook_json(webhook, secret), 201)

    async def get_webhook(self, request: Request) -> Response:
        environment_id = await self._environment(request)
        return json_response(webhook_json(await self._find(environment_id, request.path_params["id"])))

    async def update_webhook(self, request: Request) -> Response:
        environment_id = await self._environment(request)
        webhook = await self._find(environment_id, request.path_params["id"])
        body = await self._body(request)
        unknown = set(body) - {"target_url", "event_types", "is_active"}
        if unknown:
            raise GatewayError(400, f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
        changes: dict[str, Any] = {}
        if "target_url" in body:
            changes["target_url"] = self._target(body["target_url"])
        if "event_types" in body:
            changes["event_types"] = check_event_types(body["event_types"])
        if "is_active" in body:
            if not isinstance(body["is_active"], bool):
                raise GatewayError(400, "is_active must be true or false.")
            changes["is_active"] = body["is_active"]
        updated = await self._webhooks.update(environment_id, webhook.id, **changes)
        if updated is None:
            raise GatewayError(404, f"No webhook {webhook.id!r} in this token's environment.")
        return json_response(webhook_json(updated))

    async def delete_webhook(self, request: Request) -> Response:
        environment_id = await self._environment(request)
        webhook = await self._find(environment_id, request.path_params["id"])
        await self._webhooks.delete(environment_id, webhook.id)
        return json_response({"id": webhook.id})

    async def test_webhook(self, request: Request) -> Response:
        """`POST /webhook/test {id}`: the `test` event, to that webhook only, through the same queue."""
        environment_id = await self._environment(request)
        body = await self._body(request)
        webhook = await self._find(environment_id, body.get("id"))
        if not webhook.is_active:
            raise GatewayError(400, f"The webhook {webhook.id} is not active; PATCH it with is_active true first.")
        await self._webhooks.record_now(environment_id, TEST_EVENT, TEST_PAYLOAD, only=webhook.id)
        return json_response({"success": True})


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
