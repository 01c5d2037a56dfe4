"""Gateway overhead, measured: the same sandbox called directly and through the gateway, in one run.

Processes (all on loopback): the sandbox server, the gateway (`unigate serve`, pointed at that
sandbox), and this load generator (aiohttp, one pooled session). Every figure is taken in the same
run, so compare the direct and gateway columns, not absolute numbers across machines.

    .venv/bin/python bench/run.py [--quick] [--json out.json]

Method and results: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 30.0) -> None:
    import urllib.request

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def process(args: list[str], env: dict[str, str]):
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def load(session: aiohttp.ClientSession, method: str, urls: list[str], headers: dict[str, str],
               concurrency: int) -> dict[str, float]:
    """Send every URL once with `concurrency` workers; latency per request and overall throughput."""
    latencies: list[float] = []
    queue = list(reversed(urls))
    failures = 0

    async def worker() -> None:
        nonlocal failures
        while queue:
            url = queue.pop()
            start = time.perf_counter()
            async with session.request(method, url, headers=headers) as response:
                await response.read()
                if response.status >= 300:
                    failures += 1
            latencies.append(time.perf_counter() - start)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    return {
        "requests": len(latencies),
        "failures": failures,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
        "rps": len(latencies) / elapsed,
    }


def wrk_load(method: str, url: str, headers: dict[str, str], concurrency: int, seconds: int) -> dict[str, float]:
    """The same figures from wrk (C, so the load generator costs the servers little CPU), `seconds` long."""
    script = None
    if method != "GET":
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        script.write(f'wrk.method = "{method}"\n')
        script.close()
    command = ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script.name]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    if script:
        os.unlink(script.name)

    def millis(text: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.MULTILINE))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests": requests,
        "failures": int(non_2xx.group(1)) if non_2xx else 0,
        "p50_ms": millis(percentiles["50"]),
        "p99_ms": millis(percentiles["99"]),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
    }


async def list_everything(session, first_url: str, headers, next_url) -> tuple[int, float]:
    count = 0
    url = first_url
    began = time.perf_counter()
    while url:
        async with session.get(url, headers=headers) as response:
            body = await response.json(content_type=None)
            response_headers = response.headers
        records, url = next_url(body, response_headers)
        count += records
    return count, time.perf_counter() - began


async def measure(sandbox: str, gateway: str, token: str, account: str, quick: bool, use_wrk: bool) -> dict:
    hub = f"{sandbox}/hubspot/crm/v3/objects/companies"
    provider_headers = {"Authorization": "Bearer sandbox-hubspot-token"}
    gateway_headers = {"Authorization": f"Bearer {token}"}
    connector = aiohttp.TCPConnector(limit=256)
    results: dict = {"get": {}, "delete": {}, "list": {}}
    async with aiohttp.ClientSession(connector=connector) as session:
        await session.post(f"{sandbox}/__control/hubspot/reset", json={"count": 200})
        ids = [str(18_000_000_001 + i) for i in range(200)]
        # The gateway asks HubSpot for an explicit property list; the direct call asks for the same.
        props = ("properties=name,domain,website,description,industry,numberofemployees,phone,address,address2,city,"
                 "state,zip,country,hubspot_owner_id,notes_last_updated,createdate,hs_lastmodifieddate,account_tier")
        n1, n32 = (300, 2000) if quick else (2000, 10000)
        seconds = 2 if quick else 8
        for concurrency, n in ((1, n1), (32, n32)):
            for method in ("GET", "DELETE"):
                # HubSpot's delete is idempotent (204 for archived ids), so deletes repeat without reseeding.
                direct_url = f"{hub}/{ids[0]}" + (f"?{props}" if method == "GET" else "")
                gateway_url = f"{gateway}/unified/crm/accounts/{ids[0]}?integrated_account_id={account}"
                if use_wrk:
                    wrk_load(method, direct_url, provider_headers, concurrency, 1)  # warm-up
                    wrk_load(method, gateway_url, gateway_headers, concurrency, 1)
                    direct = wrk_load(method, direct_url, provider_headers, concurrency, seconds)
                    through = wrk_load(method, gateway_url, gateway_headers, concurrency, seconds)
                else:
                    await load(session, method, [direct_url] * 200, provider_headers, concurrency)  # warm-up
                    await load(session, method, [gateway_url] * 200, gateway_headers, concurrency)
                    direct = await load(session, method, [direct_url] * n, provider_headers, concurrency)
                    through = await load(session, method, [gateway_url] * n, gateway_headers, concurrency)
                results[method.lower()][f"c{concurrency}"] = {"direct": direct, "gateway": through}

        total = 2000 if quick else 10_000
        # Let deletes still in flight when wrk stopped (the gateway finishes them) land before the reseed.
        await asyncio.sleep(1.0)
        await session.post(f"{sandbox}/__control/hubspot/reset", json={"count": total})

        def direct_next(body, _headers):
            after = (body.get("paging") or {}).get("next", {}).get("after")
            return len(body["results"]), f"{hub}?limit=100&{props}&after={after}" if after else None

        def gateway_next(body, _headers):
            cursor = body.get("next_cursor")
            return len(body["result"]), (f"{gateway}/unified/crm/accounts?integrated_account_id={account}"
                                         f"&limit=100&next_cursor={cursor}") if cursor else None

        count, seconds = await list_everything(session, f"{hub}?limit=100&{props}", provider_headers, direct_next)
        results["list"]["direct"] = {"records": count, "seconds": seconds, "records_per_s": count / seconds}
        count, seconds = await list_everything(
            session, f"{gateway}/unified/crm/accounts?integrated_account_id={account}&limit=100", gateway_headers,
            gateway_next)
        results["list"]["gateway"] = {"records": count, "seconds": seconds, "records_per_s": count / seconds}
    return results


def median_of(runs: list[dict]) -> dict:
    """Each figure's median over the runs (each run's direct and gateway figures come from the same run)."""
    if len(runs) == 1:
        return runs[0]

    def combine(values):
        first = values[0]
        if isinstance(first, dict):
            return {k: combine([v[k] for v in values]) for k in first}
        return statistics.median(values)

    return combine(runs)


def report(results: dict) -> str:
    lines = ["| operation | concurrency | direct p50 | gateway p50 | added p50 | direct p99 | gateway p99 | "
             "added p99 | direct req/s | gateway req/s | ratio |", "|" + "---|" * 11]
    for operation in ("get", "delete"):
        for key, pair in results[operation].items():
            d, g = pair["direct"], pair["gateway"]
            lines.append(
                f"| {operation} | {key[1:]} | {d['p50_ms']:.3f} ms | {g['p50_ms']:.3f} ms | "
                f"{g['p50_ms'] - d['p50_ms']:.3f} ms | {d['p99_ms']:.3f} ms | {g['p99_ms']:.3f} ms | "
                f"{g['p99_ms'] - d['p99_ms']:.3f} ms | {d['rps']:,.0f} | {g['rps']:,.0f} | {g['rps'] / d['rps']:.2f} |")
    d, g = results["list"]["direct"], results["list"]["gateway"]
    lines += ["", "| list (limit 100) | records | seconds | records/s |", "|---|---|---|---|",
              f"| direct | {d['records']:,} | {d['seconds']:.2f} | {d['records_per_s']:,.0f} |",
              f"| gateway | {g['records']:,} | {g['seconds']:.2f} | {g['records_per_s']:,.0f} |"]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    parser.add_argument("--json", help="also write the raw figures here")
    parser.add_argument("--workers", type=int, default=1, help="gateway worker processes")
    parser.add_argument("--repeat", type=int, default=1, help="measure this many times; the table shows medians")
    parser.add_argument("--no-wrk", action="store_true", help="generate load with aiohttp even when wrk is installed")
    args = parser.parse_args()
    sandbox_port, gateway_port = free_port(), free_port()
    sandbox, gateway = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{gateway_port}"
    data_dir = tempfile.mkdtemp(prefix="unigate-bench-")
    env = {**os.environ, "UNIGATE_DATA_DIR": data_dir, "UNIGATE_SANDBOX_URL": sandbox, "UNIGATE_LOG_LEVEL": "warning"}
    env.pop("UNIGATE_DATABASE_URL", None)
    token = subprocess.run([str(BIN / "unigate"), "token", "create", "--name", "bench"], env=env, check=True,
                           capture_output=True, text=True).stdout.strip().splitlines()[-1]
    sandbox_cmd = [str(BIN / "uvicorn"), "unigate.sandbox.server:build_sandbox_app", "--factory", "--host",
                   "127.0.0.1", "--port", str(sandbox_port), "--log-level", "warning", "--no-access-log",
                   "--loop", "uvloop", "--http", "httptools"]
    gateway_cmd = [str(BIN / "unigate"), "serve", "--host", "127.0.0.1", "--port", str(gateway_port),
                   "--workers", str(args.workers)]
    if os.environ.get("BENCH_GATEWAY_CMD"):
        gateway_cmd = os.environ["BENCH_GATEWAY_CMD"].replace("{port}", str(gateway_port)).split()
    with process(sandbox_cmd, env), process(gateway_cmd, env):
        wait_for(f"{gateway}/health")
        wait_for(f"{sandbox}/__control/hubspot/records")
        import urllib.request

        request = urllib.request.Request(f"{gateway}/integrated-account", method="POST",
                                         data=json.dumps({"integration": "hubspot", "is_sandbox": True}).encode(),
                                         headers={"Authorization": f"Bearer {token}",
                                                  "Content-Type": "application/json"})
        account = json.load(urllib.request.urlopen(request))["id"]
        use_wrk = shutil.which("wrk") is not None and not args.no_wrk
        print(f"load generator: {'wrk' if use_wrk else 'aiohttp (install wrk for steadier figures)'}", file=sys.stderr)
        runs = [asyncio.run(measure(sandbox, gateway, token, account, args.quick, use_wrk)) for _ in range(args.repeat)]
    for number, run in enumerate(runs, 1):
        if args.repeat > 1:
            print(f"run {number}: " + ", ".join(
                f"{op} c{c[1:]} ratio {run[op][c]['gateway']['rps'] / run[op][c]['direct']['rps']:.2f}"
                for op in ("get", "delete") for c in run[op]))
    results = median_of(runs)
    print(report(results))
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": runs, "median": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
