"""keel.ssm.parameter_tree against the moto server over HTTP, every call counted (and,
for the fault tests, failed or left unanswered) by the AwsProxy test double.

Checked against moto: what is created, updated and deleted (values, types, metadata,
tags, labels), the batch sizes of DeleteParameters, and that check mode, failed
validation and failed writes leave the rest untouched. Read budgets are counted on
moto, which pages GetParametersByPath at 10 like AWS but DescribeParameters at 10
where AWS gives 50; where that matters the test says which figure it checks. Tier,
size, policy, pattern and KMS rules are ours (moto does not enforce them).
"""

from __future__ import annotations

from ansible_collections.keel.ssm.plugins.module_utils.diff import CHANGED_MASK, MASK
from tests.helpers.parameter_cases import EXPIRATION, SECRET
from tests.helpers.parameter_store import Recorder, output_of, run, snapshot

PATH = "/prod/app"


def tree(proxy, check=False, verbosity=0, **args):
    return run("parameter_tree", proxy, check=check, verbosity=verbosity, **args)


def secret(index):
    return f"S{index}-{SECRET}"


def tree_of(count):
    """A nested tree: every 7th entry a SecureString, every 5th a StringList."""
    spec = {}
    for index in range(count):
        if index % 7 == 0:
            value = {"value": secret(index), "type": "SecureString"}
        elif index % 5 == 0:
            value = [f"a{index}", f"b{index}"]
        else:
            value = f"value-{index}"
        spec.setdefault(f"svc{index // 10}", {})[f"key{index % 10}"] = value
    return spec


def budget(count):
    return count / 10 + count / 50 + 4


def test_create_then_noop_within_the_read_budget(proxy, ssm):
    spec = tree_of(60)
    first = tree(proxy, path=PATH, parameters=spec)
    assert first["changed"] is True
    assert len(first["created"]) == 60
    assert proxy.counts["PutParameter"] == 60
    stored = snapshot(ssm)
    assert stored[f"{PATH}/svc0/key0"]["type"] == "SecureString"
    assert stored[f"{PATH}/svc0/key0"]["value"] == secret(0)
    assert stored[f"{PATH}/svc0/key5"]["type"] == "StringList"
    proxy.reset_counts()
    second = tree(proxy, path=PATH, parameters=spec)
    assert second["changed"] is False
    assert (second["created"], second["updated"], second["deleted"]) == ([], [], [])
    assert len(second["unchanged"]) == 60
    assert proxy.writes() == 0
    assert proxy.reads() <= budget(60)
    assert proxy.counts == {"GetParametersByPath": 7}  # 6 full pages and moto's empty last one
    assert second["api_calls"] == dict(proxy.counts)
    for result in (first, second):
        assert SECRET not in output_of(result)


def test_only_changed_parameters_are_written(proxy, ssm):
    spec = tree_of(30)
    tree(proxy, path=PATH, parameters=spec)
    spec["svc0"]["key0"]["value"] = secret(1000)  # a SecureString
    spec["svc0"]["key5"] = ["changed"]  # a StringList
    spec["svc1"]["key1"] = "changed"  # a String
    proxy.reset_counts()
    result = tree(proxy, path=PATH, parameters=spec)
    changed = [f"{PATH}/svc0/key0", f"{PATH}/svc0/key5", f"{PATH}/svc1/key1"]
    assert result["updated"] == sorted(changed)
    assert len(result["unchanged"]) == 27
    assert proxy.counts["PutParameter"] == 3
    # Overwrites send the current metadata: one DescribeParameters for the three names.
    assert proxy.counts["DescribeParameters"] == 1
    stored = snapshot(ssm)
    assert stored[f"{PATH}/svc0/key0"]["value"] == secret(1000)
    assert stored[f"{PATH}/svc0/key5"]["value"] == "changed"
    assert sorted(name for name, entry in stored.items() if entry["version"] == 2) == sorted(changed)
    assert SECRET not in output_of(result)


def test_prune_deletes_in_batches_of_ten_and_only_under_path(proxy, ssm):
    spec = {"keep": "me"}
    tree(proxy, path=PATH, parameters=spec)
    extras = [f"{PATH}/old/deep/n{index}" for index in range(25)]
    outside = ["/prod/app-old/x", "/prod/appx", "/prod/other/y"]
    for name in extras + outside:
        ssm.put_parameter(Name=name, Value="v", Type="String")
    proxy.reset_counts()
    result = tree(proxy, path=PATH, parameters=spec, prune=True)
    assert result["deleted"] == sorted(extras)
    assert proxy.counts["DeleteParameters"] == 3
    assert sorted(snapshot(ssm)) == sorted([f"{PATH}/keep", *outside])


