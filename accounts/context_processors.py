from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .roles import REVIEWING_ROLES, Role, is_staff_member, roles_of


def roles(request: HttpRequest) -> dict[str, Any]:
    held = roles_of(getattr(request, "user", None))
    return {
        "user_roles": held,
        "is_seller": Role.SELLER in held,
        "is_staff_member": is_staff_member(getattr(request, "user", None)),
        "is_senior": Role.SENIOR_REVIEWER in held,
        "is_reviewer": bool(held & REVIEWING_ROLES),
        "is_qc_lead": Role.QC_LEAD in held,
        "is_compliance_admin": Role.COMPLIANCE_ADMIN in held,
    }
