"""Capsule API v2 people: the emulator's `contacts` resource.

A person is a party of `type: "person"` in the one parties store that `accounts.Parties` owns
(https://developer.capsulecrm.com/v2/models/party): people are read, created, updated and deleted
through the same `/api/v2/parties` routes as organisations, so this module keeps no store of its
own. It seeds people into that store, linked to the seeded organisations by `organisation: {id}`
(some with none), and serves the routes that find people among the parties:
- an organisation's employees (`GET /api/v2/parties/{id}/people`, https://developer.capsulecrm.com/v2/operations/Party
  "List an organisation's employees": paged like the party list, `embed` as there);
- the structured party filter (`POST /api/v2/parties/filters/results`, `party_filters.py`), which is how
  a client lists people alone (`type is person`) rather than paging through every organisation.
`GET /__control/capsule/records/contacts` shows the whole parties store, as `accounts` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource
from unigate.sandbox.capsule.accounts import SEED_EPOCH, Parties
from unigate.sandbox.capsule.common import PARTY_NOT_FOUND_MESSAGE, USERS, answer, error, iso
from unigate.sandbox.capsule.party_filters import matching_parties

if TYPE_CHECKING:
    from unigate.sandbox.capsule import CapsuleEmulator

_FIRST = ["Maya", "Liam", "Sofia", "Noah", "Ava", "Ethan", "Isla", "Lucas", "Zoe", "Owen", "Nora", "Felix"]
_LAST = ["Patel", "Nguyen", "Schmidt", "O'Brien", "Rossi", "Kowalski", "Tanaka", "Silva", "Dubois", "Hughes"]
_JOB_TITLES = ["Head of Operations", "CFO", "Procurement Lead", "Office Manager", "CTO", "Sales Director"]
_SALUTATIONS = ["Mr", "Ms", "Dr", None]
_TAGS = ["Decision Maker", "Champion", "Newsletter"]
_CHANNELS = ["Email", "Phone", "In person"]


class People(Resource):
    name: ClassVar[str] = "contacts"
    # One person for every three organisations by default (60 organisations, 20 people).
    default_seed_count: ClassVar[int | None] = 20
    emulator: CapsuleEmulator

    @property
    def parties(self) -> Parties:
        """The resource that owns the parties store."""
        resource = self.emulator.resource("accounts")
        assert isinstance(resource, Parties)
        return resource

    # -- seed -----------------------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        """`count` people after the seeded organisations; every fifth has no organisation."""
        store = self.parties.store
        for person in [p for p in store.values() if p["type"] == "person"]:
            store.delete(str(person["id"]))
        organisations = [p for p in store.values() if p["type"] == "organisation"]
        for i in range(count):
            org = organisations[(i * 3 + 2) % len(organisations)] if organisations and i % 5 != 4 else None
            person = self._seed_person(i, org)
            store.add(str(person["id"]), person)

    def snapshot(self) -> list[dict[str, Any]]:
        return self.parties.store.snapshot()

    def count(self) -> int:
        return sum(1 for p in self.parties.store.values() if p["type"] == "person")

    def _seed_person(self, i: int, org: dict[str, Any] | None) -> dict[str, Any]:
        emulator = self.emulator
        first, last = _FIRST[i % len(_FIRST)], _LAST[(i // len(_FIRST) + i) % len(_LAST)]
        created = SEED_EPOCH + i * 3_607 + 600
        slug = f"{first}.{last}".lower().replace("'", "")
        domain = "".join(ch for ch in org["name"].lower() if ch.isalnum())[:24] + ".example" if org else "example.com"
        phones = [{"id": emulator.child_id(), "type": "Mobile", "number": f"+1 617 557 {i % 10000:04d}"}]
        if i % 2 == 0:
            phones.append({"id": emulator.child_id(), "type": "Work", "number": f"+1 617 558 {i % 10000:04d}"})
        emails = [{"id": emulator.child_id(), "type": "Work", "address": f"{slug}{i}@{domain}"}]
        if i % 3 == 0:
            emails.append({"id": emulator.child_id(), "type": "Home", "address": f"{slug}{i}@home.example"})
        websites = []
        if i % 4 == 1:
            websites.append({"id": emulator.child_id(), "type": None, "service": "LINKED_IN", "address": f"{slug}{i}",
                             "url": f"http://www.linkedin.com/company/{slug}{i}"})
        addresses = []
        if i % 3 == 1:
            addresses.append({"id": emulator.child_id(), "type": "Home", "street": f"{10 + i} Orchard Lane",
                              "city": "Cambridge", "state": "MA", "country": "United States", "zip": "02139"})
        fields = []
        if i % 2 == 1:
            fields.append(self.parties.field_value(806, _CHANNELS[i % len(_CHANNELS)]))
        if i % 4 == 0:
            fields.append(self.parties.field_value(807, i % 8 == 0))
        owner = USERS[(i + 1) % len(USERS)] if i % 6 != 5 else None
        return {
            "id": self.parties.store.new_id(),
            "type": "person",
            "title": _SALUTATIONS[i % len(_SALUTATIONS)],
            "firstName": first,
            "lastName": last,
            "jobTitle": _JOB_TITLES[i % len(_JOB_TITLES)] if i % 7 != 6 else None,
            "about": f"Met {first} at a trade fair." if i % 5 == 0 else None,
            "pictureURL": "https://capsulecrm.com/theme/default/images/person_avatar_70.png",
            "thumbnailURL": "https://capsulecrm.com/theme/default/images/person_avatar_30.png",
            "organisation": Parties.organisation_summary(org),
            "createdAt": iso(created),
            "updatedAt": iso(created + 3_600 + i % 700),
            "lastContactedAt": iso(created + 7_200) if i % 3 != 2 else None,
            "owner": dict(owner) if owner else None,
            "team": None,
            "addresses": addresses,
            "phoneNumbers": phones,
            "websites": websites,
            "emailAddresses": emails,
            "tags": [emulator.tag(_TAGS[i % len(_TAGS)])] if i % 2 == 0 else [],
            "fields": fields,
        }

    # -- routes -----------------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        g = self.emulator.guarded
        return [Route("/api/v2/parties/{id}/people", g(self.list_employees), methods=["GET"]),
                Route("/api/v2/parties/filters/results", g(self.filter_results), methods=["POST"])]

    def paged(self, request: Request, parties: list[dict[str, Any]]) -> Response:
        """One page of `parties` as the party list answers it: {"parties": [...]}, `Link: rel="next"`."""
        owner = self.parties
        paging = owner.page_params(request)
        if isinstance(paging, Response):
            return paging
        page, per_page = paging
        start = (page - 1) * per_page
        window = parties[start:start + per_page + 1]
        embed = owner.embeds(request)
        body = {"parties": [owner.render(p, embed) for p in window[:per_page]]}
        headers = owner.page_headers(request, page, per_page, len(window) > per_page)
        return answer(request, body, headers=headers)

    async def filter_results(self, request: Request) -> Response:
        """The parties a filter's conditions all match, in id order, paged like the list
        (https://developer.capsulecrm.com/v2/operations/Filter)."""
        found = await matching_parties(request, self.parties.store.live())
        if isinstance(found, Response):
            return found
        return self.paged(request, found)

    async def list_employees(self, request: Request) -> Response:
        """An organisation's people, paged as `GET /parties` is (page/perPage, `Link: rel="next"`);
        an unknown id or a person's id is 404."""
        parties = self.parties
        org = parties.find(request.path_params["id"])
        if org is None or org["type"] != "organisation":
            return error(request, 404, PARTY_NOT_FOUND_MESSAGE)
        people = [p for p in parties.store.live()
                  if p["type"] == "person" and (p.get("organisation") or {}).get("id") == org["id"]]
        return self.paged(request, people)
