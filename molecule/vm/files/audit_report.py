#!/usr/bin/env python3
"""Summarise the independent auditors' results for `make audit-vm` (test tool).

  audit_report.py DIR REASONS
      DIR holds before-oscap.xml / after-oscap.xml (OpenSCAP XCCDF results) and
      before-lynis.dat / after-lynis.dat (Lynis report files); REASONS (YAML) says, per
      auditor rule id pattern, why a rule in the roles' areas still fails after the
      baseline. Writes DIR/report.md and prints it; exits 1 when a failing rule in the
      roles' areas has no reason (nothing is tuned away silently).

Only the areas the roles claim are judged: audit (keel.ssm.auditd), passwords and PAM
(keel.ssm.pam), the host firewall and the kernel network settings ufw manages
(keel.ssm.ufw).
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path

import yaml

XCCDF = "{http://checklists.nist.gov/xccdf/1.2}"
RULE_PREFIX = "xccdf_org.ssgproject.content_rule_"
AREAS = {
    "auditd": re.compile(r"audit"),
    "pam": re.compile(
        r"pam|passw|faillock|pwquality|pwhistory|login_defs|accounts_(maximum|minimum|password|passwords)"
        r"|no_empty_passwords|set_password_hashing|account_disable_post_pw_expiration|accounts_tmout"
    ),
    "ufw": re.compile(r"firewall|ufw|iptables|nftables|sysctl_net_"),
}
LYNIS_AREAS = {"auditd": ("ACCT-9628", "ACCT-9630", "ACCT-9632", "ACCT-9634"), "pam": ("AUTH-",), "ufw": ("FIRE-",)}


def area_of(rule):
    for area, pattern in AREAS.items():
        if pattern.search(rule):
            return area
    return None


def oscap_results(path):
    results = {}
    # The results file is the scanner's own output on a throwaway test VM.
    for rule_result in ElementTree.parse(path).getroot().iter(f"{XCCDF}rule-result"):  # noqa: S314
        rule = rule_result.get("idref").removeprefix(RULE_PREFIX)
        results[rule] = rule_result.find(f"{XCCDF}result").text
    return results


def lynis_report(path):
    report = {"suggestion": [], "warning": []}
    for line in path.read_text(errors="replace").splitlines():
        key, _, value = line.partition("=")
        if key == "hardening_index":
            report["hardening_index"] = int(value)
        elif key in ("suggestion[]", "warning[]"):
            test, _, text = value.partition("|")
            report[key[:-2]].append((test, text.split("|")[0]))
    return report


def reason_for(rule, reasons):
    for pattern, reason in reasons.items():
        if re.fullmatch(pattern, rule):
            return reason
    return None


def main(directory, reasons_file):
    directory = Path(directory)
    reasons = yaml.safe_load(Path(reasons_file).read_text()) or {}
    before, after = oscap_results(directory / "before-oscap.xml"), oscap_results(directory / "after-oscap.xml")
    lines = ["# Independent auditors on the booted VM, before and after the baseline", ""]
    lines += [
        "OpenSCAP: counts of the profile's rules in the roles' areas (pass / fail / other).",
        "",
        "| Area | Rules | Before: pass / fail / other | After: pass / fail / other |",
        "|---|---|---|---|",
    ]
    unexplained, failing = [], []
    for area in AREAS:
        rules = sorted(rule for rule in after if area_of(rule) == area)
        counts = {}
        for label, results in (("before", before), ("after", after)):
            tally = Counter(results.get(rule, "absent") for rule in rules)
            counts[label] = f"{tally['pass']} / {tally['fail']} / {sum(tally.values()) - tally['pass'] - tally['fail']}"
        lines.append(f"| {area} | {len(rules)} | {counts['before']} | {counts['after']} |")
        for rule in rules:
            if after[rule] in ("fail", "error"):
                reason = reason_for(rule, reasons)
                failing.append((area, rule, before.get(rule, "absent"), after[rule], reason or "UNEXPLAINED"))
                if reason is None:
                    unexplained.append(rule)
    fixed = sorted(rule for rule in after if area_of(rule) and before.get(rule) == "fail" and after[rule] == "pass")
    lines += ["", f"Rules the baseline turned from fail to pass ({len(fixed)}): " + ", ".join(f"`{r}`" for r in fixed)]
    lines += ["", "Rules in the roles' areas that still fail, and why:", "", "| Area | Rule | Before | After | Why |"]
    lines += ["|---|---|---|---|---|"]
    lines += [f"| {area} | `{rule}` | {was} | {now} | {why} |" for area, rule, was, now, why in failing]
    lynis_before = lynis_report(directory / "before-lynis.dat")
    lynis_after = lynis_report(directory / "after-lynis.dat")
    index_before, index_after = lynis_before.get("hardening_index"), lynis_after.get("hardening_index")
    lines += [
        "",
        f"Lynis hardening index (its accounting, authentication and firewalls tests only): {index_before} before,"
        f" {index_after} after.",
        "",
        "Lynis findings in the roles' areas after the baseline:",
        "",
        "| Area | Test | Kind | Finding | Before |",
        "|---|---|---|---|---|",
    ]
    for kind in ("warning", "suggestion"):
        earlier = {test for test, _text in lynis_before[kind]}
        for test, text in lynis_after[kind]:
            area = next((name for name, prefixes in LYNIS_AREAS.items() if test.startswith(prefixes)), None)
            if area:
                lines.append(f"| {area} | {test} | {kind} | {text} | {'yes' if test in earlier else 'no'} |")
    if unexplained:
        lines += ["", "UNEXPLAINED failures (add a reason or fix the role): " + ", ".join(unexplained)]
    text = "\n".join(lines) + "\n"
    (directory / "report.md").write_text(text)
    print(text)
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
