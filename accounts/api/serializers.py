from __future__ import annotations

from rest_framework import serializers

from accounts.models import User
from config.api import CachedModelSerializer


class UserRefSerializer(CachedModelSerializer):
    """A user as other resources refer to them."""

    class Meta:
        model = User
        fields = ("id", "username")
        read_only_fields = fields


class MeOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    preferred_language = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    is_staff_member = serializers.BooleanField(
        help_text="True for reviewers, senior reviewers, QC leads and compliance admins."
    )
    api_token = serializers.CharField(
        allow_null=True, help_text="The token's name when the request used token auth."
    )
