from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kyc.screening.normalize import MAX_NAME_CHARS, normalize, normalize_name

SAME = [
    ("Acme Trading Ltd", "ACME TRADING LIMITED"),
    ("Acme Trading Co., Ltd.", "Acme Trading Company Limited"),
    ("Acme Corp", "ACME CORPORATION"),
    ("Acme S.A.", "ACME SA"),
    ("Acme S.A. de C.V.", "Acme"),
    ("OOO Romashka", "Romashka LLC"),
    ("Romashka Limited Liability Company", "ROMASHKA LLC"),
    ("Uzay Group Dis Ticaret Limited Sirketi", "UZAY GROUP DIS TICARET LTD"),
    ("Müller Straße GmbH", "MULLER STRASSE"),
    ("Mohamed Yousef", "MUHAMMAD YUSUF"),
    ("Mohammed Yusuf", "Muhammad Yousef"),
    ("Aleksandr Ivanoff", "Alexander Ivanov"),
    ("Khalid Qasim", "Halid Kasim"),
    ("Abd al-Rahman", "Abdul Rahman"),
    ("Abdurrahman", "ABDUL RAHMAN"),
    ("Dr. Ayman al-Zawahiri", "AYMAN ZAWAHIRI"),
    ("Evgeniy", "Yevgeny"),
]


@pytest.mark.parametrize(("one", "other"), SAME)
def test_spellings_of_the_same_name_normalise_alike(one, other):
    assert normalize(one) == normalize(other)


def test_legal_forms_are_removed_and_remembered():
    name = normalize_name("Anglo-Caribbean Co., Ltd.")
    assert name.text == "ANGLO CARIBBEAN"
    assert name.legal_forms == ("CO LTD",)
    assert name.legal_words == ("CO", "LTD")


def test_a_misspelt_legal_form_is_still_a_legal_form():
    assert normalize("Acme Trading Limted") == normalize("Acme Trading")


def test_a_name_made_only_of_legal_words_keeps_them():
    assert normalize("Limited Company") != ""


def test_different_names_stay_different():
    assert normalize("Zhang Wei") != normalize("Zheng Wei")
    assert normalize("Zhou Li") != normalize("Zhu Li")


def test_chinese_names_are_written_as_lists_write_them():
    assert normalize_name("王小明", "individual").text == "WANG XIAOMING"
    assert normalize_name("欧阳娜娜", "individual").text == "OUYANG NANA"
    company = normalize_name("深圳市光明贸易有限公司")
    assert company.text == "SHENZHEN GUANGMING MAOYI"
    assert company.legal_forms == ("CO LTD",)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=400))
def test_normalisation_never_fails_and_gives_bounded_ascii_words(text):
    name = normalize_name(text)
    flat = normalize(text)
    assert flat == " ".join(name.keys)
    assert flat == normalize(text)  # deterministic
    assert all(token.text.isascii() and token.text.isalnum() for token in name.tokens)
    assert len(flat) <= MAX_NAME_CHARS * 4
