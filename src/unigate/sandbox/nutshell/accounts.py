"""Nutshell accounts (companies): `/rest/accounts` list, read, create, JSON Patch update, soft delete.

Sources: the vendor's OpenAPI (https://app.nutshell.com/swagger.json, mirrored in api-evangelist/nutshell
`openapi/_original/nutshell-api.json`): paths, `page[limit]` + 0-based `page[page]`, the
`{"meta", "accounts"}` envelopes, `accountResponse` with sideloaded creators/owners/origins/contacts/
accountTypes/industries, create 201, PATCH as RFC 6902 JSON Patch, DELETE 200 with the deleted account
(soft delete, `POST /accounts/{id}/undelete`); https://developers.nutshell.com/docs/links for the
top-level `links` map; recorded vendor answers in amp-labs/connectors `providers/nutshell/test/...` for
the list record shape (the `sort` keys and `email=` are the swagger's), "Invalid page number: -1", "You may only create one accounts resource per
request.", the PATCH content-type error, and `page[limit]` up to 10,000.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response, member
from unigate.sandbox.collection import Collection
from unigate.sandbox.nutshell.customfields import check_multiple
from unigate.sandbox.nutshell.common import (
    created_range, HOST, INDUSTRY_NAMES, INSTANCE_ID, SEED_EPOCH, TAG_NAMES, USERS, NutshellError,
    format_phone, formatted_number, id_filtered, json_body, slugify,
)
from unigate.sandbox.nutshell.values import list_of, mark_primary, parse_emails, parse_phones, parse_urls


# `page[limit]` (https://app.nutshell.com/swagger.json) has no documented default. [unverified] The
# JSON-RPC findAccounts default (limit 50, also unverified) is used.
DEFAULT_PAGE_LIMIT = 50
MAX_PAGE_LIMIT = 10_000       # amp-labs connectors handlers.go: "anything higher will return an error"

# PATCH answers 204 No Content per the swagger; the recorded connector fixture answers 200 with the
# account. The sources disagree: switch `account_patch_status`, 200 with the accountResponse (default) or
# 204 with no body.
PATCH_STATUS = 200
CREATE_STATUS = 201           # swagger: POST /accounts -> 201
# Soft delete (swagger: restorable for 30 days): a second DELETE is 404. Whether GET on a deleted account
# still answers with it (deletedTime set, default) or is 404 is unverified: switch `deleted_readable`.
DELETED_ACCOUNTS_READABLE = True
PATCH_CONTENT_TYPE = "application/json-patch+json"
PATCH_CONTENT_TYPE_ERROR = "application/json-patch+json is required, see http://jsonapi.org"

_ID = re.compile(r"^(\d+)-accounts$")
# `sort` values of GET /accounts (swagger; each also with a leading `-`); `lastContactedTime` is never set here.
SORT_KEYS = ("accountType", "createdTime", "industry", "lastContactedTime", "name", "numberOfContacts", "owner",
             "phone", "postalCode", "territory")


def _account_id(number: int) -> str:
    return f"{number}-accounts"


def _account_number(account_id: str) -> int:
    return int(account_id.split("-", 1)[0])

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
CUSTOM_FIELDS = [("1-customfields", "Tier", "enum", ["Gold", "Silver", "Bronze"]),
                  ("2-customfields", "Renewal date", "date", None),
                  ("3-customfields", "Lead source", "text", None),
                  ("4-customfields", "Annual revenue", "currency", None)]


class Accounts(Resource):
    """Nutshell accounts: routes, seed and store (`self.store`, a `Collection` of `N-accounts` ids; a
    deleted account is archived there and keeps `deletedTime`). Authentication, the error envelope
    and the lookups come from the emulator."""

    name = "accounts"

    def routes(self) -> list[Route]:
        g = self.emulator._guard
        return [
            Route("/rest/accounts", g(self.list_accounts), methods=["GET"]),
            Route("/rest/accounts", g(self.create_account), methods=["POST"]),
            Route("/rest/accounts/customfields/attributes", g(self.custom_field_attributes), methods=["GET"]),
            Route("/rest/accounts/{id}", g(self.get_accounts), methods=["GET"]),
            Route("/rest/accounts/{id}", g(self.patch_account), methods=["PATCH"]),
            Route("/rest/accounts/{id}", g(self.delete_account), methods=["DELETE"]),
            Route("/rest/accounts/{id}/undelete", g(self.undelete_account), methods=["POST"]),
        ]

    def snapshot(self) -> Any:
        return self.store.snapshot()

    def seed(self, count: int) -> None:
        self.store = Collection(make_id=_account_id, number_of=_account_number)
        for i in range(count):
            name = f"{_NAMES_A[i % len(_NAMES_A)]} {_NAMES_B[(i // 2) % len(_NAMES_B)]} {_FORMS[(i // 5) % len(_FORMS)]}"
            if i >= len(_NAMES_A) * len(_NAMES_B):
                name += f" {i}"
            street, street2, city, state, postal, country, lat, lng = _CITIES[i % len(_CITIES)]
            created = SEED_EPOCH + timedelta(hours=6 * i, minutes=i % 50)
            modified = created + timedelta(days=2 + i % 30, minutes=11)
            domain = f"{slugify(name).replace('-', '')}.example"
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
                             "value": f"https://www.linkedin.com/company/{slugify(name)}"}] if i % 2 == 0 else []),
                "revenue": {"amount": f"{1_000_000 + i * 25_000}.00", "formatted": f"${1_000_000 + i * 25_000:,}.00"},
                "employeeCount": 5 + (i * 53) % 5000,
                "createdTime": int(created.timestamp()),
                "modifiedTime": int(modified.timestamp()),
                "customFields": {"Tier": ["Gold", "Silver", "Bronze"][i % 3],
                                 "Renewal date": (created + timedelta(days=365)).strftime("%Y-%m-%d"),
                                 "Lead source": ["Webinar", "Referral", "Trade show"][i % 3]},
                "links": {
                    "creator": USERS[(i + 1) % len(USERS)][0],
                    "owner": USERS[i % len(USERS)][0],
                    "territory": None,
                    "tags": [f"{1 + i % len(TAG_NAMES)}-tags"]
                            + ([f"{1 + (i + 2) % len(TAG_NAMES)}-tags"] if i % 3 == 0 else []),
                    "files": [], "relatedFiles": [], "followup": None, "recurringTask": None,
                    "contacts": [],
                    "accountType": f"{1 + i % 3}-accountTypes",
                    "industry": f"{1 + i % len(INDUSTRY_NAMES)}-industries",
                },
            }
            self._store(account)
        # People link to accounts when the contacts resource is seeded (after this one): contacts.py.

    def _store(self, data: dict[str, Any]) -> dict[str, Any]:
        account_id = self.store.new_id()
        number = _account_number(account_id)
        slug = f"{number}-{slugify(data.get('name') or 'company')}"
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
        return self.store.add(account_id, record)

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
            "meta": self.emulator._meta(), "links": self._link_templates(), "accounts": accounts,
            "creators": collect("creator", self.emulator.users), "owners": collect("owner", self.emulator.users),
            "origins": [], "contacts": collect("contacts", self.emulator.contacts),
            "accountTypes": collect("accountType", self.emulator.account_types),
            "industries": collect("industry", self.emulator.industries),
        }

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
        live = id_filtered(list(self.store.live()), params)
        q = params.get("q")
        if q:
            live = [a for a in live if q.lower() in (a["name"] or "").lower()]
        email = params.get("email")   # swagger: accounts associated with a specific email address
        if email:
            live = [a for a in live if any(e["value"].lower() == email.lower() for e in a["emails"])]
        created = created_range(params)   # https://developers.nutshell.com/docs/filters
        if created:
            live = [a for a in live if a.get("createdTime") is not None
                    and created[0] <= a["createdTime"] <= created[1]]
        sort = params.get("sort")
        if sort:
            key = sort[1:] if sort.startswith("-") else sort
            if key not in SORT_KEYS:
                raise NutshellError(400, "Invalid sort", f"Cannot sort by {key}")
            live = sorted(live, key=lambda a: self._sort_value(a, key), reverse=sort.startswith("-"))
        chunk = live[page * limit: (page + 1) * limit]
        facets: dict[str, int] = {k: 0 for k in self.emulator.account_types}
        for account in live:
            facets[account["links"]["accountType"]] = facets.get(account["links"]["accountType"], 0) + 1
        body = {
            "meta": {"count": len(chunk), "countFormatted": formatted_number(len(chunk)), "total": len(live),
                     "totalFormatted": formatted_number(len(live)), "facets": {"accountType": facets}, **self.emulator._meta()},
            "links": {},
            "accounts": chunk,
        }
        return json_response(body)

    @staticmethod
    def _sort_value(account: dict[str, Any], key: str) -> tuple[bool, Any]:
        links = account["links"]
        value = {"name": account["name"], "createdTime": account.get("createdTime"), "owner": links["owner"],
                 "accountType": links["accountType"], "industry": links["industry"], "territory": links["territory"],
                 "numberOfContacts": len(links["contacts"]),
                 "phone": next((p["value"]["E164"] for p in account["phones"]), None),
                 "postalCode": next((a["postalCode"] for a in account["addresses"]), None)}.get(key)
        return (value is None, value if value is not None else "")

    def _find(self, raw_id: str, *, allow_deleted: bool) -> dict[str, Any]:
        account = self.store.get(raw_id) if _ID.match(raw_id) else None
        if account is None or ("deletedTime" in account and not allow_deleted):
            raise NutshellError(404, "Not Found", f"Could not find account with id {raw_id}")
        return account

    async def get_accounts(self, request: Request) -> Response:
        ids = [i.strip() for i in request.path_params["id"].split(",") if i.strip()]
        found = [self._find(i, allow_deleted=self.emulator.switch["deleted_readable"]) for i in ids]
        return json_response(self._account_response(found))

    async def create_account(self, request: Request) -> Response:
        body = await json_body(request)
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
        record = self._store(account)
        self.emulator.link_account_contacts(record, record["links"]["contacts"])
        self.emulator.resource("events").record("accounts", record["id"], "create")
        return json_response(self._account_response([record]), CREATE_STATUS)

    async def patch_account(self, request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != PATCH_CONTENT_TYPE:
            return json_response(PATCH_CONTENT_TYPE_ERROR, 400)
        account = self._find(request.path_params["id"], allow_deleted=False)
        ops = await json_body(request)
        if not isinstance(ops, list) or not ops:
            raise NutshellError(400, "Invalid patch", "The body must be a non-empty JSON Patch array")
        staged = orjson.loads(orjson.dumps(account))
        for op in ops:
            self._patch_one(staged, op)
        staged["modifiedTime"] = int(time.time())
        previous, wanted = list(account["links"]["contacts"]), list(staged["links"]["contacts"])
        account.clear()
        account.update(staged)
        account["links"]["contacts"] = previous      # the people's side follows from what it was
        self.emulator.link_account_contacts(account, wanted)
        self.emulator.resource("events").record("accounts", account["id"], "update")
        status = self.emulator.switch["account_patch_status"]   # PATCH_STATUS unless switched
        if status == 204:
            return Response(status_code=204)
        return json_response(self._account_response([account]), status)

    async def delete_account(self, request: Request) -> Response:
        account = self._find(request.path_params["id"], allow_deleted=False)
        account["deletedTime"] = int(time.time())
        self.store.archive(account["id"])
        self.emulator.resource("events").record("accounts", account["id"], "delete")
        return json_response(self._account_response([account]))

    async def undelete_account(self, request: Request) -> Response:
        account = self._find(request.path_params["id"], allow_deleted=True)
        account.pop("deletedTime", None)
        self.store.restore(account["id"])
        self.emulator.resource("events").record("accounts", account["id"], "undelete")
        return json_response(self._account_response([account]))

    async def custom_field_attributes(self, request: Request) -> Response:
        return json_response({"customFields": list(self.emulator.custom_fields.values())})

    # -- writes ------------------------------------------------------------------------------------
    def _apply_fields(self, account: dict[str, Any], data: dict[str, Any]) -> None:
        for key in ("name", "description"):
            if key in data:
                if data[key] is not None and not isinstance(data[key], str):
                    raise NutshellError(422, f"Invalid value for {key}", field=key)
                account[key] = data[key]
        if "employeeCount" in data:
            account["employeeCount"] = self._employees(data["employeeCount"])
        for key, parser in (("phones", parse_phones), ("emails", parse_emails), ("urls", parse_urls),
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

    def _addresses(self, value: Any) -> list[dict[str, Any]]:
        """Writes accept the parts nested under `value` (swagger POST example) or flat (read shape);
        reads are flat (https://app.nutshell.com/swagger.json; nesting [unverified])."""
        out = []
        for item in list_of(value, "addresses"):
            parts = item.get("value") if isinstance(item.get("value"), dict) and "location" not in item["value"] else item
            address = {"isPrimary": bool(item.get("isPrimary")), "name": item.get("name") or "address"}
            for key in ("address_1", "address_2", "address_3", "city", "state", "postalCode", "country"):
                address[key] = parts.get(key) or None
            if not any(address[k] for k in ("address_1", "city", "state", "postalCode", "country")):
                raise NutshellError(422, "Invalid address", "An address needs at least one part", "addresses")
            address.update({"timezone": None, "locationAccuracy": "8" if address["address_1"] else "4",
                            "value": {"location": None}})
            out.append(address)
        mark_primary(out)
        return out

    def _apply_links(self, account: dict[str, Any], links: dict[str, Any]) -> None:
        if not isinstance(links, dict):
            raise NutshellError(422, "Invalid links", field="links")
        for key, value in links.items():
            self._set_link(account, key, value)

    def _set_link(self, account: dict[str, Any], key: str, value: Any) -> None:
        tables = {"owner": self.emulator.users, "creator": self.emulator.users, "industry": self.emulator.industries,
                  "accountType": self.emulator.account_types, "tags": self.emulator.tags, "contacts": self.emulator.contacts}
        if key not in tables:
            raise NutshellError(422, f"Unknown link {key}", field=f"links.{key}")
        table = tables[key]
        if key in ("tags", "contacts"):
            refs = value if isinstance(value, list) else [value]
            for ref in refs:
                if not member(ref, table):
                    raise NutshellError(422, f"Invalid {key} link", f"{ref!r} does not exist", f"links.{key}")
            account["links"][key] = list(dict.fromkeys(refs))
            return
        if value is not None and not member(value, table):
            raise NutshellError(422, f"Invalid {key} link", f"{value!r} does not exist", f"links.{key}")
        account["links"][key] = value

    def _custom_fields(self, values: Any) -> dict[str, Any]:
        if not isinstance(values, dict):
            raise NutshellError(422, "Invalid customFields", field="customFields")
        out = {}
        for name, value in values.items():
            spec = self.emulator.custom_fields.get(name)
            if spec is None:
                raise NutshellError(422, "Invalid custom field", f"No account custom field named {name!r}",
                                    "customFields")
            if check_multiple(spec, name, value):
                out[name] = value
                continue
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
        if len(rest) == 1 and field in self.emulator.custom_fields:  # swagger: custom fields by name at /accounts/0/{name}
            self._patch_one(account, {"op": kind, "path": f"/accounts/0/customFields/{field}", "value": value})
            return
        raise NutshellError(400, "Invalid patch path", f"Unsupported path {path}")


