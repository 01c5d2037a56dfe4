"""Capsule API v2 tags, one tag list per entity (`parties`, `opportunities`): the emulator's `field_groups` resource,
which the control API shows as the data tags (each with its entity's `namespace`; plain tags come with records).

- `GET /{entity}/tags` lists an entity's tags, `{"tags": [...]}`, paged like the entity's own list, and
  `GET /{entity}/tags/{tagId}` answers `{"tag": {...}}` (https://developer.capsulecrm.com/v2/operations/Tag; the
  per-entity paths, `entity` one of parties, opportunities, kases: https://github.com/GearPlug/capsulecrm-python,
  `client.py` list_tag/create_tag). An unknown id is 404 "tag not found" (NOTES §24).
- `POST /{entity}/tags` with `{"tag": {name, description, dataTag}}` defines a tag: 201, the stored tag and its
  `Location` (operations/Tag, "Create tag definition"); `PUT /{entity}/tags/{tagId}` with `{"tag": {...}}` changes
  its name, description or dataTag, 200 (the update operation as mirrored by
  https://withone.ai/knowledge/capsule/conn_mod_def%3A%3AGJ1Dnb1Cnto%3A%3AEdsRO3vgQkaPjAC2uvhNTQ, which also says a
  data tag with field definitions cannot become a plain tag). A missing name, a name the entity already has, or
  that data tag change answer 422 with Capsule's validation shape [the wording of each is unverified].
- A tag is `{id, name, description, dataTag}` (https://developer.capsulecrm.com/v2/models/tag). A data tag
  (`dataTag: true`) groups custom fields: a definition in it carries `tag: {id, name, dataTag}`
  (https://developer.capsulecrm.com/v2/models/field_definition).
- Tag ids are unique across the account (one counter); names are unique within an entity's list (NOTES §20).
Seed: the account's data tags (DATA_TAGS, its configuration, restored on every reset); the plain tags come with
the records that carry them. Kases (projects) are not emulated, so neither are their tags.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, read_json
from unigate.sandbox.capsule.common import TAG_NOT_FOUND_MESSAGE, answer, error, validation_error

if TYPE_CHECKING:
    from unigate.sandbox.capsule import CapsuleEmulator

NAMESPACES = ("parties", "opportunities")
FIRST_TAG_ID = 90_001
# The sandbox account's data tags per entity: (name, description). Enough party data tags for several pages of
# crm/field_groups; which definitions sit in which is DEFINITION_TAGS.
DATA_TAGS: dict[str, list[tuple[str, str | None]]] = {
    "parties": [
        ("Company Profile", "Size and sector of an organisation"),
        ("Billing Details", "What finance needs to invoice"),
        ("Contact Preferences", "How a person likes to be reached"),
        ("Renewals", None),
        ("Partner Programme", "Partner tier and portal access"),
        ("Compliance", "KYC and credit checks"),
        ("Events", None),
        ("Onboarding", "First ninety days"),
        ("Support Plan", None),
        ("Marketing", "Campaign attribution"),
        ("Procurement", None),
        ("Legal", "Contracts and NDAs"),
        ("Customer Success", None),
        ("Referral Scheme", "Who referred whom"),
        ("Training", None),
        ("Personal Details", "Birthdays and seniority"),
    ],
    "opportunities": [
        ("Deal Sizing", "Seats and volumes"),
        ("Attribution", None),
        ("Competition", "Who else is bidding"),
    ],
}
# Seeded definitions in a data tag: (namespace, definition id) -> the data tag's name; the rest are in none.
DEFINITION_TAGS: dict[tuple[str, int], str] = {
    ("parties", 801): "Company Profile", ("parties", 802): "Company Profile", ("parties", 808): "Company Profile",
    ("parties", 805): "Billing Details", ("parties", 813): "Billing Details",
    ("parties", 806): "Contact Preferences", ("parties", 807): "Contact Preferences",
    ("parties", 809): "Renewals", ("parties", 811): "Partner Programme", ("parties", 814): "Compliance",
    ("parties", 815): "Personal Details", ("parties", 816): "Personal Details",
    ("opportunities", 901): "Deal Sizing", ("opportunities", 902): "Attribution",
}


class Tags(Resource):
    """`field_groups`: every entity's tags (the emulator holds them: `CapsuleEmulator.tags`), served by entity; the
    control API shows the data tags, the unified resource's records, under its name."""

    name: ClassVar[str] = "field_groups"
    default_seed_count: ClassVar[int | None] = 0
    emulator: CapsuleEmulator

    def seed(self, count: int) -> None:
        """The data tags are the account's configuration (reset_state), whatever the record count."""

    def snapshot(self) -> list[dict[str, Any]]:
        return [{"namespace": namespace, **tag} for namespace, found in self.emulator.tags.items()
                for tag in found.values() if tag["dataTag"]]

    def routes(self) -> list[Route]:
        g = self.emulator.guarded
        routes = []
        for namespace in NAMESPACES:
            routes += [Route(f"/api/v2/{namespace}/tags", g(self.lister(namespace)), methods=["GET"]),
                       Route(f"/api/v2/{namespace}/tags", g(self.writer(namespace)), methods=["POST"]),
                       Route(f"/api/v2/{namespace}/tags/{{id}}", g(self.shower(namespace)), methods=["GET"]),
                       Route(f"/api/v2/{namespace}/tags/{{id}}", g(self.writer(namespace)), methods=["PUT"])]
        return routes

    def writer(self, namespace: str):
        async def written(request: Request) -> Response:
            return await self.write(request, namespace)
        return written

    async def write(self, request: Request, namespace: str) -> Response:
        """POST (create) or PUT (update) of one of `namespace`'s tags."""
        tags = self.emulator.tags[namespace]
        current = None
        if request.method == "PUT":
            current = next((t for t in tags.values() if str(t["id"]) == request.path_params["id"]), None)
            if current is None:
                return error(request, 404, TAG_NOT_FOUND_MESSAGE)
        body = await read_json(request)
        wrapped = body.get("tag") if isinstance(body, dict) else None
        if not isinstance(wrapped, dict):
            return validation_error(request, [{"message": "tag is required", "resource": "tag", "field": "tag"}])
        problems: list[dict[str, Any]] = []

        def refuse(field: str, message: str) -> None:
            problems.append({"message": message, "resource": "tag", "field": field})

        name = wrapped.get("name", None if current is None else current["name"])
        if not isinstance(name, str) or not name.strip():
            refuse("name", "name is required")
        elif any(t is not current and key == name.strip().lower() for key, t in tags.items()):
            refuse("name", "name already exists")
        description = wrapped.get("description", None if current is None else current["description"])
        if description is not None and not isinstance(description, str):
            refuse("description", "description must be text")
        data_tag = wrapped.get("dataTag", False if current is None else current["dataTag"])
        if not isinstance(data_tag, bool):
            refuse("dataTag", "dataTag must be true or false")
        elif current is not None and current["dataTag"] and not data_tag and any(
                d.get("tagId") == current["id"] for d in self.emulator.definitions.get(namespace, [])):
            refuse("dataTag", "tag has field definitions")
        if problems:
            return validation_error(request, problems)
        if current is None:
            tag = self.emulator.tag(name, namespace)
            tag.update({"description": description, "dataTag": data_tag})
            location = f"https://api.capsulecrm.com/api/v2/{namespace}/tags/{tag['id']}"
            return answer(request, {"tag": tag}, 201, {"Location": location})
        del tags[current["name"].lower()]
        current.update({"name": name.strip(), "description": description, "dataTag": data_tag})
        tags[current["name"].lower()] = current
        return answer(request, {"tag": current})

    def lister(self, namespace: str):
        async def listed(request: Request) -> Response:
            """`GET /{entity}/tags`: page/perPage as the party list (1..100), Link rel="next" while more."""
            parties = self.emulator.resource("accounts")
            paging = parties.page_params(request)   # type: ignore[attr-defined]
            if isinstance(paging, Response):
                return paging
            page, per_page = paging
            tags = list(self.emulator.tags[namespace].values())[(page - 1) * per_page:page * per_page + 1]
            headers = parties.page_headers(request, page, per_page, len(tags) > per_page)  # type: ignore[attr-defined]
            return answer(request, {"tags": tags[:per_page]}, headers=headers)
        return listed

    def shower(self, namespace: str):
        async def shown(request: Request) -> Response:
            raw = request.path_params["id"]
            tag = next((t for t in self.emulator.tags[namespace].values() if str(t["id"]) == raw), None)
            if tag is None:
                return error(request, 404, TAG_NOT_FOUND_MESSAGE)
            return answer(request, {"tag": tag})
        return shown
