"""Read a user's file (PDF, Word, HTML, Markdown, plain text) into heading-delimited sections.

Every format ends up as the same `chunking.Section` list the Markdown knowledge base uses, so
the chunker, the retriever and the citations do not care where a text came from. Structure is
taken from what each format really has: Markdown `#` headings, Word heading styles, HTML
`h1`-`h6`, and a PDF's outline (bookmarks). Pages are kept where the format has them (PDF
pages; Word page breaks) so a citation can say "page 3".

Every failure is a `DocumentError` whose message is meant for the user as is and whose `code`
lets the API pick a status. Nothing here writes anything: a file that fails leaves no trace.

Hostile files are bounded before they are parsed (`LoadLimits`, from the settings): a ZIP-based
file's entries are checked by their declared sizes, then streamed out in bounded reads into a
verified copy that python-docx parses (zipfile's one-shot `read()` inflates a lying entry whole
before it truncates it); XML is parsed without huge-tree mode, entity expansion or DTDs; PDF
pages and every format's extracted text are counted as they are read. A refusal names the limit
and its setting; a parser that gives up (recursion, memory) is a `DocumentError` too, never a
traceback.
"""

from __future__ import annotations

import io
import json
import logging
import math
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.indexing.chunking import Section, parse_sections

if TYPE_CHECKING:
    from advisor.settings import Settings

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


MB = 1024 * 1024
# Entries are streamed out of a ZIP in reads of this size: zipfile inflates at most this much per read.
_ZIP_READ_BYTES = MB
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True)
class LoadLimits:
    """What one document may cost to read; every value comes from the settings (ADVISOR_*)."""

    max_extracted_bytes: int
    max_zip_entries: int
    max_compression_ratio: float
    max_pages: int
    max_document_chars: int

    @classmethod
    def from_settings(cls, settings: Settings) -> LoadLimits:
        return cls(
            max_extracted_bytes=int(settings.max_extracted_mb * MB),
            max_zip_entries=settings.max_zip_entries,
            max_compression_ratio=settings.max_compression_ratio,
            max_pages=settings.max_pages,
            max_document_chars=settings.max_document_chars,
        )

    @classmethod
    def default(cls) -> LoadLimits:
        from advisor.settings import get_settings

        return cls.from_settings(get_settings())

    def check_chars(self, name: str, chars: int) -> None:
        """Refuse a document whose extracted text is over the limit (counted as it is read)."""
        if chars > self.max_document_chars:
            raise DocumentError(
                f"{name}: more than {self.max_document_chars:,} characters of text; the limit is "
                f"{self.max_document_chars:,} (ADVISOR_MAX_DOCUMENT_CHARS)",
                "too_large",
            )


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


def load_markdown(path: Path, limits: LoadLimits) -> LoadedDocument:
    text = read_utf8(path)
    limits.check_chars(path.name, len(text))
    if not text.strip():
        raise DocumentError(f"{path.name}: the file contains no text", "no_text")
    title, sections = parse_sections(text)
    _require_text(path.name, sections, "file")
    return LoadedDocument(title, sections, text, "markdown" if path.suffix.lower() != ".txt" else "text")


# -- PDF ------------------------------------------------------------------------------------
def load_pdf(path: Path, limits: LoadLimits) -> LoadedDocument:
    from pypdf import PdfReader
    from pypdf._configuration import apply_configuration
    from pypdf.errors import LimitReachedError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings on damaged files repeat our message
    # pypdf's own per-stream bounds, tightened to ours: no stream inflates past the extracted limit,
    # and the page tree is never walked past the page limit.
    bounds = {
        "zlib_maximum_output_length": limits.max_extracted_bytes,
        "lzw_maximum_output_length": limits.max_extracted_bytes,
        "run_length_maximum_output_length": limits.max_extracted_bytes,
        "page_tree_maximum_entries": limits.max_pages + 1,
    }
    too_many_pages = DocumentError(
        f"{path.name}: more than {limits.max_pages:,} pages; the limit is {limits.max_pages:,} (ADVISOR_MAX_PAGES)",
        "too_large",
    )
    try:
        with apply_configuration(**bounds):
            reader = PdfReader(path)
            if reader.is_encrypted and not _open_without_password(reader):
                raise DocumentError(
                    f"{path.name}: the PDF is encrypted (password protected); remove the password and try again",
                    "encrypted",
                )
            if len(reader.pages) > limits.max_pages:
                raise too_many_pages
            extracted = []
            chars = 0
            for page in reader.pages:
                extracted.append(_page_text(page))
                chars += len(extracted[-1][0])
                limits.check_chars(path.name, chars)
            pages = [text for text, _ in extracted]
            outline = _outline(reader)
            info_title = (reader.metadata.title if reader.metadata else None) or None
    except (DocumentError, OSError):
        raise
    except LimitReachedError as exc:
        if "page tree" in str(exc).lower():
            raise too_many_pages from exc
        raise DocumentError(f"{path.name}: too large to read: {exc} (a pypdf limit)", "too_large") from exc
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


