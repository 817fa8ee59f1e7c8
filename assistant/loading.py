"""Loading policy files (.txt in any common Chinese encoding, .docx, .pdf) into raw text.

A .docx table becomes TAB-separated lines, one per row, in body order, so that an appendix
table (附件：重点任务分工表) is parsed the same way whether it came from Word or from text.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import DependencyMissing, DocumentError, EncodingError, NotAPolicy, UnsupportedFormat

SUPPORTED = (".txt", ".docx", ".pdf")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # C0 controls other than \t \n \v \f \r: never policy text
_NOT_TEXT = ((b"%PDF", " PDF"), (b"PK\x03\x04", " Word（.docx）或压缩包"), (b"\xd0\xcf\x11\xe0", "旧版 Word（.doc）"))
_PLAUSIBLE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef\u2000-\u206f\s\x20-\x7e·—…“”‘’《》〔〕①-⑳\u00a0-\u00ff]")


@dataclass(frozen=True)
class RawDocument:
    """Text extracted from one file, before repair."""

    path: Path
    text: str
    encoding: str
    sha256: str


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _plausible_ratio(text: str) -> float:
    sample = text[:20000]
    if not sample:
        return 0.0
    return len(_PLAUSIBLE.findall(sample)) / len(sample)


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Decode bytes of a text file: UTF-8 (with or without BOM), UTF-16 with BOM, GB18030/GBK."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
        if data.count(b"\x00") > len(data) // 4:
            candidates = ["utf-16-le", "utf-16-be"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _plausible_ratio(text) >= 0.95:
            return text, encoding
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
    except ImportError:  # pragma: no cover - a declared dependency
        best = None
    if best is not None and _plausible_ratio(str(best)) >= 0.95:
        return str(best), str(best.encoding)
    raise EncodingError(name, "不是可识别的文本文件（编码无法识别或内容为二进制数据）")


def _docx_text(data: bytes, name: str) -> str:
    try:
        import docx
        from docx.document import Document as _Doc
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError as exc:  # pragma: no cover
        raise DependencyMissing("读取 .docx 需要 python-docx：pip install python-docx") from exc
    try:
        document: _Doc = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds on a damaged package
        raise DocumentError(name, "Word 文件已损坏或不是 .docx 格式") from exc
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells = [re.sub(r"\s+", "", cell.text) for cell in row.cells]
                lines.append("\t".join(cells))
    return "\n".join(lines)


def _cell(text: str | None) -> str:
    """A table cell on one line: a wrapped cell's line breaks fall inside words (市工⏎信局), so join without a space."""
    return re.sub(r"\s+", "", text or "")


def _pdf_page_lines(page: Any, header: list[str] | None) -> tuple[list[str], list[str] | None]:
    """A page's text in reading order with each drawn table as TAB-separated rows; a table that goes on
    from the previous page repeats its header row, which is dropped."""
    tables = sorted(page.find_tables(), key=lambda t: t.bbox[1])
    lines: list[str] = []
    top = 0.0
    for table in tables:
        x0, y0, x1, y1 = table.bbox
        if y0 > top:
            lines.append(page.crop((0, top, page.width, y0)).extract_text() or "")
        rows = [[_cell(c) for c in row] for row in table.extract()]
        if rows and header is not None and rows[0] == header:
            rows = rows[1:]
        elif rows:
            header = rows[0]
        lines.extend("\t".join(row) for row in rows if any(row))
        top = y1
    if top < page.height:
        lines.append(page.crop((0, top, page.width, page.height)).extract_text() or "")
    return lines, header if tables else None


def _pdf_text(data: bytes, name: str) -> str:
    try:
        import pdfplumber
    except ImportError as exc:  # pragma: no cover
        raise DependencyMissing("读取 .pdf 需要 pdfplumber：pip install pdfplumber") from exc
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # its English repair notes are noise; failures raise below
    pages: list[str] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            header: list[str] | None = None
            for page in pdf.pages:
                lines, header = _pdf_page_lines(page, header)
                pages.append("\n".join(line for line in lines if line))
    except Exception as exc:  # pdfminer raises many kinds on a damaged file
        raise DocumentError(name, "PDF 文件已损坏或无法读取") from exc
    text = "\n\n".join(pages)
    if not text.strip():
        raise NotAPolicy(name, "PDF 没有文字层（可能是扫描件），请先做文字识别（OCR）再导入")
    return text


