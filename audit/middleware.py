from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from config.client_ip import client_ip_address

from . import context


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.set_current(
            context.RequestContext(
                # Behind the reverse proxies REMOTE_ADDR is the last proxy: the event records
                # the client, as far as TRUSTED_PROXY_COUNT trusts X-Forwarded-For (the same
                # address the sign-in lockout keys on).
                ip=(client_ip_address(request) or "")[:64],
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:500],
            )
        )
        try:
            return self.get_response(request)
        finally:
            context.reset(token)
