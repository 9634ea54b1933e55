"""Requests as the service sees them, checked against botocore's service model.

A REST-JSON request (AppConfig, AppConfigData) is routed to its operation by method and
URI template, its input rebuilt from the URI, query string, headers and body, and that
input checked against the operation's input shape: required members, unknown members,
types, lengths, ranges, enums and patterns. botocore's own client-side validation (and
its Stubber) checks only required members, types and minimum lengths, so this is what
proves that a request would pass AWS's model checks. Responses are serialized the same
way (headers, payload, JSON body) from the output shape.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from dataclasses import dataclass, field

import botocore.session

LABEL = re.compile(r"\{([^}+]+)(\+?)\}")


@dataclass
class Route:
    service: str
    operation: object  # botocore OperationModel
    pattern: re.Pattern
    labels: list = field(default_factory=list)


class ModelViolation(ValueError):
    """The request breaks the service model; the message names the member and the rule."""


class ServiceModels:
    def __init__(self, services=("appconfig", "appconfigdata")):
        session = botocore.session.get_session()
        self.models = {name: session.get_service_model(name) for name in services}
        self.routes = []
        for service, model in self.models.items():
            for name in model.operation_names:
                operation = model.operation_model(name)
                uri = operation.http["requestUri"].split("?")[0]
                labels = [match.group(1) for match in LABEL.finditer(uri)]
                regex = ""
                position = 0
                for match in LABEL.finditer(uri):
                    regex += re.escape(uri[position : match.start()])
                    regex += "(.+)" if match.group(2) else "([^/]+)"
                    position = match.end()
                regex += re.escape(uri[position:])
                self.routes.append(Route(service, operation, re.compile(f"^{regex}$"), labels))
        # Literal segments beat labels: /applications/x/environments before /applications/{id}.
        self.routes.sort(key=lambda route: (-route.operation.http["requestUri"].count("/"), len(route.labels)))

    def route(self, method, raw_path):
        path = raw_path.split("?")[0]
        for route in self.routes:
            if route.operation.http["method"] != method:
                continue
            match = route.pattern.match(path)
            if match:
                labels = {name: urllib.parse.unquote(value) for name, value in zip(route.labels, match.groups())}
                return route, labels
        return None, None

    # -- requests -------------------------------------------------------------------------
    def parse_input(self, route, labels, raw_path, headers, body):
        """The operation's input as a dict, rebuilt from the HTTP request."""
        shape = route.operation.input_shape
        if shape is None:
            return {}
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(raw_path).query, keep_blank_values=True)
        lowered = {key.lower(): value for key, value in headers.items()}
        payload = shape.serialization.get("payload")
        document = {}
        if body and payload is None:
            try:
                document = json.loads(body)
            except ValueError:
                raise ModelViolation("body: not JSON") from None
        data = {}
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if location == "uri" and wire in labels:
                data[name] = _scalar(member, labels[wire])
            elif location == "querystring" and wire in query:
                values = query[wire]
                data[name] = (
                    [_scalar(member.member, v) for v in values]
                    if member.type_name == "list"
                    else _scalar(member, values[0])
                )
            elif location == "header" and wire.lower() in lowered:
                data[name] = _scalar(member, lowered[wire.lower()])
            elif name == payload:
                if body:
                    data[name] = body if member.type_name == "blob" else json.loads(body)
            elif location is None and name in document:
                data[name] = document[name]
        if payload is None:
            unknown = sorted(set(document) - set(shape.members))
            if unknown:
                raise ModelViolation(f"{', '.join(unknown)}: not members of {shape.name}")
        return data

    def check(self, route, data):
        """Raise ModelViolation for the first rule of the input shape `data` breaks."""
        shape = route.operation.input_shape
        if shape is not None:
            _check(shape, data, shape.name)

    # -- responses ------------------------------------------------------------------------
    def serialize(self, route, data):
        """(status, headers, body) for the operation's output `data`."""
        status = route.operation.http.get("responseCode", 200)
        shape = route.operation.output_shape
        headers = {"x-amzn-RequestId": "keel-double"}
        if shape is None:
            return status, headers, b""
        payload = shape.serialization.get("payload")
        document = {}
        body = b""
        for name, member in shape.members.items():
            if name not in data or data[name] is None:
                continue
            location = member.serialization.get("location")
            if location == "header":
                headers[member.serialization.get("name", name)] = str(data[name])
            elif name == payload:
                value = data[name]
                body = value if isinstance(value, bytes) else json.dumps(value).encode()
            elif location is None:
                document[name] = _wire(data[name])
        if payload is None:
            body = json.dumps(document).encode()
            headers.setdefault("Content-Type", "application/json")
        return status, headers, body


