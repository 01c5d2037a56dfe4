"""monday CRM contacts: items of the CRM "Contacts" board, linked to accounts through a board-relation
("Connect boards") column (https://support.monday.com/hc/en-us/articles/23048348706450). They are
never accounts; `items(ids:)` reaches them like any item.

Columns follow the CRM template as far as it is known (its default columns are not documented in the
API reference, so titles and ids are the sandbox's own; the gateway discovers them by title): Email
(email, https://developer.monday.com/api-reference/docs/email), Phone (phone,
https://developer.monday.com/api-reference/docs/phone), Title (text), Accounts (board_relation to the
Accounts board, https://developer.monday.com/api-reference/docs/connect), Owner (people), Type
(status), and columns of the account's own: Lead source (text) and Birthday (date), seeded on some
contacts, and Lead score (numbers), Region (text), LinkedIn (link), Background (long text), Languages
(dropdown) and Next follow-up (date), left empty.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson

from unigate.sandbox.monday.boards import BoardResource
from unigate.sandbox.monday.common import ACCOUNTS_BOARD_ID, CONTACTS_BOARD_ID, SEED_EPOCH, USERS, iso

_FIRST = ["Ava", "Noah", "Mia", "Liam", "Zoe", "Ethan", "Ivy", "Owen", "Nora", "Leo"]
_LAST = ["Carter", "Nguyen", "Schmidt", "Rossi", "Kowalski", "Haddad", "Silva", "Moreau", "Okafor", "Berg"]
_TITLES = ["CEO", "CTO", "Head of Sales", "Buyer"]
_TYPES = ["Lead", "Customer", "Partner"]
_SOURCES = ["Webinar", "Referral", "Trade show"]


def _columns_contacts() -> list[dict[str, Any]]:
    return [
        {"id": "name", "title": "Name", "type": "name", "settings_str": "{}"},
        {"id": "contact_email", "title": "Email", "type": "email", "settings_str": "{}"},
        {"id": "contact_phone", "title": "Phone", "type": "phone", "settings_str": "{}"},
        {"id": "contact_title", "title": "Title", "type": "text", "settings_str": "{}"},
        {"id": "contact_account", "title": "Accounts", "type": "board_relation",
         "settings_str": orjson.dumps({"boardIds": [int(ACCOUNTS_BOARD_ID)]}).decode()},
        {"id": "contact_owner", "title": "Owner", "type": "people", "settings_str": "{}"},
        {"id": "status", "title": "Type", "type": "status",
         "settings_str": orjson.dumps({"labels": {str(i): n for i, n in enumerate(_TYPES)}}).decode()},
        {"id": "text_mkx2src", "title": "Lead source", "type": "text", "settings_str": "{}"},
        {"id": "date_mkx2bday", "title": "Birthday", "type": "date", "settings_str": "{}"},
        # more of the account's own columns, left empty by the seed: the board's column list spans pages
        {"id": "numeric_mkx2scr", "title": "Lead score", "type": "numbers", "settings_str": "{}",
         "description": "How likely the contact is to buy (0-100)"},
        {"id": "text_mkx2reg", "title": "Region", "type": "text", "settings_str": "{}"},
        {"id": "link_mkx2li", "title": "LinkedIn", "type": "link", "settings_str": "{}"},
        {"id": "long_text_mkx2bio", "title": "Background", "type": "long_text", "settings_str": "{}"},
        {"id": "dropdown_mkx2lang", "title": "Languages", "type": "dropdown",
         "settings_str": orjson.dumps({"labels": [{"id": i + 1, "name": n} for i, n in
                                                  enumerate(["English", "German", "Spanish", "Japanese"])]}).decode()},
        {"id": "date_mkx2next", "title": "Next follow-up", "type": "date", "settings_str": "{}"},
    ]


class Contacts(BoardResource):
    name = "contacts"
    # One person for every two seeded accounts by default: enough for several pages.
    default_seed_count = 30
    board_id = CONTACTS_BOARD_ID
    board_name = "Contacts"
    description = "monday CRM contacts"
    groups = ({"id": "topics", "title": "Contacts", "color": "#579bfc"},)

    def columns(self) -> list[dict[str, Any]]:
        return _columns_contacts()

    def seed_items(self, contacts: dict[str, Any], count: int) -> None:
        """Deterministic people: most linked to one account (every seventh to none), with an email,
        phone, title, owner and type; every other one with a lead source, every third a birthday."""
        account_ids = list(self.emulator.resource("accounts").board()["item_ids"])
        for j in range(count):
            item_id = self.emulator.new_item_id()
            created = SEED_EPOCH + timedelta(hours=7 * j + 2)
            changed = iso(created + timedelta(hours=3))
            linked = account_ids[j % len(account_ids)] if account_ids and j % 7 != 6 else None
            first, last = _FIRST[j % 10], _LAST[(j // 10) % 10]
            email = f"{first.lower()}.{last.lower()}{j if j >= 100 else ''}@contacts.example"
            values: dict[str, Any] = {
                "contact_email": {"email": email, "text": email, "changed_at": changed},
                "contact_phone": {"phone": f"1{2025550900 + j:010d}"[:11], "countryShortName": "US",
                                  "changed_at": changed},
                "contact_title": _TITLES[j % 4],
                "contact_account": ({"linkedPulseIds": [{"linkedPulseId": int(linked)}]} if linked else None),
                "contact_owner": {"personsAndTeams": [{"id": int(USERS[j % len(USERS)][0]), "kind": "person"}],
                                  "changed_at": changed},
                "status": {"index": j % len(_TYPES), "post_id": None, "changed_at": changed},
            }
            if j % 2 == 0:
                values["text_mkx2src"] = _SOURCES[(j // 2) % len(_SOURCES)]
            if j % 3 == 0:
                values["date_mkx2bday"] = {"date": f"{1970 + j % 30}-{1 + j % 12:02d}-{1 + j % 28:02d}",
                                           "icon": None, "changed_at": changed}
            self.add_item(contacts, {
                "id": item_id, "name": f"{first} {last}", "board_id": CONTACTS_BOARD_ID,
                "group_id": "topics", "state": "active", "created_at": iso(created),
                "updated_at": changed, "creator_id": USERS[0][0], "column_values": values,
            })
