"""Bilingual labels for the machine identifiers kyc produces: check names, check codes,
evidence keys and values, registration number validators and their messages, risk factor
codes, sanctions entry types and the screening matcher's explanation.

The one place for each kind: the case page, its template filters (cases/templatetags/labels.py)
and the PDF report all read these, so a code is never shown raw on one and labelled on
another. Labels are (English, Chinese) pairs, as the checks' own messages are, so a code
without a label is found by a test instead of by a reader; `Label` renders in the active
language when it is turned into text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from config.i18n import is_chinese


@dataclass(frozen=True)
class Label:
    en: str
    zh: str

    def __str__(self) -> str:
        return self.zh if is_chinese() else self.en


def _pairs(table: dict[str, tuple[str, str]]) -> dict[str, Label]:
    return {code: Label(en, zh) for code, (en, zh) in table.items()}


# --------------------------------------------------------------------------- checks

CHECK_LABELS = _pairs(
    {
        "integrity": ("File integrity", "文件完整性"),
        "file_type": ("File type and size", "文件类型与大小"),
        "pdf_structure": ("PDF structure", "PDF 结构"),
        "pdf_javascript": ("Scripts in the PDF", "PDF 中的脚本"),
        "pdf_embedded_files": ("Files embedded in the PDF", "PDF 中的嵌入文件"),
        "image_decode": ("Image readable", "图片可读性"),
        "image_resolution": ("Image resolution", "图片分辨率"),
        "duplicate_file": ("Same file elsewhere", "其他商户的相同文件"),
        "duplicate_registration_number": (
            "Same registration number elsewhere",
            "其他商户的相同注册号",
        ),
        "duplicate_file_signal": ("Fraud-ring signal: same file", "团伙风险信号：相同文件"),
        "duplicate_registration_signal": (
            "Fraud-ring signal: same registration number",
            "团伙风险信号：相同注册号",
        ),
        "registration_number": ("Registration number", "注册号"),
        "expiry": ("Validity dates", "有效期"),
        "holder_name": ("Holder name", "持有人名称"),
        "brand_chain": ("Brand authorization chain", "品牌授权链"),
    }
)

CHECK_CODE_LABELS = _pairs(
    {
        "check_error": ("Could not be checked", "无法自动检查"),
        "valid_indefinitely": ("Valid indefinitely", "长期有效"),
        # integrity
        "sha256_matches": ("Unchanged since upload", "上传后未被改动"),
        "file_missing": ("File missing from storage", "存储中缺少文件"),
        "file_integrity_mismatch": ("File changed since upload", "文件在上传后被改动"),
        # file type
        "file_type_allowed": ("Allowed type and size", "类型与大小符合要求"),
        "file_empty": ("Empty file", "空文件"),
        "file_too_large": ("File too large", "文件过大"),
        "unsupported_file_type": ("Type not accepted", "不接受的文件类型"),
        # PDF
        "pdf_readable": ("PDF readable", "PDF 可读取"),
        "pdf_unreadable": ("PDF unreadable", "PDF 无法读取"),
        "pdf_encrypted": ("PDF password-protected", "PDF 受密码保护"),
        "too_many_pages": ("Too many pages", "页数过多"),
        "pdf_too_complex": ("PDF too complex", "PDF 结构过于复杂"),
        "pdf_permissions_restricted": ("PDF permissions restricted", "PDF 权限受限"),
        "pdf_no_javascript": ("No scripts", "无脚本"),
        "pdf_javascript": ("Contains scripts", "含有脚本"),
        "pdf_no_embedded_files": ("No embedded files", "无嵌入文件"),
        "pdf_embedded_files": ("Contains embedded files", "含有嵌入文件"),
        "pdf_not_inspected": ("PDF not inspected", "PDF 未能检查"),
        # images
        "image_readable": ("Image readable", "图片可读取"),
        "image_unreadable": ("Image unreadable", "图片无法读取"),
        "image_too_many_pixels": ("Image too large", "图片像素过多"),
        "image_resolution_ok": ("Resolution sufficient", "分辨率足够"),
        "image_resolution_too_low": ("Resolution too low", "分辨率过低"),
        "image_not_inspected": ("Image not inspected", "图片未能检查"),
        # duplicates
        "no_duplicate_file": ("Not used by another merchant", "未被其他商户使用"),
        "duplicate_file_other_merchant": (
            "Same file on another merchant",
            "其他商户有相同文件",
        ),
        "no_duplicate_registration_number": (
            "Not used by another merchant",
            "未被其他商户使用",
        ),
        "duplicate_registration_number_other_merchant": (
            "Same registration number on another merchant",
            "其他商户有相同注册号",
        ),
        # registration number
        "registration_number_valid": ("Valid number", "号码有效"),
        "registration_number_missing": ("Number missing", "缺少号码"),
        "registration_number_invalid": ("Invalid number", "号码无效"),
        "registration_number_mismatch": ("Differs from the profile", "与商户资料不一致"),
        "registration_number_no_validator": (
            "Format only: check against the registry",
            "仅核对格式：请到登记机关核实",
        ),
        # expiry
        "document_valid": ("Valid", "在有效期内"),
        "no_expiry": ("No expiry date", "无到期日"),
        "expiry_date_missing": ("Expiry date missing", "缺少到期日"),
        "issue_date_in_future": ("Issue date in the future", "签发日期在未来"),
        "document_expired": ("Expired", "已过期"),
        "document_expiring_soon": ("Expires soon", "即将过期"),
        # holder name
        "holder_name_matches": ("Name matches", "名称一致"),
        "holder_name_similar": ("Name similar", "名称相近"),
        "holder_name_mismatch": ("Name differs", "名称不一致"),
        "holder_name_not_given": ("No holder name given", "未填写持有人名称"),
        "holder_name_not_compared": ("Name not compared", "名称未比对"),
        # brand chain, and the problems it lists
        "no_brand": ("No brand", "无品牌"),
        "brand_owned_by_merchant": ("Brand owned by the merchant", "品牌归商户所有"),
        "brand_chain_valid": ("Chain complete and current", "授权链完整且有效"),
        "brand_chain_not_declared": ("Chain not declared", "未申报授权链"),
        "brand_chain_expiring_soon": ("An authorization expires soon", "有授权即将到期"),
        "brand_chain_holder_unknown": ("Trademark holder unknown", "商标持有人未知"),
        "brand_chain_too_deep": ("Chain too long", "授权链层级过多"),
        "brand_chain_broken": ("Chain broken", "授权链中断"),
        "brand_chain_wrong_brand": ("Link for another brand", "某级授权针对其他品牌"),
        "brand_chain_not_from_trademark_holder": (
            "Does not start at the trademark holder",
            "未始于商标持有人",
        ),
        "brand_chain_not_to_merchant": (
            "Does not end at the merchant",
            "未授权给本商户",
        ),
        "brand_chain_link_expired": ("An authorization expired", "有授权已过期"),
        "brand_chain_link_not_yet_valid": ("An authorization is not valid yet", "有授权尚未生效"),
        "brand_chain_territory": ("Territory not covered", "授权地域不覆盖"),
    }
)

EVIDENCE_LABELS = _pairs(
    {
        "allowed_types": ("Accepted types", "接受的类型"),
        "country": ("Country", "国家/地区"),
        "compared_with": ("Compared with", "比对对象"),
        "days_left": ("Days left", "剩余天数"),
        "days_overdue": ("Days overdue", "已过期天数"),
        "documents": ("Same file at", "相同文件所在"),
        "embedded_files": ("Embedded files", "嵌入文件"),
        "encrypted": ("Encrypted", "已加密"),
        "error": ("Error", "错误"),
        "errors": ("Validator results", "校验结果"),
        "expected": ("Expected holder", "应为持有人"),
        "expiry_date": ("Expiry date", "到期日"),
        "format": ("Image format", "图片格式"),
        "format_matches": ("Formats matched", "符合的号码格式"),
        "grantee": ("Grantee", "被授权方"),
        "grantor": ("Grantor", "授权方"),
        "height": ("Height (px)", "高度（像素）"),
        "holder": ("Trademark holder", "商标持有人"),
        "holder_name": ("Holder name", "持有人名称"),
        "issue_date": ("Issue date", "签发日期"),
        "javascript": ("Scripts", "脚本"),
        "key": ("Compared value", "比对值"),
        "launch_actions": ("Launch actions", "启动操作"),
        "links": ("Chain", "授权链"),
        "matched_name": ("Closest name", "最接近的名称"),
        "matches": ("Same number at", "相同号码所在"),
        "max_bytes": ("Largest size accepted (bytes)", "最大允许大小（字节）"),
        "max_objects": ("Most objects accepted", "最多允许对象数"),
        "max_pages": ("Most pages accepted", "最多允许页数"),
        "max_pixels": ("Most pixels accepted", "最多允许像素"),
        "merchant_ids": ("Other merchants", "其他商户"),
        "min_side": ("Shortest side needed (px)", "最短边要求（像素）"),
        "n": ("Link", "授权级"),
        "needs_password": ("Needs a password", "需要密码"),
        "number": ("Number", "号码"),
        "objects_inspected": ("Objects inspected", "已检查对象数"),
        "objects_visited": ("Objects visited", "已访问对象数"),
        "page_count": ("Pages", "页数"),
        "pixels": ("Pixels", "像素"),
        "problems": ("Problems", "问题"),
        "profile_number": ("Number on the profile", "商户资料中的号码"),
        "readable": ("Readable", "可读取"),
        "recorded_sha256": ("Recorded SHA-256", "记录的 SHA-256"),
        "registration_numbers": ("Registration numbers", "注册号"),
        "score": ("Similarity score", "相似度分数"),
        "sha256": ("SHA-256", "SHA-256"),
        "size": ("Size (bytes)", "大小（字节）"),
        "sniffed_type": ("Detected type", "识别出的类型"),
        "stored_sha256": ("Stored SHA-256", "存储的 SHA-256"),
        "territories": ("Territories", "授权地域"),
        "total": ("Found", "找到数量"),
        "validator": ("Validator", "校验规则"),
        "validators": ("Validators", "校验规则"),
        "warning_days": ("Warning period (days)", "提前提醒天数"),
        "warnings": ("Warnings", "警告"),
        "width": ("Width (px)", "宽度（像素）"),
    }
)

# Evidence values that are themselves codes.
EVIDENCE_VALUE_LABELS = _pairs(
    {
        "merchant": ("The merchant", "商户"),
        "person": ("The person", "相关人员"),
        "brand": ("The brand", "品牌"),
        "companies_house": ("Companies House number", "英国公司注册处编号"),
        "business_registration": ("Business registration number", "商业登记号码"),
        "company_registration": ("Company registration number", "公司注册编号"),
        "ssm_2019": ("SSM number (since 2019)", "SSM 注册号（2019 年起）"),
        "ssm_legacy": ("SSM number (before 2019)", "SSM 注册号（2019 年前）"),
        "missing link": ("Missing link", "缺少一级授权"),
    }
)

VALIDATOR_LABELS = _pairs(
    {
        "cn.uscc": ("Unified social credit code", "统一社会信用代码"),
        "cn.ric": ("Resident identity card number", "居民身份证号码"),
        "sg.uen": ("Unique Entity Number", "新加坡统一实体编号 (UEN)"),
        "us.ein": ("Employer Identification Number", "美国雇主识别号 (EIN)"),
        "gb.utr": ("Unique Taxpayer Reference", "英国纳税人识别号 (UTR)"),
        "gb.vat": ("VAT registration number", "英国增值税登记号"),
        "de.handelsregisternummer": ("Commercial register number", "德国商业登记号"),
        "fr.siren": ("SIREN", "法国 SIREN 编号"),
        "fr.siret": ("SIRET", "法国 SIRET 编号"),
        "jp.cn": ("Corporate number", "日本法人番号"),
        "my.nric": ("NRIC", "马来西亚身份证号码 (NRIC)"),
    }
)

# python-stdnum's fixed messages (stdnum.exceptions), as the validators report them.
VALIDATOR_MESSAGES = _pairs(
    {
        "The number has an invalid format.": (
            "The number has an invalid format.",
            "号码格式无效。",
        ),
        "The number's checksum or check digit is invalid.": (
            "The number's checksum or check digit is invalid.",
            "号码的校验位无效。",
        ),
        "The number has an invalid length.": (
            "The number has an invalid length.",
            "号码长度无效。",
        ),
        "One of the parts of the number are invalid or unknown.": (
            "One of the parts of the number is invalid or unknown.",
            "号码的某一部分无效或无法识别。",
        ),
    }
)
UNKNOWN_VALIDATOR_MESSAGE = Label("The number was refused.", "号码未通过校验。")


def check_label(name: str) -> Label | str:
    return CHECK_LABELS.get(name, name)


def check_code_label(code: str) -> Label | str:
    return CHECK_CODE_LABELS.get(code, code)


def evidence_label(key: str) -> Label | str:
    return EVIDENCE_LABELS.get(key, key)


def validator_label(name: str) -> Label | str:
    return VALIDATOR_LABELS.get(name, name)


def validator_message(message: str) -> Label:
    """A validator's refusal in the page's language; stdnum's messages are a fixed set, and
    anything else (an odd input's exception text) is said in general terms."""
    return VALIDATOR_MESSAGES.get(message, UNKNOWN_VALIDATOR_MESSAGE)


def _is_code(value: Any) -> bool:
    return isinstance(value, str) and value in EVIDENCE_VALUE_LABELS


def evidence_value(value: Any, key: str = "") -> str:
    """One evidence value as text: codes labelled, booleans as yes/no, lists joined."""
    if isinstance(value, bool):
        return str(YES if value else NO)
    if value is None or value == "":
        return "—"
    if key in ("validators", "validator"):
        items = value if isinstance(value, list) else [value]
        return "; ".join(str(validator_label(v)) for v in items)
    if key in ("problems", "warnings") and isinstance(value, list):
        return "; ".join(str(check_code_label(p.get("code", ""))) for p in value)
    if isinstance(value, dict):
        return "; ".join(f"{evidence_label(k)}: {evidence_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(evidence_value(v) for v in value)
    if _is_code(value):
        return str(EVIDENCE_VALUE_LABELS[value])
    return str(value)


def validator_errors(errors: dict[str, str]) -> list[tuple[str, str]]:
    """The registration number check's refusals: (validator label, message) pairs."""
    return [(str(validator_label(k)), str(validator_message(v))) for k, v in errors.items()]


YES = Label("Yes", "是")
NO = Label("No", "否")


# --------------------------------------------------------------------------- risk

RISK_FACTOR_LABELS = _pairs(
    {
        "category_prohibited": ("Prohibited category", "禁售类目"),
        "business_model_p2p": ("P2P business model", "P2P 商业模式"),
        "business_model_cross_border": ("Cross-border B2B trade", "跨境 B2B 贸易"),
        "screening_confirmed": ("Confirmed sanctions match", "已确认的制裁名单命中"),
        "screening_open": ("Screening hits to dispose", "待处理的筛查命中"),
        "screening_inconclusive": ("Inconclusive screening hits", "无法确定的筛查命中"),
        "screening_strong_hit_cleared": (
            "Strong sanctions hit cleared as a false positive",
            "已排除为误报的高分制裁名单命中",
        ),
        "ownership_no_declared_owner": ("No declared major owner", "未申报主要所有人"),
        "ownership_over_100": ("Ownership over 100%", "持股合计超过 100%"),
        "ownership_unaccounted": ("Ownership unaccounted for", "部分持股未申报"),
        "ownership_layered": ("Owned through other entities", "通过其他实体持有"),
        "pep": ("Politically exposed person", "政治公众人物 (PEP)"),
        "failed_checks": ("Failed document checks", "未通过的文件检查"),
        "duplicate_file_other_merchant": (
            "Same file on another merchant",
            "其他商户有相同文件",
        ),
        "duplicate_registration_number_other_merchant": (
            "Same registration number on another merchant",
            "其他商户有相同注册号",
        ),
    }
)
# Factor codes built from a code of their own (kyc.risk): "country_embargoed", "category_…".
RISK_FACTOR_PREFIXES = (
    ("country_", Label("Country of registration", "注册国家/地区")),
    ("nationality_", Label("Nationality of a person", "相关人员国籍")),
    ("category_", Label("Regulated category", "受监管类目")),
)
OTHER_RISK_FACTOR = Label("Other risk factor", "其他风险因素")


def risk_factor_label(code: str) -> Label:
    if code in RISK_FACTOR_LABELS:
        return RISK_FACTOR_LABELS[code]
    for prefix, label in RISK_FACTOR_PREFIXES:
        if code.startswith(prefix):
            return label
    return OTHER_RISK_FACTOR


def check_codes_text(codes: Iterable[str]) -> str:
    """Check codes as their labels, for a risk factor's reason."""
    return ", ".join(str(check_code_label(c)) for c in codes)


class BilingualText:
    """A value rendered in the language active when it is turned into text (kyc.risk renders
    a factor's reason once per language)."""

    def __init__(self, en: str, zh: str) -> None:
        self.en, self.zh = en, zh

    def __str__(self) -> str:
        return self.zh if (is_chinese() and self.zh) else self.en


class CheckCodes:
    """Check codes, rendered as their labels in the active language."""

    def __init__(self, codes: Iterable[str]) -> None:
        self.codes = sorted(set(codes))

    def __str__(self) -> str:
        return check_codes_text(self.codes)


# --------------------------------------------------------------------------- screening

ENTRY_TYPE_LABELS = _pairs(
    {
        "individual": ("individual", "个人"),
        "entity": ("entity", "实体"),
        "vessel": ("vessel", "船舶"),
        "aircraft": ("aircraft", "航空器"),
    }
)


LIST_SOURCE_LABELS = _pairs({"ofac_sdn": ("OFAC SDN list", "OFAC 特别指定国民清单")})


def list_source_label(source: str) -> Label | str:
    # An unknown source by its name in capitals ("un_consolidated" -> "UN CONSOLIDATED").
    return LIST_SOURCE_LABELS.get(source, source.replace("_", " ").upper())


def screening_run_text(after: dict[str, Any], source: str) -> str:
    """A "screening.completed" event in the page's language, from its structured data (the
    stored text is English and names the list by its code: what an export keeps)."""
    names = after.get("names_screened", 0)
    hits = after.get("hits", 0)
    new = after.get("new_matches", 0)
    number = after.get("sanctions_list")
    listed = str(list_source_label(source)) if source else str(SANCTIONS_LIST)
    if number is not None:
        listed += f" #{number}"
    if is_chinese():
        return f"已对照 {listed} 筛查 {names} 个名称：命中 {hits} 条，新增 {new} 条"
    return f"{names} name(s) screened against the {listed}: {hits} hit(s), {new} new"


SANCTIONS_LIST = Label("sanctions list", "制裁名单")


def entry_type_label(value: str) -> Label | str:
    return ENTRY_TYPE_LABELS.get(value, value)


_NAME_KINDS = {
    "primary name": "主名称",
    "alias": "别名",
    "former name": "曾用名",
    "new name": "新名称",
}
_Q = r"'([^']*)'"
_QUOTED_LIST = r"((?:'[^']*'(?:, )?)+)"
# The matcher's notes (kyc.screening.matcher.explain), one rule per phrase it writes.
_NOTE_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^same words$"), "词语相同"),
    (re.compile(r"^every word pairs up$"), "每个词都能对应"),
    (
        re.compile(r"^(same words|every word pairs up) after removing legal forms? (.+)$"),
        "{0}（去除公司形式 {1} 后）",
    ),
    (re.compile(r"^after removing legal forms? (.+)$"), "去除公司形式 {0} 后"),
    (re.compile(r"^legal forms differ \((.+) vs (.+)\)$"), "公司形式不同（{0} 与 {1}）"),
    (re.compile(r"^ignoring " + _QUOTED_LIST + "$"), "忽略 {0}"),
    (re.compile(r"^words in a different order$"), "词序不同"),
    (re.compile(r"^" + _Q + r" is a spelling variant of " + _Q + "$"), "“{0}”是“{1}”的拼写变体"),
    (
        re.compile(r"^one-letter typo in " + _Q + r" \(listed " + _Q + r"\)$"),
        "“{0}”有一个字母之差（名单为“{1}”）",
    ),
    (
        re.compile(r"^two-letter difference in " + _Q + r" \(listed " + _Q + r"\)$"),
        "“{0}”有两个字母之差（名单为“{1}”）",
    ),
    (
        re.compile(r"^" + _Q + " vs " + _Q + r" \(article 'AL'/'EL'\)$"),
        "“{0}”与“{1}”（冠词 AL/EL）",
    ),
    (re.compile(r"^" + _Q + " written as " + _Q + "$"), "“{0}”写作“{1}”"),
    (re.compile(r"^not in the listed name: " + _QUOTED_LIST + "$"), "名单名称中没有：{0}"),
    (re.compile(r"^listed name also has " + _QUOTED_LIST + "$"), "名单名称另有：{0}"),
    (
        re.compile(
            r"^listed as an? (individual|entity), screened as an? (individual|entity) \((-\d+)\)$"
        ),
        "名单中为{0}，筛查对象为{1}（{2}）",
    ),
]
_HEAD = re.compile(
    r"^(primary name|alias|former name|new name) '(.*)' of entry (\S+) \(([a-z]*)\)$"
)
_OWNERSHIP = re.compile(
    r"^Owned ([\d.]+)% together by parties with sanctions screening hits — (.*)\. "
    r"OFAC's 50% rule: an entity owned 50% or more by listed parties is treated as listed\.$",
    re.S,
)
_OWNER_PART = re.compile(r"^(.*) ([\d.]+)% \(~ (.*), list id (\S+), (.*)\)$")


def _zh_kind(word: str) -> str:
    return str(ENTRY_TYPE_LABELS[word].zh) if word in ENTRY_TYPE_LABELS else word


def _note_zh(note: str) -> str:
    for pattern, template in _NOTE_RULES:
        found = pattern.match(note)
        if found:
            parts = [_NOTE_RULES_INNER.get(g, _zh_kind(g)) if g else "" for g in found.groups()]
            return template.format(*parts)
    return note


_NOTE_RULES_INNER = {"same words": "词语相同", "every word pairs up": "每个词都能对应"}


def screening_explanation(text: str) -> str:
    """Why a name matched, in the page's language. The matcher writes it in English from a
    fixed set of phrases (it is stored, and exported, as written); on a Chinese page each
    phrase is said in Chinese and the names it quotes stay as listed."""
    if not is_chinese() or not text:
        return text
    ownership = _OWNERSHIP.match(text)
    if ownership:
        owners = []
        for part in ownership.group(2).split("; "):
            found = _OWNER_PART.match(part)
            owners.append(
                f"{found.group(1)} {found.group(2)}%（≈ {found.group(3)}，名单编号 "
                f"{found.group(4)}，{_disposition(found.group(5))}）"
                if found
                else part
            )
        return (
            f"由有制裁筛查命中的各方合计持有 {ownership.group(1)}%：{'；'.join(owners)}。"
            "OFAC 50% 规则：被名单所列各方合计持有 50% 或以上的实体视同被列名。"
        )
    head, _sep, rest = text.partition(": ")
    found = _HEAD.match(head)
    if not found:
        return text
    kind, name, list_id, entry_type = found.groups()
    said = f"名单条目 {list_id}（{_zh_kind(entry_type)}）的{_NAME_KINDS[kind]}“{name}”"
    if not rest:
        return said
    return said + "：" + "；".join(_note_zh(n) for n in rest.split("; "))


def _disposition(text: str) -> str:
    """A disposition's English label (as written into the explanation) in the page's
    language."""
    from django.utils import translation

    from .models import Disposition

    with translation.override("en"):
        by_english = {str(choice.label): choice for choice in Disposition}
    return str(by_english[text].label) if text in by_english else text
