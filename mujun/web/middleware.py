"""mujun's own middleware: the client's address behind a trusted TLS proxy, and no caching of
what a signed-in user was shown.

The client address is `REMOTE_ADDR`, the peer that opened the connection. Only when that peer is one
of `MUJUN_TRUSTED_PROXIES` (the reverse proxy terminating TLS) is `X-Forwarded-For` read: from the
right, the first address that is not itself a trusted proxy is the client (entries further left were
written by the client and prove nothing). From any other peer the header is dropped, so neither the
login throttle (django-axes) nor the audit trail (django-auditlog) can be told a forged address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.utils.cache import add_never_cache_headers

FORWARDED = "HTTP_X_FORWARDED_FOR"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(entries: Iterable[str]) -> list[Network]:
    """`MUJUN_TRUSTED_PROXIES`' entries (addresses or CIDR networks) as networks; a malformed
    entry is a configuration error, raised at once rather than silently trusting nothing."""
    return [ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip()]


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [IPv6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # IPv4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address, networks: list[Network]) -> bool:
    return address is not None and any(address in n for n in networks)


def client_ip(request) -> str | None:
    """The client's address: the peer's, or, from a trusted proxy, the nearest untrusted hop of
    X-Forwarded-For. Also django-axes' AXES_CLIENT_IP_CALLABLE."""
    peer = request.META.get("REMOTE_ADDR")
    networks = trusted_networks(getattr(settings, "MUJUN_TRUSTED_PROXIES", []))
    if not _trusted(_address(peer or ""), networks):
        return peer
    hops = [h for h in request.META.get(FORWARDED, "").split(",") if h.strip()]
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage in the chain: trust nothing to its left
        client = str(address)
        if not _trusted(address, networks):
            break
    return client


class ClientAddressMiddleware:
    """Put the resolved client address in REMOTE_ADDR and drop X-Forwarded-For, before anything
    (axes, auditlog, the views) reads either. First in MIDDLEWARE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        address = client_ip(request)
        if address:
            request.META["REMOTE_ADDR"] = address
        request.META.pop(FORWARDED, None)
        return self.get_response(request)


class NoStoreMiddleware:
    """Every response to a signed-in user (pages with tax figures, downloads, JSON) is marked
    `Cache-Control: no-store, private`: no browser or proxy cache keeps a copy after logout.
    After AuthenticationMiddleware; static files are answered before it (WhiteNoise) and stay
    cacheable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
