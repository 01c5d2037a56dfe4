"""Nutshell emulator: the REST API (`/rest/...`) for accounts (companies).

Sources:
- research crm-apis-2.md §2.2 and §6, and the vendor's OpenAPI (https://app.nutshell.com/swagger.json,
  mirrored in api-evangelist/nutshell `openapi/_original/nutshell-api.json`): paths, `page[limit]` +
  0-based `page[page]`, the `{"meta", "accounts"}` envelopes, `accountResponse` with sideloaded
  creators/owners/origins/contacts/accountTypes/industries, create 201, PATCH as RFC 6902 JSON Patch,
  DELETE 200 with the deleted account (soft delete, `POST /accounts/{id}/undelete`);
- developers.nutshell.com/docs/api-authentication: HTTP Basic, user email + API key;
- developers.nutshell.com/docs/links: the top-level `links` map of relationship templates;
- recorded vendor answers in amp-labs/connectors `providers/nutshell/test/...` (3p, captured from a
  real instance): the list record shape (`type`, `href`, `links{creator, owner, tags, industry, ...}`),
  the error envelope `{"meta", "links", "accounts": [], "errors": [{id, type, code, detail, href,
  status, title, field}]}`, "Invalid page number: -1", "You may only create one accounts resource per
  request.", the PATCH content-type error, and `page[limit]` up to 10,000.
"""

from __future__ import annotations

import base64
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Emulator, json_response

SANDBOX_USERNAME = "api-user@sandbox-nutshell.example"
SANDBOX_API_KEY = "sandbox-nutshell-key"
INSTANCE_ID = "120045"
SITE_ID = "sBx9Qa2L"
HOST = "https://app.nutshell.com"

# research §2.2 "page[limit]"; no documented default. [unverified] The JSON-RPC findAccounts default
# (limit 50, also unverified) is used.
DEFAULT_PAGE_LIMIT = 50
MAX_PAGE_LIMIT = 10_000       # amp-labs connectors handlers.go: "anything higher will return an error"

# 401 body: not documented. Nutshell's REST stack answers framework errors as {"code", "message"}
# (amp-labs fixture err-internal-server.json); the same shape is assumed for 401. [unverified]
UNAUTHORIZED_BODY: Any = {"code": 401, "message": "Unauthorized"}
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Basic realm="Nutshell API"'}

# PATCH answers 204 No Content per the swagger; the recorded connector fixture answers 200 with the
# account. This sandbox answers 200 with the accountResponse so a caller sees the result. Set
# PATCH_STATUS = 204 to reproduce the swagger's answer. [unverified]
PATCH_STATUS = 200
CREATE_STATUS = 201           # swagger: POST /accounts -> 201
# Soft delete (swagger: restorable for 30 days): GET on a deleted account still answers with it
# (deletedTime set); a second DELETE is 404. [unverified]
DELETED_ACCOUNTS_READABLE = True
PATCH_CONTENT_TYPE = "application/json-patch+json"
PATCH_CONTENT_TYPE_ERROR = "application/json-patch+json is required, see http://jsonapi.org"

_ID = re.compile(r"^(\d+)-accounts$")

_NAMES_A = ["Acme", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay",
            "Soylent", "Tyrell", "Cyberdyne", "Wonka", "Oscorp", "Massive", "Blue Ridge", "Silverline",
            "Redwood", "Harbor", "Summit", "Pioneer", "Evergreen", "Keystone", "Lakeside", "Granite"]
_NAMES_B = ["Labs", "Industries", "Logistics", "Analytics", "Systems", "Foods", "Health", "Energy",
            "Robotics", "Partners", "Capital", "Media", "Works", "Networks"]
