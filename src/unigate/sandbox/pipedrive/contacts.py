"""Pipedrive persons: the emulator's `contacts` resource.

Routes are Pipedrive's real paths
(https://github.com/pipedrive/client-nodejs/blob/master/src/versions/v2/api/persons-api.ts):

- `GET    /api/v2/persons`       list (`limit` 1..500, default 100; `cursor`; `sort_by`, `sort_direction`,
  `owner_id`, `org_id`, `ids`, `updated_since`, `updated_until`, `custom_fields`, `include_fields`)
- `GET    /api/v2/persons/{id}`  read
- `POST   /api/v2/persons`       create, 200 (`name` required unless the switch `person_name` is "optional")
- `PATCH  /api/v2/persons/{id}`  update
- `DELETE /api/v2/persons/{id}`  soft delete: 200 `{"success":true,"data":{"id":N}}`
- `PUT    /v1/persons/{id}/merge` `{"merge_with_id"}`: the person in the URL is merged into
  `merge_with_id`, which survives (https://pipedrive.readme.io/docs/merging-two-persons); 200 with the
  survivor in API v1's shape (https://developers.pipedrive.com/docs/api/v1/Persons#mergePersons)

Listing, reads and deletes are the organizations' (`accounts.Organizations`); persons bring their
own fields: `org_id` (the account link), `emails`/`phones` (`[{value, primary, label}]`), and custom
fields of their own keys.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import json_response, member
from unigate.sandbox.pipedrive.accounts import Organizations
from unigate.sandbox.pipedrive.common import (
    Invalid,
    error,
    invalid,
    read_body,
    rfc3339,
    unauthorized,
)

if TYPE_CHECKING:
    from unigate.sandbox.pipedrive import PipedriveEmulator

PERSONS_PATH = "/api/v2/persons"
# Person custom fields of this company (40-char hex keys, as Pipedrive generates:
# https://pipedrive.readme.io/docs/core-api-concepts-custom-fields).
PERSON_FIELD_KEYS = {
    "linkedin": "5a8c1f0e3b7d49e2a61c0f9b8d7e6a5c4b3a2f10",   # text
    "lead_score": "c0ffee4d2b1a09f8e7d6c5b4a3928170f6e5d4c3",  # numeric: a JSON number
}
NUMERIC_PERSON_FIELDS = frozenset({PERSON_FIELD_KEYS["lead_score"]})
# Email labels work/home/other, phone labels work/home/mobile/other
# (https://github.com/pipedrive/client-nodejs/blob/master/CHANGELOG.md, label typed as a string).
EMAIL_LABELS = frozenset({"work", "home", "other"})
PHONE_LABELS = frozenset({"work", "home", "mobile", "other"})
# Switch `person_name`: whether a create without `name` is refused. The sources disagree: API v1 required
# it (https://developers.pipedrive.com/docs/api/v1/Persons#addPerson) and third-party v2 clients keep it
# required, but the v2 schema marks nothing required (AddPersonRequest in
# https://github.com/pipedrive/client-nodejs/blob/master/src/versions/v2/models/add-person-request.ts).
# "required" (the default): 400 ERR_SCHEMA_VALIDATION_FAILED; "optional": the person is created unnamed.
PERSON_NAME = ("required", "optional")
MARKETING_STATUSES = frozenset({"no_consent", "unsubscribed", "subscribed", "archived"})
# Body fields a v2 person write takes (https://developers.pipedrive.com/docs/api/v1/Persons#addPerson, v2 tab;
# PersonRequestBody in https://github.com/pipedrive/client-php); others as the switch `unknown_fields` says.
WRITABLE = frozenset({"name", "owner_id", "org_id", "emails", "phones", "visible_to", "label_ids",
                      "marketing_status", "add_time", "update_time", "custom_fields"})
PERSON_INCLUDE_FIELDS = {
    "next_activity_id": None, "last_activity_id": None, "open_deals_count": 0, "related_open_deals_count": 0,
    "closed_deals_count": 0, "related_closed_deals_count": 0, "participant_open_deals_count": 0,
    "participant_closed_deals_count": 0, "email_messages_count": 0, "activities_count": 0,
    "done_activities_count": 0, "undone_activities_count": 0, "files_count": 0, "notes_count": 0,
    "followers_count": 0, "won_deals_count": 0, "lost_deals_count": 0, "last_incoming_mail_time": None,
    "last_outgoing_mail_time": None, "marketing_status": "no_consent", "doi_status": None, "smart_bcc_email": None,
}
# [observed: a Pipedrive client's canned 404 body, "Person not found"]
NOT_FOUND_MESSAGE = "Person not found"

_FIRST = ("Kadri", "Marek", "Joana", "Tomas", "Aoife", "Jake", "Lena", "Oliver", "Mari", "Pedro", "Eva", "Sean")
_LAST = ("Tamm", "Novak", "Costa", "Dvorak", "Byrne", "Miller", "Wagner", "Hughes", "Saar", "Sousa", "Horak")
_OWNERS = (13053345, 13053346, 13053347, 13053348)
_SEED_START = datetime(2023, 4, 3, 9, 0, 0, tzinfo=UTC)


def seed_person(index: int, person_id: int, org: dict[str, Any] | None) -> dict[str, Any]:
    """Seeded person `index` (deterministic); `org` is the organization it belongs to."""
    first, last = _FIRST[index % len(_FIRST)], _LAST[(index * 5) % len(_LAST)]
    added = _SEED_START + timedelta(hours=4 * index, seconds=index % 60)
    updated = added + timedelta(days=1 + index % 20, minutes=index % 40)
    domain = org["custom_fields"].get("ed1d6d314ab9b97a0c9c0f84720c598fd98eec84", "") if org else ""
    domain = domain.removeprefix("https://") or "mail.example.net"
    emails = [{"value": f"{first}.{last}{index}@{domain}".lower(), "primary": True, "label": "work"}]
    if index % 4 == 1:
        emails.append({"value": f"{first}{index}@home.example.org".lower(), "primary": False, "label": "home"})
    phones = [{"value": f"+372 555 {1000 + index % 9000:04d}", "primary": True, "label": "work"}]
    if index % 3 == 0:
        phones.append({"value": f"+372 5{index % 10} 00{index % 100:02d}", "primary": False, "label": "mobile"})
    return {
        "id": person_id,
        "name": f"{first} {last}",
        "first_name": first,
        "last_name": last,
        "owner_id": _OWNERS[index % len(_OWNERS)],
        "org_id": org["id"] if org else None,
        "add_time": rfc3339(added),
        "update_time": rfc3339(updated),
        "is_deleted": False,
        "visible_to": 3,
        "label_ids": [1 + index % 4] if index % 3 == 2 else [],
        "picture_id": None,
        "emails": emails if index % 9 != 8 else [],
        "phones": phones,
        "custom_fields": {
            PERSON_FIELD_KEYS["linkedin"]: f"https://www.linkedin.com/in/{first}-{last}-{index}".lower()
            if index % 2 == 0 else None,
            PERSON_FIELD_KEYS["lead_score"]: 10 + (index * 13) % 90 if index % 5 != 3 else None,
        },
    }


def v1_time(moment: str) -> str:
    """API v1's `YYYY-MM-DD HH:MM:SS` (UTC) for a stored RFC 3339 instant."""
    return moment.replace("T", " ").removesuffix("Z")


