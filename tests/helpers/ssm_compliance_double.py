"""TEST DOUBLE: Systems Manager compliance where moto 5.2.5 has none.

Plugged into the AwsProxy (tests/helpers/aws_proxy.py, `responder=`), in front of a moto
server. It answers PutComplianceItems, ListComplianceItems and
ListResourceComplianceSummaries (JSON protocol, X-Amz-Target AmazonSSM.*); every other
request goes on to moto. Each request is first checked against botocore's SSM service
model (tests/helpers/service_model.py: required members, unknown members, types, lengths,
enums, patterns such as the compliance type's); a request that breaks it is answered with
ValidationException and recorded in `violations`, so a test can assert there were none.

What it models, from the AWS documentation (not observed here): a report is kept per
(resource type, resource id, compliance type); UploadType COMPLETE (the default)
replaces every item of that type for the resource, PARTIAL replaces items by id;
ListComplianceItems takes exactly one resource id; filters of Type EQUAL on
ComplianceType, Status and Severity; a resource summary is NON_COMPLIANT when any item
is, with the highest severity among those items as OverallSeverity. Pages are 50 items
(MaxResults), NextToken an index.
"""

from __future__ import annotations

import datetime
import json
import threading

import botocore.session

from tests.helpers.service_model import ModelViolation, check_input

OPERATIONS = ("PutComplianceItems", "ListComplianceItems", "ListResourceComplianceSummaries")
SEVERITY_ORDER = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED")
FILTER_KEYS = {"ComplianceType": "ComplianceType", "Status": "Status", "Severity": "Severity"}


def _json_error(code, message):
    payload = json.dumps({"__type": code, "message": message}).encode()
    return 400, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "keel-double"}, payload


def _epoch(value):
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


class SsmComplianceDouble:
    """Thread-safe; `reports` holds what was put, `violations` every model violation."""

    def __init__(self):
        self.model = botocore.session.get_session().get_service_model("ssm")
        self.reports = {}  # (type, id, compliance type) -> {"summary": ..., "items": {id: item}}
        self.violations = []
        self.requests = []
        self.lock = threading.Lock()

    # -- the AwsProxy responder interface --------------------------------------------------
    def operation_name(self, method, path, headers):
        target = headers.get("X-Amz-Target") or ""
        service, _, operation = target.rpartition(".")
        return operation if service == "AmazonSSM" and operation in OPERATIONS else None

    def handle(self, method, path, headers, body):
        operation = self.operation_name(method, path, headers)
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return _json_error("SerializationException", "body: not JSON")
        try:
            check_input(self.model.operation_model(operation), data)
        except ModelViolation as exc:
            with self.lock:
                self.violations.append(f"{operation}: {exc}")
            return _json_error("ValidationException", str(exc))
        with self.lock:
            self.requests.append((operation, data))
            try:
                answer = getattr(self, f"_{operation}")(data)
            except ModelViolation as exc:
                return _json_error("ValidationException", str(exc))
        payload = json.dumps(answer).encode()
        return 200, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "keel-double"}, payload

    # -- operations -------------------------------------------------------------------------
    def _PutComplianceItems(self, data):
        key = (data["ResourceType"], data["ResourceId"], data["ComplianceType"])
        summary = dict(data["ExecutionSummary"], ExecutionTime=_epoch(data["ExecutionSummary"]["ExecutionTime"]))
        report = self.reports.get(key) if data.get("UploadType") == "PARTIAL" else None
        items = dict(report["items"]) if report else {}
        for item in data["Items"]:
            items[item.get("Id", "")] = item
        self.reports[key] = {"summary": summary, "items": items}
        return {}

    def _matches(self, filters, values):
        for entry in filters or []:
            if entry.get("Type", "EQUAL") != "EQUAL" or entry["Key"] not in FILTER_KEYS:
                raise ModelViolation(f"Filters: this double models EQUAL on {', '.join(FILTER_KEYS)} only")
            if values.get(FILTER_KEYS[entry["Key"]]) not in entry["Values"]:
                return False
        return True

    @staticmethod
    def _page(entries, data):
        start = int(data.get("NextToken") or 0)
        size = data.get("MaxResults") or 50
        page = entries[start : start + size]
        token = str(start + size) if start + size < len(entries) else None
        return page, token

    def _ListComplianceItems(self, data):
        ids = data.get("ResourceIds") or []
        if len(ids) != 1:
            raise ModelViolation("ResourceIds: exactly one resource id (AWS: 'you can only specify one')")
        types = data.get("ResourceTypes") or ["ManagedInstance"]
        entries = []
        for (resource_type, resource_id, compliance_type), report in sorted(self.reports.items()):
            if resource_id != ids[0] or resource_type not in types:
                continue
            for item in report["items"].values():
                entry = {
                    "ComplianceType": compliance_type,
                    "ResourceType": resource_type,
                    "ResourceId": resource_id,
                    "Id": item.get("Id", ""),
                    "Title": item.get("Title", ""),
                    "Status": item["Status"],
                    "Severity": item["Severity"],
                    "ExecutionSummary": report["summary"],
                    "Details": item.get("Details", {}),
                }
                if self._matches(data.get("Filters"), entry):
                    entries.append(entry)
        page, token = self._page(entries, data)
        return {"ComplianceItems": page, **({"NextToken": token} if token else {})}

    def _ListResourceComplianceSummaries(self, data):
        entries = []
        for (resource_type, resource_id, compliance_type), report in sorted(self.reports.items()):
            items = list(report["items"].values())
            failing = [item for item in items if item["Status"] == "NON_COMPLIANT"]
            severities = [item["Severity"] for item in (failing or items)]
            entry = {
                "ComplianceType": compliance_type,
                "ResourceType": resource_type,
                "ResourceId": resource_id,
                "Status": "NON_COMPLIANT" if failing else "COMPLIANT",
                "OverallSeverity": min(severities, key=SEVERITY_ORDER.index) if severities else "UNSPECIFIED",
                "ExecutionSummary": report["summary"],
                "CompliantSummary": {"CompliantCount": len(items) - len(failing)},
                "NonCompliantSummary": {"NonCompliantCount": len(failing)},
            }
            if self._matches(data.get("Filters"), entry):
                entries.append(entry)
        page, token = self._page(entries, data)
        return {"ResourceComplianceSummaryItems": page, **({"NextToken": token} if token else {})}
