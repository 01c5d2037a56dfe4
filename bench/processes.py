"""The benchmark's processes: starting the sandbox and the gateway, timing start-up, sampling memory
and CPU of a process tree, and describing the machine the figures come from."""

from __future__ import annotations

import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from importlib import metadata

import psutil


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except Exception:  # noqa: BLE001 - anything but a 200 means not up yet
        return False


def wait_for(url: str, timeout: float = 60.0, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(url):
            return
        time.sleep(interval)
    raise RuntimeError(f"{url} did not come up in {timeout:.0f} s")


@contextmanager
def process(args: list[str], env: dict[str, str]):
    """Run `args` for the duration of the block, then stop it (SIGTERM, then SIGKILL)."""
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def startup_seconds(args: list[str], env: dict[str, str], health_url: str, starts: int) -> dict:
    """Start `args` `starts` times; seconds from spawning until `health_url` answers 200, each time."""
    times = []
    for _ in range(starts):
        began = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while not answers(health_url):
                if proc.poll() is not None:
                    raise RuntimeError(f"{' '.join(args)} exited with {proc.returncode} before answering")
                if time.perf_counter() - began > 60:
                    raise RuntimeError(f"{health_url} did not answer within 60 s")
                time.sleep(0.01)
            times.append(time.perf_counter() - began)
        finally:
            stop(proc)
    return {"starts_s": times, "median_s": statistics.median(times)}


def tree(pid: int) -> list[psutil.Process]:
    """The process and its descendants (uvicorn's supervisor and its workers)."""
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


class RssSampler:
    """Samples the resident memory of every process in a tree on a background thread.

    `growth_mb` is the largest rise of any one process over its RSS when sampling began: with
    several workers only the one serving the stream grows.
    """

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.processes = tree(pid)
        self.interval = interval
        self.baseline = {p.pid: p.memory_info().rss for p in self.processes}
        self.peak = dict(self.baseline)
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for proc in self.processes:
                try:
                    rss = proc.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
                if rss > self.peak[proc.pid]:
                    self.peak[proc.pid] = rss
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()

    def result(self) -> dict:
        growth = {pid: self.peak[pid] - self.baseline[pid] for pid in self.baseline}
        grown = max(growth, key=growth.get)
        mb = 1024 * 1024
        return {"baseline_rss_mb": self.baseline[grown] / mb, "peak_rss_mb": self.peak[grown] / mb,
                "growth_mb": growth[grown] / mb, "samples": self.samples}


class CpuMeter:
    """CPU seconds used by process trees over a block: how many cores each side kept busy."""

    def __init__(self, **pids: int) -> None:
        self.trees = {name: tree(pid) for name, pid in pids.items()}

    def _cpu(self) -> dict[str, float]:
        used = {}
        for name, processes in self.trees.items():
            total = 0.0
            for proc in processes:
                try:
                    times = proc.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                total += times.user + times.system
            used[name] = total
        return used

    def __enter__(self) -> CpuMeter:
        self.began, self.start = time.perf_counter(), self._cpu()
        return self

    def __exit__(self, *_exc) -> None:
        elapsed, end = time.perf_counter() - self.began, self._cpu()
        self.cores = {name: (end[name] - self.start[name]) / elapsed for name in end}


def settle(pid: int, idle_cores: float = 0.1, interval: float = 0.1, timeout: float = 30.0) -> None:
    """Wait until a process tree has worked off what the last load phase left queued (a server keeps
    answering requests wrk already gave up on): its CPU use falls below `idle_cores` over `interval`."""
    processes = tree(pid)
    deadline = time.monotonic() + timeout

    def used() -> float:
        total = 0.0
        for proc in processes:
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    while time.monotonic() < deadline:
        before = used()
        time.sleep(interval)
        if used() - before < idle_cores * interval:
            return


def machine() -> dict:
    """What the figures were measured on (they compare within a run, not across machines)."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            model = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = {}
    for package in ("uvicorn", "uvloop", "httptools", "aiohttp", "starlette", "jlens", "orjson", "SQLAlchemy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    try:
        wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split()[1]
    except (OSError, IndexError):
        wrk = None
    return {
        "cpu_model": model,
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "load_average_at_start": os.getloadavg(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": versions,
        "wrk": wrk,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
