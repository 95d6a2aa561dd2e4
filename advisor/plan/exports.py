"""The plan as a file: Markdown, Word (python-docx) or PDF (fpdf2).

Each format carries the same parts in the same order as the Markdown (advisor.plan.render): title,
date, audience and focus areas, the notices, the numbered steps with their "why" and citations
grouped by stage and area, a sources section quoting each passage, the attribution line, and a
footer saying the plan is generated from the strategy's text and is not legal or funding advice.

PDF: fpdf2 is pure Python and maintained; it embeds a TrueType font, so every character of the
quotes (’ – “ ” é) and of the headings (Arabic included, shaped right-to-left through uharfbuzz)
prints without a system font or library. The font is DejaVu Sans as shipped inside matplotlib, a
dependency already, unless ADVISOR_PLAN_PDF_FONT_DIR names another folder.
"""

from __future__ import annotations

import importlib.util
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.answer.render import source_line
from advisor.plan.models import ExportFormat, Plan, PlanStep
from advisor.plan.render import marks, notices, plan_groups, step_origin
from advisor.plan.rules import Headings, headings_for
from advisor.settings import Settings

MEDIA_TYPES: dict[str, str] = {
    "md": "text/markdown; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
FONT = "DejaVu"


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    media_type: str
    filename: str


def filename(plan: Plan, fmt: ExportFormat) -> str:
    """e.g. action-plan-government-2026-11-30.pdf: who it is for and when, sortable."""
    return f"action-plan-{plan.audience}-{plan.date}.{fmt}"


def export_plan(plan: Plan, fmt: ExportFormat, settings: Settings) -> ExportFile:
    """The plan in one format, with its media type and a download name."""
    headings = headings_for(settings.plan_headings_file, plan.language)
    if fmt == "md":
        content = plan.markdown.encode("utf-8")
    elif fmt == "docx":
        content = plan_docx(plan, headings)
    elif fmt == "pdf":
        content = plan_pdf(plan, headings, font_dir(settings))
    else:
        raise ValueError(f"unknown export format '{fmt}'; use md, docx or pdf")
    return ExportFile(content, MEDIA_TYPES[fmt], filename(plan, fmt))


# ---- Word ------------------------------------------------------------------------------------
def plan_docx(plan: Plan, headings: Headings) -> bytes:
    from docx import Document as WordDocument
    from docx.shared import Pt, RGBColor

    doc = WordDocument()
    doc.core_properties.title = plan.title
    doc.core_properties.language = plan.language
    grey = RGBColor(0x55, 0x5B, 0x66)

    def localized(paragraph):  # noqa: ANN001, ANN202 - a python-docx Paragraph
        """Headings and labels read right to left in an RTL language; quotes keep their direction."""
        if headings.rtl:
            _right_to_left(paragraph)
        return paragraph

    localized(doc.add_heading(plan.title, level=0))
    localized(doc.add_paragraph()).add_run(plan.subtitle).italic = True
    for notice in notices(plan, headings):
        localized(doc.add_paragraph(notice, style="Intense Quote"))
    for stage in plan_groups(plan):
        localized(doc.add_heading(stage.title, level=1))
        for area in stage.areas:
            localized(doc.add_heading(area.title, level=2))
            for step in area.steps:
                paragraph = doc.add_paragraph()
                paragraph.add_run(f"{step.n}. ").bold = True
                paragraph.add_run(f"{step.text} {marks(step.citations)}")
                why = doc.add_paragraph()
                why.paragraph_format.left_indent = Pt(18)
                why.add_run(f"{headings['why']}: ").bold = True
                why.add_run(f"{step.why} {marks(step.citations)}").italic = True
                where = step_origin(step, headings)
                if where:
                    note = doc.add_paragraph()
                    note.paragraph_format.left_indent = Pt(18)
                    note.add_run(where).italic = True
    localized(doc.add_heading(headings["sources"], level=1))
    for citation in plan.citations:
        doc.add_paragraph().add_run(source_line(citation).replace("*", "")).bold = True
        quote = doc.add_paragraph(citation.text, style="Quote")
        for run in quote.runs:
            run.font.color.rgb = grey
    if plan.attribution:
        doc.add_paragraph(plan.attribution)
    footer = doc.sections[0].footer.paragraphs[0]
    localized(footer).add_run(plan.footer).font.size = Pt(8)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _right_to_left(paragraph) -> None:  # noqa: ANN001 - a python-docx Paragraph
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement

    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    paragraph._p.get_or_add_pPr().append(OxmlElement("w:bidi"))
    for run in paragraph.runs:
        run._r.get_or_add_rPr().append(OxmlElement("w:rtl"))


# ---- PDF -------------------------------------------------------------------------------------
def font_dir(settings: Settings) -> Path:
    """ADVISOR_PLAN_PDF_FONT_DIR, else the DejaVu fonts inside the installed matplotlib package."""
    if settings.plan_pdf_font_dir is not None:
        return settings.plan_pdf_font_dir
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        raise RuntimeError("PDF export needs fonts: install matplotlib or set ADVISOR_PLAN_PDF_FONT_DIR")
    return Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"


def plan_pdf(plan: Plan, headings: Headings, fonts: Path) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    missing = [name for name in FONT_FILES.values() if not (fonts / name).is_file()]
    if missing:
        raise RuntimeError(f"PDF fonts not found in {fonts}: {', '.join(missing)} (ADVISOR_PLAN_PDF_FONT_DIR)")

    class PlanPDF(FPDF):
        def footer(self) -> None:
            self.set_y(-14)
            self.set_font(FONT, "" if headings.rtl else "I", 7.5)
            self.set_text_color(110, 110, 110)
            self.multi_cell(0, 3.6, f"{plan.footer}  ·  {self.page_no()}", align="C")

    pdf = PlanPDF(format="A4")
    pdf.set_title(plan.title)
    pdf.set_lang(plan.language)
    pdf.set_creator("Digital Strategy Advisor")
    for style, name in FONT_FILES.items():
        pdf.add_font(FONT, style, str(fonts / name))
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_margins(18, 18, 18)
    pdf.add_page()
    align = "R" if headings.rtl else "L"
    newline = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}

    def write(text: str, size: float, style: str = "", indent: float = 0, localized: bool = False,
              color: tuple[int, int, int] = (20, 20, 20), doc: Any = pdf) -> None:
        """One paragraph; `doc` is the page, or the recorder of an unbreakable block."""
        shaped = localized and headings.rtl
        if shaped:  # DejaVu Sans Oblique has no Arabic letters
            style = style.replace("I", "")
        # Arabic needs shaping (joined letter forms) and right-to-left runs, only for the localized
        # text: shaping every English quote too made an Arabic export several times slower.
        doc.set_text_shaping(shaped)
        doc.set_font(FONT, style, size)
        doc.set_text_color(*color)
        doc.set_x(pdf.l_margin + indent)
        doc.multi_cell(0, size * 0.5, text, align=align if localized else "L", **newline)

    def write_step(step: PlanStep, doc: Any) -> None:
        write(f"{step.n}. {step.text} {marks(step.citations)}", 10, doc=doc)
        why = f"{step.why} {marks(step.citations)}"
        if headings.rtl:  # the label reads right to left, the quote left to right: two lines
            write(f"{headings['why']}:", 9, "B", indent=6, localized=True, color=(60, 60, 60), doc=doc)
        else:
            why = f"{headings['why']}: {why}"
        write(why, 9, "I", indent=6, color=(60, 60, 60), doc=doc)
        where = step_origin(step, headings)
        if where:
            write(where, 8.5, "I", indent=6, localized=True, color=(60, 60, 60), doc=doc)

    write(plan.title, 18, "B", localized=True)
    pdf.ln(1)
    # fpdf2's bidi reorders an ISO date inside right-to-left text; an isolate keeps it one LTR run.
    subtitle = plan.subtitle.replace(plan.date, f"\u2066{plan.date}\u2069") if headings.rtl else plan.subtitle
    write(subtitle, 9.5, "I", localized=True, color=(80, 80, 80))
    pdf.ln(2)
    for notice in notices(plan, headings):
        write(notice, 9.5, localized=True, color=(120, 70, 0))
        pdf.ln(1)
    for stage in plan_groups(plan):
        pdf.ln(3)
        write(stage.title, 14, "B", localized=True, color=(26, 61, 124))
        for area in stage.areas:
            pdf.ln(1.5)
            write(area.title, 11.5, "B", localized=True)
            for step in area.steps:
                pdf.ln(1)
                with pdf.unbreakable() as block:  # a step and its why stay on one page
                    write_step(step, block)
    pdf.ln(4)
    write(headings["sources"], 14, "B", localized=True, color=(26, 61, 124))
    for citation in plan.citations:
        pdf.ln(2)
        with pdf.unbreakable() as block:
            write(source_line(citation).replace("*", ""), 9.5, "B", doc=block)
            write(citation.text, 8.5, indent=4, color=(85, 91, 102), doc=block)
    if plan.attribution:
        pdf.ln(4)
        write(plan.attribution, 9)
    return bytes(pdf.output())
