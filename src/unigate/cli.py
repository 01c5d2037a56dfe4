"""`unigate serve | demo | token create|list|revoke | coverage`."""

from __future__ import annotations

import argparse
import asyncio
import errno
import os
import shutil
import socket
import sys
import tempfile

from unigate.observability.logs import LOG_FORMATS, configure_logging, log_format

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


def listen_problem(command: str, host: str, port: int) -> str | None:
    """One line saying why `host:port` cannot be listened on (and how to pick another port), or None.

    Checked before anything starts, so a busy port ends in this line rather than a traceback."""
    if port == 0:
        return None
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.create_server((host, port), family=family):  # SO_REUSEADDR, as uvicorn binds
            return None
    except socket.gaierror as exc:
        return f"unigate {command}: cannot listen on {host} ({exc.strerror or exc}); check --host"
    except OSError as exc:
        other = port + 1 if port < 65535 else port - 1
        reason = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be listened on ({exc.strerror or exc})"
        return (f"unigate {command}: port {port} on {host} {reason}; pick another with --port {other}, "
                f"UNIGATE_PORT={other}" + (f" or `make run PORT={other}`" if command == "demo" else ""))


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    problem = listen_problem("serve", args.host, args.port)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    os.environ["UNIGATE_LOG_FORMAT"] = args.log_format  # read again in each worker process
    workers = args.workers
    from unigate.settings import Settings

    try:
        sandboxes = Settings.for_serving().sandboxes
    except ValueError as exc:
        print(f"unigate serve: {exc}", file=sys.stderr)
        return 2
    if workers > 1 and sandboxes and not os.environ.get("UNIGATE_SANDBOX_URL"):
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


async def list_tokens(settings) -> list[tuple[str, str, str, str]]:
    """(id, name, environment name, created at) of every API token; never the token or its hash."""
    from unigate.store import Store

    store = await Store.open(settings)
    try:
        names: dict[str, str] = {}
        rows = []
        for token in await store.list_tokens():
            if token.environment_id not in names:
                env = await store.get_environment(token.environment_id)
                names[token.environment_id] = env.name if env else token.environment_id
            rows.append((token.id, token.name, names[token.environment_id],
                         token.created_at.isoformat().replace("+00:00", "Z")))
        return rows
    finally:
        await store.close()


async def revoke_token(settings, token_id: str) -> bool:
    from unigate.store import Store

    store = await Store.open(settings)
    try:
        return await store.revoke_token(token_id)
    finally:
        await store.close()


def cmd_token_list(args: argparse.Namespace) -> int:
    from unigate.settings import Settings

    rows = asyncio.run(list_tokens(Settings()))
    print("id\tname\tenvironment\tcreated_at")
    for row in rows:
        print("\t".join(row))
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from unigate.settings import Settings

    if not asyncio.run(revoke_token(Settings(), args.id)):
        print(f"No API token with id {args.id!r} (`unigate token list` shows them).", file=sys.stderr)
        return 1
    print(f"Revoked API token {args.id}: it no longer works on any gateway process.")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from unigate.settings import Settings

    token = asyncio.run(create_token(Settings(), args.name, args.environment))
    print(f"Created API token {args.name!r} in environment {args.environment!r}. It is shown only once:")
    print(token)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Sandboxes + gateway + one sandbox account per integration, then serve until interrupted."""
    problem = listen_problem("demo", args.host, args.port)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    temporary_dir = None
    if not os.environ.get("UNIGATE_DATA_DIR"):
        temporary_dir = tempfile.mkdtemp(prefix="unigate-demo-")
        os.environ["UNIGATE_DATA_DIR"] = temporary_dir
    try:
        return _run_demo(args)
    finally:
        if temporary_dir is not None:  # the demo's data lives as long as the demo
            shutil.rmtree(temporary_dir, ignore_errors=True)


def _run_demo(args: argparse.Namespace) -> int:
    import logging
    import signal
    import threading
    import time

    import requests

    from unigate.app import create_app
    from unigate.serving import start_in_thread
    from unigate.settings import Settings

    settings = Settings()
    settings.sandboxes = True  # the demo is the sandboxes: on whatever UNIGATE_SANDBOXES says
    token = args.api_token
    if token:
        asyncio.run(_ensure_named_token(settings, token))
    else:
        token = asyncio.run(create_token(settings, "demo", DEFAULT_ENVIRONMENT))
    app = create_app(settings)
    # The demo's own set-up calls are not the user's: no access lines between the banner's lines.
    access_log = logging.getLogger("unigate.access")
    access_level = access_log.level
    access_log.setLevel(logging.WARNING)
    try:
        server = start_in_thread(app, host=args.host, port=args.port, log_level="warning")
    except RuntimeError:  # the port was taken between the check and the bind
        print(listen_problem("demo", args.host, args.port) or f"unigate demo: cannot listen on {args.host}:{args.port}",
              file=sys.stderr)
        return 2
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
    access_log.setLevel(access_level)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # `kill` stops the demo as Ctrl-C does, temp folder removed
    try:
        while not stop.is_set():
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    try:
        server.stop()
    except KeyboardInterrupt:  # a second Ctrl-C while stopping: stop now, without a traceback
        pass
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


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Each option's default after its help; the epilog (environment variables) kept as written."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.required:  # "(default: None)" says nothing
            return action.help
        return super()._get_help_string(action)


# What each command reads from the environment, shown under its --help. The gateway's settings are
# described in docs/deploy.md and docs/api.md; their defaults are in unigate/settings.py.
_STORE_ENVIRONMENT = """\
  UNIGATE_DATA_DIR           SQLite database and key file (default: ./data; `demo`: a new temporary folder)
  UNIGATE_DATABASE_URL       PostgreSQL instead of SQLite, e.g. postgresql+asyncpg://user@host/db
  UNIGATE_SECRET_KEY         key that encrypts stored credentials (default: a key file in UNIGATE_DATA_DIR)
