"""What counts as a mail address mailflow may use (pure).

An address is used as an identity (who answered a step) and as a recipient (who gets a mail).
Both need the plain RFC 5321 form `local@domain` and nothing else: a dot-atom local part in
ASCII, a domain of letter-digit-hyphen labels with at least one dot. Quoted local parts, comments,
spaces, control or bidi characters, IP literals and non-ASCII addresses are valid in some RFC but
are not what officials and citizens use, and each has been a way to smuggle a second address or a
misleading one past a reader. Such an address is refused as a recipient and as an identity; the
mail it came in is quarantined or answered by nobody.
"""

from __future__ import annotations

import re

MAX_LOCAL = 64
MAX_DOMAIN = 253
MAX_ADDRESS = 254  # RFC 5321 path limit minus the angle brackets

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*$")
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_TLD = re.compile(r"^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$")


def is_valid_addr_spec(address: str | None) -> bool:
    """True for a plain `local@domain` address that mailflow may send to or trust as a sender."""
    if not address or len(address) > MAX_ADDRESS or address.count("@") != 1:
        return False
    local, _, domain = address.rpartition("@")
    if not local or len(local) > MAX_LOCAL or not _LOCAL.fullmatch(local):
        return False
    if not domain or len(domain) > MAX_DOMAIN:
        return False
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return False
    return bool(_TLD.fullmatch(labels[-1]))


def normalise(address: str | None) -> str | None:
    """The lower-cased address when it is valid, else None."""
    if address is None:
        return None
    cleaned = address.strip()
    return cleaned.lower() if is_valid_addr_spec(cleaned) else None