def test_prune_is_refused_at_the_root(proxy, ssm):
    ssm.put_parameter(Name="/precious", Value="v", Type="String")
    result = tree(proxy, path="/", parameters={"a": "b"}, prune=True)
    assert result["failed"] is True
    assert result["msg"] == "prune: refused at path '/' (it would delete every parameter of the account)"
    assert proxy.total() == 0
    assert sorted(snapshot(ssm)) == ["/precious"]


def test_check_mode_predicts_every_list(proxy, ssm):
    ssm.put_parameter(Name=f"{PATH}/same", Value="v", Type="String")
    ssm.put_parameter(Name=f"{PATH}/changes", Value="old", Type="String")
    ssm.put_parameter(Name=f"{PATH}/secret", Value=secret(1), Type="SecureString")
    ssm.put_parameter(Name=f"{PATH}/gone", Value="v", Type="String")
    spec = {"same": "v", "changes": "new", "secret": {"value": secret(2), "type": "SecureString"}, "added": "x"}
    before = snapshot(ssm)
    proxy.reset_counts()
    predicted = tree(proxy, check=True, path=PATH, parameters=spec, prune=True)
    assert proxy.writes() == 0
    assert snapshot(ssm) == before
    applied = tree(proxy, path=PATH, parameters=spec, prune=True)
    for key in ("changed", "created", "updated", "deleted", "unchanged"):
        assert predicted[key] == applied[key], key
    assert applied["created"] == [f"{PATH}/added"]
    assert applied["updated"] == [f"{PATH}/changes", f"{PATH}/secret"]
    assert applied["deleted"] == [f"{PATH}/gone"]
    again = tree(proxy, path=PATH, parameters=spec, prune=True)
    assert again["changed"] is False
    for result in (predicted, applied, again):
        assert SECRET not in output_of(result)


def test_diff_masks_secrets(proxy, ssm):
    ssm.put_parameter(Name=f"{PATH}/rotated", Value=secret(1), Type="SecureString")
    ssm.put_parameter(Name=f"{PATH}/dropped", Value=secret(2), Type="SecureString")
    ssm.put_parameter(Name=f"{PATH}/host", Value="db1", Type="String")
    spec = {
        "rotated": {"value": secret(3), "type": "SecureString"},
        "new": {"value": secret(4), "type": "SecureString"},
        "host": "db2",
    }
    result = tree(proxy, check=True, path=PATH, parameters=spec, prune=True)
    diffs = {entry["before"]["name"]: entry for entry in result["diff"]}
    assert (diffs[f"{PATH}/rotated"]["before"]["value"], diffs[f"{PATH}/rotated"]["after"]["value"]) == (
        MASK,
        CHANGED_MASK,
    )
    assert diffs[f"{PATH}/new"]["after"]["value"] == MASK
    assert "value" not in diffs[f"{PATH}/dropped"]["before"]
    assert diffs[f"{PATH}/dropped"]["after"]["state"] == "absent"
    assert (diffs[f"{PATH}/host"]["before"]["value"], diffs[f"{PATH}/host"]["after"]["value"]) == ("db1", "db2")
    assert SECRET not in output_of(result)


def test_entries_with_metadata_tags_and_labels_are_idempotent(proxy, ssm):
    spec = {
        f"m{index}": {
            "value": secret(index) if index % 2 else f"v{index}",
            "type": "SecureString" if index % 2 else "String",
            "description": f"entry {index}",
            "tier": "Advanced",
            "policies": [EXPIRATION],
            **({"key_id": "alias/payments"} if index % 2 else {"allowed_pattern": "^v"}),
            **({"tags": {"team": "payments"}} if index < 4 else {}),
            **({"labels": ["live"]} if index < 3 else {}),
        }
        for index in range(12)
    }
    created = tree(proxy, path=PATH, parameters=spec)
    assert len(created["created"]) == 12
    stored = snapshot(ssm)
    assert stored[f"{PATH}/m1"]["key_id"] == "alias/payments"
    assert stored[f"{PATH}/m0"]["tags"] == {"team": "payments"}
    assert stored[f"{PATH}/m0"]["labels"] == {1: ["live"]}
    assert stored[f"{PATH}/m5"]["tier"] == "Advanced"
    proxy.reset_counts()
    again = tree(proxy, path=PATH, parameters=spec)
    assert again["changed"] is False
    assert proxy.writes() == 0
    # 12 entries: 2 pages by path; metadata for 12 names is one DescribeParameters
    # request on AWS (50 per page), two on moto (10 per page); one tag read per entry
    # with tags, one history read per entry with labels.
    assert proxy.counts == {
        "GetParametersByPath": 2,
        "DescribeParameters": 2,
        "ListTagsForResource": 4,
        "GetParameterHistory": 3,
    }
    assert SECRET not in output_of(again)


