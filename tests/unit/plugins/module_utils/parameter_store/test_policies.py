"""Parameter policies (module_utils/parameter_store/policies.py): compared by meaning, so AWS
re-formatting the stored JSON never reports a change; an empty list clears, None keeps.
"""

from __future__ import annotations

from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.policies import (
    parse_policies,
    policies_from_aws,
    same_policies,
)
from tests.helpers.parameter_cases import EXPIRATION


def test_policies_compare_by_meaning():
    mine = parse_policies(
        [
            {"Type": "NoChangeNotification", "Attributes": {"After": 30, "Unit": "days"}},
            {"Type": "Expiration", "Attributes": {"Timestamp": "2030-01-31T02:00:00+02:00"}},
        ]
    )
    stored = [
        {"PolicyText": '{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-31T00:00:00.000Z"}}'},
        {"PolicyText": '{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"30","Unit":"Days"}}'},
    ]
    assert same_policies(mine, policies_from_aws(stored))
    assert not same_policies(mine, policies_from_aws(stored[:1]))
    # moto 5.2.5 returns PolicyText as a Python repr instead of JSON.
    assert policies_from_aws([{"PolicyText": repr(EXPIRATION)}]) == [EXPIRATION]


def test_empty_policies_clear_and_omitted_keep():
    assert parse_policies([]) == []
    assert parse_policies("") == []
    assert parse_policies(None) is None
