"""Seeds the demo: reference data, one user per role and merchants with cases in every state.

Everything goes through the services a person would use (onboarding, people, uploads, case
transitions), so the audit trail is real and `verify_audit` passes afterwards. Idempotent:
users are created once, and a merchant whose legal name already exists is skipped.
"""

from __future__ import annotations

import io
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image, ImageDraw
from stdnum.cn import ric, uscc
from stdnum.sg import uen

from accounts.models import User
from accounts.otp import base32_secret, ensure_demo_device, requires_second_factor
from accounts.roles import Role
from cases import services as case_services
from cases.details import case_acknowledge_changes
from cases.models import CaseState, ReviewCase
from cases.reference_data import load_reference_data
from config.errors import DomainError
from kyc.models import DocumentType, QualificationDocument
from kyc.requirements import merchant_requirements
from kyc.services import document_upload
from merchants.models import Brand, CapabilityKind, Category, Merchant, Person
from merchants.services import person_add

DEMO_PASSWORD = "kyc-demo-password"

# username, role (None = Django superuser), first name, last name, language
DEMO_USERS: list[tuple[str, str | None, str, str, str]] = [
    ("seller", Role.SELLER, "Wei", "Zhang", "en"),
    ("seller2", Role.SELLER, "Mei", "Chen", "zh-hans"),
    ("reviewer", Role.REVIEWER, "Rachel", "Ng", "en"),
    ("senior", Role.SENIOR_REVIEWER, "Samuel", "Okafor", "en"),
    ("senior2", Role.SENIOR_REVIEWER, "Lin", "Hao", "zh-hans"),
    ("qclead", Role.QC_LEAD, "Quinn", "Lee", "en"),
    ("compliance", Role.COMPLIANCE_ADMIN, "Clara", "Schmidt", "en"),
    # A second compliance admin: publishes the requirement rules `compliance` drafts (four-eyes).
    ("compliance2", Role.COMPLIANCE_ADMIN, "Kenji", "Mori", "zh-hans"),
    ("admin", None, "Site", "Administrator", "en"),
]


# --------------------------------------------------------------------------- demo files


def demo_pdf(*lines: str) -> bytes:
    """A small, valid one-page PDF carrying the given lines (unique per document, so the
    duplicate-file checks never see two merchants sharing a file)."""
    text_ops = []
    y = 260
    for line in lines:
        safe = line.encode("latin-1", "replace").decode("latin-1")
        safe = safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        text_ops.append(f"BT /F1 12 Tf 30 {y} Td ({safe}) Tj ET")
        y -= 20
    content = "\n".join(text_ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 300] /Contents 4 0 R "
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


def demo_png(*lines: str) -> bytes:
    """An ID-card-like PNG, large enough for any minimum-resolution check."""
    image = Image.new("RGB", (1200, 760), (226, 236, 246))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 1160, 720), outline=(40, 70, 120), width=6)
    draw.rectangle((80, 160, 380, 560), fill=(190, 200, 215))
    for index, line in enumerate(lines):
        draw.text((440, 180 + index * 60), line, fill=(20, 30, 60))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# --------------------------------------------------------------------------- demo data


def _uscc(base17: str) -> str:
    return base17 + uscc.calc_check_digit(base17)


def _cn_id(base17: str) -> str:
    return base17 + ric.calc_check_digit(base17)


def _sg_uen(base9: str) -> str:
    return base9 + uen.calc_local_company_check_digit(base9)


@dataclass
class DemoMerchant:
    owner: str
    target: str  # the CaseState the story ends in
    data: dict[str, Any]
    people: list[dict[str, Any]]
    categories: list[str] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    # Upload only the first N currently-due documents (None = all): a draft still missing some.
    upload_limit: int | None = None
    # Identity documents expiring this many days after the seed (None: in three years), so the
    # expiry watch (`manage.py run_monitoring`) has a re-verification to open in the demo.
    id_expiring_in_days: int | None = None


