"""Gateway overhead, measured: the same sandbox called directly and through the gateway, in one run.

Processes (all on loopback): the sandbox server, the gateway (`unigate serve`, pointed at that
sandbox) and the load generator (wrk when installed, else aiohttp). Every direct figure is taken in
the same run as its gateway figure, and the direct request is exactly the one the gateway sent to
the sandbox for that call (read back from the sandbox's request log), so "added" means what the
gateway adds and nothing else.

    .venv/bin/python bench/run.py [--workers 2] [--repeat 3] [--seconds 4] [--quick] [--json out.json]

Figures: added p50/p99 latency and throughput ratio at concurrency 1 and 64 (get, delete and a
100-record list page); records per second listing 10,000 accounts (direct, unified, normalized);
the gateway's memory growth while streaming a 500 MB provider body; `unigate serve` start-up time.
Method, targets and results: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from load import LoadGenerator, wrk_available
from processes import CpuMeter, RssSampler, free_port, machine, process, startup_seconds, wait_for

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"

# The targets (docs/benchmarks.md, "Against the targets").
TARGET_ADDED_P50_MS = 1.0          # at concurrency 1
TARGET_THROUGHPUT_RATIO = 0.5      # gateway req/s over direct req/s at concurrency 64
TARGET_STREAM_GROWTH_MB = 30.0     # RSS growth while streaming STREAM_BYTES

CONCURRENCIES = (1, 64)
SEEDED = 200                       # records per CRM for the latency phases
LISTED = 10_000                    # records paged through for records per second
STREAM_BYTES = 500_000_000
HUBSPOT_FIRST_ID = 18_000_000_001  # sandbox/hubspot.py FIRST_ID
# Request headers the direct call does not copy from the gateway's (transport-level ones).
NOT_COPIED = {"host", "content-length", "connection", "transfer-encoding"}


@dataclass(frozen=True)
class Case:
    """One measured operation: an HTTP method on a unified route for one integration's account."""

    label: str
    integration: str
    method: str
    record_id: str | None = None
    query: str = ""

    def gateway_url(self, gateway: str, account: str) -> str:
        path = "/unified/crm/accounts" + (f"/{self.record_id}" if self.record_id else "")
        return f"{gateway}{path}?integrated_account_id={account}" + (f"&{self.query}" if self.query else "")


# HubSpot deletes are idempotent (204 for an archived id, https://github.com/n8n-io/n8n/pull/3219), so the
# delete repeats on one id; gets and list pages use other ids, so they never meet the archived one.
CASES = (
    Case("hubspot get", "hubspot", "GET", str(HUBSPOT_FIRST_ID + 1)),
    Case("hubspot delete", "hubspot", "DELETE", str(HUBSPOT_FIRST_ID)),
    Case("hubspot list 100", "hubspot", "GET", query="limit=100"),
    Case("pipedrive get", "pipedrive", "GET", "2"),
    Case("pipedrive list 100", "pipedrive", "GET", query="limit=100"),
)


