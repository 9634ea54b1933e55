# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ufw as keel.ssm.ufw_state sees it: no I/O here, only data and decisions.

- `parse_rules` reads ufw's own rule store (the `### tuple ###` lines of
  /etc/ufw/user.rules and user6.rules), which is what `ufw` itself loads.
- `desired_rules` turns the role's settings into the exact tuples ufw would store
  (addresses in ufw's normal form), validating every entry first.
- `next_rule_op` plans one change at a time towards: the role's rules as a block at
  the top of each family's list, in order management, loopback, allowed in, allowed
  out; rules the role does not own after them (or removed when purging). It never
  plans the removal of an allowed port before a replacement is in place: on an active
  firewall a rule that has to move is first covered by a temporary "bridge" rule.
- `ufw_number` / `rule_argv` turn a planned step into a ufw command line.

Everything is pure so that check mode (which simulates) and the real run (which
executes and re-reads after every step) follow the very same plan.
"""

from __future__ import annotations

import ipaddress
import re
from collections import namedtuple

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelHostError, KeelRuleError

MARKER = "keel.ssm.ufw"
KINDS = ("management", "loopback", "allowed", "allowed-out", "bridge")
COMMENTS = {kind: f"{MARKER}:{kind}" for kind in KINDS}
FAMILIES = ("v4", "v6")
ANY = {"v4": "0.0.0.0/0", "v6": "::/0"}
LOOPBACK_NET = {"v4": "127.0.0.0/8", "v6": "::1"}
# A bridge matches the same traffic as the rule it stands in for (no TCP/UDP client
# uses source port 0) but differs from it in ufw's eyes, so both can exist at once.
BRIDGE_SPORT = "1:65535"
TUPLE_PREFIX = "### tuple ###"
PORT_SPEC = re.compile(r"^(?P<ports>\d{1,5}(?::\d{1,5})?)/(?P<proto>[a-z]+)(?:\s+(?P<word>[a-z]+)\s+(?P<addr>\S+))?$")
PROTOCOLS = ("tcp", "udp")
POLICIES = {"DROP": "deny", "ACCEPT": "allow", "REJECT": "reject"}
LOG_LEVELS = ("off", "low", "medium", "high", "full")


_RuleBase = namedtuple("Rule", "action proto dport dst sport src direction dapp sapp forward comment log")


class Rule(_RuleBase):
    """One `### tuple ###` line of ufw's rule store (one address family)."""

    __slots__ = ()

    @property
    def key(self):
        # What ufw's UFWRule.match compares: two rules with the same key cannot coexist,
        # adding one updates the other in place (action, log type and comment).
        return (
            self.forward,
            self.proto,
            self.dport,
            self.dst,
            self.sport,
            self.src,
            self.direction,
            self.dapp,
            self.sapp,
        )

    @property
    def ours(self):
        return self.comment == MARKER or self.comment.startswith(MARKER + ":")

    @property
    def is_bridge(self):
        return self.comment == COMMENTS["bridge"]

    @property
    def bridgeable(self):
        return (
            self.action in ("allow", "limit")
            and self.proto in PROTOCOLS
            and self.dport != "any"
            and self.sport == "any"
            and not self.forward
        )

    def bridge(self):
        return self._replace(action="allow", sport=BRIDGE_SPORT, comment=COMMENTS["bridge"], log="")

    def bridged_key(self):
        """For a bridge: the key of the rule it stands in for."""
        return self._replace(sport="any").key

    def same(self, other):
        """Identical as ufw stores it: key, action, log type and comment."""
        return self == other

    def describe(self):
        parts = [self.action + (f" log-{self.log}" if self.log else ""), self.direction.replace("_", " on ")]
        if self.forward:
            parts.insert(0, "route")
        parts.append(f"{self.proto} {self.dport}" if self.dport != "any" else f"proto {self.proto}")
        parts.append(f"from {self.src}" + (f" port {self.sport}" if self.sport != "any" else ""))
        parts.append(f"to {self.dst}")
        if self.dapp != "-" or self.sapp != "-":
            parts.append(f"app {self.dapp}/{self.sapp}")
        if self.comment:
            parts.append(f"comment {self.comment!r}")
        return " ".join(parts)


def make_rule(action, direction="in", proto="any", dport="any", src="0.0.0.0/0", dst="0.0.0.0/0", comment=""):
    return Rule(action, proto, dport, dst, "any", src, direction, "-", "-", False, comment, "")


def parse_tuple(line):
    """A Rule from one `### tuple ###` line, or None for any other line (as ufw reads it)."""
    line = line.strip()
    if not line.startswith(TUPLE_PREFIX):
        return None
    body = line.removeprefix(TUPLE_PREFIX)
    comment = ""
    if " comment=" in body:
        body, encoded = body.split(" comment=", 1)
        try:
            comment = bytes.fromhex(encoded.strip()).decode("utf-8", "replace")
        except ValueError:
            comment = encoded.strip()
    fields = body.split()
    if not 6 <= len(fields) <= 9:
        return None  # ufw skips malformed tuples too
    direction = fields[-1] if len(fields) in (7, 9) else "in"
    dapp, sapp = (fields[6], fields[7]) if len(fields) >= 8 else ("-", "-")
    action, forward = fields[0], False
    if ":" in action:  # route rules are stored as route:<action>
        forward, action = True, action.split(":", 1)[1]
    action, _sep, log = action.partition("_")  # allow_log, allow_log-all
    return Rule(
        action, fields[1], fields[2], fields[3], fields[4], fields[5], direction, dapp, sapp, forward, comment, log
    )


def parse_rules(text):
    rules = []
    for line in text.splitlines():
        rule = parse_tuple(line)
        if rule is not None:
            rules.append(rule)
    return rules


def parse_key_values(text):
    """KEY=value lines of /etc/default/ufw or /etc/ufw/ufw.conf (quotes removed)."""
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _sep, value = line.partition("=")
        values[key.strip()] = value.strip().strip("\"'")
    return values


def set_key_value(text, key, value):
    """Return text with KEY=value set: the first assignment replaced, or a line appended."""
    lines = text.splitlines(True)
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for index, line in enumerate(lines):
        if pattern.match(line):
            lines[index] = f"{key}={value}\n"
            return "".join(lines)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join([*lines, f"{key}={value}\n"])


# --- settings -> rules ------------------------------------------------------------


def parse_address(text, field):
    """(family, ufw's normal form) for an address or network; (None, None) for `any`."""
    text = str(text).strip()
    if text.lower() == "any":
        return None, None
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        raise KeelRuleError(
            f"{field}: {text!r} must be 'any' or an IPv4/IPv6 address or network written without host bits ({exc})"
        ) from None
    family = "v4" if network.version == 4 else "v6"
    if network.prefixlen == 0:
        return family, ANY[family]
    if network.prefixlen == network.max_prefixlen:
        return family, str(network.network_address)  # ufw drops /32 and /128
    return family, network.with_prefixlen


def parse_port_spec(text, field, word=None, single=False):
    """`PORT[:PORT]/PROTO [<word> ADDRESS]` -> (ports, proto, address text or 'any')."""
    spec = " ".join(str(text).split())
    match = PORT_SPEC.match(spec)
    shape = "PORT/PROTO" if single else "PORT[:PORT]/PROTO" + (f" [{word} ADDRESS]" if word else "")
    if not match or (match.group("word") and match.group("word") != word):
        raise KeelRuleError(f"{field}: {spec!r} is not {shape} (PROTO tcp or udp, for example '443/tcp')")
    ports, proto = match.group("ports"), match.group("proto")
    if proto not in PROTOCOLS:
        raise KeelRuleError(f"{field}: protocol {proto!r} in {spec!r} must be tcp or udp")
    numbers = [int(port) for port in ports.split(":")]
    if any(not 1 <= number <= 65535 for number in numbers):
        raise KeelRuleError(f"{field}: ports in {spec!r} must be between 1 and 65535")
    if len(numbers) == 2 and numbers[0] >= numbers[1]:
        raise KeelRuleError(f"{field}: range {ports!r} in {spec!r} must go from low to high")
    if single and len(numbers) != 1:
        raise KeelRuleError(f"{field}: {spec!r} must be a single port (PORT/PROTO), not a range")
    return ":".join(str(number) for number in numbers), proto, match.group("addr") or "any"


def _families_for(address_family, families, field, text):
    if address_family is None:
        return list(families)
    if address_family not in families:
        raise KeelRuleError(f"{field}: {text!r} is an IPv6 address but IPv6 is switched off (ipv6: false)")
    return [address_family]


def desired_rules(settings, prefix=""):
    """The rules the role owns, per family, in the order they must appear at the top.

    settings: management_port, management_sources, management_limit, loopback,
    allowed_ports, allowed_out_ports, ipv6. `prefix` is put before setting names in
    error messages (the role passes `keel_ufw_`).
    """
    families = FAMILIES if settings["ipv6"] else ("v4",)
    rules = {family: [] for family in families}
    origin = {}

    def add(family, rule, field):
        where = origin.get((family, rule.key))
        if where is not None:
            raise KeelRuleError(f"{field} duplicates {where} (same port, protocol, direction and address)")
        origin[(family, rule.key)] = field
        rules[family].append(rule)

    name = f"{prefix}management_port"
    port, proto, _address = parse_port_spec(settings["management_port"], name, single=True)
    sources = settings["management_sources"] or []
    if not sources:
        raise KeelRuleError(f"{prefix}management_sources: must name at least one source ('any' allows every address)")
    action = "limit" if settings["management_limit"] else "allow"
    for index, source in enumerate(sources):
        field = f"{prefix}management_sources[{index}]"
        address_family, address = parse_address(source, field)
        for family in _families_for(address_family, families, field, source):
            rule = make_rule(action, "in", proto, port, address or ANY[family], ANY[family], COMMENTS["management"])
            add(family, rule, field)

    if settings["loopback"]:
        for family in families:
            comment = COMMENTS["loopback"]
            add(
                family,
                make_rule("allow", "in_lo", src=ANY[family], dst=ANY[family], comment=comment),
                f"{prefix}loopback",
            )
            add(
                family,
                make_rule("allow", "out_lo", src=ANY[family], dst=ANY[family], comment=comment),
                f"{prefix}loopback",
            )
            rule = make_rule("deny", "in", src=LOOPBACK_NET[family], dst=ANY[family], comment=comment)
            add(family, rule, f"{prefix}loopback")

    for setting, word, direction, kind in (
        ("allowed_ports", "from", "in", "allowed"),
        ("allowed_out_ports", "to", "out", "allowed-out"),
    ):
        for index, text in enumerate(settings.get(setting) or []):
            field = f"{prefix}{setting}[{index}]"
            port, proto, address_text = parse_port_spec(text, field, word=word)
            address_family, address = parse_address(address_text, field)
            for family in _families_for(address_family, families, field, text):
                remote = address or ANY[family]
                src, dst = (remote, ANY[family]) if direction == "in" else (ANY[family], remote)
                add(family, make_rule("allow", direction, proto, port, src, dst, COMMENTS[kind]), field)
    return rules


def management_rules(desired):
    return {
        family: [rule for rule in rules if rule.comment == COMMENTS["management"]] for family, rules in desired.items()
    }


def missing_management(current, desired):
    """Desired management rules that are not stored exactly so (empty when it is safe to close the door)."""
    wanted = management_rules(desired)
    if not any(wanted.values()):
        return [f"no management rule applies to the address families in use ({', '.join(desired) or 'none'})"]
    missing = []
    for family, rules in wanted.items():
        have = set(current.get(family, []))
        missing.extend(
            f"management rule not in ufw's rule store ({family}): {rule.describe()}"
            for rule in rules
            if rule not in have
        )
    return missing


# --- planning -----------------------------------------------------------------------

Op = namedtuple("Op", "kind family index rule")  # kind: insert | update | delete


def _removable(rule, wanted_keys, purge):
    """A rule that is going away anyway: the role's own stale rules, others when purging."""
    return rule.key not in wanted_keys and (rule.ours or purge)


def _ensure_management(family, current, wanted):
    """Stage A: every management rule exists (inserted near the top, or an existing rule
    for the same traffic updated in place, which never interrupts it)."""
    for index, want in enumerate(wanted):
        position = next((pos for pos, rule in enumerate(current) if rule.key == want.key), None)
        if position is None:
            return Op("insert", family, min(index, len(current)), want)
        if not current[position].same(want):
            return Op("update", family, position, want)
    return None


def _ensure_block(family, current, wanted, active, purge):
    """Stage B: the rules in `wanted` form the top of the list, in order."""
    wanted_keys = {rule.key for rule in wanted}
    for index, want in enumerate(wanted):
        have = current[index] if index < len(current) else None
        if have is not None and have.same(want):
            continue
        if have is not None and have.is_bridge:
            if any(rule.key == have.bridged_key() for rule in current[:index]):
                return Op("delete", family, index, have)  # the rule it stood in for is back in place
        elif have is not None and _removable(have, wanted_keys, purge):
            return Op("delete", family, index, have)  # going anyway: no need to move the rest past it
        position = next((pos for pos, rule in enumerate(current) if rule.key == want.key), None)
        if position == index:
            return Op("update", family, index, want)  # same rule, other action or comment: in place
        if position is None:
            return Op("insert", family, index, want)
        if position < index:
            raise KeelHostError(f"{family}: {want.describe()} appears twice in the desired rules")
        # It sits lower than it should (below a rule someone else added above it): move it
        # up. ufw refuses a second copy, so on an active firewall a bridge rule keeps the
        # port open while it moves.
        if active and want.bridgeable and not any(rule.key == want.bridge().key for rule in current):
            return Op("insert", family, index, want.bridge())
        return Op("delete", family, position, current[position])
    return None


def next_rule_op(current, desired, active, purge):
    """The next step from `current` towards `desired` (dicts family -> list of Rule), or None.

    Stage A makes every management rule exist, in every family, before anything else
    changes; stage B builds the block at the top (removing, where they stand, rules that
    are going anyway); stage C removes what is left below it: the role's stale rules
    always, other rules only when purging.
    """
    for family in desired:
        op = _ensure_management(family, current[family], management_rules(desired)[family])
        if op:
            return op
    for family in desired:
        op = _ensure_block(family, current[family], desired[family], active, purge)
        if op:
            return op
    for family in desired:
        rules = current[family]
        wanted_keys = {rule.key for rule in desired[family]}
        for index in range(len(rules) - 1, len(desired[family]) - 1, -1):
            if _removable(rules[index], wanted_keys, purge) or rules[index].is_bridge:
                return Op("delete", family, index, rules[index])
    return None


def _app_tuple(rule):
    """ufw's get_app_tuple: the tuples of one application rule share it; '' for other rules."""
    dapp = "" if rule.dapp == "-" else rule.dapp
    sapp = "" if rule.sapp == "-" else rule.sapp
    if not dapp and not sapp:
        return ""
    first = dapp if dapp else rule.dport
    third = sapp if sapp else rule.sport
    return (first, rule.dst, third, rule.src, rule.direction)


def apply_op(current, op):
    """The rules after `op`, as ufw would store them."""
    result = {family: list(rules) for family, rules in current.items()}
    rules = result[op.family]
    if op.kind == "insert":
        rules.insert(op.index, op.rule)
    elif op.kind == "update":
        rules[op.index] = op.rule
    elif op.kind == "delete":
        group = _app_tuple(rules[op.index])
        if group:  # deleting an application rule removes all of its tuples
            result[op.family] = [rule for rule in rules if _app_tuple(rule) != group]
        else:
            del rules[op.index]
    else:
        raise ValueError(f"unknown operation {op.kind!r}")
    return result


def ufw_number(current, family, index):
    """The number `ufw status numbered` shows for a stored rule (v4 first, then v6;
    the tuples of one application rule share one number)."""
    seen = set()
    number = 0
    for fam in [f for f in FAMILIES if f in current]:
        for position, rule in enumerate(current[fam]):
            group = _app_tuple(rule)
            if group:
                if (fam, group) in seen:
                    if fam == family and position == index:
                        return number
                    continue
                seen.add((fam, group))
            number += 1
            if fam == family and position == index:
                return number
    raise IndexError(f"no {family} rule at {index}")


def _count_numbers(rules):
    return len({_app_tuple(rule) or ("plain", index) for index, rule in enumerate(rules)})


def rule_argv(rule):
    """ufw arguments that create `rule` (one family: the addresses are explicit)."""
    direction, _sep, interface = rule.direction.partition("_")
    argv = [rule.action, direction]
    if interface:
        argv += ["on", interface]
    if rule.proto != "any":
        argv += ["proto", rule.proto]
    argv += ["from", rule.src]
    if rule.sport != "any":
        argv += ["port", rule.sport]
    argv += ["to", rule.dst]
    if rule.dport != "any":
        argv += ["port", rule.dport]
    if rule.comment:
        argv += ["comment", rule.comment]
    return argv


def op_argv(current, op):
    """ufw arguments for one planned step, numbered against `current`."""
    if op.kind == "delete":
        return ["--force", "delete", str(ufw_number(current, op.family, op.index))]
    if op.kind == "update" or op.index >= len(current[op.family]):
        return rule_argv(op.rule)  # ufw updates a matching rule in place, or appends
    # `ufw insert N`: N is the rule's place in its own family for IPv4; for IPv6 ufw
    # subtracts the number of IPv4 rules first.
    offset = _count_numbers(current["v4"]) if op.family == "v6" else 0
    return ["insert", str(offset + op.index + 1), *rule_argv(op.rule)]


def render_state(state):
    """A readable text of a firewall state, for --diff."""
    lines = [
        f"enabled: {'yes' if state['enabled'] else 'no'}",
        f"ipv6: {'yes' if state['ipv6'] else 'no'}",
        f"default: {state['incoming']} (incoming), {state['outgoing']} (outgoing), {state['routed']} (routed)",
        f"logging: {state['logging']}",
        f"IPT_SYSCTL: {state['sysctl_file']}",
    ]
    for family in FAMILIES:
        if family in state["rules"]:
            lines.append(f"{family} rules:")
            lines.extend(f"  {index + 1}. {rule.describe()}" for index, rule in enumerate(state["rules"][family]))
    return "\n".join(lines) + "\n"
