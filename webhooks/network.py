"""Where a webhook may go, and the one HTTP request of a delivery attempt.

A subscription's URL is checked when it is saved and again before every attempt: the host is
resolved, every address it resolves to must be allowed, and the request then connects to the
address that was checked (the name goes only in the Host header and, for https, in SNI and
the certificate check), so a DNS answer that changes between the check and the connection
(DNS rebinding) cannot send the request somewhere else. Redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud instance metadata services (AWS/GCP/Azure/OpenStack, AWS IPv6, Alibaba Cloud).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
METADATA_HOSTNAMES = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})
LINK_LOCAL_NETWORKS = (
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fe80::/10"),
)
RESPONSE_EXCERPT_CHARS = 500
_READ_AT_MOST = 4096  # of the response body: enough for the excerpt, never the whole of it


class DestinationRefused(Exception):
    """The URL, or an address its host resolves to, is not an allowed webhook destination."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Destination:
    scheme: str
    hostname: str  # as written in the URL (lower-cased), for Host/SNI
    port: int
    path: str  # path and query
    address: IPAddress  # the checked address the request connects to


def resolve(hostname: str, port: int) -> list[IPAddress]:
    """Every address of the host (tests replace this to simulate DNS answers)."""
    infos = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def address_problem(address: IPAddress) -> str | None:
    """Why an address is refused, or None when it is allowed."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:  # ::ffff:169.254.169.254 is 169.254.169.254
        address = mapped
    if address in METADATA_ADDRESSES:
        return _("%(address)s is a cloud metadata address.") % {"address": address}
    if any(address in net for net in LINK_LOCAL_NETWORKS) or address.is_link_local:
        return _("%(address)s is a link-local address.") % {"address": address}
    if address.is_unspecified:
        return _("%(address)s is an unspecified address.") % {"address": address}
    if address.is_multicast:
        return _("%(address)s is a multicast address.") % {"address": address}
    private = _("%(address)s is a loopback or private address.") % {"address": address}
    allow_private = settings.KYC_WEBHOOK_ALLOW_PRIVATE_NETWORKS
    if address.is_loopback:  # before is_reserved: ::1 lies in the reserved ::/8
        return None if allow_private else private
    if address.is_reserved:
        return _("%(address)s is a reserved address.") % {"address": address}
    if not address.is_global and not allow_private:
        return private
    return None


def check_url(url: str, *, resolve_host: bool = True) -> Destination:
    """Parses and checks a webhook URL; raises DestinationRefused with the reason."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError as exc:
        raise DestinationRefused(_("The URL is not valid.")) from exc
    scheme = parts.scheme.lower()
    if scheme == "http" and not settings.KYC_WEBHOOK_ALLOW_HTTP:
        raise DestinationRefused(_("Use an https:// URL; plain http is not allowed here."))
    if scheme not in ("http", "https"):
        raise DestinationRefused(_("Use an https:// URL."))
    hostname = (parts.hostname or "").lower().rstrip(".")
    if not hostname:
        raise DestinationRefused(_("The URL has no host."))
    if parts.username is not None or parts.password is not None:
        raise DestinationRefused(_("Put no user name or password in the URL."))
    if hostname in METADATA_HOSTNAMES:
        raise DestinationRefused(_("%(host)s is a cloud metadata host.") % {"host": hostname})
    port = port or (443 if scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        literal: IPAddress | None = ipaddress.ip_address(hostname)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    elif not resolve_host:
        addresses = []
    else:
        try:
            addresses = resolve(hostname, port)
        except (OSError, UnicodeError) as exc:
            raise DestinationRefused(
                _("The host %(host)s could not be resolved.") % {"host": hostname}
            ) from exc
        if not addresses:
            raise DestinationRefused(
                _("The host %(host)s could not be resolved.") % {"host": hostname}
            )
    for address in addresses:
        problem = address_problem(address)
        if problem:
            raise DestinationRefused(
                _("Webhooks cannot go to %(host)s: %(problem)s")
                % {"host": hostname, "problem": problem}
            )
    return Destination(
        scheme=scheme,
        hostname=hostname,
        port=port,
        path=path,
        address=addresses[0] if addresses else ipaddress.ip_address("0.0.0.0"),
    )


@dataclass(frozen=True)
class HttpResult:
    status_code: int | None
    duration_ms: int
    response_excerpt: str
    error: str


def post(destination: Destination, *, body: bytes, headers: dict[str, str]) -> HttpResult:
    """POSTs once to the checked address; never raises for network errors, never follows a
    redirect. The response body is read only as far as the excerpt needs."""
    timeout = urllib3.Timeout(
        connect=settings.KYC_WEBHOOK_CONNECT_TIMEOUT, read=settings.KYC_WEBHOOK_READ_TIMEOUT
    )
    default_port = 443 if destination.scheme == "https" else 80
    host_header = destination.hostname
    if ":" in host_header:
        host_header = f"[{host_header}]"
    if destination.port != default_port:
        host_header += f":{destination.port}"
    pool: urllib3.HTTPConnectionPool
    if destination.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            host=str(destination.address),
            port=destination.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            server_hostname=destination.hostname,
            assert_hostname=destination.hostname,
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            host=str(destination.address),
            port=destination.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
        )
    started = time.monotonic()
    try:
        response = pool.urlopen(
            "POST",
            destination.path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            retries=False,
            assert_same_host=False,
            preload_content=False,
        )
        try:
            raw = response.read(_READ_AT_MOST)
        finally:
            response.release_conn()
        return HttpResult(
            status_code=response.status,
            duration_ms=int((time.monotonic() - started) * 1000),
            response_excerpt=raw.decode("utf-8", errors="replace")[:RESPONSE_EXCERPT_CHARS],
            error="",
        )
    except urllib3.exceptions.HTTPError as exc:
        return HttpResult(
            status_code=None,
            duration_ms=int((time.monotonic() - started) * 1000),
            response_excerpt="",
            error=f"{type(exc).__name__}: {exc}"[:RESPONSE_EXCERPT_CHARS],
        )
    finally:
        pool.close()