@dataclass
class Setup:
    sandbox: str
    gateway: str
    token: str
    accounts: dict[str, str]
    gateway_pid: int
    sandbox_pid: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Bench:
    def __init__(self, setup: Setup, session: aiohttp.ClientSession, load: LoadGenerator, seconds: float,
                 listed: int, stream_bytes: int) -> None:
        self.setup = setup
        self.session = session
        self.load = load
        self.seconds = seconds
        self.listed = listed
        self.stream_bytes = stream_bytes

    async def control(self, integration: str, action: str, body: dict | None = None, method: str = "POST"):
        url = f"{self.setup.sandbox}/__control/{integration}/{action}"
        async with self.session.request(method, url, json=body) as response:
            response.raise_for_status()
            return await response.json()

    async def direct_request(self, case: Case) -> tuple[str, str, dict[str, str]]:
        """(method, url, headers) of the request the gateway sends the sandbox for `case`."""
        url = case.gateway_url(self.setup.gateway, self.setup.accounts[case.integration])
        for _ in range(10):
            # Requests still in flight from the last load phase may land in the log: wait, try again.
            await asyncio.sleep(0.2)
            await self.control(case.integration, "requests", method="DELETE")
            async with self.session.request(case.method, url, headers=self.setup.headers) as response:
                await response.read()
                if response.status >= 300:
                    raise RuntimeError(f"{case.label} through the gateway answered {response.status}")
            sent = await self.control(case.integration, "requests", method="GET")
            if len(sent) == 1:
                break
        else:
            raise RuntimeError(f"{case.label}: the gateway sent {len(sent)} provider requests, not one")
        request = sent[0]
        direct_url = self.setup.sandbox + request["raw_path"] + (f"?{request['query']}" if request["query"] else "")
        headers = {k: v for k, v in request["headers"].items() if k.lower() not in NOT_COPIED}
        return request["method"], direct_url, headers

    async def measured(self, pid: int, method: str, url: str, headers: dict[str, str], concurrency: int) -> dict:
        with CpuMeter(gateway=self.setup.gateway_pid, sandbox=self.setup.sandbox_pid) as cpu:
            figures = await self.load.run(method, url, headers, concurrency, self.seconds)
        return {**figures, "cores": cpu.cores}

    async def latency(self) -> dict:
        """Direct and gateway figures per case and concurrency, each pair back to back."""
        for integration in {case.integration for case in CASES}:
            await self.control(integration, "reset", {"count": SEEDED})
        out: dict = {}
        for case in CASES:
            method, direct_url, direct_headers = await self.direct_request(case)
            gateway_url = case.gateway_url(self.setup.gateway, self.setup.accounts[case.integration])
            out[case.label] = {}
            for concurrency in CONCURRENCIES:
                await self.load.run(method, direct_url, direct_headers, concurrency, 1)  # warm-up
                await self.load.run(case.method, gateway_url, self.setup.headers, concurrency, 1)
                direct = await self.measured(self.setup.sandbox_pid, method, direct_url, direct_headers, concurrency)
                through = await self.measured(self.setup.gateway_pid, case.method, gateway_url, self.setup.headers,
                                              concurrency)
                out[case.label][f"c{concurrency}"] = {"direct": direct, "gateway": through}
        return out

    async def listing(self) -> dict:
        """Records per second paging through `listed` HubSpot companies, 100 a page, one at a time."""
        await asyncio.sleep(0.5)  # deletes that wrk left in flight land before the reseed
        await self.control("hubspot", "reset", {"count": self.listed})
        account = self.setup.accounts["hubspot"]
        _, first_direct, direct_headers = await self.direct_request(Case("list", "hubspot", "GET", query="limit=100"))

        async def direct() -> int:
            count, url = 0, first_direct
            while url:
                async with self.session.get(url, headers=direct_headers) as response:
                    body = await response.json(content_type=None)
                count += len(body["results"])
                after = (body.get("paging") or {}).get("next", {}).get("after")
                url = f"{first_direct}&after={after}" if after else None
            return count

        async def through(response_format: str) -> int:
            first = (f"{self.setup.gateway}/unified/crm/accounts?integrated_account_id={account}&limit=100"
                     f"&truto_response_format={response_format}")
            count, url = 0, first
            while url:
                async with self.session.get(url, headers=self.setup.headers) as response:
                    body = await response.json(content_type=None)
                    if response.status != 200:
                        raise RuntimeError(f"listing ({response_format}) answered {response.status}: {body}")
                count += len(body["result"])
                url = f"{first}&next_cursor={body['next_cursor']}" if body.get("next_cursor") else None
            return count

        out = {}
        for name, walk in (("direct", direct), ("unified", lambda: through("unified")),
                           ("normalized", lambda: through("normalized"))):
            began = time.perf_counter()
            count = await walk()
            seconds = time.perf_counter() - began
            if count != self.listed:
                raise RuntimeError(f"listing {name} saw {count} records, not {self.listed}")
            out[name] = {"records": count, "seconds": seconds, "records_per_s": count / seconds}
        return out

    async def stream(self) -> dict:
        """The gateway's RSS while it streams a `stream_bytes` provider body (truto_response_format=stream)."""
        await self.control("hubspot", "reset", {"count": 100})
        await self.control("hubspot", "large_list", {"bytes": self.stream_bytes})
        url = (f"{self.setup.gateway}/unified/crm/accounts?integrated_account_id={self.setup.accounts['hubspot']}"
               "&limit=100&truto_response_format=stream")
        received = 0
        with RssSampler(self.setup.gateway_pid) as sampler:
            began = time.perf_counter()
            async with self.session.get(url, headers=self.setup.headers) as response:
                if response.status != 200:
                    raise RuntimeError(f"stream answered {response.status}: {await response.text()}")
                async for chunk in response.content.iter_chunked(1 << 20):
                    received += len(chunk)
            seconds = time.perf_counter() - began
        if received < self.stream_bytes:
            raise RuntimeError(f"stream ended after {received} of {self.stream_bytes} bytes")
        return {"bytes": received, "seconds": seconds, "mb_per_s": received / seconds / 1e6, **sampler.result()}

    async def run(self) -> dict:
        return {"latency": await self.latency(), "listing": await self.listing(), "stream": await self.stream()}


