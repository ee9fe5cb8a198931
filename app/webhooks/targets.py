"""Where a webhook may be sent: http(s) URLs whose host resolves to public addresses only.

Checked when a subscription is made and again before every attempt (a name can start
resolving elsewhere); the attempt then connects to the addresses that were checked, so a
second lookup cannot swap in another one.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

SCHEMES = frozenset({"http", "https"})
PRIVATE_REFUSED = (
    "The URL's host is, or resolves to, a private, loopback, link-local, multicast or "
    "reserved address: webhooks go to public addresses only."
)
UNRESOLVED = "The URL's host does not resolve to any address."


class TargetRefused(Exception):
    """A webhook URL that may not be used; the message says why, without repeating it."""


@dataclass(frozen=True)
class Target:
    """A URL checked for sending: its host, port, and the addresses to connect to, in order."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def is_public(address: str) -> bool:
    """Is this an address on the public internet (not private, loopback, multicast, …)?"""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def split(url: str) -> tuple[str, str, int]:
    """The scheme, host and port of a webhook URL; ``TargetRefused`` if it is not one."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise TargetRefused("The URL's port is not valid.") from None
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise TargetRefused("The URL must be an http or https URL with a host.")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("The URL may not carry a user name or password.")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve(url: str, *, allow_private: bool) -> Target:
    """Check ``url`` and resolve its host; every address must be public unless allowed."""
    scheme, host, port = split(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise TargetRefused(UNRESOLVED) from None
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise TargetRefused(UNRESOLVED)
    if not allow_private and not all(is_public(address) for address in addresses):
        raise TargetRefused(PRIVATE_REFUSED)
    return Target(url, scheme, host, port, addresses)
