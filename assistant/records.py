"""What a plan says it is: title, place and level, issuing body, document number (文号) and date.

Read from the plan's own text: the issuing notice on top (X市人民政府办公厅关于印发…的通知, 文号,
issuer and date lines) or the signature at the end, and the title. A content hash over the text
without white space makes a .docx and the .pdf printed from it one policy.
"""

from __future__ import annotations

import hashlib
import re

from .clauses import PolicyDocument
from .places import Place, level_of, place_of, places_in, short_name
from .schema import PolicyRecord

_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[【［(（]\s*(?:19|20)\d{2}\s*[〕\]】］)）]\s*\d{1,4}\s*号")
_NOTICE_ISSUER = re.compile(r"^(.{2,40}?)关于(?:印发|转发|公布|下达)")
_ISSUER_LINE = re.compile(r"^[\u4e00-\u9fff（）]{2,30}(?:人民政府|办公厅|办公室|委员会|局|厅|委|部|中心|领导小组|指挥部)$")
_BODY_SUFFIX = re.compile(r"(?:人民政府|政府)(?:办公厅|办公室)?$")
_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_DATE = re.compile(r"^\s*(\d{4}|[〇○零一二三四五六七八九]{4})\s*年\s*([\d一二三四五六七八九十]{1,3})\s*月"
                   r"\s*([\d一二三四五六七八九十]{1,3})\s*日\s*$")


def _cn_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if all(ch in _CN_DIGITS for ch in text) and len(text) == 4:  # 二〇二四
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    tens, _, ones = text.partition("十")
    if "十" not in text:
        return _CN_DIGITS.get(text, 0)
    return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)


def _date_of(line: str) -> str:
    m = _DATE.match(line)
    if not m:
        return ""
    year, month, day = (_cn_number(g) for g in m.groups())
    if not (1949 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31):
        return ""
    return f"{year:04d}-{month:02d}-{day:02d}"


def content_hash(text: str) -> str:
    """sha256 of the text without white space: the same plan as .txt, .docx or .pdf hashes alike."""
    return hashlib.sha256(re.sub(r"\s+", "", text).encode("utf-8")).hexdigest()


def _issuer_and_date(lines: list[str]) -> tuple[str, str]:
    """The issuer line(s) right above a date line (several bodies on a line when a notice is joint), and that date."""
    for i, line in enumerate(lines):
        date = _date_of(line)
        if not date:
            continue
        issuers: list[str] = []
        j = i - 1
        while j >= 0 and len(issuers) < 8:
            names = lines[j].split()
            if not names or not all(_ISSUER_LINE.match(n) for n in names):
                break
            issuers[:0] = names
            j -= 1
        return "、".join(issuers), date
    return "", ""


def read_record(document: PolicyDocument, version: str = "", date: str = "") -> PolicyRecord:
    """The plan's own statement of what it is; fields it does not state stay empty."""
    text = document.text
    first = min((c.start for c in document.clauses), default=len(text))
    body_end = document.appendix_start if document.appendix else len(text)
    # the notice and the signature as laid out in the source (repair joins lines and drops the spaces between
    # the bodies of a joint notice)
    source = document.repaired
    head_end = source.source_span(0, first)[1] if first < len(text) else len(source.source)
    tail_start = source.source_span(max(0, body_end - 1), body_end)[0]
    head = [line.strip() for line in source.source[:head_end].splitlines() if line.strip()]
    tail = [line.strip() for line in source.source[:tail_start + 1].splitlines()[-12:] if line.strip()]
    issuer, stated_date = _issuer_and_date(head)
    if not stated_date:
        issuer, stated_date = _issuer_and_date(tail)
    notice = next((m for m in (_NOTICE_ISSUER.match(line) for line in head[:5]) if m), None)
    if notice and not issuer:
        issuer = notice.group(1)
    # its own 文号 opens a line; one inside a sentence cites another document
    number = next((m for m in (_DOC_NUMBER.match(line) for line in head[:10]) if m), None)
    title = document.title
    place = _place(title, issuer, head)
    return PolicyRecord(policy=document.policy, version=version or document.version, title=title,
                        place=place.name if place else "", level=place.level if place else "",
                        issuer=issuer, doc_number=re.sub(r"\s+", "", number.group()) if number else "",
                        date=date or stated_date, content_hash=content_hash(text))


def _place(title: str, issuer: str, head: list[str]) -> Place | None:
    """The place a plan is for: its issuing government's (宜宾市叙州区人民政府办公室 → 宜宾市叙州区), else the most
    local one its title names, else the notice's."""
    government = _BODY_SUFFIX.sub("", issuer.split("、")[0]) if _BODY_SUFFIX.search(issuer.split("、")[0]) else ""
    if 2 <= len(government) <= 12 and level_of(government):
        return Place(government, short_name(government), level_of(government))
    for source in (title, issuer, *head[:3]):
        found = [p for p in places_in(source) if p.level]
        if found:
            return found[-1]
    m = re.match(r"^([\u4e00-\u9fff]{2,6}?(?:省|市|县|区))(?:人民政府|委员会|.{0,8}(?:局|厅|委))", issuer)
    return place_of(m.group(1)) if m else None
