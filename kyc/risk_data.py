"""The data behind the risk score: country classes, category points, factor points.

Kept apart from kyc/risk.py so that compliance can review (and a deployment can replace)
the figures without reading the arithmetic. Country lists are snapshots: the FATF publishes
its lists after each plenary (February, June, October) and the sanctions programmes change
by executive and council acts, so `COUNTRY_DATA_AS_OF` says which publication this copy
reflects and must be bumped whenever the sets change.
"""

from __future__ import annotations

from dataclasses import dataclass

COUNTRY_DATA_AS_OF = "FATF public statement and grey list of June 2025; sanctions as of mid-2025"


@dataclass(frozen=True)
class CountryClass:
    code: str
    label: str
    points: int  # for the merchant's country of registration
    nationality_points: int  # for a person's nationality
    countries: frozenset[str]
    label_zh: str = ""


# Comprehensive embargoes (OFAC country programmes, EU and UN measures): dealing with a party
# registered there is prohibited outright. Regions under comprehensive sanctions (Crimea and
# the so-called DNR/LNR) have no ISO country code of their own and are caught by screening
# and the reviewer, not by this table.
EMBARGOED = CountryClass(
    code="embargoed",
    label="comprehensive sanctions / embargo",
    points=100,
    nationality_points=60,
    countries=frozenset({"CU", "IR", "KP"}),
)

# FATF "high-risk jurisdictions subject to a call for action" (the black list), unchanged
# from February 2024 through 2025: DPRK and Iran (counter-measures), Myanmar (EDD).
FATF_CALL_FOR_ACTION = CountryClass(
    code="fatf_call_for_action",
    label="FATF call for action (black list)",
    points=60,
    nationality_points=30,
    countries=frozenset({"KP", "IR", "MM"}),
)

# Broad (non-comprehensive) sanctions programmes: large parts of the economy, the state or
# its banks are designated. Syria: the US revoked most of its Syria programme in mid-2025
# and the EU lifted its economic measures, but designations of persons remain: kept here,
# not among the embargoes.
BROADLY_SANCTIONED = CountryClass(
    code="broadly_sanctioned",
    label="broad sanctions programmes",
    points=60,
    nationality_points=30,
    countries=frozenset({"RU", "BY", "SY", "VE", "AF"}),
)

# FATF "jurisdictions under increased monitoring" (the grey list) after the June 2025
# plenary (added since 2024: Monaco, Venezuela, Algeria, Angola, Côte d'Ivoire, Lebanon,
# Lao PDR, Nepal, Bolivia, British Virgin Islands; removed: Jamaica, Türkiye, Senegal,
# Philippines, Croatia, Mali, Tanzania).
FATF_INCREASED_MONITORING = CountryClass(
    code="fatf_increased_monitoring",
    label="FATF increased monitoring (grey list)",
    points=30,
    nationality_points=10,
    countries=frozenset(
        {
            "DZ",  # Algeria
            "AO",  # Angola
            "BO",  # Bolivia
            "BG",  # Bulgaria
            "BF",  # Burkina Faso
            "CM",  # Cameroon
            "CI",  # Côte d'Ivoire
            "CD",  # Democratic Republic of the Congo
            "HT",  # Haiti
            "KE",  # Kenya
            "LA",  # Lao PDR
            "LB",  # Lebanon
            "MC",  # Monaco
            "MZ",  # Mozambique
            "NA",  # Namibia
            "NP",  # Nepal
            "NG",  # Nigeria
            "ZA",  # South Africa
            "SS",  # South Sudan
            "SY",  # Syria
            "VE",  # Venezuela
            "VN",  # Vietnam
            "VG",  # British Virgin Islands
            "YE",  # Yemen
        }
    ),
)

# Most severe first: a country in several classes scores as its most severe one.
COUNTRY_CLASSES: tuple[CountryClass, ...] = (
    EMBARGOED,
    FATF_CALL_FOR_ACTION,
    BROADLY_SANCTIONED,
    FATF_INCREASED_MONITORING,
)


