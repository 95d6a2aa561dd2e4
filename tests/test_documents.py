"""User documents: PDF, Word, HTML, Markdown and text in a workspace collection, with citations
that name the document, the section and the page. Fixture files are built here, in code."""

from __future__ import annotations

from pathlib import Path

import docx
import httpx
import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader, PdfWriter

from advisor.components import Advisor, build_advisor
from advisor.indexing.ingest import IngestError, ingest_paths
from advisor.indexing.loaders import DocumentError, load_document
from advisor.settings import Settings
from tests.conftest import chromium, run_cli, start_server, stop_server
from ui.chat import export_markdown, sources_html

ADMIN_KEY = "test-admin-key-6"

# Facts that exist only in the fixtures, so an answer citing them can only come from them.
HARBOUR_PAGES = [
    (
        "Harbour Pilot Funding",
        "The Harbour Data Pilot of Port Lindqvist receives funding from the Baltic Innovation Fund. "
        "Port operators apply for the pilot grant through the Lindqvist harbour office.",
    ),
    (
        "Quay Sensor Maintenance",
        "Quay sensors in Port Lindqvist are recalibrated by the harbour authority technicians. "
        "Technicians log every sensor recalibration in the Lindqvist maintenance register.",
    ),
]


# -- fixture builders ------------------------------------------------------------------------
def make_pdf(path: Path, pages: list[tuple[str, str]], title: str = "Harbour Data Pilot") -> Path:
    """A PDF with one bookmarked heading and a paragraph per page."""
    pdf = FPDF()
    pdf.set_title(title)
    for heading, text in pages:
        pdf.add_page()
        pdf.start_section(heading)
        pdf.set_font("Helvetica", size=16)
        pdf.cell(text=heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=12)
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def make_image_pdf(path: Path) -> Path:
    """A 'scanned' page: a picture of text, no text layer."""
    image = Image.new("RGB", (200, 80), "white")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(image, x=10, y=10, w=100)
    pdf.output(str(path))
    return path


def make_blank_pdf(path: Path) -> Path:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def make_encrypted_pdf(path: Path, source: Path) -> Path:
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password="open-sesame", owner_password="owner", algorithm="RC4-128")
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def make_docx(path: Path, board_rule: str = "The cooperative board of Vellmar meets every quarter in the village hall.") -> Path:
    """Title, two heading levels and an explicit page break inside a section."""
    document = docx.Document()
    document.add_heading("Vellmar Broadband Cooperative Guide", level=0)
    document.add_paragraph("This guide explains how the Vellmar cooperative builds village fibre.")
    document.add_heading("Village Fibre Ducts", level=1)
    document.add_paragraph("Each Vellmar village cooperative reserves part of its budget for fibre ducts.")
    document.add_heading("Cooperative Governance", level=2)
    document.add_paragraph(board_rule)
    document.add_page_break()
    document.add_paragraph(
        "Members of the Vellmar cooperative vote on new fibre routes by secret ballot at the annual assembly."
    )
    document.save(str(path))
    return path


def make_html(path: Path) -> Path:
    path.write_text(
        """<!doctype html><html><head><title>Oskarsby Street Lighting Handbook</title>
<style>p { color: red }</style><script>var trackingSecret = "zebracode";</script></head>
<body><nav><a href="/">Home</a></nav>
<h1>Oskarsby Street Lighting Handbook</h1><p>How Oskarsby modernises its street lights.</p>
<h2>Luminaire Procurement</h2>
<p>Oskarsby municipality buys <em>LED luminaires</em> that speak an open lighting protocol.</p>
<h3>Dimming Schedule</h3>
<p>Oskarsby street lights dim to half brightness after midnight on residential streets.</p>
</body></html>""",
        encoding="utf-8",
    )
    return path


def snapshot(advisor: Advisor) -> tuple[dict, dict]:
    """Manifest versions and chunk ids of every collection: what 'unchanged' is checked against."""
    state = {}
    manifests = {}
    for name, store in advisor.stores.items():
        state[name] = sorted(store.vectors.get(include=[])["ids"])
        manifests[name] = {k: v.version for k, v in store.documents().items()}
    return state, manifests


@pytest.fixture()
def workspace_advisor(data_copy: Path) -> Advisor:
    """An advisor over a private copy of the built strategy index, with an empty workspace."""
    return build_advisor(Settings(data_dir=data_copy))


