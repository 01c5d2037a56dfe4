"""The unified contract, on every (integration, resource), end to end over loopback HTTP (gateway -> sandbox).

Parametrized over every mapping file the integrations load (`support.REGISTERED`, ids like
`hubspot-accounts`), so a new CRM or a new resource of one is held to the same contract as soon as its
files exist. Contract: Truto's unified API (https://www.truto.one/docs/api-reference/unified-crm-api) and
its Python SDK (https://github.com/trutohq/truto-python-sdk).

Every test runs on every registered pair but one: the provider that answers too late (a 504 after the
read timeout) waits out the timeout, and how a timeout is handled is the CRM's provider layer, not a
resource's mapping, so it runs once per integration (`support.provider_layer_params`, its accounts); the
fault matrix holds the rest of that layer (tests/test_fault_matrix.py). Tests that read seeded records
or write start from a freshly seeded sandbox (`fresh_sandbox`); those that need no record only clear
queued faults (`no_faults`), since reseeding is most of a short test's time.
"""

from __future__ import annotations

import asyncio

import orjson
import pytest
import requests
from support import (
    assert_reads_back,
    label_field,
    linked_records,
    list_all,
    mapping,
    provider_layer_params,
    registered_params,
    resource_case,
    sample_write_body,
    supports,
    unified_schema,
    wrong_credentials,
)

every_pair = pytest.mark.parametrize(("name", "resource"), registered_params())
once_per_integration = pytest.mark.parametrize(("name", "resource"), provider_layer_params())


@pytest.fixture
def fresh_sandbox(sandbox, name, resource):
    """The integration's emulator reseeded (every resource, the default counts), with no queued fault."""
    control = sandbox.control(name)
    control.reset()
    yield
    control.clear_faults()


@pytest.fixture
def no_faults(sandbox, name, resource):
    """No fault queued on the integration's emulator, before and after: for tests that read no record."""
    control = sandbox.control(name)
    control.clear_faults()
    yield
    control.clear_faults()


