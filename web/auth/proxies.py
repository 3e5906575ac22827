"""The client's address behind reverse proxies named in ``POTBANK_TRUSTED_PROXIES``.

werkzeug's ProxyFix trusts a fixed number of hops from whoever connects; here the header is
believed only when the connection comes from a named proxy (an address or a network, such as
``127.0.0.1`` or ``10.0.0.0/8``). The client is then the right-most ``X-Forwarded-For`` entry
that is not itself a trusted proxy: entries to its left were written by the client and prove
nothing. With no proxy named, the header is ignored and the connecting address is the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> list[IPNetwork]:
    """The proxies' networks (ValueError naming a malformed entry)."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"POTBANK_TRUSTED_PROXIES: {entry!r} is not an address or network"
            ) from None
    return networks


def _trusted(address: str, networks: list[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(remote: str, forwarded_for: str, networks: list[IPNetwork]) -> str:
    """The client's address, given the connecting one and the ``X-Forwarded-For`` header."""
    if not networks or not _trusted(remote, networks):
        return remote
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                # A malformed entry: nothing to its left can be believed either.
                return remote
    return remote


class TrustedProxies:
    """WSGI middleware setting ``REMOTE_ADDR`` to the client's address (see ``client_address``),
    and the scheme from ``X-Forwarded-Proto`` when a trusted proxy sent it."""

    def __init__(self, app: Any, proxies: Iterable[str]) -> None:
        self.app = app
        self.networks = parse_networks(proxies)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        remote = environ.get("REMOTE_ADDR", "")
        if self.networks and _trusted(remote, self.networks):
            forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
            environ["REMOTE_ADDR"] = client_address(remote, forwarded, self.networks)
            scheme = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if scheme in ("http", "https"):
                environ["wsgi.url_scheme"] = scheme
        return self.app(environ, start_response)
