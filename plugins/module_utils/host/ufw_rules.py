# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What keel.ssm.ufw_state wants from ufw, and the order it gets there in: pure data and
decisions, no I/O (the host side is ufw.py, the adapter).

- `desired_rules` turns the role's settings into the exact rules ufw would store
  (addresses in ufw's normal form), validating every entry first.
- `next_rule_op` plans one change at a time towards: the role's rules as a block at
  the top of each family's list, in order management, loopback, allowed in, allowed
  out; rules the role does not own after them (or removed when purging). It never
  plans the removal of an allowed port before a replacement is in place: on an active
  firewall a rule that has to move is first covered by a temporary "bridge" rule.

Check mode (which simulates) and the real run (which executes and re-reads after every
step) follow the very same plan.
"""

from __future__ import annotations

import ipaddress
import re
from collections import namedtuple
from typing import Any, Dict, List, Mapping

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
PORT_SPEC = re.compile(r"^(?P<ports>\d{1,5}(?::\d{1,5})?)/(?P<proto>[a-z]+)(?:\s+(?P<word>[a-z]+)\s+(?P<addr>\S+))?$")
PROTOCOLS = ("tcp", "udp")
_RuleBase = namedtuple("Rule", "action proto dport dst sport src direction dapp sapp forward comment log")


class Rule(_RuleBase):
    """One `### tuple ###` line of ufw's rule store (one address family)."""

    __slots__ = ()

    @property
    def key(self) -> tuple[Any, ...]:
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
    def ours(self) -> bool:
        return self.comment == MARKER or self.comment.startswith(MARKER + ":")

    @property
    def is_bridge(self) -> bool:
        return self.comment == COMMENTS["bridge"]

    @property
    def bridgeable(self) -> bool:
        return (
            self.action in ("allow", "limit")
            and self.proto in PROTOCOLS
            and self.dport != "any"
            and self.sport == "any"
            and not self.forward
        )

    def bridge(self) -> Rule:
        return self._replace(action="allow", sport=BRIDGE_SPORT, comment=COMMENTS["bridge"], log="")

    def bridged_key(self) -> tuple[Any, ...]:
        """For a bridge: the key of the rule it stands in for."""
        return self._replace(sport="any").key

    def same(self, other: Rule) -> bool:
        """Identical as ufw stores it: key, action, log type and comment."""
        return self == other

    def describe(self) -> str:
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


Rules = Dict[str, List[Rule]]  # address family ("v4", "v6") -> rules in ufw's order


def make_rule(
    action: str,
    direction: str = "in",
    proto: str = "any",
    dport: str = "any",
    src: str = "0.0.0.0/0",
    dst: str = "0.0.0.0/0",
    comment: str = "",
) -> Rule:
    return Rule(action, proto, dport, dst, "any", src, direction, "-", "-", False, comment, "")


def parse_address(text: Any, field: str) -> tuple[str | None, str | None]:
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


def parse_port_spec(text: Any, field: str, word: str | None = None, single: bool = False) -> tuple[str, str, str]:
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


def desired_rules(settings: Mapping[str, Any], prefix: str = "") -> Rules:
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


def management_rules(desired: Rules) -> Rules:
    return {
        family: [rule for rule in rules if rule.comment == COMMENTS["management"]] for family, rules in desired.items()
    }


def missing_management(current: Mapping[str, list[Rule]], desired: Rules) -> list[str]:
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


def next_rule_op(current: Rules, desired: Rules, active: bool, purge: bool) -> Op | None:
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
