"""Secrets never appear in logs, error bodies, admin answers, or the database file."""

from __future__ import annotations

import logging

import requests

SECRET = "pat-na1-TOPSECRET-4242"


def test_secrets_stay_out_of_logs_answers_and_the_database(gateway, sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    created = gateway.admin("POST", "/integrated-account",
                            json={"integration": "hubspot", "is_sandbox": True, "context": {"access_token": SECRET}})
    account_id = created.json()["id"]
    seen = [created.text]
    seen.append(gateway.admin("GET", f"/integrated-account/{account_id}").text)
    seen.append(gateway.admin("GET", "/integrated-account", params={"limit": 1000}).text)
    # the sandbox refuses the credential: the 401 error must not echo it
    refused = requests.get(f"{gateway.url}/unified/crm/accounts", headers=gateway.headers, timeout=10,
                           params={"integrated_account_id": account_id})
    assert refused.status_code == 401
    seen.append(refused.text)
    sandbox.control("hubspot").fault(status=500, body={"message": "boom"})
    seen.append(requests.get(f"{gateway.url}/unified/crm/accounts", headers=gateway.headers, timeout=10,
                             params={"integrated_account_id": account_id}).text)
    for text in seen:
        assert SECRET not in text
        assert gateway.token not in text
    assert SECRET not in caplog.text and gateway.token not in caplog.text

    database = gateway.settings.data_dir / "unigate.db"
    for path in (database, database.with_name("unigate.db-wal")):
        if path.exists():
            content = path.read_bytes()
            assert SECRET.encode() not in content
            assert gateway.token.encode() not in content
