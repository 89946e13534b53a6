"""factory-boy factories and small builders shared by the tests."""

from __future__ import annotations

import io
from typing import Any

import factory
from django.contrib.auth.models import Group
from PIL import Image

from accounts.models import User
from merchants.models import EntityType, Merchant, MerchantMembership, Person

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: Any) -> None:
        if extracted:
            group, _ = Group.objects.get_or_create(name=extracted)
            self.groups.add(group)
        self.save()


def make_user(role: str, **kwargs: Any) -> User:
    return UserFactory(role=role, **kwargs)


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    legal_name = factory.Sequence(lambda n: f"Acme Trading {n} Ltd")
    local_name = "深圳市阿克米贸易有限公司"
    entity_type = EntityType.COMPANY
    country = "CN"
    registration_number = "91350100M000100Y43"
    contact_email = "seller@example.com"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    merchant = factory.SubFactory(MerchantFactory)
    full_name = factory.Sequence(lambda n: f"Person {n}")
    is_legal_representative = True


def add_member(merchant: Merchant, user: User) -> None:
    MerchantMembership.objects.get_or_create(merchant=merchant, user=user)


def pdf_bytes(text: str = "Business license") -> bytes:
    """A small, valid one-page PDF."""
    content = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 220, 240)).save(out, format="PNG")
    return out.getvalue()


ELF_BYTES = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


def complete_edd_checklist(case_id: int, senior: Any) -> None:
    """Works every EDD checklist item, as the senior reviewer holding the case must before
    approving an EDD case."""
    from cases import edd
    from cases.models import EddItem

    for code in EddItem.values:
        edd.edd_item_update(
            actor=senior,
            case_id=case_id,
            item=code,
            status="satisfied",
            notes="Reviewed; evidence on file.",
        )