def test_every_problem_is_reported_before_any_call(proxy, ssm):
    spec = {
        "good": "fine-value",
        "has space": {"value": "space-value", "type": "String"},
        "big": {"value": "x" * 5000, "tier": "Standard"},
        "pw": {"value": secret(1), "type": "SecureString", "allowed_pattern": "^[0-9]+$"},
        "ami": {"value": "ami-1", "data_type": "aws:ec2:image"},
        "list": ["first", "not,ok"],
        "typo": {"value": "typo-value", "tyep": "String"},
    }
    result = tree(proxy, path=PATH, parameters=spec)
    assert result["failed"] is True
    message = result["msg"]
    assert message.startswith("6 problems: ")
    for expected in (
        "parameters.has space '/prod/app/has space': only letters",
        "parameters.big.value: 5000 bytes, more than the 4096 bytes a Standard parameter holds",
        "parameters.pw.value: does not match allowed_pattern '^[0-9]+$'",
        "parameters.ami.value: data_type aws:ec2:image needs an AMI ID",
        "parameters.list.value[1]: StringList elements must not contain commas",
        "parameters.typo: unknown option(s) tyep",
    ):
        assert expected in message
    assert proxy.total() == 0
    assert snapshot(ssm) == {}
    assert SECRET not in output_of(result)


def test_rules_on_current_parameters_stop_the_whole_tree_before_writes(proxy, ssm):
    ssm.put_parameter(Name=f"{PATH}/plain", Value="plain-value", Type="String")
    ssm.put_parameter(Name=f"{PATH}/adv", Value="adv-value", Type="String", Tier="Advanced")
    spec = {
        "plain": {"value": "plain-value", "type": "SecureString"},
        "adv": {"value": "adv-value", "tier": "Standard"},
        "new": "new-value",
    }
    before = snapshot(ssm)
    proxy.reset_counts()
    result = tree(proxy, path=PATH, parameters=spec)
    assert result["failed"] is True
    assert "parameters.plain.type: /prod/app/plain is a String parameter" in result["msg"]
    assert "parameters.adv.tier: /prod/app/adv is an Advanced parameter" in result["msg"]
    assert proxy.writes() == 0
    assert snapshot(ssm) == before


def seed_for_faults(ssm, changed=10, extras=5):
    names = [f"{PATH}/k{index}" for index in range(changed)]
    for name in names:
        ssm.put_parameter(Name=name, Value="old", Type="String")
    for index in range(extras):
        ssm.put_parameter(Name=f"{PATH}/extra/e{index}", Value="v", Type="String")
    return names, {name.rsplit("/", 1)[1]: "new" for name in names}


def test_fault_endpoint_stops_answering_mid_apply(proxy, ssm):
    """The endpoint accepts the 5th PutParameter and never answers: the module fails
    clearly after its read timeout, reports the 4 written and 6 not written, and
    deletes nothing."""
    names, spec = seed_for_faults(ssm)
    planned = tree(proxy, check=True, path=PATH, parameters=spec, prune=True)
    reads = sum(planned["api_calls"].values())
    proxy.reset_counts()
    proxy.stop_answering_after(reads + 4)
    result = tree(proxy, path=PATH, parameters=spec, prune=True, max_attempts=1)
    proxy.answer_again()
    assert result["failed"] is True
    assert result["msg"].startswith(f"PutParameter {names[4]}: endpoint stopped answering")
    assert result["msg"].endswith("4 of 10 changed parameters written, 6 not written; nothing pruned")
    assert result["written"] == names[:4]
    assert result["not_written"] == names[4:]
    assert result["updated"] == sorted(names[:4])
    assert result["deleted"] == []
    stored = snapshot(ssm)
    assert [stored[name]["value"] for name in names] == ["new"] * 4 + ["old"] * 6
    assert len([name for name in stored if "/extra/" in name]) == 5  # nothing pruned
    finish = tree(proxy, path=PATH, parameters=spec, prune=True)
    assert finish["updated"] == sorted(names[4:])
    assert len(finish["deleted"]) == 5