def check_input(operation, data):
    """Raise ModelViolation for the first rule `data` breaks in `operation`'s input shape
    (a botocore OperationModel): for JSON-protocol services (SSM), whose requests carry the
    input as the body, without a route."""
    shape = operation.input_shape
    if shape is not None:
        _check(shape, data, shape.name)


def error_response(status, code, message, **extra):
    payload = json.dumps({"__type": code, "Message": message, "message": message, **extra}).encode()
    return status, {"x-amzn-ErrorType": code, "Content-Type": "application/json"}, payload


def _wire(value):
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_wire(item) for item in value]
    return value


def _scalar(shape, text):
    if shape.type_name in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            raise ModelViolation(f"{shape.name}: {text!r} is not an integer") from None
    if shape.type_name == "boolean":
        return text.lower() == "true"
    return text


def _check(shape, value, where):
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if not isinstance(value, dict):
            raise ModelViolation(f"{where}: must be a structure")
        for name in shape.required_members:
            if value.get(name) is None:
                raise ModelViolation(f"{where}.{name}: required")
        for name, item in value.items():
            if name not in shape.members:
                raise ModelViolation(f"{where}.{name}: not a member of {shape.name}")
            if item is not None:
                _check(shape.members[name], item, f"{where}.{name}")
        return
    if kind == "list":
        if not isinstance(value, list):
            raise ModelViolation(f"{where}: must be a list")
        _bounds(len(value), meta, where, "items")
        for index, item in enumerate(value):
            _check(shape.member, item, f"{where}[{index}]")
        return
    if kind == "map":
        if not isinstance(value, dict):
            raise ModelViolation(f"{where}: must be a map")
        _bounds(len(value), meta, where, "entries")
        for key, item in value.items():
            _check(shape.key, key, f"{where} key {key!r}")
            _check(shape.value, item, f"{where}[{key!r}]")
        return
    if kind == "string":
        if not isinstance(value, str):
            raise ModelViolation(f"{where}: must be a string")
        _bounds(len(value), meta, where, "characters")
        if "enum" in shape.metadata and value not in shape.metadata["enum"]:
            raise ModelViolation(f"{where}: {value!r} is not one of {shape.metadata['enum']}")
        pattern = meta.get("pattern")
        if pattern and not re.search(pattern, value):
            raise ModelViolation(f"{where}: {value[:60]!r} does not match the model's pattern {pattern}")
        return
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ModelViolation(f"{where}: must be an integer")
        _range(value, meta, where)
        return
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ModelViolation(f"{where}: must be a number")
        _range(value, meta, where)
        return
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ModelViolation(f"{where}: must be a boolean")
        return
    if kind == "blob":
        _bounds(len(value), meta, where, "bytes")


def _bounds(size, meta, where, unit):
    if "min" in meta and size < meta["min"]:
        raise ModelViolation(f"{where}: {size} {unit}, the model's minimum is {meta['min']}")
    if "max" in meta and size > meta["max"]:
        raise ModelViolation(f"{where}: {size} {unit}, the model's maximum is {meta['max']}")


def _range(value, meta, where):
    if "min" in meta and value < meta["min"]:
        raise ModelViolation(f"{where}: {value} is below the model's minimum {meta['min']}")
    if "max" in meta and value > meta["max"]:
        raise ModelViolation(f"{where}: {value} is above the model's maximum {meta['max']}")
