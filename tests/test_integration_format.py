"""The integration file format (docs/integrations.md): JSON Schemas, `$ref` to shared pieces, method
defaults and the per-resource `config` block, through the loader and, for config, through the gateway."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import requests
import yaml
from support import SPECS

from unigate.engine.spec import (
    INTEGRATIONS_DIR,
    SCHEMA_DIR,
    ConfiguredExpression,
    SpecError,
    load_integration,
    load_integrations,
)
from unigate.models import load_resources
from unigate.sandbox.monday import ACCOUNTS_BOARD_ID, CONTACTS_BOARD_ID

FOLDERS = sorted(p for p in INTEGRATIONS_DIR.iterdir() if (p / "integration.yaml").is_file())
MAPPING_FILES = sorted(f for folder in FOLDERS for f in folder.glob("*/*.yaml"))


# -- every shipped file -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [f / "integration.yaml" for f in FOLDERS] + MAPPING_FILES,
                         ids=lambda p: str(p.relative_to(INTEGRATIONS_DIR)))
def test_every_shipped_file_names_its_schema_on_its_first_line(path: Path):
    first = path.read_text().splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix), f"{path}: first line {first!r}"
    schema = (path.parent / first[len(prefix):]).resolve()
    wanted = "integration.schema.json" if path.name == "integration.yaml" else "resource.schema.json"
    assert schema == (SCHEMA_DIR / wanted).resolve()


def test_every_shipped_integration_validates_and_loads():
    loaded = load_integrations()
    assert sorted(loaded) == [f.name for f in FOLDERS]
    assert all(("crm", "accounts") in i.mappings for i in loaded.values())


def test_the_schemas_are_package_data():
    pyproject = (INTEGRATIONS_DIR.parents[2] / "pyproject.toml").read_text()
    assert '"integrations/schema/*.schema.json"' in pyproject
    for name in ("integration.schema.json", "resource.schema.json"):
        json.loads((SCHEMA_DIR / name).read_text())


# -- broken files -------------------------------------------------------------------------------------


def copy_of(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(INTEGRATIONS_DIR / name, folder)
    return folder


def rewrite(path: Path, change) -> None:
    """Apply `change` to the parsed YAML and write it back (comments go; the loader does not need them)."""
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def refused(folder: Path) -> str:
    with pytest.raises(SpecError) as caught:
        load_integration(folder)
    return str(caught.value)


def test_a_wrong_type_names_the_file_and_the_key(tmp_path):
    folder = copy_of(tmp_path, "hubspot")
    rewrite(folder / "integration.yaml",
            lambda d: d["resources"]["companies"]["list"]["pagination"].update(max_limit="lots"))
    message = refused(folder)
    assert str(folder / "integration.yaml") in message
    assert "$.resources.companies.list.pagination.max_limit" in message and "'lots' is not of type 'integer'" in message


def test_an_unknown_key_names_the_file_and_the_key(tmp_path):
    folder = copy_of(tmp_path, "pipedrive")
    rewrite(folder / "crm" / "accounts.yaml", lambda d: d["delete"].update(filters="name = 'x'"))
    message = refused(folder)
    assert str(folder / "crm" / "accounts.yaml") in message
    assert "$.delete" in message and "'filters' was unexpected" in message


def test_a_missing_required_key_names_the_file_and_the_key(tmp_path):
    folder = copy_of(tmp_path, "zoho_crm")
    rewrite(folder / "integration.yaml", lambda d: d["oauth"].pop("token_url"))
    message = refused(folder)
    assert str(folder / "integration.yaml") in message
    assert "$.oauth" in message and "'token_url' is a required property" in message


def test_a_step_without_its_method_is_refused(tmp_path):
    folder = copy_of(tmp_path, "zendesk_sell")
    rewrite(folder / "integration.yaml", lambda d: d["shared"]["existing_organization_step"].pop("method"))
    message = refused(folder)
    assert "crm/accounts.yaml" in message and "$.update.before[0]" in message and "after resolving $ref" in message


def test_defaults_outside_create_and_unwritable_required_fields_are_refused(tmp_path):
    """`defaults` fill a create's body only; a required or defaulted field must be one the mapping writes."""
    folder = copy_of(tmp_path, "pipeliner")
    rewrite(folder / "crm" / "accounts.yaml", lambda d: d["update"].update(defaults={"owner": "{}"}))
    assert "only create fills in defaults" in refused(folder)
    folder = copy_of(tmp_path / "again", "pipeliner")
    rewrite(folder / "crm" / "accounts.yaml", lambda d: d["supports"].update(required=["name", "tags"]))
    assert "'tags' is required or defaulted on create but not writable" in refused(folder)


