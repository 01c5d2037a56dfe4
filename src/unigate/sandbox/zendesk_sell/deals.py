"""Zendesk Sell deals: the emulator's `opportunities` resource.

Routes: `GET/POST /v2/deals`, `GET/PUT/DELETE /v2/deals/{id}` (basecrm-ruby `lib/basecrm/services/deals_service.rb`,
`models/deal.rb`, https://github.com/zendesk/basecrm-ruby; https://developers.getbase.com/docs/rest/reference/deals).
- Bodies in `{"data": {...}}`, answers `{"data": …, "meta": {"type": "deal"}}`; lists page as the contacts do
  (`page`, `per_page` ≤ 100, default order `id:asc`), filters `ids`, `contact_id`, `organization_id`,
  `owner_id`, `stage_id`, `hot`.
- `value` reads as an integer when it has no decimals and as a string with two places otherwise
  ("1000.50"), as the deals reference says; it is written as a number or a numeric string.
- `stage_id` names any pipeline's stage, and the deal is in that stage's pipeline (a deal has no pipeline
  field); an unknown stage is a 422 resource error. A create without one lands in the first pipeline's
  first stage [unverified]. Moving the stage stamps `last_stage_change_at`.
- `organization_id` is read-only, "set automatically when you associate a deal with a primary contact
  which belongs to a company" (deals reference): the contact's organisation, or the contact itself when it
  is an organisation.
- `name` and `contact_id` are required on create [unverified: the official clients' fixtures always send
  both; `CONTACT_REQUIRED` switches the second off]. `tags` replace the list; `custom_fields` merge by name.
- Delete is hard: 204, then 404 (deals_service.rb `destroy`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, member, read_json
from unigate.sandbox.zendesk_sell.accounts import CREATE_STATUS
from unigate.sandbox.zendesk_sell.common import (
    TOKEN_USER, USER_IDS, USERS, collection, id_list, now_timestamp, page_bounds, timestamp,
)

if TYPE_CHECKING:
    from unigate.sandbox.zendesk_sell import ZendeskSellEmulator

CONTACT_REQUIRED = True
# ISO 4217 codes the account takes [unverified: Sell's currency list is per account].
CURRENCIES = ("USD", "EUR", "GBP", "PLN", "CAD", "AUD")
FIRST_DEAL_ID = 40_001
WRITABLE = ("name", "value", "currency", "hot", "stage_id", "owner_id", "contact_id", "source_id", "loss_reason_id",
            "estimated_close_date", "customized_win_likelihood", "tags", "custom_fields")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NAMES = ("Website Redesign", "Annual Subscription", "Fleet Telematics", "Support Renewal", "Pilot Rollout",
          "Data Migration", "Onboarding Package", "Hardware Refresh", "Consulting Retainer", "Seat Expansion")
_SEED_START = datetime(2022, 5, 2, 10, 0, 0, tzinfo=timezone.utc)


def rendered_value(value: Decimal | None) -> int | str | None:
    """1000 -> 1000, 1000.5 -> "1000.50" (deals reference); a whole number past 64 bits as its decimal text, as
    JSON numbers that large are not exchanged [unverified: the reference gives no upper bound]."""
    if value is None:
        return None
    if value == value.to_integral_value() and abs(value) < 2 ** 63:
        return int(value)
    return f"{value:.2f}"


class Deals(Resource):
    name: ClassVar[str] = "opportunities"
    emulator: ZendeskSellEmulator

    def _contacts(self) -> dict[str, dict[str, Any]]:
        return self.emulator.resource("accounts").records  # type: ignore[attr-defined,no-any-return]

    def _stages(self) -> dict[int, dict[str, Any]]:
        return self.emulator.resource("stages").records  # type: ignore[attr-defined,no-any-return]

    def seed(self, count: int) -> None:
        """Deals of persons (most at an organisation) spread over every pipeline's stages, won and lost ones
        included, in four currencies."""
        self.records: dict[int, dict[str, Any]] = {}
        self.next_id = FIRST_DEAL_ID
        persons = [self._contacts()[str(i)] for i in self.emulator.resource("accounts").person_ids]  # type: ignore[attr-defined]
        by_pipeline: dict[int, list[dict[str, Any]]] = {}
        for stage in self._stages().values():
            by_pipeline.setdefault(stage["pipeline_id"], []).append(stage)
        pipelines = sorted(by_pipeline)
        for i in range(count):
            person = persons[i % len(persons)] if persons else None
            pipeline = pipelines[0 if i % 2 == 0 else (i // 2) % len(pipelines)] if pipelines else None
            in_pipeline = by_pipeline.get(pipeline, []) if pipeline else []
            stage = in_pipeline[i % len(in_pipeline)] if in_pipeline else None
            created = _SEED_START + timedelta(hours=7 * i, minutes=i % 60)
            value = Decimal(1500 + 250 * i) + (Decimal("0.50") if i % 4 == 1 else 0)
            deal = {
                "id": self._new_id(), "creator_id": USERS[i % len(USERS)]["id"],
                "owner_id": USERS[(i + 1) % len(USERS)]["id"], "name": f"{_NAMES[i % len(_NAMES)]} {i + 1}",
                "value": value, "currency": ("USD", "EUR", "GBP", "PLN")[i % 4], "hot": i % 3 == 0,
                "stage_id": stage["id"] if stage else None, "source_id": None, "loss_reason_id": None,
                "unqualified_reason_id": None, "contact_id": person["id"] if person else None,
                "estimated_close_date": (created + timedelta(days=30 + i % 60)).strftime("%Y-%m-%d"),
                "customized_win_likelihood": None, "last_stage_change_at": timestamp(created + timedelta(days=1)),
                "last_stage_change_by_id": USERS[0]["id"], "last_activity_at": timestamp(created + timedelta(days=2))
                if i % 3 else None, "dropbox_email": f"dropbox@{4_000_000 + i}.deals.futuresimple.com",
                "tags": [["important"], [], ["q3", "expansion"]][i % 3],
                "custom_fields": {"Channel": ["Partner", "Direct", "Web"][i % 3]} if i % 2 == 0 else {},
                "added_at": created.strftime("%Y-%m-%d"), "created_at": timestamp(created),
                "updated_at": timestamp(created + timedelta(days=3, minutes=i)),
            }
            self.records[deal["id"]] = deal

    def _new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def snapshot(self) -> list[dict[str, Any]]:
        return [self.render(d) for d in self.records.values()]

    def render(self, deal: dict[str, Any]) -> dict[str, Any]:
        """The deal as Sell answers it: `value` as int or 2-place string, `organization_id` from the contact."""
        contact = self._contacts().get(str(deal["contact_id"])) if deal["contact_id"] is not None else None
        organization = None
        if contact is not None:
            organization = contact["id"] if contact["is_organization"] else contact.get("contact_id")
        return {**deal, "value": rendered_value(deal["value"]), "organization_id": organization}

    def routes(self) -> list[Route]:
        return [Route("/v2/deals", self.many, methods=["GET", "POST"]),
                Route("/v2/deals/{deal_id}", self.one, methods=["GET", "PUT", "DELETE"])]

    def not_found(self, request: Request) -> Response:
        return self.emulator.error(request, 404, "not_found", "The requested resource could not be found.",
                                   "Resource you are looking for was not found.", resource="deal")

    def single(self, request: Request, deal: dict[str, Any], status: int = 200) -> Response:
        return self.emulator.ok(request, {"data": self.render(deal), "meta": {"type": "deal"}}, status)

    async def many(self, request: Request) -> Response:
        emulator = self.emulator
        denied = emulator.check(request)
        if denied:
            return denied
        if request.method == "POST":
            values = await self._payload(request)
            if isinstance(values, Response):
                return values
            deal = {"id": 0, "creator_id": TOKEN_USER["id"], "owner_id": TOKEN_USER["id"], "name": None,
                    "value": None, "currency": CURRENCIES[0], "hot": False, "stage_id": None, "source_id": None,
                    "loss_reason_id": None, "unqualified_reason_id": None, "contact_id": None,
                    "estimated_close_date": None, "customized_win_likelihood": None, "last_stage_change_at": None,
                    "last_stage_change_by_id": None, "last_activity_at": None, "dropbox_email": None, "tags": [],
                    "custom_fields": {}, "added_at": None, "created_at": now_timestamp(), "updated_at": None}
            problems = self._apply(deal, values, creating=True)
            if problems:
                return emulator.errors(request, 422, problems)
            deal["id"] = self._new_id()
            deal["added_at"] = deal["created_at"][:10]
            deal["dropbox_email"] = f"dropbox@{deal['id']}.deals.futuresimple.com"
            self.records[deal["id"]] = deal
            return self.single(request, deal, CREATE_STATUS)
        return self.list_deals(request)

    def list_deals(self, request: Request) -> Response:
        emulator = self.emulator
        query = request.query_params
        bounds = page_bounds(query)
        ids = id_list(query.get("ids"))
        if isinstance(bounds, str) or isinstance(ids, str):
            return emulator.error(request, 400, "bad_request", "Invalid query parameters",
                                  bounds if isinstance(bounds, str) else str(ids))
        sort_by = query.get("sort_by", "id:asc")
        attribute, _, direction = sort_by.partition(":")
        if attribute not in ("id", "name", "value", "created_at", "updated_at") or direction not in ("", "asc", "desc"):
            return emulator.error(request, 400, "bad_request", "Invalid sort_by parameter",
                                  "sort_by takes id, name, value, created_at or updated_at with :asc or :desc.")
        wanted: dict[str, Any] = {}
        for key in ("contact_id", "organization_id", "owner_id", "stage_id"):
            if query.get(key):
                try:
                    wanted[key] = int(query[key])
                except ValueError:
                    return emulator.error(request, 400, "bad_request", f"Invalid {key} parameter", f"{key} takes an integer.")
        if query.get("hot"):
            wanted["hot"] = query["hot"].lower() in ("true", "1")
        chosen = [d for d in (self.render(d) for d in self.records.values())
                  if (ids is None or d["id"] in ids) and all(d.get(k) == v for k, v in wanted.items())]
        if attribute != "id" or direction == "desc":
            chosen.sort(key=lambda d: (d.get(attribute) is None, str(d.get(attribute) or "")), reverse=direction == "desc")
        return emulator.ok(request, collection(request, chosen, *bounds, "deal"))

    async def one(self, request: Request) -> Response:
        emulator = self.emulator
        denied = emulator.check(request)
        if denied:
            return denied
        raw = request.path_params["deal_id"]
        deal = self.records.get(int(raw)) if raw.isdigit() else None
        if deal is None:
            return self.not_found(request)
        if request.method == "GET":
            return self.single(request, deal)
        if request.method == "DELETE":
            del self.records[deal["id"]]
            return Response(status_code=204, headers=emulator._headers(request))
        values = await self._payload(request)
        if isinstance(values, Response):
            return values
        staged = {**deal, "tags": list(deal["tags"]), "custom_fields": dict(deal["custom_fields"])}
        problems = self._apply(staged, values, creating=False)
        if problems:
            return emulator.errors(request, 422, problems)
        self.records[deal["id"]] = staged
        return self.single(request, staged)

    async def _payload(self, request: Request) -> dict[str, Any] | Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            return self.emulator.error(request, 400, "invalid_envelope", "Request body must be wrapped in data",
                                       'Send a JSON object of the form {"data": {...}}.')
        return body["data"]

    def _apply(self, deal: dict[str, Any], values: dict[str, Any], creating: bool) -> list[dict[str, Any]]:
        """Validate and apply a write; the 422 resource errors (codes [unverified]) when it is refused."""
        problems: list[dict[str, Any]] = []

        def add(field: str, code: str, message: str) -> None:
            problems.append({"resource": "deal", "field": field, "code": code, "message": message,
                             "details": f"{field} {message}"})

        changes = {k: values[k] for k in WRITABLE if k in values}
        if (creating or "name" in changes) and not (isinstance(changes.get("name"), str) and changes["name"].strip()):
            add("name", "blank", "can't be blank")
        if CONTACT_REQUIRED and (creating or "contact_id" in changes) and changes.get("contact_id") is None:
            add("contact_id", "blank", "can't be blank")
        if changes.get("contact_id") is not None and self._contacts().get(str(changes["contact_id"])) is None:
            add("contact_id", "invalid", "is invalid")
        if "value" in changes and changes["value"] is not None:
            try:
                if isinstance(changes["value"], bool):
                    raise InvalidOperation
                changes["value"] = Decimal(str(changes["value"]))
                if not changes["value"].is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                add("value", "invalid", "is not a number")
        if "currency" in changes and not member(changes["currency"], CURRENCIES):
            add("currency", "inclusion", "is not included in the list")
        if "owner_id" in changes and (isinstance(changes["owner_id"], bool) or not member(changes["owner_id"], USER_IDS)):
            add("owner_id", "invalid", "is invalid")
        if "hot" in changes and not isinstance(changes["hot"], bool):
            add("hot", "invalid", "is invalid")
        if "estimated_close_date" in changes and changes["estimated_close_date"] is not None and not (
                isinstance(changes["estimated_close_date"], str) and _DATE.match(changes["estimated_close_date"])):
            add("estimated_close_date", "invalid", "is not a date")
        chance = changes.get("customized_win_likelihood")
        if chance is not None and (isinstance(chance, bool) or not isinstance(chance, int) or not 0 <= chance <= 100):
            add("customized_win_likelihood", "invalid", "must be between 0 and 100")
        if "tags" in changes and (not isinstance(changes["tags"], list)
                                  or not all(isinstance(t, str) for t in changes["tags"])):
            add("tags", "invalid", "is invalid")
        if "custom_fields" in changes and not isinstance(changes["custom_fields"], dict):
            add("custom_fields", "invalid", "is invalid")
        stages = self._stages()
        if "stage_id" in changes and (isinstance(changes["stage_id"], bool) or not member(changes["stage_id"], stages)):
            add("stage_id", "invalid", "is invalid")
        if problems:
            return problems
        if creating and changes.get("stage_id") is None:
            changes["stage_id"] = next(iter(stages), None)
        if "custom_fields" in changes:
            changes["custom_fields"] = {**deal["custom_fields"], **changes["custom_fields"]}
        now = now_timestamp()
        if changes.get("stage_id") is not None and changes["stage_id"] != deal["stage_id"]:
            deal["last_stage_change_at"], deal["last_stage_change_by_id"] = now, TOKEN_USER["id"]
        deal.update(changes)
        deal["updated_at"] = now
        return []