def load_docx(path: Path, limits: LoadLimits) -> LoadedDocument:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    if not path.is_file():
        raise FileNotFoundError(path)
    verified = safe_zip_copy(path, limits)
    try:
        document = docx.Document(verified)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, etree.LxmlError) as exc:
        raise DocumentError(f"{path.name}: not a readable Word document (.docx): {_parser_reason(exc)}", "corrupt") from exc
    blocks, style_title = _docx_blocks(document)
    limits.check_chars(path.name, sum(len(b.text) for b in blocks))
    title = style_title or (document.core_properties.title or "").strip() or None
    doc_title, sections = sections_from_blocks(blocks, title, path.stem)
    _require_text(path.name, sections, "Word document")
    return LoadedDocument(doc_title, sections, _fingerprint(doc_title, sections), "docx")


def _parser_reason(exc: Exception) -> str:
    """A parser's complaint without its advice to the operator ("try XML_PARSE_HUGE") or file paths."""
    text = re.split(r",?\s*(?:try|use) XML_PARSE_HUGE", str(exc))[0]
    return re.sub(r"\s*\((?:<string>|/[^)]*)\S*, line \d+\)$", "", text).strip() or type(exc).__name__


def safe_zip_copy(path: Path, limits: LoadLimits) -> io.BytesIO:
    """A verified copy of a ZIP package, or a `DocumentError` naming the limit it breaks.

    The declared sizes (central directory) are checked first: entry count, total unpacked size,
    compression ratio. Then every entry is streamed out in bounded reads, counting what really
    comes out (a lying entry ends in a CRC error) and refusing XML with a DTD, and written into a
    fresh archive whose declared sizes are true. Only that copy reaches python-docx, whose one-shot
    reads would otherwise inflate a lying entry whole in memory before truncating it.
    """
    name = path.name
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise DocumentError(f"{name}: not a readable Word document (.docx): {exc}", "corrupt") from exc
    with archive:
        entries = archive.infolist()
        if len(entries) > limits.max_zip_entries:
            raise DocumentError(
                f"{name}: the package has {len(entries):,} parts; the limit is {limits.max_zip_entries:,} "
                "(ADVISOR_MAX_ZIP_ENTRIES)",
                "too_large",
            )
        declared = sum(e.file_size for e in entries)
        packed = sum(e.compress_size for e in entries) or 1
        limit_mb = limits.max_extracted_bytes / MB
        if declared > limits.max_extracted_bytes:
            raise DocumentError(
                f"{name}: unpacks to {declared / MB:,.0f} MB; the limit is {limit_mb:g} MB (ADVISOR_MAX_EXTRACTED_MB)",
                "too_large",
            )
        if declared / packed > limits.max_compression_ratio:
            raise DocumentError(
                f"{name}: compressed {declared / packed:,.0f} to 1, more than {limits.max_compression_ratio:g} to 1 "
                "(ADVISOR_MAX_COMPRESSION_RATIO); refused as a possible decompression bomb",
                "too_large",
            )
        out = io.BytesIO()
        total = 0
        try:
            with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as copy:
                for entry in entries:
                    if entry.is_dir():
                        continue
                    with archive.open(entry) as source, copy.open(entry.filename, "w") as target:
                        first = True
                        while chunk := source.read(_ZIP_READ_BYTES):
                            total += len(chunk)
                            if total > limits.max_extracted_bytes:
                                raise DocumentError(
                                    f"{name}: unpacks to more than {limit_mb:g} MB (ADVISOR_MAX_EXTRACTED_MB)",
                                    "too_large",
                                )
                            if first and entry.filename.endswith((".xml", ".rels")) and _DTD.search(chunk):
                                raise DocumentError(
                                    f"{name}: {entry.filename} declares a DTD or entities, which Word never writes; "
                                    "refused",
                                    "corrupt",
                                )
                            first = False
                            target.write(chunk)
        except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError, ValueError) as exc:
            if isinstance(exc, DocumentError):
                raise
            raise DocumentError(f"{name}: not a readable Word document (.docx): {exc}", "corrupt") from exc
    out.seek(0)
    return out


