"""The benchmark's reading of wrk's report (bench/load.py): figures a run's targets are judged on."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from load import parse_wrk, percentile

# wrk 4.1.0's `--latency` report, as printed (404s from a static file server).
WRK_REPORT = """Running 1s test @ http://127.0.0.1:8765/nonexistent
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.09ms    0.89ms   8.48ms   92.40%
    Req/Sec     1.98k   362.04     2.48k    70.00%
  Latency Distribution
     50%    0.90ms
     75%    1.24ms
     90%    1.73ms
     99%    5.24ms
  1968 requests in 1.00s, 0.98MB read
  Non-2xx or 3xx responses: 1968
Requests/sec:   1967.62
Transfer/sec:      0.98MB
"""


def test_wrk_report_gives_the_benchmark_figures():
    assert parse_wrk(WRK_REPORT) == {"requests": 1968, "failures": 1968, "p50_ms": 0.9, "p99_ms": 5.24,
                                     "rps": 1967.62}


def test_units_and_socket_errors_are_read():
    report = (WRK_REPORT.replace("0.90ms", "178.00us").replace("5.24ms", "1.20s")
              .replace("  Non-2xx or 3xx responses: 1968\n",
                       "  Socket errors: connect 0, read 2, write 0, timeout 3\n"))
    figures = parse_wrk(report)
    assert figures["p50_ms"] == pytest.approx(0.178)
    assert figures["p99_ms"] == pytest.approx(1200.0)
    assert figures["failures"] == 5


def test_a_report_without_percentiles_is_an_error_showing_it():
    with pytest.raises(RuntimeError, match="unable to connect"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 51.0
    assert percentile(values, 99) == 99.0
    assert percentile([3.0], 99) == 3.0
