from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import ApiToken
from accounts.roles import is_staff_member, roles_of
from config.api import ApiView

from .serializers import MeOut


class MeView(ApiView):
    """Who the request is authenticated as: the first call to make with a new token."""

    @extend_schema(operation_id="me_retrieve", responses=MeOut, tags=["account"])
    def get(self, request: Request) -> Response:
        user = request.user
        token = request.auth if isinstance(request.auth, ApiToken) else None
        return Response(
            MeOut(
                {
                    "id": user.pk,
                    "username": user.get_username(),
                    "email": user.email,
                    "preferred_language": user.preferred_language,
                    "roles": sorted(roles_of(user)),
                    "is_staff_member": is_staff_member(user),
                    "api_token": token.name if token else None,
                }
            ).data
        )
