"""Outreach prospects: the JSON:API v2 `prospect` resource (https://api.outreach.io/api/v2/prospects), the CRM's contacts.

Attributes, relationships and filter badges from the official OpenAPI prospect schema
(https://api.outreach.io/api/v2/schema/openapi.json, https://developers.outreach.io/api/reference/tag/Prospect/):
- `emails` and the phones (`workPhones`, `mobilePhones`, `homePhones`, `otherPhones`, `voipPhones`) are
  arrays of strings; the address is flat (`addressStreet` ... `addressCountry`); `custom1..custom150` are
  strings of at most 32,000 characters, other strings at most 255.
- `name` is read-only, derived from first and last name (the first email when both are blank);
  `company` is the linked account's name.
- Writable to-one relationships: `account`, `owner` (a user); `creator`/`updater` are read-only.
  No attribute is required.
- A second prospect with an email already held is 422 "Contacts email hash has already been taken."
  (as recorded from Outreach by product-os/jellyfish-plugin-outreach, test/integration/outreach-mock.ts).
- `filter[emails]` matches any of a prospect's emails; `filter[account][id]`, `filter[owner][id]`.
Paging, status codes and error bodies are every type's (jsonapi.py). Deletion is permanent (later reads 404).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from unigate.sandbox.outreach.common import SANDBOX_USER_IDS, SEED_EPOCH, iso, too_long, validation_error
from unigate.sandbox.outreach.jsonapi import BOOL, STRING, STRINGS, TIMESTAMPS, JsonApiResource

CUSTOM_KEYS = tuple(f"custom{i}" for i in range(1, 151))   # custom1..custom150 (OpenAPI prospect schema)
PHONE_KEYS = ("workPhones", "mobilePhones", "homePhones", "otherPhones", "voipPhones")
ATTRIBUTE_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(("firstName", "lastName", "middleName", "nickname", "name", "title", "occupation", "company",
                     "addressStreet", "addressStreet2", "addressCity", "addressState", "addressZip",
                     "addressCountry", "region", "linkedInUrl", "twitterUrl", "facebookUrl", "githubUrl",
                     "websiteUrl1", "websiteUrl2", "websiteUrl3", "timeZone", "timeZoneIana", "timeZoneInferred",
                     "externalId", "externalSource", "gender", "source"), STRING),
    **dict.fromkeys(("emails", "tags", *PHONE_KEYS), STRINGS),
    **dict.fromkeys(("optedOut", "emailOptedOut", "callOptedOut"), BOOL),
    **dict.fromkeys(TIMESTAMPS, STRING),
    **dict.fromkeys(CUSTOM_KEYS, STRING),
}
READ_ONLY_ATTRIBUTES = ("name", "company", "timeZoneIana", "timeZoneInferred", "createdAt", "updatedAt",
                        "touchedAt", "engagedAt", "trashedAt")
TO_ONE_RELATIONSHIPS = {"account": "account", "owner": "user", "stage": "stage", "persona": "persona",
                        "creator": "user", "updater": "user"}
# Outreach also lets `stage` and `persona` be written; the sandbox holds no stages or personas to check
# such ids against, so it refuses those writes rather than accept any id.
WRITABLE_RELATIONSHIPS = frozenset({"account", "owner"})
TO_MANY_RELATIONSHIPS = ("emailAddresses", "phoneNumbers", "sequenceStates", "mailings", "calls", "tasks")
# Longest values (OpenAPI maxLength, https://api.outreach.io/api/v2/schema/openapi.json): custom fields 32,000,
# other strings 255; longer is 422 validationDataTooLongError "Data provided is too long." (as recorded from
# Outreach by product-os/jellyfish-plugin-outreach, test/integration/outreach-mock.ts).
MAX_CUSTOM_LENGTH = 32_000
MAX_STRING_LENGTH = 255
# A prospect created without an account is linked to a new "unnamed" account, hidden in Outreach's UI
# (https://support.outreach.io/hc/en-us/articles/36113453817243): an account with no name and
# `named: false`, which the API lists like any other. False turns that off.
LINK_UNNAMED_ACCOUNT = True

_FIRST = ["Ann", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Luca",
          "Maya", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara"]
_LAST = ["Lee", "Okafor", "Martin", "Patel", "Rossi", "Haddad", "Kim", "Tanaka", "Garcia", "Berg", "Adeyemi",
         "Conti", "Singh", "Larsen", "Ivanova", "Novak", "Reyes", "Costa", "Nieminen", "Shah"]
_TITLES = ["CTO", "VP Sales", "Head of Operations", "Procurement Manager", "CEO", "Engineering Manager",
           "Director of Marketing", "Account Executive"]
_CITIES = [("San Francisco", "CA", "94105", "United States"), ("Austin", "TX", "73301", "United States"),
           ("London", None, "EC1A 1BB", "United Kingdom"), ("Berlin", None, "10115", "Germany")]
_TAGS = ["decision-maker", "champion", "newsletter", "event-2023", "cold"]


class Contacts(JsonApiResource):
    """Outreach prospects: seed, validation and derived attributes; the rest is `JsonApiResource`."""

    name = "contacts"
    type_name = "prospect"
    path = "prospects"
    attribute_types = ATTRIBUTE_TYPES
    read_only_attributes = READ_ONLY_ATTRIBUTES
    to_one = TO_ONE_RELATIONSHIPS
    writable_to_one = WRITABLE_RELATIONSHIPS
    to_many = TO_MANY_RELATIONSHIPS
    related_filter = "prospect"
    # the OpenAPI prospect schema's filterable / sortable badges (https://api.outreach.io/api/v2/schema/openapi.json)
    filterable = frozenset({"id", "firstName", "lastName", "title", "emails", "timeZone", "createdAt", "updatedAt",
                            "touchedAt", "engagedAt", "account", "owner", "stage", "persona"})
    sortable = frozenset({"id", "firstName", "lastName", "title", "createdAt", "updatedAt", "touchedAt", "engagedAt"})

    def seed(self, count: int) -> None:
        """Deterministic prospects: four in five linked to a seeded account (round robin), the rest to none."""
        self.new_store()
        accounts = self.emulator.resource("accounts").store
        account_ids = list(accounts.active)
        for i in range(count):
            first, last = _FIRST[i % len(_FIRST)], _LAST[(i // len(_FIRST) + i) % len(_LAST)]
            account_id = account_ids[i % len(account_ids)] if account_ids and i % 5 != 4 else None
            domain = (accounts.records[account_id]["attributes"]["domain"] if account_id is not None
                      else "example.org")
            city, state, zip_code, country = _CITIES[i % len(_CITIES)]
            created = SEED_EPOCH + timedelta(hours=5 * i, minutes=13)
            updated = created + timedelta(days=2, minutes=i % 60)
            attributes = dict.fromkeys(ATTRIBUTE_TYPES)
            attributes.update({
                "firstName": first,
                "lastName": last,
                "title": _TITLES[i % len(_TITLES)],
                "emails": [f"{first.lower()}.{last.lower()}{i}@{domain}"] + (
                    [f"{first.lower()}{i}@gmail.example"] if i % 3 == 0 else []),
                "workPhones": [f"+1 415 555 {1000 + i % 9000:04d}"],
                "mobilePhones": [f"+1 628 555 {2000 + i % 8000:04d}"] if i % 2 == 0 else [],
                "homePhones": [], "otherPhones": [], "voipPhones": [],
                "addressStreet": f"{100 + i} Market Street",
                "addressCity": city,
                "addressState": state,
                "addressZip": zip_code,
                "addressCountry": country,
                "linkedInUrl": f"https://www.linkedin.com/in/{first.lower()}-{last.lower()}-{i}",
                "twitterUrl": f"https://twitter.com/{first.lower()}{i}" if i % 4 == 0 else None,
                "tags": [_TAGS[i % len(_TAGS)]] if i % 3 != 2 else [],
                "timeZone": "America/Los_Angeles",
                "externalSource": "outreach-api",
                "optedOut": False, "emailOptedOut": i % 11 == 0, "callOptedOut": False,
                "custom1": f"Segment {i % 4 + 1}",
                # slots typed by /types (types.py): a boolean, a number and a date, strings on the wire
                "custom2": "true" if i % 2 else ("false" if i % 4 == 0 else None),
                "custom3": str(10 + (i * 7) % 90) if i % 3 else None,
                "custom4": f"2026-{i % 12 + 1:02d}-15" if i % 5 == 1 else None,
                "custom5": ["Champion", "Economic buyer", "End user"][i % 3] if i % 2 == 0 else None,
                "custom8": iso(created + timedelta(days=20)) if i % 6 == 0 else None,
                "createdAt": iso(created),
                "updatedAt": iso(updated),
                "touchedAt": iso(updated + timedelta(hours=3)) if i % 3 else None,
            })
            owner = SANDBOX_USER_IDS[(i * 3) % len(SANDBOX_USER_IDS)]
            record = self.store_record(attributes, {"account": account_id, "owner": owner,
                                                    "creator": SANDBOX_USER_IDS[0], "updater": owner})
            self.derive(record)

    def defaults(self) -> dict[str, Any]:
        return {**{key: [] for key in ("emails", "tags", *PHONE_KEYS)}, "externalSource": "outreach-api",
                "optedOut": False, "emailOptedOut": False, "callOptedOut": False}

    def check(self, attributes, relations, record):
        for key, value in attributes.items():
            limit = MAX_CUSTOM_LENGTH if key in CUSTOM_KEYS else MAX_STRING_LENGTH
            values = value if isinstance(value, list) else [value]
            if any(isinstance(v, str) and len(v) > limit for v in values):
                return too_long(f"/data/attributes/{key}")
        account_id = relations.get("account")
        if account_id is not None and self.emulator.resource("accounts").store.get(account_id) is None:
            return validation_error(f"Could not find 'account' with ID '{account_id}'.", "/data/relationships/account")
        emails = {e.lower() for e in attributes.get("emails") or ()}
        if emails:
            own_id = None if record is None else record["id"]
            for other in self.store.live():
                if other["id"] != own_id and emails & {e.lower() for e in other["attributes"]["emails"] or ()}:
                    return validation_error("Contacts email hash has already been taken.", "/data")
        return None

    def created(self, record: dict[str, Any]) -> None:
        if LINK_UNNAMED_ACCOUNT and record["relationships"].get("account") is None:
            accounts = self.emulator.resource("accounts")
            attributes = dict.fromkeys(accounts.attribute_types)
            attributes.update(accounts.defaults())
            attributes.update({"createdAt": record["attributes"]["createdAt"],
                               "updatedAt": record["attributes"]["createdAt"]})
            owner = record["relationships"].get("owner")
            unnamed = accounts.store_record(attributes, {"owner": owner, "creator": SANDBOX_USER_IDS[0],
                                                         "updater": SANDBOX_USER_IDS[0]})
            record["relationships"]["account"] = unnamed["id"]

    def derive(self, record: dict[str, Any]) -> None:
        """`name` from first and last name (else the first email); `company` from the linked account."""
        attributes = record["attributes"]
        full = " ".join(p for p in (attributes.get("firstName"), attributes.get("lastName")) if p)
        attributes["name"] = full or next(iter(attributes.get("emails") or ()), None)
        account_id = record["relationships"].get("account")
        account = None if account_id is None else self.emulator.resource("accounts").store.get(account_id)
        attributes["company"] = None if account is None else account["attributes"]["name"]
