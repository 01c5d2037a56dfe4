"""Capsule API v2 parties: the emulator's `accounts` resource.

Capsule keeps organisations and people in one `parties` collection behind one set of routes
(https://developer.capsulecrm.com/v2/models/party), so this resource owns that store, with
organisations and the people who work there; `GET /__control/capsule/records/accounts` shows every
party. A `contacts` resource would read people from this same store rather than keep a second one.
Paths are the vendor's (`/api/v2/parties...`; https://developer.capsulecrm.com/v2/operations/listParties ,
https://developer.capsulecrm.com/v2/overview/writing-to-the-api).
"NOTES §n" cites the live-checked notes in https://github.com/soil-dev/capsulemcp (NOTES-ON-CAPSULE-API.md).

Behaviours the vendor's text leaves open are module constants or small methods named after what
they decide, so they are easy to change once a live account confirms them.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, read_json
from unigate.sandbox.capsule.common import (
    FIELD_DEFINITIONS,
    PARTY_NOT_FOUND_MESSAGE,
    TOO_MANY_IDS_MESSAGE,
    USERS,
    answer,
    changed_since,
    error,
    iso,
    parse_iso,
    validation_error,
)
from unigate.sandbox.capsule.party_changes import PartyChanges
from unigate.sandbox.collection import Collection

if TYPE_CHECKING:
    from unigate.sandbox.capsule import CapsuleEmulator

# -- pagination -----------------------------------------------------------------------------------------
DEFAULT_PER_PAGE = 50   # https://developer.capsulecrm.com/v2/operations/listParties : perPage default 50
MAX_PER_PAGE = 100      # listParties: perPage 1..100
# What Capsule does with perPage > 100 is not documented [unverified]: switch `per_page_over_max`.
MAX_BATCH_IDS = 10      # GET /parties/{ids}: "can contain at most 10 values" (NOTES §12)

# Delete answers 204 (https://developer.capsulecrm.com/v2/operations/Party); a request Capsule defers
# answers 202 Accepted + Location: /api/v2/jobs/{uuid}
# (https://developer.capsulecrm.com/v2/overview/handling-api-responses). Which deletes are deferred is
# not documented [unverified]: switch `party_delete` (`immediate`, `deferred`).
DELETE_STATUS = 204
DEFERRED_STATUS = 202

SEED_EPOCH = 1_600_000_000  # 2020-09-13T12:26:40Z: seeded createdAt values count up from here
FIRST_PARTY_ID = 180_000_001

_NAME_A = ["Acme", "Northwind", "Bluefin", "Harbor", "Granite", "Silverline", "Evergreen", "Kestrel",
           "Lumen", "Orchard", "Pioneer", "Quartz", "Redwood", "Summit", "Tidewater", "Vantage",
           "Willow", "Zephyr", "Cobalt", "Meridian", "Atlas", "Beacon", "Cedar", "Delta"]
_NAME_B = ["Analytics", "Logistics", "Foods", "Robotics", "Health", "Capital", "Energy", "Textiles",
           "Software", "Labs", "Freight", "Studios", "Partners", "Systems", "Outfitters", "Biotech"]
_SUFFIX = ["Ltd", "Inc", "GmbH", "LLC", "plc", "BV", "SA", "Co"]
_CITIES = [("Boston", "MA", "02110", "United States"), ("London", None, "EC1A 1BB", "United Kingdom"),
           ("Toronto", "ON", "M5H 2N2", "Canada"), ("Berlin", None, "10115", "Germany"),
           ("Lyon", None, "69002", "France"), ("Amsterdam", None, "1012 JS", "Netherlands"),
           ("Dublin", None, "D02 X285", "Ireland"), ("Austin", "TX", "78701", "United States"),
           ("Sydney", "NSW", "2000", "Australia"), ("Denver", "CO", "80202", "United States")]
_STREETS = ["Market Street", "High Street", "King Street", "Harbour Road", "Elm Avenue", "Mill Lane",
            "Station Road", "Queen Street", "Bridge Street", "Park Avenue"]
_TAGS = ["Customer", "Prospect", "Partner", "Supplier", "VIP", "Churn Risk"]


class Parties(PartyChanges, Resource):
    name: ClassVar[str] = "accounts"
    emulator: CapsuleEmulator

    def __init__(self, emulator: CapsuleEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=FIRST_PARTY_ID)

    # -- seed -----------------------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        """`count` organisations; the `contacts` resource, seeded next, adds people to the same store."""
        self.store.clear()
        self.deleted: list[dict[str, Any]] = []         # tombstones for GET /parties/deleted
        for i in range(count):
            org = self._seed_organisation(i)
            self.store.add(str(org["id"]), org)

    def snapshot(self) -> list[dict[str, Any]]:
        return self.store.snapshot()

    def _seed_organisation(self, i: int) -> dict[str, Any]:
        name = f"{_NAME_A[i % len(_NAME_A)]} {_NAME_B[(i // len(_NAME_A)) % len(_NAME_B)]} {_SUFFIX[i % len(_SUFFIX)]}"
        if i >= len(_NAME_A) * len(_NAME_B):
            name = f"{name} {i // (len(_NAME_A) * len(_NAME_B)) + 1}"
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:24]
        city, state, zip_code, country = _CITIES[i % len(_CITIES)]
        created = SEED_EPOCH + i * 3_607
        owner = USERS[i % len(USERS)] if i % 7 != 6 else None
        addresses = [{
            "id": self.emulator.child_id(), "type": "Office",
            "street": f"{100 + i % 900} {_STREETS[i % len(_STREETS)]}" + (f"\nSuite {200 + i % 50}" if i % 2 == 0 else ""),
            "city": city, "state": state, "country": country, "zip": zip_code,
        }]
        if i % 4 == 0:
            addresses.append({"id": self.emulator.child_id(), "type": "Billing", "street": f"PO Box {1000 + i}",
                              "city": city, "state": state, "country": country, "zip": zip_code})
        phones = [{"id": self.emulator.child_id(), "type": "Work", "number": f"+1 617 555 {i % 10000:04d}"}]
        if i % 3 == 0:
            phones.append({"id": self.emulator.child_id(), "type": "Fax", "number": f"+1 617 556 {i % 10000:04d}"})
        websites = [{"id": self.emulator.child_id(), "type": "Work", "service": "URL", "address": f"https://www.{slug}.example",
                     "url": f"https://www.{slug}.example"}]
        if i % 2 == 1:
            websites.append({"id": self.emulator.child_id(), "type": None, "service": "LINKED_IN", "address": slug,
                             "url": f"http://www.linkedin.com/company/{slug}"})
        if i % 5 == 0:
            websites.append({"id": self.emulator.child_id(), "type": None, "service": "TWITTER", "address": slug[:15],
                             "url": f"http://twitter.com/{slug[:15]}"})
        tags = [self.emulator.tag(_TAGS[i % len(_TAGS)])]
        if i % 4 == 1:
            tags.append(self.emulator.tag(_TAGS[(i + 2) % len(_TAGS)]))
        industry = FIELD_DEFINITIONS[0]["options"][i % 8]
        fields = [
            self.field_value(801, industry),
            self.field_value(802, str(10 + (i * 37) % 4990)),  # NUMBER values come back as strings (NOTES §22)
            self.field_value(805, f"AC-{10000 + i}"),
        ]
        if i % 2 == 0:
            fields.append(self.field_value(803, iso(created + 86_400 * 30)[:10]))
            fields.append(self.field_value(804, i % 4 == 0))
        return {
            "id": self.store.new_id(),
            "type": "organisation",
            "name": name,
            "about": f"{name} is a {industry.lower()} business based in {city}.",
            "pictureURL": "https://capsulecrm.com/theme/default/images/org_avatar_70.png",
            "thumbnailURL": "https://capsulecrm.com/theme/default/images/org_avatar_30.png",
            "createdAt": iso(created),
            "updatedAt": iso(created + 86_400 + i % 1000),
            "lastContactedAt": iso(created + 172_800 + i % 500) if i % 6 != 5 else None,
            "owner": dict(owner) if owner else None,
            "team": None,
            "addresses": addresses,
            "phoneNumbers": phones,
            "websites": websites,
            "emailAddresses": [{"id": self.emulator.child_id(), "type": "Work", "address": f"info@{slug}.example"}],
            "tags": tags,
            "fields": fields,
        }

    # -- rendering ------------------------------------------------------------------------------------
    @staticmethod
    def embeds(request: Request) -> set[str]:
        return {part.strip() for part in request.query_params.get("embed", "").split(",") if part.strip()}

    def render(self, party: dict[str, Any], embed: set[str]) -> dict[str, Any]:
        """A party as the API shows it: `tags` only with embed=tags, `fields` only with embed=fields;
        a person's `organisation` as that organisation is now (renamed, or null once deleted)."""
        out = {k: v for k, v in party.items() if k not in ("tags", "fields")}
        if out.get("organisation"):
            out["organisation"] = self.organisation_summary(self.store.get(str(out["organisation"]["id"])))
        if "tags" in embed:
            out["tags"] = party["tags"]
        if "fields" in embed:
            out["fields"] = party["fields"]
        if "missingImportantFields" in embed:
            out["missingImportantFields"] = not party.get("addresses") or not party.get("phoneNumbers")
        return out

    @staticmethod
    def organisation_summary(org: dict[str, Any] | None) -> dict[str, Any] | None:
        """How a person shows the organisation it works for (https://developer.capsulecrm.com/v2/models/party:
        `organisation`, a nested party {id, name, pictureURL})."""
        if org is None or org.get("type") != "organisation":
            return None
        return {"id": org["id"], "name": org["name"], "pictureURL": org["pictureURL"]}

    def find(self, raw_id: str) -> dict[str, Any] | None:
        if not raw_id.isdigit():
            return None
        return self.store.get(str(int(raw_id)))

    # -- routes -----------------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        g = self.emulator.guarded
        return [
            Route("/api/v2/parties", g(self.list_parties), methods=["GET"]),
            Route("/api/v2/parties", g(self.create_party), methods=["POST"]),
            Route("/api/v2/parties/deleted", g(self.deleted_parties), methods=["GET"]),
            Route("/api/v2/parties/{ids}", g(self.show_parties), methods=["GET"]),
            Route("/api/v2/parties/{id}", g(self.update_party), methods=["PUT"]),
            Route("/api/v2/parties/{id}", g(self.delete_party), methods=["DELETE"]),
        ]

    # -- list -------------------------------------------------------------------------------------------
    def page_params(self, request: Request) -> tuple[int, int] | Response:
        try:
            page = int(request.query_params.get("page", "1"))
            per_page = int(request.query_params.get("perPage", str(DEFAULT_PER_PAGE)))
        except ValueError:
            return error(request, 400, "page and perPage must be integers")
        if page < 1 or per_page < 1:
            return error(request, 400, "page and perPage must be positive")
        if per_page > MAX_PER_PAGE:
            if self.emulator.switch["per_page_over_max"] == "refuse":
                return error(request, 400, f"perPage must be at most {MAX_PER_PAGE}")
            per_page = MAX_PER_PAGE
        return page, per_page

    def next_link(self, request: Request, page: int, per_page: int) -> str:
        """`Link: <…/parties?page=N&perPage=M>; rel="next"` (RFC 5988; NOTES §14). Other query
        parameters (embed, since) are carried over so the next page reads the same way."""
        params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "perPage")]
        params += [("page", str(page + 1)), ("perPage", str(per_page))]
        url = request.url.replace(query=urlencode(params, safe=","))
        return f'<{url}>; rel="next"'

    def page_headers(self, request: Request, page: int, per_page: int, has_next: bool) -> dict[str, str]:
        """A list page's paging headers: `Link: rel="next"` when there is a next page, and
        `X-Pagination-Has-More: true|false` on every page (https://github.com/Matatika/tap-capsulecrm, client.py,
        reads the Link only while that header is not "false": it stops on it at the last page)."""
        headers = {"X-Pagination-Has-More": "true" if has_next else "false"}
        if has_next:
            headers["Link"] = self.next_link(request, page, per_page)
        return headers

    async def list_parties(self, request: Request) -> Response:
        paging = self.page_params(request)
        if isinstance(paging, Response):
            return paging
        page, per_page = paging
        since_raw = request.query_params.get("since")
        start = (page - 1) * per_page
        if since_raw:
            since = parse_iso(since_raw)
            if since is None:
                return validation_error(request, [{"message": "since is invalid", "resource": "party", "field": "since"}])
            matching = changed_since(list(self.store.values()), since, self.emulator.switch["since_comparison"])
            window = matching[start:start + per_page + 1]
        else:
            window = self.store.window(start, per_page + 1)
        has_next = len(window) > per_page
        embed = self.embeds(request)
        body = {"parties": [self.render(p, embed) for p in window[:per_page]]}
        headers = self.page_headers(request, page, per_page, has_next)
        return answer(request, body, headers=headers)

    # -- show (one or up to ten) -----------------------------------------------------------------------------
    async def show_parties(self, request: Request) -> Response:
        raw = request.path_params["ids"]
        embed = self.embeds(request)
        if "," in raw:
            ids = [part for part in raw.split(",") if part]
            if len(ids) > MAX_BATCH_IDS:
                return error(request, self.emulator.switch["too_many_ids_status"], TOO_MANY_IDS_MESSAGE)
            found = [self.find(part) for part in ids]
            # Any unknown id is a 404 for the whole call on the Pipeline page's batch
            # (https://developer.capsulecrm.com/v2/operations/Pipeline); for parties [unverified]:
            # switch `batch_unknown_id`.
            if None in found and self.emulator.switch["batch_unknown_id"] == "not_found":
                return error(request, 404, PARTY_NOT_FOUND_MESSAGE)
            parties = [self.render(p, embed) for p in found if p is not None]
            return answer(request, {"parties": parties})
        party = self.find(raw)
        if party is None:
            return error(request, 404, PARTY_NOT_FOUND_MESSAGE)
        return answer(request, {"party": self.render(party, embed)})

    # -- create -----------------------------------------------------------------------------------------
    async def create_party(self, request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("party"), dict):
            return error(request, 400, "request body must be a JSON object with a party")
        data = body["party"]
        errors: list[dict[str, Any]] = []
        kind = data.get("type")
        if kind not in ("person", "organisation"):
            errors.append({"message": "type is required", "resource": "party", "field": "type"})
        elif kind == "organisation" and not str(data.get("name") or "").strip():
            errors.append({"message": "name is required", "resource": "party", "field": "name"})
        elif kind == "person" and not (str(data.get("firstName") or "").strip() or str(data.get("lastName") or "").strip()):
            errors.append({"message": "firstName or lastName is required", "resource": "party", "field": "firstName"})
        if errors:
            return validation_error(request, errors)
        party = self.blank_party(kind, data)
        failure = self.apply_changes(request, party, data)
        if failure is not None:
            return failure
        party["id"] = self.store.new_id()
        self.store.add(str(party["id"]), party)
        location = str(request.url.replace(path=f"{request.url.path.rstrip('/')}/{party['id']}", query=""))
        return answer(request, {"party": self.render(party, self.embeds(request))}, 201, {"Location": location})

    @staticmethod
    def blank_party(kind: str, data: dict[str, Any]) -> dict[str, Any]:
        """A new party of `kind` before the payload's collections are applied (id 0 until stored)."""
        now = iso(time.time())
        party: dict[str, Any] = {"id": 0, "type": kind}
        if kind == "organisation":
            party["name"] = str(data["name"]).strip()
        else:
            party.update({"title": data.get("title"), "firstName": data.get("firstName"),
                          "lastName": data.get("lastName"), "jobTitle": data.get("jobTitle"), "organisation": None})
        party.update({
            "about": data.get("about"),
            "pictureURL": "https://capsulecrm.com/theme/default/images/org_avatar_70.png" if kind == "organisation"
            else "https://capsulecrm.com/theme/default/images/person_avatar_70.png",
            "thumbnailURL": None,
            "createdAt": now, "updatedAt": now, "lastContactedAt": None,
            # The owner defaults to the token's user on create (NOTES §28).
            "owner": dict(USERS[0]), "team": None,
            "addresses": [], "phoneNumbers": [], "websites": [], "emailAddresses": [], "tags": [], "fields": [],
        })
        return party

    def add_organisation(self, name: str) -> dict[str, Any]:
        """Store a new organisation named `name` (a person linked by an unknown organisation name)."""
        org = self.blank_party("organisation", {"name": name})
        org["id"] = self.store.new_id()
        return self.store.add(str(org["id"]), org)

    # -- update -----------------------------------------------------------------------------------------
    async def update_party(self, request: Request) -> Response:
        party = self.find(request.path_params["id"])
        if party is None:
            return error(request, 404, PARTY_NOT_FOUND_MESSAGE)
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("party"), dict):
            return error(request, 400, "request body must be a JSON object with a party")
        data = body["party"]
        if party["type"] == "organisation" and "name" in data and not str(data.get("name") or "").strip():
            return validation_error(request, [{"message": "name is required", "resource": "party", "field": "name"}])
        staged = {**party, **{k: [dict(item) for item in party[k]] for k in
                              ("addresses", "phoneNumbers", "websites", "emailAddresses", "tags", "fields")}}
        failure = self.apply_changes(request, staged, data)
        if failure is not None:
            return failure
        staged["updatedAt"] = iso(time.time())
        party.clear()
        party.update(staged)
        return answer(request, {"party": self.render(party, self.embeds(request))})

    # -- delete -----------------------------------------------------------------------------------------
    async def delete_party(self, request: Request) -> Response:
        party = self.find(request.path_params["id"])
        if party is None:
            return error(request, 404, PARTY_NOT_FOUND_MESSAGE)
        self.store.delete(str(party["id"]))
        self.deleted.append({"id": party["id"], "deletedAt": iso(time.time())})
        if self.emulator.switch["party_delete"] == "deferred":
            # The job runs at once here: the party is gone when the 202 arrives.
            root = request.url.path.split("/api/v2/")[0]
            job = str(request.url.replace(path=f"{root}/api/v2/jobs/{uuid.uuid4()}", query=""))
            return Response(status_code=DEFERRED_STATUS, headers={**request.state.rate_headers, "Location": job})
        return Response(status_code=DELETE_STATUS, headers=request.state.rate_headers)

    async def deleted_parties(self, request: Request) -> Response:
        since_raw = request.query_params.get("since")
        since = parse_iso(since_raw) if since_raw else None
        if since is None:
            return validation_error(request, [{"message": "since is required", "resource": "party", "field": "since"}])
        cutoff = iso(since.timestamp())
        return answer(request, {"parties": [d for d in self.deleted if d["deletedAt"] >= cutoff],
                                "restrictedParties": []})
