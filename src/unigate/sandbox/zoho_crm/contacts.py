"""Zoho CRM v8 Contacts module: the emulator's `contacts` resource (layout, seed and the merge action;
the record routes are `module.ModuleResource`'s, as for every module).

- Field API names: the official SDK's `Contacts` field class (https://github.com/zoho/zohocrm-python-sdk-8.0,
  `zohocrmsdk/src/com/zoho/crm/api/record/field.py`); `Last_Name` is the mandatory field
  (https://help.zoho.com/portal/en/kb/crm/customize-crm-account/customizing-fields/articles/standard-modules-fields),
  `Full_Name` is read-only and follows First_Name and Last_Name
  (https://www.zoho.com/crm/developer/docs/api/v2/field-meta.html).
- `Account_Name` is a lookup to Accounts and `Reporting_To` a lookup to Contacts: written as `{"id"}`, read
  as `{"name", "id"}` (https://www.zoho.com/crm/developer/docs/api/v8/insert-records.html).
- Merge: `POST|GET /crm/v8/Contacts/{id}/actions/merge` (merge.py).
Seeds: most contacts work at a seeded account (`Account_Name`), every fifth has none; emails, phones,
titles, owners, mailing addresses, tags and the org's custom fields on some.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from starlette.routing import Route

from unigate.sandbox.zoho_crm.common import ORG_TZ, USERS, ts
from unigate.sandbox.zoho_crm.merge import Merges
from unigate.sandbox.zoho_crm.module import RECORD_FLAGS, Field, ModuleResource

FIELDS: list[Field] = [
    ("Owner", "jsonobject", "ownerlookup", "Contact Owner", False),
    ("Salutation", "string", "picklist", "Salutation", False),
    ("First_Name", "string", "text", "First Name", False),
    ("Last_Name", "string", "text", "Last Name", False),
    ("Full_Name", "string", "text", "Full Name", False),
    ("Title", "string", "text", "Title", False),
    ("Department", "string", "text", "Department", False),
    ("Account_Name", "jsonobject", "lookup", "Account Name", False),
    ("Vendor_Name", "jsonobject", "lookup", "Vendor Name", False),
    ("Reporting_To", "jsonobject", "lookup", "Reporting To", False),
    ("Email", "string", "email", "Email", False),
    ("Secondary_Email", "string", "email", "Secondary Email", False),
    ("Phone", "string", "phone", "Phone", False),
    ("Mobile", "string", "phone", "Mobile", False),
    ("Home_Phone", "string", "phone", "Home Phone", False),
    ("Other_Phone", "string", "phone", "Other Phone", False),
    ("Asst_Phone", "string", "phone", "Asst Phone", False),
    ("Assistant", "string", "text", "Assistant", False),
    ("Fax", "string", "phone", "Fax", False),
    ("Mailing_Street", "string", "text", "Mailing Street", False),
    ("Mailing_City", "string", "text", "Mailing City", False),
    ("Mailing_State", "string", "text", "Mailing State", False),
    ("Mailing_Zip", "string", "text", "Mailing Zip", False),
    ("Mailing_Country", "string", "text", "Mailing Country", False),
    ("Other_Street", "string", "text", "Other Street", False),
    ("Other_City", "string", "text", "Other City", False),
    ("Other_State", "string", "text", "Other State", False),
    ("Other_Zip", "string", "text", "Other Zip", False),
    ("Other_Country", "string", "text", "Other Country", False),
    ("Description", "string", "textarea", "Description", False),
    ("Date_of_Birth", "string", "date", "Date of Birth", False),
    ("Lead_Source", "string", "picklist", "Lead Source", False),
    ("Email_Opt_Out", "boolean", "boolean", "Email Opt Out", False),
    ("Twitter", "string", "text", "Twitter", False),
    ("Skype_ID", "string", "text", "Skype ID", False),
    ("Tag", "jsonarray", "text", "Tag", False),
    ("Created_By", "jsonobject", "ownerlookup", "Created By", False),
    ("Modified_By", "jsonobject", "ownerlookup", "Modified By", False),
    ("Created_Time", "string", "datetime", "Created Time", False),
    ("Modified_Time", "string", "datetime", "Modified Time", False),
    ("Last_Activity_Time", "string", "datetime", "Last Activity Time", False),
    ("Record_Image", "string", "profileimage", "Contact Image", False),
    ("Locked__s", "boolean", "boolean", "Locked", False),
    # the sandbox org's custom fields (Zoho reports them with custom_field: true in settings/fields)
    ("Nickname", "string", "text", "Nickname", True),
    ("Preferred_Language", "string", "picklist", "Preferred Language", True),
    ("Newsletter", "boolean", "boolean", "Newsletter", True),
    ("Loyalty_Points", "integer", "integer", "Loyalty Points", True),
]
READ_ONLY = {"Full_Name", "Created_By", "Modified_By", "Created_Time", "Modified_Time", "Last_Activity_Time",
             "Locked__s"}
PICKLISTS = {
    "Salutation": ["-None-", "Mr.", "Mrs.", "Ms.", "Dr.", "Prof."],
    "Lead_Source": ["-None-", "Advertisement", "Cold Call", "Employee Referral", "External Referral",
                    "Online Store", "Partner", "Public Relations", "Sales Email Alias", "Seminar Partner",
                    "Internal Seminar", "Trade Show", "Web Download", "Web Research", "Chat"],
    "Preferred_Language": ["English", "German", "French", "Hindi", "Japanese"],
}
# Contact ids come from the same org-wide sequence as account ids; this range keeps them apart.
FIRST_ID = 5725767000001415001

_FIRST = ["Aarav", "Beatrice", "Carlos", "Divya", "Emil", "Fatima", "Georg", "Hana", "Ivan", "Julia", "Kenji",
          "Leila", "Marco", "Nadia", "Oscar", "Priya"]
_LAST = ["Iyer", "Schmidt", "Moreau", "Tanaka", "Okoye", "Lindqvist", "Kowalski", "Brennan", "Haddad",
         "Castillo", "Nakamura", "Ferreira", "Ahmed"]
_TITLES = ["CFO", "Head of Procurement", "Operations Manager", "IT Director", "Buyer", "VP Sales", None]
_DEPARTMENTS = ["Finance", "Procurement", "Operations", "IT", "Sales"]
_TAGS = ["Decision Maker", "Champion", "Newsletter"]
_CITIES = [("Austin", "TX", "78701", "United States"), ("Chennai", "Tamil Nadu", "600001", "India"),
           ("Berlin", "Berlin", "10115", "Germany"), ("Toronto", "ON", "M5H 2N2", "Canada"),
           ("Sydney", "NSW", "2000", "Australia")]
_SEED_START = datetime(2023, 2, 6, 10, 30, 0, tzinfo=ORG_TZ)


class Contacts(ModuleResource):
    name: ClassVar[str] = "contacts"
    module: ClassVar[str] = "Contacts"
    FIELDS = FIELDS
    READ_ONLY = READ_ONLY
    PICKLISTS = PICKLISTS
    MANDATORY = ("Last_Name",)
    NAME_FIELD = "Full_Name"
    # Vendor_Name points to Vendors, a module this emulator does not hold: any value is refused.
    LOOKUPS = {"Account_Name": "accounts", "Reporting_To": "contacts", "Vendor_Name": "vendors"}
    MAX_LENGTHS = {"First_Name": 40, "Last_Name": 80, "Title": 100, "Email": 100, "Secondary_Email": 100}
    FIRST_ID = FIRST_ID

    def __init__(self, emulator: Any) -> None:
        super().__init__(emulator)
        self.merges = Merges(self)

    def extra_routes(self) -> list[Route]:
        return [Route(self.path + "/{record_id}/actions/merge", self.merges.route, methods=["GET", "POST"])]

    def derive(self, record: dict[str, Any]) -> None:
        # Full_Name is read-only, "First_Name Last_Name" (Zoho field metadata)
        record["Full_Name"] = " ".join(p for p in (record.get("First_Name"), record.get("Last_Name")) if p)

    def seed(self, count: int) -> None:
        self.clear()
        self.merges.clear()
        accounts = self.emulator.resource("accounts")
        account_ids = list(accounts.store.active)
        for i in range(count):
            record_id = self.store.new_id()
            first, last = _FIRST[i % len(_FIRST)], _LAST[(i * 7) % len(_LAST)]
            owner = USERS[(i + 2) % len(USERS)]
            creator = USERS[i % len(USERS)]
            created = _SEED_START + timedelta(hours=5 * i, minutes=(i * 7) % 60)
            modified = created + timedelta(days=1 + i % 20, minutes=9)
            account_id = account_ids[i % len(account_ids)] if account_ids and i % 5 != 4 else None
            company = accounts.store.records[account_id] if account_id else None
            domain = company["Website"].split("www.", 1)[-1] if company and company.get("Website") else "mail.example"
            city, state, code, country = _CITIES[i % len(_CITIES)]
            record: dict[str, Any] = {name: None for name, *_ in FIELDS}
            record.update({
                "id": record_id,
                "Owner": dict(owner),
                "Salutation": PICKLISTS["Salutation"][1 + i % 5],
                "First_Name": first if i % 9 != 8 else None,
                "Last_Name": last,
                "Title": _TITLES[i % len(_TITLES)],
                "Department": _DEPARTMENTS[i % len(_DEPARTMENTS)],
                "Account_Name": {"name": company["Account_Name"], "id": account_id} if company else None,
                "Email": f"{first.lower()}.{last.lower()}{i}@{domain}",
                "Secondary_Email": f"{first.lower()}{i}@personal.example" if i % 3 == 0 else None,
                "Phone": f"+1-555-03{i % 100:02d}-{(i * 17) % 10000:04d}",
                "Mobile": f"+1-555-04{i % 100:02d}-{(i * 31) % 10000:04d}" if i % 2 == 0 else None,
                "Mailing_Street": f"{10 + i % 90} Harbour Road" + ("\nSuite 4" if i % 6 == 0 else ""),
                "Mailing_City": city,
                "Mailing_State": state,
                "Mailing_Zip": code,
                "Mailing_Country": country,
                "Description": f"{first} {last} joined the sandbox org's contact list.",
                "Lead_Source": PICKLISTS["Lead_Source"][1 + i % 14],
                "Email_Opt_Out": i % 7 == 3,
                "Twitter": f"{first.lower()}_{last.lower()}" if i % 4 == 0 else None,
                "Tag": [self._tag(_TAGS[i % len(_TAGS)])] if i % 2 == 1 else [],
                "Created_By": dict(creator),
                "Modified_By": dict(owner),
                "Created_Time": ts(created),
                "Modified_Time": ts(modified),
                "Last_Activity_Time": ts(modified + timedelta(hours=3)) if i % 3 else None,
                "Locked__s": False,
                "Preferred_Language": PICKLISTS["Preferred_Language"][i % 5] if i % 4 != 3 else None,
                "Newsletter": i % 2 == 0,
                "Loyalty_Points": (i * 13) % 500 if i % 3 == 1 else None,
                **RECORD_FLAGS,
            })
            self.derive(record)
            self.store.add(record_id, record)
        # a few contacts report to the one seeded before them
        for position in range(3, len(self.store.active), 6):
            manager_id = self.store.active[position - 1]
            self.store.records[self.store.active[position]]["Reporting_To"] = self.lookup_value("Reporting_To", manager_id)
