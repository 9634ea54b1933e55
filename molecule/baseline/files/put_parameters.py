"""Write settings to the moto server of the baseline scenario (the stand-in for Parameter
Store), with boto3 on the controller. Usage: put_parameters.py ENDPOINT PATH FILE, where the
JSON FILE maps names relative to PATH to a value (a String) or to {"type": ..., "value": ...}.
Prints the names written, never a value."""

from __future__ import annotations

import json
import sys

import boto3


def main(endpoint, path, settings):
    # moto accepts any region; the credentials come from the scenario's environment.
    ssm = boto3.client("ssm", endpoint_url=endpoint, region_name="us-east-1")
    for name, entry in sorted(settings.items()):
        spec = entry if isinstance(entry, dict) else {"value": entry}
        full = f"{path.rstrip('/')}/{name}"
        ssm.put_parameter(Name=full, Value=str(spec["value"]), Type=spec.get("type", "String"), Overwrite=True)
        print(full)


if __name__ == "__main__":
    with open(sys.argv[3], encoding="utf-8") as handle:
        main(sys.argv[1], sys.argv[2], json.load(handle))