def cited(advisor: Advisor, question: str, fact: str, **kwargs):  # noqa: ANN201 - a Citation
    """The citation behind `fact` in the answer: the answer must state it, citing its passage."""
    answer = advisor.ask(question, **kwargs)
    assert answer.in_scope and fact in answer.answer, answer.answer
    holding = [c for c in answer.citations if fact in c.text]
    assert holding, [c.text for c in answer.citations]
    return holding[0]


# -- loaders ---------------------------------------------------------------------------------
def test_loaders_find_sections_and_pages(tmp_path: Path):
    pdf = load_document(make_pdf(tmp_path / "harbour.pdf", HARBOUR_PAGES))
    assert pdf.title == "Harbour Data Pilot"
    assert [(s.path, s.page) for s in pdf.sections] == [
        (("Harbour Pilot Funding",), 1),
        (("Quay Sensor Maintenance",), 2),
    ]
    assert "Quay Sensor Maintenance" not in pdf.sections[1].body  # the heading is not body text

    word = load_document(make_docx(tmp_path / "guide.docx"))
    assert word.title == "Vellmar Broadband Cooperative Guide"
    governance = [s for s in word.sections if s.title == "Cooperative Governance"]
    assert [s.path for s in governance] == [("Village Fibre Ducts", "Cooperative Governance")] * 2
    assert [s.page for s in governance] == [1, 2]  # the page break splits the section by page

    page = load_document(make_html(tmp_path / "lights.html"))
    assert page.title == "Oskarsby Street Lighting Handbook"
    assert [s.path for s in page.sections] == [(), ("Luminaire Procurement",), ("Luminaire Procurement", "Dimming Schedule")]
    text = " ".join(s.body for s in page.sections)
    assert "zebracode" not in text and "color: red" not in text and "Home" not in text
    assert all(s.page is None for s in page.sections)


def test_pdf_without_bookmarks_has_one_section_per_page(tmp_path: Path):
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in ("Ferry timetables are published by the Tallholm port office.", "Ferry tickets are sold on board."):
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(tmp_path / "ferry-notes.pdf"))
    loaded = load_document(tmp_path / "ferry-notes.pdf")
    assert loaded.title == "ferry-notes"  # no title in the file: the file name
    assert [(s.path, s.page) for s in loaded.sections] == [((), 1), ((), 2)]


def test_pdf_without_bookmarks_takes_headings_from_larger_type(tmp_path: Path):
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=20)
    pdf.cell(text="Tallholm Ferry Call", new_x="LMARGIN", new_y="NEXT")
    for heading, body, new_page in (
        ("Eligible Operators", "Ferry operators registered in Tallholm may apply for the ferry call. " * 3, False),
        ("Electric Ferries", "Electric ferries on the Tallholm route receive a charging subsidy. " * 3, True),
    ):
        if new_page:
            pdf.add_page()
        pdf.set_font("Helvetica", size=14)
        pdf.cell(text=heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, body, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(tmp_path / "ferry-call.pdf"))
    loaded = load_document(tmp_path / "ferry-call.pdf")
    assert loaded.title == "Tallholm Ferry Call"  # the one largest heading
    assert [(s.path, s.page) for s in loaded.sections] == [(("Eligible Operators",), 1), (("Electric Ferries",), 2)]
    assert loaded.sections[1].body.startswith("Electric ferries on the Tallholm route")


def test_word_pages_follow_the_breaks_word_rendered(tmp_path: Path):
    """Word records where it broke pages when it last laid the file out; those pages win."""
    from docx.oxml import OxmlElement

    document = docx.Document()
    document.add_heading("Long Section", level=1)
    first = document.add_paragraph("Text that Word laid out on the first page.")
    document.add_paragraph("Text that Word laid out on the second page.")
    document.add_paragraph("Text that Word laid out on the third page.")
    for paragraph in document.paragraphs[2:]:
        run = paragraph.runs[0]._r
        run.insert(0, OxmlElement("w:lastRenderedPageBreak"))
    assert first.text
    path = tmp_path / "rendered.docx"
    document.save(str(path))
    loaded = load_document(path)
    assert [(s.title, s.page) for s in loaded.sections] == [("", 1), ("", 2), ("", 3)]
    assert loaded.title == "Long Section"  # the only top-level heading titles the document


