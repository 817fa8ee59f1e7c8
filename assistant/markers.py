"""Numbering markers of Chinese policy documents, shared by the repairer and the clause parser."""

from __future__ import annotations

import re

CN_DIGITS = "零一二三四五六七八九十百"
_CN = f"[{CN_DIGITS}]+"

# 一、总体要求 / 第一章 总则 / 第一部分 ...
CHAPTER = re.compile(rf"^(?:第({_CN})(?:章|部分|篇)|({_CN})[、．.])\s*(\S.*)?$")
# （一）指导思想 / (一) ... / 第一条 ...
ITEM = re.compile(rf"^(?:[（(]({_CN})[）)]|第({_CN})条)\s*(\S.*)?$")
# 1. / 1、 / （1） / ①
SUBITEM = re.compile(r"^(?:(\d{1,2})[.．、](?!\d)|[（(](\d{1,2})[）)]|([①-⑳]))\s*(\S.*)?$")

SENTENCE_END = "。！？；"
# A line ending in one of these does not continue on the next line.
LINE_END = SENTENCE_END + "：:…”’」』）)】"

TITLE_LINE = re.compile(
    r"^.{2,60}(?:方案|通知|意见|办法|规划|要点|措施|计划|细则|规定|分工表|清单|"
    r"（试行）|（征求意见稿）|\(试行\))$"
)
DATE_LINE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")
ISSUER_LINE = re.compile(r"^[\u4e00-\u9fff（）]{2,24}(?:人民政府|办公厅|办公室|委员会|领导小组)$")


def cn_to_int(numeral: str) -> int:
    """一 → 1, 十九 → 19, 二十三 → 23, 一百零二 → 102. Arabic digits pass through."""
    if numeral in "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳" and len(numeral) == 1:  # before isdigit(), which accepts ①
        return ord(numeral) - ord("①") + 1
    if numeral.isdigit():
        return int(numeral)
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")}
    total, current = 0, 0
    for ch in numeral:
        if ch in digits:
            current = digits[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
    return total + current


def is_heading_start(line: str) -> bool:
    """Whether a line begins with a chapter, item or sub-item marker."""
    return bool(CHAPTER.match(line) or ITEM.match(line) or SUBITEM.match(line))


def is_standalone_line(line: str) -> bool:
    """Title, issuer or date lines, which never continue on the next line."""
    if "，" in line or "。" in line:
        return False
    return bool(TITLE_LINE.match(line) or DATE_LINE.match(line) or ISSUER_LINE.match(line))
