"""Where a change came from (IP, user agent, API token), carried for the audit writer.

A contextvar rather than a thread-local so it is correct under ASGI as well as WSGI; Celery
tasks run with an empty context, which the writer records as the system.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class RequestContext:
    ip: str = ""
    user_agent: str = ""
    api_token_id: int | None = None
    api_token_name: str = ""


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "audit_request_context",
    default=RequestContext(),  # noqa: B039 (frozen dataclass)
)


def current() -> RequestContext:
    return _current.get()


def set_current(ctx: RequestContext) -> contextvars.Token[RequestContext]:
    return _current.set(ctx)


def reset(token: contextvars.Token[RequestContext]) -> None:
    _current.reset(token)


def attach_api_token(token_id: int, name: str) -> None:
    _current.set(replace(_current.get(), api_token_id=token_id, api_token_name=name))