def test_failed_write_lists_written_and_not_written(proxy, ssm):
    names, spec = seed_for_faults(ssm)
    recorder = Recorder()
    recorder.fail("PutParameter", when=lambda body: body.get("Name") == names[2])
    proxy.inject = recorder
    result = tree(proxy, path=PATH, parameters=spec, prune=True, max_attempts=1)
    assert result["failed"] is True
    assert result["msg"].startswith(f"PutParameter {names[2]}: AccessDeniedException: denied")
    assert (result["written"], result["not_written"], result["partially_written"]) == (names[:2], names[2:], {})
    assert recorder.bodies("DeleteParameters") == []
    assert len(snapshot(ssm)) == 15


def test_a_failure_after_the_put_is_a_partial_write(proxy, ssm):
    names, spec = seed_for_faults(ssm, changed=3, extras=0)
    spec["k1"] = {"value": "new", "tags": {"team": "payments"}}
    recorder = Recorder()
    recorder.fail("AddTagsToResource")
    proxy.inject = recorder
    result = tree(proxy, path=PATH, parameters=spec, max_attempts=1)
    assert result["written"] == names[:1]
    assert result["partially_written"] == {names[1]: ["PutParameter"]}
    assert result["not_written"] == names[2:]


def test_failed_delete_lists_what_was_not_deleted(proxy, ssm):
    seed_for_faults(ssm, changed=1, extras=25)
    calls = []

    def second_delete(body):
        calls.append(body)
        return len(calls) == 2

    recorder = Recorder()
    recorder.fail("DeleteParameters", when=second_delete)
    proxy.inject = recorder
    result = tree(proxy, path=PATH, parameters={"k0": "old"}, prune=True, max_attempts=1)
    assert result["failed"] is True
    assert len(result["deleted"]) == 10
    assert len(result["not_deleted"]) == 15
    assert set(result["deleted"]).isdisjoint(result["not_deleted"])
    assert len(snapshot(ssm)) == 16
    assert "10 of 25 deleted" in result["msg"]


def test_verbose_progress_shows_counts_never_values(proxy, ssm):
    spec = tree_of(25)
    quiet = tree(proxy, path=PATH, parameters=spec)
    assert "progress" not in quiet
    spec["svc0"]["key1"] = "value-changed"
    verbose = tree(proxy, path=PATH, parameters=spec, verbosity=1)
    lines = verbose["progress"]
    pages = verbose["api_calls"]["GetParametersByPath"]
    assert lines[0] == f"read: 25 parameters under {PATH} in {pages} GetParametersByPath pages"
    assert "plan: 0 to create, 1 to update, 0 to delete, 24 unchanged" in lines
    assert "write: 1/1 parameters written" in lines
    assert not any("value-" in line or SECRET in line for line in lines)


def test_tree_defaults_type_and_key(proxy, ssm):
    recorder = Recorder()
    proxy.inject = recorder
    spec = {
        "db": {"password": secret(1), "token": secret(2)},
        "hosts": ["a", "b"],
        "plain": {"value": "p", "type": "String"},
    }
    result = tree(proxy, path=PATH, parameters=spec, type="SecureString", key_id="alias/secrets", tier="Advanced")
    assert len(result["created"]) == 4
    puts = {body["Name"]: body for body in recorder.bodies("PutParameter")}
    assert puts[f"{PATH}/db/password"]["KeyId"] == "alias/secrets"
    assert puts[f"{PATH}/db/password"]["Type"] == "SecureString"
    assert puts[f"{PATH}/hosts"]["Type"] == "StringList"
    assert "KeyId" not in puts[f"{PATH}/hosts"]
    assert puts[f"{PATH}/plain"]["Type"] == "String"
    assert {body["Tier"] for body in puts.values()} == {"Advanced"}
    assert SECRET not in output_of(result)
