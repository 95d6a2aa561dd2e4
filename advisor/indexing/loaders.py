"""Read a user's file (PDF, Word, HTML, Markdown, plain text) into heading-delimited sections.

Every format ends up as the same `chunking.Section` list the Markdown knowledge base uses, so
the chunker, the retriever and the citations do not care where a text came from. Structure is
taken from what each format really has: Markdown `#` headings, Word heading styles, HTML
`h1`-`h6`, and a PDF's outline (bookmarks). Pages are kept where the format has them (PDF
pages; Word page breaks) so a citation can say "page 3".

Every failure is a `DocumentError` whose message is meant for the user as is and whose `code`
lets the API pick a status. Nothing here writes anything: a file that fails leaves no trace.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from advisor.indexing.chunking import Section, parse_sections

# A PDF line set at least this much larger than the body text, and this short, is a heading
# (used only when the PDF has no bookmarks to say where its sections are).
_HEADING_SIZE_RATIO = 1.15
_HEADING_MAX_CHARS = 150
_WHITESPACE = re.compile(r"[ \t\r\f\v\u00a0]+")


class DocumentError(ValueError):
    """A file that cannot be ingested. `code` is a stable machine-readable reason."""

    def __init__(self, message: str, code: str = "unreadable_document") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class LoadedDocument:
    title: str | None
    sections: list[Section]
    fingerprint: str  # what the document version is hashed from: same content, same version
    format: str


@dataclass(frozen=True)
class Block:
    """One paragraph or heading in reading order; `level` is set for headings only."""

    text: str
    level: int | None = None
    page: int | None = None


# -- shared: blocks -> sections -------------------------------------------------------------
def sections_from_blocks(
    blocks: list[Block], explicit_title: str | None, fallback_title: str
) -> tuple[str, list[Section]]:
    """Group paragraphs under their headings; a page change starts a new section of the same
    heading so each chunk has the one page it came from.

    A document with a single top-level heading uses it as its title (as Markdown's `# Title`
    does), so it is not repeated in every section path, unless the file names another title.
    """
    explicit = _clean_line(explicit_title or "")
    top_level = [b for b in blocks if b.level == 1]
    title_heading = top_level[0] if len(top_level) == 1 else None
    if title_heading and explicit and _clean_line(title_heading.text).lower() != explicit.lower():
        title_heading = None
    doc_title = explicit or (title_heading.text if title_heading else "") or fallback_title
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    body: list[str] = []
    body_start = 0
    body_page: int | None = None
    offset = 0

    def flush() -> None:
        if body:
            text = "\n\n".join(body)
            path = tuple(t for _, t in stack)
            sections.append(Section(path, path[-1] if path else "", text, body_start, body_start + len(text), body_page))
        body.clear()

    for block in blocks:
        text = block.text.strip()
        if not text:
            continue
        if block.level is not None:
            flush()
            if block is not title_heading:
                stack = [(lvl, t) for lvl, t in stack if lvl < block.level] + [(block.level, text)]
        else:
            if body and block.page != body_page:
                flush()
            if not body:
                body_start, body_page = offset, block.page
            body.append(text)
        offset += len(text) + 2
    flush()
    return doc_title, sections


def _fingerprint(title: str, sections: list[Section]) -> str:
    return json.dumps([title, [(s.path, s.body, s.page) for s in sections]], ensure_ascii=False)


def _require_text(name: str, sections: list[Section], what: str) -> None:
    if not any(s.body.strip() for s in sections):
        raise DocumentError(f"{name}: no text found in the {what}", "no_text")


def _clean_line(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


# -- Markdown and plain text ----------------------------------------------------------------
def read_utf8(path: Path) -> str:
    """UTF-8 text without a byte-order mark; anything else is refused, not guessed at."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{path.name}: not valid UTF-8 text (byte {exc.start}); save it as UTF-8 and try again", "not_utf8"
        ) from exc
    if "\x00" in text:
        raise DocumentError(f"{path.name}: contains NUL bytes; this looks like a binary file, not text", "not_utf8")
    return text.removeprefix("\ufeff")


