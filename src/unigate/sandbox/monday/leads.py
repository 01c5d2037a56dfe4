"""monday CRM leads: items of the CRM "Leads" board, the people and companies a team has not qualified yet
(https://support.monday.com/hc/en-us/articles/23048348706450). A lead is converted into a contact (and a
deal) from monday's UI or an automation; the API has no conversion mutation, so a lead stays an item of its
board. `items(ids:)` reaches it like any item.

Columns follow the CRM template as far as it is known (the template's default columns and labels are not in
the API reference, so ids are the sandbox's own; the gateway discovers them by title): Status (status: New lead,
Attempted to contact, Contacted, Qualified, Unqualified), Email (email), Phone (phone), Company (text), Title
(text), Owner (people), Lead source (text), and two columns of the account's own: Region (text) and Lead score
(numbers).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson

from unigate.sandbox.monday.boards import BoardResource
from unigate.sandbox.monday.common import LEADS_BOARD_ID, SEED_EPOCH, USERS, iso

LEAD_STATUSES = ("New lead", "Attempted to contact", "Contacted", "Qualified", "Unqualified")
_FIRST = ["Grace", "Hiro", "Amara", "Felix", "Sofia", "Tobias", "Leila", "Marco"]
_LAST = ["Hopper", "Sato", "Diallo", "Wagner", "Costa", "Lund", "Rahimi", "Bianchi", "Kerr"]
_COMPANIES = ["Northwind", "Globex", "Initech", "Umbrella Labs", "Stark Supply", "Wayne Freight"]
_SOURCES = ["Website form", "Webinar", "Cold call", "Referral"]
_REGIONS = ["EMEA", "NA", "APAC"]


def _columns_leads() -> list[dict[str, Any]]:
    return [
        {"id": "name", "title": "Name", "type": "name", "settings_str": "{}"},
        {"id": "lead_status", "title": "Status", "type": "status",
         "settings_str": orjson.dumps({"labels": {str(i): n for i, n in enumerate(LEAD_STATUSES)}}).decode()},
        {"id": "lead_email", "title": "Email", "type": "email", "settings_str": "{}"},
        {"id": "lead_phone", "title": "Phone", "type": "phone", "settings_str": "{}"},
        {"id": "lead_company", "title": "Company", "type": "text", "settings_str": "{}"},
        {"id": "lead_title", "title": "Title", "type": "text", "settings_str": "{}"},
        {"id": "lead_owner", "title": "Owner", "type": "people", "settings_str": "{}"},
        {"id": "text_mkx4src", "title": "Lead source", "type": "text", "settings_str": "{}"},
        {"id": "text_mkx4reg", "title": "Region", "type": "text", "settings_str": "{}"},
        {"id": "numeric_mkx4scr", "title": "Lead score", "type": "numbers", "settings_str": "{}",
         "description": "How likely the lead is to buy (0-100)"},
    ]


class Leads(BoardResource):
    name = "leads"
    default_seed_count = 24
    board_id = LEADS_BOARD_ID
    board_name = "Leads"
    description = "monday CRM leads"
    groups = ({"id": "topics", "title": "New leads", "color": "#579bfc"},
              {"id": "group_mkx4qual", "title": "Qualified", "color": "#00c875"})

    def columns(self) -> list[dict[str, Any]]:
        return _columns_leads()

    def seed_items(self, leads: dict[str, Any], count: int) -> None:
        """People at prospect companies, in every status in turn, each with an e-mail, a phone, an owner and a
        source; every other one with a region, every third a score."""
        for j in range(count):
            item_id = self.emulator.new_item_id()
            created = SEED_EPOCH + timedelta(hours=11 * j + 5)
            changed = iso(created + timedelta(hours=2 + j % 5))
            first, last = _FIRST[j % len(_FIRST)], _LAST[j % len(_LAST)]
            email = f"{first.lower()}.{last.lower()}{j}@leads.example"
            status = j % len(LEAD_STATUSES)
            values: dict[str, Any] = {
                "lead_status": {"index": status, "post_id": None, "changed_at": changed},
                "lead_email": {"email": email, "text": email, "changed_at": changed},
                "lead_phone": {"phone": f"1{2025551300 + j:010d}"[:11], "countryShortName": "US", "changed_at": changed},
                "lead_company": _COMPANIES[j % len(_COMPANIES)],
                "lead_title": ["Founder", "Ops manager", "Buyer", "IT lead"][j % 4],
                "lead_owner": {"personsAndTeams": [{"id": int(USERS[j % len(USERS)][0]), "kind": "person"}],
                               "changed_at": changed},
                "text_mkx4src": _SOURCES[j % len(_SOURCES)],
            }
            if j % 2 == 0:
                values["text_mkx4reg"] = _REGIONS[(j // 2) % len(_REGIONS)]
            if j % 3 == 0:
                values["numeric_mkx4scr"] = str(10 + (j * 7) % 90)
            self.add_item(leads, {
                "id": item_id, "name": f"{first} {last}", "board_id": LEADS_BOARD_ID,
                "group_id": "group_mkx4qual" if LEAD_STATUSES[status] == "Qualified" else "topics",
                "state": "active", "created_at": iso(created), "updated_at": changed,
                "creator_id": USERS[0][0], "column_values": values,
            })