def null_paths(value, path="") -> list[str]:
    """Where `value` holds a null, an empty object or an empty list (a unified answer omits those)."""
    if value is None or value == {} or value == []:
        return [path or "(top)"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in null_paths(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in null_paths(v, f"{path}[{i}]")]
    return []


def first_record(gateway, name, resource, *, to_delete: bool = False) -> dict:
    response = gateway.unified("GET", name, params={"limit": 50 if to_delete else 5}, resource=resource)
    assert response.status_code == 200, response.text
    records = response.json()["result"]
    if to_delete:
        records = [r for r in records if resource_case(resource).deletable(r)]
    assert records, f"{name}: the sandbox seed gave no {resource}{' that may be deleted' if to_delete else ''}"
    return records[0]


def write_body(gateway, name, resource) -> dict:
    """Every writable field, with values the CRM accepts (taken from its existing records)."""
    existing = gateway.unified("GET", name, first_record(gateway, name, resource)["id"], resource=resource).json()
    return sample_write_body(name, existing, resource, linked_records(gateway, name, resource))


# -- list --------------------------------------------------------------------------------------------

@every_pair
@pytest.mark.usefixtures("fresh_sandbox")
def test_list_walks_every_page_without_duplicates(gateway, name, resource):
    """List answers {result, next_cursor, prev_cursor, result_count}; cursors reach the end."""
    if not supports(name, "list", resource):
        pytest.skip(f"{name} has no list of {resource}")
    pages = list_all(gateway, name, limit=7, resource=resource)
    ids = [record["id"] for page in pages for record in page]
    assert len(pages) >= 3, f"{name}: the seed should span several pages"
    assert len(ids) == len(set(ids)), f"{name}: duplicate ids across pages"
    assert all(isinstance(i, str) and i for i in ids)


@every_pair
@pytest.mark.usefixtures("fresh_sandbox")
def test_declared_fields_are_the_mapped_fields(gateway, name, resource):
    """`supports.fields` (coverage, GET /integration) is exactly what the mapping fills on seed data."""
    if not supports(name, "list", resource):
        pytest.skip(f"{name} has no list of {resource}")
    filled: set[str] = set()
    pages = list_all(gateway, name, limit=25, resource=resource)[:3]
    for page in pages:
        for record in page:
            filled |= {k for k, v in record.items() if v not in (None, "", [], {})}
    # Some fields only a get fills (a CRM that serves them per record, e.g. custom field values).
    for record in pages[0][:5]:
        got = gateway.unified("GET", name, record["id"], resource=resource)
        assert got.status_code == 200, got.text
        filled |= {k for k, v in got.json().items() if v not in (None, "", [], {})}
    declared = set(mapping(name, resource).fields)
    filled.discard("remote_data")
    assert filled <= declared, f"{name}: fills undeclared fields {sorted(filled - declared)}"
    assert declared <= filled, f"{name}: declares fields the seed never fills {sorted(declared - filled)}"


@every_pair
@pytest.mark.usefixtures("no_faults")
def test_a_filter_the_mapping_does_not_apply_is_refused_not_ignored(gateway, name, resource):
    """A list filtered on a field the CRM cannot filter by answers 400 naming the filters it takes: the whole
    list in answer to a filtered question would pass for a correct answer (docs/api.md "List filters")."""
    if not supports(name, "list", resource):
        pytest.skip(f"{name} has no list of {resource}")
    declared = mapping(name, resource).filters
    field = next(f for f in unified_schema(resource).schema["properties"] if f not in (*declared, "remote_data"))
    response = gateway.unified("GET", name, params={field: "x"}, resource=resource)
    assert response.status_code == 400, response.text
    body = response.json()
    assert f"`{field}`" in body["message"] and body["truto_error_insight"]["unsupported_filters"]["value"] == [field]
    assert all(f"`{f}`" in body["message"] for f in declared)


# -- get, in every format -------------------------------------------------------------------------------

@every_pair
@pytest.mark.usefixtures("fresh_sandbox")
def test_get_unified_carries_remote_data(gateway, name, resource):
    record = first_record(gateway, name, resource)
    response = gateway.unified("GET", name, record["id"], resource=resource)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == record["id"]
    assert isinstance(body["remote_data"], dict) and body["remote_data"]


@every_pair
@pytest.mark.usefixtures("fresh_sandbox")
def test_get_normalized_conforms_to_the_schema(gateway, name, resource):
    """normalized: only schema fields, schema types, no null/empty values; validated by the JSON Schema."""
    record = first_record(gateway, name, resource)
    response = gateway.unified("GET", name, record["id"], params={"truto_response_format": "normalized"},
                               resource=resource)
    assert response.status_code == 200, response.text
    body = response.json()
    errors = [e.message for e in unified_schema(resource).validator.iter_errors(body)]
    assert not errors, errors
    assert all(v not in (None, "", [], {}) for v in body.values())
    for key in body:
        if key.endswith("_at"):
            assert body[key].endswith("Z"), f"{key} is not UTC: {body[key]}"


@every_pair
@pytest.mark.usefixtures("fresh_sandbox")
def test_phone_and_address_types_are_the_unified_ones(gateway, name, resource):
    """Every listed phone and address type is one of the model's enumerations (docs/api.md "Phone and
    address types"), or absent where the CRM has none: never a CRM's own word or a made-up `primary`."""
    if not supports(name, "list", resource):
        pytest.skip(f"{name} has no list of {resource}")
    properties = unified_schema(resource).schema["properties"]
    allowed = {field: set(properties[field]["items"]["properties"]["type"]["enum"])
               for field in ("phone_numbers", "addresses")
               if "enum" in properties.get(field, {}).get("items", {}).get("properties", {}).get("type", {})}
    if not allowed:
        pytest.skip(f"crm/{resource} has no typed phone numbers or addresses")
    records = [r for page in list_all(gateway, name, limit=25, resource=resource)[:2] for r in page]
    found = {(field, item["type"]) for r in records for field in allowed for item in r.get(field) or [] if "type" in item}
    assert all(kind in allowed[field] for field, kind in found), sorted(found)


@every_pair
@pytest.mark.usefixtures("fresh_sandbox")
def test_raw_and_stream_return_the_provider_body(gateway, name, resource):
    """raw: the provider's status, content type and bytes; stream: the same bytes, streamed."""
    record = first_record(gateway, name, resource)
    raw = gateway.unified("GET", name, record["id"], params={"truto_response_format": "raw"}, resource=resource)
    assert raw.status_code == 200
    assert "json" in raw.headers["content-type"]
    provider_body = orjson.loads(raw.content)
    assert "remote_data" not in provider_body
    streamed = gateway.unified("GET", name, record["id"], params={"truto_response_format": "stream"}, stream=True,
                               resource=resource)
    assert streamed.status_code == 200
    assert "content-length" not in streamed.headers  # chunked: passed on as it arrives
    assert orjson.loads(b"".join(streamed.iter_content(None)))
    listed = gateway.unified("GET", name, params={"truto_response_format": "raw", "limit": 3}, resource=resource)
    assert listed.status_code == 200 and orjson.loads(listed.content)


@every_pair
@pytest.mark.usefixtures("no_faults")
def test_unknown_format_is_refused(gateway, name, resource):
    response = gateway.unified("GET", name, params={"truto_response_format": "xml"}, resource=resource)
    assert response.status_code == 400
    assert "unified, normalized, raw, stream" in response.json()["message"]


@every_pair
@pytest.mark.usefixtures("fresh_sandbox")
def test_ignore_remote_data_and_exclude_fields(gateway, name, resource):
    top, *nested_paths = resource_case(resource).excluded  # a resource with no nested field names only `top`
    record = first_record(gateway, name, resource)
    response = gateway.unified("GET", name, record["id"], resource=resource,
                               params={"truto_ignore_remote_data": "true", "truto_exclude_fields[]": [top, *nested_paths]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "remote_data" not in body and top not in body
    if not nested_paths:
        return
    parent, child = nested_paths[0].split(".")
    nested_value = body.get(parent)  # a list of objects (addresses) or one object (a stage)
    items = nested_value if isinstance(nested_value, list) else [nested_value] if nested_value else []
    assert all(child not in item for item in items)


# -- writes ------------------------------------------------------------------------------------------

@every_pair
@pytest.mark.usefixtures("fresh_sandbox")
def test_create_reads_back_then_update_then_delete(gateway, name, resource):
    """Create with every writable field, read it back, update it, delete it, and see it gone."""
    if not supports(name, "create", resource):
        pytest.skip(f"{name} cannot create {resource}")
    sent = write_body(gateway, name, resource)
    created = gateway.unified("POST", name, json=sent, resource=resource)
    assert created.status_code == 200, created.text  # docs/api.md: a create answers 200, as Truto's does
    new_id = created.json()["id"]
    assert_reads_back(name, sent, created.json(), resource)
    fetched = gateway.unified("GET", name, new_id, resource=resource)
    assert fetched.status_code == 200, fetched.text
    assert_reads_back(name, sent, fetched.json(), resource)

    if supports(name, "update", resource):
        label = label_field(name, resource)
        patch = {label: sent.get(label, "Contract") + " renamed"}
        updated = gateway.unified("PATCH", name, new_id, json=patch, resource=resource)
        assert updated.status_code == 200, updated.text
        assert gateway.unified("GET", name, new_id, resource=resource).json()[label] == patch[label]

    if not supports(name, "delete", resource):
        # created for good (Capsule's field definitions: its API documents no delete; crm/field_groups: Truto has
        # none): a delete answers 405, and the record stays
        refused = gateway.unified("DELETE", name, new_id, resource=resource)
        assert refused.status_code == 405, refused.text
        assert gateway.unified("GET", name, new_id, resource=resource).status_code == 200
        return
    deleted = gateway.unified("DELETE", name, new_id, resource=resource)
    assert deleted.status_code == 200, deleted.text
    assert deleted.headers["content-type"].startswith("application/json")
    assert deleted.json()["id"] == new_id
    assert gateway.unified("GET", name, new_id, resource=resource).status_code == 404


def _text_leaves(value) -> list[str]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _text_leaves(v)]
    if isinstance(value, list):
        return [t for v in value for t in _text_leaves(v)]
    return [value] if isinstance(value, str) else []


@every_pair
@pytest.mark.usefixtures("fresh_sandbox")
def test_a_field_not_declared_writable_is_not_sent(gateway, sandbox, name, resource):
    """`supports.writable` (docs/coverage.md `w`) is what a create sends: a unified field the mapping
    writes must be declared writable, so the coverage never calls a written field read-only."""
    if not supports(name, "create", resource):
        pytest.skip(f"{name} cannot create {resource}")
    from unigate.models import READ_ONLY_FIELDS

    existing = gateway.unified("GET", name, first_record(gateway, name, resource)["id"], resource=resource).json()
    links = linked_records(gateway, name, resource)
    body = sample_write_body(name, existing, resource, links)
    candidates = resource_case(resource).candidates("unwritten", existing, links)
    writable = set(mapping(name, resource).writable)
    others = {k: v for k, v in candidates.items() if k not in writable and k not in READ_ONLY_FIELDS and v}
    if not others:
        pytest.skip(f"{name} writes every unified field it is given")
    sent_by_writable = {t for k in body for t in _text_leaves(body[k])}
    probes = {k: [t for t in _text_leaves(v) if len(t) > 5 and t not in sent_by_writable] for k, v in others.items()}
    control = sandbox.control(name)
    control.clear_requests()
    gateway.unified("POST", name, json={**body, **others}, resource=resource)
    written = b" ".join(orjson.dumps(r["body"]) for r in control.requests() if r["method"] in ("POST", "PUT", "PATCH"))
    leaked = {k: t for k, texts in probes.items() for t in texts if orjson.dumps(t)[1:-1] in written}
    assert not leaked, f"{name}: sent fields it does not declare writable: {leaked}"


@every_pair
@pytest.mark.usefixtures("fresh_sandbox")
def test_a_create_without_a_required_field_is_400_naming_it(gateway, sandbox, name, resource):
    """`supports.required` (docs/coverage.md): a create lacking a field the CRM requires (and no default
    fills) is the gateway's 400 naming it, and nothing of the body reaches the CRM."""
    required = mapping(name, resource).required if supports(name, "create", resource) else ()
    defaulted = {f for f, _ in mapping(name, resource).methods["create"].defaults} if required else set()
    entries = [entry for entry in required if not set(entry) & defaulted]
    if not entries:
        pytest.skip(f"{name} requires nothing on create {resource} that it does not fill in")
    existing = gateway.unified("GET", name, first_record(gateway, name, resource)["id"], resource=resource).json()
    full = sample_write_body(name, existing, resource, linked_records(gateway, name, resource))
    control = sandbox.control(name)
    for entry in entries:
        body = {k: v for k, v in full.items() if k not in entry}
        control.clear_requests()
        answer = gateway.unified("POST", name, json=body, resource=resource)
        assert answer.status_code == 400, answer.text
        assert all(f"`{field}`" in answer.json()["message"] for field in entry), answer.json()
        assert answer.json()["truto_error_insight"]["missing_required_fields"]["value"] == [list(entry)]
        sent = b" ".join(orjson.dumps(r["body"]) for r in control.requests())
        leaked = [t for t in _text_leaves(body) if len(t) > 5 and orjson.dumps(t)[1:-1] in sent]
        assert not leaked, f"{name}: the create reached the CRM: {leaked}"


@every_pair
@pytest.mark.usefixtures("fresh_sandbox")
def test_declared_value_formats_are_what_the_crm_receives(gateway, sandbox, name, resource):
    """`supports.formats` (docs/coverage.md): a unified country code reaches the CRM as the declared
    format (the code, or the country's name) and reads back as the code; a phone number reads back as
    written, or in E.164 where the CRM reformats it."""
    declared = mapping(name, resource).formats
    writable = mapping(name, resource).writable
    if not supports(name, "create", resource) or not ({"country", "phone"} & set(declared)):
        pytest.skip(f"{name} declares no country or phone format for {resource}")
    existing = gateway.unified("GET", name, first_record(gateway, name, resource)["id"], resource=resource).json()
    body = sample_write_body(name, existing, resource, linked_records(gateway, name, resource))
    if "addresses" in writable:
        body["addresses"] = [{**body["addresses"][0], "country": "DE"}]
    control = sandbox.control(name)
    control.clear_requests()
    created = gateway.unified("POST", name, json=body, resource=resource)
    assert created.status_code == 200, created.text
    written = b" ".join(orjson.dumps(r["body"]) for r in control.requests() if r["method"] in ("POST", "PUT", "PATCH"))
    record = gateway.unified("GET", name, created.json()["id"], resource=resource).json()
    if "country" in declared:
        spelled = {"name": "Germany", "alpha2": "DE", "free_text": "DE"}[declared["country"]]
        assert b'"' + spelled.encode() + b'"' in written, written
        if declared["country"] == "name":
            assert b'"DE"' not in written, written   # a CRM that keeps names never gets the code
        assert record["addresses"][0]["country"] == "DE", record["addresses"]
    if "phone" in declared and "phone_numbers" in body:
        numbers = [p["number"] for p in record.get("phone_numbers") or []]
        sent = body["phone_numbers"][0]["number"]
        want = "+" + "".join(ch for ch in sent if ch.isdigit()) if declared["phone"] == "e164" else sent
        assert want in numbers, numbers


@every_pair
@pytest.mark.usefixtures("fresh_sandbox")
def test_delete_a_seeded_record(gateway, name, resource):
    if not supports(name, "delete", resource):
        pytest.skip(f"{name} cannot delete {resource}")
    record = first_record(gateway, name, resource, to_delete=True)
    response = gateway.unified("DELETE", name, record["id"], resource=resource)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == record["id"]
    # Like every other answer, a delete omits what it does not know rather than answering null.
    assert not null_paths({k: v for k, v in response.json().items() if k != "remote_data"}), response.json()
    after = gateway.unified("GET", name, record["id"], resource=resource)
    assert after.status_code == 404
    assert after.json()["truto_is_remote_error"] is True


@every_pair
@pytest.mark.usefixtures("fresh_sandbox")
def test_remote_data_in_a_write_reaches_the_provider(gateway, sandbox, name, resource):
    if not supports(name, "update", resource):
        pytest.skip(f"{name} cannot update {resource}")
    record = first_record(gateway, name, resource)
    control = sandbox.control(name)
    control.clear_requests()
    marker = {"unigate_probe": "probe-value-7"}
    gateway.unified("PATCH", name, record["id"], json={label_field(name, resource): "Probe", "remote_data": marker},
                    resource=resource)
    # Merged as given (or, where the integration declares it, turned into its write format, e.g. JSON Patch).
    bodies = [orjson.dumps(r["body"]) for r in control.requests() if r["method"] in ("PATCH", "PUT", "POST")]
    assert any(b"unigate_probe" in b and b"probe-value-7" in b for b in bodies), bodies


# -- provider errors ---------------------------------------------------------------------------------------

@every_pair
@pytest.mark.usefixtures("no_faults")
def test_provider_not_found_is_404(gateway, name, resource):
    response = gateway.unified("GET", name, "990000000099", resource=resource)
    assert response.status_code == 404, response.text
    body = response.json()
    assert body["truto_is_remote_error"] is True
    assert body["statusCode"] == 404 and body["error"] == "Not Found"
    assert "raw_response" in body and body["message"]


@every_pair
@pytest.mark.usefixtures("no_faults")
def test_provider_refusing_credentials_is_401(gateway, name, resource):
    created = gateway.admin("POST", "/integrated-account",
                            json={"integration": name, "is_sandbox": True, "context": wrong_credentials(name)})
    assert created.status_code == 201, created.text
    response = requests.get(f"{gateway.url}/unified/crm/{resource}", headers=gateway.headers, timeout=10,
                            params={"integrated_account_id": created.json()["id"]})
    assert response.status_code == 401, response.text
    assert response.json()["truto_is_remote_error"] is True
    assert "wrong-credential" not in response.text


@every_pair
@pytest.mark.usefixtures("no_faults")
def test_provider_rate_limit_is_429_with_retry_after(gateway, sandbox, name, resource):
    sandbox.control(name).fault(status=429, body={"message": "slow down"}, headers={"Retry-After": "7"})
    response = gateway.unified("GET", name, params={"limit": 2}, resource=resource)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["truto_error_insight"]["rate_limit_error"]


@every_pair
@pytest.mark.usefixtures("no_faults")
def test_provider_failure_is_502(gateway, sandbox, name, resource):
    sandbox.control(name).fault(status=500, body={"message": "boom"})
    response = gateway.unified("GET", name, params={"limit": 2}, resource=resource)
    assert response.status_code == 502
    assert response.json()["raw_response"] == {"message": "boom"}


@once_per_integration
@pytest.mark.usefixtures("no_faults")
def test_provider_too_slow_is_504(gateway, sandbox, name, resource):
    sandbox.control(name).fault(delay=gateway.settings.read_timeout + 1.0)
    response = gateway.unified("GET", name, params={"limit": 2}, resource=resource)
    assert response.status_code == 504
    assert "did not answer in time" in response.json()["message"]
    # the gateway keeps serving
    assert gateway.unified("GET", name, params={"limit": 2}, resource=resource).status_code == 200


@pytest.mark.parametrize("hostile", ["a/b", "a%2Fb", "a?b=c", "a#b", "..", "../..", "%2E%2E"])
@every_pair
@pytest.mark.usefixtures("no_faults")
def test_hostile_ids_stay_one_path_segment(gateway, sandbox, name, resource, hostile):
    """An id is percent-encoded into the provider path: it can never change which path is called."""
    control = sandbox.control(name)
    # steps cached per account (discovery) run now, not in one call only
    gateway.unified("GET", name, "plainid", resource=resource)
    control.clear_requests()
    encoded = requests.utils.quote(hostile, safe="").replace(".", "%2E")  # clients would fold a bare ..
    response = requests.get(f"{gateway.url}/unified/crm/{resource}/{encoded}", headers=gateway.headers, timeout=10,
                            params={"integrated_account_id": gateway.accounts[name]})
    # Two answers are right, by id and CRM: the CRM finds no such record (404), or the id cannot become
    # one path segment the CRM accepts (400); what matters is which path was called, checked below.
    assert response.status_code in (400, 404), response.text
    recorded = control.requests()
    assert recorded, "the provider was called"
    for request in recorded:
        assert "/../" not in request["raw_path"] and not request["raw_path"].endswith("/..")
        assert request["raw_path"].startswith(f"/{name}/")
    control.clear_requests()
    gateway.unified("GET", name, "plainid", resource=resource)
    baseline = {r["raw_path"].count("/") for r in control.requests()}
    assert {r["raw_path"].count("/") for r in recorded} <= baseline


# -- Truto's own Python SDK ----------------------------------------------------------------------------

@every_pair
@pytest.mark.usefixtures("fresh_sandbox")
def test_truto_python_sdk_round_trip(gateway, name, resource):
    """truto-python-sdk with base_url pointed at the gateway: list all pages, get, create, update, delete."""
    from truto_python_sdk import TrutoApi

    links = linked_records(gateway, name, resource)

    async def run():
        api = TrutoApi(token=gateway.token, base_url=gateway.url)
        # The resource's own query parameters too (crm/fields' `entity`, which a Capsule field create requires).
        query = {"integrated_account_id": gateway.accounts[name], "limit": 9, **resource_case(resource).query}
        listed = await api.unified_api.list("crm", resource, dict(query)).to_array()
        direct = [r["id"] for page in list_all(gateway, name, limit=9, resource=resource) for r in page]
        assert [r["id"] for r in listed] == direct
        one = await api.unified_api.get("crm", resource, listed[0]["id"], dict(query))
        assert one["id"] == listed[0]["id"]
        if supports(name, "create", resource):
            sent = sample_write_body(name, one, resource, links)
            created = await api.unified_api.create("crm", resource, sent, dict(query))
            assert_reads_back(name, sent, created, resource)
            target = created["id"]
            if supports(name, "update", resource):
                label = label_field(name, resource)
                updated = await api.unified_api.update("crm", resource, target, {label: "SDK renamed"}, dict(query))
                assert updated[label] == "SDK renamed"
        else:
            target = listed[-1]["id"]
        if supports(name, "delete", resource):
            deleted = await api.unified_api.delete("crm", resource, target, dict(query))
            assert deleted["id"] == target

    asyncio.run(run())
