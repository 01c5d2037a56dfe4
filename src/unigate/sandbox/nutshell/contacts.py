"""Nutshell contacts (people): `/rest/contacts` list, read, create, JSON Patch update, soft delete, undelete,
and custom field values.

Sources: the vendor's OpenAPI (https://app.nutshell.com/swagger.json, reference pages
https://developers.nutshell.com/reference/get_contacts-id-3): `page[limit]` + 0-based `page[page]`, `q`,
`email`, `sort` among accountType/accounts/createdTime/email/industry/lastContactedTime/name/owner/phone/
postalCode/territory (each also with `-`); POST `{"contacts": [one contact]}` answers **200** ("Only one
contact may be created at a time"); PATCH is RFC 6902 JSON Patch (`application/json-patch+json`) answering
**204 No Content**, paths `/contacts/0/<field>`, `/contacts/0/links/<rel>` (`add` with `/-`, `remove` with
the id at the end, `replace` of `links/accounts` with an array of ids), custom fields at
`/contacts/0/<field name>`; DELETE answers **204**, restorable through `POST /contacts/{id}/undelete`.
Custom field values are not part of the contact: `GET /contacts/{id}/customfields` answers a bare array.
The contact's shape (addresses nested under `value`, `links.accounts` as an id list) follows a recorded
vendor answer (amp-labs/connectors `providers/nutshell/test/...` events payload).
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
    created_range, FIRST_NAMES, HOST, INSTANCE_ID, LAST_NAMES, SEED_EPOCH, TAG_NAMES, USERS, NutshellError, format_phone,
    formatted_number, id_filtered, json_body, slugify,
)
from unigate.sandbox.nutshell.values import list_of, mark_primary, parse_emails, parse_phones, parse_urls

DEFAULT_PAGE_LIMIT = 50         # as accounts (no documented default) [unverified]
MAX_PAGE_LIMIT = 10_000
CREATE_STATUS = 200             # swagger: POST /contacts -> 200 (accounts answer 201)
PATCH_STATUS = 204              # swagger: PATCH /contacts/{id} -> 204 No Content
PATCH_CONTENT_TYPE = "application/json-patch+json"
PATCH_CONTENT_TYPE_ERROR = "application/json-patch+json is required, see http://jsonapi.org"
# `createdTime` is in the swagger's contact schema but absent from recorded live answers (amp-labs/connectors
# events payload): the sources disagree, so it is switch `contact_created_time`: shown (True, default) or left
# out of every answer as in the recordings (False). The store always keeps it (for `sort=createdTime`).
SORT_KEYS = ("accountType", "accounts", "createdTime", "email", "industry", "lastContactedTime", "name", "owner",
             "phone", "postalCode", "territory")
# Contact custom fields (id, name, type, choices); writes name them, reads list them per contact.
CUSTOM_FIELDS = [("11-customfields", "Birthday", "date", None),
                 ("12-customfields", "Preferred channel", "enum", ["Email", "Phone", "Text"]),
                 ("13-customfields", "Lead source", "text", None),
                 # more of an instance's own fields, left empty by the seed (the definitions span list pages);
                 # "currency" holds an amount (type names as Composio's Nutshell docs list them [unverified])
                 ("14-customfields", "Budget", "currency", None),
                 ("15-customfields", "Region", "text", None),
                 ("16-customfields", "Newsletter topic", "enum", ["Product", "Events", "Offers"]),
                 ("17-customfields", "Twitter handle", "text", None),
                 ("18-customfields", "Assistant name", "text", None),
                 ("19-customfields", "Expected spend", "currency", None),
                 ("20-customfields", "First meeting", "date", None),
                 ("21-customfields", "Referral code", "text", None),
                 ("22-customfields", "Department", "text", None),
                 ("23-customfields", "Renewal month", "enum", ["January", "April", "July", "October"]),
                 ("24-customfields", "Sales notes", "text", None),
                 ("25-customfields", "Partner tier", "enum", ["Gold", "Silver"])]
_FIELDS = ("name", "firstName", "lastName", "jobTitle", "description", "phones", "emails", "urls", "addresses")
_LINKS = ("accounts", "owner", "tags", "territory", "emAudiences")
_ID = re.compile(r"^(\d+)-contacts$")
_TITLES = ["CEO", "CTO", "Head of Sales", "Buyer", "Office Manager"]


def _contact_id(number: int) -> str:
    return f"{number}-contacts"


def _contact_number(contact_id: str) -> int:
    return int(contact_id.split("-", 1)[0])


class Contacts(Resource):
    """Nutshell people in `self.store` (a `Collection` of `N-contacts` ids; a deleted contact is archived
    and keeps `deletedTime`), custom field values apart in `self.custom_values`. The account link lives
    on both sides (`contact.links.accounts`, `account.links.contacts`), kept in step by the emulator."""

    name = "contacts"
    default_seed_count = 40

    def routes(self) -> list[Route]:
        g = self.emulator._guard
        return [
            Route("/rest/contacts", g(self.list_contacts), methods=["GET"]),
            Route("/rest/contacts", g(self.create_contact), methods=["POST"]),
            Route("/rest/contacts/customfields/attributes", g(self.custom_field_attributes), methods=["GET"]),
            Route("/rest/contacts/{id}", g(self.get_contact), methods=["GET"]),
            Route("/rest/contacts/{id}", g(self.patch_contact), methods=["PATCH"]),
            Route("/rest/contacts/{id}", g(self.delete_contact), methods=["DELETE"]),
            Route("/rest/contacts/{id}/undelete", g(self.undelete_contact), methods=["POST"]),
            Route("/rest/contacts/{id}/customfields", g(self.custom_field_values), methods=["GET"]),
        ]

    def snapshot(self) -> Any:
        """Stored contacts, each with its custom field values under `customFields` (stored apart)."""
        return [{**c, "customFields": dict(self.custom_values.get(c["id"], {}))} for c in self.store.values()]

    def live_by_id(self) -> dict[str, dict[str, Any]]:
        return {c["id"]: c for c in self.store.live()}

    # -- seed -----------------------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        """Deterministic people: most linked to one seeded account (every sixth to none), each with an
        email, a phone, a title and an owner; some with a URL, an address, tags and custom field values."""
        self.store = Collection(make_id=_contact_id, number_of=_contact_number)
        self.custom_values: dict[str, dict[str, Any]] = {}
        self.field_specs = {name: {"id": cid, "type": "customfields", "name": name, "title": name,
                                   "fieldType": kind, "choices": choices}
                            for cid, name, kind, choices in CUSTOM_FIELDS}
        account_ids = list(self.emulator.resource("accounts").store.ids())
        for j in range(count):
            first, last = FIRST_NAMES[j % 8], LAST_NAMES[(j // 8) % 8]
            name = f"{first} {last}" + (f" {j}" if j >= 64 else "")
            created = SEED_EPOCH + timedelta(hours=5 * j + 1, minutes=j % 45)
            slug = f"{first}.{last}".lower() + (str(j) if j >= 64 else "")
            contact = self._new(name, int(created.timestamp()))
            contact.update({
                "firstName": first, "lastName": name[len(first) + 1:], "jobTitle": _TITLES[j % len(_TITLES)],
                "description": f"{first} met us at {['a webinar', 'a trade show', 'a partner event'][j % 3]}.",
                "emails": [{"isPrimary": True, "name": "work", "value": f"{slug}@people.example"}],
                "phones": [{"isPrimary": True, "name": "work", "isOptedOut": False,
                            "value": format_phone(f"+1 313-555-{1000 + j:04d}")}],
                "urls": ([{"isPrimary": True, "name": "LinkedIn", "value": f"https://www.linkedin.com/in/{slugify(name)}"}]
                         if j % 3 == 0 else []),
                "addresses": self._addresses([{"isPrimary": True, "name": "home", "value": {
                    "address_1": f"{100 + j} Main St", "city": "Ann Arbor", "state": "MI", "postalCode": "48104",
                    "country": "US"}}]) if j % 2 == 0 else [],
            })
            contact["links"].update({
                "owner": USERS[j % len(USERS)][0], "creator": USERS[(j + 2) % len(USERS)][0],
                "tags": [f"{1 + j % len(TAG_NAMES)}-tags"] if j % 2 else [],
            })
            self.store.add(contact["id"], contact)
            if j % 2 == 0:
                self.custom_values[contact["id"]] = {
                    "Preferred channel": ["Email", "Phone", "Text"][j % 3],
                    **({"Birthday": f"{1970 + j % 30}-{1 + j % 12:02d}-{1 + j % 28:02d}"} if j % 4 == 0 else {})}
            if account_ids and j % 6 != 5:
                self.emulator.link_contact_accounts(contact, [account_ids[j % len(account_ids)]])

    def _new(self, name: str, created: int) -> dict[str, Any]:
        contact_id = self.store.new_id()
        number = _contact_number(contact_id)
        slug = f"{number}-{slugify(name or 'person')}"
        contact = {
            "id": contact_id, "type": "contacts", "name": name, "firstName": None, "lastName": None,
            "jobTitle": None, "description": None, "emails": [], "phones": [], "urls": [], "addresses": [],
            "mcfxContactId": None, "href": f"{HOST}/rest/contacts/{contact_id}",
            "avatarUrl": f"{HOST}/avatar/contacts/{number}/{INSTANCE_ID}/sandbox.2/{created}",
            "initials": "".join(w[0] for w in name.split()[:2]).upper() if name else "",
            "htmlUrl": f"{HOST}/person/{slug}", "htmlUrlPath": f"/person/{slug}",
            "links": {"accounts": [], "emAudiences": [], "creator": "1-users", "owner": None, "territory": None,
                      "tags": [], "files": [], "relatedFiles": [], "followup": None, "recurringTask": None},
        }
        contact["createdTime"] = created
        return contact

    # -- envelopes ------------------------------------------------------------------------------------
    def _response(self, contacts: list[dict[str, Any]], meta: dict[str, Any] | None = None) -> dict[str, Any]:
        """`{meta, links, contacts}` plus the accounts, owners and tags they link to, sideloaded."""
        def collect(key: str, table: dict[str, Any]) -> list[Any]:
            seen: dict[str, Any] = {}
            for contact in contacts:
                value = contact["links"].get(key)
                for ref in (value if isinstance(value, list) else [value]):
                    if ref and ref in table:
                        seen[ref] = table[ref]
            return list(seen.values())
        store = self.emulator.resource("accounts").store
        accounts = {a["id"]: {k: a[k] for k in ("id", "type", "name", "href", "htmlUrl")}
                    for c in contacts for a in map(store.get_active, c["links"]["accounts"]) if a is not None}
        if not self.emulator.switch["contact_created_time"]:
            contacts = [{k: v for k, v in c.items() if k != "createdTime"} for c in contacts]
        return {"meta": {**(meta or {}), **self.emulator._meta()}, "links": {}, "contacts": contacts,
                "accounts": list(accounts.values()), "owners": collect("owner", self.emulator.users),
                "tags": collect("tags", self.emulator.tags)}

    def _find(self, raw_id: str, *, allow_deleted: bool) -> dict[str, Any]:
        contact = self.store.get(raw_id) if _ID.match(raw_id) else None
        if contact is None or ("deletedTime" in contact and not allow_deleted):
            raise NutshellError(404, "Not Found", f"Could not find contact with id {raw_id}")
        return contact

    # -- handlers -------------------------------------------------------------------------------------
    async def list_contacts(self, request: Request) -> Response:
        params = request.query_params
        raw_limit = params.get("page[limit]", str(DEFAULT_PAGE_LIMIT))
        raw_page = params.get("page[page]", "0")
        if not re.fullmatch(r"-?\d+", raw_page) or int(raw_page) < 0:
            raise NutshellError(400, "Invalid filter", f"Invalid page number: {raw_page}")
        if not re.fullmatch(r"-?\d+", raw_limit) or not 1 <= int(raw_limit) <= MAX_PAGE_LIMIT:
            raise NutshellError(400, "Invalid filter", f"Invalid page limit: {raw_limit}")
        limit, page = int(raw_limit), int(raw_page)
        live = id_filtered(list(self.store.live()), params)
        email = params.get("email") or params.get("filter[email]")
        if email:
            live = [c for c in live if any(e["value"].lower() == email.lower() for e in c["emails"])]
        name = params.get("filter[name]")
        if name:
            live = [c for c in live if name.lower() in (c["name"] or "").lower()]
        q = params.get("q")
        if q:
            live = [c for c in live if q.lower() in " ".join(
                [c["name"] or "", c["jobTitle"] or ""] + [e["value"] for e in c["emails"]]).lower()]
        created = created_range(params)   # https://developers.nutshell.com/docs/filters
        if created:
            live = [c for c in live if c.get("createdTime") is not None
                    and created[0] <= c["createdTime"] <= created[1]]
        sort = params.get("sort")
        if sort:
            key = sort[1:] if sort.startswith("-") else sort
            if key not in SORT_KEYS:
                raise NutshellError(400, "Invalid sort", f"Cannot sort by {key}")
            live = sorted(live, key=lambda c: self._sort_value(c, key), reverse=sort.startswith("-"))
        chunk = live[page * limit: (page + 1) * limit]
        meta = {"count": len(chunk), "countFormatted": formatted_number(len(chunk)), "total": len(live),
                "totalFormatted": formatted_number(len(live))}
        return json_response(self._response(chunk, meta))

    @staticmethod
    def _sort_value(contact: dict[str, Any], key: str) -> tuple[bool, Any]:
        value = {"name": contact["name"], "createdTime": contact.get("createdTime"),
                 "email": next((e["value"] for e in contact["emails"]), None),
                 "phone": next((p["value"]["E164"] for p in contact["phones"]), None),
                 "owner": contact["links"]["owner"]}.get(key)
        return (value is None, value if value is not None else "")

    async def get_contact(self, request: Request) -> Response:
        # Soft delete: whether a deleted contact is still read by id (with deletedTime) or is 404 is
        # unverified: switch `deleted_readable` (as accounts).
        contact = self._find(request.path_params["id"], allow_deleted=self.emulator.switch["deleted_readable"])
        return json_response(self._response([contact]))

    async def create_contact(self, request: Request) -> Response:
        body = await json_body(request)
        items = body.get("contacts") if isinstance(body, dict) else None
        if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict):
            raise NutshellError(400, "You may only create one contacts resource per request.")
        data = items[0]
        unknown = sorted(set(data) - set(_FIELDS) - {"customFields", "links"})
        if unknown:
            raise NutshellError(422, "Invalid contact", f"Unknown field(s): {', '.join(unknown)}", unknown[0])
        # Accounts need one identifying field (swagger); for contacts the rule is unverified: switch
        # `contact_identity_required` (True: a name, a phone or an email, here and after every update in
        # `_apply_fields`; False: nothing required).
        if self.emulator.switch["contact_identity_required"] and not any(
                data.get(k) for k in ("name", "phones", "emails")):
            raise NutshellError(422, "Invalid contact", "A contact needs a name, a phone or an email.")
        contact = self._new(data.get("name") if isinstance(data.get("name"), str) else "", int(time.time()))
        contact["links"]["creator"] = "1-users"
        self._apply_fields(contact, data)
        links = data.get("links") or {}
        if not isinstance(links, dict):
            raise NutshellError(422, "Invalid links", field="links")
        for key, value in links.items():
            self._set_link(contact, key, value)
        values = self._custom_fields({}, data.get("customFields") or {})
        self.store.add(contact["id"], contact)
        self.custom_values[contact["id"]] = values
        self.emulator.link_contact_accounts(contact, contact["links"]["accounts"])
        self.emulator.resource("events").record("contacts", contact["id"], "create")
        return json_response(self._response([contact]), CREATE_STATUS)

    async def patch_contact(self, request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != PATCH_CONTENT_TYPE:
            return json_response(PATCH_CONTENT_TYPE_ERROR, 400)
        contact = self._find(request.path_params["id"], allow_deleted=False)
        ops = await json_body(request)
        if not isinstance(ops, list) or not ops:
            raise NutshellError(400, "No patches sent", "The body must be a non-empty JSON Patch array")
        staged = orjson.loads(orjson.dumps(contact))
        values = dict(self.custom_values.get(contact["id"], {}))
        for op in ops:
            values = self._patch_one(staged, values, op)
        previous, wanted = list(contact["links"]["accounts"]), list(staged["links"]["accounts"])
        contact.clear()
        contact.update(staged)
        contact["links"]["accounts"] = previous      # the companies' side follows from what it was
        self.custom_values[contact["id"]] = values
        self.emulator.link_contact_accounts(contact, wanted)
        self.emulator.resource("events").record("contacts", contact["id"], "update")
        return Response(status_code=PATCH_STATUS)

    async def delete_contact(self, request: Request) -> Response:
        contact = self._find(request.path_params["id"], allow_deleted=False)
        contact["deletedTime"] = int(time.time())
        self.store.archive(contact["id"])
        self.emulator.unlink_contact(contact)      # the companies no longer list a person in the trash
        self.emulator.resource("events").record("contacts", contact["id"], "delete")
        return Response(status_code=204)

    async def undelete_contact(self, request: Request) -> Response:
        contact = self._find(request.path_params["id"], allow_deleted=True)
        if "deletedTime" in contact:
            contact.pop("deletedTime")
            self.store.restore(contact["id"])
            self.emulator.link_contact_accounts(contact, contact["links"]["accounts"])
            self.emulator.resource("events").record("contacts", contact["id"], "undelete")
        return json_response(self._response([contact]))

    async def custom_field_attributes(self, request: Request) -> Response:
        return json_response(list(self.field_specs.values()))     # bare array for contacts (swagger)

    async def custom_field_values(self, request: Request) -> Response:
        contact = self._find(request.path_params["id"], allow_deleted=False)
        values = self.custom_values.get(contact["id"], {})
        return json_response([{"id": spec["id"], "type": "customfields", "name": name, "value": values[name]}
                              for name, spec in self.field_specs.items() if values.get(name) is not None])

    # -- writes ---------------------------------------------------------------------------------------
    def _apply_fields(self, contact: dict[str, Any], data: dict[str, Any]) -> None:
        for key in ("name", "firstName", "lastName", "jobTitle", "description"):
            if key in data:
                if data[key] is not None and not isinstance(data[key], str):
                    raise NutshellError(422, f"Invalid value for {key}", field=key)
                contact[key] = data[key]
        if "name" in data:
            # Nutshell derives first/last name from the name unless they are given (quickstart).
            first, _, last = (data["name"] or "").strip().partition(" ")
            if "firstName" not in data:
                contact["firstName"] = first or None
            if "lastName" not in data:
                contact["lastName"] = last.strip() or None
        elif "firstName" in data or "lastName" in data:
            contact["name"] = " ".join(p for p in (contact.get("firstName"), contact.get("lastName")) if p)
        if self.emulator.switch["contact_identity_required"] and not (contact.get("name") or "").strip() \
                and not contact["emails"] and not contact["phones"] and not any(data.get(k) for k in ("emails", "phones")):
            raise NutshellError(422, "Invalid contact", "A contact needs a name, a phone or an email.", "name")
        for key, parser in (("phones", parse_phones), ("emails", parse_emails), ("urls", parse_urls),
                            ("addresses", self._addresses)):
            if key in data:
                contact[key] = parser(data[key])

    @staticmethod
    def _addresses(value: Any) -> list[dict[str, Any]]:
        """Written with the parts under `value` (swagger example) or flat; read nested under `value`
        (recorded live answer)."""
        out = []
        for item in list_of(value, "addresses"):
            parts = item.get("value") if isinstance(item.get("value"), dict) else item
            address: dict[str, Any] = {"location": None, "locationAccuracy": None, "timezone": None}
            for key in ("address_1", "address_2", "address_3", "city", "state", "postalCode", "country"):
                address[key] = parts.get(key) or None
            if not any(address[k] for k in ("address_1", "city", "state", "postalCode", "country")):
                raise NutshellError(422, "Invalid address", "An address needs at least one part", "addresses")
            address["locationAccuracy"] = "8" if address["address_1"] else "4"
            out.append({"isPrimary": bool(item.get("isPrimary")), "name": item.get("name") or "address",
                        "value": address})
        mark_primary(out)
        return out

    def _set_link(self, contact: dict[str, Any], key: str, value: Any) -> None:
        live_accounts = self.emulator.resource("accounts").store
        tables = {"accounts": {i: True for i in (value if isinstance(value, list) else [value])
                               if isinstance(i, str) and live_accounts.get_active(i) is not None},
                  "owner": self.emulator.users, "tags": self.emulator.tags, "territory": {}, "emAudiences": {}}
        if key not in _LINKS:
            raise NutshellError(422, f"Unknown link {key}", field=f"links.{key}")
        if key in ("accounts", "tags", "emAudiences"):
            refs = value if isinstance(value, list) else [value]
            for ref in refs:
                if not isinstance(ref, str) or ref not in tables[key]:
                    raise NutshellError(422, f"Invalid {key} link", f"{ref!r} does not exist", f"links.{key}")
            contact["links"][key] = list(dict.fromkeys(refs))   # `accounts: []` clears them (swagger)
            return
        if value is not None and not member(value, tables[key]):
            raise NutshellError(422, f"Invalid {key} link", f"{value!r} does not exist", f"links.{key}")
        contact["links"][key] = value

    def _custom_fields(self, current: dict[str, Any], values: Any) -> dict[str, Any]:
        if not isinstance(values, dict):
            raise NutshellError(422, "Invalid customFields", field="customFields")
        out = dict(current)
        for name, value in values.items():
            spec = self.field_specs.get(name)
            if spec is None:
                raise NutshellError(422, "Invalid custom field", f"No contact custom field named {name!r}",
                                    "customFields")
            if check_multiple(spec, name, value):
                out[name] = value
                continue
            if value is not None and not isinstance(value, (str, int, float)):
                raise NutshellError(422, "Invalid custom field value", f"{name} takes a single value", "customFields")
            if spec["fieldType"] == "enum" and value is not None and value not in spec["choices"]:
                raise NutshellError(422, "Invalid custom field value",
                                    f"{value!r} is not one of {', '.join(spec['choices'])}", "customFields")
            if spec["fieldType"] == "date" and value is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
                raise NutshellError(422, "Invalid custom field value", f"{name} takes a YYYY-MM-DD date", "customFields")
            if value is None:
                out.pop(name, None)
            else:
                out[name] = value
        return out

    def _patch_one(self, contact: dict[str, Any], values: dict[str, Any], op: Any) -> dict[str, Any]:
        """Apply one JSON Patch operation to the staged contact; answers the custom field values."""
        if not isinstance(op, dict) or op.get("op") not in ("add", "remove", "replace"):
            raise NutshellError(400, "Invalid patch operation", "op must be add, remove or replace")
        path = str(op.get("path", ""))
        parts = [p.replace("~1", "/").replace("~0", "~") for p in path.split("/") if p != ""]
        if len(parts) < 3 or parts[0] != "contacts" or parts[1] != "0":
            raise NutshellError(400, "Invalid patch path", f"Unsupported path {path}")
        kind, rest, value = op["op"], parts[2:], op.get("value")
        if rest[0] == "links" and len(rest) >= 2:
            key = rest[1]
            if key in ("accounts", "tags", "emAudiences") and len(rest) == 3:
                current = list(contact["links"].get(key) or [])
                if kind == "add" and rest[2] == "-":
                    self._set_link(contact, key, current + [value])
                elif kind == "remove":
                    self._set_link(contact, key, [r for r in current if r != rest[2]])
                else:
                    raise NutshellError(400, "Invalid patch path", f"Unsupported path {path}")
            elif len(rest) == 2:
                empty = [] if key in ("accounts", "tags", "emAudiences") else None
                self._set_link(contact, key, empty if kind == "remove" else value)
            else:
                raise NutshellError(400, "Invalid patch path", f"Unsupported path {path}")
            return values
        field = rest[0]
        if len(rest) == 1 and field in _FIELDS:
            empty = [] if field in ("phones", "emails", "urls", "addresses") else None
            self._apply_fields(contact, {field: empty if kind == "remove" else value})
            return values
        if len(rest) == 2 and rest[1] == "-" and kind == "add" and field in ("phones", "emails", "urls", "addresses"):
            self._apply_fields(contact, {field: contact[field] + [value]})   # phones read back in their read shape
            return values
        if len(rest) == 1 and field in self.field_specs:     # custom fields by name at /contacts/0/{name}
            return self._custom_fields(values, {field: None if kind == "remove" else value})
        raise NutshellError(400, "Invalid patch path", f"Unsupported path {path}")
