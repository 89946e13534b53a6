"""People of a merchant.

The merchant itself is served by cases.api (its open case is part of the resource, and this
app must not import cases). Every object is looked up through the selectors, so a merchant
the user may not see is a 404, never a 403.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import ApiView, Pagination
from config.errors import NotFound
from config.idempotency import idempotent
from merchants.models import Person
from merchants.selectors import merchant_get, person_list
from merchants.services import person_add, person_remove, person_update

from .serializers import PersonCreateIn, PersonOut, PersonUpdateIn

TAG_PEOPLE = ["people"]


def _person_get(request: Request, merchant_id: int, person_id: int) -> Person:
    merchant = merchant_get(actor=request.user, merchant_id=merchant_id)
    person = person_list(merchant=merchant).filter(pk=person_id).first()
    if person is None:
        raise NotFound("Person not found.")
    return person


class PersonListView(ApiView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="merchants_people_list", responses=PersonOut(many=True), tags=TAG_PEOPLE
    )
    def get(self, request: Request, merchant_id: int) -> Response:
        merchant = merchant_get(actor=request.user, merchant_id=merchant_id)
        return self.paginate(person_list(merchant=merchant).order_by("id"), PersonOut)

    @extend_schema(
        operation_id="merchants_people_create",
        request=PersonCreateIn,
        responses={201: PersonOut},
        tags=TAG_PEOPLE,
    )
    @idempotent
    def post(self, request: Request, merchant_id: int) -> Response:
        merchant = merchant_get(actor=request.user, merchant_id=merchant_id)
        data = PersonCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        person = person_add(actor=request.user, merchant=merchant, data=data.validated_data)
        return Response(PersonOut(person).data, status=status.HTTP_201_CREATED)


class PersonDetailView(ApiView):
    @extend_schema(operation_id="merchants_people_retrieve", responses=PersonOut, tags=TAG_PEOPLE)
    def get(self, request: Request, merchant_id: int, person_id: int) -> Response:
        return Response(PersonOut(_person_get(request, merchant_id, person_id)).data)

    @extend_schema(
        operation_id="merchants_people_update",
        request=PersonUpdateIn,
        responses=PersonOut,
        tags=TAG_PEOPLE,
    )
    def patch(self, request: Request, merchant_id: int, person_id: int) -> Response:
        person = _person_get(request, merchant_id, person_id)
        data = PersonUpdateIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        person = person_update(actor=request.user, person=person, data=data.validated_data)
        return Response(PersonOut(person).data)

    @extend_schema(operation_id="merchants_people_destroy", responses={204: None}, tags=TAG_PEOPLE)
    def delete(self, request: Request, merchant_id: int, person_id: int) -> Response:
        person = _person_get(request, merchant_id, person_id)
        person_remove(actor=request.user, person=person)
        return Response(status=status.HTTP_204_NO_CONTENT)