"""
_LOG_ENVIRONMENT = """\
  UNIGATE_LOG_FORMAT         json, text or short (--log-format wins)
  UNIGATE_LOG_LEVEL          debug, info, warning or error (default: info)
  UNIGATE_ACCESS_LOG         off drops the line per request (default: on)
"""
_GATEWAY_ENVIRONMENT = """\
  UNIGATE_SANDBOXES          on: sandbox integrated accounts (is_sandbox) and the built-in sandboxes; off: no
                             sandbox server, creating a sandbox account answers 403 (default: off; demo: on)
  UNIGATE_SANDBOX_URL        a running sandbox server (default: sandboxes started in this process)
  UNIGATE_SANDBOX_MAX_SPACES, UNIGATE_SANDBOX_MAX_RECORDS, UNIGATE_SANDBOX_MAX_RECORD_BYTES,
  UNIGATE_SANDBOX_MAX_BODY_BYTES   bounds of the built-in sandboxes' data (20, 1000, 16384, 262144;
                             docs/deploy.md "Sandbox accounts")
  UNIGATE_REDIS_URL          Redis for idempotency claims and rate-limit counts (default: the database)
  UNIGATE_PUBLIC_URL         the gateway's URL as callers see it, for OAuth redirects
  UNIGATE_OAUTH_<CRM>_CLIENT_ID, UNIGATE_OAUTH_<CRM>_CLIENT_SECRET   your OAuth app per CRM
  UNIGATE_CONNECT_TIMEOUT    seconds to connect to a CRM (default: 5)
  UNIGATE_READ_TIMEOUT       seconds to wait for a CRM's answer (default: 30)
  UNIGATE_RETRIES            retries of a failed CRM call (default: 3)
  UNIGATE_RETRY_BASE_DELAY, UNIGATE_RETRY_MAX_DELAY, UNIGATE_RETRY_BUDGET   retry waits in seconds (0.25, 5, 10)
  UNIGATE_LIMIT_PER_TOKEN, UNIGATE_LIMIT_PER_ACCOUNT   gateway rate limits, e.g. 500/10s (default: none)
  UNIGATE_CACHE_TTL          seconds a token or account is cached (default: 5)
  UNIGATE_CACHE_VALIDATION   strict or notify (default: strict; docs/deploy.md)
  UNIGATE_LOOKUP_TTL         seconds an account's field definitions and stage lists are kept (default: 60)
  UNIGATE_IDEMPOTENCY_TTL    seconds an Idempotency-Key answer is kept (default: 86400)
  UNIGATE_IDEMPOTENCY_LEASE  seconds a claimed key waits for its first call (default: 300)
  UNIGATE_MAX_QUERY_BYTES    longest query string (default: 16384)
  UNIGATE_MAX_BODY_BYTES     largest request body (default: 1048576)
  UNIGATE_STORE_TIMEOUT      seconds any database or Redis wait may take before a 503 (default: 2)
  UNIGATE_STORE_RETRY_INTERVAL   seconds a failed Redis is skipped before one probe; the 503's Retry-After (default: 2)
  UNIGATE_INVALID_TOKEN_TTL  seconds an unknown API token is remembered (default: 1)
  UNIGATE_WEBHOOK_ALLOW_PRIVATE_TARGETS   true: webhooks may point at loopback, private hosts and plain http
                             (development only; default: false)
  UNIGATE_WEBHOOK_MAX_ATTEMPTS   attempts per webhook delivery before the webhook is deactivated (default: 8)
  UNIGATE_WEBHOOK_RETRY_DELAY, UNIGATE_WEBHOOK_RETRY_MAX_DELAY   seconds before the first retry, doubled up to
                             the maximum (5, 300)
  UNIGATE_WEBHOOK_TIMEOUT    seconds one webhook delivery may take (default: 10)
  UNIGATE_WEBHOOK_SWEEP_INTERVAL   seconds between looks for deliveries to queue again (default: 5)
  UNIGATE_WEBHOOK_WORKERS    webhook delivery threads per process (default: 2)
