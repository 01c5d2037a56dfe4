"""Activities hang off accounts, contacts and deals: a call (note, task) written with all three reads back with
them, and is found again from each one through a list filtered on that link, where the CRM can filter so.

Parametrised over every registered activity mapping (notes, tasks, engagements) that can create and write a
link: a CRM that gains one is held to this with no test edit. The filters a mapping declares
(`supports.filters`) are each checked; a link filter it does not declare must be refused (400), never answered
with the unfiltered list (docs/api.md "List filters").
"""

from __future__ import annotations

import pytest
from support import REGISTERED, assert_reads_back, list_all, mapping, sample_write_body, supports

ACTIVITIES = ("engagements", "notes", "tasks")
LINKS = {"account": "accounts", "contact": "contacts", "opportunity": "opportunities"}

activity_pairs = pytest.mark.parametrize(
    ("name", "resource"),
    [pytest.param(name, resource, id=f"{name}-{resource}") for name, resource in REGISTERED if resource in ACTIVITIES],
)


def existing_targets(gateway, name: str, fields: list[str]) -> dict[str, dict]:
    """An existing account, contact and deal of the sandbox, for each link the mapping can write."""
    found = {}
    for link in fields:
        target = LINKS[link]
        if (name, target) not in REGISTERED or not supports(name, "list", target):
            continue
        listed = gateway.unified("GET", name, params={"limit": 1}, resource=target)
        assert listed.status_code == 200, listed.text
        if listed.json()["result"]:
            found[link] = {"id": listed.json()["result"][0]["id"]}
    return found


def carries(record: dict, link: str, target_id: str) -> bool:
    value = record.get(link)
    if isinstance(value, list):
        return any(item.get("id") == target_id for item in value)
    return isinstance(value, dict) and value.get("id") == target_id


def link_sets(m, link_fields: list[str]) -> list[list[str]]:
    """The links one write can carry together: all of them, or, where the CRM gives the record one parent of a
    group (`supports.exclusive`), one of that group at a time beside the others."""
    sets = [link_fields]
    for group in m.exclusive:
        expanded = []
        for links in sets:
            inside = [f for f in links if f in group]
            rest = [f for f in links if f not in group]
            expanded += [[*rest, one] for one in inside] if inside else [links]
        sets = expanded
    return sets


@activity_pairs
@pytest.mark.usefixtures("ctl")
def test_written_with_links_reads_back_and_is_found_from_each_link(gateway, name, resource):
    m = mapping(name, resource)
    link_fields = [link for link in LINKS if link in m.writable]
    if "create" not in m.methods or not link_fields:
        pytest.skip(f"{name} cannot write {resource} with links")
    targets = existing_targets(gateway, name, link_fields)
    first = gateway.unified("GET", name, params={"limit": 1}, resource=resource).json()["result"][0]
    existing = gateway.unified("GET", name, first["id"], resource=resource).json()
    for links in link_sets(m, [f for f in link_fields if f in targets]):
        write_and_find(gateway, name, resource, m, existing, {link: targets[link] for link in links})


def write_and_find(gateway, name, resource, m, existing, targets) -> None:
    body = sample_write_body(name, existing, resource, targets)
    for link in LINKS:
        body.pop(link, None)
    if resource == "engagements" and "call" in m.values.get("engagement_type", ("call",)):
        body["engagement_type"] = "call"
    for link, target in targets.items():
        body[link] = target if link == "account" else [target]

    created = gateway.unified("POST", name, resource=resource, json=body)
    assert created.status_code == 200, created.text  # a create answers 200, as Truto's does (docs/api.md)
    record_id = created.json()["id"]
    got = gateway.unified("GET", name, record_id, resource=resource)
    assert got.status_code == 200, got.text
    assert_reads_back(name, body, got.json(), resource)

    for link, target in targets.items():
        if link not in m.filters:
            continue
        pages = list_all(gateway, name, limit=50, params={f"{link}[id]": target["id"]}, resource=resource)
        listed = [record for page in pages for record in page]
        assert record_id in {r["id"] for r in listed}, f"{name}-{resource}: not found through {link}[id]"
        strays = [r["id"] for r in listed if not carries(r, link, target["id"])]
        assert not strays, f"{name}-{resource}: {link}[id] answered records without that {link}: {strays}"


@activity_pairs
@pytest.mark.usefixtures("ctl")
def test_a_link_filter_the_crm_cannot_apply_is_refused(gateway, name, resource):
    m = mapping(name, resource)
    if "list" not in m.methods:
        pytest.skip(f"{name} cannot list {resource}")
    for link in LINKS:
        if link in m.filters:
            continue
        response = gateway.unified("GET", name, params={f"{link}[id]": "1"}, resource=resource)
        assert response.status_code == 400, response.text
        assert f"`{link}`" in response.json()["message"], response.text
        assert response.json()["truto_error_insight"]["unsupported_filters"]["value"] == [link]


@activity_pairs
@pytest.mark.usefixtures("ctl")
def test_a_type_the_crm_does_not_take_is_refused_before_the_crm_is_called(gateway, sandbox, name, resource):
    m = mapping(name, resource)
    allowed = m.values.get("engagement_type")
    if allowed is None or "create" not in m.methods:
        pytest.skip(f"{name} declares no engagement types for {resource}")
    control = sandbox.control(name)
    control.clear_requests()
    response = gateway.unified("POST", name, resource=resource,
                               json={"subject": "Carrier pigeon", "engagement_type": "carrier_pigeon"})
    assert response.status_code == 400, response.text
    assert response.json()["truto_error_insight"]["allowed_values"]["value"] == list(allowed)
    for value in allowed:
        assert value in response.json()["message"]
    assert control.requests() == [], "the CRM was called"


@activity_pairs
@pytest.mark.usefixtures("ctl")
def test_two_parents_where_the_crm_takes_one_are_refused_before_the_crm_is_called(gateway, sandbox, name, resource):
    m = mapping(name, resource)
    if not m.exclusive or "create" not in m.methods:
        pytest.skip(f"{name} gives {resource} no single parent")
    group = m.exclusive[0]
    body = {field: ({"id": "1"} if field == "account" else [{"id": "1"}]) for field in group[:2]}
    control = sandbox.control(name)
    control.clear_requests()
    response = gateway.unified("POST", name, resource=resource, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["truto_error_insight"]["exclusive_fields"]["value"] == list(group)
    assert control.requests() == [], "the CRM was called"