def median_of(runs: list[dict]) -> dict:
    """Each figure's median over the runs (a run's direct and gateway figures come from that run)."""
    def combine(values):
        first = values[0]
        if isinstance(first, dict):
            return {k: combine([v[k] for v in values]) for k in first}
        if isinstance(first, (int, float)):
            middle = statistics.median(values)
            # Counts stay whole numbers (the median of two is their mean).
            return int(middle) if all(type(v) is int for v in values) and middle == int(middle) else middle
        return first

    return combine(runs)


def targets(results: dict) -> list[dict]:
    """Each target of the issue, per operation where it applies, met or not."""
    checks = []
    for label, by_concurrency in results["latency"].items():
        one = by_concurrency["c1"]
        added = one["gateway"]["p50_ms"] - one["direct"]["p50_ms"]
        checks.append({"target": f"added p50 at concurrency 1 <= {TARGET_ADDED_P50_MS:g} ms", "operation": label,
                       "value": round(added, 3), "met": added <= TARGET_ADDED_P50_MS})
    for label, by_concurrency in results["latency"].items():
        many = by_concurrency["c64"]
        ratio = many["gateway"]["rps"] / many["direct"]["rps"]
        checks.append({"target": f"throughput at concurrency 64 >= {TARGET_THROUGHPUT_RATIO:g}x direct",
                       "operation": label, "value": round(ratio, 3), "met": ratio >= TARGET_THROUGHPUT_RATIO})
    growth = results["stream"]["growth_mb"]
    streamed_mb = results["stream"]["bytes"] / 1e6
    checks.append({"target": f"RSS growth streaming {streamed_mb:,.0f} MB < {TARGET_STREAM_GROWTH_MB:g} MB",
                   "operation": "hubspot list, stream format", "value": round(growth, 1),
                   "met": growth < TARGET_STREAM_GROWTH_MB})
    return checks


