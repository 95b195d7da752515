"""Which IP addresses a platform may connect to on a restaurant's say-so (a webhook's host, a
ticket printer's): the operator's own networks (loopback, private, link-local: the cloud
metadata service at 169.254.169.254) must never be reached by a URL or host an admin typed,
including through an IPv6 address that stands for an IPv4 one."""

import ipaddress

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# (flag, what the refusal calls it), checked in this order
_REFUSED_KINDS = (
    ("is_unspecified", "unspecified"),
    ("is_multicast", "multicast"),
    ("is_loopback", "loopback"),
    ("is_link_local", "link-local"),
    ("is_reserved", "reserved"),
    ("is_private", "private"),
)
_ALWAYS_REFUSED = {"unspecified", "multicast"}  # never a receiver, even in development


def _embedded_ipv4(address):
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, NAT64), else the address."""
    if address.version == 6:
        if address.ipv4_mapped:
            return address.ipv4_mapped
        if address.sixtofour:
            return address.sixtofour
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def refused_kind(address, private_allowed: bool = False) -> str | None:
    """What makes `address` unfit to be reached ("loopback", "private"…), or None."""
    address = _embedded_ipv4(address)
    for flag, kind in _REFUSED_KINDS:
        if getattr(address, flag) and (kind in _ALWAYS_REFUSED or not private_allowed):
            return kind
    if not private_allowed and not address.is_global:
        return "non-public"
    return None
