"""Moving a deal through its pipeline, on every CRM that maps both opportunities and stages.

The unified move is an update of `stage` by id (docs/api.md, "Deals"). Whatever the CRM needs for it
(the stage alone, the stage with its pipeline, a call of its own) is the mapping's business; this test
holds every such CRM to the same outcome: each stage of the pipeline, in order, is written, reached the
CRM, and is read back on the deal. Parametrised by the registered pairs (tests/support.py), so a CRM that
gains the two mapping files is tested with no edit here.
"""

from __future__ import annotations

from collections import defaultdict

import orjson
import pytest
from support import REGISTERED, list_all, supports

DEAL_CRMS = sorted({name for name, resource in REGISTERED if resource == "opportunities"}
                   & {name for name, resource in REGISTERED if resource == "stages"})


def stages_by_pipeline(gateway, name: str) -> dict[str, list[dict]]:
    """Every stage the CRM lists, by pipeline id, each pipeline's in order of `position`. A CRM without
    pipeline objects (Outreach) lists stages with no `pipeline`: they form its one implicit pipeline."""
    grouped: dict[str, list[dict]] = defaultdict(list)
    for page in list_all(gateway, name, limit=50, resource="stages"):
        for stage in page:
            grouped[(stage.get("pipeline") or {}).get("id")].append(stage)
    for stages in grouped.values():
        stages.sort(key=lambda s: s["position"])
    return grouped


def a_staged_deal(gateway, name: str) -> dict:
    listed = gateway.unified("GET", name, params={"limit": 25}, resource="opportunities")
    assert listed.status_code == 200, listed.text
    deal = next((d for d in listed.json()["result"] if d.get("stage")), None)
    assert deal is not None, f"{name}: no seeded deal sits in a stage"
    return deal


@pytest.mark.parametrize("name", DEAL_CRMS)
def test_a_deal_moves_through_every_stage_of_its_pipeline(gateway, sandbox, name):
    if not supports(name, "update", "opportunities"):
        pytest.skip(f"{name} cannot update opportunities")
    control = sandbox.control(name)
    control.reset()
    grouped = stages_by_pipeline(gateway, name)
    deal = a_staged_deal(gateway, name)
    home = next(p for p, stages in grouped.items() if any(s["id"] == deal["stage"]["id"] for s in stages))
    stages = grouped[home]
    assert len(stages) >= 3, f"{name}: the seeded pipeline {home} has {len(stages)} stages"
    for stage in stages:
        control.clear_requests()
        moved = gateway.unified("PATCH", name, deal["id"], json={"stage": {"id": stage["id"]}},
                                resource="opportunities")
        assert moved.status_code == 200, moved.text
        assert moved.json()["stage"]["id"] == stage["id"]
        writes = [orjson.dumps(r["body"]) for r in control.requests() if r["method"] in ("PATCH", "PUT", "POST")]
        assert any(stage["id"].encode() in body for body in writes), f"{name}: stage {stage['id']} not sent: {writes}"
        read = gateway.unified("GET", name, deal["id"], resource="opportunities")
        assert read.status_code == 200, read.text
        assert read.json()["stage"]["id"] == stage["id"], f"{name}: {read.json()['stage']}"
        if read.json()["stage"].get("name"):
            assert read.json()["stage"]["name"] == stage["name"]

    # A stage of another pipeline takes the deal there (docs/api.md: the stage's own pipeline).
    others = [p for p in grouped if p != home]
    if others:
        elsewhere = grouped[others[0]][0]
        moved = gateway.unified("PATCH", name, deal["id"], json={"stage": {"id": elsewhere["id"]}},
                                resource="opportunities")
        assert moved.status_code == 200, moved.text
        assert gateway.unified("GET", name, deal["id"], resource="opportunities").json()["stage"]["id"] == elsewhere["id"]

    # A stage the CRM does not have is the CRM's refusal, and the deal stays where it was.
    before = gateway.unified("GET", name, deal["id"], resource="opportunities").json()["stage"]["id"]
    refused = gateway.unified("PATCH", name, deal["id"], json={"stage": {"id": "990000000099"}},
                              resource="opportunities")
    assert refused.status_code in (400, 404, 422), refused.text  # 422: the CRM's validation error
    assert refused.json()["truto_is_remote_error"] is True
    assert gateway.unified("GET", name, deal["id"], resource="opportunities").json()["stage"]["id"] == before
