"""Zoho CRM v8 Deals module: the emulator's `opportunities` resource (layout, stage rules and seed; the record
routes are `module.ModuleResource`'s, as for every module).

- Field API names: the official SDK's `Deals` field class (https://github.com/zoho/zohocrm-python-sdk-8.0,
  `zohocrmsdk/src/com/zoho/crm/api/record/field.py`). `Deal_Name`, `Stage` and `Closing_Date` are mandatory
  (https://www.zoho.com/crm/developer/docs/api/v2/deals-response.html, "This is a mandatory field").
- `Stage` and `Pipeline` hold values (plain strings): the Stage picklist value and the pipeline's name
  (pipelines.py). `Probability` follows the stage's probability and `Expected_Revenue` (read-only) is
  `Amount` × probability (https://www.zoho.com/crm/developer/docs/api/v2/deals-response.html,
  https://help.zoho.com/portal/kb/articles/create-deals). A deal created without a pipeline goes to the
  layout's default one [unverified].
- A stage outside the deal's pipeline (or not a stage at all) is refused as `INVALID_DATA` on `Stage`
  (lead conversion answers such a pair with `MAPPING_MISMATCH` "Pipeline doesn`t contain the Stage",
  crm-oas v8.0 `convert_lead.json`; the record API's own answer is unverified): switch
  `stage_outside_pipeline` ("reject", the default, or "accept", which still refuses a value that is no stage).
- `Account_Name` (Accounts) and `Contact_Name` (Contacts) are lookups, written `{"id"}`, read `{"name", "id"}`.
Seeds: every deal in a pipeline and one of its stages, most with an account and a contact of it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from unigate.sandbox.zoho_crm.common import MAX_SEED, ORG_TZ, USERS, error_object, ts
from unigate.sandbox.zoho_crm.module import RECORD_FLAGS, Field, ModuleResource

FIELDS: list[Field] = [
    ("Owner", "jsonobject", "ownerlookup", "Deal Owner", False),
    ("Deal_Name", "string", "text", "Deal Name", False),
    ("Amount", "double", "currency", "Amount", False),
    ("Stage", "string", "picklist", "Stage", False),
    ("Pipeline", "string", "picklist", "Pipeline", False),
    ("Closing_Date", "string", "date", "Closing Date", False),
    ("Probability", "integer", "integer", "Probability (%)", False),
    ("Expected_Revenue", "double", "currency", "Expected Revenue", False),
    ("Account_Name", "jsonobject", "lookup", "Account Name", False),
    ("Contact_Name", "jsonobject", "lookup", "Contact Name", False),
    ("Type", "string", "picklist", "Type", False),
    ("Lead_Source", "string", "picklist", "Lead Source", False),
    ("Next_Step", "string", "text", "Next Step", False),
    ("Description", "string", "textarea", "Description", False),
    ("Reason_For_Loss__s", "string", "picklist", "Reason For Loss", False),
    ("Currency", "string", "picklist", "Currency", False),
    ("Exchange_Rate", "double", "double", "Exchange Rate", False),
    ("Tag", "jsonarray", "text", "Tag", False),
    ("Created_By", "jsonobject", "ownerlookup", "Created By", False),
    ("Modified_By", "jsonobject", "ownerlookup", "Modified By", False),
    ("Created_Time", "string", "datetime", "Created Time", False),
    ("Modified_Time", "string", "datetime", "Modified Time", False),
    ("Last_Activity_Time", "string", "datetime", "Last Activity Time", False),
    ("Locked__s", "boolean", "boolean", "Locked", False),
    # the sandbox org's custom fields
    ("Competitor", "string", "text", "Competitor", True),
    ("Renewal", "boolean", "boolean", "Renewal", True),
    ("Seats", "integer", "integer", "Seats", True),
]
READ_ONLY = {"Expected_Revenue", "Created_By", "Modified_By", "Created_Time", "Modified_Time",
             "Last_Activity_Time", "Exchange_Rate", "Locked__s"}
PICKLISTS = {
    "Type": ["-None-", "New Business", "Existing Business"],
    "Lead_Source": ["-None-", "Advertisement", "Cold Call", "Employee Referral", "External Referral", "Partner",
                    "Trade Show", "Web Download", "Web Research", "Chat"],
    "Currency": ["USD", "EUR", "GBP", "INR", "JPY"],
    "Reason_For_Loss__s": ["-None-", "Price", "Competition", "Timing", "No Budget"],
}
FIRST_ID = 5725767000002415001
# Switch `stage_outside_pipeline` (module docstring): "reject" (the default) or "accept".
STAGE_OUTSIDE_PIPELINE = ("reject", "accept")
_PRODUCTS = ["CRM rollout", "Analytics add-on", "Support renewal", "Data migration", "Training package",
             "Cloud hosting", "Security audit", "API bundle", "Mobile licences", "Consulting retainer"]
_COMPETITORS = ["Globex Cloud", "Initrode", "Vehement Capital", None]
_SEED_START = datetime(2023, 3, 6, 11, 0, 0, tzinfo=ORG_TZ)


class Deals(ModuleResource):
    name: ClassVar[str] = "opportunities"
    module: ClassVar[str] = "Deals"
    FIELDS = FIELDS
    READ_ONLY = READ_ONLY
    PICKLISTS = PICKLISTS
    MANDATORY = ("Deal_Name", "Stage", "Closing_Date")
    NAME_FIELD = "Deal_Name"
    LOOKUPS = {"Account_Name": "accounts", "Contact_Name": "contacts"}
    MAX_LENGTHS = {"Deal_Name": 120, "Next_Step": 100}
    FIRST_ID = FIRST_ID

    def field_list(self) -> list[dict[str, Any]]:
        """The layout; Stage and Pipeline list their values as the stages and pipelines resources hold them."""
        fields = super().field_list()
        for field in fields:
            if field["api_name"] == "Stage":
                field["pick_list_values"] = self.emulator.resource("stages").snapshot()
            elif field["api_name"] == "Pipeline":
                field["pick_list_values"] = [{"id": p["id"], "display_value": p["display_value"],
                                              "actual_value": p["actual_value"], "type": "used"}
                                             for p in self.emulator.resource("pipelines").pipelines]
        return fields

    def new_record(self) -> dict[str, Any]:
        default = self.emulator.resource("pipelines").default()
        return {"Currency": "USD", "Exchange_Rate": 1, "Pipeline": default["actual_value"] if default else None}

    def check(self, values: dict[str, Any], index: int, record_id: str | None) -> dict[str, Any] | None:
        """Stage and Pipeline: a known pipeline, and a stage that pipeline holds (the module docstring)."""
        pipelines = self.emulator.resource("pipelines")
        stages = self.emulator.resource("stages")
        current = self.store.records[record_id] if record_id else {}
        if "Pipeline" in values:
            pipeline = pipelines.by_name(values["Pipeline"])
            if pipeline is None:
                return error_object("INVALID_DATA", "invalid data",
                                    {"api_name": "Pipeline", "json_path": f"$.data[{index}].Pipeline"})
        else:
            pipeline = pipelines.by_name(current.get("Pipeline")) or pipelines.default()
        if "Stage" in values or "Pipeline" in values:
            stage = values.get("Stage", current.get("Stage"))
            known = stages.by_value(stage) is not None
            inside = pipeline is not None and any(m["actual_value"] == stage for m in pipeline["maps"])
            if not known or (not inside and self.emulator.switch["stage_outside_pipeline"] == "reject"):
                return error_object("INVALID_DATA", "invalid data",
                                    {"api_name": "Stage", "json_path": f"$.data[{index}].Stage"})
        return None

    def derive(self, record: dict[str, Any]) -> None:
        stage = self.emulator.resource("stages").by_value(record.get("Stage"))
        if stage is not None:
            record["Probability"] = stage["probability"]
        amount, probability = record.get("Amount"), record.get("Probability")
        record["Expected_Revenue"] = (round(amount * probability / 100, 2)
                                      if isinstance(amount, (int, float)) and isinstance(probability, int) else None)

    def seed(self, count: int) -> None:
        self.clear()
        count = min(count, MAX_SEED)   # large seeds are for paging accounts and contacts
        accounts = self.emulator.resource("accounts")
        contacts = self.emulator.resource("contacts")
        pipelines = self.emulator.resource("pipelines").pipelines
        contact_ids = list(contacts.store.active)
        for i in range(count):
            record_id = self.store.new_id()
            pipeline = pipelines[i % 3] if pipelines else None
            maps = pipeline["maps"] if pipeline else []
            stage = maps[(i * 5) % len(maps)]["actual_value"] if maps else None
            contact_id = contact_ids[i % len(contact_ids)] if contact_ids and i % 6 != 5 else None
            contact = contacts.store.records[contact_id] if contact_id else None
            account = contact["Account_Name"] if contact and contact.get("Account_Name") else None
            if account is None and accounts.store.active and i % 4 != 3:
                account_id = accounts.store.active[(i * 3) % len(accounts.store.active)]
                account = {"name": accounts.store.records[account_id]["Account_Name"], "id": account_id}
            owner = USERS[(i + 1) % len(USERS)]
            created = _SEED_START + timedelta(hours=9 * i, minutes=(i * 11) % 60)
            modified = created + timedelta(days=2 + i % 25, minutes=13)
            product = _PRODUCTS[i % len(_PRODUCTS)]
            record: dict[str, Any] = {name: None for name, *_ in FIELDS}
            record.update({
                "id": record_id,
                "Owner": dict(owner),
                "Deal_Name": f"{account['name'] if account else 'Walk-in'} - {product}",
                "Amount": float(1500 + (i * 3571) % 250_000) if i % 7 != 6 else None,
                "Stage": stage,
                "Pipeline": pipeline["actual_value"] if pipeline else None,
                "Closing_Date": (created + timedelta(days=30 + i % 90)).date().isoformat(),
                "Account_Name": dict(account) if account else None,
                "Contact_Name": {"name": contact["Full_Name"], "id": contact_id} if contact else None,
                "Type": PICKLISTS["Type"][1 + i % 2],
                "Lead_Source": PICKLISTS["Lead_Source"][1 + i % 9],
                "Next_Step": "Send the proposal" if i % 3 == 0 else None,
                "Description": f"{product} for {account['name'] if account else 'a walk-in buyer'}." if i % 5 else None,
                "Currency": PICKLISTS["Currency"][i % 3],
                "Exchange_Rate": 1,
                "Tag": [self._tag("Hot")] if i % 4 == 1 else [],
                "Created_By": dict(USERS[i % len(USERS)]),
                "Modified_By": dict(owner),
                "Created_Time": ts(created),
                "Modified_Time": ts(modified),
                "Last_Activity_Time": ts(modified + timedelta(hours=2)) if i % 3 else None,
                "Locked__s": False,
                "Competitor": _COMPETITORS[i % len(_COMPETITORS)],
                "Renewal": i % 4 == 0,
                "Seats": 5 + (i * 7) % 200 if i % 2 == 0 else None,
                **RECORD_FLAGS,
            })
            self.derive(record)
            self.store.add(record_id, record)
