"""Zoho CRM's Search Records API, by criteria: `GET /crm/v8/<Module>/search?criteria=...`
(https://www.zoho.com/crm/developer/docs/api/v8/search-records.html; crm-oas v8.0 record.json `searchRecords`).

- `criteria`: `(api_name:operator:value)` conditions joined by `and` or `or`, wrapped in one pair of brackets when
  there are several, at most 10. Text fields take `equals` and `starts_with`; date-times (`Created_Time`,
  `Modified_Time`) take `equals`, `greater_than`, `greater_equal`, `less_than`, `less_equal` with an ISO 8601 value
  that carries its offset (Kaizen #82: `Modified_Time:greater_equal:2023-04-19T05:58:06+05:30`). A criteria this
  grammar does not read is 400 INVALID_QUERY; `email`, `phone` and `word` searches are not emulated (the same 400).
  Mixing `and` with `or` without nesting is refused here [unverified: Zoho may accept it].
- `page` / `per_page` (at most 200) reach the first 2,000 matches (400 LIMIT_REACHED beyond
  [unverified wording]); `fields` limits the fields answered; matches come in id order.
- 204 with no body when nothing matches (crm-oas `searchRecords`: 204 No Content).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from unigate.sandbox.zoho_crm.common import DISCRETE_LIMIT, MAX_PER_PAGE, error_object, project

MAX_CONDITIONS = 10
TIME_FIELDS = frozenset({"Created_Time", "Modified_Time"})
TIME_OPERATORS: dict[str, Callable[[datetime, datetime], bool]] = {
    "equals": lambda a, b: a == b, "greater_than": lambda a, b: a > b, "greater_equal": lambda a, b: a >= b,
    "less_than": lambda a, b: a < b, "less_equal": lambda a, b: a <= b}
TEXT_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "equals": lambda a, b: a.lower() == b.lower(), "starts_with": lambda a, b: a.lower().startswith(b.lower())}
_CONDITION = re.compile(r"\(([A-Za-z0-9_]+):([a-z_]+):([^()]*)\)")

Condition = Callable[[dict[str, Any]], bool]


class QueryError(ValueError):
    pass


def _condition(field: str, operator: str, value: str) -> Condition:
    if field in TIME_FIELDS:
        compare = TIME_OPERATORS.get(operator)
        try:
            bound = datetime.fromisoformat(value)
        except ValueError:
            raise QueryError(f"invalid date-time {value!r}") from None
        if compare is None or bound.tzinfo is None:
            raise QueryError(f"{operator} on {field}")
        return lambda record: bool(record.get(field)) and compare(datetime.fromisoformat(record[field]), bound)
    text_compare = TEXT_OPERATORS.get(operator)
    if text_compare is None:
        raise QueryError(f"{operator} on {field}")
    return lambda record: isinstance(record.get(field), str) and text_compare(record[field], value)


def parse_criteria(criteria: str) -> Condition:
    """The record test a criteria string stands for; QueryError for what this grammar does not read."""
    text = criteria.strip()
    if text.startswith("((") and text.endswith("))"):
        text = text[1:-1]
    conditions: list[Condition] = []
    joins: set[str] = set()
    position = 0
    while position < len(text):
        match = _CONDITION.match(text, position)
        if match is None:
            raise QueryError(criteria)
        conditions.append(_condition(*match.groups()))
        position = match.end()
        if position < len(text):
            join = re.match(r"(and|or)", text[position:])
            if join is None:
                raise QueryError(criteria)
            joins.add(join.group(1))
            position += len(join.group(1))
    if not conditions or len(conditions) > MAX_CONDITIONS or len(joins) > 1:
        raise QueryError(criteria)
    if joins == {"or"}:
        return lambda record: any(c(record) for c in conditions)
    return lambda record: all(c(record) for c in conditions)


def search_records(request: Request, order: list[str], records: dict[str, dict[str, Any]],
                   answer: Callable[[Any, int], Response]) -> Response:
    q = request.query_params
    criteria = q.get("criteria")
    if not criteria:
        return answer(error_object("REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
                                   {"param_name": "criteria"}), 400)
    try:
        matches = parse_criteria(criteria)
    except QueryError:
        return answer(error_object("INVALID_QUERY", "invalid query formed", {"param_name": "criteria"}), 400)
    try:
        page, per_page = int(q.get("page", 1)), int(q.get("per_page", MAX_PER_PAGE))
    except ValueError:
        page = per_page = 0
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        return answer(error_object("INVALID_DATA", "invalid data", {"param_name": "page" if page < 1 else "per_page"}),
                      400)
    if (page - 1) * per_page >= DISCRETE_LIMIT:
        return answer(error_object("LIMIT_REACHED", "search results are limited to the first 2000 records",
                                   {"limit": DISCRETE_LIMIT}), 400)
    found = [i for i in order if matches(records[i])][:DISCRETE_LIMIT]
    chunk = found[(page - 1) * per_page: page * per_page]
    if not chunk:
        return answer(None, 204)
    fields = [f.strip() for f in q.get("fields", "").split(",") if f.strip()]
    data = [project(records[i], fields) if fields else records[i] for i in chunk]
    return answer({"data": data, "info": {"per_page": per_page, "count": len(data), "page": page,
                                          "more_records": page * per_page < len(found)}}, 200)
