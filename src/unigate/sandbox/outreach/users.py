"""Outreach users: the JSON:API v2 `user` resource (https://api.outreach.io/api/v2/users,
https://developers.outreach.io/api/reference/tag/User/), the people records are owned by.

Attributes, badges and methods from the official OpenAPI user schema
(https://api.outreach.io/api/v2/schema/openapi.json):
- `email` (filterable, sortable), `firstName`, `lastName`, `username` (filterable, sortable), `title`,
  `phoneNumber`, `locked` (filterable: a locked user is deactivated), `custom1..custom5` (at most 225
  characters); read-only `name` (first and last name), `createdAt`, `updatedAt`, `currentSignInAt` (filterable,
  sortable), `lastSignInAt`, `userGuid`.
- `GET /users`, `GET /users/{id}`, `POST /users` (inviting a new user, 201) and `PATCH /users/{id}`; there is no
  DELETE (a user is locked instead), so a DELETE is the 404 `routeNotFound` of any unknown endpoint.
- `email` "cannot be updated via the API": whether a PATCH naming it is refused or the value ignored is not
  documented (switch `user_email_update`: refused with 422 validationError, the default, or ignored).
- A user needs an email to be invited (the invitation goes to it), and two users cannot share one
  (unverified: the same 422 as a prospect's taken email).
The seeded users are the owners every other seeded record names (`SANDBOX_USER_IDS`, ids 1..10) and six more;
they are seeded whatever the count, as an instance always has its users.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from starlette.routing import Route

from unigate.sandbox.outreach.common import SANDBOX_USER_IDS, SEED_EPOCH, iso, too_long, validation_error
from unigate.sandbox.outreach.jsonapi import BOOL, STRING, TIMESTAMPS, JsonApiResource

CUSTOM_KEYS = tuple(f"custom{i}" for i in range(1, 6))     # custom1..custom5 (OpenAPI user schema)
ATTRIBUTE_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(("email", "firstName", "lastName", "name", "username", "title", "phoneNumber", "phoneCountryCode",
                     "userGuid", "currentSignInAt", "lastSignInAt"), STRING),
    "locked": BOOL,
    **dict.fromkeys(TIMESTAMPS[:2], STRING),
    **dict.fromkeys(CUSTOM_KEYS, STRING),
}
READ_ONLY_ATTRIBUTES = ("name", "userGuid", "createdAt", "updatedAt", "currentSignInAt", "lastSignInAt")
MAX_CUSTOM_LENGTH = 225
MAX_STRING_LENGTH = 255
# `email` on a PATCH: "cannot be updated via the API" (OpenAPI user schema); refused or ignored is not documented.
EMAIL_UPDATE = ("refuse", "ignore")

# (first name, last name) of the seeded users in id order: the owners (ids 1..10) and six more; users 7 and 14
# have left (locked).
_PEOPLE = [("Avery", "Stone"), ("Blake", "Moreno"), ("Casey", "Nguyen"), ("Devon", "Price"), ("Emery", "Walsh"),
           ("Finley", "Ortiz"), ("Harper", "Quinn"), ("Jordan", "Reyes"), ("Kendall", "Brooks"), ("Logan", "Ellis"),
           ("Morgan", "Hale"), ("Noel", "Fischer"), ("Oakley", "Grant"), ("Parker", "Lin"), ("Reese", "Adler"),
           ("Sage", "Bishop")]
LOCKED_USER_IDS = (7, 14)
_TITLES = ["Sales Director", "Account Executive", "SDR", "Sales Engineer", "Customer Success Manager"]


class Users(JsonApiResource):
    """Outreach users: the fixed seed, the invite and the email rules; the rest is `JsonApiResource`."""

    name = "users"
    type_name = "user"
    path = "users"
    attribute_types = ATTRIBUTE_TYPES
    read_only_attributes = READ_ONLY_ATTRIBUTES
    to_one = {"creator": "user", "updater": "user"}
    writable_to_one = frozenset()
    filterable = frozenset({"id", "email", "firstName", "lastName", "username", "locked", "createdAt", "updatedAt",
                            "currentSignInAt", "teams"})
    sortable = frozenset({"id", "email", "firstName", "lastName", "username", "createdAt", "updatedAt",
                          "currentSignInAt"})

    default_seed_count: ClassVar[int | None] = len(_PEOPLE)

    def routes(self) -> list[Route]:
        # no DELETE: the catch-all route answers it as an unknown endpoint
        return [
            Route(f"/api/v2/{self.path}", self.collection, methods=["GET", "POST"]),
            Route(f"/api/v2/{self.path}/{{id}}", self.member, methods=["GET", "PATCH"]),
        ]

    def seed(self, count: int) -> None:
        """The instance's users (ids 1..16, the owners `SANDBOX_USER_IDS` first), whatever `count` says."""
        self.new_store()
        for i, (first, last) in enumerate(_PEOPLE):
            user_id = i + 1
            created = SEED_EPOCH - timedelta(days=300 - 11 * i, hours=i)
            updated = created + timedelta(days=40 + i, minutes=7 * i)
            attributes = dict.fromkeys(ATTRIBUTE_TYPES)
            attributes.update({
                "email": f"{first.lower()}.{last.lower()}@sandbox-outreach.example",
                "firstName": first, "lastName": last, "name": f"{first} {last}",
                "username": f"{first.lower()}{last[0].lower()}", "title": _TITLES[i % len(_TITLES)],
                "phoneNumber": f"+1 415 555 {3000 + i:04d}", "locked": user_id in LOCKED_USER_IDS,
                "userGuid": f"00000000-0000-4000-8000-{user_id:012d}",
                "custom1": "West" if i % 2 else "East",
                "currentSignInAt": iso(updated), "lastSignInAt": iso(updated - timedelta(days=1)),
                "createdAt": iso(created), "updatedAt": iso(updated),
            })
            record = self.store_record(attributes, {"creator": SANDBOX_USER_IDS[0], "updater": SANDBOX_USER_IDS[0]})
            assert record["id"] == user_id

    def defaults(self) -> dict[str, Any]:
        return {"locked": False}

    def check(self, attributes, relations, record):
        if record is not None and "email" in attributes:
            if self.emulator.switch["user_email_update"] == "ignore":
                del attributes["email"]
            else:
                return validation_error("Email cannot be updated via the API.", "/data/attributes/email")
        if record is None and not (attributes.get("email") or "").strip():
            return validation_error("Email can't be blank.", "/data/attributes/email")
        for key, value in attributes.items():
            limit = MAX_CUSTOM_LENGTH if key in CUSTOM_KEYS else MAX_STRING_LENGTH
            if isinstance(value, str) and len(value) > limit:
                return too_long(f"/data/attributes/{key}")
        email = (attributes.get("email") or "").lower()
        if email and any((other["attributes"].get("email") or "").lower() == email for other in self.store.live()):
            return validation_error("Email has already been taken.", "/data/attributes/email")
        return None

    def derive(self, record: dict[str, Any]) -> None:
        attributes = record["attributes"]
        attributes["name"] = " ".join(p for p in (attributes.get("firstName"), attributes.get("lastName")) if p) or None