def test_an_exclusive_filter_group_names_declared_filters_or_a_declared_sort(tmp_path):
    """`sort_by` may join an exclusive group only where the resource sorts; any other name must be a filter."""
    assert ("updated_at", "sort_by") in load_integration(INTEGRATIONS_DIR / "copper").mappings[("crm", "accounts")].exclusive_filters
    folder = copy_of(tmp_path, "copper")
    rewrite(folder / "crm" / "accounts.yaml", lambda d: d["supports"].pop("sort_by"))
    assert "$.supports.exclusive_filters: 'sort_by' is not in supports.filters" in refused(folder)
    folder = copy_of(tmp_path / "again", "copper")
    rewrite(folder / "crm" / "accounts.yaml", lambda d: d["supports"].update(exclusive_filters=[["updated_at", "name"]]))
    assert "'name' is not in supports.filters" in refused(folder)


def test_per_page_steps_belong_to_a_list_and_are_never_cached(tmp_path):
    """A `per_page` step reads one page's records: a get has no page, and a per-account cache would hand one
    page's links to every other page."""
    step = {"name": "page_links", "resource": "deal_company_associations", "method": "batch_read",
            "body": '{"inputs": [records.{"id": id}]}'}
    folder = copy_of(tmp_path, "hubspot")
    rewrite(folder / "crm" / "opportunities.yaml", lambda d: d["get"].update(per_page=[step]))
    assert "get.per_page: only a list reads pages" in refused(folder)
    folder = copy_of(tmp_path / "again", "hubspot")
    rewrite(folder / "crm" / "opportunities.yaml",
            lambda d: d["list"]["alternatives"][0].update(per_page=[{**step, "cache": "account"}]))
    assert "page_links reads one page's records; it cannot be cached per account" in refused(folder)
    folder = copy_of(tmp_path / "third", "hubspot")
    rewrite(folder / "crm" / "opportunities.yaml",
            lambda d: d["list"]["before"][0].update(replaces_records=True))
    assert "only a list's per_page step replaces a page's records" in refused(folder)


def test_an_unknown_value_format_is_refused(tmp_path):
    folder = copy_of(tmp_path, "capsule")
    rewrite(folder / "crm" / "accounts.yaml", lambda d: d["supports"]["formats"].update(country="iso-numeric"))
    assert "$.supports.formats.country" in refused(folder)


def test_a_method_with_neither_its_own_nor_a_default_path_is_refused(tmp_path):
    folder = copy_of(tmp_path, "monday")
    rewrite(folder / "integration.yaml", lambda d: d["defaults"].pop("path"))
    assert "resources.items.boards: needs method and path" in refused(folder)


def test_checks_the_schema_cannot_make_stay(tmp_path):
    folder = copy_of(tmp_path, "capsule")
    rewrite(folder / "crm" / "accounts.yaml", lambda d: d["get"].update(not_found_if="response.type = ("))
    assert "accounts.yaml.get.not_found_if: invalid JSONata" in refused(folder)
    folder = copy_of(tmp_path / "2", "capsule")
    rewrite(folder / "crm" / "accounts.yaml", lambda d: d["get"].update(method="fetch"))
    assert "no method 'fetch' on resource 'parties'" in refused(folder)


def test_a_method_mapped_but_not_supported_is_refused(tmp_path):
    folder = copy_of(tmp_path, "hubspot")
    rewrite(folder / "crm" / "accounts.yaml", lambda d: d["supports"]["methods"].remove("delete"))
    assert "$.delete: the method is mapped but not in supports.methods" in refused(folder)