_FORMS = ["Inc.", "LLC", "Co.", "Group", "Ltd"]
_CITIES = [
    ("206 E Huron St", "Suite 200", "Ann Arbor", "MI", "48104", "US", 42.2812, -83.7456),
    ("1 Market St", "Floor 3", "San Francisco", "CA", "94105", "US", 37.7941, -122.3951),
    ("100 Congress Ave", "", "Austin", "TX", "78701", "US", 30.2634, -97.7446),
    ("200 Clarendon St", "Unit 12", "Boston", "MA", "02116", "US", 42.3493, -71.0745),
    ("88 Queen St", "", "Toronto", "ON", "M5H 2N2", "CA", 43.6520, -79.3813),
    ("10 Downing St", "", "London", "England", "SW1A 2AA", "GB", 51.5034, -0.1276),
]
_USERS = [("1-users", "Andy Fowler", "andy@sandbox-nutshell.example"),
          ("2-users", "Becca Lin", "becca@sandbox-nutshell.example"),
          ("3-users", "Carlos Mendes", "carlos@sandbox-nutshell.example"),
          ("4-users", "Dee Okafor", "dee@sandbox-nutshell.example")]
_INDUSTRIES = ["Software", "Manufacturing", "Healthcare", "Financial Services", "Retail", "Logistics",
               "Energy", "Education"]
_TAGS = ["enterprise", "smb", "partner", "churn-risk", "vip", "prospect"]
_ACCOUNT_TYPES = ["Customer", "Prospect", "Partner", "Vendor", "Competitor"]
_CUSTOM_FIELDS = [("1-customfields", "Tier", "enum", ["Gold", "Silver", "Bronze"]),
                  ("2-customfields", "Renewal date", "date", None),
                  ("3-customfields", "Lead source", "text", None),
                  ("4-customfields", "Annual revenue", "currency", None)]
_FIRST = ["Ava", "Noah", "Mia", "Liam", "Zoe", "Ethan", "Ivy", "Owen"]
_LAST = ["Carter", "Nguyen", "Schmidt", "Rossi", "Kowalski", "Haddad", "Silva", "Moreau"]
_BASE = datetime(2023, 3, 1, 15, 0, 0, tzinfo=timezone.utc)


def _slug(text: str) -> str:
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


