"""Zendesk Sell persons: contacts with `is_organization: false`, kept in the `/v2/contacts` collection that
accounts.py owns (https://developer.zendesk.com/api-reference/sales-crm/resources/contacts/).

This resource adds no routes: `GET/POST /v2/contacts`, `GET/PUT/DELETE /v2/contacts/{id}` and the
`is_organization=false` filter are the collection's. It seeds the persons into that store (after the
organisations, so their ids follow), most working at a seeded organisation (`contact_id`, "the
organisation the person belongs to"), every fifth at none, with emails, phones, titles, owners,
tags and the account's person custom fields (keyed by name, values as strings: same page). Its
records, for the control API, are the persons only.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.routing import Route

from unigate.sandbox.base import Resource
from unigate.sandbox.zendesk_sell.common import USERS, timestamp

if TYPE_CHECKING:
    from unigate.sandbox.zendesk_sell import ZendeskSellEmulator
    from unigate.sandbox.zendesk_sell.accounts import Accounts

_FIRST = ["Ada", "Bruno", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kira"]
_LAST = ["Novak", "Okafor", "Petersen", "Quinn", "Rossi", "Sato", "Thompson", "Ueda", "Varga", "Walsh"]
_TITLES = ["CEO", "Head of Operations", "Buyer", "CTO", "Office Manager", None]
_CITIES = [("12 Pine St", "Portland", "97204", "OR", "United States"),
           ("Hauptstrasse 5", "Munich", "80331", "Bavaria", "Germany"),
           ("8 Queen St", "Auckland", "1010", "Auckland", "New Zealand")]
_CHANNELS = ["Email", "Phone", "SMS"]
_SEED_START = datetime(2022, 4, 4, 9, 0, 0, tzinfo=timezone.utc)


class Contacts(Resource):
    """The persons of the shared `/v2/contacts` store."""

    name: ClassVar[str] = "contacts"
    emulator: ZendeskSellEmulator

    @property
    def store(self) -> Accounts:
        return self.emulator.resource("accounts")  # type: ignore[return-value]

    def routes(self) -> list[Route]:
        return []   # the collection's routes (accounts.py) serve persons too

    def snapshot(self) -> list[dict[str, Any]]:
        """The persons Sell stores, in creation order."""
        records = self.store.records
        return [records[str(i)] for i in self.store.person_ids]

    def seed(self, count: int) -> None:
        store = self.store
        organizations = list(store.organization_ids)
        for i in range(count):
            first, last = _FIRST[i % len(_FIRST)], _LAST[(i * 3) % len(_LAST)]
            org_id = organizations[i % len(organizations)] if organizations and i % 5 != 4 else None
            org = store.records[str(org_id)] if org_id else None
            domain = org["website"].split("www.", 1)[-1] if org and org.get("website") else "mail.example"
            line1, city, postal, state, country = _CITIES[i % len(_CITIES)]
            created = _SEED_START + timedelta(hours=3 * i, minutes=(i * 11) % 60)
            handle = f"{first.lower()}{last.lower()}{i}"
            store.store_contact({
                "id": next(self.emulator.ids),
                "creator_id": USERS[i % len(USERS)]["id"],
                "owner_id": USERS[(i + 2) % len(USERS)]["id"],
                "is_organization": False,
                "contact_id": org_id,
                "parent_organization_id": None,
                "name": None,
                "first_name": first if i % 7 != 6 else None,
                "last_name": last,
                "customer_status": ["current", "none", "past"][i % 3],
                "prospect_status": ["none", "current"][i % 2],
                "title": _TITLES[i % len(_TITLES)],
                "description": f"{first} {last}, met at the {2021 + i % 3} trade fair." if i % 2 else None,
                "industry": None,
                "website": f"https://{handle}.example" if i % 6 == 0 else None,
                "email": f"{first.lower()}.{last.lower()}{i}@{domain}",
                "phone": f"+1 415 555 {5000 + i % 5000:04d}",
                "mobile": f"+1 628 555 {6000 + (i * 7) % 4000:04d}" if i % 2 == 0 else None,
                "fax": None,
                "twitter": handle if i % 4 == 0 else None,
                "facebook": None,
                "linkedin": handle if i % 3 == 0 else None,
                "skype": handle if i % 5 == 0 else None,
                "address": {"line1": line1, "city": city, "postal_code": postal, "state": state,
                            "country": country} if i % 4 != 3 else
                           {"line1": None, "city": None, "postal_code": None, "state": None, "country": None},
                "billing_address": None,
                "shipping_address": None,
                "tags": [["decision-maker"], [], ["champion", "newsletter"]][i % 3],
                "custom_fields": {"Preferred Channel": _CHANNELS[i % 3], "Birthday": f"{1 + i % 12}/{1 + i % 28}/198{i % 10}"}
                if i % 4 != 2 else {},
                "created_at": timestamp(created),
                "updated_at": timestamp(created + timedelta(days=1 + i % 25, minutes=5)),
            })