def test_a_reason_for_a_method_the_crm_does_serve_is_refused(tmp_path):
    folder = copy_of(tmp_path, "hubspot")
    rewrite(folder / "crm" / "pipelines.yaml", lambda d: d["supports"]["not_supported"].update(get="Cannot."))
    assert "$.supports.not_supported.get: the method is in supports.methods" in refused(folder)
    folder = copy_of(tmp_path / "2", "hubspot")
    rewrite(folder / "crm" / "pipelines.yaml", lambda d: d["supports"]["not_supported"].update(merge="Cannot."))
    assert "$.supports.not_supported" in refused(folder)  # only the five unified methods


def test_a_step_result_is_compiled_at_start(tmp_path):
    folder = copy_of(tmp_path, "hubspot")
    rewrite(folder / "crm" / "stages.yaml", lambda d: d["update"]["before"][0].update(result="response.("))
    assert "stages.yaml.update.before[0].result: invalid JSONata" in refused(folder)


# -- $ref -----------------------------------------------------------------------------------------------


def test_an_unknown_reference_is_refused_with_the_known_names(tmp_path):
    folder = copy_of(tmp_path, "monday")
    text = (folder / "crm" / "accounts.yaml").read_text().replace("#/shared/board_lookup", "#/shared/board_lokup", 1)
    (folder / "crm" / "accounts.yaml").write_text(text)
    message = refused(folder)
    assert "accounts.yaml" in message and "unknown reference '#/shared/board_lokup'" in message
    assert "board_lookup" in message and "board_step" in message


def test_a_reference_cycle_is_refused(tmp_path):
    folder = copy_of(tmp_path, "hubspot")

    def cyclic(d):
        d["shared"] = {"a": {"$ref": "#/shared/b"}, "b": {"style": "cursor", "x": {"$ref": "#/shared/a"}}}
        d["resources"]["companies"]["list"]["pagination"] = {"$ref": "#/shared/a"}

    rewrite(folder / "integration.yaml", cyclic)
    assert "reference cycle #/shared/a -> #/shared/b -> #/shared/a" in refused(folder)


def test_keys_beside_a_reference_override_the_shared_piece(tmp_path):
    folder = copy_of(tmp_path, "hubspot")

    def shared_pagination(d):
        pagination = d["resources"]["companies"]["list"].pop("pagination")
        d["shared"] = {**(d.get("shared") or {}), "paging": pagination}
        d["resources"]["companies"]["list"]["pagination"] = {"$ref": "#/shared/paging", "max_limit": 50}

    rewrite(folder / "integration.yaml", shared_pagination)
    pagination = load_integration(folder).resources["companies"]["list"].pagination
    assert pagination.max_limit == 50 and pagination.cursor_param == "after"
    assert pagination.next_cursor.source == "response.paging.next.after"


def test_monday_declares_its_board_step_once_and_every_method_uses_it():
    integration = load_integrations()["monday"]
    mapping = integration.mappings[("crm", "accounts")]
    steps = [m.before for name, m in mapping.methods.items() if name != "delete"]
    assert [[s.name for s in before] for before in steps] == [["board"]] * 4
    assert len({s[0].body.source for s in steps}) == 1
    accounts_text = (INTEGRATIONS_DIR / "monday" / "crm" / "accounts.yaml").read_text()
    assert "boards(ids: $ids" not in accounts_text and accounts_text.count("#/shared/board_lookup") == 3


# -- defaults ---------------------------------------------------------------------------------------------


def test_defaults_apply_unless_a_method_overrides_or_drops_them(tmp_path):
    folder = copy_of(tmp_path, "pipeliner")

    def change(d):
        d["defaults"]["pagination"] = {"style": "page", "page_param": "page"}
        d["resources"]["fields"]["list"]["pagination"] = None
        d["resources"]["accounts"]["get"]["record"] = "response.item"

    rewrite(folder / "integration.yaml", change)
    resources = load_integration(folder).resources
    assert resources["accounts"]["create"].record.source == "response.data"     # the default
    assert resources["accounts"]["get"].record.source == "response.item"        # its own
    assert resources["accounts"]["list"].pagination.style == "cursor"           # its own, merged key by key
    assert resources["accounts"]["list"].pagination.page_param == "page"
    assert resources["fields"]["list"].pagination is None                      # dropped with null
    assert resources["accounts"]["get"].pagination.style == "page"


