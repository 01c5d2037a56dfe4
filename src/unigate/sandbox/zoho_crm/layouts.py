"""Zoho CRM v8 layouts: `GET /crm/v8/settings/layouts?module=<Module>` (the emulator's `field_groups` resource, its
sections).

- The answer is `{"layouts": [{id, name, api_name, display_label, status, visible, profiles, created_time,
  modified_time, sections: [{id, api_name, display_label, name, sequence_number, column_count, isSubformSection,
  generated_type, fields: [...]}]}]}` (https://www.zoho.com/crm/developer/docs/api/v8/layouts-meta.html, crm-oas
  v8.0 `layouts.json`; a section's keys as the official SDK's `layouts/section.py` names them; a section's `id`:
  https://zoho.com/crm/developer/docs/api/v8/update-custom-layout.html, "Use the GET Layouts Metadata API, to
  retrieve unique section IDs"). `module` is mandatory: without it 400 `REQUIRED_PARAM_MISSING`, a module the org
  lacks 400 `INVALID_MODULE`.
- A section's fields are the module's fields as the fields metadata lists them (`module.field_list()`); the fields
  metadata covers every layout, the layouts API says where each field sits (layouts-meta.html; field-meta.html:
  "The fields displayed are from all layouts for the module").
Seed (the sandbox org's configuration, following its modules' fields): every module has its `Standard` layout, the
Deals one with the id the pipelines API takes (pipelines.py); Contacts, Accounts and Leads have custom layouts
too (CUSTOM_LAYOUTS). Each layout has Zoho's standard sections, "<Module> Information", "Address Information"
(where the module has addresses) and "Description Information", plus one section holding the org's own custom
fields (CUSTOM_SECTION). Whether a custom field created through the fields API
(https://www.zoho.com/crm/developer/docs/api/v8/create-custom-field.html) is placed in a section is not
documented: switch `new_field_section` = `none` (default: in no section until a layout update places it) /
`standard` (in the Standard layout's custom-fields section).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource
from unigate.sandbox.zoho_crm.common import error_object
from unigate.sandbox.zoho_crm.pipelines import DEALS_LAYOUT_ID

if TYPE_CHECKING:
    from unigate.sandbox.zoho_crm import ZohoCrmEmulator
    from unigate.sandbox.zoho_crm.module import ModuleResource

NEW_FIELD_SECTIONS = ("none", "standard")
# Layouts beside Standard, per module. The Deals module keeps one layout: the pipelines API serves its pipelines.
CUSTOM_LAYOUTS: dict[str, list[str]] = {
    "Contacts": ["Partner Contacts", "Event Attendees", "Investors"],
    "Accounts": ["Partners"],
    "Leads": ["Web Leads"],
}
# The section holding a module's own custom fields (an org names its sections; these are the sandbox org's).
CUSTOM_SECTION: dict[str, str] = {"Contacts": "Preferences", "Accounts": "Account Health", "Deals": "Deal Details",
                                  "Leads": "Qualification"}
# Modules in the order their layout ids are numbered (Deals first: its Standard layout is DEALS_LAYOUT_ID).
_MODULE_ORDER = ["Deals", "Contacts", "Accounts", "Leads"]
_ADDRESS_PREFIXES = ("Mailing_", "Other_", "Billing_", "Shipping_")
_ADDRESS_PARTS = ("Street", "City", "State", "Zip", "Zip_Code", "Code", "Country")
_PROFILES = [{"name": "Administrator", "id": "5725767000000026011", "default": True},
             {"name": "Standard", "id": "5725767000000026014", "default": True}]


def is_address(api_name: str) -> bool:
    if api_name in ("Street", "City", "State", "Zip_Code", "Country"):
        return True
    prefix = next((p for p in _ADDRESS_PREFIXES if api_name.startswith(p)), None)
    return prefix is not None and api_name[len(prefix):] in _ADDRESS_PARTS


class Layouts(Resource):
    """Every module's layouts and their sections; the control API shows the sections (`records/field_groups`)."""

    name: ClassVar[str] = "field_groups"
    default_seed_count: ClassVar[int | None] = 0
    emulator: ZohoCrmEmulator

    def seed(self, count: int) -> None:
        """The layouts are the org's configuration and follow the modules' fields, whatever the count."""

    def snapshot(self) -> list[dict[str, Any]]:
        return [{"module": module_name, "layout": layout["name"], "layout_id": layout["id"],
                 **{k: v for k, v in section.items() if k != "fields"},
                 "fields": [f["api_name"] for f in section["fields"]]}
                for module_name in self.emulator.modules() for layout in self.layouts_of(module_name)
                for section in layout["sections"]]

    def routes(self) -> list[Route]:
        return [Route("/crm/v8/settings/layouts", self.listed, methods=["GET"])]

    def layout_id(self, module_name: str, index: int) -> str:
        order = _MODULE_ORDER + sorted(m for m in self.emulator.modules() if m not in _MODULE_ORDER)
        return str(int(DEALS_LAYOUT_ID) + 2000 * order.index(module_name) + 200 * index)

    def layouts_of(self, module_name: str) -> list[dict[str, Any]]:
        """`module_name`'s layouts as the layouts API answers them."""
        module: ModuleResource = self.emulator.modules()[module_name]
        names = ["Standard", *CUSTOM_LAYOUTS.get(module_name, [])]
        return [self.layout(module, name, index) for index, name in enumerate(names)]

    def layout(self, module: ModuleResource, name: str, index: int) -> dict[str, Any]:
        layout_id = self.layout_id(module.module, index)
        fields = module.field_list()
        added = {api_name for api_name, *_ in module.added}
        singular = module.module[:-1] if module.module.endswith("s") else module.module
        groups: list[tuple[str, list[dict[str, Any]]]] = [
            (f"{singular} Information", [f for f in fields if not f["custom_field"] and not is_address(f["api_name"])
                                         and f["api_name"] != "Description"]),
            ("Address Information", [f for f in fields if not f["custom_field"] and is_address(f["api_name"])]),
            ("Description Information", [f for f in fields if f["api_name"] == "Description"]),
        ]
        if module.module in CUSTOM_SECTION:
            # A field created through the API joins the Standard layout's own section only if the switch says so.
            placed = index == 0 and self.emulator.switch["new_field_section"] == "standard"
            groups.append((CUSTOM_SECTION[module.module],
                           [f for f in fields if f["custom_field"] and (f["api_name"] not in added or placed)]))
        sections = []
        for label, members in groups:
            if not members and label != CUSTOM_SECTION.get(module.module):
                continue   # a module without addresses (Deals, activities) has no address section
            sections.append({
                "id": str(int(layout_id) + 10 * (len(sections) + 1)), "api_name": label, "display_label": label,
                "name": label, "sequence_number": len(sections) + 1, "column_count": 2, "isSubformSection": False,
                "generated_type": "custom" if label == CUSTOM_SECTION.get(module.module) else "default",
                "fields": members,
            })
        return {"id": layout_id, "name": name, "api_name": name.replace(" ", "_"), "display_label": name,
                "status": "active", "visible": True, "created_time": None, "modified_time": None,
                "profiles": _PROFILES if index == 0 else _PROFILES[:1], "sections": sections}

    async def listed(self, request: Request) -> Response:
        denied = self.emulator.check_auth(request)
        if denied:
            return denied
        module = request.query_params.get("module")
        if not module:
            return self.emulator.answer(error_object("REQUIRED_PARAM_MISSING", "required param is missing",
                                                     {"param_name": "module"}), 400)
        if module not in self.emulator.modules():
            return self.emulator.answer(error_object("INVALID_MODULE", "the module name given seems to be invalid",
                                                     {"param_name": "module"}), 400)
        return self.emulator.answer({"layouts": self.layouts_of(module)})
