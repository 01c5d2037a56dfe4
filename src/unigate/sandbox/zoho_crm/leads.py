"""Zoho CRM v8 Leads module and users: the emulator's `leads` and `users` resources.

Leads (the record routes are `module.ModuleResource`'s, as for every module):
- Field API names: the official SDK's `Leads` field class (https://github.com/zoho/zohocrm-python-sdk-8.0,
  `zohocrmsdk/src/com/zoho/crm/api/record/field.py`); `Last_Name` and `Company` are the mandatory fields of
  the standard layout, with First Name 40, Last Name 80, Company 100 and Email 100 characters at most
  (https://help.zoho.com/portal/en/kb/crm/customize-crm-account/customizing-fields/articles/standard-modules-fields).
  `Full_Name` is read-only (https://www.zoho.com/crm/developer/docs/api/v2/field-meta.html).
- Seeds: leads at companies with e-mails, phones, statuses, sources and the org's lead custom fields on some.

Users (`GET /crm/v8/users`, `GET /crm/v8/users/{id}`; crm-oas v8.0 users.json,
https://www.zoho.com/crm/developer/docs/api/v8/get-users.html): `{"users": [...], "info": {per_page, count,
page, more_records}}`, `type` (AllUsers, the default here, ActiveUsers, DeactiveUsers, ...), `page` and
`per_page` (at most 200); an unknown id answers 204. Users carry `created_time` in lower case but
`Modified_Time` capitalised (crm-oas v8.0 users schema). The users records point to are `common.USERS`; more
of the team follow, every fourth deactivated.
`If-Modified-Since` (an ISO 8601 time with its offset, `2019-07-25T15:26:49+05:30`): only the users modified after
that instant, and 304 with no body when there are none (get-users.html, "If-Modified-Since": "To get the list of
users that were modified after the given time"; 304 also in crm-oas v8.0 users.json and the official SDK's
`samples/users/get_users.py`). Whether a user modified in that very second counts as "after" is not documented:
the switch `if_modified_since` says ("after", the default: strictly later; "inclusive": that second too). A value
that is not such a time is 400 INVALID_DATA on the header [unverified: Zoho's answer to it is not documented].
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource
from unigate.sandbox.zoho_crm.common import ORG_TZ, USERS, error_object, ts
from unigate.sandbox.zoho_crm.module import RECORD_FLAGS, Field, ModuleResource

FIELDS: list[Field] = [
    ("Owner", "jsonobject", "ownerlookup", "Lead Owner", False),
    ("Salutation", "string", "picklist", "Salutation", False),
    ("First_Name", "string", "text", "First Name", False),
    ("Last_Name", "string", "text", "Last Name", False),
    ("Full_Name", "string", "text", "Full Name", False),
    ("Company", "string", "text", "Company", False),
    ("Designation", "string", "text", "Title", False),
    ("Email", "string", "email", "Email", False),
    ("Secondary_Email", "string", "email", "Secondary Email", False),
    ("Phone", "string", "phone", "Phone", False),
    ("Mobile", "string", "phone", "Mobile", False),
    ("Fax", "string", "phone", "Fax", False),
    ("Website", "string", "website", "Website", False),
    ("Street", "string", "text", "Street", False),
    ("City", "string", "text", "City", False),
    ("State", "string", "text", "State", False),
    ("Zip_Code", "string", "text", "Zip Code", False),
    ("Country", "string", "text", "Country", False),
    ("Industry", "string", "picklist", "Industry", False),
    ("Annual_Revenue", "double", "currency", "Annual Revenue", False),
    ("No_of_Employees", "integer", "integer", "No. of Employees", False),
    ("Lead_Source", "string", "picklist", "Lead Source", False),
    ("Lead_Status", "string", "picklist", "Lead Status", False),
    ("Rating", "string", "picklist", "Rating", False),
    ("Description", "string", "textarea", "Description", False),
    ("Email_Opt_Out", "boolean", "boolean", "Email Opt Out", False),
    ("Tag", "jsonarray", "text", "Tag", False),
    ("Created_By", "jsonobject", "ownerlookup", "Created By", False),
    ("Modified_By", "jsonobject", "ownerlookup", "Modified By", False),
    ("Created_Time", "string", "datetime", "Created Time", False),
    ("Modified_Time", "string", "datetime", "Modified Time", False),
    ("Last_Activity_Time", "string", "datetime", "Last Activity Time", False),
    ("Converted__s", "boolean", "boolean", "Converted", False),
    # the sandbox org's custom fields (custom_field: true in settings/fields)
    ("Budget", "double", "currency", "Budget", True),
    ("Lead_Score_Band", "string", "picklist", "Lead Score Band", True),
    ("Follow_Up_Date", "string", "date", "Follow-up Date", True),
    ("Referral_Code", "string", "text", "Referral Code", True),
]
READ_ONLY = {"Full_Name", "Created_By", "Modified_By", "Created_Time", "Modified_Time", "Last_Activity_Time",
             "Converted__s"}
PICKLISTS = {
    "Salutation": ["-None-", "Mr.", "Mrs.", "Ms.", "Dr.", "Prof."],
    "Industry": ["-None-", "ASP (Application Service Provider)", "Data/Telecom OEM", "ERP (Enterprise Resource Planning)",
                 "Government/Military", "Large Enterprise", "ManagementISV", "Non-management ISV", "Service Provider"],
    "Lead_Source": ["-None-", "Advertisement", "Cold Call", "Employee Referral", "External Referral", "Online Store",
                    "Partner", "Public Relations", "Sales Email Alias", "Seminar Partner", "Trade Show", "Web Download",
                    "Web Research", "Chat"],
    "Lead_Status": ["-None-", "Attempted to Contact", "Contact in Future", "Contacted", "Junk Lead", "Lost Lead",
                    "Not Contacted", "Pre-Qualified", "Not Qualified"],
    "Rating": ["-None-", "Acquired", "Active", "Market Failed", "Project Cancelled", "Shut Down"],
    "Lead_Score_Band": ["Hot", "Warm", "Cold"],
}
FIRST_ID = 5725767000007415001

_FIRST = ["Noah", "Olga", "Pedro", "Quinn", "Rhea", "Sven", "Tomoko", "Uma", "Victor", "Wen"]
_LAST = ["Adler", "Bianchi", "Chen", "Dubois", "Eriksen", "Fischer", "Garcia", "Hughes", "Ito", "Jensen", "Kaur"]
_COMPANIES = ["Zylker Labs", "Acme Freight", "Bluebird Media", "Cedar Health", "Delta Robotics", "Evergreen Foods"]
_SEED_START = datetime(2023, 5, 8, 9, 15, 0, tzinfo=ORG_TZ)


class Leads(ModuleResource):
    name: ClassVar[str] = "leads"
    module: ClassVar[str] = "Leads"
    FIELDS = FIELDS
    READ_ONLY = READ_ONLY
    PICKLISTS = PICKLISTS
    MANDATORY = ("Last_Name", "Company")
    NAME_FIELD = "Full_Name"
    MAX_LENGTHS = {"First_Name": 40, "Last_Name": 80, "Company": 100, "Email": 100, "Phone": 30, "Mobile": 30,
                   "Fax": 30, "Website": 120}
    FIRST_ID = FIRST_ID

    def derive(self, record: dict[str, Any]) -> None:
        record["Full_Name"] = " ".join(p for p in (record.get("First_Name"), record.get("Last_Name")) if p)

    def new_record(self) -> dict[str, Any]:
        return {"Converted__s": False}

    def seed(self, count: int) -> None:
        self.clear()
        for i in range(count):
            record_id = self.store.new_id()
            first, last = _FIRST[i % len(_FIRST)], _LAST[(i * 3) % len(_LAST)]
            company = _COMPANIES[i % len(_COMPANIES)]
            created = _SEED_START + timedelta(hours=7 * i, minutes=(i * 11) % 60)
            modified = created + timedelta(days=1 + i % 15, minutes=4)
            record: dict[str, Any] = {name: None for name, *_ in FIELDS}
            record.update({
                "id": record_id,
                "Owner": dict(USERS[(i + 1) % len(USERS)]),
                "First_Name": first,
                "Last_Name": last,
                "Company": company,
                "Designation": ["Buyer", "CTO", "Founder", None][i % 4],
                "Email": f"{first.lower()}.{last.lower()}{i}@{company.split()[0].lower()}.example",
                "Phone": f"+1-555-07{i % 100:02d}-{(i * 23) % 10000:04d}",
                "Mobile": f"+1-555-08{i % 100:02d}-{(i * 29) % 10000:04d}" if i % 2 else None,
                "Website": f"https://www.{company.split()[0].lower()}.example" if i % 3 == 0 else None,
                "Street": f"{20 + i} Mill Lane" if i % 3 != 2 else None,
                "City": "Austin" if i % 3 != 2 else None,
                "State": "TX" if i % 3 != 2 else None,
                "Zip_Code": "78701" if i % 3 != 2 else None,
                "Country": "United States" if i % 3 != 2 else None,
                "Lead_Source": PICKLISTS["Lead_Source"][1 + i % 13],
                "Lead_Status": PICKLISTS["Lead_Status"][1 + i % 8],
                "Email_Opt_Out": i % 5 == 4,
                "Tag": [],
                "Created_By": dict(USERS[i % len(USERS)]),
                "Modified_By": dict(USERS[(i + 1) % len(USERS)]),
                "Created_Time": ts(created),
                "Modified_Time": ts(modified),
                "Converted__s": False,
                "Budget": float(500 * (1 + i % 12)) if i % 3 != 1 else None,
                "Lead_Score_Band": PICKLISTS["Lead_Score_Band"][i % 3] if i % 2 == 0 else None,
                "Follow_Up_Date": (created + timedelta(days=10)).date().isoformat() if i % 4 == 0 else None,
                "Referral_Code": f"REF-{1000 + i}" if i % 5 == 0 else None,
                **RECORD_FLAGS,
            })
            self.derive(record)
            self.store.add(record_id, record)


def _user(user: dict[str, Any], index: int) -> dict[str, Any]:
    first, _, last = user["name"].partition(" ")
    created = _SEED_START - timedelta(days=300 - 20 * index)
    return {"id": user["id"], "first_name": first, "last_name": last, "full_name": user["name"],
            "email": user["email"], "status": "disabled" if index % 4 == 3 and index >= len(USERS) else "active",
            "confirm": True, "role": {"name": "CEO" if index == 0 else "Manager", "id": "5725767000000026005"},
            "profile": {"name": "Administrator" if index == 0 else "Standard", "id": "5725767000000026011"},
            "time_zone": "Asia/Kolkata", "created_time": ts(created),
            "Modified_Time": ts(created + timedelta(days=30)), "Modified_By": {"name": USERS[0]["name"], "id": USERS[0]["id"]}}


# Switch `if_modified_since`: the users `If-Modified-Since` keeps (see the module's docstring).
IF_MODIFIED_SINCE = ("after", "inclusive")


def _modified_since(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


class Users(Resource):
    """The org's users, read here (crm-oas v8.0 users.json)."""

    name: ClassVar[str] = "users"
    TYPES: ClassVar[tuple[str, ...]] = ("AllUsers", "ActiveUsers", "DeactiveUsers", "ConfirmedUsers",
                                        "NotConfirmedUsers", "DeletedUsers", "AdminUsers", "ActiveConfirmedAdmins",
                                        "CurrentUser")

    def routes(self) -> list[Route]:
        return [Route("/crm/v8/users", self.many, methods=["GET"]),
                Route("/crm/v8/users/{user_id}", self.one, methods=["GET"])]

    def seed(self, count: int) -> None:
        team = [{"id": str(int(USERS[-1]["id"]) + 16 * (n + 1)),
                 "name": f"{_FIRST[n % len(_FIRST)]} {_LAST[(n * 5) % len(_LAST)]}",
                 "email": f"user{n + 1}@zylker.example"} for n in range(max(0, count - len(USERS)))]
        self.users = [_user(u, i) for i, u in enumerate([*USERS, *team])]

    def snapshot(self) -> list[dict[str, Any]]:
        return list(self.users)

    def count(self) -> int:
        return len(self.users)

    async def one(self, request: Request) -> Response:
        emulator: Any = self.emulator
        denied = emulator.check_auth(request)
        if denied:
            return denied
        user = next((u for u in self.users if u["id"] == request.path_params["user_id"]), None)
        return emulator.answer({"users": [user]}) if user else emulator.answer(None, 204)

    async def many(self, request: Request) -> Response:
        emulator: Any = self.emulator
        denied = emulator.check_auth(request)
        if denied:
            return denied
        q = request.query_params
        kind = q.get("type", "AllUsers")
        try:
            page, per_page = int(q.get("page", 1)), int(q.get("per_page", 200))
        except ValueError:
            page, per_page = 0, 0
        if kind not in self.TYPES:
            return emulator.answer(error_object("INVALID_DATA", "invalid data", {"param_name": "type"}), 400)
        if page < 1 or not 1 <= per_page <= 200:
            return emulator.answer(error_object("INVALID_DATA", "invalid data", {"param_name": "per_page"}), 400)
        keep = {"ActiveUsers": lambda u: u["status"] == "active", "DeactiveUsers": lambda u: u["status"] == "disabled",
                "CurrentUser": lambda u: u["id"] == USERS[0]["id"],
                "AdminUsers": lambda u: u["profile"]["name"] == "Administrator"}.get(kind, lambda u: True)
        chosen = [u for u in self.users if keep(u)]
        header = request.headers.get("if-modified-since")
        if header is not None:
            since = _modified_since(header)
            if since is None:
                return emulator.answer(error_object("INVALID_DATA", "invalid data",
                                                    {"param_name": "If-Modified-Since"}), 400)
            inclusive = emulator.switch["if_modified_since"] == "inclusive"
            chosen = [u for u in chosen if (datetime.fromisoformat(u["Modified_Time"]) >= since if inclusive
                                            else datetime.fromisoformat(u["Modified_Time"]) > since)]
            if not chosen:
                return emulator.answer(None, 304)   # get-users.html: 304 Not Modified, no body
        chunk = chosen[(page - 1) * per_page:page * per_page]
        if not chunk:
            return emulator.answer(None, 204)
        return emulator.answer({"users": chunk, "info": {"per_page": per_page, "count": len(chunk), "page": page,
                                                         "more_records": len(chosen) > page * per_page}})