# -- ingest and ask ---------------------------------------------------------------------------
def test_answers_from_user_documents_cite_document_section_and_page(workspace_advisor: Advisor, tmp_path: Path):
    advisor = workspace_advisor
    folder = tmp_path / "docs"
    folder.mkdir()
    make_pdf(folder / "harbour.pdf", HARBOUR_PAGES)
    make_docx(folder / "vellmar.docx")
    make_html(folder / "oskarsby.html")
    (folder / "notes.md").write_text(
        "# Field Notes\n\n## Tramway Ticketing\n\nThe Rautavaara tramway sells tickets through a contactless card reader.\n",
        encoding="utf-8",
    )
    report = advisor.ingest([folder], collection="workspace")
    assert sorted(report.added) == ["harbour-pdf", "notes", "oskarsby-html", "vellmar-docx"], report.failed
    assert set(advisor.strategy.documents()) == {"eu-international-digital-strategy"}  # strategy untouched

    c = cited(advisor, "Who recalibrates the quay sensors in Port Lindqvist?", "harbour authority technicians")
    assert (c.doc_id, c.collection, c.section, c.page, c.source) == (
        "harbour-pdf",
        "workspace",
        "Quay Sensor Maintenance",
        2,
        "harbour.pdf",
    )
    shown = {"role": "assistant", "content": "", "answer": advisor.ask("Who recalibrates the quay sensors in Port Lindqvist?").model_dump()}
    assert "(harbour.pdf, page 2)" in export_markdown([shown]) and "harbour.pdf, page 2" in sources_html([shown])
    c = cited(advisor, "Where do port operators apply for the Harbour Data Pilot grant?", "Lindqvist harbour office")
    assert (c.doc_id, c.section, c.page) == ("harbour-pdf", "Harbour Pilot Funding", 1)

    c = cited(advisor, "How do Vellmar cooperative members vote on new fibre routes?", "secret ballot")
    assert (c.doc_id, c.section, c.page) == ("vellmar-docx", "Village Fibre Ducts > Cooperative Governance", 2)

    c = cited(advisor, "What do the Oskarsby street lights do on residential streets at night?", "half brightness after midnight")
    assert (c.doc_id, c.section, c.page) == ("oskarsby-html", "Luminaire Procurement > Dimming Schedule", None)

    c = cited(advisor, "How does the Rautavaara tramway sell tickets?", "contactless card reader")
    assert (c.doc_id, c.section) == ("notes", "Tramway Ticketing")

    # Narrowing: only the strategy, or only one document.
    answer = advisor.ask("Who recalibrates the quay sensors in Port Lindqvist?", collections=["strategy"])
    assert all(c.collection == "strategy" for c in answer.citations)
    answer = advisor.ask("Who recalibrates the quay sensors in Port Lindqvist?", doc_ids=["vellmar-docx"])
    assert {c.doc_id for c in answer.citations} <= {"vellmar-docx"}
    with pytest.raises(ValueError, match="unknown collection 'nope'"):
        advisor.ask("Who recalibrates the quay sensors?", collections=["nope"])


def test_reingest_is_idempotent_and_a_changed_file_replaces_its_chunks(workspace_advisor: Advisor, tmp_path: Path):
    advisor = workspace_advisor
    pdf = make_pdf(tmp_path / "harbour.pdf", HARBOUR_PAGES)
    word = make_docx(tmp_path / "vellmar.docx")
    first = advisor.ingest([pdf, word], collection="workspace")
    assert sorted(first.added) == ["harbour-pdf", "vellmar-docx"]
    before = snapshot(advisor)
    again = advisor.ingest([pdf, word], collection="workspace")
    assert sorted(again.unchanged) == ["harbour-pdf", "vellmar-docx"] and again.chunks_written == 0
    assert snapshot(advisor) == before

    make_pdf(pdf, HARBOUR_PAGES[:1])  # the sensor page is gone
    make_docx(word, "The cooperative board of Vellmar meets every month in the fire station.")
    changed = advisor.ingest([pdf, word], collection="workspace")
    assert sorted(changed.updated) == ["harbour-pdf", "vellmar-docx"]
    chunks = advisor.workspace.chunks()
    records = advisor.workspace.documents()
    assert advisor.workspace.count() == len(chunks) == sum(r.chunks for r in records.values())  # no leftovers
    pdf_chunks = [c for c in chunks if c.metadata["doc_id"] == "harbour-pdf"]
    assert [c.metadata["page"] for c in pdf_chunks] == [1] and records["harbour-pdf"].extra["pages"] == 1
    assert any("fire station" in c.page_content for c in chunks)
    assert not any("village hall" in c.page_content for c in chunks)
    lexical_ids = {d.metadata["chunk_id"] for d in advisor.retriever.lexical("workspace").documents}
    assert lexical_ids == {c.metadata["chunk_id"] for c in chunks}


