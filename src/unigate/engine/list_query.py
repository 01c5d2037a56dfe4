"""A unified list's filters and sort order, checked against what the CRM can apply and put in one shape.

A list that names a filter the mapping does not declare (any parameter besides the paging, `sort_by`,
`remote_query` and the `truto_*` options), an operator the CRM lacks, or a sort it cannot do is answered 400 naming what it can do: an unfiltered answer to a filtered question would
look like a correct one (docs/api.md "List filters").

What the mappings see (`query.<name>`):
- a plain filter (`account[id]=…`, `contact[][id]=…`): the value as sent, a one-item list of objects as the object;
- a filter by operator (`updated_at[gte]=…`, `name=…` meaning `eq`): `{operator: value}`, date-times as UTC
  `YYYY-MM-DDTHH:MM:SS.sssZ` (Truto's filters take ISO 8601 whatever the CRM wants:
  https://www.truto.one/docs/api-reference/overview/query-parameters), `in`/`nin` as lists;
- `sort_by`: `{"field": …, "direction": "asc"|"desc"}`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from unigate.engine.spec import ResourceMapping
from unigate.errors import GatewayError

_DIRECTIONS = ("asc", "desc")
# What a list takes besides its filters (the edge reads the account and the `truto_*` options; engine/pages.py
# the paging). Any other parameter is a filter: one the mapping does not declare is refused, never ignored.
_LIST_PARAMETERS = frozenset({"integrated_account_id", "limit", "next_cursor", "remote_query", "sort_by"})
_DATE_FORMATS = ("date-time", "date")


def checked_list_query(query: dict[str, Any], mapping: ResourceMapping, fields: dict[str, Any],
                       label: str, path: str) -> dict[str, Any]:
    """`query` with its filters and sort normalised; raises the 400 for what `label` cannot apply to `path`."""
    query = dict(query)
    for name in mapping.filters:
        value = query.get(name)
        if value is None:
            continue
        operators = mapping.filter_operators.get(name)
        if operators is None:
            # `contact[][id]=…` (the field is a list) and `contact[id]=…` both name one contact: mappings
            # read `query.contact.id`.
            if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
                query[name] = value[0]
            continue
        query[name] = _compared(name, value, operators, fields.get(name) or {}, label, path)
    unknown = sorted(k for k in query if k not in mapping.filters and k not in mapping.query_params
                     and k not in _LIST_PARAMETERS and not k.startswith("truto_"))
    if unknown:
        raise GatewayError(400, f"{label} cannot filter {path} by {', '.join(f'`{k[:60]}`' for k in unknown[:10])} "
                                f"(filters it takes: {_takes(mapping)}).",
                           insight={"unsupported_filters": {"description": "List filters this CRM cannot apply.",
                                                            "value": unknown}})
    for group in mapping.exclusive_filters:
        named = [name for name in group if name in query]
        if len(named) > 1:
            raise GatewayError(400, f"{label} cannot combine the filters {', '.join(f'`{n}`' for n in named)} on "
                                    f"{path}: it applies them differently, so a list takes one of "
                                    f"{', '.join(f'`{n}`' for n in group)} at a time.",
                               insight={"exclusive_filters": {"description": "List filters this CRM applies one at a time.",
                                                              "value": list(group)}})
    if "sort_by" in query:
        query["sort_by"] = _sort(query["sort_by"], mapping, label, path)
    return query


def _takes(mapping: ResourceMapping) -> str:
    named = [f"`{name}` ({', '.join(mapping.filter_operators[name])})" if name in mapping.filter_operators
             else f"`{name}`" for name in mapping.filters]
    return ", ".join(named) or "none"


def _compared(name: str, value: Any, operators: tuple[str, ...], field: dict[str, Any], label: str,
              path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        value = {"in": value} if isinstance(value, list) else {"eq": value}  # `a[]=x&a[]=y` means `in` (Truto)
    refused = sorted(op for op in value if op not in operators)
    if refused:
        raise GatewayError(400, f"{label} cannot filter {path} by `{name}` with {', '.join(refused)} "
                                f"(it takes {', '.join(operators)}: `{name}[{operators[0]}]=…`).",
                           insight={"unsupported_filters": {"description": "List filters this CRM cannot apply.",
                                                            "value": [f"{name}[{op}]" for op in refused]}})
    kind = field.get("format") if field.get("type") == "string" else field.get("type")
    normalised: dict[str, Any] = {}
    for op, given in value.items():
        if op in ("in", "nin"):
            items = given.split(",") if isinstance(given, str) else given
            if not isinstance(items, list) or not items:
                raise GatewayError(400, f"`{name}[{op}]` takes a list of values (comma-separated or `{name}[{op}][]=…`).")
            normalised[op] = [_scalar(name, op, item, kind) for item in items]
        else:
            normalised[op] = _scalar(name, op, given, kind)
    return normalised


def _scalar(name: str, op: str, value: Any, kind: str | None) -> Any:
    if not isinstance(value, str):
        raise GatewayError(400, f"`{name}[{op}]` takes one value, not an object or a list.")
    if kind in _DATE_FORMATS:
        return utc_instant(name, op, value)
    if kind == "boolean":
        if value.lower() not in ("true", "false"):
            raise GatewayError(400, f"`{name}` takes true or false, not {value[:60]!r}.")
        return value.lower() == "true"
    if kind in ("number", "integer"):
        try:
            return float(value) if kind == "number" else int(value)
        except ValueError:
            raise GatewayError(400, f"`{name}` takes a number, not {value[:60]!r}.") from None
    return value


def utc_instant(name: str, op: str, value: str) -> str:
    """An ISO 8601 date or date-time as UTC `YYYY-MM-DDTHH:MM:SS.sssZ`; a date is its midnight UTC, a time
    without an offset is UTC."""
    try:
        instant = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise GatewayError(400, f"`{name}[{op}]` takes an ISO 8601 date or date-time (2026-01-31T09:00:00Z), "
                                f"not {value[:60]!r}.") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    instant = instant.astimezone(UTC)
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


def _sort(value: Any, mapping: ResourceMapping, label: str, path: str) -> dict[str, str]:
    """`sort_by[field]=asc|desc` or `sort_by=field` (ascending): the one field the CRM sorts by."""
    if isinstance(value, str):
        value = {value: "asc"}
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = {v: "asc" for v in value}
    if not isinstance(value, dict) or not value:
        raise GatewayError(400, "`sort_by` takes `sort_by[<field>]=asc|desc` or `sort_by=<field>`.")
    takes = ", ".join(f"`{f}`" for f in mapping.sort_by) or "none"
    if len(value) > 1:
        raise GatewayError(400, f"{label} sorts {path} by one field at a time; this list names {len(value)}.")
    (name, direction), = value.items()
    if name not in mapping.sort_by:
        raise GatewayError(400, f"{label} cannot sort {path} by `{name}` (fields it sorts by: {takes}).",
                           insight={"sort_by": {"description": "The fields this CRM sorts the list by.",
                                                "value": list(mapping.sort_by)}})
    direction = direction.lower() if isinstance(direction, str) and direction else "asc"
    if direction not in _DIRECTIONS:
        raise GatewayError(400, f"`sort_by[{name}]` takes asc or desc, not {str(direction)[:20]!r}.")
    return {"field": name, "direction": direction}