def report(results: dict, startup: dict, checks: list[dict]) -> str:
    # CPU per request (cores busy / req/s) stays meaningful when other load takes cores from the run.
    lines = ["| operation | conc. | direct p50 | gateway p50 | added p50 | direct p99 | gateway p99 | added p99 | "
             "direct req/s | gateway req/s | ratio | gateway cores | CPU µs/req: sandbox direct | gateway |",
             "|" + "---|" * 14]
    for label, by_concurrency in results["latency"].items():
        for key, pair in by_concurrency.items():
            d, g = pair["direct"], pair["gateway"]
            lines.append(
                f"| {label} | {key[1:]} | {d['p50_ms']:.3f} ms | {g['p50_ms']:.3f} ms | "
                f"{g['p50_ms'] - d['p50_ms']:.3f} ms | {d['p99_ms']:.3f} ms | {g['p99_ms']:.3f} ms | "
                f"{g['p99_ms'] - d['p99_ms']:.3f} ms | {d['rps']:,.0f} | {g['rps']:,.0f} | {g['rps'] / d['rps']:.2f} | "
                f"{g['cores']['gateway']:.2f} | {d['cores']['sandbox'] / d['rps'] * 1e6:,.0f} | "
                f"{g['cores']['gateway'] / g['rps'] * 1e6:,.0f} |")
    listing = results["listing"]
    lines += ["", f"| listing {listing['direct']['records']:,.0f} HubSpot companies, 100 a page | seconds | records/s |",
              "|---|---|---|"]
    for name in ("direct", "unified", "normalized"):
        row = listing[name]
        lines.append(f"| {name} | {row['seconds']:.2f} | {row['records_per_s']:,.0f} |")
    s = results["stream"]
    lines += ["", "| streaming through the gateway | bytes | seconds | MB/s | RSS before | RSS peak | growth |",
              "|---|---|---|---|---|---|---|",
              f"| hubspot list, `truto_response_format=stream` | {s['bytes']:,} | {s['seconds']:.2f} | "
              f"{s['mb_per_s']:,.0f} | {s['baseline_rss_mb']:.1f} MB | {s['peak_rss_mb']:.1f} MB | {s['growth_mb']:.1f} MB |",
              "", f"`unigate serve` start-up until /health answers: median {startup['median_s']:.2f} s "
                  f"(starts: {', '.join(f'{t:.2f}' for t in startup['starts_s'])} s)", "",
              "| target | operation | value | met |", "|---|---|---|---|"]
    for check in checks:
        lines.append(f"| {check['target']} | {check['operation']} | {check['value']} | "
                     f"{'met' if check['met'] else 'NOT met'} |")
    return "\n".join(lines)


def render(figures: dict) -> str:
    """The whole printed result: the machine and settings, then the tables."""
    info, config = figures["machine"], figures["config"]
    header = (f"{info['cpu_model']}, {info['nproc']} cores, load average at start "
              f"{', '.join(f'{x:.2f}' for x in info['load_average_at_start'])}; gateway workers: {config['workers']}; "
              f"load generator: {config['load_generator']}; medians of {config['repeat']} run(s), "
              f"{config['seconds']:g} s phases")
    return header + "\n\n" + report(figures["median"], figures["startup"], figures["targets"])


def create_account(gateway: str, token: str, integration: str) -> str:
    """A sandbox account on the shared default data space (the documented credentials), which the
    benchmark seeds through the control API."""
    from unigate.engine.spec import load_integrations

    context = load_integrations()[integration].sandbox_context
    body = {"integration": integration, "is_sandbox": True, "context": context}
    request = urllib.request.Request(f"{gateway}/integrated-account", method="POST",
                                     data=json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)["id"]


