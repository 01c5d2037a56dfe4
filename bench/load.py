"""Load generators for the benchmark: wrk when installed (C, so it takes little CPU from the servers
it measures), else an aiohttp one. Both send one request again and again for a fixed time with N
connections, and report the same figures: requests, failures, p50/p99 latency, requests per second.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import tempfile
import time

import aiohttp


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile `q` (0–100) of `values`."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def _millis(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(output: str) -> dict[str, float]:
    """wrk's `--latency` report as the benchmark's figures."""
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    if "50" not in percentiles or "99" not in percentiles:
        raise RuntimeError(f"wrk's output has no latency percentiles:\n{output}")
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    failures = int(non_2xx.group(1)) if non_2xx else 0
    if errors:
        failures += sum(int(n) for n in errors.groups())
    return {
        "requests": requests,
        "failures": failures,
        "p50_ms": _millis(percentiles["50"]),
        "p99_ms": _millis(percentiles["99"]),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
    }


def wrk_load(method: str, url: str, headers: dict[str, str], concurrency: int, seconds: float,
             body: bytes | None = None) -> dict[str, float]:
    """Send `method url` (with `body`) with `concurrency` connections for `seconds` (one wrk thread)."""
    script = None
    command = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if method != "GET" or body is not None:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
            handle.write(f'wrk.method = "{method}"\n')
            if body is not None:
                handle.write(f"wrk.body = [==[{body.decode()}]==]\n")  # a Lua long string: no escaping
            script = handle.name
        command += ["-s", script]
    try:
        output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    finally:
        if script:
            os.unlink(script)
    return parse_wrk(output)


async def aiohttp_load(session: aiohttp.ClientSession, method: str, url: str, headers: dict[str, str],
                       concurrency: int, seconds: float, body: bytes | None = None) -> dict[str, float]:
    """The same figures from `concurrency` aiohttp workers sharing one pooled session."""
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal failures
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                async with session.request(method, url, headers=headers, data=body) as response:
                    await response.read()
                    if response.status >= 300:
                        failures += 1
            except aiohttp.ClientError:
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
        "rps": len(latencies) / elapsed,
    }


class LoadGenerator:
    """One interface over both generators; wrk runs in a thread so the event loop stays free."""

    def __init__(self, session: aiohttp.ClientSession, use_wrk: bool) -> None:
        self.session = session
        self.use_wrk = use_wrk
        self.name = "wrk" if use_wrk else "aiohttp"

    async def run(self, method: str, url: str, headers: dict[str, str], concurrency: int,
                  seconds: float, body: bytes | None = None) -> dict[str, float]:
        if self.use_wrk:
            return await asyncio.to_thread(wrk_load, method, url, headers, concurrency, seconds, body)
        return await aiohttp_load(self.session, method, url, headers, concurrency, seconds, body)
