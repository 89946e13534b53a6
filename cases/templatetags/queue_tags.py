"""Template helpers of the queue feature: whom a senior reviewer may hand a case to."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.roles import Role, has_role

register = template.Library()


@register.simple_tag
def reassign_targets(case: Any, user: Any) -> list[Any]:
    """The eligible reviewers for the case page's reassign form; empty unless the user is a
    senior reviewer and the case can still be reassigned."""
    from cases.queues import TAKEABLE_STATES
    from cases.views.queue import reassign_targets as targets

    if not has_role(user, Role.SENIOR_REVIEWER) or case.state not in TAKEABLE_STATES:
        return []
    return targets(case)
