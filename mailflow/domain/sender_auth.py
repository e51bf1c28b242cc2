"""Is a reply's sender authenticated by the trusted receiving server (DKIM, SPF or DMARC pass)?

Which Authentication-Results headers are evidence (RFC 8601 section 5)
    A receiving server prepends its own header above everything the message already carried, and
    anyone on the way, the sender first, can write an Authentication-Results header that claims
    any authserv-id, ours included. Only the headers our own servers put on top are evidence:

    1. Walk the headers from the top, in the order of the raw message. The contiguous run of
       headers whose authserv-id is one of `trusted_authserv_ids`, starting at the very first
       header, is the evidence: a chain of trusted servers (say an internal filter in front of
       the MX) each prepend theirs.
    2. The first header from another authserv-id, or one that cannot be parsed, ends the run:
       nothing below it counts, even a header that claims a trusted id (it sits below a foreign
       one, so a foreign party wrote it). When the very first header is not trusted, nothing is.
    3. Each trusted server counts once, by its topmost header: a second header with an id that
       already appeared in the run ends it too. A server writes its verdict above whatever the
       sender wrote, so a trusted `dkim=fail` beats a forged `dkim=pass` placed directly below it
       under the same id, and a forged header cannot add a method (say `spf=pass`) that the
       server's own header did not report.
    4. The sender is authenticated when a counted result is a pass aligned with the sender's
       domain: DKIM `header.d` (or `header.i`), SPF `smtp.mailfrom` (or `smtp.helo`), DMARC
       `header.from`, each the same domain or a parent/child of it (relaxed alignment).

    Consequences for the server's configuration: it must add its header to every mail it
    delivers (a mail without one would let the sender's header be the topmost), and it should
    write all its results into one header; a server that writes one header per check (e.g.
    separate OpenDKIM and OpenDMARC milters) is judged by the topmost of them only. Servers that
    delete foreign headers claiming their id (RFC 8601 section 5) close the first gap as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class AuthResult:
    authserv_id: str
    method: str  # dkim / spf / dmarc / ...
    result: str  # pass / fail / softfail / none / ...
    properties: Mapping[str, str] = field(default_factory=dict)  # "header.d" -> "bontangkota.go.id"


@dataclass(frozen=True)
class AuthHeader:
    """One Authentication-Results header; `authserv_id` is None when it could not be parsed."""

    authserv_id: str | None
    results: tuple[AuthResult, ...] = ()


def evidence(headers: Sequence[AuthHeader], trusted_servers: Iterable[str]) -> list[AuthResult]:
    """The results that count (rules 1-3 of the module docstring), topmost first."""
    trusted = {s.strip().lower() for s in trusted_servers if s.strip()}
    counted: list[AuthResult] = []
    seen: set[str] = set()
    for header in headers:
        server = header.authserv_id
        if server is None or server not in trusted or server in seen:
            break
        seen.add(server)
        counted.extend(header.results)
    return counted


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


def sender_authenticated(headers: Sequence[AuthHeader], sender: str, trusted_servers: Iterable[str]) -> bool:
    """True when a result that counts (see `evidence`) is a pass aligned with the sender's domain."""
    sender_domain = _domain_of(sender.lower())
    for item in evidence(headers, trusted_servers):
        if item.result != "pass":
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
