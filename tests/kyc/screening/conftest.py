"""Small SDN files written in the exact published format, and the real list when present."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.services import IN_CI

ROOT = Path(__file__).resolve().parents[3]
SDN_PATH = (ROOT / ".." / "shared" / "data" / "sanctions" / "ofac_sdn_2024-05-03.csv").resolve()


def field(value: str | None) -> str:
    """One column as the publisher writes it: quoted text, or `-0- ` for empty."""
    return "-0- " if value is None else '"' + value.replace('"', '""') + '"'


def sdn_row(
    ent_num: int | str,
    name: str,
    sdn_type: str | None = None,
    program: str = "SDGT",
    remarks: str | None = None,
    vessel: Sequence[str | None] = (None,) * 6,
) -> str:
    """`ent_num,"NAME",type,"PROGRAM",title,call sign,vessel type,tonnage,GRT,flag,owner,
    "REMARKS"` — the ent_num unquoted, like the publisher's file."""
    title = None
    cells = [str(ent_num), field(name), field(sdn_type), field(program), field(title)]
    cells += [field(v) for v in vessel]
    cells.append(field(remarks))
    return ",".join(cells)


def sdn_file(rows: Sequence[str]) -> bytes:
    """CRLF lines and the DOS end-of-file byte on its own last line."""
    return ("\r\n".join(rows) + "\r\n\x1a").encode("cp1252")


SMALL_LIST = [
    sdn_row(173, "ANGLO-CARIBBEAN CO., LTD.", None, "CUBA"),
    sdn_row(306, "BANCO NACIONAL DE CUBA", None, "CUBA", "a.k.a. 'BNC'."),
    sdn_row(
        2676,
        "AL ZAWAHIRI, Dr. Ayman",
        "individual",
        "SDGT",
        "DOB 19 Jun 1951; POB Giza, Egypt; nationality Egypt.",
    ),
    sdn_row(
        7001,
        "HASSAN, Mohamed Yousef",
        "individual",
        "SDGT] [IRGC",
        "DOB 1960; a.k.a. 'ABU-'UMAR'; a.k.a. 'HASAN, Muhammad Yusuf'; Passport A123 (Egypt).",
    ),
    sdn_row(
        7002,
        "GOLDEN ORCHID TRADING LIMITED",
        None,
        "IRAN",
        "Registration Number 12345 (Hong Kong); f.k.a. 'ORCHID GOLD SHIPPING CO'; "
        "n.k.a. 'GOLDEN ORCHID LOGISTICS'.",
    ),
    sdn_row(
        7003,
        "IVANOV, Aleksandr Sergeyevich",
        "individual",
        "RUSSIA-EO14024",
        "DOB 01 Jan 1970; nationality Russia; Gender Male.",
    ),
    sdn_row(
        7004,
        "SEA FALCON",
        "vessel",
        "IRAN",
        "Vessel Registration Identification IMO 1234567.",
        vessel=("9BXX1", "Crude Oil Tanker", "100,000", "60,000", "Iran", None),
    ),
    sdn_row(7005, "KHALED MUSTAFA IMPORT EXPORT LLC", None, "SDGT", None),
]


@pytest.fixture
def small_file() -> bytes:
    return sdn_file(SMALL_LIST)


@pytest.fixture
def small_list(db: Any, small_file: bytes) -> Any:
    from kyc.screening.importer import import_sanctions_data

    return import_sanctions_data(data=small_file, label="small.csv").sanctions_list


def require_sdn_file() -> Path:
    """The real OFAC file, or skip (fail under CI=true) when ../shared is not there."""
    if not SDN_PATH.exists():
        if IN_CI:
            pytest.fail(f"the real SDN list is required under CI=true: {SDN_PATH}", pytrace=False)
        pytest.skip(f"the real SDN list is not at {SDN_PATH}")
    return SDN_PATH