def _docx_blocks(document: object) -> tuple[list[Block], str | None]:
    """Paragraphs and tables in order; heading styles give levels; page breaks give pages.

    Word records where pages broke when it last laid the file out (`lastRenderedPageBreak`);
    those are the pages a reader sees. Files never laid out by Word only have the explicit
    page breaks. With neither, pages are unknown and left out rather than guessed.
    """
    from docx.table import Table

    body = document.element.body  # type: ignore[attr-defined]
    style_name = _docx_style_names(document)
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
            style = style_name(item)
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


def _docx_style_names(document: object) -> Callable[[object], str]:
    """A paragraph's style name from a table built once per document.

    python-docx's `Paragraph.style` looks the default style up again for every paragraph (an
    XPath over all styles): 120,000 paragraphs took eight minutes. Ids are resolved here instead.
    """
    from docx.enum.style import WD_STYLE_TYPE

    styles = document.styles  # type: ignore[attr-defined]
    names = {style.style_id: style.name or "" for style in styles if style.type == WD_STYLE_TYPE.PARAGRAPH}
    default = styles.default(WD_STYLE_TYPE.PARAGRAPH)
    default_name = (default.name or "") if default is not None else ""

    def name(paragraph: object) -> str:
        properties = paragraph._p.pPr  # type: ignore[attr-defined]
        style_id = properties.style if properties is not None else None
        return names.get(style_id, default_name) if style_id else default_name

    return name


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
_DROP_TAGS = frozenset(["script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "nav", "head"])
_BLOCK_TAGS = frozenset([
    "p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote", "pre",
    "table", "ul", "ol", "dl", "figure", "form", "address", "hr", "body",
])  # fmt: skip
_LINE_TAGS = frozenset(["li", "tr", "dt", "dd", "figcaption", "caption"])
_CELL_TAGS = frozenset(["td", "th"])
_HEADING_TAG = re.compile(r"^h([1-6])$")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


class _HtmlBlocks:
    """Headings and paragraphs of a page in one pass of the stdlib tokenizer.

    Linear in the page's size whatever its nesting: building a BeautifulSoup tree and inserting
    separators into it took 20 s for 8,000 flat paragraphs and never finished 100,000 nested
    divs (each insert walks the tree). Text is kept as text: entities are decoded once, so
    markup written as text in the page (`&lt;img ...&gt;`) is stored as the characters it shows.
    """

    def __init__(self, name: str, limits: LoadLimits) -> None:
        from html.parser import HTMLParser

        self.name, self.limits = name, limits
        self.blocks: list[Block] = []
        self.title: list[str] | None = None  # the first <title>, while it is being read
        self.title_text = ""
        self._text: list[str] = []
        self._heading: tuple[int, list[str]] | None = None
        self._dropped: list[str] = []  # open elements whose content is not text (script, nav, ...)
        self._dropped_count: dict[str, int] = {}
        self._chars = 0
        parser = HTMLParser(convert_charrefs=True)
        parser.handle_starttag = self._start  # type: ignore[method-assign]
        parser.handle_endtag = self._end  # type: ignore[method-assign]
        parser.handle_data = self._data  # type: ignore[method-assign]
        self._parser = parser

    def feed(self, text: str) -> list[Block]:
        self._parser.feed(text)
        self._parser.close()
        self._end_heading()
        self._flush()
        return self.blocks

    def _start(self, tag: str, _attrs: object) -> None:
        if tag == "body" and "head" in self._dropped_count:  # a body closes an unclosed head
            self._end("head")
        if tag == "title" and self.title is None and not self.title_text and set(self._dropped) <= {"head"}:
            self.title = []
            return
        if tag in _DROP_TAGS:
            self._dropped.append(tag)
            self._dropped_count[tag] = self._dropped_count.get(tag, 0) + 1
            return
        if self._dropped:
            return
        heading = _HEADING_TAG.match(tag)
        if heading:
            self._end_heading()
            self._flush()
            self._heading = (int(heading.group(1)), [])
        elif tag == "br":
            self._data("\n")
        elif tag in _BLOCK_TAGS:
            self._flush()

    def _end(self, tag: str) -> None:
        if tag == "title" and self.title is not None:
            self.title_text, self.title = _clean_line("".join(self.title)), None
            return
        if self._dropped_count.get(tag):
            while self._dropped:  # close it and whatever was left open inside it
                closed = self._dropped.pop()
                self._dropped_count[closed] -= 1
                if not self._dropped_count[closed]:
                    del self._dropped_count[closed]
                if closed == tag:
                    break
            return
        if self._dropped:
            return
        if _HEADING_TAG.match(tag):
            self._end_heading()
        elif tag in _CELL_TAGS:
            self._data(" | ")
        elif tag in _LINE_TAGS:
            self._data("\n")
        elif tag in _BLOCK_TAGS:
            self._flush()

    def _data(self, text: str) -> None:
        if self.title is not None:
            self.title.append(text)
            return
        if self._dropped:
            return
        self._chars += len(text)
        self.limits.check_chars(self.name, self._chars)
        if self._heading is not None:
            self._heading[1].append(" " if text == "\n" else text)
        else:
            self._text.append(text)

    def _end_heading(self) -> None:
        if self._heading is not None:
            level, parts = self._heading
            self._heading = None
            text = _clean_line("".join(parts))
            if text:
                self.blocks.append(Block(text, level))

    def _flush(self) -> None:
        for part in _BLANK_LINE.split("".join(self._text)):
            lines = [_clean_line(line).strip("| ").strip() for line in part.splitlines()]
            text = "\n".join(line for line in lines if line)
            if text:
                self.blocks.append(Block(text))
        self._text.clear()


def _html_text(name: str, raw: bytes) -> str:
    """The page as text: UTF-8 when it is, else the encoding it declares or that fits (bs4's guess)."""
    if b"\x00" in raw:
        raise DocumentError(f"{name}: contains NUL bytes; this looks like a binary file, not HTML", "not_utf8")
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        from bs4.dammit import UnicodeDammit

        return UnicodeDammit(raw, is_html=True).unicode_markup or raw.decode("latin-1")


def load_html(path: Path, limits: LoadLimits) -> LoadedDocument:
    reader = _HtmlBlocks(path.name, limits)
    blocks = reader.feed(_html_text(path.name, path.read_bytes()))
    title, sections = sections_from_blocks(blocks, reader.title_text or None, path.stem)
    _require_text(path.name, sections, "HTML page")
    return LoadedDocument(title, sections, _fingerprint(title, sections), "html")


# -- dispatch -------------------------------------------------------------------------------
LOADERS: dict[str, Callable[[Path, LoadLimits], LoadedDocument]] = {
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".html": load_html,
    ".htm": load_html,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_markdown,
}
SUPPORTED_SUFFIXES = frozenset(LOADERS)


def load_document(path: Path, limits: LoadLimits | None = None) -> LoadedDocument:
    """Sections of a supported file, or a `DocumentError` saying what is wrong with it.

    `limits` bound what reading it may cost (default: from the settings)."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise DocumentError(
            f"{path.name}: unsupported file type '{path.suffix or '(none)'}'; supported: {kinds}", "unsupported_type"
        )
    try:
        return loader(path, limits or LoadLimits.default())
    except RecursionError as exc:  # deep nesting that a parser walks recursively
        raise DocumentError(f"{path.name}: nested too deeply to read", "too_complex") from exc
    except MemoryError as exc:
        raise DocumentError(f"{path.name}: too large to read in the memory available", "too_large") from exc
    except FileNotFoundError as exc:
        raise DocumentError(f"no such file: {path}", "not_found") from exc
    except IsADirectoryError as exc:
        raise DocumentError(f"{path}: is a folder, not a file", "unreadable_document") from exc
    except PermissionError as exc:
        raise DocumentError(f"{path}: permission denied", "unreadable_document") from exc