DEMO_MERCHANTS: list[DemoMerchant] = [
    DemoMerchant(
        owner="seller",
        target=CaseState.DRAFT,
        data={
            "legal_name": "Hangzhou Xihu Silk Apparel Co., Ltd.",
            "local_name": "杭州西湖丝绸服饰有限公司",
            "trading_name": "Xihu Silk",
            "entity_type": "company",
            "country": "CN",
            "registration_number": _uscc("91330100MA27XL0Q1"),
            "registered_address": "88 Wensan Road, Xihu District, Hangzhou, Zhejiang",
            "website": "https://xihu-silk.example.com",
            "business_model": "marketplace_seller",
            "expected_monthly_volume": "45000.00",
            "preferred_language": "zh-hans",
        },
        people=[
            {
                "full_name": "Zhou Li",
                "local_name": "周丽",
                "is_legal_representative": True,
                "is_director": True,
                "ownership_percent": "100",
                "nationality": "CN",
                "date_of_birth": date(1984, 3, 12),
                "id_number": _cn_id("33010619840312002"),
            }
        ],
        categories=["apparel"],
        brands=["Harbor Threads"],
        upload_limit=1,
    ),
    DemoMerchant(
        owner="seller",
        target=CaseState.SUBMITTED,
        data={
            "legal_name": "Harbour Light Electronics Limited",
            "local_name": "港燈電子有限公司",
            "entity_type": "company",
            "country": "HK",
            "registration_number": "71234568",
            "registered_address": "Unit 1203, 168 Queen's Road Central, Hong Kong",
            "business_model": "marketplace_seller",
            "expected_monthly_volume": "120000.00",
        },
        people=[
            {
                "full_name": "Chan Tai Man",
                "local_name": "陳大文",
                "is_legal_representative": True,
                "is_director": True,
                "ownership_percent": "60",
                "nationality": "HK",
                "date_of_birth": date(1979, 8, 2),
                "id_number": "A1234563",
            },
            {
                "full_name": "Wong Mei Ling",
                "local_name": "黃美玲",
                "is_director": True,
                "ownership_percent": "40",
                "nationality": "HK",
                "date_of_birth": date(1982, 1, 25),
                "id_number": "B2345674",
            },
        ],
        categories=["electronics"],
    ),
    DemoMerchant(
        # Named like a listed entity (OFAC SDN "ANGLO-CARIBBEAN CO., LTD."): the screening
        # after submission finds the hit and routes the case to EDD until it is disposed.
        owner="seller2",
        target=CaseState.EDD,
        data={
            "legal_name": "Anglo Caribbean Company Limited",
            "entity_type": "company",
            "country": "GB",
            "registration_number": "14503281",
            "registered_address": "12 Fenchurch Street, London EC3M 3BD",
            "business_model": "cross_border_b2b",
            "expected_monthly_volume": "250000.00",
        },
        people=[
            {
                "full_name": "Edward Hale",
                "is_legal_representative": True,
                "is_director": True,
                "ownership_percent": "100",
                "nationality": "GB",
                "date_of_birth": date(1971, 6, 9),
                "id_number": "533401372",
            }
        ],
        categories=["electronics"],
    ),
    DemoMerchant(
        owner="seller",
        target=CaseState.IN_REVIEW,
        data={
            "legal_name": "Lion City Gourmet Pte. Ltd.",
            "local_name": "狮城美食私人有限公司",
            "entity_type": "company",
            "country": "SG",
            "registration_number": _sg_uen("201812345"),
            "registered_address": "10 Anson Road, #20-05 International Plaza, Singapore",
            "business_model": "marketplace_seller",
            "expected_monthly_volume": "30000.00",
        },
        people=[
            {
                "full_name": "Tan Wei Ming",
                "local_name": "陈伟明",
                "is_legal_representative": True,
                "is_director": True,
                "ownership_percent": "100",
                "nationality": "SG",
                "date_of_birth": date(1975, 11, 30),
                "id_number": "K4821337",
            }
        ],
        categories=["food"],
    ),
    DemoMerchant(
        owner="seller",
        target=CaseState.INFO_REQUESTED,
        data={
            "legal_name": "Thames Valley Home Goods Ltd",
            "entity_type": "company",
            "country": "GB",
            "registration_number": "09876543",
            "registered_address": "21 Castle Street, Reading RG1 7SB, United Kingdom",
            "business_model": "marketplace_seller",
            "expected_monthly_volume": "25000.00",
        },
        people=[
            {
                "full_name": "Oliver Bennett",
                "is_legal_representative": True,
                "is_director": True,
                "ownership_percent": "70",
                "nationality": "GB",
                "date_of_birth": date(1981, 6, 14),
                "id_number": "533401226",
            },
            {
                "full_name": "Amelia Hughes",
                "ownership_percent": "30",
                "nationality": "GB",
                "date_of_birth": date(1986, 9, 3),
                "id_number": "547812093",
            },
        ],
    ),
    DemoMerchant(
        owner="seller",
        target=CaseState.EDD,
        data={
            "legal_name": "Shenzhen Qianhai Digital Trade Co., Ltd.",
            "local_name": "深圳前海数码贸易有限公司",
            "entity_type": "company",
            "country": "CN",
            "registration_number": _uscc("91440300MA5G9KJ2X"),
            "registered_address": "Qianhai Shenzhen-Hong Kong Cooperation Zone, Shenzhen",
            "business_model": "cross_border_b2b",
            "expected_monthly_volume": "900000.00",
            "preferred_language": "zh-hans",
        },
        people=[
            {
                "full_name": "Liu Jian",
                "local_name": "刘建",
                "is_legal_representative": True,
                "ownership_percent": "55",
                "nationality": "CN",
                "date_of_birth": date(1970, 4, 18),
                "is_pep": True,
                "pep_details": "Former deputy director of a municipal commerce bureau.",
                "id_number": _cn_id("44030419700418003"),
            },
            {
                "full_name": "He Ping",
                "local_name": "何平",
                "ownership_percent": "45",
                "nationality": "CN",
                "date_of_birth": date(1977, 12, 9),
                "id_number": _cn_id("44030519771209004"),
            },
        ],
        categories=["electronics"],
    ),
    DemoMerchant(
        owner="seller",
        target=CaseState.PENDING_SECOND_APPROVAL,
        data={
            "legal_name": "Guangzhou Pearl River Cosmetics Co., Ltd.",
            "local_name": "广州珠江化妆品有限公司",
            "entity_type": "company",
            "country": "CN",
            "registration_number": _uscc("91440101MA59RT5K3"),
            "registered_address": "233 Tianhe Road, Tianhe District, Guangzhou",
            "business_model": "marketplace_seller",
            "expected_monthly_volume": "200000.00",
            "preferred_language": "zh-hans",
        },
        people=[
            {
                "full_name": "Huang Xiaoyan",
                "local_name": "黄晓燕",
                "is_legal_representative": True,
                "ownership_percent": "80",
                "nationality": "CN",
                "date_of_birth": date(1972, 2, 21),
                "is_pep": True,
                "pep_details": "Spouse of a provincial people's congress delegate.",
                "id_number": _cn_id("44010619720221005"),
            }
        ],
        categories=["cosmetics"],
    ),
    DemoMerchant(
        owner="seller",
        target=CaseState.APPROVED,
        data={
            "legal_name": "Blue Harbor Outfitters Inc.",
            "entity_type": "company",
            "country": "US",
            "registration_number": "46-1234567",
            "registered_address": "400 Harbor Blvd, Portland, ME 04101, USA",
            "website": "https://blueharbor.example.com",
            "business_model": "marketplace_seller",
            "expected_monthly_volume": "60000.00",
            "bank_account_holder": "Blue Harbor Outfitters Inc.",
            "bank_name": "Casco Bay Savings Bank",
            "bank_country": "US",
            "bank_account_number": "004417822931",
            "bank_swift": "CHASUS33",
        },
        people=[
            {
                "full_name": "Emily Carter",
                "is_legal_representative": True,
                "is_director": True,
                "ownership_percent": "100",
                "nationality": "US",
                "date_of_birth": date(1988, 7, 7),
                "id_number": "561239874",
            }
        ],
        categories=["apparel"],
        id_expiring_in_days=20,
    ),
    DemoMerchant(
        owner="seller2",
        target=CaseState.APPROVED,
        data={
            "legal_name": "Kowloon Bay Exchange Services Limited",
            "local_name": "九龍灣兌換服務有限公司",
            "entity_type": "company",
            "country": "HK",
            "registration_number": "65432109",
            "registered_address": "Flat 8, 22/F, Kowloon Bay Industrial Centre, Hong Kong",
            "business_model": "p2p_merchant",
            "expected_monthly_volume": "350000.00",
            "preferred_language": "zh-hans",
            "bank_account_holder": "Kowloon Bay Exchange Services Limited",
            "bank_name": "The Hongkong and Shanghai Banking Corporation",
            "bank_country": "HK",
            "bank_account_number": "004-512-338821-838",
            "bank_swift": "HSBCHKHHHKH",
        },
        people=[
            {
                "full_name": "Lam Ka Wai",
                "local_name": "林家偉",
                "is_legal_representative": True,
                "ownership_percent": "100",
                "nationality": "HK",
                "date_of_birth": date(1968, 10, 5),
                "is_pep": True,
                "pep_details": "Member of a district council until 2019.",
                "id_number": "C3456785",
            }
        ],
    ),
    DemoMerchant(
        owner="seller",
        target=CaseState.REJECTED,
        data={
            "legal_name": "Beijing Changcheng Electronics Co., Ltd.",
            "local_name": "北京长城电子有限公司",
            "entity_type": "company",
            "country": "CN",
            "registration_number": _uscc("91110105MA01C3RW8"),
            "registered_address": "5 Zhongguancun Street, Haidian District, Beijing",
            "business_model": "marketplace_seller",
            "expected_monthly_volume": "80000.00",
            "preferred_language": "zh-hans",
        },
        people=[
            {
                "full_name": "Wang Qiang",
                "local_name": "王强",
                "is_legal_representative": True,
                "ownership_percent": "100",
                "nationality": "CN",
                "date_of_birth": date(1983, 5, 16),
                "id_number": _cn_id("11010819830516006"),
            }
        ],
        categories=["electronics"],
    ),
    DemoMerchant(
        owner="seller2",
        target=CaseState.WITHDRAWN,
        data={
            "legal_name": "Marina Bay Trading Pte. Ltd.",
            "local_name": "滨海湾贸易私人有限公司",
            "entity_type": "company",
            "country": "SG",
            "registration_number": _sg_uen("201598765"),
            "registered_address": "1 Marina Boulevard, #28-00, Singapore",
            "business_model": "cross_border_b2b",
            "expected_monthly_volume": "150000.00",
        },
        people=[
            {
                "full_name": "Goh Siew Lan",
                "local_name": "吴秀兰",
                "is_legal_representative": True,
                "ownership_percent": "100",
                "nationality": "SG",
                "date_of_birth": date(1979, 3, 8),
                "id_number": "K5930021",
            }
        ],
    ),
    DemoMerchant(
        owner="seller",
        target=CaseState.EXPIRED,
        data={
            "legal_name": "Shanghai Pudong Home Textiles Co., Ltd.",
            "local_name": "上海浦东家纺有限公司",
            "entity_type": "company",
            "country": "CN",
            "registration_number": _uscc("91310115MA1K4F8B1"),
            "registered_address": "1000 Century Avenue, Pudong New Area, Shanghai",
            "business_model": "marketplace_seller",
            "expected_monthly_volume": "40000.00",
            "preferred_language": "zh-hans",
        },
        people=[
            {
                "full_name": "Sun Hua",
                "local_name": "孙华",
                "is_legal_representative": True,
                "ownership_percent": "100",
                "nationality": "CN",
                "date_of_birth": date(1990, 9, 1),
                "id_number": _cn_id("31011519900901007"),
            }
        ],
        categories=["apparel"],
    ),
]

