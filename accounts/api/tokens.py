"""/api/v1/tokens/: the caller's own API tokens (list, create, revoke).

Session only (a token cannot mint or revoke tokens: accounts/permissions.py), so a staff
caller has passed the second factor. The key is in the create response only; it is never
stored (only its SHA-256) nor replayed by Idempotency-Key, hence no @idempotent here.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import services
from accounts.models import ApiToken
from accounts.scopes import SCOPES
from config.api import ApiView, InputSerializer, Pagination

TAGS = ["account"]


class ApiTokenOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The key's first characters, to recognise it.")
    scopes = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    user = serializers.CharField(source="user.username")


class ApiTokenCreatedOut(ApiTokenOut):
    key = serializers.CharField(
        help_text="The token itself: shown in this response only. Send it as "
        "`Authorization: Token <key>`."
    )


class ApiTokenIn(InputSerializer):
    name = serializers.CharField(max_length=100, help_text="What the token is for (audited).")
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(SCOPES)),
        allow_empty=False,
        help_text="Scopes the token may use; only those your roles allow (docs/api.md).",
    )


class TokenListView(ApiView):
    # The list answers in the paginated envelope (self.paginate); the schema says so too.
    pagination_class = Pagination

    @extend_schema(operation_id="tokens_list", responses=ApiTokenOut(many=True), tags=TAGS)
    def get(self, request: Request) -> Response:
        tokens = ApiToken.objects.filter(user=request.user).select_related("user")
        return self.paginate(tokens, ApiTokenOut)

    @extend_schema(
        operation_id="tokens_create",
        request=ApiTokenIn,
        responses={201: ApiTokenCreatedOut},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        serializer = ApiTokenIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = services.api_token_create(
            actor=request.user,  # type: ignore[arg-type]
            name=serializer.validated_data["name"],
            scopes=serializer.validated_data["scopes"],
        )
        data = dict(ApiTokenOut(token).data)
        data["key"] = key
        response = Response(data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class TokenDetailView(ApiView):
    @extend_schema(operation_id="tokens_revoke", request=None, responses=ApiTokenOut, tags=TAGS)
    def delete(self, request: Request, token_id: int) -> Response:
        """Revokes the token (yours; compliance admins may revoke anyone's). Using a revoked
        token answers 401."""
        token = services.api_token_revoke(actor=request.user, token_id=token_id)  # type: ignore[arg-type]
        return Response(ApiTokenOut(token).data)
