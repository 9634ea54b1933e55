"""Which tasks changed on which host, from ansible-playbook's default console output on
stdin (at any verbosity): prints {"host": ["role : task", ...]} as JSON, hosts with no
changed task left out."""

from __future__ import annotations

import json
import re
import sys

TASK = re.compile(r"^(?:TASK|RUNNING HANDLER) \[(.+?)\] \*+$")
CHANGED = re.compile(r"^changed: \[([^\]]+)\]")


def changed_tasks(lines):
    changed, task = {}, None
    for line in lines:
        if match := TASK.match(line):
            task = match.group(1)
        elif (match := CHANGED.match(line)) and task:
            changed.setdefault(match.group(1), set()).add(task)
    return {host: sorted(tasks) for host, tasks in sorted(changed.items())}


if __name__ == "__main__":
    print(json.dumps(changed_tasks(sys.stdin.read().splitlines())))
