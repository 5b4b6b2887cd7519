"""The ``serve`` key, parsed once: what the checks, the view and the links agree on."""

from __future__ import annotations

from typing import Any

import pytest

from genro_storage_django.serving import DEFAULT_POLICY, ServePolicy


def test_a_mount_without_the_key_is_signed() -> None:
    assert ServePolicy.of({}) is DEFAULT_POLICY is ServePolicy.SIGNED


@pytest.mark.parametrize("policy", list(ServePolicy))
def test_each_value_names_its_policy(policy: ServePolicy) -> None:
    assert ServePolicy.of({"serve": policy.value}) is policy
    assert policy.served is (policy is not ServePolicy.NONE)


@pytest.mark.parametrize("value", ["Public", "signed ", "", None, ["public"], {"public": 1}, 1])
def test_anything_else_is_no_policy(value: Any) -> None:
    # The view serves nothing for these, and the system check reports them (E009).
    assert ServePolicy.of({"serve": value}) is None
