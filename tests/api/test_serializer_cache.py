"""config.api.CachedModelSerializer: fields built from the model once per class, each
instance with its own bound copies (threads serve requests side by side)."""

from __future__ import annotations

from unittest import mock

from rest_framework import serializers

from accounts.api.serializers import UserRefSerializer
from config.api import CachedModelSerializer


def test_fields_are_built_once_per_class_and_never_shared():
    CachedModelSerializer._prototypes.pop(UserRefSerializer, None)
    built: list[type] = []
    original = serializers.ModelSerializer.get_fields

    def spy(self):  # the model introspection CachedModelSerializer must not repeat
        built.append(type(self))
        return original(self)

    with mock.patch.object(serializers.ModelSerializer, "get_fields", spy):
        first, second = UserRefSerializer(), UserRefSerializer()
        assert list(first.fields) == list(second.fields) == ["id", "username"]
    assert built == [UserRefSerializer]
    assert first.fields["username"] is not second.fields["username"]
    assert first.fields["username"].parent is first
    assert second.fields["username"].parent is second


def test_output_matches_a_plain_model_serializer(db):
    from tests.factories import make_user

    class Plain(serializers.ModelSerializer):
        class Meta:
            model = UserRefSerializer.Meta.model
            fields = UserRefSerializer.Meta.fields

    user = make_user("")
    assert UserRefSerializer(user).data == Plain(user).data
    assert UserRefSerializer([user, user], many=True).data == Plain([user, user], many=True).data