def test_a_proxy_request_is_compiled_at_start_and_its_example_needs_it(tmp_path):
    from unigate.engine.proxy import unavailable_reason

    items = load_integrations()["monday"].resources["items"]
    assert unavailable_reason(items["get"]) is None and items["get"].request is not None
    folder = copy_of(tmp_path, "monday")
    rewrite(folder / "integration.yaml", lambda d: d["resources"]["items"]["get"].pop("request"))
    # without `request` the id has nowhere to go but a document the caller cannot write through the proxy
    assert "record id does not go in its path" in unavailable_reason(load_integration(folder).resources["items"]["get"])
    folder = copy_of(tmp_path / "2", "monday")
    rewrite(folder / "integration.yaml", lambda d: d["resources"]["items"]["delete"].update(request="{\"id\": ("))
    assert "resources.items.delete.request: invalid JSONata" in refused(folder)
    folder = copy_of(tmp_path / "3", "monday")
    rewrite(folder / "integration.yaml", lambda d: d["resources"]["items"]["boards"].update(example={"query": {}}))
    assert "resources.items.boards.example: documents a method's `request`" in refused(folder)


def test_outreach_writes_keep_their_json_api_content_type():
    methods = load_integrations()["outreach"].resources["accounts"]
    assert methods["create"].content_type == methods["update"].content_type == "application/vnd.api+json"


# -- config -------------------------------------------------------------------------------------------------


def test_config_is_the_files_values_overridden_per_account_under_resources():
    mapping = load_integrations()["monday"].mappings[("crm", "accounts")]
    assert mapping.config == {"board_name": "Accounts", "board_id": None}
    step_body = mapping.methods["list"].before[0].body
    assert isinstance(step_body, ConfiguredExpression)
    config_for = step_body.config_for
    assert config_for({}) == {"board_name": "Accounts", "board_id": None}
    assert config_for(None) == {"board_name": "Accounts", "board_id": None}          # no context: the file's values
    assert config_for({"resources": {"accounts": {"board_name": "Clients", "other": 1}}}) == \
        {"board_name": "Clients", "board_id": None}                                  # undeclared keys are ignored
    assert config_for({"board_id": "42"})["board_id"] == "42"                        # the deprecated alias
    assert config_for({"board_id": "42", "resources": {"accounts": {"board_id": "7"}}})["board_id"] == "7"
    assert config_for({"resources": {"contacts": {"board_name": "X"}}})["board_name"] == "Accounts"
    sent = step_body.evaluate({"context": {"resources": {"accounts": {"board_id": 7}}}, "steps": {}})
    assert sent["variables"] == {"ids": ["7"]}
    # An expression that does not read config is left as it was compiled.
    assert not isinstance(mapping.methods["delete"].body, ConfiguredExpression)


def test_the_shipped_config_blocks():
    loaded = load_integrations()
    assert loaded["zoho_crm"].mappings[("crm", "accounts")].config == {"module": "Accounts"}
    assert loaded["capsule"].mappings[("crm", "accounts")].config == {"party_type": "organisation"}
    assert loaded["copper"].mappings[("crm", "accounts")].config == {"custom_field_entity": "company"}


def test_a_deprecated_context_key_must_name_a_config_key(tmp_path):
    folder = copy_of(tmp_path, "monday")
    rewrite(folder / "crm" / "accounts.yaml", lambda d: d["deprecated_context_keys"].update(board="board"))
    assert "$.deprecated_context_keys: ['board'] are not keys of config" in refused(folder)


def test_the_board_id_is_no_longer_a_credential_field():
    monday = load_integrations()["monday"]
    assert all(f.name != "board_id" for a in monday.auth for f in a.fields)


# -- config through the gateway (monday's board) --------------------------------------------------------


def account_with(gateway, context_extra: dict) -> str:
    context = {**SPECS["monday"].sandbox_context, **context_extra}
    created = gateway.admin("POST", "/integrated-account", json={"integration": "monday", "is_sandbox": True,
                                                                 "tenant_id": "tests", "context": context})
    assert created.status_code == 201, created.text
    return created.json()["id"]


