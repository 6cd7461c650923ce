"""Certificates and training reports as PDF (fpdf2: pure Python, no system libraries).

Text is set in DejaVu Sans, embedded (subsetted) in each file: the PDF core fonts cover
Latin-1 only, and a student named Łukasz, Ţepeş, Őze, Иванова or Παπαδόπουλος must not become
"?". The font files travel inside the package (fonts/, with their licence), so a server
without DejaVu installed writes the same files.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from fpdf import FPDF

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}


def _text(value: object) -> str:
    # The font draws what it has; a character it lacks (an emoji, say) shows its empty box
    # rather than failing the whole certificate.
    return str(value)


def _new_pdf(*, styles: Sequence[str], **options: str) -> FPDF:
    """An FPDF with the embedded font in the given styles ("" regular, "B" bold, "I" oblique).

    Only the styles used are loaded: parsing one font file takes about 70 ms.
    """
    pdf = FPDF(**options)
    for style in styles:
        pdf.add_font(FONT, style, FONT_DIR / FONT_FILES[style])
    return pdf


def _document(title: str) -> FPDF:
    pdf = _new_pdf(styles=("", "B", "I"), format="A4")
    pdf.set_title(_text(title))
    pdf.set_creator("rekisteri")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    return pdf


def certificate_pdf(
    *,
    company: str,
    student: str,
    course_fi: str,
    course_en: str,
    completed_on: str,
    grade: str,
    number: str,
    issued_on: str,
    verification_code: str,
    check_url: str,
    license_body: str = "",
) -> bytes:
    """One certificate, in Finnish and English."""
    pdf = _document(f"Todistus {number}")
    pdf.set_font(FONT, "B", 22)
    pdf.cell(0, 18, _text("TODISTUS - CERTIFICATE"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 12)
    pdf.cell(0, 8, _text(company), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(12)
    pdf.set_font(FONT, "B", 18)
    pdf.cell(0, 12, _text(student), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 12)
    pdf.cell(
        0,
        8,
        _text("on suorittanut kurssin / has completed the course"),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font(FONT, "B", 15)
    pdf.cell(0, 10, _text(course_fi), align="C", new_x="LMARGIN", new_y="NEXT")
    if course_en and course_en != course_fi:
        pdf.set_font(FONT, "I", 13)
        pdf.cell(0, 8, _text(course_en), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font(FONT, "", 11)
    lines = [
        ("Suoritettu / Completed", completed_on),
        ("Arvosana / Grade", grade),
        ("Todistuksen numero / Certificate number", number),
        ("Myönnetty / Issued", issued_on),
    ]
    if license_body:
        lines.append(("Lupa / License", license_body))
    for label, value in lines:
        pdf.cell(95, 8, _text(label))
        pdf.cell(0, 8, _text(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(14)
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(
        0,
        6,
        _text(
            f"Tarkistuskoodi / Verification code: {verification_code}\n"
            f"Todistuksen voimassaolon voi tarkistaa / Check the certificate at: {check_url}"
        ),
        align="C",
    )
    return bytes(pdf.output())


# Column widths (mm) of the report's table on A4 landscape (277 mm between the margins).
REPORT_WIDTHS = (52, 22, 62, 22, 22, 24, 16, 20, 37)


def _fitter(pdf: FPDF):
    """A function cutting text to a cell's width, with an ellipsis, measured with the current
    font's own width table (fpdf2's get_string_width costs 100 us a call)."""
    widths = pdf.current_font.cw  # per code point, in thousandths of the font size
    scale = pdf.font_size / 1000

    def width_of(text: str) -> float:
        return sum(widths[ord(ch)] for ch in text) * scale

    def fit(text: str, width: float) -> str:
        room = width - 2
        if width_of(text) <= room:
            return text
        room -= width_of("...")
        total = 0.0
        for index, ch in enumerate(text):
            total += width_of(ch)
            if total > room:
                return text[:index] + "..."
        return text

    return fit


def report_pdf(
    *, title: str, subtitle: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> bytes:
    """A table on A4 landscape pages, the header repeated on every page.

    Plain cells rather than fpdf2's table(), which lays out every cell as a paragraph and
    took seconds for a report of 2,000 participants (benchmarks/README.md).
    """
    pdf = _new_pdf(styles=("", "B"), orientation="L", format="A4")
    pdf.set_title(_text(title))
    pdf.set_creator("rekisteri")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 10, _text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    pdf.cell(0, 7, _text(subtitle), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    line = 5.5
    bottom = pdf.h - 12

    def heading() -> None:
        pdf.set_font(FONT, "B", 8)
        fit = _fitter(pdf)
        for width, cell in zip(REPORT_WIDTHS, header, strict=True):
            pdf.cell(width, line, fit(_text(cell), width), border="B")
        pdf.ln(line)
        pdf.set_font(FONT, "", 8)

    heading()
    fit = _fitter(pdf)
    y = pdf.get_y()
    for values in rows:
        if y + line > bottom:
            pdf.add_page()
            heading()
            y = pdf.get_y()
        x = pdf.l_margin + 1
        # text() writes at the baseline: a plain text operator per cell, no layout.
        for width, value in zip(REPORT_WIDTHS, values, strict=True):
            pdf.text(x, y + 4, fit(_text("" if value is None else value), width))
            x += width
        y += line
    return bytes(pdf.output())
