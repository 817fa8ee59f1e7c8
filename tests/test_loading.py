"""loading: encodings, Word and PDF files, damaged and unsupported files, and whole folders."""

from __future__ import annotations

import codecs
import hashlib
import io
import random
from pathlib import Path

import docx
import pytest

from assistant.errors import DocumentError, EncodingError, NotAPolicy, UnsupportedFormat
from assistant.loading import decode_text, find_policy_files, load_bytes, load_file
from assistant.policies import read_corpus, read_policy

ROOT = Path(__file__).parent.parent
QINGDAO = ROOT / "corpus" / "qingdao_urban_rural_carbon_peak.txt"
QINGDAO_TEXT = QINGDAO.read_text("utf-8")
SMALL_PLAN = "某市实施方案\n一、重点任务\n（一）推进绿色建筑\n到2025年，绿色建筑占比达到100%。（责任单位：市住房城乡建设局）\n"


def _table(path: Path) -> list[dict[str, object]]:
    return [t.model_dump() for t in read_policy(path, policy="qingdao", version="v1").tasks]


@pytest.mark.parametrize(
    ("encoding", "data", "detected"),
    [
        ("utf-8", QINGDAO_TEXT.encode("utf-8"), "utf-8"),
        ("utf-8-bom", codecs.BOM_UTF8 + QINGDAO_TEXT.encode("utf-8"), "utf-8-sig"),
        ("gb18030", QINGDAO_TEXT.encode("gb18030"), "gb18030"),
        ("gbk", QINGDAO_TEXT.encode("gbk"), "gb18030"),
        ("utf-16", QINGDAO_TEXT.encode("utf-16"), "utf-16"),
        ("utf-16-le", QINGDAO_TEXT.encode("utf-16-le"), "utf_16_le"),
        ("utf-16-be", QINGDAO_TEXT.encode("utf-16-be"), "utf_16_be"),
    ],
)
def test_encodings_give_the_same_task_table(tmp_path: Path, encoding: str, data: bytes, detected: str) -> None:
    path = tmp_path / f"plan_{encoding}.txt"
    path.write_bytes(data)
    raw = load_file(path)
    assert raw.text == QINGDAO_TEXT
    assert raw.encoding == detected
    assert raw.sha256 == hashlib.sha256(data).hexdigest()
    assert raw.path == path
    assert _table(path) == _table(QINGDAO)


def test_qingdao_table_has_22_rows() -> None:
    assert len(_table(QINGDAO)) == 22


def test_decode_text() -> None:
    assert decode_text("责任单位".encode("gbk"), "a.txt") == ("责任单位", "gb18030")
    assert decode_text(codecs.BOM_UTF8 + "责任".encode(), "a.txt") == ("责任", "utf-8-sig")
    with pytest.raises(EncodingError, match="a.txt"):
        decode_text(bytes(range(256)) * 4, "a.txt")


