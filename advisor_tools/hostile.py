"""Hostile and huge files, generated in code: the fuzz corpus of the tests and the bench.

Nothing here is committed as a binary: every file is built at the size the caller asks for, so
the tests build the same shapes at a small scale (a few MB) that the bench builds at full scale
(hundreds of MB inflated). Each generator writes one file and returns its path.

Shapes, after what a hostile uploader sends:
- `docx_bomb`: a valid DOCX whose `word/document.xml` inflates to `inflated_mb` of ordinary
  paragraphs (a 3.4 MB file of this shape inflated to ~1 GB and took ingest to 6.4 GB RSS);
- `docx_text_node_bomb`: one huge text node (what made lxml refuse only after 2.3 GB);
- `docx_xxe` / `docx_entity_expansion`: a DTD with an external entity, or "billion laughs";
- `docx_deep_nesting`: elements nested far deeper than any real document;
- `docx_many_entries`: a ZIP with thousands of tiny entries;
- `docx_lying_sizes`: a bomb whose central directory declares a tiny size (and the matching CRC);
- `pdf_many_pages`: one short line per page (the 20,000-page PDF that could not be written);
- `pdf_page_tree_loop`: a page tree whose node lists itself as its own kid;
- `html_deep_nesting`, `html_hostile`, `markdown_hostile`, `docx_hostile`, `pdf_hostile`: markup and
  `javascript:` links written as text, in each format (what must never come back out as markup);
- `truncated` / `garbage`: the first part of a valid file, or random bytes under a real suffix.
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

# Written as the text of a document (HTML entities in an HTML file, plain runs in the others), so a
# loader that keeps text as text stores them literally; every output must show them inert.
HOSTILE_TITLE = "Grant <img src=x onerror=alert(1)> Portal"
HOSTILE_SENTENCES = (
    "Kestrel municipalities should register every fibre duct with the <b onmouseover=alert(2)>Kestrel duct office</b>.",
    "Kestrel operators should read the duct rules at [click me](javascript:alert(3)) before digging.",
    "Kestrel councils should publish duct maps <script>alert(4)</script> every spring.",
)
HOSTILE_QUESTION = "What should Kestrel municipalities and operators do about fibre ducts?"

_PARAGRAPH = (
    '<w:p><w:r><w:t xml:space="preserve">Ordinary paragraph {n} about municipal fibre cooperatives, ducts and '
    "village broadband budgets.</w:t></w:r></w:p>"
)
_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _base_docx() -> dict[str, bytes]:
    """The parts of a minimal valid DOCX made by python-docx (styles, rels, content types)."""
    import docx

    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("placeholder")
    document.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write_docx(path: Path, document_xml_chunks: object, extra: dict[str, bytes] | None = None) -> Path:
    """A DOCX whose document.xml is written from an iterator of byte chunks (streamed, never held)."""
    parts = _base_docx()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            if name == "word/document.xml":
                with archive.open(name, "w", force_zip64=True) as entry:
                    for chunk in document_xml_chunks:  # type: ignore[attr-defined]
                        entry.write(chunk)
            else:
                archive.writestr(name, data)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def _document(body_chunks: object, prolog: bytes = b"") -> object:
    yield b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + prolog
    yield f"<w:document {_W}><w:body>".encode()
    yield from body_chunks  # type: ignore[misc]
    yield b"</w:body></w:document>"


def docx_bomb(path: Path, inflated_mb: float) -> Path:
    """Ordinary paragraphs, repeated until document.xml inflates to `inflated_mb`."""
    return _write_docx(path, _document(_bomb_body(inflated_mb)))


def docx_text_node_bomb(path: Path, inflated_mb: float) -> Path:
    """One paragraph with one text node of `inflated_mb` characters."""

    def body() -> object:
        yield b"<w:p><w:r><w:t>"
        block = b"fibre " * 170_000  # ~1 MB
        for _ in range(max(1, int(inflated_mb))):
            yield block
        yield b"</w:t></w:r></w:p>"

    return _write_docx(path, _document(body()))


def docx_xxe(path: Path, target: Path) -> Path:
    """An external entity pointing at a local file, used in the body text."""
    prolog = f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file://{target}">]>\n'.encode()
    body = [b"<w:p><w:r><w:t>Secret: &xxe;</w:t></w:r></w:p>"]
    return _write_docx(path, _document(body, prolog))


def docx_entity_expansion(path: Path) -> Path:
    """'Billion laughs': nested entities that would expand to gigabytes."""
    lines = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    lines += [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    prolog = ("<!DOCTYPE w:document [" + "".join(lines) + "]>\n").encode()
    return _write_docx(path, _document([b"<w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>"], prolog))


def docx_deep_nesting(path: Path, depth: int) -> Path:
    """Smart tags nested `depth` deep around one run."""
    body = [b"<w:p>" + b"<w:smartTag>" * depth + b"<w:r><w:t>deep</w:t></w:r>" + b"</w:smartTag>" * depth + b"</w:p>"]
    return _write_docx(path, _document(body))


def docx_many_entries(path: Path, entries: int) -> Path:
    """A valid DOCX plus `entries` tiny media files."""
    body = [_PARAGRAPH.format(n=1).encode()]
    return _write_docx(path, _document(body), {f"word/media/x{i}.bin": b"x" for i in range(entries)})


def docx_hostile(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(HOSTILE_TITLE, level=1)
    for sentence in HOSTILE_SENTENCES:
        document.add_paragraph(sentence)
    document.save(str(path))
    return path


def html_hostile(path: Path) -> Path:
    import html

    body = "".join(f"<p>{html.escape(s)}</p>" for s in HOSTILE_SENTENCES)
    path.write_text(
        f"<!doctype html><html><head><title>{html.escape(HOSTILE_TITLE)}</title></head><body>"
        f"<h1>{html.escape(HOSTILE_TITLE)}</h1><h2>{html.escape('Ducts <img src=y onerror=alert(5)>')}</h2>{body}"
        "</body></html>",
        encoding="utf-8",
    )
    return path


def markdown_hostile(path: Path) -> Path:
    text = f"# {HOSTILE_TITLE}\n\n## Ducts <img src=y onerror=alert(5)>\n\n" + "\n".join(HOSTILE_SENTENCES) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def pdf_hostile(path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(HOSTILE_TITLE)
    pdf.add_page()
    pdf.start_section(HOSTILE_TITLE)
    pdf.set_font("Helvetica", size=16)
    pdf.cell(text=HOSTILE_TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for sentence in HOSTILE_SENTENCES:
        pdf.multi_cell(0, 7, sentence, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def pdf_many_pages(path: Path, pages: int) -> Path:
    """One short line per page, no bookmarks: every page becomes its own chunk."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    font_ref = writer._add_object(font)
    for number in range(1, pages + 1):
        page = writer.add_blank_page(width=300, height=100)
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 10 Tf 20 50 Td (Line {number} of the municipal fibre register.) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font_ref})}
        )
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def pdf_page_tree_loop(path: Path) -> Path:
    """A page tree whose root lists itself among its kids (a loop a naive walker never leaves)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 100] /Contents 4 0 R >>",
    ]
    content = b"BT /F1 10 Tf 20 50 Td (loop) Tj ET"
    objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    path.write_bytes(out.getvalue())
    return path


def html_deep_nesting(path: Path, depth: int) -> Path:
    path.write_text("<html><body>" + "<div>" * depth + "deep text" + "</div>" * depth + "</body></html>", encoding="utf-8")
    return path


def truncated(path: Path, source: Path, fraction: float = 0.5) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: max(1, int(len(data) * fraction))])
    return path


def garbage(path: Path, size: int, seed: int = 7) -> Path:
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def docx_lying_sizes(path: Path, inflated_mb: float, declared: int = 4096) -> Path:
    """A DOCX bomb whose central directory declares `declared` bytes for document.xml (with the CRC
    of those first bytes), so checks that trust the declared sizes pass it; a one-shot read of the
    entry still inflates all `inflated_mb` before it truncates."""
    import struct
    import zlib

    xml = b"".join(_document(_bomb_body(inflated_mb)))  # type: ignore[arg-type]
    crc = zlib.crc32(xml[:declared])
    parts = _base_docx()
    parts["word/document.xml"] = xml
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local = archive.getinfo("word/document.xml").header_offset
    struct.pack_into("<I", data, local + 14, crc)
    struct.pack_into("<I", data, local + 22, declared)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46 : central + 46 + name_length]) == b"word/document.xml":
            struct.pack_into("<I", data, central + 16, crc)
            struct.pack_into("<I", data, central + 24, declared)
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))
    return path


def _bomb_body(inflated_mb: float) -> object:
    target = int(inflated_mb * 1024 * 1024)
    block = "".join(_PARAGRAPH.format(n=i % 10) for i in range(1000)).encode()
    for _ in range(max(1, target // len(block))):
        yield block