# The Chinese names of the classes above: the first copy of kyc.RiskSettings (the migration
# seeding it and the fallback when the row is missing) carries them.
COUNTRY_CLASS_LABELS_ZH: dict[str, str] = {
    "embargoed": "全面制裁 / 禁运",
    "fatf_call_for_action": "FATF 呼吁采取行动的司法管辖区（黑名单）",
    "broadly_sanctioned": "大范围制裁项目",
    "fatf_increased_monitoring": "FATF 加强监控的司法管辖区（灰名单）",
}


def country_classes(
    country: str, classes: tuple[CountryClass, ...] = COUNTRY_CLASSES
) -> list[CountryClass]:
    """Every class a country (ISO 3166-1 alpha-2) belongs to, most severe first."""
    code = (country or "").strip().upper()
    return [c for c in classes if code in c.countries]


def default_country_classes() -> list[dict[str, object]]:
    """The classes above as kyc.RiskSettings.country_classes stores them."""
    return [
        {
            "code": c.code,
            "label_en": c.label,
            "label_zh": COUNTRY_CLASS_LABELS_ZH.get(c.code, ""),
            "points": c.points,
            "nationality_points": c.nationality_points,
            "countries": sorted(c.countries),
        }
        for c in COUNTRY_CLASSES
    ]


# Categories by code (merchants.Category.code): the more regulated the goods, the more a
# seller without the right licenses can harm buyers. A category marked prohibited scores
# PROHIBITED_CATEGORY_POINTS whatever its code.
CATEGORY_POINTS: dict[str, int] = {
    "medical-devices": 25,
    "cosmetics": 10,
    "food": 10,
    "electronics": 5,
    "apparel": 0,
}
PROHIBITED_CATEGORY_POINTS = 100

BUSINESS_MODEL_POINTS: dict[str, int] = {
    "p2p_merchant": 25,
    "cross_border_b2b": 10,
    "marketplace_seller": 0,
}

# Screening: a confirmed match always makes the merchant prohibited (kyc/risk.py forces the
# tier too); open hits alone are enough for high, i.e. EDD and four-eyes.
SCREENING_CONFIRMED_POINTS = 100
SCREENING_OPEN_POINTS = 60
SCREENING_INCONCLUSIVE_POINTS = 30
# A strong hit cleared as a false positive by two people: enough to keep the tier at medium
# (the default medium threshold), never low, and named in the breakdown.
SCREENING_STRONG_CLEARED_POINTS = 25

# Ownership opacity (companies and partnerships only).
OWNERSHIP_NO_DECLARED_OWNER_POINTS = 20
OWNERSHIP_OVER_100_POINTS = 25
OWNERSHIP_UNACCOUNTED_POINTS = 10
OWNERSHIP_LAYERED_POINTS = 20

PEP_POINTS = 60

# Failed automated document checks: per failed result, capped so that a badly scanned file
# set cannot by itself look like a fraud ring.
FAILED_CHECK_POINTS = 10
FAILED_CHECKS_CAP = 40

# Fraud-ring signals from the document checks (the same file, or the same registration
# number, under another merchant).
DUPLICATE_SIGNAL_POINTS: dict[str, int] = {
    "duplicate_file_other_merchant": 40,
    "duplicate_registration_number_other_merchant": 40,
}

# Words that make an owner's name look like a legal entity rather than a natural person:
# an owner that is itself a company adds a layer between the merchant and its real owners.
# Matched as whole words, case-insensitively (Latin) or as substrings (CJK).
ENTITY_NAME_WORDS: frozenset[str] = frozenset(
    {
        "ltd",
        "limited",
        "llc",
        "llp",
        "lp",
        "plc",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "holding",
        "holdings",
        "group",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "pte",
        "bhd",
        "kk",
        "trust",
        "trustees",
        "foundation",
        "fund",
        "partners",
        "partnership",
        "nominees",
        "enterprises",
        "investments",
        "ventures",
        "capital",
    }
)
ENTITY_NAME_MARKERS_CJK: tuple[str, ...] = (
    "公司",
    "有限",
    "集团",
    "控股",
    "合伙",
    "基金",
    "株式会社",
    "信托",
)