async def measure_all(setup: Setup, args: argparse.Namespace, use_wrk: bool) -> list[dict]:
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector) as session:
        load = LoadGenerator(session, use_wrk)
        bench = Bench(setup, session, load, args.seconds, args.listed, args.stream_bytes)
        runs = []
        for number in range(1, args.repeat + 1):
            print(f"run {number} of {args.repeat}…", file=sys.stderr, flush=True)
            runs.append(await bench.run())
        return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1, help="gateway worker processes")
    parser.add_argument("--repeat", type=int, default=1, help="measure this many times; tables show medians")
    parser.add_argument("--seconds", type=float, default=4.0, help="seconds per load phase")
    parser.add_argument("--starts", type=int, default=5, help="`unigate serve` starts timed for start-up")
    parser.add_argument("--listed", type=int, default=LISTED, help="records paged through")
    parser.add_argument("--stream-bytes", type=int, default=STREAM_BYTES, help="size of the streamed body")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 s phases, fewer records and bytes")
    parser.add_argument("--log-level", default="info",
                        help="the gateway's UNIGATE_LOG_LEVEL: info (its default) writes one access-log line per "
                             "request, warning writes none")
    parser.add_argument("--no-wrk", action="store_true", help="generate load with aiohttp even when wrk is installed")
    parser.add_argument("--json", help="where to write the figures (default bench/results/run-w<workers>.json)")
    parser.add_argument("--report", metavar="JSON", help="print the tables of an earlier run's figures and exit")
    args = parser.parse_args()
    if args.report:
        print(render(json.loads(Path(args.report).read_text())))
        return 0
    if args.quick:
        args.seconds, args.starts, args.listed, args.stream_bytes = 1.0, 2, 2_000, 50_000_000
    use_wrk = wrk_available() and not args.no_wrk
    print(f"load generator: {'wrk' if use_wrk else 'aiohttp (apt-get install wrk for steadier figures)'}",
          file=sys.stderr)

    sandbox_port, gateway_port = free_port(), free_port()
    sandbox, gateway = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{gateway_port}"
    data_dir = tempfile.mkdtemp(prefix="unigate-bench-")
    env = {**os.environ, "UNIGATE_DATA_DIR": data_dir, "UNIGATE_SANDBOX_URL": sandbox, "UNIGATE_SANDBOXES": "on",
           "UNIGATE_LOG_LEVEL": args.log_level,
           # Measure this checkout's code, whatever the virtualenv has installed.
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    env.pop("UNIGATE_DATABASE_URL", None)
    # Creating the token also creates and migrates the database, so every timed start finds it ready.
    token = subprocess.run([str(BIN / "unigate"), "token", "create", "--name", "bench"], env=env, check=True,
                           capture_output=True, text=True).stdout.strip().splitlines()[-1]
    sandbox_cmd = [str(BIN / "uvicorn"), "unigate.sandbox.server:build_sandbox_app", "--factory", "--host",
                   "127.0.0.1", "--port", str(sandbox_port), "--log-level", "warning", "--no-access-log",
                   "--loop", "uvloop", "--http", "httptools"]

    def gateway_cmd(port: int) -> list[str]:
        return [str(BIN / "unigate"), "serve", "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(args.workers)]

    info = machine()
    with process(sandbox_cmd, env) as sandbox_proc:
        wait_for(f"{sandbox}/__control/hubspot/records/accounts")
        print("timing start-up…", file=sys.stderr, flush=True)
        probe_port = free_port()
        startup = startup_seconds(gateway_cmd(probe_port), env, f"http://127.0.0.1:{probe_port}/health", args.starts)
        with process(gateway_cmd(gateway_port), env) as gateway_proc:
            wait_for(f"{gateway}/health")
            accounts = {name: create_account(gateway, token, name) for name in ("hubspot", "pipedrive")}
            setup = Setup(sandbox, gateway, token, accounts, gateway_proc.pid, sandbox_proc.pid)
            runs = asyncio.run(measure_all(setup, args, use_wrk))

    if args.repeat > 1:
        for number, run in enumerate(runs, 1):
            ratios = ", ".join(f"{label} c64 {pair['c64']['gateway']['rps'] / pair['c64']['direct']['rps']:.2f}"
                               for label, pair in run["latency"].items())
            print(f"run {number}: throughput ratio {ratios}; stream growth {run['stream']['growth_mb']:.1f} MB")
    results = median_of(runs)
    figures = {
        "machine": info,
        "config": {"workers": args.workers, "repeat": args.repeat, "seconds": args.seconds,
                   "load_generator": "wrk" if use_wrk else "aiohttp", "listed": args.listed,
                   "stream_bytes": args.stream_bytes},
        "startup": startup, "targets": targets(results), "median": results, "runs": runs,
    }
    print(render(figures))
    out = Path(args.json) if args.json else RESULTS / f"run-w{args.workers}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    print(f"\nfigures written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