def test_delete_removes_a_document_from_vectors_and_lexical_index(workspace_advisor: Advisor, tmp_path: Path):
    advisor = workspace_advisor
    advisor.ingest([make_pdf(tmp_path / "harbour.pdf", HARBOUR_PAGES)], collection="workspace")
    question = "Who recalibrates the quay sensors in Port Lindqvist?"
    assert advisor.ask(question).citations[0].doc_id == "harbour-pdf"
    assert any(d.metadata["doc_id"] == "harbour-pdf" for d in advisor.retriever.lexical("workspace").documents)
    record = advisor.delete_document("harbour-pdf")
    assert record is not None and record.doc_id == "harbour-pdf"
    assert advisor.workspace.count() == 0 and advisor.workspace.documents() == {}
    assert advisor.retriever.lexical("workspace").documents == []
    assert all(c.doc_id != "harbour-pdf" for c in advisor.ask(question).citations)
    assert advisor.delete_document("harbour-pdf") is None


# -- bad input --------------------------------------------------------------------------------
def bad_files(folder: Path) -> list[tuple[Path, str, str]]:
    """(file, error code, words the message must contain) for every kind of unfit file."""
    good = make_pdf(folder / "good-source.pdf.tmp", HARBOUR_PAGES)
    corrupt = folder / "corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R\nthis is not a pdf body\n")
    latin = folder / "latin.txt"
    latin.write_bytes("Caf\u00e9 cr\u00e8me des donn\u00e9es".encode("latin-1"))
    fake_docx = folder / "fake.docx"
    fake_docx.write_bytes(b"this is not a zip package")
    sheet = folder / "budget.xlsx"
    sheet.write_bytes(b"PK\x03\x04 spreadsheet")
    empty_html = folder / "empty.html"
    empty_html.write_text("<html><head><script>var x=1;</script></head><body>  </body></html>", encoding="utf-8")
    files = [
        (sheet, "unsupported_type", "unsupported file type '.xlsx'"),
        (make_blank_pdf(folder / "blank.pdf"), "no_text", "no text found"),
        (make_image_pdf(folder / "scan.pdf"), "no_text", "no text found"),
        (make_encrypted_pdf(folder / "locked.pdf", good), "encrypted", "encrypted"),
        (corrupt, "corrupt", "not a readable PDF"),
        (latin, "not_utf8", "not valid UTF-8"),
        (fake_docx, "corrupt", "not a readable Word document"),
        (empty_html, "no_text", "no text found"),
    ]
    good.unlink()
    return files


def test_every_bad_file_fails_clearly_and_leaves_the_store_unchanged(workspace_advisor: Advisor, tmp_path: Path):
    advisor = workspace_advisor
    advisor.ingest([make_pdf(tmp_path / "harbour.pdf", HARBOUR_PAGES)], collection="workspace")
    before = snapshot(advisor)
    folder = tmp_path / "bad"
    folder.mkdir()
    for path, code, words in bad_files(folder):
        with pytest.raises(DocumentError) as caught:
            load_document(path)
        assert caught.value.code == code and words in str(caught.value), (path.name, str(caught.value))
        report = ingest_paths([path], advisor.workspace, advisor.taxonomy, advisor.settings)
        assert report.failed and words in report.failed[0][1] and not report.added, path.name
        with pytest.raises(DocumentError, match=words.split("'")[0]):
            advisor.add_files([(path.name, path.read_bytes())])
        assert snapshot(advisor) == before, path.name