class NutshellEmulator(Emulator):
    name = "nutshell"

    # -- data -------------------------------------------------------------------------------------
    def reset(self, count: int | None = None) -> None:
        self.users = {uid: {"id": uid, "type": "users", "name": n, "firstName": n.split()[0], "emails": [e],
                            "isEnabled": True, "isAdministrator": uid == "1-users", "modifiedTime": 1677682800}
                      for uid, n, e in _USERS}
        self.industries = {f"{i + 1}-industries": {"id": f"{i + 1}-industries", "type": "industries", "name": n,
                                                   "modifiedTime": 1677682800}
                           for i, n in enumerate(_INDUSTRIES)}
        self.tags = {f"{i + 1}-tags": {"id": f"{i + 1}-tags", "type": "tags", "name": n}
                     for i, n in enumerate(_TAGS)}
        self.account_types = {f"{i + 1}-accountTypes": {"id": f"{i + 1}-accountTypes", "type": "accountTypes",
                                                        "name": n, "modifiedTime": 1677682800}
                              for i, n in enumerate(_ACCOUNT_TYPES)}
        self.custom_fields = {name: {"id": cid, "type": "customfields", "name": name, "title": name,
                                     "fieldType": kind, "choices": choices}
                              for cid, name, kind, choices in _CUSTOM_FIELDS}
        self.contacts: dict[str, dict[str, Any]] = {}
        self.next_id = 0
        super().reset(count)

    def seed(self, count: int) -> None:
        for i in range(count):
            self.next_id += 1
            name = f"{_NAMES_A[i % len(_NAMES_A)]} {_NAMES_B[(i // 2) % len(_NAMES_B)]} {_FORMS[(i // 5) % len(_FORMS)]}"
            if i >= len(_NAMES_A) * len(_NAMES_B):
                name += f" {i}"
            street, street2, city, state, postal, country, lat, lng = _CITIES[i % len(_CITIES)]
            created = _BASE + timedelta(hours=6 * i, minutes=i % 50)
            modified = created + timedelta(days=2 + i % 30, minutes=11)
            domain = f"{_slug(name).replace('-', '')}.example"
            dial = "+44" if country == "GB" else "+1"
            account = {
                "name": name,
                "description": f"{name} buys from us through the {['direct', 'partner', 'online'][i % 3]} channel.",
                "emails": [{"isPrimary": True, "name": "work", "value": f"info@{domain}"}],
                "addresses": [{"isPrimary": True, "name": "office", "address_1": street, "address_2": street2 or None,
                               "address_3": None, "city": city, "state": state, "postalCode": postal,
                               "country": country, "timezone": None, "locationAccuracy": "8",
                               "value": {"location": {"latitude": lat, "longitude": lng}}}],
                "phones": [{"isPrimary": True, "name": "work", "isOptedOut": False,
                            "value": format_phone(f"{dial} {734 + i % 200:03d}-555-{i % 10000:04d}"
                                                  + (f" x{100 + i % 50}" if i % 4 == 0 else ""))}],
                "urls": [{"isPrimary": True, "name": "website", "value": f"https://www.{domain}"}]
                        + ([{"isPrimary": False, "name": "LinkedIn",
                             "value": f"https://www.linkedin.com/company/{_slug(name)}"}] if i % 2 == 0 else []),
                "revenue": {"amount": f"{1_000_000 + i * 25_000}.00", "formatted": f"${1_000_000 + i * 25_000:,}.00"},
                "employeeCount": 5 + (i * 53) % 5000,
                "createdTime": int(created.timestamp()),
                "modifiedTime": int(modified.timestamp()),
                "customFields": {"Tier": ["Gold", "Silver", "Bronze"][i % 3],
                                 "Renewal date": (created + timedelta(days=365)).strftime("%Y-%m-%d"),
                                 "Lead source": ["Webinar", "Referral", "Trade show"][i % 3]},
                "links": {
                    "creator": _USERS[(i + 1) % len(_USERS)][0],
                    "owner": _USERS[i % len(_USERS)][0],
                    "territory": None,
                    "tags": [f"{1 + i % len(_TAGS)}-tags"] + ([f"{1 + (i + 2) % len(_TAGS)}-tags"] if i % 3 == 0 else []),
                    "files": [], "relatedFiles": [], "followup": None, "recurringTask": None,
                    "contacts": [],
                    "accountType": f"{1 + i % 3}-accountTypes",
                    "industry": f"{1 + i % len(_INDUSTRIES)}-industries",
                },
            }
            self._store(self.next_id, account)
        # People (contacts) exist too; each is linked to an account.
        ids = list(self.records)
        for j in range(max(1, count // 5)):
            cid = f"{j + 1}-contacts"
            self.contacts[cid] = {"id": cid, "type": "contacts", "name": f"{_FIRST[j % 8]} {_LAST[(j // 8) % 8]}",
                                  "href": f"{HOST}/rest/contacts/{cid}"}
            if ids:
                self.records[ids[j % len(ids)]]["links"]["contacts"].append(cid)

    def _store(self, number: int, data: dict[str, Any]) -> dict[str, Any]:
        account_id = f"{number}-accounts"
        slug = f"{number}-{_slug(data.get('name') or 'company')}"
        name = data.get("name") or ""
        record = {
            "id": account_id, "type": "accounts", "name": name, "description": data.get("description"),
            "emails": data.get("emails", []), "addresses": data.get("addresses", []),
            "phones": data.get("phones", []), "urls": data.get("urls", []),
            "href": f"{HOST}/rest/accounts/{account_id}", "revenue": data.get("revenue"),
            "employeeCount": data.get("employeeCount"),
            "avatarUrl": f"{HOST}/avatar/accounts/{number}/{INSTANCE_ID}/sandbox.2/{data.get('createdTime', 0)}",
            "initials": "".join(w[0] for w in name.split()[:2]).upper() if name else "",
            "htmlUrl": f"{HOST}/company/{slug}", "htmlUrlPath": f"/company/{slug}",
            "createdTime": data.get("createdTime"), "modifiedTime": data.get("modifiedTime"),
            "customFields": data.get("customFields", {}),
            "links": data["links"],
        }
        self.records[account_id] = record
        return record

    # -- envelopes ---------------------------------------------------------------------------------
    def _meta(self) -> dict[str, Any]:
        return {"instanceId": INSTANCE_ID, "siteId": SITE_ID}

    def _link_templates(self) -> dict[str, Any]:
        rel = {"creator": "creators", "owner": "owners", "territory": "territories", "tags": "tags",
               "followup": "followups", "recurringTask": "tasks", "contacts": "contacts",
               "accountType": "accountTypes", "industry": "industries"}
        out = {f"accounts.{k}": {"href": f"{HOST}/rest/{v}/{{accounts.{k}}}", "type": v} for k, v in rel.items()}
        out["accounts.files"] = {"href": f"{HOST}/rest/accounts/{{accounts.id}}/files", "type": "files"}
        return out

    def _account_response(self, accounts: list[dict[str, Any]]) -> dict[str, Any]:
        """swagger `accountResponse`: the accounts plus the related objects they link to."""
        def collect(key: str, table: dict[str, Any]) -> list[Any]:
            seen: dict[str, Any] = {}
            for account in accounts:
                value = account["links"].get(key)
                for ref in (value if isinstance(value, list) else [value]):
                    if ref and ref in table:
                        seen[ref] = table[ref]
            return list(seen.values())
        return {
            "meta": self._meta(), "links": self._link_templates(), "accounts": accounts,
            "creators": collect("creator", self.users), "owners": collect("owner", self.users),
            "origins": [], "contacts": collect("contacts", self.contacts),
            "accountTypes": collect("accountType", self.account_types),
            "industries": collect("industry", self.industries),
        }

    def _error(self, status: int, title: str, detail: str | None = None, field: str | None = None) -> Response:
        return json_response({"meta": self._meta(), "links": {}, "accounts": [], "errors": [{
            "id": None, "type": "errors", "code": None, "detail": detail, "href": None, "status": str(status),
            "title": title, "field": field}]}, status)

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if header[:6].lower() != "basic ":
            return False
        try:
            user, _, key = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return user.lower() == SANDBOX_USERNAME and key == SANDBOX_API_KEY

    def _guard(self, handler):
        async def wrapped(request: Request) -> Response:
            if not self._authorized(request):
                return json_response(UNAUTHORIZED_BODY, 401, UNAUTHORIZED_HEADERS)
            try:
                return await handler(request)
            except NutshellError as exc:
                return self._error(exc.status, exc.title, exc.detail, exc.field)
        return wrapped

    def routes(self) -> list[Route]:
        g = self._guard
        return [
            Route("/rest/accounts", g(self.list_accounts), methods=["GET"]),
            Route("/rest/accounts", g(self.create_account), methods=["POST"]),
            Route("/rest/accounts/customfields/attributes", g(self.custom_field_attributes), methods=["GET"]),
            Route("/rest/accounts/{id}", g(self.get_accounts), methods=["GET"]),
            Route("/rest/accounts/{id}", g(self.patch_account), methods=["PATCH"]),
            Route("/rest/accounts/{id}", g(self.delete_account), methods=["DELETE"]),
            Route("/rest/accounts/{id}/undelete", g(self.undelete_account), methods=["POST"]),
            Route("/rest/industries", g(self.list_industries), methods=["GET"]),
            Route("/rest/accounttypes", g(self.list_account_types), methods=["GET"]),
        ]

    # -- handlers ----------------------------------------------------------------------------------
    async def list_accounts(self, request: Request) -> Response:
        params = request.query_params
        raw_limit = params.get("page[limit]", str(DEFAULT_PAGE_LIMIT))
        raw_page = params.get("page[page]", "0")
        if not re.fullmatch(r"-?\d+", raw_page) or int(raw_page) < 0:
            raise NutshellError(400, "Invalid filter", f"Invalid page number: {raw_page}")
        if not re.fullmatch(r"-?\d+", raw_limit) or not 1 <= int(raw_limit) <= MAX_PAGE_LIMIT:
            raise NutshellError(400, "Invalid filter", f"Invalid page limit: {raw_limit}")
        limit, page = int(raw_limit), int(raw_page)
        live = [a for a in self.records.values() if "deletedTime" not in a]
        q = params.get("q")
        if q:
            live = [a for a in live if q.lower() in (a["name"] or "").lower()]
        sort = params.get("sort")
        if sort:
            key = sort.lstrip("-")
            if key not in ("name", "createdTime"):
                raise NutshellError(400, "Invalid sort", f"Cannot sort by {key}")
            live = sorted(live, key=lambda a: (a.get(key) is None, a.get(key) or ""), reverse=sort.startswith("-"))
        chunk = live[page * limit: (page + 1) * limit]
        facets: dict[str, int] = {k: 0 for k in self.account_types}
        for account in live:
            facets[account["links"]["accountType"]] = facets.get(account["links"]["accountType"], 0) + 1
        body = {
            "meta": {"count": len(chunk), "countFormatted": _formatted(len(chunk)), "total": len(live),
                     "totalFormatted": _formatted(len(live)), "facets": {"accountType": facets}, **self._meta()},
            "links": {},
            "accounts": chunk,
        }
        return json_response(body)

    def _find(self, raw_id: str, *, allow_deleted: bool) -> dict[str, Any]:
        account = self.records.get(raw_id) if _ID.match(raw_id) else None
        if account is None or ("deletedTime" in account and not allow_deleted):
            raise NutshellError(404, "Not Found", f"Could not find account with id {raw_id}")
        return account

    async def get_accounts(self, request: Request) -> Response:
        ids = [i.strip() for i in request.path_params["id"].split(",") if i.strip()]
        found = [self._find(i, allow_deleted=DELETED_ACCOUNTS_READABLE) for i in ids]
        return json_response(self._account_response(found))

    async def create_account(self, request: Request) -> Response:
        body = await _json(request)
        items = body.get("accounts") if isinstance(body, dict) else None
        if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict):
            raise NutshellError(400, "You may only create one accounts resource per request.")
        data = items[0]
        if not any(data.get(k) for k in ("name", "phones", "emails", "addresses", "urls")):
            raise NutshellError(422, "Invalid account", "At least one of the following fields is required: "
                                "name, phone, email, address, or url.")
        now = int(time.time())
        links = {"creator": "1-users", "owner": "1-users", "territory": None, "tags": [], "files": [],
                 "relatedFiles": [], "followup": None, "recurringTask": None, "contacts": [],
                 "accountType": "1-accountTypes", "industry": None}
        account = {"name": data.get("name") or "", "description": data.get("description"),
                   "emails": [], "addresses": [], "phones": [], "urls": [], "revenue": None,
                   "employeeCount": None, "createdTime": now, "modifiedTime": now, "customFields": {},
                   "links": links}
        self._apply_fields(account, data)
        self._apply_links(account, data.get("links") or {})
        if "customFields" in data:
            account["customFields"] = self._custom_fields(data["customFields"])
        self.next_id += 1
        record = self._store(self.next_id, account)
        return json_response(self._account_response([record]), CREATE_STATUS)

    async def patch_account(self, request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != PATCH_CONTENT_TYPE:
            return json_response(PATCH_CONTENT_TYPE_ERROR, 400)
        account = self._find(request.path_params["id"], allow_deleted=False)
        ops = await _json(request)
        if not isinstance(ops, list) or not ops:
            raise NutshellError(400, "Invalid patch", "The body must be a non-empty JSON Patch array")
        staged = orjson.loads(orjson.dumps(account))
        for op in ops:
            self._patch_one(staged, op)
        staged["modifiedTime"] = int(time.time())
        account.clear()
        account.update(staged)
        if PATCH_STATUS == 204:
            return Response(status_code=204)
        return json_response(self._account_response([account]), PATCH_STATUS)

    async def delete_account(self, request: Request) -> Response:
        account = self._find(request.path_params["id"], allow_deleted=False)
        account["deletedTime"] = int(time.time())
        return json_response(self._account_response([account]))

    async def undelete_account(self, request: Request) -> Response:
        account = self._find(request.path_params["id"], allow_deleted=True)
        account.pop("deletedTime", None)
        return json_response(self._account_response([account]))

    async def list_industries(self, request: Request) -> Response:
        return json_response(list(self.industries.values()))

    async def list_account_types(self, request: Request) -> Response:
        return json_response(list(self.account_types.values()))

    async def custom_field_attributes(self, request: Request) -> Response:
        return json_response({"customFields": list(self.custom_fields.values())})

    # -- writes ------------------------------------------------------------------------------------
    def _apply_fields(self, account: dict[str, Any], data: dict[str, Any]) -> None:
        for key in ("name", "description"):
            if key in data:
                if data[key] is not None and not isinstance(data[key], str):
                    raise NutshellError(422, f"Invalid value for {key}", field=key)
                account[key] = data[key]
        if "employeeCount" in data:
            account["employeeCount"] = self._employees(data["employeeCount"])
        for key, parser in (("phones", self._phones), ("emails", self._emails), ("urls", self._urls),
                            ("addresses", self._addresses)):
            if key in data:
                account[key] = parser(data[key])

    def _employees(self, value: Any) -> int | None:
        if value is None:
            return None
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise NutshellError(422, "Invalid value for employeeCount", field="employeeCount") from None
        if number < 0:
            raise NutshellError(422, "Invalid value for employeeCount", field="employeeCount")
        return number

    def _list_of(self, value: Any, key: str) -> list[dict[str, Any]]:
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise NutshellError(422, f"Invalid value for {key}", f"{key} must be a list of objects", key)
        return value

    def _primary(self, items: list[dict[str, Any]]) -> None:
        if items and not any(i.get("isPrimary") for i in items):
            items[0]["isPrimary"] = True

    def _phones(self, value: Any) -> list[dict[str, Any]]:
        out = []
        for item in self._list_of(value, "phones"):
            raw = item.get("value")
            if isinstance(raw, dict):  # the read shape, sent back
                raw = raw.get("E164") or raw.get("number")
                if raw and item["value"].get("extension"):
                    raw = f"{raw} x{item['value']['extension']}"
            if not raw or not re.search(r"\d{3}", str(raw)):
                raise NutshellError(422, "Invalid phone number", f"{raw!r} is not a phone number", "phones")
            out.append({"isPrimary": bool(item.get("isPrimary")), "name": item.get("name") or "phone",
                        "isOptedOut": False, "value": format_phone(str(raw))})
        self._primary(out)
        return out

    def _emails(self, value: Any) -> list[dict[str, Any]]:
        out = []
        for item in self._list_of(value, "emails"):
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", str(item.get("value", ""))):
                raise NutshellError(422, "Invalid email address", f"{item.get('value')!r} is not valid", "emails")
            out.append({"isPrimary": bool(item.get("isPrimary")), "name": item.get("name") or "email",
                        "value": item["value"]})
        self._primary(out)
        return out

    def _urls(self, value: Any) -> list[dict[str, Any]]:
        out = []
        for item in self._list_of(value, "urls"):
            if not isinstance(item.get("value"), str) or not item["value"].strip():
                raise NutshellError(422, "Invalid URL", field="urls")
            out.append({"isPrimary": bool(item.get("isPrimary")), "name": item.get("name") or "url",
                        "value": item["value"]})
        self._primary(out)
        return out

    def _addresses(self, value: Any) -> list[dict[str, Any]]:
        """Writes accept the parts nested under `value` (swagger POST example) or flat (read shape);
        reads are flat (research §2.2, nesting [unverified])."""
        out = []
        for item in self._list_of(value, "addresses"):
            parts = item.get("value") if isinstance(item.get("value"), dict) and "location" not in item["value"] else item
            address = {"isPrimary": bool(item.get("isPrimary")), "name": item.get("name") or "address"}
            for key in ("address_1", "address_2", "address_3", "city", "state", "postalCode", "country"):
                address[key] = parts.get(key) or None
            if not any(address[k] for k in ("address_1", "city", "state", "postalCode", "country")):
                raise NutshellError(422, "Invalid address", "An address needs at least one part", "addresses")
            address.update({"timezone": None, "locationAccuracy": "8" if address["address_1"] else "4",
                            "value": {"location": None}})
            out.append(address)
        self._primary(out)
        return out

    def _apply_links(self, account: dict[str, Any], links: dict[str, Any]) -> None:
        if not isinstance(links, dict):
            raise NutshellError(422, "Invalid links", field="links")
        for key, value in links.items():
            self._set_link(account, key, value)

    def _set_link(self, account: dict[str, Any], key: str, value: Any) -> None:
        tables = {"owner": self.users, "creator": self.users, "industry": self.industries,
                  "accountType": self.account_types, "tags": self.tags, "contacts": self.contacts}
        if key not in tables:
            raise NutshellError(422, f"Unknown link {key}", field=f"links.{key}")
        table = tables[key]
        if key in ("tags", "contacts"):
            refs = value if isinstance(value, list) else [value]
            for ref in refs:
                if ref not in table:
                    raise NutshellError(422, f"Invalid {key} link", f"{ref!r} does not exist", f"links.{key}")
            account["links"][key] = list(dict.fromkeys(refs))
            return
        if value is not None and value not in table:
            raise NutshellError(422, f"Invalid {key} link", f"{value!r} does not exist", f"links.{key}")
        account["links"][key] = value

    def _custom_fields(self, values: Any) -> dict[str, Any]:
        if not isinstance(values, dict):
            raise NutshellError(422, "Invalid customFields", field="customFields")
        out = {}
        for name, value in values.items():
            spec = self.custom_fields.get(name)
            if spec is None:
                raise NutshellError(422, "Invalid custom field", f"No account custom field named {name!r}",
                                    "customFields")
            if spec["fieldType"] == "enum" and value is not None and value not in spec["choices"]:
                raise NutshellError(422, "Invalid custom field value",
                                    f"{value!r} is not one of {', '.join(spec['choices'])}", "customFields")
            out[name] = value
        return out

    def _patch_one(self, account: dict[str, Any], op: Any) -> None:
        if not isinstance(op, dict) or op.get("op") not in ("add", "remove", "replace"):
            raise NutshellError(400, "Invalid patch operation", "op must be add, remove or replace")
        path = str(op.get("path", ""))
        parts = [p for p in path.split("/") if p != ""]
        if len(parts) < 3 or parts[0] != "accounts" or parts[1] != "0":
            raise NutshellError(400, "Invalid patch path", f"Unsupported path {path}")
        kind, rest, value = op["op"], parts[2:], op.get("value")
        if rest[0] == "links":
            if len(rest) < 2:
                raise NutshellError(400, "Invalid patch path", f"Unsupported path {path}")
            key = rest[1]
            if key in ("tags", "contacts") and len(rest) == 3:
                current = list(account["links"].get(key) or [])
                if kind == "add" and rest[2] == "-":
                    self._set_link(account, key, current + [value])
                elif kind == "remove":
                    self._set_link(account, key, [r for r in current if r != rest[2]])
                else:
                    raise NutshellError(400, "Invalid patch path", f"Unsupported path {path}")
                return
            self._set_link(account, key, None if kind == "remove" else value)
            return
        if rest[0] == "customFields" and len(rest) == 2:
            merged = {**account["customFields"], rest[1]: None if kind == "remove" else value}
            account["customFields"] = {k: v for k, v in self._custom_fields(merged).items() if v is not None}
            return
        field = rest[0]
        if len(rest) == 1 and field in ("name", "description", "employeeCount", "phones", "emails", "urls",
                                        "addresses"):
            empty = [] if field in ("phones", "emails", "urls", "addresses") else None
            self._apply_fields(account, {field: empty if kind == "remove" else value})
            return
        if len(rest) == 2 and rest[1] == "-" and field in ("phones", "emails", "urls", "addresses") and kind == "add":
            self._apply_fields(account, {field: account[field] + [value]})
            return
        if len(rest) == 1 and field in self.custom_fields:  # swagger: custom fields by name at /accounts/0/{name}
            self._patch_one(account, {"op": kind, "path": f"/accounts/0/customFields/{field}", "value": value})
            return
        raise NutshellError(400, "Invalid patch path", f"Unsupported path {path}")


def _formatted(value: int) -> dict[str, Any]:
    return {"formatted": f"{value:,}", "prefix": "", "suffix": "", "value": value}


async def _json(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        raise NutshellError(400, "Invalid JSON", "The request body is empty")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise NutshellError(400, "Invalid JSON", "The request body is not valid JSON") from None


EMULATOR = NutshellEmulator
