"""Reading a provider's list one page at a time: the page request, its records, where the next page starts.

It works on a ResourceMethod (the provider's own endpoint and its declared pagination) and needs no
unified mapping: the unified list passes `keep` (a coroutine) to map and filter each page's records, and a proxy
list passes nothing and gets the provider's own records. Positions are the provider's own (a cursor,
a page number, an offset, a next link's query); pagination.encode_cursor/decode_cursor turn them into
the caller's opaque cursor and back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from unigate.engine import pagination
from unigate.engine.accounts import AccountRuntime
from unigate.engine.provider_call import CallState, ProviderAnswer, ProviderCall
from unigate.engine.provider_request import Mapping, ProviderRequest, build_request, evaluate, lower_headers
from unigate.engine.spec import ResourceMethod
from unigate.errors import GatewayError

# How many provider pages one list call may read to find one with records (see docs/integrations.md).
MAX_EMPTY_HOPS = 20


@dataclass(slots=True)
class Page:
    records: list[Any]        # the page's records (as `keep` returned them, when given)
    next_position: Any        # the provider position of the following page; None after the last one
    answer: ProviderAnswer    # the provider's answer to the page read (headers, the account as called)


def page_request(account: AccountRuntime, method: ResourceMethod, scope: dict[str, Any], position: Any,
                 limit: int, *, query: Mapping | None = None, body: Mapping | None = None,
                 remote_query: dict[str, Any] | None = None, remote_body: Any = None,
                 headers: Mapping | None = None) -> ProviderRequest:
    """The provider request for the page at `position` (None: the first page) of at most `limit` records.

    `scope` is what the `query` and `body` expressions read; `limit` and `cursor` are set in it here.
    `remote_query` and `remote_body` are the caller's own, sent as given (a proxy list's query and body).
    """
    scope["limit"] = limit
    scope["cursor"] = position
    pag = method.pagination
    params = pagination.page_params(pag, position, limit) if pag else None
    return build_request(account, method, scope, query_expr=query, body_expr=body, page_params=params,
                         page_in_body=bool(pag and pag.location == "body"), remote_query=remote_query,
                         remote_body=remote_body, headers_expr=headers)


def records_of(method: ResourceMethod, answer: ProviderAnswer, query: dict[str, Any] | None = None) -> list[Any]:
    """The records in a page, by the method's `records` expression (the whole answer without one). The expression
    also sees the caller's `query`: a provider that answers every entity's records at once (Copper's custom field
    definitions) gives the ones of the entity asked for."""
    records = answer.parsed
    if method.records is not None:
        records = evaluate(method.records, {"response": records, "headers": lower_headers(answer.response.headers),
                                            "query": dict(query or {})}, "records")
    if records is None:
        return []
    if isinstance(records, dict):
        records = [records]
    # A provider answer is hostile input: records that are not objects (a string page, a list of
    # numbers) cannot be read as records, so the call fails as the provider's fault, with its answer.
    if not isinstance(records, list) or not all(isinstance(record, dict) for record in records):
        raise GatewayError(502, f"{answer.account.integration.label} answered a page whose records are not JSON "
                                "objects; the list cannot be read.", remote=True, raw_response=answer.parsed)
    return records


def next_position(method: ResourceMethod, position: Any, limit: int, count: int, answer: ProviderAnswer,
                  request: ProviderRequest) -> Any:
    """Where the page after this one starts, or None when this was the last (or the method doesn't page)."""
    pag = method.pagination
    if pag is None:
        return None
    return pagination.next_position(pag, position, limit, count, answer.parsed, lower_headers(answer.response.headers),
                                    request.path)


def whole_window(records: list[Any], position: Any, limit: int) -> tuple[list[Any], Any]:
    """The `whole` style: the provider answered every record (HubSpot's pipelines are not paged), so
    the page is `limit` of them from the offset `position`; the next offset, or None after the last."""
    start = position or 0
    end = start + limit
    return records[start:end], (end if end < len(records) else None)


async def read_page(provider: ProviderCall, account: AccountRuntime, method: ResourceMethod, state: CallState, *,
                    position: Any, limit: int, scope: dict[str, Any] | None = None,
                    query: Mapping | None = None, body: Mapping | None = None,
                    remote_query: dict[str, Any] | None = None, remote_body: Any = None,
                    keep: Callable[[list[Any]], Awaitable[list[Any]]] | None = None,
                    headers: Mapping | None = None) -> Page:
    """The first page from `position` on with records to return, reading on past empty ones.

    A provider page can be empty while more follow (a filter the provider applies after paging, or
    `keep` dropping every record of a page); such pages are skipped, at most MAX_EMPTY_HOPS of them.
    """
    if scope is None:
        scope = {"query": {}, "context": account.context, "id": None, "body": None, "steps": {}}
    for _ in range(MAX_EMPTY_HOPS):
        request = page_request(account, method, scope, position, limit, query=query, body=body,
                               remote_query=remote_query, remote_body=remote_body, headers=headers)
        answer = await provider.fetch(account, request, state)
        account = answer.account
        records = records_of(method, answer, scope.get("query"))
        if method.pagination is not None and method.pagination.style == "whole":
            records, following = whole_window(records, position, limit)
        else:
            following = next_position(method, position, limit, len(records), answer, request)
        kept = await keep(records) if keep is not None else records
        if kept or following is None:
            return Page(kept, following, answer)
        position = following  # an empty page with more to come: read on (docs/integrations.md)
    raise GatewayError(502, f"{account.integration.label} returned {MAX_EMPTY_HOPS} pages in a row "
                            "with no matching records; narrow the query.")