def load_markdown(path: Path) -> LoadedDocument:
    text = read_utf8(path)
    if not text.strip():
        raise DocumentError(f"{path.name}: the file contains no text", "no_text")
    title, sections = parse_sections(text)
    _require_text(path.name, sections, "file")
    return LoadedDocument(title, sections, text, "markdown" if path.suffix.lower() != ".txt" else "text")


# -- PDF ------------------------------------------------------------------------------------
def load_pdf(path: Path) -> LoadedDocument:
    from pypdf import PdfReader

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not _open_without_password(reader):
            raise DocumentError(
                f"{path.name}: the PDF is encrypted (password protected); remove the password and try again",
                "encrypted",
            )
        extracted = [_page_text(page) for page in reader.pages]
        pages = [text for text, _ in extracted]
        outline = _outline(reader)
        info_title = (reader.metadata.title if reader.metadata else None) or None
    except (DocumentError, OSError):
        raise
    except Exception as exc:  # PdfReadError, and many other kinds on a damaged file
        raise DocumentError(f"{path.name}: not a readable PDF (corrupt or damaged: {exc})", "corrupt") from exc
    if not pages:
        raise DocumentError(f"{path.name}: no text found; the PDF has no pages", "no_text")
    if not any(pages):
        raise DocumentError(
            f"{path.name}: no text found; the PDF is empty or image-only (scanned pages need OCR first)", "no_text"
        )
    blocks = _pdf_blocks(pages, outline) if outline else _pdf_blocks_by_font(extracted)
    title, sections = sections_from_blocks(blocks, info_title, path.stem)
    _require_text(path.name, sections, "PDF")
    return LoadedDocument(title, sections, _fingerprint(title, sections), "pdf")


def _open_without_password(reader: object) -> bool:
    """PDFs encrypted only to restrict printing/copying open with an empty user password."""
    from pypdf import PasswordType

    try:
        return reader.decrypt("") != PasswordType.NOT_DECRYPTED  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - unsupported cipher means "cannot open", same message
        return False


