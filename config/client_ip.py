"""The client's address behind the deployment's reverse proxies (django-axes' lockout key).

Each proxy appends the address it received the request from to X-Forwarded-For, so with N
trusted proxies in front of the app the client is the N-th entry from the right: entries
further left were written by the client itself and are not trusted (a forged header cannot
move a client to another lockout bucket). TRUSTED_PROXY_COUNT is 0 outside production
settings, where REMOTE_ADDR is the peer itself and the header is ignored.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip_address(request: HttpRequest) -> str | None:
    """The client's IP address: from X-Forwarded-For when TRUSTED_PROXY_COUNT > 0 and the
    header has an address at that position, else REMOTE_ADDR (the direct peer)."""
    peer = request.META.get("REMOTE_ADDR") or None
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if count <= 0:
        return peer
    entries = [e.strip() for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    entries = [e for e in entries if e]
    if len(entries) < count:
        # Fewer hops than proxies: the request did not come through all of them (or a proxy
        # dropped the header); the peer is the only address known to be true.
        return peer
    candidate = entries[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer
