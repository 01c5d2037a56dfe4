"""Outreach accounts: the JSON:API v2 `account` resource (https://api.outreach.io/api/v2/accounts).

Attributes and relationships from the official OpenAPI account schema
(https://api.outreach.io/api/v2/schema/openapi.json); `name` is required ("Name can't be blank.").
Paging, filters, status codes and error bodies are every type's (jsonapi.py). Deletion is permanent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from unigate.sandbox.outreach.common import SANDBOX_USER_IDS, SEED_EPOCH, iso, validation_error
from unigate.sandbox.outreach.jsonapi import BOOL, INT, STRING, STRINGS, JsonApiResource

# Read-only attributes: sent values are ignored, as JSON:API servers do for server-managed members.
READ_ONLY_ATTRIBUTES = ("createdAt", "updatedAt", "touchedAt", "naturalName")
CUSTOM_FIELD_COUNT = 150  # custom1..custom150 (OpenAPI account schema)
CUSTOM_KEYS = tuple(f"custom{i}" for i in range(1, CUSTOM_FIELD_COUNT + 1))
# Attribute -> accepted JSON types (None always allowed). From the OpenAPI account schema,
# https://api.outreach.io/api/v2/schema/openapi.json.
ATTRIBUTE_TYPES: dict[str, tuple[type, ...]] = {
    "name": STRING,
    "naturalName": STRING,
    "domain": STRING,
    "websiteUrl": STRING,
    "linkedInUrl": STRING,
    "linkedInEmployees": INT,
    "followers": INT,
    "industry": STRING,
    "numberOfEmployees": INT,
    "description": STRING,
    "locality": STRING,
    "foundedAt": STRING,
    "companyType": STRING,
    "annualRevenueRange": STRING,
    "naicsCodes": STRING,
    "sicCodes": STRING,
    "tickerSymbol": STRING,
    "buyerIntentScore": (int, float),
    "tags": STRINGS,
    "customId": STRING,
    "externalSource": STRING,
    "named": BOOL,
    "sharingTeamId": STRING,
    "createdAt": STRING,
    "updatedAt": STRING,
    "touchedAt": STRING,
    **{key: STRING for key in CUSTOM_KEYS},
}
# Relationships that can be written (to-one); to-many ones are read-only links.
TO_ONE_RELATIONSHIPS = {"owner": "user", "creator": "user", "updater": "user"}
TO_MANY_RELATIONSHIPS = ("prospects", "tasks", "opportunities")


_COMPANIES = [
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell", "Cyberdyne",
    "Soylent", "Wonka", "Gringotts", "Oscorp", "Aperture", "Black Mesa", "Massive Dynamic", "Pied Piper",
    "Dunder Mifflin", "Sterling Cooper", "Prestige Worldwide", "Monarch", "Nakatomi", "Virtucon", "Zorg",
]
_SUFFIXES = ["Inc", "Labs", "Group", "Systems", "Holdings", "Partners", "Analytics", "Logistics"]
_INDUSTRIES = ["Software", "Manufacturing", "Financial Services", "Healthcare", "Retail", "Logistics",
               "Energy", "Media", "Education", "Telecommunications"]
_LOCALITIES = ["San Francisco, CA", "New York, NY", "Austin, TX", "Seattle, WA", "London, UK", "Berlin, DE",
               "Toronto, ON", "Sydney, AU", "Boston, MA", "Chicago, IL"]
_COMPANY_TYPES = ["Public Company", "Privately Held", "Partnership", "Nonprofit"]
_REVENUE = ["$1M-$10M", "$10M-$50M", "$50M-$100M", "$100M-$500M", "$500M+"]
_TAGS = ["enterprise", "smb", "vip", "partner", "churn-risk", "expansion", "q3-target"]


class Accounts(JsonApiResource):
    """Outreach accounts: the seed and what differs from other types (name required, naturalName
    derived); routes, listing and writes come from `JsonApiResource`."""

    name = "accounts"
    type_name = "account"
    path = "accounts"
    attribute_types = ATTRIBUTE_TYPES
    read_only_attributes = READ_ONLY_ATTRIBUTES
    to_one = TO_ONE_RELATIONSHIPS
    writable_to_one = frozenset(TO_ONE_RELATIONSHIPS)
    to_many = TO_MANY_RELATIONSHIPS
    related_filter = "account"

    def seed(self, count: int) -> None:
        self.new_store()
        blank_custom = dict.fromkeys(CUSTOM_KEYS)
        for i in range(count):
            company = f"{_COMPANIES[i % len(_COMPANIES)]} {_SUFFIXES[(i // len(_COMPANIES)) % len(_SUFFIXES)]}"
            if i >= len(_COMPANIES) * len(_SUFFIXES):
                company = f"{company} {i // (len(_COMPANIES) * len(_SUFFIXES)) + 1}"
            slug = company.lower().replace(" ", "")
            created = SEED_EPOCH + timedelta(hours=7 * i)
            updated = created + timedelta(days=3, minutes=i % 60)
            touched = updated + timedelta(hours=5)
            attributes = dict(blank_custom)
            attributes.update({
                "name": company,
                "naturalName": company.rsplit(" ", 1)[0],
                "domain": f"{slug}.com",
                "websiteUrl": f"https://www.{slug}.com",
                "linkedInUrl": f"https://www.linkedin.com/company/{slug}",
                "linkedInEmployees": 40 + (i * 37) % 5000,
                "followers": 100 + (i * 211) % 90000,
                "industry": _INDUSTRIES[i % len(_INDUSTRIES)],
                "numberOfEmployees": 50 + (i * 53) % 9950,
                "description": f"{company} builds {_INDUSTRIES[i % len(_INDUSTRIES)].lower()} products.",
                "locality": _LOCALITIES[i % len(_LOCALITIES)],
                "foundedAt": f"{1950 + i % 70}-01-01T00:00:00.000Z",
                "companyType": _COMPANY_TYPES[i % len(_COMPANY_TYPES)],
                "annualRevenueRange": _REVENUE[i % len(_REVENUE)],
                "naicsCodes": str(511210 + i % 50),
                "sicCodes": str(7372 + i % 20),
                "tickerSymbol": slug[:4].upper(),
                "buyerIntentScore": round((i * 7 % 100) / 100, 2),
                "tags": [_TAGS[i % len(_TAGS)], _TAGS[(i + 3) % len(_TAGS)]],
                "customId": f"CRM-{10000 + i}",
                "externalSource": "salesforce",
                "named": i % 3 == 0,
                "sharingTeamId": f"team-{i % 4 + 1}",
                "custom1": f"Tier {i % 3 + 1}",
                "custom2": _LOCALITIES[(i + 1) % len(_LOCALITIES)].split(",")[0],
                "custom3": f"+1-555-{1000 + i % 9000:04d}",
                # slots typed by /types (types.py): a number and a date, strings on the wire
                "custom4": str((i * 13) % 100) if i % 4 else None,
                "custom5": f"2027-{i % 12 + 1:02d}-{i % 28 + 1:02d}" if i % 3 else None,
                "createdAt": iso(created),
                "updatedAt": iso(updated),
                "touchedAt": iso(touched),
            })
            owner = SANDBOX_USER_IDS[i % len(SANDBOX_USER_IDS)]
            self.store_record(attributes, {"owner": owner, "creator": SANDBOX_USER_IDS[0], "updater": owner})

    def check(self, attributes, relations, record):
        if (record is None or "name" in attributes) and not (attributes.get("name") or "").strip():
            return validation_error("Name can't be blank.", "/data/attributes/name")
        return None

    def defaults(self) -> dict[str, Any]:
        return {"tags": [], "named": False}

    def derive(self, record: dict[str, Any]) -> None:
        record["attributes"]["naturalName"] = record["attributes"].get("name")