def test_size_limit_and_allowed_roots(data_copy: Path, tmp_path: Path):
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    outside = make_pdf(tmp_path / "outside.pdf", HARBOUR_PAGES)
    (allowed / "link.pdf").symlink_to(outside)  # a link out of the root is outside too
    big = allowed / "big.txt"
    big.write_text("A line about municipal fibre cooperatives.\n" * 200, encoding="utf-8")  # ~8.6 KB
    advisor = build_advisor(Settings(data_dir=data_copy, allowed_roots=[allowed], max_upload_mb=0.005))
    before = snapshot(advisor)
    for path in (outside, allowed / "link.pdf", allowed / "missing.pdf"):  # one answer: nothing said about outside
        with pytest.raises(IngestError, match="no such file under the allowed folders") as caught:
            advisor.ingest([path], collection="workspace")
        assert caught.value.code == "not_found"
    report = advisor.ingest([big], collection="workspace")
    assert report.failed and "over the 0.005 MB limit" in report.failed[0][1]
    with pytest.raises(DocumentError, match="over the 0.005 MB limit"):
        advisor.add_files([("big.txt", big.read_bytes())])
    assert snapshot(advisor) == before


# -- command line -----------------------------------------------------------------------------
def test_cli_ingest_folders_and_globs_with_progress_and_summary(data_copy: Path, tmp_path: Path):
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    make_pdf(folder / "harbour.pdf", HARBOUR_PAGES)
    make_docx(folder / "sub" / "vellmar.docx")
    make_html(tmp_path / "oskarsby.html")
    (folder / "latin.txt").write_bytes("caf\u00e9".encode("latin-1"))
    result = run_cli(["ingest", str(folder), str(tmp_path / "*.html")], data_copy)
    assert result.returncode == 1, result.stderr  # one file failed
    assert "added 3, updated 0, unchanged 0, failed 1" in result.stdout
    progress = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert len(progress) == 4 and progress[-1].startswith("[4/4]")
    assert any("latin.txt: failed: latin.txt: not valid UTF-8" in line for line in progress)

    (folder / "sub" / "harbour.pdf").write_bytes((folder / "harbour.pdf").read_bytes())
    clash = run_cli(["ingest", str(folder / "sub" / "harbour.pdf"), str(folder / "harbour.pdf")], data_copy)
    assert clash.returncode == 1 and "same document id 'harbour-pdf'" in clash.stderr
    assert "unchanged 1, failed 1" in clash.stdout  # the first of the two was ingested (unchanged)
    (folder / "sub" / "harbour.pdf").unlink()
    (folder / "latin.txt").unlink()
    again = run_cli(["ingest", str(folder), str(tmp_path / "*.html")], data_copy)
    assert again.returncode == 0 and "added 0, updated 0, unchanged 3, failed 0" in again.stdout

    listing = run_cli(["documents", "--collection", "workspace"], data_copy)
    assert listing.returncode == 0
    assert "harbour-pdf" in listing.stdout and "2 pages" in listing.stdout

    answer = run_cli(
        ["ask", "--json", "--collection", "workspace", "Who recalibrates the quay sensors in Port Lindqvist?"],
        data_copy,
    )
    assert answer.returncode == 0, answer.stderr
    assert '"page": 2' in answer.stdout and '"doc_id": "harbour-pdf"' in answer.stdout
    text = run_cli(["ask", "--doc", "harbour-pdf", "Who recalibrates the quay sensors in Port Lindqvist?"], data_copy)
    assert "(harbour.pdf › Quay Sensor Maintenance, page 2)" in text.stdout, text.stdout

    deleted = run_cli(["delete", "harbour-pdf"], data_copy)
    assert deleted.returncode == 0 and "deleted harbour-pdf" in deleted.stdout
    missing = run_cli(["delete", "harbour-pdf"], data_copy)
    assert missing.returncode == 2 and missing.stderr.strip().endswith("no document 'harbour-pdf' in collection 'workspace'")


def test_cli_refuses_paths_outside_the_allowed_roots(data_copy: Path, tmp_path: Path):
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    outside = make_pdf(tmp_path / "harbour.pdf", HARBOUR_PAGES)
    result = run_cli(["ingest", str(outside)], data_copy, ADVISOR_ALLOWED_ROOTS=str(allowed))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"advisor: error: {outside}: no such file under the allowed folders (ADVISOR_ALLOWED_ROOTS)"
    ]
    nothing = run_cli(["ingest", str(tmp_path / "missing" / "*.pdf")], data_copy)
    assert nothing.returncode == 2 and "no files match" in nothing.stderr


