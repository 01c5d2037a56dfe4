"""What the per-CRM mapping tests share: `ctl`, the sandbox control of the module's CRM (its `NAME`),
freshly seeded for each test and left without faults."""

from __future__ import annotations

import pytest


@pytest.fixture
def ctl(sandbox, request):
    control = sandbox.control(request.module.NAME)
    control.reset()
    yield control
    control.clear_faults()
