"""Admin routes in Truto's shapes (https://truto.one/docs/api-reference/admin/integrated-accounts): integrated accounts, integrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.edge.account_input import check_context_values, check_tenant_id, list_cursor, list_filter
from unigate.edge.meta import capabilities, proxy_json
from unigate.edge.query import as_list, parse_query
from unigate.edge.redaction import context_patch as patch_keeping_secrets
from unigate.edge.redaction import redact
from unigate.edge.size_limits import json_object_body
from unigate.engine.accounts import check_context, resolve_auth, sandboxes_off
from unigate.engine.sandbox_spaces import new_space_key, space_context
from unigate.engine.spec import Integration
from unigate.errors import GatewayError
from unigate.gateway import Gateway
from unigate.store import UNSET, IntegratedAccount

ACCOUNT_STATUSES = ("active", "needs_reauth", "disabled")


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def account_json(gateway: Gateway, account: IntegratedAccount) -> dict[str, Any]:
    integration = gateway.integration(account.integration)
    secret_paths = integration.secret_fields() if integration else set()
    return {
        "id": account.id,
        "tenant_id": account.tenant_id,
        "environment_id": account.environment_id,
        "integration": {
            "name": account.integration,
            "label": integration.label if integration else account.integration,
            "category": integration.category if integration else None,
        },
        "status": account.status,
        "is_sandbox": account.is_sandbox,
        "authentication_method": account.authentication_method,
        "context": redact(account.context, secret_paths),
        "created_at": _iso(account.created_at),
        "updated_at": _iso(account.updated_at),
    }


def integration_json(integration: Integration) -> dict[str, Any]:
    return {
        "name": integration.name,
        "label": integration.label,
        "category": integration.category,
        "docs_url": integration.docs_url,
        "auth": [
            {
                "method": a.method,
                "label": a.label,
                "fields": [{"name": f.name, "label": f.label, "secret": f.secret, "required": f.required}
                           for f in a.fields],
            }
            for a in integration.auth
        ],
        "unified": [
            {
                "model": m.model,
                "resource": m.resource,
                "methods": list(m.methods),
                "custom_methods": list(m.custom_methods),
                "fields": list(m.fields),
                "writable_fields": list(m.writable),
                # on create: each entry one field, or fields of which one will do; then those filled in when absent
                "required_fields": [list(entry) for entry in m.required],
                "defaulted_fields": [name for name, _ in m.methods["create"].defaults] if "create" in m.methods else [],
                "value_formats": m.formats,
                "list_filters": list(m.filters),
                "list_filter_operators": {name: list(ops) for name, ops in m.filter_operators.items()},
                "sort_by": list(m.sort_by),
                "values": {name: list(allowed) for name, allowed in m.values.items()},
                "exclusive_fields": [list(group) for group in m.exclusive],
                "not_held": m.not_held,
                "not_supported": m.not_supported,
                "beyond_truto": m.beyond_truto,
            }
            for m in integration.mappings.values()
        ],
        "not_mapped": integration.not_mapped,
        "proxy": proxy_json(integration),
    }


class AdminRoutes:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def routes(self) -> list[Route]:
        return [
            Route("/integrated-account", self.list_accounts, methods=["GET"]),
            Route("/integrated-account", self.create_account, methods=["POST"]),
            Route("/integrated-account/token", self.create_account_token, methods=["POST"]),
            Route("/integrated-account/me", self.get_me, methods=["GET"]),
            Route("/integrated-account/me", self.update_me, methods=["PATCH"]),
            Route("/integrated-account/{id}", self.get_account, methods=["GET"]),
            Route("/integrated-account/{id}", self.update_account, methods=["PATCH"]),
            Route("/integrated-account/{id}", self.delete_account, methods=["DELETE"]),
            Route("/api-token", self.list_api_tokens, methods=["GET"]),
            Route("/api-token/{id}", self.revoke_api_token, methods=["DELETE"]),
            Route("/integration", self.list_integrations, methods=["GET"]),
            Route("/integration/{name}", self.get_integration, methods=["GET"]),
            Route("/integration/{name}/capabilities", self.integration_capabilities, methods=["GET"]),
            Route("/integrated-account/{id}/capabilities", self.account_capabilities, methods=["GET"]),
        ]

    async def _environment(self, request: Request) -> str:
        return await self.gateway.environment_for(request.headers.get("authorization"))

    async def _body(self, request: Request) -> dict[str, Any]:
        return await json_object_body(request, self.gateway.settings.max_body_bytes)

    @property
    def store(self):
        assert self.gateway.store is not None
        return self.gateway.store

    # -- integrated accounts -------------------------------------------------------------------------
    async def list_accounts(self, request: Request) -> Response:
        environment_id = await self._environment(request)
        query = parse_query(request.url.query)
        integration = list_filter(query, "integration.name")
        if integration is None and isinstance(query.get("integration"), dict):
            integration = list_filter(query["integration"], "name")
        tenant_id = list_filter(query, "tenant_id")
        status = list_filter(query, "status", ACCOUNT_STATUSES)
        limit_raw = query.get("limit") or "100"
        try:
            limit = max(1, min(int(limit_raw), 1000))
        except (TypeError, ValueError):
            raise GatewayError(400, "limit must be an integer between 1 and 1000.") from None
        cursor = list_cursor(query)
        try:
            accounts, next_cursor = await self.store.list_accounts(
                environment_id, integration=integration, tenant_id=tenant_id,
                status=status, limit=limit, cursor=cursor)
        except ValueError:
            raise GatewayError(400, "next_cursor is not valid; pass the value from the previous page.") from None
        return json_response({"result": [account_json(self.gateway, a) for a in accounts],
                              "next_cursor": next_cursor, "limit": limit})

    async def create_account(self, request: Request) -> Response:
        environment_id = await self._environment(request)
        body = await self._body(request)
        name = body.get("integration")
        if isinstance(name, dict):
            name = name.get("name")
        integration = self.gateway.integration(name)
        if integration is None:
            raise GatewayError(400, f"integration must be one of: {', '.join(self.gateway.integrations)}.")
        context = body.get("context", {})
        if not isinstance(context, dict):
            raise GatewayError(400, "context must be an object of the integration's credentials.")
        check_context_values(context)
        is_sandbox = body.get("is_sandbox", False)
        if not isinstance(is_sandbox, bool):
            raise GatewayError(400, "is_sandbox must be true or false.")
        if is_sandbox:
            if not self.gateway.settings.sandboxes:
                raise sandboxes_off()
            # A sandbox account works with no credentials: the emulator's, naming a data space of the
            # account's own (engine/sandbox_spaces.py), fill the gaps.
            context = {**space_context(integration, new_space_key()), **context}
        tenant_id = check_tenant_id(body.get("tenant_id"))
        auth = resolve_auth(integration, body.get("authentication_method"), context)
        # Refused before it is stored: a context naming a host that is not the CRM's (docs/reliability.md).
        check_context(integration, context, is_sandbox=is_sandbox, sandbox_url=self.gateway.sandbox_url)
        account = await self.store.create_account(environment_id, integration.name, context, tenant_id=tenant_id,
                                                  is_sandbox=is_sandbox, authentication_method=auth.method)
        return json_response(account_json(self.gateway, account), 201)

    async def get_account(self, request: Request) -> Response:
        environment_id = await self._environment(request)
        account = await self._find(environment_id, request.path_params["id"])
        return json_response(account_json(self.gateway, account))

    async def _find(self, environment_id: str, account_id: str) -> IntegratedAccount:
        account = None
        if _is_uuid(account_id):
            account = await self.store.get_account(environment_id, account_id)
        if account is None:
            raise GatewayError(404, f"No integrated account {account_id} in this token's environment.")
        return account

    async def update_account(self, request: Request) -> Response:
        environment_id = await self._environment(request)
        account = await self._find(environment_id, request.path_params["id"])
        return await self._update(environment_id, account, await self._body(request))

    # -- integrated-account tokens (auth/account_tokens.py) ------------------------------------------------
    async def create_account_token(self, request: Request) -> Response:
        """`POST /integrated-account/token {integrated_account_id}` with an API token: a 15-minute token that
        reaches that one account (https://preview.truto.one/docs/api-reference/admin/integrated-accounts/create-token)."""
        environment_id = await self._environment(request)
        body = await self._body(request)
        account_id = body.get("integrated_account_id")
        if not isinstance(account_id, str) or not account_id:
            raise GatewayError(400, "integrated_account_id is required: the account the token may reach.",
                               insight={"missing_required_fields": {"description": "Required body fields.",
                                                                    "value": ["integrated_account_id"]}})
        account = await self._find(environment_id, account_id)
        assert self.gateway.account_tokens is not None
        token, expires_at = self.gateway.account_tokens.issue(environment_id, account.id)
        return json_response({"integrated_account_token": token,
                              "expires_at": _iso(datetime.fromtimestamp(expires_at, UTC))}, 201)

    async def _me(self, request: Request) -> tuple[str, IntegratedAccount]:
        caller = await self.gateway.caller_for(request.headers.get("authorization"))
        if caller.account_id is None:
            raise GatewayError(403, "/integrated-account/me answers an integrated-account token; with an API token "
                                    "use /integrated-account/{id}.")
        return caller.environment_id, await self._find(caller.environment_id, caller.account_id)

    async def get_me(self, request: Request) -> Response:
        _, account = await self._me(request)
        return json_response(account_json(self.gateway, account))

    async def update_me(self, request: Request) -> Response:
        """The token's account may change its own context (a widget's settings), nothing else: its tenant and
        status are the app's to set."""
        environment_id, account = await self._me(request)
        body = await self._body(request)
        if set(body) - {"context"}:
            raise GatewayError(400, "An integrated-account token may change only context; these fields are the "
                                    f"app's: {', '.join(sorted(set(body) - {'context'}))}.")
        return await self._update(environment_id, account, body)

    async def _update(self, environment_id: str, account: IntegratedAccount, body: dict[str, Any]) -> Response:
        changes: dict[str, Any] = {}
        if "tenant_id" in body:
            changes["tenant_id"] = check_tenant_id(body["tenant_id"])
        if "status" in body:
            if body["status"] not in ACCOUNT_STATUSES:
                raise GatewayError(400, f"status must be one of: {', '.join(ACCOUNT_STATUSES)}.")
            changes["status"] = body["status"]
        if "authentication_method" in body:
            integration = self.gateway.integration(account.integration)
            if integration is None or integration.auth_format(body["authentication_method"]) is None:
                raise GatewayError(400, "authentication_method is not one of the integration's methods.")
            changes["authentication_method"] = body["authentication_method"]
        context_patch = None
        if "context" in body:
            if not isinstance(body["context"], dict):
                raise GatewayError(400, "context must be an object; it is merged into the stored context.")
            check_context_values(body["context"])
            integration = self.gateway.integration(account.integration)
            secret_paths = integration.secret_fields() if integration else set()
            context_patch = patch_keeping_secrets(account.context, body["context"], secret_paths)
        unknown = set(body) - {"tenant_id", "status", "authentication_method", "context"}
        if unknown:
            raise GatewayError(400, f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
        integration = self.gateway.integration(account.integration)
        if context_patch is not None and integration is not None:
            # The same shallow merge the store applies, checked before anything is written.
            check_context(integration, {**account.context, **context_patch}, is_sandbox=account.is_sandbox,
                          sandbox_url=self.gateway.sandbox_url)
        updated = await self.store.update_account(
            environment_id, account.id, tenant_id=changes.get("tenant_id", UNSET),
            status=changes.get("status", UNSET),
            authentication_method=changes.get("authentication_method", UNSET), context_patch=context_patch)
        if updated is None:
            raise GatewayError(404, f"No integrated account {account.id} in this token's environment.")
        return json_response(account_json(self.gateway, updated))

    async def delete_account(self, request: Request) -> Response:
        environment_id = await self._environment(request)
        account = await self._find(environment_id, request.path_params["id"])
        await self.store.delete_account(environment_id, account.id)
        return json_response({"id": account.id})

    # -- API tokens ------------------------------------------------------------------------------------
    async def list_api_tokens(self, request: Request) -> Response:
        """The environment's API tokens: id, name, created_at (a token is stored only as its hash)."""
        environment_id = await self._environment(request)
        tokens = await self.store.list_tokens(environment_id)
        return json_response({"result": [{"id": t.id, "name": t.name, "created_at": _iso(t.created_at)}
                                         for t in tokens], "next_cursor": None})

    async def revoke_api_token(self, request: Request) -> Response:
        """Revoke one of the environment's API tokens (the caller's own included); every process refuses it
        from its next call."""
        environment_id = await self._environment(request)
        token_id = request.path_params["id"]
        if not _is_uuid(token_id) or not await self.store.revoke_token(token_id, environment_id):
            raise GatewayError(404, f"No API token {token_id[:64]!r} in this token's environment.")
        return json_response({"id": token_id})

    # -- integrations ------------------------------------------------------------------------------
    async def list_integrations(self, request: Request) -> Response:
        await self._environment(request)
        return json_response({"result": [integration_json(i) for i in self.gateway.integrations.values()],
                              "next_cursor": None})

    async def get_integration(self, request: Request) -> Response:
        await self._environment(request)
        integration = self.gateway.integration(request.path_params["name"])
        if integration is None:
            raise GatewayError(404, f"No integration {request.path_params['name']!r}.")
        return json_response(integration_json(integration))


    # -- capabilities -----------------------------------------------------------------------------------
    def _capabilities(self, request: Request, integration: Integration) -> dict[str, Any]:
        query = parse_query(request.url.query)
        kind, resource = query.get("type") or "all", query.get("resource")
        if not isinstance(kind, str) or not (resource is None or isinstance(resource, str)):
            raise GatewayError(400, "type and resource each take one value.")
        return capabilities(integration, self.gateway.resources, kind, as_list(query.get("methods")) or None, resource)

    async def integration_capabilities(self, request: Request) -> Response:
        await self._environment(request)
        integration = self.gateway.integration(request.path_params["name"])
        if integration is None:
            raise GatewayError(404, f"No integration {request.path_params['name'][:64]!r}.")
        return json_response(self._capabilities(request, integration))

    async def account_capabilities(self, request: Request) -> Response:
        environment_id = await self._environment(request)
        account = await self._find(environment_id, request.path_params["id"])
        integration = self.gateway.integration(account.integration)
        if integration is None:
            raise GatewayError(404, f"The account's integration {account.integration!r} is not installed.")
        body = self._capabilities(request, integration)
        body["environment_id"] = account.environment_id
        body["account"] = {"id": account.id, "status": account.status,
                           "authentication_method": account.authentication_method}
        return json_response(body)


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
