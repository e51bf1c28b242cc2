"""Is a reply's sender authenticated by the trusted receiving server (DKIM, SPF or DMARC pass)?"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class AuthResult:
    authserv_id: str
    method: str  # dkim / spf / dmarc / ...
    result: str  # pass / fail / softfail / none / ...
    properties: Mapping[str, str] = field(default_factory=dict)  # "header.d" -> "bontangkota.go.id"


def _aligned(domain: str, sender_domain: str) -> bool:
    """Relaxed alignment: the same domain, or one is a subdomain of the other."""
    domain, sender_domain = domain.strip(".").lower(), sender_domain.strip(".").lower()
    if not domain or not sender_domain:
        return False
    return (
        domain == sender_domain
        or sender_domain.endswith("." + domain)
        or domain.endswith("." + sender_domain)
    )


def _domain_of(value: str) -> str:
    return value.rsplit("@", 1)[-1]


def sender_authenticated(results: Iterable[AuthResult], sender: str, trusted_servers: Iterable[str]) -> bool:
    """True when a trusted server reports a pass that is aligned with the sender's domain.

    Only headers from `trusted_servers` count: anyone can write an Authentication-Results header
    into a mail, only our receiving server's one is evidence.
    """
    trusted = {s.strip().lower() for s in trusted_servers}
    sender_domain = _domain_of(sender.lower())
    for item in results:
        if item.authserv_id not in trusted or item.result != "pass":
            continue
        props = item.properties
        if item.method == "dkim":
            signer = props.get("header.d") or _domain_of(props.get("header.i", ""))
            if _aligned(signer, sender_domain):
                return True
        elif item.method == "spf":
            mailfrom = props.get("smtp.mailfrom") or props.get("smtp.helo", "")
            if _aligned(_domain_of(mailfrom), sender_domain):
                return True
        elif item.method == "dmarc" and _aligned(props.get("header.from", ""), sender_domain):
            return True
    return False
