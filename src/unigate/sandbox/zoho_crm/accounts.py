"""Zoho CRM v8 Accounts module: the emulator's `accounts` resource (its layout and seed; the record
routes are `module.ModuleResource`'s, as for every module).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from unigate.sandbox.zoho_crm.common import ID_BASE, ORG_TZ, USERS, ts
from unigate.sandbox.zoho_crm.module import RECORD_FLAGS, Field, ModuleResource

# (api_name, json_type, data_type, label, custom)
FIELDS: list[Field] = [
    ("Owner", "jsonobject", "ownerlookup", "Account Owner", False),
    ("Account_Name", "string", "text", "Account Name", False),
    ("Account_Number", "string", "autonumber", "Account Number", False),
    ("Account_Site", "string", "text", "Account Site", False),
    ("Account_Type", "string", "picklist", "Account Type", False),
    ("Annual_Revenue", "double", "currency", "Annual Revenue", False),
    ("Currency", "string", "picklist", "Currency", False),
    ("Exchange_Rate", "double", "double", "Exchange Rate", False),
    ("Description", "string", "textarea", "Description", False),
    ("Employees", "integer", "integer", "Employees", False),
    ("Fax", "string", "phone", "Fax", False),
    ("Industry", "string", "picklist", "Industry", False),
    ("Ownership", "string", "picklist", "Ownership", False),
    ("Parent_Account", "jsonobject", "lookup", "Parent Account", False),
    ("Phone", "string", "phone", "Phone", False),
    ("Rating", "string", "picklist", "Rating", False),
    ("SIC_Code", "integer", "integer", "SIC Code", False),
    ("Ticker_Symbol", "string", "text", "Ticker Symbol", False),
    ("Website", "string", "website", "Website", False),
    ("Billing_Street", "string", "text", "Billing Street", False),
    ("Billing_City", "string", "text", "Billing City", False),
    ("Billing_State", "string", "text", "Billing State", False),
    ("Billing_Code", "string", "text", "Billing Code", False),
    ("Billing_Country", "string", "text", "Billing Country", False),
    ("Shipping_Street", "string", "text", "Shipping Street", False),
    ("Shipping_City", "string", "text", "Shipping City", False),
    ("Shipping_State", "string", "text", "Shipping State", False),
    ("Shipping_Code", "string", "text", "Shipping Code", False),
    ("Shipping_Country", "string", "text", "Shipping Country", False),
    ("Tag", "jsonarray", "text", "Tag", False),
    ("Created_By", "jsonobject", "ownerlookup", "Created By", False),
    ("Modified_By", "jsonobject", "ownerlookup", "Modified By", False),
    ("Created_Time", "string", "datetime", "Created Time", False),
    ("Modified_Time", "string", "datetime", "Modified Time", False),
    ("Last_Activity_Time", "string", "datetime", "Last Activity Time", False),
    ("Record_Image", "string", "profileimage", "Account Image", False),
    ("Locked__s", "boolean", "boolean", "Locked", False),
    # the sandbox org's custom fields (any org may add its own; Zoho reports them in settings/fields)
    ("Account_Code", "string", "text", "Account Code", True),
    ("Customer_Tier", "string", "picklist", "Customer Tier", True),
    ("Renewal_Date", "string", "date", "Renewal Date", True),
    ("NPS_Score", "integer", "integer", "NPS Score", True),
    ("Partner_Program", "boolean", "boolean", "Partner Program", True),
]
READ_ONLY = {"Account_Number", "Created_By", "Modified_By", "Created_Time", "Modified_Time",
             "Last_Activity_Time", "Exchange_Rate", "Locked__s"}
PICKLISTS = {
    "Industry": ["ASP (Application Service Provider)", "Data/Telecom OEM", "ERP (Enterprise Resource Planning)",
                 "Government/Military", "Large Enterprise", "Management ISV", "MSP (Management Service Provider)",
                 "Network Equipment Enterprise", "Non-management ISV", "Optical Networking", "Service Provider",
                 "Small/Medium Enterprise", "Storage Equipment", "Storage Service Provider", "Systems Integrator",
                 "Wireless Industry", "Communications", "Technology", "Education", "Manufacturing",
                 "Financial Services", "Healthcare", "Retail", "Consulting"],
    "Account_Type": ["Analyst", "Competitor", "Customer", "Distributor", "Integrator", "Investor", "Other",
                     "Partner", "Press", "Prospect", "Reseller", "Supplier", "Vendor"],
    "Ownership": ["Other", "Private", "Public", "Subsidiary", "Partnership", "Government", "Privately Held"],
    "Rating": ["Acquired", "Active", "Market Failed", "Project Cancelled", "Shut Down"],
    "Customer_Tier": ["Bronze", "Silver", "Gold", "Platinum"],
}

# -- deterministic seed material ----------------------------------------------------------------------
_PREFIXES = ["Zylker", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Acme", "Hooli",
             "Vandelay", "Soylent", "Tyrell", "Wonka", "Cyberdyne", "Aperture", "Oscorp", "Gringotts",
             "Monarch", "Pied Piper", "Dunder"]
_SUFFIXES = ["Systems", "Labs", "Holdings", "Logistics", "Foods", "Analytics", "Energy", "Robotics",
             "Pharma", "Media", "Capital", "Outfitters", "Networks", "Textiles", "Aerospace"]
_CITIES = [("Austin", "TX", "78701", "United States"), ("Chennai", "Tamil Nadu", "600001", "India"),
           ("Berlin", "Berlin", "10115", "Germany"), ("Toronto", "ON", "M5H 2N2", "Canada"),
           ("Sydney", "NSW", "2000", "Australia"), ("London", "Greater London", "EC1A 1BB", "United Kingdom"),
           ("Pune", "Maharashtra", "411001", "India"), ("Denver", "CO", "80202", "United States"),
           ("Tokyo", "Tokyo", "100-0001", "Japan"), ("Paris", "Ile-de-France", "75001", "France")]
_STREETS = ["Market Street", "Mount Road", "Unter den Linden", "King Street West", "George Street",
            "Aldersgate", "FC Road", "Larimer Street", "Marunouchi", "Rue de Rivoli"]
_TAGS = [("Key Account", "5725767000000620001", "#57b1fd"), ("Renewal Due", "5725767000000620017", "#ff7b7b"),
         ("Enterprise", "5725767000000620033", "#63c57e"), ("Referral", "5725767000000620049", "#f9b94c"),
         ("Churn Risk", "5725767000000620065", "#c17ef0")]
_SEED_START = datetime(2023, 1, 2, 9, 15, 0, tzinfo=ORG_TZ)


class Accounts(ModuleResource):
    name: ClassVar[str] = "accounts"
    module: ClassVar[str] = "Accounts"
    FIELDS = FIELDS
    READ_ONLY = READ_ONLY
    PICKLISTS = PICKLISTS
    MANDATORY = ("Account_Name",)
    NAME_FIELD = "Account_Name"
    LOOKUPS = {"Parent_Account": "accounts"}
    MAX_LENGTHS = {"Account_Name": 200}
    FIRST_ID = ID_BASE

    def new_record(self) -> dict[str, Any]:
        return {"Account_Number": str(self._take_number()), "Currency": "USD", "Exchange_Rate": 1}

    def _take_number(self) -> int:
        value = self.next_number
        self.next_number += 1
        return value

    def seed(self, count: int) -> None:
        self.clear()
        self.tags = {n: {"name": n, "id": i, "color_code": c} for n, i, c in _TAGS}
        self.next_number = 1
        for i in range(count):
            record_id = self.store.new_id()
            prefix = _PREFIXES[i % len(_PREFIXES)]
            suffix = _SUFFIXES[(i // len(_PREFIXES)) % len(_SUFFIXES)]
            round_ = i // (len(_PREFIXES) * len(_SUFFIXES))
            name = f"{prefix} {suffix}" + (f" {round_ + 1}" if round_ else "")
            slug = name.lower().replace(" ", "")
            city, state, code, country = _CITIES[i % len(_CITIES)]
            ship_city, ship_state, ship_code, ship_country = _CITIES[(i + 3) % len(_CITIES)]
            owner = USERS[i % len(USERS)]
            creator = USERS[(i + 1) % len(USERS)]
            created = _SEED_START + timedelta(hours=7 * i, minutes=i % 60)
            modified = created + timedelta(days=3 + i % 40, minutes=17)
            tags = [self.tags[_TAGS[i % len(_TAGS)][0]]]
            if i % 3 == 0:
                tags.append(self.tags[_TAGS[(i + 2) % len(_TAGS)][0]])
            self.store.add(record_id, {
                "id": record_id,
                "Owner": dict(owner),
                "Account_Name": name,
                "Account_Number": str(self._take_number()),
                "Account_Site": f"{city} HQ",
                "Account_Type": PICKLISTS["Account_Type"][i % len(PICKLISTS["Account_Type"])],
                "Annual_Revenue": float(250_000 + (i * 7919) % 9_000_000),
                "Currency": "USD",
                "Exchange_Rate": 1,
                "Description": f"{name} is a {suffix.lower()} company headquartered in {city}.",
                "Employees": 10 + (i * 37) % 4990,
                "Fax": f"+1-555-01{i % 100:02d}-{(i * 13) % 10000:04d}",
                "Industry": PICKLISTS["Industry"][i % len(PICKLISTS["Industry"])],
                "Ownership": PICKLISTS["Ownership"][i % len(PICKLISTS["Ownership"])],
                "Parent_Account": None,
                "Phone": f"+1-555-02{i % 100:02d}-{(i * 29) % 10000:04d}",
                "Rating": PICKLISTS["Rating"][i % len(PICKLISTS["Rating"])],
                "SIC_Code": 7370 + i % 20,
                "Ticker_Symbol": prefix[:3].upper() + suffix[:1].upper(),
                "Website": f"https://www.{slug}.example",
                "Billing_Street": f"{100 + i % 900} {_STREETS[i % len(_STREETS)]}",
                "Billing_City": city,
                "Billing_State": state,
                "Billing_Code": code,
                "Billing_Country": country,
                "Shipping_Street": f"{200 + i % 700} {_STREETS[(i + 3) % len(_STREETS)]}",
                "Shipping_City": ship_city,
                "Shipping_State": ship_state,
                "Shipping_Code": ship_code,
                "Shipping_Country": ship_country,
                "Tag": [dict(t) for t in tags],
                "Created_By": dict(creator),
                "Modified_By": dict(owner),
                "Created_Time": ts(created),
                "Modified_Time": ts(modified),
                "Last_Activity_Time": ts(modified + timedelta(hours=5)) if i % 4 else None,
                "Record_Image": None,
                "Locked__s": False,
                "Customer_Tier": PICKLISTS["Customer_Tier"][i % 4],
                "Renewal_Date": (created + timedelta(days=365)).date().isoformat(),
                "NPS_Score": i % 11,
                "Partner_Program": i % 5 == 0,
                **RECORD_FLAGS,
            })
            if i % 7 == 6 and i > 0:
                parent_id = str(self.store.active[i - 1 - (i % 5)])
                parent = self.store.records[parent_id]
                self.store.records[record_id]["Parent_Account"] = {"name": parent["Account_Name"], "id": parent_id}

