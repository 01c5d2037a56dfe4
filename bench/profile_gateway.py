"""Where the gateway's time goes under load: py-spy samples of `unigate serve` (one worker) while wrk
(or the aiohttp generator) drives one operation at a fixed concurrency.

    .venv/bin/python bench/profile_gateway.py [--seconds 8] [--concurrency 64] [--operation get|delete|list]

Prints, per operation, the share of samples by area of the hot path (edge, auth and account lookup,
mapping, transport, server...) and the functions with the most samples (own and with callees).
py-spy samples another process without changing its code; `--nonblocking` keeps it from pausing
the gateway for each sample. Needs root or ptrace permission (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import aiohttp
from load import LoadGenerator, wrk_available
from processes import free_port, process, wait_for
from run import BIN, CASES, ROOT, create_account

# Leaf-most frame first: the first frame (from the leaf up) whose file matches a rule decides the area.
AREAS = (
    ("mapping (JSONata, jlens)", ("jlens/", "unigate/expressions/")),
    ("normalized format", ("unigate/engine/formats.py",)),
    ("query parsing", ("unigate/edge/query.py",)),
    ("auth and account lookup", ("unigate/gateway.py", "unigate/store/", "unigate/engine/accounts.py",
                                 "sqlalchemy/")),
    ("provider request building", ("unigate/engine/provider_request.py", "unigate/engine/templates.py")),
    ("pagination cursors", ("unigate/engine/pagination.py",)),
    ("rate-limit headers", ("unigate/engine/ratelimit.py",)),
    ("unified call (engine/call.py: prune, shape)", ("unigate/engine/call.py",)),
    ("answer writing (edge/responses.py, orjson)", ("unigate/edge/responses.py",)),
    ("transport (aiohttp client, yarl, multidict)", ("aiohttp/", "yarl/", "multidict/", "unigate/transport.py")),
    ("unified route (edge/unified.py)", ("unigate/edge/unified.py",)),
    ("HTTP server (uvicorn, httptools)", ("uvicorn/", "httptools/")),
    ("app routing", ("unigate/app.py", "starlette/")),
    ("event loop", ("asyncio/", "uvloop/")),
)


def parse_raw(path: Path) -> list[tuple[list[str], int]]:
    """py-spy's raw (collapsed) output: `frame;frame;...;leaf count` per line, root first."""
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


# Leaves that are waiting, not working: the store's worker thread blocked on its queue. py-spy's
# idle detection misses C-level waits such as this one.
IDLE_LEAVES = ("_connection_worker_thread (aiosqlite/core.py",)
# The event loop's own C code (uvloop: polling, socket reads and writes, callback scheduling) shows
# as the Python frame that started the loop.
LOOP_LEAVES = ("Runner.run (asyncio/runners.py", "run (asyncio/runners.py")


def area_of(frames: list[str]) -> str:
    leaf = frames[-1]
    if leaf.startswith(IDLE_LEAVES):
        return "idle"
    if leaf.startswith(LOOP_LEAVES):
        return "event loop (uvloop, in C)"
    for frame in reversed(frames):
        for area, needles in AREAS:
            if any(needle in frame for needle in needles):
                return area
    return "other"


def summarise(stacks: list[tuple[list[str], int]], top: int) -> str:
    """Shares of the busy samples (idle ones left out) by area, own time and inclusive time."""
    areas: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    idle = 0
    for frames, count in stacks:
        area = area_of(frames)
        if area == "idle":
            idle += count
            continue
        areas[area] += count
        own[frames[-1]] += count
        for frame in set(frames):
            if "unigate/" in frame:
                inclusive[frame] += count
    total = sum(areas.values()) or 1
    lines = [f"{total} busy samples ({idle} idle left out)", "", "| area | share |", "|---|---|"]
    lines += [f"| {area} | {count / total:.1%} |" for area, count in areas.most_common()]
    lines += ["", "| function (own time) | share |", "|---|---|"]
    lines += [f"| `{frame}` | {count / total:.1%} |" for frame, count in own.most_common(top)]
    lines += ["", "| unigate function (with callees) | share |", "|---|---|"]
    lines += [f"| `{frame}` | {count / total:.1%} |" for frame, count in inclusive.most_common(top)]
    return "\n".join(lines)


async def drive(gateway: str, token: str, account: str, sandbox: str, operation: str, concurrency: int,
                seconds: float, gateway_pid: int, use_wrk: bool) -> list[tuple[list[str], int]]:
    case = {case.label: case for case in CASES}[{"get": "hubspot get", "delete": "hubspot delete",
                                                  "list": "hubspot page 100"}[operation]]
    url = case.gateway_url(gateway, account)
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as session:
        async with session.post(f"{sandbox}/__control/hubspot/reset", json={"count": 200}) as response:
            response.raise_for_status()
        load = LoadGenerator(session, use_wrk)
        await load.run(case.method, url, headers, concurrency, 1)  # warm-up
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "profile.txt"
            # Started once, before the measured load: the blocking call costs nothing measured.
            spy = subprocess.Popen([str(BIN / "py-spy"), "record", "--pid", str(gateway_pid), "--duration",  # noqa: ASYNC220
                                    str(round(seconds)), "--rate", "200", "--nonblocking", "--format", "raw",
                                    "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            figures = await load.run(case.method, url, headers, concurrency, seconds)
            _, errors = await asyncio.to_thread(spy.communicate)
            if spy.returncode != 0:
                raise RuntimeError(f"py-spy failed: {errors.decode()[-500:]}")
            print(f"{case.label}, concurrency {concurrency}: {figures['rps']:,.0f} req/s, "
                  f"p50 {figures['p50_ms']:.2f} ms, {figures['failures']} failures")
            return parse_raw(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--operation", choices=("get", "delete", "list"), action="append",
                        help="repeatable; default: get and list")
    parser.add_argument("--top", type=int, default=20, help="functions listed")
    parser.add_argument("--no-wrk", action="store_true")
    args = parser.parse_args()
    operations = args.operation or ["get", "list"]
    use_wrk = wrk_available() and not args.no_wrk
    sandbox_port, gateway_port = free_port(), free_port()
    sandbox, gateway = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{gateway_port}"
    env = {**os.environ, "UNIGATE_DATA_DIR": tempfile.mkdtemp(prefix="unigate-profile-"),
           "UNIGATE_SANDBOX_URL": sandbox, "UNIGATE_SANDBOXES": "on", "UNIGATE_LOG_LEVEL": "warning",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    env.pop("UNIGATE_DATABASE_URL", None)
    token = subprocess.run([str(BIN / "unigate"), "token", "create", "--name", "profile"], env=env, check=True,
                           capture_output=True, text=True).stdout.strip().splitlines()[-1]
    sandbox_cmd = [str(BIN / "uvicorn"), "unigate.sandbox.server:build_sandbox_app", "--factory", "--host",
                   "127.0.0.1", "--port", str(sandbox_port), "--log-level", "warning", "--no-access-log",
                   "--loop", "uvloop", "--http", "httptools"]
    gateway_cmd = [str(BIN / "unigate"), "serve", "--host", "127.0.0.1", "--port", str(gateway_port)]
    with process(sandbox_cmd, env), process(gateway_cmd, env) as gateway_proc:
        wait_for(f"{sandbox}/__control/hubspot/records/accounts")
        wait_for(f"{gateway}/health")
        account = create_account(gateway, token, "hubspot")
        for operation in operations:
            stacks = asyncio.run(drive(gateway, token, account, sandbox, operation, args.concurrency, args.seconds,
                                       gateway_proc.pid, use_wrk))
            print(summarise(stacks, args.top), end="\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