# -- HTTP API ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def admin_server(tmp_path_factory: pytest.TempPathFactory, built_data_dir: Path):  # noqa: ANN201
    import shutil

    data_dir = tmp_path_factory.mktemp("data-documents")
    shutil.copytree(built_data_dir, data_dir, dirs_exist_ok=True)
    (data_dir / "allowed").mkdir()
    server = start_server(
        data_dir,
        ADVISOR_ADMIN_KEY=ADMIN_KEY,
        ADVISOR_MAX_UPLOAD_MB="0.05",
        ADVISOR_ALLOWED_ROOTS=str(data_dir / "allowed"),
    )
    yield server
    stop_server(server)


def _upload(url: str, files: list[tuple[str, bytes]], key: str | None = ADMIN_KEY, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(
        url + "/api/documents", files=[("file", f) for f in files], headers=headers, timeout=60, **kwargs
    )


def _documents(url: str) -> list[dict]:
    r = httpx.get(url + "/api/documents", params={"collection": "workspace"}, timeout=30)
    assert r.status_code == 200
    return r.json()["documents"]


def test_api_upload_list_ask_and_delete(admin_server, tmp_path: Path):
    url = admin_server.url
    pdf = make_pdf(tmp_path / "harbour.pdf", HARBOUR_PAGES).read_bytes()
    word = make_docx(tmp_path / "vellmar.docx").read_bytes()
    r = _upload(url, [("harbour.pdf", pdf), ("../../vellmar.docx", word)])
    assert r.status_code == 201, r.text
    body = {d["id"]: d for d in r.json()["documents"]}
    assert body["harbour-pdf"]["outcome"] == "added" and body["harbour-pdf"]["pages"] == 2
    assert body["vellmar-docx"]["source"] == "vellmar.docx"  # folders in the name are dropped
    again = _upload(url, [("harbour.pdf", pdf)])
    assert again.status_code == 200 and again.json()["documents"][0]["outcome"] == "unchanged"
    assert {d["id"] for d in _documents(url)} == {"harbour-pdf", "vellmar-docx"}

    ask = httpx.post(
        url + "/api/ask",
        json={"question": "Who recalibrates the quay sensors in Port Lindqvist?", "collections": ["workspace"]},
        timeout=60,
    )
    assert ask.status_code == 200
    c = ask.json()["citations"][0]
    assert (c["doc_id"], c["section"], c["page"], c["collection"]) == ("harbour-pdf", "Quay Sensor Maintenance", 2, "workspace")
    bad_scope = httpx.post(url + "/api/ask", json={"question": "Who?", "collections": ["nope"]}, timeout=30)
    assert bad_scope.status_code == 422 and "unknown collection" in bad_scope.json()["error"]["message"]

    r = httpx.delete(url + "/api/documents/harbour-pdf", headers={"X-Admin-Key": ADMIN_KEY}, timeout=30)
    assert r.status_code == 200 and r.json()["deleted"]["id"] == "harbour-pdf"
    assert {d["id"] for d in _documents(url)} == {"vellmar-docx"}
    ask = httpx.post(
        url + "/api/ask",
        json={"question": "Who recalibrates the quay sensors in Port Lindqvist?", "collections": ["workspace"]},
        timeout=60,
    )
    assert all(c["doc_id"] != "harbour-pdf" for c in ask.json()["citations"])
    r = httpx.delete(url + "/api/documents/harbour-pdf", headers={"X-Admin-Key": ADMIN_KEY}, timeout=30)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_api_refuses_bad_uploads_with_json_and_stores_nothing(admin_server, tmp_path: Path):
    url = admin_server.url
    before = _documents(url)
    pdf = make_pdf(tmp_path / "harbour.pdf", HARBOUR_PAGES).read_bytes()
    cases = [(_upload(url, [("harbour.pdf", pdf)], key=None), 401, "unauthorized")]
    cases.append((_upload(url, [("harbour.pdf", pdf)], key="wrong"), 403, "forbidden"))
    cases.append((httpx.delete(url + "/api/documents/vellmar-docx", timeout=30), 401, "unauthorized"))
    cases.append((_upload(url, [("big.txt", b"fibre cooperative text. " * 4000)]), 413, "too_large"))  # ~96 KB
    cases.append((_upload(url, [("huge.txt", b"x" * 200_000)]), 413, "too_large"))  # refused by Content-Length
    cases.append((_upload(url, []), 415, "unsupported_media_type"))  # not multipart at all
    chunked = httpx.post(  # no Content-Length: the size could not be checked before reading
        url + "/api/documents",
        content=iter([b"--b\r\nContent-Disposition: form-data; name=file; filename=a.txt\r\n\r\nhi\r\n--b--\r\n"]),
        headers={"X-Admin-Key": ADMIN_KEY, "Content-Type": "multipart/form-data; boundary=b"},
        timeout=30,
    )
    cases.append((chunked, 411, "length_required"))
    wrong_field = httpx.post(
        url + "/api/documents", files=[("document", ("a.txt", b"text"))], headers={"X-Admin-Key": ADMIN_KEY}, timeout=30
    )
    cases.append((wrong_field, 422, "invalid_request"))
    folder = tmp_path / "bad"
    folder.mkdir()
    status_by_code = {"unsupported_type": 415}
    for path, code, words in bad_files(folder):
        r = _upload(url, [("harbour.pdf", pdf), (path.name, path.read_bytes())])  # one bad file spoils the batch
        cases.append((r, status_by_code.get(code, 422), code))
        assert words in r.json()["error"]["message"], r.text
    for response, status, code in cases:
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code
    assert cases[0][0].headers.get("www-authenticate") == "Bearer"
    assert _documents(url) == before


def test_api_ingests_server_paths_only_under_the_allowed_roots(admin_server, tmp_path: Path):
    url = admin_server.url
    allowed = admin_server.data_dir / "allowed"
    make_html(allowed / "oskarsby.html")
    outside = make_pdf(tmp_path / "harbour.pdf", HARBOUR_PAGES)
    headers = {"X-Admin-Key": ADMIN_KEY}
    before = _documents(url)
    refused = httpx.post(url + "/api/documents", json={"paths": [str(outside)]}, headers=headers, timeout=30)
    escape = httpx.post(url + "/api/documents", json={"paths": [str(allowed / ".." / "..")]}, headers=headers)
    missing = httpx.post(url + "/api/documents", json={"paths": [str(allowed / "nope.pdf")]}, headers=headers)
    for r in (refused, escape, missing):  # outside or missing: one answer, so nothing is learnt about outside
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        assert r.json()["error"]["message"].endswith("no such file under the allowed folders (ADVISOR_ALLOWED_ROOTS)")
    assert _documents(url) == before
    r = httpx.post(url + "/api/documents", json={"paths": [str(allowed)]}, headers=headers, timeout=60)
    assert r.status_code == 201 and [d["id"] for d in r.json()["documents"]] == ["oskarsby-html"]
    r = httpx.delete(url + "/api/documents/oskarsby-html", headers=headers, timeout=30)
    assert r.status_code == 200


def test_server_paths_are_refused_without_allowed_roots(workspace_advisor: Advisor, tmp_path: Path):

    with pytest.raises(IngestError, match="set ADVISOR_ALLOWED_ROOTS") as caught:
        workspace_advisor.add_server_paths([str(make_html(tmp_path / "oskarsby.html"))])
    assert caught.value.code == "paths_disabled" and workspace_advisor.workspace.count() == 0


def test_api_without_admin_key_refuses_writes(live_server, tmp_path: Path):
    pdf = make_pdf(tmp_path / "harbour.pdf", HARBOUR_PAGES).read_bytes()
    r = _upload(live_server.url, [("harbour.pdf", pdf)])
    assert r.status_code == 403 and r.json()["error"]["code"] == "admin_disabled"
    assert "ADVISOR_ADMIN_KEY" in r.json()["error"]["message"]
    r = httpx.delete(live_server.url + "/api/documents/x", headers={"X-Admin-Key": "anything"}, timeout=30)
    assert r.status_code == 403
    listing = httpx.get(live_server.url + "/api/documents", timeout=30)
    assert listing.status_code == 200 and {d["collection"] for d in listing.json()["documents"]} == {"strategy"}


# -- chat UI ----------------------------------------------------------------------------------
def test_ui_panel_functions_follow_the_api_rules(data_copy: Path, tmp_path: Path, monkeypatch):
    from pydantic import SecretStr

    from ui.documents import document_rows, remove, upload

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))  # where the browser's uploads land
    (tmp_path / "gradio" / "0a1b").mkdir(parents=True)
    pdf = make_pdf(tmp_path / "gradio" / "0a1b" / "harbour.pdf", HARBOUR_PAGES)
    locked = build_advisor(Settings(data_dir=data_copy))
    assert "disabled" in upload(locked, [str(pdf)], "anything")
    advisor = build_advisor(Settings(data_dir=data_copy, admin_key=SecretStr(ADMIN_KEY)))
    before = snapshot(advisor)
    assert "not valid" in upload(advisor, [str(pdf)], "wrong")
    with pytest.raises(IngestError, match="two files for the same document id: harbour-pdf"):
        advisor.add_files([("harbour.pdf", pdf.read_bytes()), ("dir/harbour.pdf", pdf.read_bytes())])
    latin = pdf.parent / "latin.txt"
    latin.write_bytes("caf\u00e9".encode("latin-1"))
    assert "nothing was added" in upload(advisor, [str(pdf), str(latin)], ADMIN_KEY)
    # A server path the caller made up, not one the page uploaded, is never read (it used to be).
    server_file = make_pdf(tmp_path / "elsewhere.pdf", HARBOUR_PAGES)
    assert "only come from this page's file picker" in upload(advisor, [str(server_file)], ADMIN_KEY)
    assert snapshot(advisor) == before
    assert "**harbour-pdf**: added" in upload(advisor, [str(pdf)], ADMIN_KEY)
    assert ["workspace", "harbour-pdf", "Harbour Data Pilot", "harbour.pdf", 2, 2] in document_rows(advisor)
    assert remove(advisor, "harbour-pdf", ADMIN_KEY) == "Deleted **harbour-pdf**."
    assert advisor.workspace.count() == 0