@pytest.mark.parametrize(
    ("name", "data", "error", "reason"),
    [
        ("empty.txt", b"", NotAPolicy, "文件为空"),
        ("blank.txt", b" \n\t\r\n", NotAPolicy, "文件为空"),
        ("noise.txt", bytes(random.Random(7).randrange(256) for _ in range(4000)), EncodingError,
         "不是可识别的文本文件（编码无法识别或内容为二进制数据）"),
        ("plan.doc", SMALL_PLAN.encode(), UnsupportedFormat, "不支持的文件类型“.doc”，请上传 .txt、.docx 或 .pdf"),
        ("plan", SMALL_PLAN.encode(), UnsupportedFormat, "不支持的文件类型“无扩展名”，请上传 .txt、.docx 或 .pdf"),
        ("notes.md", SMALL_PLAN.encode(), UnsupportedFormat, "不支持的文件类型“.md”，请上传 .txt、.docx 或 .pdf"),
        ("plan.docx", SMALL_PLAN.encode(), DocumentError, "文件内容不是 Word（.docx）格式"),
        ("broken.docx", b"PK\x03\x04 this is not a zip archive", DocumentError, "Word 文件已损坏或不是 .docx 格式"),
        ("plan.pdf", SMALL_PLAN.encode(), DocumentError, "文件内容不是 PDF 格式"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage", DocumentError, "PDF 文件已损坏或无法读取"),
        ("prose.txt", "这是一段没有任何编号的文字。\n".encode(), NotAPolicy,
         "未识别出政策条款结构（如“一、”“（一）”“1.”编号），不像是一份工作方案"),
    ],
)
def test_bad_files_raise_document_errors_naming_the_file(
    tmp_path: Path, name: str, data: bytes, error: type[DocumentError], reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(error) as info:
        read_policy(path)
    assert isinstance(info.value, DocumentError)
    assert info.value.reason == reason
    assert info.value.path == str(path)
    assert str(info.value) == f"{path}: {reason}"


def test_missing_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.txt"
    with pytest.raises(DocumentError) as info:
        load_file(path)
    assert str(info.value) == f"{path}: 文件不存在"


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(DocumentError) as info:
        load_file(tmp_path)
    assert str(info.value) == f"{tmp_path}: 不是文件"


def test_file_too_large(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text(SMALL_PLAN, "utf-8")
    with pytest.raises(DocumentError, match="文件过大") as info:
        load_file(path, max_bytes=10)
    assert info.value.path == str(path)


def test_items_are_required(tmp_path: Path) -> None:
    path = tmp_path / "chapters.txt"
    path.write_text("一、总体要求\n到2025年，完成任务。\n二、保障措施\n加强领导。", "utf-8")
    with pytest.raises(NotAPolicy) as info:
        read_policy(path)
    assert info.value.reason == "未识别出编号条目（如“（一）”“1.”），不像是一份工作方案"


def _docx_bytes() -> bytes:
    document = docx.Document()
    for text in ["某市城市排水防涝能力提升实施方案", "一、重点任务", "（一）开展排水设施普查",
                 "到2025年，完成排水管网普查检测3000公里。", "（二）整治城市易涝积水点", "每年整治易涝积水点10处。",
                 "附件：重点任务分工表"]:
        document.add_paragraph(text)
    rows = [
        ("序号", "重点任务", "牵头单位", "配合单位", "完成时限"),
        ("1", "开展排水设施普查", "市住房和城乡建设局", "市大数据局、各区县人民政府", "2025年12月底前"),
        ("2", "整治易涝积水点", "市城市管理局", "市公安局", "长期坚持"),
    ]
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            table.cell(i, j).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_with_an_appendix_table(tmp_path: Path) -> None:
    path = tmp_path / "drainage.docx"
    path.write_bytes(_docx_bytes())
    raw = load_file(path)
    assert raw.encoding == "docx"
    assert raw.text.endswith("附件：重点任务分工表\n序号\t重点任务\t牵头单位\t配合单位\t完成时限\n"
                             "1\t开展排水设施普查\t市住房和城乡建设局\t市大数据局、各区县人民政府\t2025年12月底前\n"
                             "2\t整治易涝积水点\t市城市管理局\t市公安局\t长期坚持")
    policy = read_policy(path)
    assert (policy.policy, policy.version, policy.title) == ("drainage", "v1", "某市城市排水防涝能力提升实施方案")
    assert [(t.id, t.lead_agency, t.agencies, t.unit_source, t.deadline) for t in policy.tasks] == [
        ("一（一）", "市住房城乡建设局", ["市住房城乡建设局", "市大数据局", "各区县人民政府"], "附件表", "2025年12月底前"),
        ("一（二）", "市城市管理局", ["市城市管理局", "市公安局"], "附件表", "长期坚持"),
    ]
    assert [(t.value, t.unit, t.year, t.deadline_kind) for t in policy.tasks[0].targets] == [(3000, "公里", 2025, "by")]
    assert [(t.value, t.unit, t.year, t.deadline_kind) for t in policy.tasks[1].targets] == [(10, "处", None, "annual")]


def _pdf_bytes(lines: list[str]) -> bytes:
    pytest.importorskip("reportlab", reason="reportlab is needed to build a PDF with a CJK text layer")
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=True)
    pdf.setFont("STSong-Light", 12)
    y = 800
    for line in lines:
        pdf.drawString(50, y, line)
        y -= 20
    if not lines:
        pdf.rect(50, 50, 100, 100)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_pdf_text_layer(tmp_path: Path) -> None:
    lines = ["某市城乡建设领域碳达峰实施方案", "一、重点任务", "（一）推进绿色建筑",
             "到2025年，城镇新建建筑中绿色建筑占比达到100%。", "（责任单位：市住房城乡建设局、市发展改革委）"]
    path = tmp_path / "carbon.pdf"
    path.write_bytes(_pdf_bytes(lines))
    raw = load_file(path)
    assert raw.encoding == "pdf"
    assert raw.text.strip() == "\n".join(lines)
    (task,) = read_policy(path).tasks
    assert (task.id, task.title, task.agencies) == ("一（一）", "推进绿色建筑", ["市住房城乡建设局", "市发展改革委"])
    assert [(t.value, t.unit, t.year) for t in task.targets] == [(100, "%", 2025)]


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(_pdf_bytes([]))
    with pytest.raises(NotAPolicy) as info:
        load_file(path)
    assert info.value.reason == "PDF 没有文字层（可能是扫描件），请先做文字识别（OCR）再导入"


def test_read_corpus_keeps_good_files_and_names_bad_ones(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(SMALL_PLAN, "utf-8")
    (tmp_path / "good_gbk_v2.txt").write_bytes(SMALL_PLAN.encode("gbk"))
    (tmp_path / "drainage.docx").write_bytes(_docx_bytes())
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "noise.txt").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 junk")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 junk")
    (tmp_path / "prose.txt").write_text("这是一段没有任何编号的文字。\n", "utf-8")
    (tmp_path / "notes.md").write_text(SMALL_PLAN, "utf-8")  # not a policy format: not even tried
    (tmp_path / ".hidden.txt").write_text(SMALL_PLAN, "utf-8")
    corpus = read_corpus([tmp_path])
    assert [(p.path.name, p.policy, p.version, len(p.tasks)) for p in corpus.policies] == [
        ("drainage.docx", "drainage", "v1", 2), ("good.txt", "good", "v1", 1),
    ]
    # the GBK file holds the same text as good.txt: one policy, both files named on its record
    assert [Path(f).name for f in corpus.policies[1].record.files] == ["good.txt", "good_gbk_v2.txt"]
    assert [(Path(f.path).name, f.reason) for f in corpus.failures] == [
        ("broken.docx", "Word 文件已损坏或不是 .docx 格式"),
        ("broken.pdf", "PDF 文件已损坏或无法读取"),
        ("empty.txt", "文件为空"),
        ("noise.txt", "不是可识别的文本文件（编码无法识别或内容为二进制数据）"),
        ("prose.txt", "未识别出政策条款结构（如“一、”“（一）”“1.”编号），不像是一份工作方案"),
    ]
    assert all(Path(f.path).parent == tmp_path for f in corpus.failures)


def test_read_corpus_of_explicit_files(tmp_path: Path) -> None:
    (tmp_path / "plan.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    corpus = read_corpus([QINGDAO, tmp_path / "plan.doc", tmp_path / "missing.txt"])
    assert [p.policy for p in corpus.policies] == ["qingdao_urban_rural_carbon_peak"]
    assert [(Path(f.path).name, f.reason) for f in corpus.failures] == [
        ("plan.doc", "不支持的文件类型“.doc”，请上传 .txt、.docx 或 .pdf"),
        ("missing.txt", "文件不存在"),
    ]


def test_find_policy_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ["b.txt", "a.PDF", "sub/c.docx", "d.md", ".e.txt"]:
        (tmp_path / name).write_text("x", "utf-8")
    assert find_policy_files([tmp_path]) == [tmp_path / "a.PDF", tmp_path / "b.txt", tmp_path / "sub" / "c.docx"]
    assert find_policy_files([tmp_path / "d.md"]) == [tmp_path / "d.md"]


def test_load_bytes_uses_the_given_name() -> None:
    raw = load_bytes(SMALL_PLAN.encode("utf-16"), "上传/计划.txt")
    assert (raw.text, raw.encoding, raw.path) == (SMALL_PLAN, "utf-16", Path("上传/计划.txt"))
