"""Pipeliner leads: the REST v100 `Leads` entity (`/entities/Leads`), a lead-oppty before qualification.

Sources: the vendor's v100 OpenAPI (Lead: list, get, create, update, delete, batch), the vendor-published
PowerPlatform connector swagger (microsoft/PowerPlatformConnectors `certified-connectors/Pipeliner CRM/
apiDefinition.swagger.json`: LeadsCreate) and https://developers.pipelinersales.com/api-docs/.
A lead is an opportunity without value or closing date: `name`, `description`, `owner_id`, `unit_id`, `step_id`
(a step of the lead process: Steps with `lead_process_id` and no `pipeline_id`), `lead_type_id`,
`lead_source_id`, `label_flag`, `ranking`, the `quick_*` fields, `tags`, and the same LeadOppty account and
contact relations as an opportunity (opportunities.py, whose reads, writes, relations and soft delete it shares).
- Required on create: `name` per the OpenAPI; `name`, `owner_id` and `unit_id` per the connector swagger. Switch
  `lead_owner_required`: `name` and `owner_id` (the default; `unit_id` defaults to the owner's unit as on every
  entity), or `name` alone.
- `status` is read-only: 1 Open, 2 Lost (archived); the connector swagger also lists 4 Qualified, which no REST
  call sets (qualifying a lead is not in the API).
- Custom fields: the space's `Lead` Fields (fields.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from unigate.sandbox.pipeliner.common import OWNERS, SEED_EPOCH, TAGS, det_uuid, pipeliner_date
from unigate.sandbox.pipeliner.opportunities import LOST, OPEN, Opportunities

S = (str,)
WRITABLE_FIELDS: dict[str, tuple[type, ...]] = {
    "name": S, "description": S, "step_id": S, "owner_id": S, "unit_id": S, "lead_type_id": S,
    "lead_source_id": S, "reason_of_close_id": S, "label_flag": (int,), "ranking": (int,), "is_archived": (bool,),
    "share_mode": (int,), "tags": (list,), "account_relations": (list,), "contact_relations": (list,),
    "lost_date": S, "quick_account_name": S, "quick_contact_name": S, "quick_email": S, "quick_phone": S,
    "quick_account_email": S, "quick_account_phone": S,
}
OWNER_REQUIRED = (True, False)
_LEADS = ["Website enquiry", "Trade fair contact", "Webinar sign-up", "Partner referral", "Cold call",
          "Newsletter reply", "Demo request"]
_COMPANIES = ["Northwind", "Contoso", "Fabrikam", "Tailspin", "Adatum", "Litware", "Proseware"]


class Leads(Opportunities):
    """Pipeliner leads: an opportunity's store and behaviour, with a lead's fields, steps and statuses."""

    name = "leads"
    default_seed_count: ClassVar[int | None] = 30
    entity = "Lead"
    path = "Leads"
    writable_fields = WRITABLE_FIELDS

    def required(self) -> tuple[str, ...]:
        return ("name", "owner_id") if self.emulator.switch["lead_owner_required"] else ("name",)

    def step_failure(self, step: dict[str, Any] | None) -> bool:
        """A lead is in a step of the lead process (no pipeline), never in a pipeline's step."""
        return step is None or step["is_deleted"] or step["lead_process_id"] is None

    def status(self, record: dict[str, Any]) -> int:
        return LOST if record["is_archived"] else OPEN

    def seed(self, count: int) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self.position: dict[str, int] = {}
        self.deleted = 0
        steps = [s for s in self._steps().records.values() if s["lead_process_id"] and not s["is_deleted"]]
        accounts = [a for a in self.emulator.resource("accounts").records.values() if not a["is_deleted"]]
        contacts = [c for c in self.emulator.resource("contacts").records.values() if not c["is_deleted"]]
        for i in range(count):
            owner = OWNERS[(i + 2) % len(OWNERS)]
            created = SEED_EPOCH + timedelta(hours=11 * i, microseconds=i * 613)
            stamp = pipeliner_date(created)
            company = f"{_COMPANIES[i % len(_COMPANIES)]} {i // len(_COMPANIES) + 1}"
            record = self._blank()
            record.update({
                "id": det_uuid("lead", i), "name": f"{_LEADS[i % len(_LEADS)]} – {company}",
                "description": f"Seeded lead {i + 1}", "step_id": steps[i % len(steps)]["id"] if steps else None,
                "owner_id": owner["id"], "unit_id": owner["default_unit_id"],
                "label_flag": [0, 2, 1][i % 3], "ranking": i % 5 + 1, "is_archived": i % 11 == 10,
                "quick_account_name": company, "quick_email": f"lead{i}@{company.split()[0].lower()}.example",
                "quick_phone": f"+421 2 {6000 + i:04d} 00" if i % 2 == 0 else "",
                "tags": [TAGS[(i + 1) % len(TAGS)]["id"]] if i % 2 else [],
                "cf_budget": float(1000 * (i % 9 + 1)) if i % 3 else None,
                "cf_referrer": ["Partner portal", "Existing customer", None][i % 3],
                "cf_follow_up": f"2026-{i % 12 + 1:02d}-10" if i % 4 == 1 else None,
                "created": stamp, "modified": pipeliner_date(created + timedelta(days=1, minutes=i)),
                "modified_by_user_id": owner["id"], "revision": 1 + i % 2,
            })
            if accounts and i % 4 == 0:
                record["account_relations"] = [self._row("account", accounts[i % len(accounts)]["id"], True, stamp,
                                                         f"lla-{i}")]
            if contacts and i % 3 == 0:
                record["contact_relations"] = [self._row("contact", contacts[i % len(contacts)]["id"], True, stamp,
                                                         f"llc-{i}")]
            self._store(record)

    def _blank(self) -> dict[str, Any]:
        record: dict[str, Any] = dict.fromkeys(WRITABLE_FIELDS)
        for key in ("description", "quick_account_name", "quick_contact_name", "quick_email", "quick_phone",
                    "quick_account_email", "quick_account_phone"):
            record[key] = ""    # unset text reads as "" (core-api-concepts/fields)
        record.update({"label_flag": 0, "ranking": 0, "share_mode": 0, "is_archived": False, "tags": [],
                       "account_relations": [], "contact_relations": [], "is_deleted": False,
                       "is_delete_protected": False, "table_name": "lead"})
        return record
