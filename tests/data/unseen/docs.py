"""Shared writers for the unseen-plan fixture generators (make_a.py … make_d.py).

A plan is written from a list of ``(kind, value)`` blocks: ``value`` is the text of a
paragraph of that kind ("title", "center", "right", "p", "p0", "h1", …), except for
"table" (rows of cell strings, for the PDF whatever the script's table builder takes),
"pagebreak" and, in PDFs, "spacer" (a gap in mm).

All output is byte-stable: .docx files are re-zipped with fixed entry timestamps and
the given core properties, and reportlab runs in invariant mode. Everything a plan
set does its own way (fonts, sizes, indents, table widths and style, footer, metadata)
is a parameter; the scripts keep their formats next to their texts.
"""
import io
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
FONT = "WQY"  # reportlab name of the CJK font


def out(name):
    """Path of fixture `name` in this folder."""
    return os.path.join(HERE, name)


def write_txt(name, text):
    """Write `text` as fixture `name` (UTF-8, LF line ends)."""
    with open(out(name), "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


# ---------------------------------------------------------------------------
# .docx
# ---------------------------------------------------------------------------
def new_docx(size, east_asia, font="FangSong"):
    """A python-docx Document whose Normal style is `font` / `east_asia` at `size` pt."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt
    doc = Document()
    st = doc.styles["Normal"]
    st.font.name = font
    st.font.size = Pt(size)
    st.element.rPr.rFonts.set(qn("w:eastAsia"), east_asia)
    return doc


def docx_kinds(title_size, indent, **extra):
    """Paragraph formats shared by the b/c/d plans: a bold centred title of
    `title_size` pt, centred and right-aligned lines, body "p" with a first-line
    indent of `indent` pt; `extra` adds or replaces kinds (see add_paragraphs)."""
    kinds = {
        "title": dict(align="center", bold=True, size=title_size),
        "center": dict(align="center"),
        "right": dict(align="right"),
        "p": dict(indent=indent),
    }
    kinds.update(extra)
    return kinds


def _format(p, run, fmt):
    """Apply a format dict to paragraph `p` and its `run`. Keys (all optional, only the
    given ones are set): align ("center"/"right"), indent (first-line, pt), size (pt),
    bold (True/False), font (Latin font name), east_asia (East Asian font name)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt
    if "size" in fmt:
        run.font.size = Pt(fmt["size"])
    if "bold" in fmt:
        run.font.bold = fmt["bold"]
    if "font" in fmt:
        run.font.name = fmt["font"]
    if "east_asia" in fmt:
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), fmt["east_asia"])
    if "align" in fmt:
        p.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER,
                       "right": WD_ALIGN_PARAGRAPH.RIGHT}[fmt["align"]]
    if "indent" in fmt:
        p.paragraph_format.first_line_indent = Pt(fmt["indent"])


def add_paragraphs(doc, paras, kinds, cells=None):
    """Append the blocks `paras` to `doc`.

    kinds: kind -> format dict (keys of _format, plus "style", a Word paragraph style
    such as "Heading 1"); a kind not listed is a plain paragraph.
    Tables are "Table Grid" tables. cells: None to set each cell's text plainly, or
    (header format, body format): each cell gets a run formatted with it (header format
    for the first row).
    """
    for kind, val in paras:
        if kind == "pagebreak":
            doc.add_page_break()
        elif kind == "table":
            t = doc.add_table(rows=len(val), cols=len(val[0]))
            t.style = "Table Grid"
            for i, row in enumerate(val):
                for j, text in enumerate(row):
                    c = t.cell(i, j)
                    if cells is None:
                        c.text = text
                    else:
                        c.text = ""
                        p = c.paragraphs[0]
                        _format(p, p.add_run(text), cells[0] if i == 0 else cells[1])
        else:
            fmt = kinds.get(kind, {})
            p = doc.add_paragraph(style=fmt.get("style"))
            _format(p, p.add_run(val), fmt)


def save_docx(doc, name, zip_time, external_attr=0, **core):
    """Save `doc` as fixture `name`, byte-stably: set the core properties `core` (in
    the order given) and re-zip with every entry dated `zip_time` (a 6-tuple) and
    given `external_attr` (file mode bits)."""
    cp = doc.core_properties
    for key, value in core.items():
        setattr(cp, key, value)
    buf = io.BytesIO()
    doc.save(buf)
    buf.seek(0)
    with zipfile.ZipFile(buf) as src, \
            zipfile.ZipFile(out(name), "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=zip_time)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = external_attr
            dst.writestr(zi, src.read(info.filename))


# ---------------------------------------------------------------------------
# .pdf (reportlab)
# ---------------------------------------------------------------------------
def pdf_font():
    """Put reportlab in invariant mode and register the CJK font once; return its name.
    Called first by every PDF helper, before any other reportlab import."""
    from reportlab import rl_config
    rl_config.invariant = 1  # no timestamps / random ids: byte-identical output
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, FONT_PATH, subfontIndex=0))
    return FONT