# Issuers printed on the demo documents, by country.
REGISTRIES = {
    "CN": "State Administration for Market Regulation",
    "HK": "Companies Registry, Hong Kong",
    "SG": "Accounting and Corporate Regulatory Authority",
    "GB": "Companies House",
    "US": "Delaware Division of Corporations",
}


# The first rows of the public OFAC SDN list (2024-05-03), screened against when the full list
# is not beside the project: approval needs a screening (cases.readiness), so the demo always
# has a list. Import the full one with `manage.py import_sanctions PATH_OR_URL`.
DEMO_SDN_EXCERPT = (
    '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- '
    "\r\n"
    '173,"ANGLO-CARIBBEAN CO., LTD.",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- '
    "\r\n"
    '306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"a.k.a. \'BNC\'."'
    "\r\n"
    '424,"BOUTIQUE LA MAISON",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- '
    "\r\n"
    '475,"CASA DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- '
    "\r\n"
    '480,"CECOEX, S.A.",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- '
    "\r\n"
    '535,"CIMEX",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- '
    "\r\n"
    '536,"CIMEX IBERICA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- '
    "\r\n"
    '537,"CIMEX, S.A.",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- '
    "\r\n"
    '540,"COMERCIAL IBEROAMERICANA, S.A.",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- '
    "\r\n"
    '551,"COMERCIAL CIMEX, S.A.",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- '
    "\r\n"
)


