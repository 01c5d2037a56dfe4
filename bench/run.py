"""Gateway overhead, measured against the floor: direct calls, a bare proxy and the gateway, in one run.

Processes (all on loopback): the sandbox server, the gateway (`unigate serve`, pointed at that
sandbox), the bare proxy (bench/bare_proxy.py: Starlette and a pooled aiohttp session, the same
uvicorn settings as the gateway, one upstream request and a few fields copied by hand) and the load
generator (wrk when installed, else aiohttp). Every figure of a run is taken beside the others, and
the direct request is exactly the one the gateway sent to the sandbox for that call (read back from
the sandbox's request log), which is also what the bare proxy sends: "added" means what the gateway
adds, and "over the floor" what it adds beyond what any Python proxy must.

    .venv/bin/python bench/run.py [--workers 2] [--repeat 3] [--seconds 4] [--quick] [--json out.json]

Figures: p50/p99 latency and throughput at concurrency 1 and 64 of a single get and delete, and of
a 100-record page of every CRM (unified and normalized), as ratios to direct and to the bare proxy;
records per second listing 10,000 accounts; the gateway's memory growth while streaming a 500 MB
provider body; `unigate serve` start-up time. Method, targets and results: docs/benchmarks.md.
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
from processes import CpuMeter, RssSampler, free_port, machine, process, settle, startup_seconds, wait_for

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"

# The targets (docs/benchmarks.md, "Against the targets"), from same-run ratios.
TARGET_FLOOR_THROUGHPUT = 0.9      # single get/delete at concurrency 64: gateway req/s over the bare proxy's
TARGET_FLOOR_ADDED_P50_MS = 0.15   # single get/delete at concurrency 1: added p50 beyond the bare proxy's
TARGET_PAGE_THROUGHPUT = 0.35      # 100-record pages at concurrency 64: gateway req/s over direct
TARGET_STREAM_GROWTH_MB = 30.0     # RSS growth while streaming STREAM_BYTES

CONCURRENCIES = (1, 64)
SEEDED = 200                       # records per CRM for the latency phases
LISTED = 10_000                    # records paged through for records per second
STREAM_BYTES = 500_000_000
HUBSPOT_FIRST_ID = 18_000_000_001  # sandbox/hubspot.py FIRST_ID
# Request headers the direct call does not copy from the gateway's (transport-level ones).
NOT_COPIED = {"host", "content-length", "connection", "transfer-encoding"}
# Every CRM the gateway integrates, for the 100-record pages (one directory each under integrations/).
CRMS = sorted(p.name for p in (ROOT / "src" / "unigate" / "integrations").iterdir()
              if p.is_dir() and (p / "integration.yaml").exists())


@dataclass(frozen=True)
class Case:
    """One measured operation: an HTTP method on a unified route for one integration's account."""

    label: str
    integration: str
    method: str
    record_id: str | None = None
    query: str = ""

    @property
    def page(self) -> bool:
        return self.record_id is None

    def gateway_url(self, gateway: str, account: str, response_format: str = "unified") -> str:
        path = "/unified/crm/accounts" + (f"/{self.record_id}" if self.record_id else "")
        query = f"integrated_account_id={account}" + (f"&{self.query}" if self.query else "")
        if response_format != "unified":
            query += f"&truto_response_format={response_format}"
        return f"{gateway}{path}?{query}"


# HubSpot deletes are idempotent (204 for an archived id, https://github.com/n8n-io/n8n/pull/3219), so the
# delete repeats on one id; gets and list pages use other ids, so they never meet the archived one.
SINGLE_CASES = (
    Case("hubspot get", "hubspot", "GET", str(HUBSPOT_FIRST_ID + 1)),
    Case("hubspot delete", "hubspot", "DELETE", str(HUBSPOT_FIRST_ID)),
    Case("pipedrive get", "pipedrive", "GET", "2"),
)
PAGE_CASES = tuple(Case(f"{crm} page 100", crm, "GET", query="limit=100") for crm in CRMS)
CASES = SINGLE_CASES + PAGE_CASES