def _page_text(page: object) -> tuple[str, list[tuple[str, float]]]:
    """The page's text, and its lines with the largest font size used on each."""
    fragments: list[tuple[str, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        scale = (math.hypot(tm[2], tm[3]) or 1.0) * (math.hypot(cm[2], cm[3]) or 1.0)
        fragments.append((text, float(size or 0) * scale))

    raw = page.extract_text(visitor_text=visit) or ""  # type: ignore[attr-defined]
    lines = [_clean_line(line) for line in raw.splitlines()]
    sized: list[tuple[str, float]] = []
    current, size = "", 0.0
    for text, fragment_size in fragments + [("\n", 0.0)]:
        parts = text.split("\n")
        for index, part in enumerate(parts):
            if index:
                if _clean_line(current):
                    sized.append((_clean_line(current), round(size * 2) / 2))
                current, size = "", 0.0
            if part.strip():
                current += part
                size = max(size, fragment_size)
    return "\n".join(line for line in lines if line), sized


def _pdf_blocks_by_font(pages: list[tuple[str, list[tuple[str, float]]]]) -> list[Block]:
    """Headings of a PDF without bookmarks: short lines set clearly larger than the body text.

    The body size is the one most characters use; each larger size is a heading level, the
    largest first. Consecutive heading lines of one size are one wrapped heading.
    """
    weight: dict[float, int] = {}
    for _, lines in pages:
        for text, size in lines:
            weight[size] = weight.get(size, 0) + len(text)
    if not weight:
        return [Block(text, page=i + 1) for i, (text, _) in enumerate(pages)]
    body_size = max(weight, key=lambda k: weight[k])

    def is_heading(text: str, size: float) -> bool:
        return (
            size >= body_size * _HEADING_SIZE_RATIO
            and len(text) <= _HEADING_MAX_CHARS
            and any(c.isalpha() for c in text)
        )

    sizes = sorted({size for _, lines in pages for text, size in lines if is_heading(text, size)}, reverse=True)
    level_of = {size: min(index + 1, 6) for index, size in enumerate(sizes)}
    blocks: list[Block] = []
    for number, (text, lines) in enumerate(pages, start=1):
        headings = {line: size for line, size in lines if size in level_of and is_heading(line, size)}
        body: list[str] = []
        last_heading: tuple[str, float] | None = None
        for line in text.splitlines():
            size = headings.get(line)
            if size is None:
                body.append(line)
                last_heading = None
                continue
            if body:
                blocks.append(Block("\n".join(body), page=number))
                body = []
            if last_heading is not None and last_heading[1] == size:  # a wrapped heading
                blocks[-1] = Block(f"{blocks[-1].text} {line}", level_of[size], number)
            else:
                blocks.append(Block(line, level_of[size], number))
            last_heading = (line, size)
        if body:
            blocks.append(Block("\n".join(body), page=number))
    return blocks


def _outline(reader: object) -> list[tuple[int, str, int]]:
    """Bookmarks as (depth, title, page index), in document order."""
    out: list[tuple[int, str, int]] = []

    def walk(items: list, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
                continue
            try:
                page = reader.get_destination_page_number(item)  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001 - a broken bookmark is skipped, not fatal
                continue
            title = _clean_line(str(getattr(item, "title", "") or ""))
            if title and page is not None and page >= 0:
                out.append((depth, title, page))

    try:
        walk(reader.outline, 0)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - a broken outline still leaves the page text
        return []
    return sorted(out, key=lambda entry: entry[2])  # stable: keeps order within a page


def _pdf_blocks(pages: list[str], outline: list[tuple[int, str, int]]) -> list[Block]:
    """Page text split where outline headings start; the heading line itself is not body text."""
    blocks: list[Block] = []
    for index, text in enumerate(pages):
        number = index + 1
        cursor = 0
        for depth, title, _ in (e for e in outline if e[2] == index):
            found = _find_heading(text, title, cursor)
            if found is not None:
                blocks.append(Block(text[cursor : found[0]], page=number))
                cursor = found[1]
            blocks.append(Block(title, level=depth + 1, page=number))
        blocks.append(Block(text[cursor:], page=number))
    return blocks


def _find_heading(text: str, title: str, start: int) -> tuple[int, int] | None:
    """Where a bookmark's title appears as a line of the page (spacing may differ)."""
    words = [re.escape(w) for w in title.split()]
    if not words:
        return None
    match = re.compile(r"(?im)^\s*" + r"\s+".join(words) + r"\s*$").search(text, start)
    return (match.start(), match.end()) if match else None


# -- Word -----------------------------------------------------------------------------------
_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


def load_docx(path: Path) -> LoadedDocument:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if not path.is_file():
        raise FileNotFoundError(path)
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"{path.name}: not a readable Word document (.docx): {exc}", "corrupt") from exc
    except Exception as exc:  # lxml and zip errors of damaged packages
        raise DocumentError(f"{path.name}: not a readable Word document (.docx): {exc}", "corrupt") from exc
    blocks, style_title = _docx_blocks(document)
    title = style_title or (document.core_properties.title or "").strip() or None
    doc_title, sections = sections_from_blocks(blocks, title, path.stem)
    _require_text(path.name, sections, "Word document")
    return LoadedDocument(doc_title, sections, _fingerprint(doc_title, sections), "docx")


def _docx_blocks(document: object) -> tuple[list[Block], str | None]:
    """Paragraphs and tables in order; heading styles give levels; page breaks give pages.

    Word records where pages broke when it last laid the file out (`lastRenderedPageBreak`);
    those are the pages a reader sees. Files never laid out by Word only have the explicit
    page breaks. With neither, pages are unknown and left out rather than guessed.
    """
    from docx.table import Table

    body = document.element.body  # type: ignore[attr-defined]
    rendered = body.xpath(".//w:lastRenderedPageBreak")
    explicit = body.xpath(".//w:br[@w:type='page']")
    breaks_tag = "lastRenderedPageBreak" if rendered else ("br" if explicit else None)
    page = 1 if breaks_tag else None
    blocks: list[Block] = []
    title: str | None = None
    for item in document.iter_inner_content():  # type: ignore[attr-defined]
        if isinstance(item, Table):
            text = _docx_table_text(item)
            level = None
        else:
            text = item.text
            style = (item.style.name if item.style is not None else "") or ""
            match = _HEADING_STYLE.match(style.strip())
            level = int(match.group(1)) if match else None
            if style.strip().lower() == "title" and title is None and text.strip():
                title = _clean_line(text)
                continue
        before, after = _count_breaks(item, breaks_tag) if breaks_tag else (0, 0)
        if page is not None:
            page += before
        if text.strip():
            blocks.append(Block(_clean_lines(text), level, page))
        if page is not None:
            page += after
    return blocks, title


def _count_breaks(item: object, tag: str) -> tuple[int, int]:
    """Page breaks before the first text of a paragraph (it starts on the next page) and after."""
    from docx.oxml.ns import qn

    wanted, text_tag, type_attr = qn(f"w:{tag}"), qn("w:t"), qn("w:type")
    before = after = 0
    seen_text = False
    for element in item._element.iter():  # type: ignore[attr-defined]
        if element.tag == text_tag and (element.text or "").strip():
            seen_text = True
        elif element.tag == wanted and (tag != "br" or element.get(type_attr) == "page"):
            if seen_text:
                after += 1
            else:
                before += 1
    return before, after


def _docx_table_text(table: object) -> str:
    rows = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells: list[str] = []
        for cell in row.cells:
            text = _clean_line(cell.text)
            if text and (not cells or cells[-1] != text):  # merged cells repeat their text
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _clean_lines(text: str) -> str:
    return "\n".join(line for line in (_clean_line(x) for x in text.splitlines()) if line)


# -- HTML -----------------------------------------------------------------------------------
_DROP_TAGS = ["script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "nav"]
_BLOCK_TAGS = [
    "p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote", "pre",
    "table", "ul", "ol", "dl", "figure", "form", "address", "hr", "body",
]  # fmt: skip
_LINE_TAGS = ["li", "tr", "dt", "dd", "figcaption", "caption"]
_HEADING_MARK = "\x00"


def load_html(path: Path) -> LoadedDocument:
    from bs4 import BeautifulSoup

    raw = path.read_bytes()
    soup = BeautifulSoup(raw, "html.parser")  # the stdlib parser: no native dependency
    head_title = _clean_line(soup.title.get_text()) if soup.title else ""
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    if soup.head:
        soup.head.decompose()
    for tag in soup.find_all(re.compile(r"^h[1-6]$")):
        text = _clean_line(tag.get_text(" "))
        tag.replace_with(f"\n\n{_HEADING_MARK}{tag.name[1]}{_HEADING_MARK}{text}\n\n" if text else "\n\n")
    for tag in soup.find_all("br"):
        tag.replace_with("\n")
    for tag in soup.find_all(["td", "th"]):
        tag.insert_after(" | ")
    for tag in soup.find_all(_LINE_TAGS):
        tag.insert_after("\n")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    blocks = []
    for part in re.split(r"\n[ \t\r\f\v]*\n", soup.get_text()):
        if part.startswith(_HEADING_MARK) or part.strip().startswith(_HEADING_MARK):
            _, level, text = part.strip().split(_HEADING_MARK, 2)
            blocks.append(Block(text, int(level)))
        else:
            lines = [_clean_line(line).strip("| ").strip() for line in part.splitlines()]
            blocks.append(Block("\n".join(line for line in lines if line)))
    title, sections = sections_from_blocks(blocks, head_title or None, path.stem)
    _require_text(path.name, sections, "HTML page")
    return LoadedDocument(title, sections, _fingerprint(title, sections), "html")


# -- dispatch -------------------------------------------------------------------------------
LOADERS: dict[str, Callable[[Path], LoadedDocument]] = {
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".html": load_html,
    ".htm": load_html,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_markdown,
}
SUPPORTED_SUFFIXES = frozenset(LOADERS)


def load_document(path: Path) -> LoadedDocument:
    """Sections of a supported file, or a `DocumentError` saying what is wrong with it."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise DocumentError(
            f"{path.name}: unsupported file type '{path.suffix or '(none)'}'; supported: {kinds}", "unsupported_type"
        )
    try:
        return loader(path)
    except FileNotFoundError as exc:
        raise DocumentError(f"no such file: {path}", "not_found") from exc
    except IsADirectoryError as exc:
        raise DocumentError(f"{path}: is a folder, not a file", "unreadable_document") from exc
    except PermissionError as exc:
        raise DocumentError(f"{path}: permission denied", "unreadable_document") from exc