def split_name(name: str) -> tuple[str, str | None]:
    """first_name / last_name as v2 derives them from `name` (read-only there)."""
    first, _, last = name.strip().partition(" ")
    return first, last.strip() or None


class Persons(Organizations):
    name: ClassVar[str] = "contacts"
    fields_kind: ClassVar[str] = "personFields"
    path: ClassVar[str] = PERSONS_PATH
    not_found_message: ClassVar[str] = NOT_FOUND_MESSAGE
    include_fields: ClassVar[dict[str, Any]] = PERSON_INCLUDE_FIELDS
    writable: ClassVar[frozenset[str]] = WRITABLE
    emulator: PipedriveEmulator

    def seed(self, count: int) -> None:
        """Five persons in six belong to a seeded organization, the sixth to none."""
        self.store.clear()
        orgs = list(self.emulator.resource("accounts").store.live())
        for index in range(count):
            org = orgs[(index * 2) % len(orgs)] if orgs and index % 6 != 5 else None
            person_id = self.store.new_id()
            self.store.add(person_id, seed_person(index, person_id, org))

    def routes(self) -> list[Route]:
        return [*super().routes(), Route("/v1/persons/{id}/merge", self.merge, methods=["PUT"])]

    @classmethod
    def _render(cls, record: dict[str, Any], custom_keys: list[str] | None = None,
                include: list[str] | None = None) -> dict[str, Any]:
        out = super()._render(record, custom_keys, include)
        out["emails"] = [dict(e) for e in record["emails"]]
        out["phones"] = [dict(p) for p in record["phones"]]
        return out

    def name_required(self) -> bool:
        """Whether a create must name the person: the switch `person_name` (PERSON_NAME)."""
        return self.emulator.switch["person_name"] == "required"

    def _list_filters(self, params) -> list[Any]:
        raw = params.get("org_id")
        if raw is None:
            return []
        try:
            org_id = int(raw)
        except ValueError:
            raise Invalid(f"Validation failed: org_id: Parameter 'org_id' must be an integer (got '{raw}')") from None
        return [lambda r: r["org_id"] == org_id]

    @staticmethod
    def _new_record(stamp: str) -> dict[str, Any]:
        return {
            "id": 0, "name": "", "first_name": "", "last_name": None, "owner_id": _OWNERS[0], "org_id": None,
            "add_time": stamp, "update_time": stamp, "is_deleted": False, "visible_to": 3, "label_ids": [],
            "picture_id": None, "emails": [], "phones": [],
            "custom_fields": {key: None for key in PERSON_FIELD_KEYS.values()},
        }

    def _apply(self, record: dict[str, Any], body: dict[str, Any], creating: bool) -> None:
        """Validate the person's own fields, then the shared ones (nothing changes on error)."""
        changes: dict[str, Any] = {}
        if "org_id" in body:
            org_id = body["org_id"]
            if org_id is not None:
                if not isinstance(org_id, int) or isinstance(org_id, bool):
                    raise Invalid("Validation failed: org_id: Parameter 'org_id' must be an integer")
                # [unverified] Pipedrive's answer to an organization that does not exist
                if self.emulator.resource("accounts").store.get_active(org_id) is None:
                    raise Invalid(f"Validation failed: org_id: Organization with id {org_id} not found")
            changes["org_id"] = org_id
        for field, labels in (("emails", EMAIL_LABELS), ("phones", PHONE_LABELS)):
            if field in body:
                changes[field] = self._contact_points(field, body[field], labels)
        if "marketing_status" in body and not member(body["marketing_status"], MARKETING_STATUSES):
            raise Invalid("Validation failed: marketing_status: Parameter 'marketing_status' must be one of "
                          + ", ".join(sorted(MARKETING_STATUSES)))
        if "custom_fields" in body:
            changes["custom_fields"] = self._custom_fields(record, body["custom_fields"])
        shared = {k: v for k, v in body.items() if k in ("name", "owner_id", "visible_to", "label_ids",
                                                           "add_time", "update_time")}
        super()._apply(record, shared, creating)
        record.update(changes)
        if "name" in shared:
            record["first_name"], record["last_name"] = split_name(record["name"])

    @staticmethod
    def _contact_points(field: str, value: Any, labels: frozenset[str]) -> list[dict[str, Any]]:
        """`emails`/`phones` as `[{value, primary, label}]`; exactly one primary when any."""
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise Invalid(f"Validation failed: {field}: Parameter '{field}' must be an array of objects")
        out = []
        for item in value:
            text, label = item.get("value"), item.get("label", "work")
            if not isinstance(text, str) or not text.strip():
                raise Invalid(f"Validation failed: {field}.value: must be a non-empty string")
            if label not in labels:
                raise Invalid(f"Validation failed: {field}.label: must be one of {', '.join(sorted(labels))}")
            primary = item.get("primary", False)
            if not isinstance(primary, bool):
                raise Invalid(f"Validation failed: {field}.primary: must be a boolean")
            out.append({"value": text, "primary": primary, "label": label})
        if out and not any(p["primary"] for p in out):
            out[0]["primary"] = True  # the first one is the primary one when none is marked [unverified]
        return out


    # -- merge (API v1) ------------------------------------------------------------------------------
    async def merge(self, request: Request) -> Response:
        headers = self.emulator.rate_limits.headers()
        if not self.emulator.authorized(request):
            return unauthorized(headers)
        try:
            found = self._active(request.path_params["id"], headers)
            if isinstance(found, Response):
                return found
            body = await read_body(request)
            survivor_id = body.get("merge_with_id")
            if not isinstance(survivor_id, int) or isinstance(survivor_id, bool):
                raise Invalid("Validation failed: merge_with_id: Parameter 'merge_with_id' is required and must "
                              "be an integer")
            if survivor_id == found["id"]:  # [unverified wording]
                raise Invalid("Validation failed: merge_with_id: A person cannot be merged with itself")
            survivor = self.store.get_active(survivor_id)
            if survivor is None:
                return error(404, NOT_FOUND_MESSAGE, headers)
        except Invalid as exc:
            return invalid(str(exc), headers)
        self._fold(found, survivor)
        return json_response({"success": True, "data": self._v1(survivor, merged_id=found["id"])}, headers=headers)

    def _fold(self, merged: dict[str, Any], survivor: dict[str, Any]) -> None:
        """The survivor keeps its values, fills its empty ones from `merged` and gains its emails and
        phones; `merged` is deleted (https://pipedrive.readme.io/docs/merging-two-persons)."""
        for field in ("org_id", "owner_id"):
            if survivor[field] is None:
                survivor[field] = merged[field]
        for field in ("emails", "phones"):
            have = {p["value"] for p in survivor[field]}
            survivor[field] += [{**p, "primary": False} for p in merged[field] if p["value"] not in have]
        for key, value in merged["custom_fields"].items():
            if survivor["custom_fields"].get(key) is None:
                survivor["custom_fields"][key] = value
        survivor["label_ids"] = sorted(set(survivor["label_ids"]) | set(merged["label_ids"]))
        stamp = rfc3339(datetime.now(UTC))
        survivor["update_time"] = stamp
        merged["is_deleted"] = True
        merged["update_time"] = stamp
        self.store.archive(merged["id"])

    def _v1(self, record: dict[str, Any], merged_id: int) -> dict[str, Any]:
        """A person in API v1's shape (`email`/`phone`, `YYYY-MM-DD HH:MM:SS` times, names of links)."""
        org = self.emulator.resource("accounts").store.get(record["org_id"]) if record["org_id"] else None
        return {
            "id": record["id"], "company_id": 7_000_001, "owner_id": record["owner_id"], "org_id": record["org_id"],
            "name": record["name"], "first_name": record["first_name"], "last_name": record["last_name"],
            "active_flag": True, "email": [dict(e) for e in record["emails"]],
            "phone": [dict(p) for p in record["phones"]], "first_char": record["name"][:1].lower(),
            "add_time": v1_time(record["add_time"]), "update_time": v1_time(record["update_time"]),
            "visible_to": str(record["visible_to"]), "picture_id": record["picture_id"],
            "label_ids": list(record["label_ids"]), "org_name": org["name"] if org else None,
            "owner_name": None, "cc_email": "company@pipedrivemail.com", "merge_what_id": merged_id,
            **record["custom_fields"],
        }
