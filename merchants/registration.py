"""Registration numbers are validated when the merchant is saved (check digit, length), for
every country python-stdnum has a company, business or VAT registration module for.

A number is accepted when any of its country's validators accepts it, or when it has the
shape of a register that carries no check digit (python-stdnum has no module for it, e.g. the
UK's Companies House or the Dutch KvK): rejecting a genuine number would stop a legitimate
seller, so the list errs on accepting. Countries python-stdnum does not cover are not
validated here; the document check (kyc/checks/registration_number.py) flags them for a
reviewer.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

# Country -> the stdnum modules of its company/business/VAT registration numbers.
BUSINESS_MODULES: dict[str, tuple[str, ...]] = {
    "AD": ("ad.nrt",),
    "AL": ("al.nipt",),
    "AR": ("ar.cuit",),
    "AT": ("at.businessid", "at.uid"),
    "AU": ("au.abn", "au.acn"),
    "AZ": ("az.voen",),
    "BE": ("be.vat",),
    "BG": ("bg.vat",),
    "BR": ("br.cnpj",),
    "BY": ("by.unp",),
    "CA": ("ca.bn",),
    "CH": ("ch.uid", "ch.vat"),
    "CL": ("cl.rut",),
    "CN": ("cn.uscc",),
    "CO": ("co.nit",),
    "CR": ("cr.cpj",),
    "CY": ("cy.vat",),
    "CZ": ("cz.dic",),
    "DE": ("de.handelsregisternummer", "de.vat", "de.stnr"),
    "DK": ("dk.cvr",),
    "DO": ("do.rnc",),
    "DZ": ("dz.nif",),
    "EC": ("ec.ruc",),
    "EE": ("ee.registrikood", "ee.kmkr"),
    "EG": ("eg.tn",),
    "ES": ("es.cif", "es.nif"),
    "FI": ("fi.ytunnus", "fi.alv"),
    "FR": ("fr.siren", "fr.siret", "fr.tva", "fr.rcs"),
    "GB": ("gb.utr", "gb.vat"),
    "GR": ("gr.vat",),
    "GT": ("gt.nit",),
    "HR": ("hr.oib",),
    "HU": ("hu.anum",),
    "ID": ("id.npwp",),
    "IE": ("ie.vat",),
    "IL": ("il.hp",),
    "IT": ("it.iva",),
    "JP": ("jp.cn",),
    "KE": ("ke.pin",),
    "KR": ("kr.brn",),
    "LI": ("li.peid",),
    "LT": ("lt.pvm",),
    "LU": ("lu.tva",),
    "LV": ("lv.pvn",),
    "MA": ("ma.ice",),
    "MC": ("mc.tva",),
    "MD": ("md.idno",),
    "ME": ("me.pib",),
    "MK": ("mk.edb",),
    "MT": ("mt.vat",),
    "MX": ("mx.rfc",),
    "MZ": ("mz.nuit",),
    "NL": ("nl.btw",),
    "NO": ("no.orgnr", "no.mva"),
    "NZ": ("nz.ird",),
    "PE": ("pe.ruc",),
    "PL": ("pl.nip", "pl.regon"),
    "PT": ("pt.nif",),
    "PY": ("py.ruc",),
    "RO": ("ro.onrc", "ro.cui"),
    "RS": ("rs.pib",),
    "RU": ("ru.inn", "ru.ogrn"),
    "SE": ("se.orgnr", "se.vat"),
    "SG": ("sg.uen",),
    "SI": ("si.ddv", "si.maticna"),
    "SK": ("sk.dph",),
    "SM": ("sm.coe",),
    "SN": ("sn.ninea",),
    "SV": ("sv.nit",),
    "TH": ("th.moa", "th.tin"),
    "TN": ("tn.mf",),
    "TR": ("tr.vkn",),
    "TW": ("tw.ubn",),
    "UA": ("ua.edrpou",),
    "US": ("us.ein",),
    "UY": ("uy.rut",),
    "VE": ("ve.rif",),
    "VN": ("vn.mst",),
    "ZA": ("za.tin",),
}

# Individuals and sole proprietors may register with their personal ID.
PERSONAL_MODULES: dict[str, tuple[str, ...]] = {"CN": ("cn.ric",), "MY": ("my.nric",)}
PERSONAL_ENTITY_TYPES = frozenset({"individual", "sole_proprietorship"})

# Registers without a check digit (no stdnum module): their shape is accepted.
NO_CHECK_DIGIT_FORMATS: dict[str, tuple[re.Pattern[str], ...]] = {
    "GB": (re.compile(r"^(\d{8}|[A-Z]{2}\d{6})$"),),  # Companies House
    "NL": (re.compile(r"^\d{8}$"),),  # KvK
    "LT": (re.compile(r"^\d{9}$"),),  # įmonės kodas
    "LU": (re.compile(r"^[A-Z]\d{1,6}$"),),  # RCS
    "MT": (re.compile(r"^C\d{1,6}$"),),  # MBR company number
    "NZ": (re.compile(r"^\d{13}$"),),  # NZBN
    "PL": (re.compile(r"^\d{10}$"),),  # KRS
    "SK": (re.compile(r"^\d{8}$"),),  # IČO
    "ZA": (re.compile(r"^\d{4}\d{6}\d{2}$"),),  # CIPC, e.g. 2001/123456/07
}

_SEPARATORS = re.compile(r"[\s\-./]+")


def _modules(country: str, entity_type: str) -> tuple[str, ...]:
    if entity_type == "individual":
        # An individual seller has no company number: only a personal ID is checked.
        return PERSONAL_MODULES.get(country, ())
    found = BUSINESS_MODULES.get(country, ())
    if entity_type in PERSONAL_ENTITY_TYPES:
        found = found + PERSONAL_MODULES.get(country, ())
    return found


def _accepts(module_name: str, number: str) -> bool:
    module: Any = importlib.import_module(f"stdnum.{module_name}")
    try:
        module.validate(number)
    except Exception:  # stdnum's ValidationError, or anything hostile input provokes
        return False
    return True


def is_validated_country(country: str, entity_type: str = "company") -> bool:
    return bool(_modules(country.upper(), entity_type))


def registration_number_error(*, country: str, entity_type: str, number: str) -> str | None:
    """None when `number` is a valid registration number of `country` (or cannot be checked
    here); else the reason, in English (the form translates the known ones)."""
    country = (country or "").upper()
    number = (number or "").strip()
    modules = _modules(country, entity_type)
    if not number or not modules:
        return None
    if any(_accepts(m, number) for m in modules):
        return None
    compact = _SEPARATORS.sub("", number).upper()
    if any(p.match(compact) for p in NO_CHECK_DIGIT_FORMATS.get(country, ())):
        return None
    return INVALID_MESSAGE


INVALID_MESSAGE = (
    "This registration number is not valid for the country chosen: check its length and "
    "check digit against the business license."
)