"""


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (0-65535); check --port and UNIGATE_PORT")
    return port


def _add_listen_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    # A string default goes through `type`, so a bad UNIGATE_PORT is reported like a bad --port.
    parser.add_argument("--port", type=_port, default=os.environ.get("UNIGATE_PORT", "8000"),
                        help="port to listen on (UNIGATE_PORT when set)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="unigate", description="Unified CRM API gateway (Truto-compatible).",
                                     formatter_class=_HelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str, epilog: str | None = None) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=help_text, formatter_class=_HelpFormatter,
                              epilog=epilog)

    serve = command("serve", "run the gateway",
                    "environment variables:\n  UNIGATE_PORT               port, when --port is not given\n"
                    + _STORE_ENVIRONMENT + _LOG_ENVIRONMENT + _GATEWAY_ENVIRONMENT)
    _add_listen_options(serve)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (one per core is typical)")
    serve.add_argument("--log-format", choices=sorted(LOG_FORMATS), default=log_format("json"),
                       help="json: one JSON object a line; text: classic lines; short: one brief line a request "
                            "(UNIGATE_LOG_FORMAT when set)")
    serve.set_defaults(func=cmd_serve)

    demo = command("demo", "run the gateway with the built-in sandboxes and one account per CRM",
                   "environment variables:\n  UNIGATE_PORT               port, when --port is not given\n"
                   + _STORE_ENVIRONMENT + _LOG_ENVIRONMENT
                   + "  (and every variable `unigate serve --help` lists)\n")
    _add_listen_options(demo)
    demo.add_argument("--api-token", default=None, help="use this API token instead of creating one (default: a new token, printed last)")
    demo.add_argument("--log-format", choices=sorted(LOG_FORMATS), default=log_format("short"),
                      help="short: one brief line a request; json: one JSON object a line; text: classic lines "
                           "(UNIGATE_LOG_FORMAT when set)")
    demo.set_defaults(func=cmd_demo)

    token = command("token", "manage API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser("create", help="create an API token (printed once, on the last line)",
                                  description="Create an API token; it is printed once, on the last line.",
                                  formatter_class=_HelpFormatter,
                                  epilog="environment variables:\n" + _STORE_ENVIRONMENT)
    create.add_argument("--name", required=True, help="a name for the token, to tell tokens apart")
    create.add_argument("--environment", default=DEFAULT_ENVIRONMENT,
                        help="the environment the token belongs to (created when new)")
    create.set_defaults(func=cmd_token_create)
    listing = token_sub.add_parser("list", help="list API tokens (id, name, environment, created_at; never the token)",
                                   description="List every API token: id, name, environment and creation time. The "
                                               "tokens themselves are stored only as hashes.",
                                   formatter_class=_HelpFormatter, epilog="environment variables:\n" + _STORE_ENVIRONMENT)
    listing.set_defaults(func=cmd_token_list)
    revoke = token_sub.add_parser("revoke", help="revoke an API token by id (it stops working at once)",
                                  description="Revoke an API token by its id (from `unigate token list`); every "
                                              "gateway process refuses it from its next call.",
                                  formatter_class=_HelpFormatter, epilog="environment variables:\n" + _STORE_ENVIRONMENT)
    revoke.add_argument("id", help="the token's id")
    revoke.set_defaults(func=cmd_token_revoke)

    coverage = command("coverage", "print docs/coverage.md from the integration files")
    coverage.set_defaults(func=cmd_coverage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(getattr(args, "log_format", None))
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