def test_upload_in_the_browser(admin_server, tmp_path: Path):
    """A person opens the chat, expands "Your documents", unlocks it with the key, picks a PDF, adds it."""
    pdf = make_pdf(tmp_path / "browser-harbour.pdf", HARBOUR_PAGES)
    with chromium() as browser:
        page = browser.new_page()
        page.goto(admin_server.url + "/", wait_until="load")
        page.get_by_text("Your documents").first.click()
        # Upload and delete appear only after a valid key, and the upload itself carries the key.
        page.get_by_label("Admin key").fill(ADMIN_KEY)
        page.get_by_role("button", name="Unlock").click()
        # The file picker is usable once the unlock round trip has shown the admin column: choosing a
        # file before that raced the unlock under load (CI, 2 cores, two workers).
        page.get_by_text("Unlocked.").first.wait_for(timeout=30_000)
        admin = page.locator("#documents-admin")
        admin.wait_for(state="visible", timeout=30_000)
        admin.locator("input[type=file]").first.set_input_files(str(pdf))
        # The upload finished: the file list names it. Its text is split ("browser-harbour" ".pdf"), so
        # a text match only ever caught the transient progress line, and missed it when the upload was quick.
        admin.get_by_label("browser-harbour.pdf").first.wait_for(timeout=30_000)
        page.get_by_role("button", name="Add to workspace").click()
        page.get_by_text("browser-harbour-pdf: added").first.wait_for(timeout=60_000)
        # Asked in the same chat, the answer's source names the file and the page.
        page.fill("#question textarea", "Who recalibrates the quay sensors in Port Lindqvist?")
        page.click("#ask")
        page.locator("#sources-panel .src-file").get_by_text("browser-harbour.pdf, page 2").first.wait_for(
            state="attached", timeout=60_000
        )
    assert "browser-harbour-pdf" in {d["id"] for d in _documents(admin_server.url)}
    r = httpx.delete(admin_server.url + "/api/documents/browser-harbour-pdf", headers={"X-Admin-Key": ADMIN_KEY})
    assert r.status_code == 200


def test_writes_hold_a_lock_other_processes_see(workspace_advisor: Advisor):
    """The write lock is an OS file lock too, so an `advisor ingest` and a server sharing the data
    folder never replace documents at the same moment."""
    import fcntl

    lock_file = workspace_advisor.settings.data_dir / "write.lock"
    with workspace_advisor.write_lock:
        with lock_file.open("a") as other, pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    with lock_file.open("a") as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again once the write is done
        fcntl.flock(other, fcntl.LOCK_UN)