def listed_board_ids(gateway, sandbox, account_id: str) -> tuple[list[str], list[dict]]:
    ctl = sandbox.control("monday")
    ctl.clear_requests()
    response = requests.get(f"{gateway.url}/unified/crm/accounts", headers=gateway.headers, timeout=10,
                            params={"integrated_account_id": account_id, "limit": 100})
    assert response.status_code == 200, response.text
    board_of = {i["id"]: i["board_id"] for i in ctl.records("accounts") + ctl.records("contacts")}
    return sorted({board_of[r["id"]] for r in response.json()["result"]}), [r["body"] for r in ctl.requests()]


@pytest.fixture
def monday(sandbox):
    control = sandbox.control("monday")
    control.reset()
    yield control
    control.clear_faults()


def test_an_account_can_name_another_board_in_its_context(gateway, sandbox, monday):
    account = account_with(gateway, {"resources": {"accounts": {"board_name": "Contacts"}}})
    boards, sent = listed_board_ids(gateway, sandbox, account)
    assert boards == [CONTACTS_BOARD_ID]
    assert sent[0]["variables"] == {"ids": None}                       # discovery of every board, then by name
    assert sent[1]["variables"]["board"] == [CONTACTS_BOARD_ID]


def test_an_account_can_give_the_board_id_under_resources(gateway, sandbox, monday):
    account = account_with(gateway, {"resources": {"accounts": {"board_id": CONTACTS_BOARD_ID}}})
    boards, sent = listed_board_ids(gateway, sandbox, account)
    assert boards == [CONTACTS_BOARD_ID]
    assert sent[0]["variables"] == {"ids": [CONTACTS_BOARD_ID]}


def test_the_deprecated_top_level_board_id_is_still_read(gateway, sandbox, monday):
    account = account_with(gateway, {"board_id": CONTACTS_BOARD_ID})
    boards, sent = listed_board_ids(gateway, sandbox, account)
    assert boards == [CONTACTS_BOARD_ID]
    assert sent[0]["variables"] == {"ids": [CONTACTS_BOARD_ID]}


def test_without_config_in_the_context_the_accounts_board_is_used(gateway, sandbox, monday):
    boards, sent = listed_board_ids(gateway, sandbox, account_with(gateway, {}))
    assert boards == [ACCOUNTS_BOARD_ID]
    assert sent[0]["variables"] == {"ids": None}


def test_filters_values_and_unmapped_reasons_are_checked_at_start(tmp_path):
    """A filter needs a list, a constrained value a writable field; a reason for an unmapped resource cannot
    sit beside its mapping file."""
    folder = copy_of(tmp_path, "hubspot")
    rewrite(folder / "crm" / "accounts.yaml", lambda d: d["supports"].update(values={"engagement_type": ["call"]}))
    assert "$.supports.values.engagement_type: the field is not writable" in refused(folder)
    folder = copy_of(tmp_path / "2", "hubspot")
    rewrite(folder / "integration.yaml", lambda d: d.update(not_mapped={"crm/accounts": "No companies."}))
    assert "$.not_mapped.crm/accounts: the resource has a mapping file" in refused(folder)
    folder = copy_of(tmp_path / "3", "capsule")
    rewrite(folder / "crm" / "stages.yaml", lambda d: (d["supports"]["methods"].remove("list"), d.pop("list"),
                                                       d["supports"].update(filters=["pipeline"])))
    assert "$.supports.filters: the resource has no list" in refused(folder)


def test_every_declared_filter_and_value_is_a_field_of_the_unified_model():
    for name, integration in load_integrations().items():
        for (model, resource), mapping in integration.mappings.items():
            properties = load_resources()[(model, resource)].schema["properties"]
            for declared in (*mapping.filters, *mapping.values):
                assert declared in properties, f"{name} {model}/{resource}: {declared} is not a unified field"
        for key in integration.not_mapped:
            assert tuple(key.split("/", 1)) in load_resources(), f"{name}: not_mapped names no unified resource {key}"
