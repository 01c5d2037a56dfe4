"""monday CRM item updates as crm/notes through the gateway: the mapping against the updates the sandbox stores,
the GraphQL documents monday receives, and the quirks (https://developer.monday.com/api-reference/reference/updates)."""

from __future__ import annotations

from support import list_all

from unigate.sandbox.monday import ACCOUNTS_BOARD_ID, CONTACTS_BOARD_ID, DEALS_BOARD_ID

NAME = "monday"
LINK_OF_BOARD = {ACCOUNTS_BOARD_ID: "account", CONTACTS_BOARD_ID: "contact", DEALS_BOARD_ID: "opportunity"}


def board_of(ctl) -> dict[str, str]:
    """Item id -> board id, over the three CRM boards."""
    return {item["id"]: board for board, resource in ((ACCOUNTS_BOARD_ID, "accounts"),
                                                       (CONTACTS_BOARD_ID, "contacts"),
                                                       (DEALS_BOARD_ID, "opportunities"))
            for item in ctl.records(resource)}


def expected(update: dict, boards: dict[str, str]) -> dict:
    link = LINK_OF_BOARD[boards[update["item_id"]]]
    ref = {"id": update["item_id"]}
    return {"id": update["id"], "content": update["body"], "owner": {"id": update["creator_id"]},
            link: ref if link == "account" else [ref],
            "created_at": update["created_at"], "updated_at": update["updated_at"]}


def test_every_listed_update_maps_from_the_stored_update(gateway, ctl):
    stored = {u["id"]: u for u in ctl.records("notes")}
    boards = board_of(ctl)
    listed = [r for page in list_all(gateway, NAME, limit=7, resource="notes") for r in page]
    assert len(listed) == len(stored)
    # newest first, as monday's updates query answers
    assert [r["id"] for r in listed] == sorted(stored, key=int, reverse=True)
    assert {LINK_OF_BOARD[boards[u["item_id"]]] for u in stored.values()} == {"account", "contact", "opportunity"}
    for record in listed:
        assert record.pop("remote_data")["id"] == record["id"]
        assert record == expected(stored[record["id"]], boards)


def test_a_note_posts_an_update_on_the_contacts_item(gateway, ctl):
    contact = ctl.records("contacts")[2]["id"]
    ctl.clear_requests()
    html = "<p>Asked for <strong>pricing</strong> &amp; terms</p>"
    created = gateway.unified("POST", NAME, json={"content": html, "contact": [{"id": contact}]}, resource="notes")
    assert created.status_code == 200, created.text
    sent = next(r for r in ctl.requests() if r["method"] == "POST")["body"]
    assert sent["query"].startswith("mutation ($item: ID, $body: String!) { create_update(item_id: $item, body: $body)")
    assert sent["variables"] == {"item": contact, "body": html}
    body = created.json()
    assert body["content"] == html and body["contact"] == [{"id": contact}]
    stored = next(u for u in ctl.records("notes") if u["id"] == body["id"])
    assert stored["text_body"] == "Asked for pricing & terms"

    edited = gateway.unified("PATCH", NAME, body["id"], json={"content": "<p>Edited</p>"}, resource="notes")
    assert edited.status_code == 200 and edited.json()["content"] == "<p>Edited</p>"
    assert gateway.unified("DELETE", NAME, body["id"], resource="notes").status_code == 200
    assert gateway.unified("GET", NAME, body["id"], resource="notes").status_code == 404


def test_remote_data_posts_a_note_on_a_deal(gateway, ctl):
    contact, deal = ctl.records("contacts")[0]["id"], ctl.records("opportunities")[0]["id"]
    created = gateway.unified("POST", NAME, resource="notes", json={
        "content": "<p>On the deal</p>", "contact": [{"id": contact}], "remote_data": {"variables": {"item": deal}}})
    assert created.status_code == 200, created.text
    assert created.json()["opportunity"] == [{"id": deal}] and "contact" not in created.json()


def test_a_link_filter_reads_that_items_updates(gateway, ctl):
    boards = board_of(ctl)
    deal_update = next(u for u in ctl.records("notes") if boards[u["item_id"]] == DEALS_BOARD_ID)
    deal = deal_update["item_id"]
    ctl.clear_requests()
    listed = [r for page in list_all(gateway, NAME, limit=50, params={"opportunity[id]": deal}, resource="notes")
              for r in page]
    assert {r["id"] for r in listed} == {u["id"] for u in ctl.records("notes") if u["item_id"] == deal}
    sent = next(r for r in ctl.requests() if r["method"] == "POST")["body"]
    assert "items(ids: $ids) { updates(" in sent["query"] and sent["variables"]["ids"] == [deal]
    # the same item asked for as an account is not an account: nothing
    wrong = gateway.unified("GET", NAME, params={"account[id]": deal}, resource="notes")
    assert wrong.status_code == 200 and wrong.json()["result"] == []


def test_a_note_on_two_contacts_is_refused_before_monday_is_called(gateway, ctl):
    contacts = [{"id": c["id"]} for c in ctl.records("contacts")[:2]]
    ctl.clear_requests()
    response = gateway.unified("POST", NAME, json={"content": "x", "contact": contacts}, resource="notes")
    assert response.status_code == 400 and "one item" in response.json()["message"]
    assert not ctl.requests()


def test_custom_activities_read_as_engagement_types(gateway, ctl):
    stored = ctl.records("engagement_types")
    listed = [r for page in list_all(gateway, NAME, limit=7, resource="engagement_types") for r in page]
    assert [r["id"] for r in listed] == [a["id"] for a in stored]
    kinds = {r["name"]: r.get("type") for r in listed}
    assert (kinds["Meeting"], kinds["Call summary"], kinds["Demo"]) == ("meeting", "call", None)
    one = gateway.unified("GET", NAME, stored[1]["id"], resource="engagement_types")
    assert one.status_code == 200 and one.json()["remote_data"] == {k: stored[1][k] for k in
                                                                     ("id", "name", "type", "icon_id", "color")}
    assert gateway.unified("GET", NAME, "no-such-activity", resource="engagement_types").status_code == 404


def test_engagements_and_tasks_say_why_monday_has_none(gateway, ctl):
    for resource, words in (("engagements", "one item at a time"), ("tasks", "no task object")):
        response = gateway.unified("GET", NAME, resource=resource)
        assert response.status_code == 404 and words in response.json()["message"], response.text