@dataclass(frozen=True)
class Target:
    """One side of a comparison: how to call it, and whose process serves it."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    pid: str  # "sandbox", "bare" or "gateway": the process tree whose CPU the call costs


@dataclass
class Setup:
    sandbox: str
    gateway: str
    bare: str
    token: str
    accounts: dict[str, str]
    pids: dict[str, int]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Bench:
    def __init__(self, setup: Setup, session: aiohttp.ClientSession, load: LoadGenerator, seconds: float,
                 listed: int, stream_bytes: int, cases: tuple[Case, ...]) -> None:
        self.setup = setup
        self.session = session
        self.load = load
        self.seconds = seconds
        self.listed = listed
        self.stream_bytes = stream_bytes
        self.cases = cases

    async def control(self, integration: str, action: str, body: dict | None = None, method: str = "POST"):
        url = f"{self.setup.sandbox}/__control/{integration}/{action}"
        async with self.session.request(method, url, json=body) as response:
            response.raise_for_status()
            return await response.json()

    async def direct_request(self, case: Case) -> tuple[Target, int]:
        """The request the gateway sends the sandbox for `case` (the last one, when lookups come first),
        and how many provider requests the call made."""
        url = case.gateway_url(self.setup.gateway, self.setup.accounts[case.integration])
        previous = None
        failure = ""
        for _ in range(10):
            # Requests still in flight from the last load phase may land in the log, and per-account
            # lookups (cached after the first call) may come first: repeat until two calls agree.
            await asyncio.sleep(0.2)
            await self.control(case.integration, "requests", method="DELETE")
            async with self.session.request(case.method, url, headers=self.setup.headers) as response:
                answer = await response.read()
            if response.status >= 300:
                # A sandbox still busy with the last phase's backlog may time out: try again.
                failure = f"{case.label} through the gateway answered {response.status}: {answer[:300]!r}"
                await asyncio.sleep(1)
                continue
            failure = ""
            sent = await self.control(case.integration, "requests", method="GET")
            if len(sent) == 1 or (previous is not None and len(sent) == previous):
                break
            previous = len(sent)
        else:
            raise RuntimeError(failure or f"{case.label}: the gateway sent {len(sent)} provider requests, not one")
        request = sent[-1]
        direct_url = self.setup.sandbox + request["raw_path"] + (f"?{request['query']}" if request["query"] else "")
        headers = {k: v for k, v in request["headers"].items() if k.lower() not in NOT_COPIED}
        body = None if request["body"] is None else json.dumps(request["body"], separators=(",", ":")).encode()
        return Target(request["method"], direct_url, headers, body, "sandbox"), len(sent)

    async def settle(self) -> None:
        """Every server idle again before the next phase (see processes.settle)."""
        for pid in self.setup.pids.values():
            await asyncio.to_thread(settle, pid)

    def targets_for(self, case: Case, direct: Target) -> dict[str, Target]:
        """Direct, the bare proxy, and the gateway (unified; and normalized for pages) for one case."""
        account = self.setup.accounts[case.integration]
        bare_url = self.setup.bare + ("/page" if case.page else "/one") + direct.url[len(self.setup.sandbox):]
        out = {"direct": direct,
               "bare": Target(direct.method, bare_url, direct.headers, direct.body, "bare"),
               "unified": Target(case.method, case.gateway_url(self.setup.gateway, account), self.setup.headers,
                                 None, "gateway")}
        if case.page:
            out["normalized"] = Target(case.method, case.gateway_url(self.setup.gateway, account, "normalized"),
                                       self.setup.headers, None, "gateway")
        return out

    async def measured(self, target: Target, concurrency: int) -> dict:
        await self.settle()
        with CpuMeter(**self.setup.pids) as cpu:
            figures = await self.load.run(target.method, target.url, target.headers, concurrency, self.seconds,
                                          target.body)
        return {**figures, "cores": cpu.cores[target.pid], "all_cores": cpu.cores}

    async def latency(self) -> dict:
        """Per case and concurrency, each target's figures, the targets back to back."""
        for integration in sorted({case.integration for case in self.cases}):
            await self.control(integration, "reset", {"count": SEEDED})
        out: dict = {}
        for case in self.cases:
            direct, provider_requests = await self.direct_request(case)
            targets = self.targets_for(case, direct)
            for target in targets.values():  # warm-up: connections opened, caches filled (no backlog left)
                await self.load.run(target.method, target.url, target.headers, 4, 1, target.body)
            out[case.label] = {"provider_requests": provider_requests}
            for concurrency in CONCURRENCIES:
                out[case.label][f"c{concurrency}"] = {name: await self.measured(target, concurrency)
                                                      for name, target in targets.items()}
            print(f"  {case.label}: " + ", ".join(
                f"{name} {out[case.label]['c64'][name]['rps']:,.0f}/s" for name in targets), file=sys.stderr,
                  flush=True)
        return out

    async def listing(self) -> dict:
        """Records per second paging through `listed` HubSpot companies, 100 a page, one at a time."""
        await asyncio.sleep(0.5)  # deletes that wrk left in flight land before the reseed
        await self.control("hubspot", "reset", {"count": self.listed})
        account = self.setup.accounts["hubspot"]
        direct, _ = await self.direct_request(Case("list", "hubspot", "GET", query="limit=100"))
        bare_first = self.setup.bare + "/page" + direct.url[len(self.setup.sandbox):]

        async def by_after(first: str, records: str) -> int:
            # HubSpot's own paging (`paging.next.after`), which the bare proxy passes on as it is.
            count, url = 0, first
            while url:
                async with self.session.get(url, headers=direct.headers) as response:
                    body = await response.json(content_type=None)
                count += len(body[records])
                after = (body.get("paging") or {}).get("next", {}).get("after")
                url = f"{first}&after={after}" if after else None
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
        for name, walk in (("direct", lambda: by_after(direct.url, "results")),
                           ("bare", lambda: by_after(bare_first, "result")),
                           ("unified", lambda: through("unified")),
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
        with RssSampler(self.setup.pids["gateway"]) as sampler:
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


def _ratio(a: dict, b: dict) -> float:
    return a["rps"] / b["rps"] if b["rps"] else 0.0


def _r(a: dict, b: dict) -> str:
    """A ratio for the tables; "-" when a side completed no request within the phase."""
    return f"{a['rps'] / b['rps']:.2f}" if a["rps"] and b["rps"] else "-"


def _p50(figures: dict, digits: int) -> str:
    return f"{figures['p50_ms']:.{digits}f} ms" if figures["requests"] else "none done"


def targets(results: dict) -> list[dict]:
    """Each target of the issue, per operation where it applies, met or not (same-run ratios)."""
    checks = []
    latency = results["latency"]
    singles = [(label, figures) for label, figures in latency.items() if "normalized" not in figures["c1"]]
    pages = [(label, figures) for label, figures in latency.items() if "normalized" in figures["c1"]]
    for label, figures in singles:
        one = figures["c1"]
        over = one["unified"]["p50_ms"] - one["bare"]["p50_ms"]
        checks.append({"target": f"added p50 at concurrency 1 <= the bare proxy's + {TARGET_FLOOR_ADDED_P50_MS:g} ms",
                       "operation": label, "value": round(over, 3), "met": over <= TARGET_FLOOR_ADDED_P50_MS})
    for label, figures in singles:
        ratio = _ratio(figures["c64"]["unified"], figures["c64"]["bare"])
        checks.append({"target": f"throughput at concurrency 64 >= {TARGET_FLOOR_THROUGHPUT:g}x the bare proxy",
                       "operation": label, "value": round(ratio, 3), "met": ratio >= TARGET_FLOOR_THROUGHPUT})
    for label, figures in pages:
        for response_format in ("unified", "normalized"):
            ratio = _ratio(figures["c64"][response_format], figures["c64"]["direct"])
            checks.append({"target": f"page throughput at concurrency 64 >= {TARGET_PAGE_THROUGHPUT:g}x direct",
                           "operation": f"{label} ({response_format})", "value": round(ratio, 3),
                           "met": ratio >= TARGET_PAGE_THROUGHPUT})
    growth = results["stream"]["growth_mb"]
    streamed_mb = results["stream"]["bytes"] / 1e6
    checks.append({"target": f"RSS growth streaming {streamed_mb:,.0f} MB < {TARGET_STREAM_GROWTH_MB:g} MB",
                   "operation": "hubspot list, stream format", "value": round(growth, 1),
                   "met": growth < TARGET_STREAM_GROWTH_MB})
    return checks


def _cpu_us(figures: dict) -> str:
    """CPU per request of the process that served it (cores busy over req/s): unlike req/s it barely
    moves when other load takes cores from the run."""
    return f"{figures['cores'] / figures['rps'] * 1e6:,.0f}" if figures["rps"] else "-"


def report(results: dict, startup: dict, checks: list[dict]) -> str:
    latency = results["latency"]
    lines = ["Single calls: p50 and throughput of direct calls, the bare proxy (the floor) and unigate; "
             "`over floor` is unigate's added p50 minus the bare proxy's.", "",
             "| operation | conc. | p50 direct | bare | unigate | added p50 bare | unigate | over floor | "
             "req/s direct | bare | unigate | bare/direct | unigate/direct | unigate/bare | "
             "CPU µs/req sandbox | bare | unigate |",
             "|" + "---|" * 17]
    for label, figures in latency.items():
        if "normalized" in figures["c1"]:
            continue
        for key in (k for k in figures if k.startswith("c")):
            d, b, u = figures[key]["direct"], figures[key]["bare"], figures[key]["unified"]
            lines.append(
                f"| {label} | {key[1:]} | {_p50(d, 3)} | {_p50(b, 3)} | {_p50(u, 3)} | "
                f"{b['p50_ms'] - d['p50_ms']:.3f} ms | {u['p50_ms'] - d['p50_ms']:.3f} ms | "
                f"{u['p50_ms'] - b['p50_ms']:+.3f} ms | {d['rps']:,.0f} | {b['rps']:,.0f} | {u['rps']:,.0f} | "
                f"{_r(b, d)} | {_r(u, d)} | {_r(u, b)} | {_cpu_us(d)} | {_cpu_us(b)} | {_cpu_us(u)} |")
    lines += ["", "100-record pages (`limit=100`; a CRM whose maximum page is smaller answers that many): "
                  "unigate in the unified and the normalized format.", "",
              "| CRM | conc. | p50 direct | bare | unified | normalized | req/s direct | bare | unified | "
              "normalized | bare/direct | unified/direct | normalized/direct | unified/bare | "
              "CPU µs/req sandbox | bare | unified | normalized |",
              "|" + "---|" * 18]
    for label, figures in latency.items():
        if "normalized" not in figures["c1"]:
            continue
        for key in (k for k in figures if k.startswith("c")):
            d, b, u, n = (figures[key][name] for name in ("direct", "bare", "unified", "normalized"))
            lines.append(
                f"| {label.split()[0]} | {key[1:]} | {_p50(d, 2)} | {_p50(b, 2)} | {_p50(u, 2)} | {_p50(n, 2)} | "
                f"{d['rps']:,.0f} | {b['rps']:,.0f} | {u['rps']:,.0f} | {n['rps']:,.0f} | {_r(b, d)} | {_r(u, d)} | "
                f"{_r(n, d)} | {_r(u, b)} | {_cpu_us(d)} | {_cpu_us(b)} | {_cpu_us(u)} | {_cpu_us(n)} |")
    failed = [f"{label} c{key[1:]} {name}: {figures[key][name]['failures']:,} of {figures[key][name]['requests']:,}"
              for label, figures in latency.items() for key in figures if key.startswith("c")
              for name in figures[key] if figures[key][name]["failures"]]
    if failed:
        lines += ["", "Failed requests (non-2xx answers and socket errors, counted by the load generator): "
                      + "; ".join(failed) + "."]
    if any(not figures[key][name]["requests"] for figures in latency.values() for key in figures
           if key.startswith("c") for name in figures[key]):
        lines += ["", "\"none done\": no request completed within the phase (each waited behind the others "
                      "longer than the phase lasted); its ratios are left out (\"-\")."]
    listing = results["listing"]
    lines += ["", f"| listing {listing['direct']['records']:,.0f} HubSpot companies, 100 a page | seconds | "
                  "records/s | ratio to direct | ratio to bare |", "|---|---|---|---|---|"]
    for name in ("direct", "bare", "unified", "normalized"):
        row = listing[name]
        lines.append(f"| {name} | {row['seconds']:.2f} | {row['records_per_s']:,.0f} | "
                     f"{row['records_per_s'] / listing['direct']['records_per_s']:.2f} | "
                     f"{row['records_per_s'] / listing['bare']['records_per_s']:.2f} |")
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
              f"{config['seconds']:g} s phases; code measured: {config.get('src', 'this checkout')}")
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


