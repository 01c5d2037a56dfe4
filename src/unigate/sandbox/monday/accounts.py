"""monday CRM accounts: items of the CRM "Accounts" board; the item's name is the company name and
every other attribute is a column value (https://support.monday.com/hc/en-us/articles/23048348706450;
column formats: https://developer.monday.com/api-reference/docs/change-column-values).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import orjson

from unigate.sandbox.monday.boards import BoardResource
from unigate.sandbox.monday.common import (
    ACCOUNTS_BOARD_ID, CONTACTS_BOARD_ID, SEED_EPOCH, TAGS, USERS, iso,
)

_ORG_PREFIX = ["Acme", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay",
               "Soylent", "Tyrell", "Cyberdyne", "Wonka", "Gringotts", "Oscorp", "Massive", "Blue Ridge",
               "Silverline", "Redwood", "Harbor", "Summit", "Pioneer", "Evergreen", "Keystone", "Lakeside",
               "Ironclad", "Brightwater", "Cobalt", "Granite", "Maple"]
_ORG_SUFFIX = ["Labs", "Industries", "Logistics", "Analytics", "Systems", "Foods", "Health", "Energy",
               "Robotics", "Partners", "Capital", "Media", "Works", "Networks", "Outfitters", "Bio"]
_ORG_FORM = ["Inc.", "LLC", "Ltd", "GmbH", "Co.", "Group", "PLC", "S.A."]
_INDUSTRIES = ["Software", "Manufacturing", "Healthcare", "Financial Services", "Retail", "Logistics",
               "Energy", "Media", "Education", "Biotechnology"]
_CITIES = [
    ("350 5th Ave", "New York", "NY", "10118", "United States", "US", "40.7484", "-73.9857"),
    ("1 Market St", "San Francisco", "CA", "94105", "United States", "US", "37.7941", "-122.3951"),
    ("100 Congress Ave", "Austin", "TX", "78701", "United States", "US", "30.2634", "-97.7446"),
    ("200 Clarendon St", "Boston", "MA", "02116", "United States", "US", "42.3493", "-71.0745"),
    ("10 Downing St", "London", "England", "SW1A 2AA", "United Kingdom", "GB", "51.5034", "-0.1276"),
    ("Unter den Linden 77", "Berlin", "Berlin", "10117", "Germany", "DE", "52.5163", "13.3777"),
    ("1 Rue de Rivoli", "Paris", "Île-de-France", "75001", "France", "FR", "48.8606", "2.3376"),
    ("88 Queen St", "Toronto", "ON", "M5H 2N2", "Canada", "CA", "43.6520", "-79.3813"),
]
_COUNTRY_DIAL = {"US": "1", "GB": "44", "DE": "49", "FR": "33", "CA": "1"}
_TIERS = ["Gold", "Silver", "Bronze"]
_SOURCES = ["Webinar", "Referral", "Trade show", "Outbound", "Website"]


def _columns_accounts() -> list[dict[str, Any]]:
    industry_labels = {str(i): label for i, label in enumerate(_INDUSTRIES)}
    return [
        {"id": "name", "title": "Name", "type": "name", "settings_str": "{}"},
        {"id": "company_domain", "title": "Domain", "type": "link", "settings_str": "{}"},
        {"id": "industry", "title": "Industry", "type": "status",
         "settings_str": orjson.dumps({"labels": industry_labels}).decode()},
        {"id": "company_employees", "title": "Employees", "type": "numbers", "settings_str": "{}"},
        {"id": "company_phone", "title": "Phone", "type": "phone", "settings_str": "{}"},
        {"id": "location", "title": "Address", "type": "location", "settings_str": "{}"},
        {"id": "account_owner", "title": "Account owner", "type": "people", "settings_str": "{}"},
        {"id": "tags", "title": "Tags", "type": "tags", "settings_str": "{}"},
        {"id": "company_description", "title": "Description", "type": "long_text", "settings_str": "{}"},
        {"id": "account_contact", "title": "Contacts", "type": "board_relation",
         "settings_str": orjson.dumps({"boardIds": [int(CONTACTS_BOARD_ID)]}).decode()},
        {"id": "numeric_mkx1rev", "title": "Annual revenue", "type": "numbers", "settings_str": "{}"},
        {"id": "date_mkx1ren", "title": "Renewal date", "type": "date", "settings_str": "{}"},
        {"id": "dropdown_mkx1tier", "title": "Tier", "type": "dropdown",
         "settings_str": orjson.dumps({"labels": [{"id": i + 1, "name": n} for i, n in enumerate(_TIERS)]}).decode()},
        {"id": "text_mkx1src", "title": "Lead source", "type": "text", "settings_str": "{}"},
    ]



class Accounts(BoardResource):
    name = "accounts"
    board_id = ACCOUNTS_BOARD_ID
    board_name = "Accounts"
    description = "monday CRM accounts"
    groups = ({"id": "topics", "title": "Active accounts", "color": "#037f4c"},
              {"id": "group_mkx1old", "title": "Former customers", "color": "#c4c4c4"})

    def columns(self) -> list[dict[str, Any]]:
        return _columns_accounts()

    def seed_items(self, accounts: dict[str, Any], count: int) -> None:
        for i in range(count):
            item_id = self.emulator.new_item_id()
            name = (f"{_ORG_PREFIX[i % len(_ORG_PREFIX)]} {_ORG_SUFFIX[(i // 3) % len(_ORG_SUFFIX)]} "
                    f"{_ORG_FORM[(i // 7) % len(_ORG_FORM)]}")
            if i >= len(_ORG_PREFIX) * len(_ORG_SUFFIX):
                name += f" #{i}"
            slug = re.sub(r"[^a-z0-9]+", "", name.lower().split(" #")[0])[:24] + (str(i) if i >= 100 else "")
            street, city, state, postal, country, cc, lat, lng = _CITIES[i % len(_CITIES)]
            created = SEED_EPOCH + timedelta(hours=5 * i, minutes=i % 60)
            updated = created + timedelta(days=1 + i % 40, minutes=17)
            changed = iso(updated)
            dial = _COUNTRY_DIAL[cc]
            phone = f"{dial}{2025550100 + i:010d}"[: len(dial) + 10]
            tag_ids = [int(TAGS[i % len(TAGS)][0])] + ([int(TAGS[(i + 3) % len(TAGS)][0])] if i % 2 else [])
            values: dict[str, Any] = {
                "company_domain": {"url": f"https://www.{slug}.example", "text": f"{slug}.example", "changed_at": changed},
                "industry": {"index": i % len(_INDUSTRIES), "post_id": None, "changed_at": changed},
                "company_employees": str(10 + (i * 37) % 4990),
                "company_phone": {"phone": phone, "countryShortName": cc, "changed_at": changed},
                "location": {"lat": lat, "lng": lng, "address": f"{street}, {city}, {state} {postal}, {country}",
                             "placeId": f"ChIJsandbox{i:06d}", "city": {"long_name": city, "short_name": city},
                             "country": {"long_name": country, "short_name": cc},
                             "street": {"long_name": street.split(" ", 1)[1], "short_name": street.split(" ", 1)[1]},
                             "streetNumber": {"long_name": street.split(" ", 1)[0],
                                              "short_name": street.split(" ", 1)[0]},
                             "changed_at": changed},
                "account_owner": {"personsAndTeams": [{"id": int(USERS[i % len(USERS)][0]), "kind": "person"}],
                                  "changed_at": changed},
                "tags": {"tag_ids": tag_ids},
                "company_description": {"text": f"{name} is a {_INDUSTRIES[i % len(_INDUSTRIES)].lower()} company "
                                                f"headquartered in {city}.", "changed_at": changed},
                "account_contact": None,
                "numeric_mkx1rev": str(250000 + i * 12500),
                "date_mkx1ren": {"date": (created + timedelta(days=365)).strftime("%Y-%m-%d"), "icon": None,
                                 "changed_at": changed},
                "dropdown_mkx1tier": {"ids": [1 + i % len(_TIERS)], "changed_at": changed},
                "text_mkx1src": _SOURCES[i % len(_SOURCES)],
            }
            self.add_item(accounts, {
                "id": item_id, "name": name, "board_id": ACCOUNTS_BOARD_ID,
                "group_id": "topics" if i % 9 else "group_mkx1old", "state": "active",
                "created_at": iso(created), "updated_at": iso(updated),
                "creator_id": USERS[(i + 1) % len(USERS)][0], "column_values": values,
            })
