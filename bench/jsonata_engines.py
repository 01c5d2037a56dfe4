"""The JSONata engine choice, measured on unigate's own mappings: jlens vs jsonatapy.

    .venv/bin/pip install 'jsonatapy>=2.2,<3'   # only for this comparison
    .venv/bin/python bench/jsonata_engines.py

For every integration's crm/accounts record mapping, evaluated over its sandbox's seed records:
evaluations per second (compile once), agreement of the two engines' outputs, and whether one
compiled expression can be shared by threads (the gateway may map from several threads).
"""

from __future__ import annotations

import threading
import time

import orjson

from unigate.engine.call import prune
from unigate.engine.spec import load_integrations
from unigate.expressions.functions import CUSTOM_FUNCTIONS
from unigate.sandbox.server import discover_emulators


def sample_records(name: str, integration, count: int = 50) -> list:
    """Records shaped as the mapping sees them: the provider's list answer, one record each."""
    import asyncio

    import aiohttp

    from unigate.sandbox.server import build_sandbox_app
    from unigate.serving import start_in_thread

    server = start_in_thread(build_sandbox_app([name]))
    try:
        async def fetch():
            from unigate.edge.unified import UnifiedRoutes  # noqa: F401  (keeps imports honest)
            from unigate.engine.accounts import prepare_account
            from unigate.engine.call import Engine, UnifiedRequest  # noqa: F401
            from unigate.engine.provider_request import build_request, lower_headers, parse_body

            mapping = integration.mappings[("crm", "accounts")]
            list_mapping = mapping.methods["list"]
            method = integration.resource_method(list_mapping.resource, list_mapping.method)
            account = prepare_account(integration, "bench", integration.sandbox_context, is_sandbox=True,
                                      authentication_method=None, sandbox_url=server.url)
            steps = {}
            async with aiohttp.ClientSession() as session:
                for step in list_mapping.before:
                    step_method = integration.resource_method(step.resource, step.method)
                    req = build_request(account, step_method, {"context": account.context, "steps": steps, "query": {}},
                                        query_expr=step.query, body_expr=step.body)
                    async with session.request(req.method, req.url, headers=req.headers, data=req.body) as r:
                        steps[step.name] = parse_body(r.headers.get("content-type", ""), await r.read())
                from unigate.engine import pagination
                params = pagination.page_params(method.pagination, None, count) if method.pagination else None
                scope = {"context": account.context, "steps": steps, "query": {}, "limit": count, "cursor": None}
                req = build_request(account, method, scope, query_expr=list_mapping.query, body_expr=list_mapping.body,
                                    page_params=params, page_in_body=bool(method.pagination and method.pagination.location == "body"))
                async with session.request(req.method, req.url, headers=req.headers, data=req.body) as r:
                    parsed = parse_body(r.headers.get("content-type", ""), await r.read())
                    headers = lower_headers(r.headers)
            records = method.records.evaluate({"response": parsed, "headers": headers}) if method.records else parsed
            records = records if isinstance(records, list) else [records]
            return [{"response": rec, "context": account.context, "steps": steps} for rec in records]

        return asyncio.run(fetch())
    finally:
        server.stop()


def rate(fn, inputs, seconds: float = 1.0) -> float:
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for item in inputs:
            fn(item)
        done += len(inputs)
    return done / (time.perf_counter() - start)


def shared_across_threads(fn, inputs) -> str:
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
    return "yes" if not errors else f"no ({type(errors[0]).__name__})"


def main() -> None:
    import jlens

    try:
        import jsonatapy
    except ImportError:
        jsonatapy = None
        print("jsonatapy is not installed: measuring jlens only (pip install 'jsonatapy>=2.2,<3')")
    integrations = load_integrations()
    emulators = discover_emulators()
    print("| integration | jlens evals/s | jsonatapy evals/s | same output | jlens shared by threads | jsonatapy shared by threads |")
    print("|---|---|---|---|---|---|")
    for name, integration in integrations.items():
        if name not in emulators:
            continue
        source = integration.mappings[("crm", "accounts")].methods["list"].record.source
        inputs = sample_records(name, integration)
        jl = jlens.Expression(source)
        for fname, (function, signature) in CUSTOM_FUNCTIONS.items():
            jl.register_function(fname, function, signature)
        jl_rate = rate(jl.evaluate, inputs)
        jl_threads = shared_across_threads(jl.evaluate, inputs)
        if jsonatapy is not None:
            jp = jsonatapy.compile(source)
            for fname, (function, _signature) in CUSTOM_FUNCTIONS.items():
                jp.register(fname, function)
            jp_rate = rate(jp.evaluate, inputs)
            same = "yes"
            for item in inputs:
                # compared as the gateway uses them: nulls pruned (one engine keeps `"k": null` where the
                # other leaves k out), numbers as JSON
                left, right = prune(jl.evaluate(item)), prune(jp.evaluate(item))
                if orjson.dumps(left, option=orjson.OPT_SORT_KEYS) != orjson.dumps(right, option=orjson.OPT_SORT_KEYS):
                    same = "no"
                    break
            jp_threads = shared_across_threads(jp.evaluate, inputs)
            print(f"| {name} | {jl_rate:,.0f} | {jp_rate:,.0f} | {same} | {jl_threads} | {jp_threads} |")
        else:
            print(f"| {name} | {jl_rate:,.0f} | - | - | {jl_threads} | - |")


if __name__ == "__main__":
    main()
