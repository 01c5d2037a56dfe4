"""monday CRM deals: items of the CRM "Deals" board (https://support.monday.com/hc/en-us/articles/23048348706450),
linked to accounts and contacts through board-relation ("Connect boards") columns
(https://developer.monday.com/api-reference/docs/connect).

monday has no pipeline or stage object: a deal's stage is the label of the board's "Stage" status column
(https://developer.monday.com/api-reference/docs/status), written as `{"index": n}` or `{"label": "..."}`;
a label the column lacks is refused (ColumnValueException) unless `create_labels_if_missing` is sent. The
stage list is the column's labels (`settings_str`), so any label is a stage of the one pipeline the board is.
Columns follow the CRM template as far as it is known (its default columns are not documented in the API
reference, so ids are the sandbox's own; the gateway finds them by title): Stage (status), Deal value
(numbers), Currency (status: the template's numbers column carries one currency symbol for the whole board,
so a deal's own currency is a column of the account's own), Expected close date (date), Close probability
(numbers), Owner (people), Contacts and Accounts (board_relation).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson

from unigate.sandbox.monday.boards import BoardResource
from unigate.sandbox.monday.common import (
    ACCOUNTS_BOARD_ID, CONTACTS_BOARD_ID, DEALS_BOARD_ID, SEED_EPOCH, USERS, iso,
)

# The Stage labels by index, in pipeline order, the closed ones (won, lost) last. A status column holds up
# to 40 labels (https://support.monday.com/hc/en-us/articles/360001331089); this board's sales process uses 16.
STAGES = ("New", "Qualification", "Discovery", "Needs analysis", "Demo", "Solution design", "Technical review",
          "Business case", "Proposal", "Security review", "Legal review", "Negotiation", "Verbal commit",
          "Contract sent", "Won", "Lost")
CURRENCIES = ("USD", "EUR", "GBP")
_NAMES = ["Annual plan", "Expansion", "Pilot", "Enterprise seats", "Renewal", "Onboarding package"]


def _labels(names: tuple[str, ...]) -> str:
    return orjson.dumps({"labels": {str(i): n for i, n in enumerate(names)}}).decode()


def _columns_deals() -> list[dict[str, Any]]:
    return [
        {"id": "name", "title": "Name", "type": "name", "settings_str": "{}"},
        {"id": "deal_stage", "title": "Stage", "type": "status", "settings_str": _labels(STAGES)},
        {"id": "deal_value", "title": "Deal value", "type": "numbers", "settings_str": "{}"},
        {"id": "deal_currency", "title": "Currency", "type": "status", "settings_str": _labels(CURRENCIES)},
        {"id": "deal_expected_close_date", "title": "Expected close date", "type": "date", "settings_str": "{}"},
        {"id": "deal_close_probability", "title": "Close probability", "type": "numbers", "settings_str": "{}"},
        {"id": "deal_owner", "title": "Owner", "type": "people", "settings_str": "{}"},
        {"id": "deal_contact", "title": "Contacts", "type": "board_relation",
         "settings_str": orjson.dumps({"boardIds": [int(CONTACTS_BOARD_ID)]}).decode()},
        {"id": "deal_account", "title": "Accounts", "type": "board_relation",
         "settings_str": orjson.dumps({"boardIds": [int(ACCOUNTS_BOARD_ID)]}).decode()},
        {"id": "text_mkx3src", "title": "Lead source", "type": "text", "settings_str": "{}"},
    ]


class Deals(BoardResource):
    name = "opportunities"
    board_id = DEALS_BOARD_ID
    board_name = "Deals"
    description = "monday CRM deals"
    groups = ({"id": "topics", "title": "Active deals", "color": "#579bfc"},
              {"id": "group_mkx3closed", "title": "Closed deals", "color": "#c4c4c4"})

    def columns(self) -> list[dict[str, Any]]:
        return _columns_deals()

    def seed_items(self, deals: dict[str, Any], count: int) -> None:
        """Deals on seeded accounts (round robin), each with a contact of that account when one is linked
        to it, in every stage in turn, with values in three currencies."""
        account_ids = list(self.emulator.resource("accounts").board()["item_ids"])
        contact_of: dict[str, str] = {}
        for contact_id in self.emulator.resource("contacts").board()["item_ids"]:
            link = self.emulator.items.records[contact_id]["column_values"].get("contact_account")
            if link:
                contact_of.setdefault(str(link["linkedPulseIds"][0]["linkedPulseId"]), contact_id)
        for k in range(count):
            item_id = self.emulator.new_item_id()
            created = SEED_EPOCH + timedelta(hours=9 * k + 4)
            changed = iso(created + timedelta(hours=6))
            account = account_ids[k % len(account_ids)] if account_ids else None
            contact = contact_of.get(account) if account else None
            stage = k % len(STAGES)
            value = 2_500 + (k * 6_133) % 180_000
            values: dict[str, Any] = {
                "deal_stage": {"index": stage, "post_id": None, "changed_at": changed},
                "deal_value": str(value) if k % 4 else f"{value}.50",
                "deal_currency": {"index": k % len(CURRENCIES), "post_id": None, "changed_at": changed},
                "deal_expected_close_date": {"date": (created + timedelta(days=30 + k % 60)).strftime("%Y-%m-%d"),
                                             "icon": None, "changed_at": changed},
                "deal_close_probability": str((stage * 20) % 100),
                "deal_owner": {"personsAndTeams": [{"id": int(USERS[k % len(USERS)][0]), "kind": "person"}],
                               "changed_at": changed},
                "deal_contact": {"linkedPulseIds": [{"linkedPulseId": int(contact)}]} if contact else None,
                "deal_account": {"linkedPulseIds": [{"linkedPulseId": int(account)}]} if account else None,
            }
            if k % 3 == 0:
                values["text_mkx3src"] = "Referral"
            self.add_item(deals, {
                "id": item_id, "name": f"{_NAMES[k % len(_NAMES)]} {k + 1}", "board_id": DEALS_BOARD_ID,
                "group_id": "group_mkx3closed" if STAGES[stage] in ("Won", "Lost") else "topics",
                "state": "active", "created_at": iso(created), "updated_at": changed,
                "creator_id": USERS[0][0], "column_values": values,
            })