async def measure_all(setup: Setup, args: argparse.Namespace, use_wrk: bool, cases: tuple[Case, ...]) -> list[dict]:
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector) as session:
        load = LoadGenerator(session, use_wrk)
        bench = Bench(setup, session, load, args.seconds, args.listed, args.stream_bytes, cases)
        runs = []
        for number in range(1, args.repeat + 1):
            print(f"run {number} of {args.repeat}…", file=sys.stderr, flush=True)
            runs.append(await bench.run())
        return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1, help="gateway worker processes")
    parser.add_argument("--repeat", type=int, default=1, help="measure this many times; tables show medians")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per load phase")
    parser.add_argument("--starts", type=int, default=5, help="`unigate serve` starts timed for start-up")
    parser.add_argument("--listed", type=int, default=LISTED, help="records paged through")
    parser.add_argument("--stream-bytes", type=int, default=STREAM_BYTES, help="size of the streamed body")
    parser.add_argument("--pages", default=",".join(CRMS),
                        help="the CRMs whose 100-record pages are measured, comma-separated (default: all); "
                             "'none' for none")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 s phases, fewer records and bytes")
    parser.add_argument("--log-level", default="info",
                        help="the gateway's UNIGATE_LOG_LEVEL: info (its default) writes one access-log line per "
                             "request, warning writes none")
    parser.add_argument("--src", type=Path, default=ROOT / "src",
                        help="the unigate source tree to measure (another checkout's `src`, to compare code "
                             "under the same conditions); default: this checkout's")
    parser.add_argument("--no-wrk", action="store_true", help="generate load with aiohttp even when wrk is installed")
    parser.add_argument("--json", help="where to write the figures (default bench/results/run-w<workers>.json)")
    parser.add_argument("--report", metavar="JSON", help="print the tables of an earlier run's figures and exit")
    args = parser.parse_args()
    if args.report:
        print(render(json.loads(Path(args.report).read_text())))
        return 0
    if args.quick:
        args.seconds, args.starts, args.listed, args.stream_bytes = 1.0, 2, 2_000, 50_000_000
    pages = set() if args.pages == "none" else set(args.pages.split(","))
    cases = SINGLE_CASES + tuple(case for case in PAGE_CASES if case.integration in pages)
    use_wrk = wrk_available() and not args.no_wrk
    print(f"load generator: {'wrk' if use_wrk else 'aiohttp (apt-get install wrk for steadier figures)'}",
          file=sys.stderr)

    sandbox_port, gateway_port, bare_port = free_port(), free_port(), free_port()
    sandbox, gateway = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{gateway_port}"
    bare = f"http://127.0.0.1:{bare_port}"
    data_dir = tempfile.mkdtemp(prefix="unigate-bench-")
    src = args.src.resolve()
    env = {**os.environ, "UNIGATE_DATA_DIR": data_dir, "UNIGATE_SANDBOX_URL": sandbox, "UNIGATE_SANDBOXES": "on",
           "UNIGATE_LOG_LEVEL": args.log_level, "BARE_UPSTREAM": sandbox,
           # Measure that source tree's code, whatever the virtualenv has installed.
           "PYTHONPATH": os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")]))}
    env.pop("UNIGATE_DATABASE_URL", None)
    # Creating the token also creates and migrates the database, so every timed start finds it ready.
    token = subprocess.run([str(BIN / "unigate"), "token", "create", "--name", "bench"], env=env, check=True,
                           capture_output=True, text=True).stdout.strip().splitlines()[-1]
    server = ["--host", "127.0.0.1", "--log-level", "warning", "--no-access-log", "--loop", "uvloop", "--http",
              "httptools"]
    sandbox_cmd = [str(BIN / "uvicorn"), "unigate.sandbox.server:build_sandbox_app", "--factory", "--port",
                   str(sandbox_port), *server]
    # The floor: the gateway's server settings (uvloop, httptools, one worker per `--workers`).
    bare_cmd = [str(BIN / "uvicorn"), "bare_proxy:app", "--app-dir", str(ROOT / "bench"), "--port", str(bare_port),
                "--workers", str(args.workers), *server]

    def gateway_cmd(port: int) -> list[str]:
        return [str(BIN / "unigate"), "serve", "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(args.workers)]

    info = machine()
    with process(sandbox_cmd, env) as sandbox_proc, process(bare_cmd, env) as bare_proc:
        wait_for(f"{sandbox}/__control/hubspot/records/accounts")
        print("timing start-up…", file=sys.stderr, flush=True)
        probe_port = free_port()
        startup = startup_seconds(gateway_cmd(probe_port), env, f"http://127.0.0.1:{probe_port}/health", args.starts)
        with process(gateway_cmd(gateway_port), env) as gateway_proc:
            wait_for(f"{gateway}/health")
            accounts = {name: create_account(gateway, token, name)
                        for name in sorted({case.integration for case in cases})}
            setup = Setup(sandbox, gateway, bare, token, accounts,
                          {"sandbox": sandbox_proc.pid, "bare": bare_proc.pid, "gateway": gateway_proc.pid})
            runs = asyncio.run(measure_all(setup, args, use_wrk, cases))

    if args.repeat > 1:
        for number, run in enumerate(runs, 1):
            ratios = ", ".join(f"{label} c64 {_ratio(pair['c64']['unified'], pair['c64']['bare']):.2f}"
                               for label, pair in run["latency"].items() if "normalized" not in pair["c64"])
            print(f"run {number}: throughput unigate/bare {ratios}; stream growth {run['stream']['growth_mb']:.1f} MB")
    results = median_of(runs)
    figures = {
        "machine": info,
        "config": {"workers": args.workers, "repeat": args.repeat, "seconds": args.seconds,
                   "load_generator": "wrk" if use_wrk else "aiohttp", "listed": args.listed,
                   "stream_bytes": args.stream_bytes, "src": str(src)},
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
