"""monday CRM contacts: items of the CRM "Contacts" board, linked to accounts through a board-relation
("Connect boards") column (https://support.monday.com/hc/en-us/articles/23048348706450). They are
never accounts; `items(ids:)` reaches them like any item.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson

from unigate.sandbox.monday.boards import BoardResource
from unigate.sandbox.monday.common import ACCOUNTS_BOARD_ID, CONTACTS_BOARD_ID, SEED_EPOCH, USERS, iso

_FIRST = ["Ava", "Noah", "Mia", "Liam", "Zoe", "Ethan", "Ivy", "Owen", "Nora", "Leo"]
_LAST = ["Carter", "Nguyen", "Schmidt", "Rossi", "Kowalski", "Haddad", "Silva", "Moreau", "Okafor", "Berg"]


def _columns_contacts() -> list[dict[str, Any]]:
    return [
        {"id": "name", "title": "Name", "type": "name", "settings_str": "{}"},
        {"id": "contact_title", "title": "Title", "type": "text", "settings_str": "{}"},
        {"id": "contact_phone", "title": "Phone", "type": "phone", "settings_str": "{}"},
        {"id": "contact_account", "title": "Accounts", "type": "board_relation",
         "settings_str": orjson.dumps({"boardIds": [int(ACCOUNTS_BOARD_ID)]}).decode()},
    ]



class Contacts(BoardResource):
    name = "contacts"
    # One person for every five seeded accounts by default.
    default_seed_count = 12
    board_id = CONTACTS_BOARD_ID
    board_name = "Contacts"
    description = "monday CRM contacts"
    groups = ({"id": "topics", "title": "Contacts", "color": "#579bfc"},)

    def columns(self) -> list[dict[str, Any]]:
        return _columns_contacts()

    def seed_items(self, contacts: dict[str, Any], count: int) -> None:
        account_ids = list(self.emulator.resource("accounts").board()["item_ids"])
        for j in range(count):
            item_id = self.emulator.new_item_id()
            created = SEED_EPOCH + timedelta(hours=7 * j + 2)
            linked = account_ids[j % len(account_ids)] if account_ids else None
            self.add_item(contacts, {
                "id": item_id, "name": f"{_FIRST[j % 10]} {_LAST[(j // 10) % 10]}", "board_id": CONTACTS_BOARD_ID,
                "group_id": "topics", "state": "active", "created_at": iso(created),
                "updated_at": iso(created + timedelta(hours=3)), "creator_id": USERS[0][0],
                "column_values": {
                    "contact_title": ["CEO", "CTO", "Head of Sales", "Buyer"][j % 4],
                    "contact_phone": {"phone": f"1{2025550900 + j:010d}"[:11], "countryShortName": "US"},
                    "contact_account": ({"linkedPulseIds": [{"linkedPulseId": int(linked)}]} if linked else None),
                },
            })