def scaled_styles(fs, title_step, h2_like_h1):
    """Paragraph styles of the c/d PDFs, all derived from body size `fs`: title
    fs+title_step, h1 fs+1, h2 as h1 or as body text; also "cell" (fs-2)."""
    font = pdf_font()
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle
    body = ParagraphStyle("body", fontName=font, fontSize=fs, leading=fs * 1.7,
                          firstLineIndent=fs * 2, wordWrap="CJK")
    body0 = ParagraphStyle("body0", parent=body, firstLineIndent=0)
    ts = fs + title_step
    title = ParagraphStyle("title", parent=body, fontSize=ts, leading=ts * 1.5,
                           alignment=TA_CENTER, firstLineIndent=0, spaceAfter=fs)
    h1 = ParagraphStyle("h1", parent=body, fontSize=fs + 1, leading=(fs + 1) * 1.8)
    return {"title": title, "center": ParagraphStyle("center", parent=body0, alignment=TA_CENTER),
            "right": ParagraphStyle("right", parent=body0, alignment=TA_RIGHT),
            "h1": h1, "h2": h1 if h2_like_h1 else body, "p": body, "p0": body0,
            "cell": ParagraphStyle("cell", fontName=font, fontSize=fs - 2,
                                   leading=(fs - 2) * 1.4, wordWrap="CJK")}


def grid_table(rows, widths, cell, unit="mm", padding=None, header_bg=None):
    """A gridded reportlab Table (header row repeated on each page).

    widths: column widths in `unit` ("mm" or "pt"); cell: a ParagraphStyle, or a
    function (row, col) -> ParagraphStyle; padding: top/bottom cell padding in pt
    (None: reportlab's default); header_bg: background colour of the header row.
    """
    pdf_font()
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Table, TableStyle
    pick = cell if callable(cell) else (lambda i, j: cell)
    data = [[Paragraph(c, pick(i, j)) for j, c in enumerate(row)] for i, row in enumerate(rows)]
    scale = {"mm": mm, "pt": 1}[unit]
    t = Table(data, colWidths=[w * scale for w in widths], repeatRows=1)
    cmds = [("GRID", (0, 0), (-1, -1), 0.6, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
    if header_bg:
        cmds.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(header_bg)))
    if padding is not None:
        cmds += [("TOPPADDING", (0, 0), (-1, -1), padding),
                 ("BOTTOMPADDING", (0, 0), (-1, -1), padding)]
    t.setStyle(TableStyle(cmds))
    return t


def write_pdf(name, paras, styles, table, margins, footer_size=10, date_gap=None, **meta):
    """Write the blocks `paras` as A4 PDF fixture `name`.

    styles: kind -> ParagraphStyle; table: function (table value) -> list of flowables;
    margins: (left, right, top, bottom) in mm; footer_size: font size of the centred
    "— n —" page number (None: no page numbers); date_gap: space (pt) after a
    right-aligned line ending in 日 (None: none); meta: SimpleDocTemplate document
    properties (title, author, …), passed as given.
    """
    font = pdf_font()
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer
    story = []
    for kind, val in paras:
        if kind == "pagebreak":
            story.append(PageBreak())
        elif kind == "spacer":
            story.append(Spacer(1, float(val) * mm))
        elif kind == "table":
            story.extend(table(val))
        else:
            story.append(Paragraph(val, styles[kind]))
            if date_gap is not None and kind == "right" and val[-1] == "日":
                story.append(Spacer(1, date_gap))

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, footer_size)
        canvas.drawCentredString(A4[0] / 2, 12 * mm, "— %d —" % doc.page)
        canvas.restoreState()

    left, right, top, bottom = margins
    doc = SimpleDocTemplate(out(name), pagesize=A4, leftMargin=left * mm, rightMargin=right * mm,
                            topMargin=top * mm, bottomMargin=bottom * mm, **meta)
    if footer_size is None:
        doc.build(story)
    else:
        doc.build(story, onFirstPage=footer, onLaterPages=footer)