class Command(BaseCommand):
    help = (
        "Seeds demo users (one per role), merchants and review cases in every state, through "
        "the services. Idempotent: existing users and merchants are left as they are."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even under production settings (demo users have known passwords).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # (Under override_settings, as in tests, SETTINGS_MODULE is None: fall back to the env.)
        module = settings.SETTINGS_MODULE or os.environ.get("DJANGO_SETTINGS_MODULE", "")
        if module.endswith(".production") and not options["allow_production"]:
            raise CommandError(
                "Refusing to seed demo users with known passwords under production settings "
                "(pass --allow-production to insist)."
            )
        started = time.monotonic()
        load_reference_data()
        self._sanctions_list()
        users = self._users()
        created: list[str] = []
        # In-process tasks log one INFO line each; the seed's own report is what matters here.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        # The demo's mail would go to example.com addresses; keep it out of the console.
        # Notification rows are still written and marked sent, exactly as in a deployment.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            for spec in DEMO_MERCHANTS:
                if Merchant.objects.filter(legal_name=spec.data["legal_name"]).exists():
                    continue
                try:
                    case = self._seed_merchant(spec, users)
                except DomainError as exc:
                    raise CommandError(
                        f"Seeding {spec.data['legal_name']} stopped: {exc.message} "
                        f"{exc.fields or ''} (what was created stays; re-seed into an empty "
                        "database to get the full demo)"
                    ) from exc
                created.append(f"{case.merchant.legal_name} -> case {case.pk} {case.state}")
            self._quality_control(users)
        self._report(created, time.monotonic() - started)

    # ----------------------------------------------------------------------- sanctions

    def _sanctions_list(self) -> None:
        """The demo screens against the real OFAC SDN list when the shared data folder is
        beside the project (it is never copied into the repository)."""
        from kyc.screening.importer import active_list, import_sanctions_data

        if active_list() is not None:
            return
        folder = Path(settings.BASE_DIR).parent / "shared" / "data" / "sanctions"
        files = sorted(folder.glob("ofac_sdn_*.csv"))
        if not files:
            result = import_sanctions_data(
                data=DEMO_SDN_EXCERPT.encode(), label="demo-ofac-sdn-excerpt.csv"
            )
            self.stdout.write(
                f"No sanctions list found in ../shared/data/sanctions: screening against a "
                f"{result.sanctions_list.entry_count}-entry excerpt of the OFAC SDN list until "
                "`manage.py import_sanctions PATH_OR_URL` is run."
            )
            return
        result = import_sanctions_data(data=files[-1].read_bytes(), label=files[-1].name)
        self.stdout.write(
            f"Sanctions list {files[-1].name}: {result.sanctions_list.entry_count} entries."
        )

    # ----------------------------------------------------------------------- users

    def _users(self) -> dict[str, User]:
        users: dict[str, User] = {}
        for username, role, first, last, language in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(
                    username=username,
                    email=f"{username}@demo.merchant-kyc.example",
                    first_name=first,
                    last_name=last,
                    preferred_language=language,
                )
                user.set_password(DEMO_PASSWORD)
                if role is None:
                    user.is_staff = user.is_superuser = True
                user.save()
            if role is not None:
                group, _ = Group.objects.get_or_create(name=role)
                user.groups.add(group)
            user._role_cache = None  # type: ignore[attr-defined]
            if requires_second_factor(user):
                # Staff sign in with a second factor, the demo too: a known secret per user
                # (`manage.py demo_totp USERNAME` prints the current code).
                ensure_demo_device(user)
            users[username] = user
        return users

    # ----------------------------------------------------------------------- merchants

    def _seed_merchant(self, spec: DemoMerchant, users: dict[str, User]) -> ReviewCase:
        owner = users[spec.owner]
        self._id_expiring_in_days = spec.id_expiring_in_days
        merchant, case = case_services.onboarding_start(actor=owner, data=dict(spec.data))
        id_numbers: dict[int, str] = {}
        for person_data in spec.people:
            data = dict(person_data)
            id_number = data.pop("id_number")
            person = person_add(actor=owner, merchant=merchant, data=data)
            id_numbers[person.pk] = id_number
        for code in spec.categories:
            case_services.capability_apply(
                actor=owner,
                merchant=merchant,
                kind=CapabilityKind.CATEGORY,
                category=Category.objects.get(code=code),
            )
        for name in spec.brands:
            case_services.capability_apply(
                actor=owner,
                merchant=merchant,
                kind=CapabilityKind.BRAND,
                brand=Brand.objects.get(name=name),
            )
        self._upload_due(owner, merchant, id_numbers, limit=spec.upload_limit)
        story = STORIES[spec.target]
        story(self, users, ReviewCase.objects.get(pk=case.pk), id_numbers)
        case.refresh_from_db()
        if case.state != spec.target:
            raise CommandError(f"{merchant.legal_name}: expected {spec.target}, got {case.state}")
        return case

    def _upload_due(
        self, owner: User, merchant: Merchant, id_numbers: dict[int, str], limit: int | None = None
    ) -> list[QualificationDocument]:
        """Uploads one document for each currently-due requirement, as the seller would
        after reading the requirements page; `limit` leaves the rest missing."""
        uploaded: list[QualificationDocument] = []
        covered: set[tuple[tuple[str, ...], int | None]] = set()
        requirements = sorted(
            merchant_requirements(merchant), key=lambda r: r["capability"] != "sell"
        )  # entity papers first
        for requirement in requirements:
            capability = merchant.capabilities.select_related("category", "brand").get(
                pk=requirement["capability_id"]
            )
            for item in requirement["currently_due"]:
                if not item["document_types"] or (limit is not None and len(uploaded) >= limit):
                    continue
                # One passport serves a person who is both representative and owner.
                key = (tuple(item["document_types"]), item.get("person_id"))
                if key in covered:
                    continue
                covered.add(key)
                uploaded.append(self._upload(owner, merchant, item, capability, id_numbers))
        return uploaded

    def _upload(
        self,
        owner: User,
        merchant: Merchant,
        item: dict[str, Any],
        capability: Any,
        id_numbers: dict[int, str],
        supersedes: QualificationDocument | None = None,
    ) -> QualificationDocument:
        types: list[str] = item["document_types"]
        preferred = (
            "business_license" if merchant.country == "CN" else "certificate_of_incorporation"
        )
        code = preferred if preferred in types else types[0]
        doc_type = DocumentType.objects.get(code=code)
        today = timezone.localdate()
        person = Person.objects.get(pk=item["person_id"]) if item.get("person_id") else None
        meta: dict[str, Any] = {
            "issuer": REGISTRIES.get(merchant.country, "Registrar"),
            "holder_name": person.full_name if person else merchant.legal_name,
            "issue_date": today - timedelta(days=400),
        }
        if person is not None:
            meta["person"] = person.pk
            meta["number"] = id_numbers[person.pk]
            meta["issuer"] = f"Immigration / identity authority ({person.nationality})"
        elif code in ("business_license", "certificate_of_incorporation"):
            meta["number"] = merchant.registration_number
        elif doc_type.requires_number:
            meta["number"] = f"{code[:3].upper()}-{merchant.country}-{merchant.pk:05d}"
        if doc_type.has_expiry:
            days = getattr(self, "_id_expiring_in_days", None) if person is not None else None
            meta["expiry_date"] = today + timedelta(days=days or 3 * 365)
        if capability.kind == CapabilityKind.CATEGORY:
            meta["category"] = capability.category_id
        if capability.kind == CapabilityKind.BRAND:
            meta["brand"] = capability.brand_id
        lines = [
            doc_type.name_en,
            meta["holder_name"],
            f"No. {meta.get('number', '-')}",
            f"Issued by {meta['issuer']}",
            f"Demo file {merchant.pk}-{item['code']}" + (" (replacement)" if supersedes else ""),
        ]
        if person is not None:
            data, filename = demo_png(*lines), f"{code}-{person.pk}.png"
        else:
            data, filename = demo_pdf(*lines), f"{code}.pdf"
        return document_upload(
            actor=owner,
            merchant=merchant,
            document_type=doc_type,
            fileobj=ContentFile(data, name=filename),
            filename=filename,
            size=len(data),
            metadata=meta,
            supersedes=supersedes,
        )

    # ----------------------------------------------------------------------- QC

    def _quality_control(self, users: dict[str, User]) -> None:
        """A first QC draw (seed 2026) over the demo's decisions, one agreed review and one
        minor finding that its maker disputes, so the QC pages have something to show.
        The draw and its reviews are made once; a re-seed leaves them alone."""
        from cases.models import QcDraw, QcErrorCategory, QcOutcome, QcReview, QcSeverity
        from cases.qc.sampling import qc_draw
        from cases.qc.services import qc_dispute_raise, qc_review_complete

        if QcDraw.objects.exists():
            return
        draw = qc_draw(actor=users["qclead"], seed=2026)
        reviews = list(
            QcReview.objects.filter(draw=draw)
            .exclude(maker=users["qclead"])
            .select_related("maker")
            .order_by("case_id")
        )
        if reviews:
            qc_review_complete(
                actor=users["qclead"],
                review_id=reviews[0].pk,
                outcome=QcOutcome.AGREE,
                comment="Documents, screening and reason codes all support the decision.",
            )
        if len(reviews) > 1 and reviews[1].maker is not None:
            finding = qc_review_complete(
                actor=users["qclead"],
                review_id=reviews[1].pk,
                outcome=QcOutcome.DISAGREE,
                error_category=QcErrorCategory.POOR_RATIONALE,
                severity=QcSeverity.MINOR,
                comment="The rationale repeats the reason code; say which evidence was relied on.",
            )
            qc_dispute_raise(
                actor=finding.maker,
                review_id=finding.pk,
                reason="The rationale names the registry extract and the licence checked.",
            )
        self.stdout.write(
            f"  QC draw {draw.pk} (seed {draw.seed}): {len(draw.sampled_case_ids)} decision(s) "
            "sampled, one agreed, one minor finding disputed"
        )

    # ----------------------------------------------------------------------- report

    def _report(self, created: list[str], elapsed: float) -> None:
        for line in created:
            self.stdout.write(f"  seeded {line}")
        if not created:
            self.stdout.write("Demo merchants already present; nothing to add.")
        by_state = dict(ReviewCase.objects.order_by().values_list("state").annotate(n=Count("id")))
        self.stdout.write(
            "Cases by state: "
            + ", ".join(f"{state}={by_state.get(state, 0)}" for state in CaseState.values)
        )
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({elapsed:.1f}s)."))
        self.stdout.write(f"Demo users (password for all: {DEMO_PASSWORD}):")
        for username, role, *_ in DEMO_USERS:
            device = TOTPDevice.objects.filter(user__username=username, name="demo").first()
            secret = f"  TOTP secret {base32_secret(device)}" if device else ""
            self.stdout.write(f"  {username:<11} {role or 'Django superuser (/admin/)'}{secret}")
        self.stdout.write(
            "Staff sign in with a second factor: `python manage.py demo_totp USERNAME` prints "
            "the current 6-digit code (or add the secret to an authenticator app)."
        )


# --------------------------------------------------------------------------- stories
# Each story moves a freshly prepared case to its target state through cases.services only.

Story = Callable[[Command, dict[str, User], ReviewCase, dict[int, str]], None]


def _draft(cmd: Command, u: dict[str, User], case: ReviewCase, ids: dict[int, str]) -> None:
    """Left as a draft with requirements still due: the seller portal's to-do list."""


def _owner(case: ReviewCase) -> User:
    owner = case.merchant.members.order_by("id").first()
    assert owner is not None
    return owner


def _submitted(cmd: Command, u: dict[str, User], case: ReviewCase, ids: dict[int, str]) -> None:
    case_services.case_submit(actor=_owner(case), case_id=case.pk)


def _in_review(cmd: Command, u: dict[str, User], case: ReviewCase, ids: dict[int, str]) -> None:
    _submitted(cmd, u, case, ids)
    case_services.case_claim(actor=u["reviewer"], case_id=case.pk)
    case_services.comment_add(
        actor=u["reviewer"],
        case_id=case.pk,
        visibility="internal",
        body="Food license issuer checked against the SFA register.",
    )


def _info_requested(
    cmd: Command, u: dict[str, User], case: ReviewCase, ids: dict[int, str]
) -> None:
    _submitted(cmd, u, case, ids)
    case_services.case_claim(actor=u["reviewer"], case_id=case.pk)
    owner_id = case.merchant.documents.filter(
        document_type__code="identity_document", person__is_legal_representative=False
    ).first()
    assert owner_id is not None
    case_services.case_request_info(
        actor=u["reviewer"],
        case_id=case.pk,
        message="Please send a clearer copy of Amelia Hughes's passport and explain the "
        "ownership split between the two shareholders.",
        items=[
            {
                "document_id": owner_id.pk,
                "reason_code": "doc_illegible",
                "note": "The photo page is blurred.",
            },
            {
                "requirement_code": "ownership",
                "reason_code": "rfi_clarify_ownership",
                "note": "Who controls the voting rights?",
            },
        ],
    )


def _edd(cmd: Command, u: dict[str, User], case: ReviewCase, ids: dict[int, str]) -> None:
    _submitted(cmd, u, case, ids)  # a PEP owner makes it high risk
    case.refresh_from_db()
    if case.state == CaseState.EDD:
        return  # the screening and scoring task already routed it to EDD
    case_services.case_claim(actor=u["reviewer"], case_id=case.pk)
    case_services.case_escalate(
        actor=u["reviewer"],
        case_id=case.pk,
        rationale="Beneficial owner is a PEP; source of funds and wealth must be explained.",
    )


EDD_NOTES = {
    "source_of_funds": "Bank statements for 12 months match the declared sales volumes.",
    "source_of_wealth": "Property sale in 2019 (deed on file) and salary history.",
    "ownership_explained": "Sole owner; no nominee arrangements (signed declaration).",
    "adverse_media": "Searched English and Chinese news archives: nothing adverse.",
    "website_reviewed": "Store front and product pages match the declared categories.",
}


def _work_edd_checklist(senior: User, case: ReviewCase) -> None:
    """The senior reviewer holding an EDD case works every checklist item before approving."""
    from cases import edd

    for item in case.edd_items.filter(status="open"):
        edd.edd_item_update(
            actor=senior,
            case_id=case.pk,
            item=item.item,
            status="satisfied",
            notes=EDD_NOTES.get(item.item, "Reviewed."),
        )


def _decide_documents(actor: User, case: ReviewCase) -> None:
    """The reviewer looks at and accepts every document of the case (an approval needs each
    one decided), with a note where the automated checks warned or failed."""
    from cases.document_review import case_documents, latest_decisions, needs_note

    decided = latest_decisions(case)
    for doc in case_documents(case):
        if doc.pk in decided:
            continue
        case_services.document_decide(
            actor=actor,
            case_id=case.pk,
            document_id=doc.pk,
            decision="accept",
            note="Compared with the original and the registry; the warning is explained."
            if needs_note(doc)
            else "",
        )


def _pending_second(
    cmd: Command, u: dict[str, User], case: ReviewCase, ids: dict[int, str]
) -> None:
    _edd(cmd, u, case, ids)
    case_services.case_claim(actor=u["senior"], case_id=case.pk)
    _work_edd_checklist(u["senior"], case)
    _decide_documents(u["senior"], case)
    case_services.case_approve(
        actor=u["senior"],
        case_id=case.pk,
        reason_codes=["approved_with_monitoring"],
        rationale="Source of wealth documented (property sale, 2019); PEP role ended in 2018.",
    )


def _approved(cmd: Command, u: dict[str, User], case: ReviewCase, ids: dict[int, str]) -> None:
    owner = _owner(case)
    _submitted(cmd, u, case, ids)
    case.refresh_from_db()
    if case.requires_four_eyes:
        # High risk: the maker is one senior reviewer and the checker another (four-eyes).
        case_services.case_claim(actor=u["senior"], case_id=case.pk)
        _work_edd_checklist(u["senior"], case)
        _decide_documents(u["senior"], case)
        case_services.case_approve(
            actor=u["senior"],
            case_id=case.pk,
            reason_codes=["approved_with_monitoring"],
            rationale="PEP role ended in 2019; volumes match filings.",
        )
        case_services.case_second_approve(
            actor=u["senior2"], case_id=case.pk, rationale="Agree; monitoring flag set."
        )
        return
    # A full round: RFI on one document, the seller replaces it, the same reviewer approves.
    case_services.case_claim(actor=u["reviewer"], case_id=case.pk)
    id_doc = case.merchant.documents.get(document_type__code="identity_document")
    case_services.case_request_info(
        actor=u["reviewer"],
        case_id=case.pk,
        message="The passport copy has expired-looking stamps; please upload the current one.",
        items=[
            {
                "document_id": id_doc.pk,
                "reason_code": "doc_expired",
                "note": "Upload the current passport.",
            }
        ],
    )
    merchant = case.merchant
    item = {
        "code": "representative_identity",
        "document_types": ["identity_document"],
        "person_id": id_doc.person_id,
    }
    sell = merchant.capabilities.get(kind=CapabilityKind.SELL)
    cmd._upload(owner, merchant, item, sell, ids, supersedes=id_doc)
    case_services.case_resubmit(
        actor=owner, case_id=case.pk, answer="Uploaded the renewed passport."
    )
    # The replacement is a change since submission: the reviewer looks at it first.
    case_acknowledge_changes(actor=u["reviewer"], case_id=case.pk)
    _decide_documents(u["reviewer"], case)
    case_services.case_approve(
        actor=u["reviewer"],
        case_id=case.pk,
        reason_codes=["approved_clean"],
        rationale="All documents verified; no adverse findings.",
    )


def _rejected(cmd: Command, u: dict[str, User], case: ReviewCase, ids: dict[int, str]) -> None:
    _submitted(cmd, u, case, ids)
    case_services.case_claim(actor=u["reviewer"], case_id=case.pk)
    case_services.case_reject(
        actor=u["reviewer"],
        case_id=case.pk,
        reason_codes=["requirements_not_met"],
        rationale="The operating company on the invoices is a different legal entity.",
    )


def _withdrawn(cmd: Command, u: dict[str, User], case: ReviewCase, ids: dict[int, str]) -> None:
    _submitted(cmd, u, case, ids)
    case_services.case_withdraw(
        actor=_owner(case),
        case_id=case.pk,
        reason="We will apply under our Hong Kong entity instead.",
    )


def _expired(cmd: Command, u: dict[str, User], case: ReviewCase, ids: dict[int, str]) -> None:
    _submitted(cmd, u, case, ids)
    case_services.case_claim(actor=u["reviewer"], case_id=case.pk)
    # The service refuses a deadline in the past, and editing rfi_deadline on the row would
    # make the case disagree with its audit event. So the RFI honestly gets a deadline two
    # seconds out, and we wait for it to pass before the system expires the case, exactly as
    # the scheduled RFI-expiry job would.
    deadline = timezone.now() + timedelta(seconds=2)
    case_services.case_request_info(
        actor=u["reviewer"],
        case_id=case.pk,
        deadline=deadline,
        message="Please upload the lease for your operating address.",
        items=[
            {
                "requirement_code": "proof_of_address",
                "reason_code": "rfi_missing_document",
                "note": "A lease or utility bill under the company's name.",
            }
        ],
    )
    while timezone.now() <= deadline:
        time.sleep(0.1)
    case_services.case_expire(case_id=case.pk)


STORIES: dict[str, Story] = {
    CaseState.DRAFT: _draft,
    CaseState.SUBMITTED: _submitted,
    CaseState.IN_REVIEW: _in_review,
    CaseState.INFO_REQUESTED: _info_requested,
    CaseState.EDD: _edd,
    CaseState.PENDING_SECOND_APPROVAL: _pending_second,
    CaseState.APPROVED: _approved,
    CaseState.REJECTED: _rejected,
    CaseState.WITHDRAWN: _withdrawn,
    CaseState.EXPIRED: _expired,
}