_TABLE_HEADS = ("序号", "重点任务", "工作任务", "主要任务", "任务", "牵头单位", "责任单位", "配合单位", "牵头部门", "完成时限", "时间节点",
                "指标", "指标名称", "单位", "属性", "指标属性")
_GAP = re.compile(r"(?:\u3000|\s{2,}|\t)[\s\u3000]*")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "FW" else 1 for ch in text)


def _runs(line: str) -> list[tuple[int, str]]:
    """The cells of a space-aligned line: (display column where the cell starts, its text)."""
    out, position = [], 0
    for piece in _GAP.split(line.rstrip()):
        start = line.find(piece, position) if piece else -1
        if piece and start >= 0:
            out.append((_width(line[:start]), piece.strip()))
            position = start + len(piece)
    return out


def columns_to_tabs(text: str) -> str:
    """A table laid out in space-aligned columns (as copied out of a PDF) rewritten as TAB-separated rows.

    The header row names the columns (序号 / 重点任务 / 牵头单位 …) and fixes where each starts; a line whose
    first column is empty continues the cells of the row above (a wrapped cell, even inside a name)."""
    lines = text.split("\n")
    out: list[str] = []
    header: list[int] | None = None
    rows: list[list[str]] = []

    def flush() -> None:
        out.extend("\t".join(row) for row in rows)
        rows.clear()

    for line in lines:
        runs = _runs(line) if "\t" not in line else []
        if header is None:
            if len(runs) >= 3 and sum(cell in _TABLE_HEADS for _, cell in runs) >= 2:
                header = [col for col, _ in runs]
                rows.append([cell for _, cell in runs])
                continue
            out.append(line)
            continue
        if not line.strip() or not runs:
            flush()
            header = None
            out.append(line)
            continue
        cells = [""] * len(header)
        for col, cell in runs:
            index = max([i for i, start in enumerate(header) if start <= col + 2] or [0])
            cells[index] += cell
        if cells[0] or len(rows) <= 1:
            rows.append(cells)
        else:  # a continuation line: wrapped cells of the row above
            rows[-1] = [a + b for a, b in zip(rows[-1], cells)]
    flush()
    return "\n".join(out)


def load_bytes(data: bytes, name: str, max_bytes: int = 50 * 1024 * 1024) -> RawDocument:
    """Extract the text of a policy file given its bytes and file name."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise UnsupportedFormat(name, f"不支持的文件类型“{suffix or '无扩展名'}”，请上传 .txt、.docx 或 .pdf")
    if not data.strip():
        raise NotAPolicy(name, "文件为空")
    if len(data) > max_bytes:
        raise DocumentError(name, f"文件过大（{len(data) / 1e6:.1f} MB，上限 {max_bytes / 1e6:.0f} MB）")
    if suffix == ".txt":
        for magic, kind in _NOT_TEXT:
            if data.lstrip()[:8].startswith(magic):
                raise DocumentError(name, f"文件内容是{kind}，不是纯文本，请改用正确的扩展名")
        text, encoding = decode_text(data, name)
        text = columns_to_tabs(text)
    elif suffix == ".docx":
        if not data.startswith(b"PK"):
            raise DocumentError(name, "文件内容不是 Word（.docx）格式")
        text, encoding = _docx_text(data, name), "docx"
    else:
        if not data.lstrip()[:5].startswith(b"%PDF"):
            raise DocumentError(name, "文件内容不是 PDF 格式")
        text, encoding = _pdf_text(data, name), "pdf"
    text = _CONTROL.sub("", text)
    if not text.strip():
        raise NotAPolicy(name, "文件中没有文字")
    return RawDocument(path=Path(name), text=text, encoding=encoding, sha256=sha256_bytes(data))


def load_file(path: Path, max_bytes: int = 50 * 1024 * 1024) -> RawDocument:
    """Read and extract one policy file from disk."""
    path = Path(path)
    if not path.exists():
        raise DocumentError(str(path), "文件不存在")
    if not path.is_file():
        raise DocumentError(str(path), "不是文件")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(str(path), f"无法读取文件（{exc.strerror}）") from exc
    raw = load_bytes(data, str(path), max_bytes)
    return RawDocument(path=path, text=raw.text, encoding=raw.encoding, sha256=raw.sha256)


def find_policy_files(paths: list[Path]) -> list[Path]:
    """Expand folders into the supported files under them, sorted; files are kept as given."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED
                                and not p.name.startswith(".")))
        else:
            found.append(path)
    return found
