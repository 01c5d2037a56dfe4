"""What every Nutshell resource shares: credentials, the error type, request-body parsing, value formats.

Authentication: HTTP Basic, user email + API key (https://developers.nutshell.com/docs/api-authentication).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from unigate.sandbox.base import loads_json
import orjson
from starlette.requests import Request

SANDBOX_USERNAME = "api-user@sandbox-nutshell.example"
SANDBOX_API_KEY = "sandbox-nutshell-key"
INSTANCE_ID = "120045"
SITE_ID = "sBx9Qa2L"
HOST = "https://app.nutshell.com"

# 401 body: not documented. Nutshell's REST stack answers framework errors as {"code", "message"}
# (amp-labs fixture err-internal-server.json); the same shape is assumed for 401. [unverified]
UNAUTHORIZED_BODY: Any = {"code": 401, "message": "Unauthorized"}
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Basic realm="Nutshell API"'}

# Seed data shared by every resource: users, lookups, people's names.
USERS = [("1-users", "Andy Fowler", "andy@sandbox-nutshell.example"),
          ("2-users", "Becca Lin", "becca@sandbox-nutshell.example"),
          ("3-users", "Carlos Mendes", "carlos@sandbox-nutshell.example"),
          ("4-users", "Dee Okafor", "dee@sandbox-nutshell.example")]
# Users who own no seeded record (enough users for several pages of /users); the last one is disabled.
OTHER_USERS = [(f"{5 + i}-users", name, f"{name.split()[0].lower()}@sandbox-nutshell.example")
               for i, name in enumerate(["Elif Demir", "Finn Murphy", "Gia Romano", "Hugo Lambert", "Isla Grant",
                                         "Jae Park", "Kira Olsen", "Luca Bianchi", "Maya Patel", "Nico Weber",
                                         "Olga Petrova", "Pablo Ortiz", "Quinn Avery", "Rosa Lind"])]
DISABLED_USER_IDS = {OTHER_USERS[-1][0]}
INDUSTRY_NAMES = ["Software", "Manufacturing", "Healthcare", "Financial Services", "Retail", "Logistics",
               "Energy", "Education"]
TAG_NAMES = ["enterprise", "smb", "partner", "churn-risk", "vip", "prospect"]
ACCOUNT_TYPE_NAMES = ["Customer", "Prospect", "Partner", "Vendor", "Competitor"]
FIRST_NAMES = ["Ava", "Noah", "Mia", "Liam", "Zoe", "Ethan", "Ivy", "Owen"]
LAST_NAMES = ["Carter", "Nguyen", "Schmidt", "Rossi", "Kowalski", "Haddad", "Silva", "Moreau"]
SEED_EPOCH = datetime(2023, 3, 1, 15, 0, 0, tzinfo=timezone.utc)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def format_phone(raw: str) -> dict[str, Any]:
    """Nutshell's phone value object for an entered phone string (`+1 734-123-4567 x12`)."""
    text = str(raw).strip()
    extension = None
    match = re.search(r"\s*(?:x|ext\.?|extension)\s*(\d+)\s*$", text, re.IGNORECASE)
    if match:
        extension = match.group(1)
        text = text[:match.start()]
    country = "1"
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        if digits.startswith("1") and len(digits) == 11:
            country, digits = "1", digits[1:]
        else:
            country, digits = digits[:2], digits[2:]
    elif len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    formatted = f"{digits[:3]}-{digits[3:6]}-{digits[6:]}" if len(digits) == 10 else digits
    return {"countryCode": country, "number": digits, "extension": extension, "numberFormatted": formatted,
            "E164": f"+{country}{digits}", "countryCodeAndNumber": f"+{country} {formatted}"}


class NutshellError(Exception):
    def __init__(self, status: int, title: str, detail: str | None = None, field: str | None = None):
        super().__init__(title)
        self.status = status
        self.title = title
        self.detail = detail
        self.field = field


def formatted_number(value: int) -> dict[str, Any]:
    return {"formatted": f"{value:,}", "prefix": "", "suffix": "", "value": value}


async def json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        raise NutshellError(400, "Invalid JSON", "The request body is empty")
    try:
        return loads_json(raw)
    except orjson.JSONDecodeError:
        raise NutshellError(400, "Invalid JSON", "The request body is not valid JSON") from None




_TIME_RANGE = re.compile(r"^\s*(\S+)\s+TO\s+(\S+)\s*$")


def created_range(params: Any) -> tuple[int, int] | None:
    """`filter[createdTime]=<from> TO <to>` (https://developers.nutshell.com/docs/filters: a time range is two
    timestamps joined by " TO ", e.g. `2025-03-01T00:00:00 TO 2025-03-15T23:59:59`) as unix seconds, both ends
    inclusive and read as UTC [unverified: the docs give no zone or end semantics]; None without the filter. One
    timestamp alone, or anything else, is 400 "Invalid filter" [unverified status]."""
    raw = params.get("filter[createdTime]")
    if raw is None:
        return None
    match = _TIME_RANGE.match(raw)
    try:
        if not match:
            raise ValueError(raw)
        ends = [datetime.fromisoformat(part.replace("Z", "+00:00")) for part in match.groups()]
    except ValueError:
        raise NutshellError(400, "Invalid filter",
                            f"Invalid time range for createdTime: {raw!r} (expected '<from> TO <to>')") from None
    low, high = (int((e if e.tzinfo else e.replace(tzinfo=timezone.utc)).timestamp()) for e in ends)
    return low, high


def id_filtered(records: list[dict[str, Any]], params: Any) -> list[dict[str, Any]]:
    """The records named by the id filter, `filter[id][]=<id>` repeated or `filter[id]=<id>`
    (https://developers.nutshell.com/docs/filters: `id` is one of the ID filters, arrays as `filter[key][]=`); all of
    them without it. An id of another type, or of no record, matches nothing."""
    wanted = params.getlist("filter[id][]") + params.getlist("filter[id]")
    if not wanted:
        return records
    if len(wanted) > 10_000:
        raise NutshellError(400, "Invalid filter", "Too many ids")
    named = set(wanted)
    return [record for record in records if record["id"] in named]
