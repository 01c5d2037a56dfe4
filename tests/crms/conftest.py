"""What the per-CRM mapping tests share: `ctl`, the sandbox control of the module's CRM (its `NAME`),
freshly seeded for each test (the test gateway forgetting what it looked up in the old data) and left
without faults."""

from __future__ import annotations

import pytest
from support import reset_for_test


@pytest.fixture
def ctl(sandbox, request):
    control = reset_for_test(sandbox, request.module.NAME, request)
    yield control
    control.clear_faults()
