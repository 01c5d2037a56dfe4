"""`unigate serve | demo | token create | coverage`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile

DEFAULT_ENVIRONMENT = "default"


async def create_token(settings, name: str, environment: str) -> str:
    from unigate.store import Store

    store = await Store.open(settings)
    try:
        env = await store.ensure_environment(environment)
        _, plaintext = await store.create_token(name, env.id)
        return plaintext
    finally:
        await store.close()


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    workers = args.workers
    if workers > 1 and not os.environ.get("UNIGATE_SANDBOX_URL"):
        # Each worker would start its own sandboxes with their own data: one shared set is what callers expect.
        print("unigate serve: --workers > 1 needs UNIGATE_SANDBOX_URL (one sandbox server shared by the workers); "
              "start one with `uvicorn unigate.sandbox.server:build_sandbox_app --factory`.", file=sys.stderr)
        return 2
    from unigate.observability.logs import uvicorn_log_config

    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker counts its own requests; a shared directory lets /metrics add them all up.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="unigate-metrics-")
    uvicorn.run("unigate.app:create_served_app", factory=True, host=args.host, port=args.port, workers=workers,
                log_level=os.environ.get("UNIGATE_LOG_LEVEL", "info").lower(), access_log=False,
                log_config=uvicorn_log_config(),
                # httptools, with bounded request lines and headers answered in unigate's JSON (serving.py).
                loop="uvloop", http="unigate.serving:JsonErrorsProtocol", proxy_headers=False, server_header=False)
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from unigate.settings import Settings

    token = asyncio.run(create_token(Settings(), args.name, args.environment))
    print(f"Created API token {args.name!r} in environment {args.environment!r}. It is shown only once:")
    print(token)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Sandboxes + gateway + one sandbox account per integration, then serve until interrupted."""
    import threading
    import time

    import requests

    from unigate.app import create_app
    from unigate.serving import start_in_thread
    from unigate.settings import Settings

    if not os.environ.get("UNIGATE_DATA_DIR"):
        os.environ["UNIGATE_DATA_DIR"] = tempfile.mkdtemp(prefix="unigate-demo-")
    settings = Settings()
    token = args.api_token
    if token:
        asyncio.run(_ensure_named_token(settings, token))
    else:
        token = asyncio.run(create_token(settings, "demo", DEFAULT_ENVIRONMENT))
    app = create_app(settings)
    server = start_in_thread(app, host=args.host, port=args.port, log_level="warning")
    base = f"http://{args.host}:{server.port}"
    headers = {"Authorization": f"Bearer {token}"}
    accounts = {}
    existing = requests.get(f"{base}/integrated-account", headers=headers, params={"limit": 1000}, timeout=10).json()
    for account in existing.get("result", []):
        if account["is_sandbox"] and account["tenant_id"] == "demo":
            accounts[account["integration"]["name"]] = account["id"]
    for name in app.gateway.integrations:
        if name not in accounts:
            created = requests.post(f"{base}/integrated-account", headers=headers, timeout=10,
                                    json={"integration": name, "tenant_id": "demo", "is_sandbox": True})
            created.raise_for_status()
            accounts[name] = created.json()["id"]
    print(f"unigate demo: gateway on {base} (data in {settings.data_dir})")
    print(f"sandboxes on {app.gateway.sandbox_url}")
    print("integrated accounts (sandbox):")
    for name, account_id in sorted(accounts.items()):
        print(f"  {name:<14} {account_id}")
    # HubSpot first (the README's example), else the first integration by name.
    first_name = "hubspot" if "hubspot" in accounts else sorted(accounts)[0]
    first_id = accounts[first_name]
    listed = requests.get(f"{base}/unified/crm/accounts", headers=headers,
                          params={"integrated_account_id": first_id, "limit": 1}, timeout=10).json()
    record_id = listed["result"][0]["id"] if listed.get("result") else "<id>"
    print(f"\nDelete a {first_name} account through the unified API:")
    print(f"  curl -s -X DELETE -H 'Authorization: Bearer {token}' \\\n"
          f"    '{base}/unified/crm/accounts/{record_id}?integrated_account_id={first_id}'")
    print(f"\nAPI token:\n{token}", flush=True)
    stop = threading.Event()
    try:
        while not stop.is_set():
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    server.stop()
    return 0


async def _ensure_named_token(settings, token: str) -> None:
    """Demo with a fixed token: register it (hashed) unless it already is."""
    from unigate.store import Store

    store = await Store.open(settings)
    try:
        if await store.environment_for_token(token) is None:
            env = await store.ensure_environment(DEFAULT_ENVIRONMENT)
            await store.import_token("demo", env.id, token)
    finally:
        await store.close()


def cmd_coverage(args: argparse.Namespace) -> int:
    from unigate.coverage import render_coverage

    sys.stdout.write(render_coverage())
    return 0


def main(argv: list[str] | None = None) -> int:
    from unigate.observability.logs import configure_logging

    configure_logging()
    parser = argparse.ArgumentParser(prog="unigate", description="Unified CRM API gateway (Truto-compatible).")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the gateway")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (one per core is typical)")
    serve.set_defaults(func=cmd_serve)

    demo = sub.add_parser("demo", help="run the gateway with the built-in sandboxes and one account per CRM")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--api-token", default=None, help="use this API token instead of creating one")
    demo.set_defaults(func=cmd_demo)

    token = sub.add_parser("token", help="manage API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser("create", help="create an API token (printed once, on the last line)")
    create.add_argument("--name", required=True)
    create.add_argument("--environment", default=DEFAULT_ENVIRONMENT)
    create.set_defaults(func=cmd_token_create)

    coverage = sub.add_parser("coverage", help="print docs/coverage.md from the integration files")
    coverage.set_defaults(func=cmd_coverage)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
