"""Comparing a desired parameter with what Parameter Store holds (module_utils/parameter_store/plan.py):
what must be written, the label limit per version, and views that never show a secret.
"""

from __future__ import annotations

import pytest

from ansible_collections.keel.ssm.plugins.module_utils.diff import CHANGED_MASK, MASK, masked_pair
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.desired import build_desired
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.plan import normalize_key_id, plan_parameter
from tests.helpers.parameter_cases import SECRET, current


def test_too_many_labels_on_one_version():
    desired = build_desired("/app/x", {"value": "old", "labels": ["new1", "new2"]})
    with pytest.raises(KeelRuleError, match="would carry 11 labels, at most 10"):
        plan_parameter(desired, current(labels=[f"l{i}" for i in range(9)]))
    purge = build_desired("/app/x", {"value": "old", "labels": ["new1", "new2"], "purge_labels": True})
    change = plan_parameter(purge, current(labels=[f"l{i}" for i in range(9)]))
    assert change.labels_detach == [f"l{i}" for i in range(9)]


# -- comparison ---------------------------------------------------------------------------
def test_intelligent_tiering_matches_either_tier():
    desired = build_desired("/app/x", {"value": "old", "tier": "Intelligent-Tiering"})
    assert not plan_parameter(desired, current(tier="Standard")).changed
    assert not plan_parameter(desired, current(tier="Advanced")).changed


def test_key_arns_compare_equal_to_their_key_id_or_alias():
    assert normalize_key_id("arn:aws:kms:eu-west-1:111122223333:key/abcd-1") == "abcd-1"
    assert normalize_key_id("arn:aws:kms:eu-west-1:111122223333:alias/pay") == "alias/pay"
    desired = build_desired("/app/x", {"value": "old", "key_id": "arn:aws:kms:eu-west-1:1:alias/pay"})
    assert not plan_parameter(desired, current("SecureString", key_id="alias/pay")).changed
    assert plan_parameter(desired, current("SecureString", key_id="alias/aws/ssm")).differs == ["key_id"]


def test_secure_values_are_masked_in_views():
    desired = build_desired("/app/x", {"value": SECRET, "type": "SecureString"})
    change = plan_parameter(desired, current("SecureString", value="Old-S3cret"))
    assert (change.before["value"], change.after["value"]) == (MASK, CHANGED_MASK)
    assert SECRET not in repr(change.before) + repr(change.after)
    same = plan_parameter(desired, current("SecureString", value=SECRET))
    assert not same.changed
    assert same.before["value"] == same.after["value"] == MASK
    assert masked_pair(None, SECRET, True) == (None, MASK)
