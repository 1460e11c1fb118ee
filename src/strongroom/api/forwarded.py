"""Where a request really came from: the connection's peer, or what trusted proxies say about it.

Behind a load balancer every connection comes from the balancer, so aws:SourceIp, aws:SourceVpce and
aws:SecureTransport would describe it instead of the client. The operator names the proxies it runs
(``trusted_proxies``, CIDRs); only a connection from one of them may speak for the client:

- X-Forwarded-For is read right to left (each proxy appends the address it saw), skipping trusted
  proxies; the first address that is not one is the client. Anything left of it was written by the
  client itself and proves nothing.
- X-Forwarded-Proto's last value is what the nearest trusted proxy saw (proxies set it); "https" there
  makes the request secure.

From any other peer both headers are ignored, so a client cannot forge its address or its scheme.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["ClientOrigin", "client_origin"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class ClientOrigin:
    """The client's address (None when unknown) and whether it reached us over TLS."""

    ip: str | None
    secure: bool


@lru_cache(maxsize=64)
def _networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def _forwarded_client(header: str, networks: tuple[Network, ...]) -> str | None:
    """The rightmost X-Forwarded-For address that is not a trusted proxy (None if the header is unusable)."""
    hops = [h.strip() for h in header.split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return None  # a garbled chain: believe nothing in it
        if not _trusted(hop, networks):
            return hop
    return hops[0] if hops else None


def client_origin(scope: Mapping[str, object], headers: Mapping[str, str], trusted_proxies: Sequence[str]) -> ClientOrigin:
    """The request's true origin, given the operator's trusted proxies."""
    client = scope.get("client")
    peer = str(client[0]) if isinstance(client, tuple | list) and client else None
    secure = scope.get("scheme") == "https"
    if peer is None or not trusted_proxies:
        return ClientOrigin(peer, secure)
    networks = _networks(tuple(trusted_proxies))
    if not _trusted(peer, networks):
        return ClientOrigin(peer, secure)
    forwarded_for = headers.get("x-forwarded-for")
    ip = (_forwarded_client(forwarded_for, networks) if forwarded_for else None) or peer
    proto = headers.get("x-forwarded-proto")
    if proto:
        secure = proto.split(",")[-1].strip().lower() == "https"
    return ClientOrigin(ip, secure)
