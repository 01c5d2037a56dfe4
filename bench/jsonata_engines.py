"""Record mappings per second, in-process (no HTTP): the JSONata engine vs the compiled Python form.

    .venv/bin/python bench/jsonata_engines.py [--seconds 1.0] [--only hubspot,monday] [--resources accounts,contacts]
    .venv/bin/pip install 'jsonatapy>=2.2,<3'   # optional: adds the other JSONata engine's column

For every integration's crm/accounts and crm/contacts record mapping (or those of `--resources`), over
the records its sandbox answers a list with (tests/mapping_inputs.py): evaluations per second of CPU time on one thread, for
jlens (the engine), the compiled form (unigate.expressions.compiler), and jsonatapy when installed;
whether the compiled form gave the engine's output for every record; and a 100-record page's mapping
time (evaluate and prune, as engine/call.py does per record), median of the repeats.

CPU time (time.process_time) rather than wall time: the figures hold on a machine other work shares,
and one thread's CPU seconds are one core's. Compare the columns of one run (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from mapping_inputs import record_inputs

from unigate.engine.call import prune
from unigate.engine.spec import load_integrations
from unigate.expressions.functions import CUSTOM_FUNCTIONS
from unigate.sandbox.server import build_sandbox_app, discover_emulators
from unigate.serving import start_in_thread

RESOURCES = ("accounts", "contacts")
PAGE = 100


def rate(fn, inputs, seconds: float) -> float:
    """Evaluations per CPU second."""
    done = 0
    start = time.process_time()
    while time.process_time() - start < seconds:
        for item in inputs:
            fn(item)
        done += len(inputs)
    return done / (time.process_time() - start)


def page_ms(fn, inputs, repeats: int = 30) -> float:
    """The median CPU milliseconds to map (and prune) a page of PAGE records."""
    page = (inputs * (PAGE // len(inputs) + 1))[:PAGE]
    times = []
    for _ in range(repeats):
        start = time.process_time()
        for item in page:
            prune(fn(item))
        times.append(time.process_time() - start)
    return statistics.median(times) * 1000


def shared_across_threads(fn, inputs) -> bool:
    errors: list[BaseException] = []

    def work():
        try:
            for item in inputs * 20:
                fn(item)
        except BaseException as exc:  # noqa: BLE001 - jsonatapy raises a pyo3 PanicException (a BaseException)
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return not errors


def same_output(expression, inputs) -> bool:
    return all(orjson.dumps(expression.evaluate_engine(i)) == orjson.dumps(expression.evaluate(i)) for i in inputs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="CPU seconds per measurement")
    parser.add_argument("--only", default="", help="comma-separated integrations (default: all)")
    parser.add_argument("--resources", default=",".join(RESOURCES),
                        help="comma-separated crm resources (default: accounts,contacts)")
    args = parser.parse_args()
    try:
        import jsonatapy
    except ImportError:
        jsonatapy = None
    integrations = load_integrations()
    names = [n for n in integrations if n in discover_emulators() and (not args.only or n in args.only.split(","))]
    server = start_in_thread(build_sandbox_app(names))
    print("| integration | resource | engine rec/s | compiled rec/s | compiled/engine | jsonatapy rec/s "
          "| same output | 100-record page, engine ms | 100-record page, compiled ms | compiled shared by threads |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    try:
        for name in names:
            integration = integrations[name]
            for resource in args.resources.split(","):
                if ("crm", resource) not in integration.mappings:
                    continue
                expression = integration.mappings[("crm", resource)].methods["list"].record
                inputs = record_inputs(integration, resource, server.url)
                engine = rate(expression.evaluate_engine, inputs, args.seconds)
                compiled = rate(expression.evaluate, inputs, args.seconds)
                other = "-"
                if jsonatapy is not None:
                    jp = jsonatapy.compile(expression.source)
                    for fname, (function, _signature) in CUSTOM_FUNCTIONS.items():
                        jp.register(fname, function)
                    prepared = [expression.prepare(i) for i in inputs]
                    other = f"{rate(jp.evaluate, prepared, args.seconds):,.0f}"
                print(f"| {name} | {resource} | {engine:,.0f} | {compiled:,.0f} | {compiled / engine:.1f}x | {other} "
                      f"| {'yes' if same_output(expression, inputs) else 'NO'} "
                      f"| {page_ms(expression.evaluate_engine, inputs):.2f} | {page_ms(expression.evaluate, inputs):.2f} "
                      f"| {'yes' if shared_across_threads(expression.evaluate, inputs) else 'no'} |", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
