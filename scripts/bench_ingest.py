"""Ingest time per format: the same ~20-page text as PDF, DOCX, HTML, Markdown and plain text.

Run: PYTHONPATH=. .venv/bin/python scripts/bench_ingest.py [--pages 20]
Prints one row per format: file size, chunks, load (parse) time, full ingest time (parse, chunk,
embed, write, commit) and the time of an unchanged re-ingest. Uses a throw-away data folder.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

WORDS = (
    "municipal fibre cooperative broadband village duct budget harbour sensor data pilot grant "
    "procurement luminaire open protocol governance board assembly ballot route network operator "
    "maintenance register technician calibration funding application deadline partner ministry "
    "identity interoperability cloud security resilience skills training workshop platform"
).split()


def paragraphs(pages: int, seed: int = 7) -> list[tuple[str, list[str]]]:
    """(heading, paragraphs) per page; ~280 words a page, like a dense report."""
    rng = random.Random(seed)
    out = []
    for page in range(pages):
        heading = f"Section {page + 1}: {rng.choice(WORDS).title()} {rng.choice(WORDS).title()}"
        paras = []
        for _ in range(4):
            sentences = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "." for _ in range(5)]
            paras.append(" ".join(sentences))
        out.append((heading, paras))
    return out


def write_all(folder: Path, content: list[tuple[str, list[str]]]) -> dict[str, Path]:
    import docx
    from fpdf import FPDF

    files = {}
    pdf = FPDF()
    pdf.set_title("Benchmark Report")
    for heading, paras in content:
        pdf.add_page()
        pdf.start_section(heading)
        pdf.set_font("Helvetica", size=14)
        pdf.cell(text=heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        for para in paras:
            pdf.multi_cell(0, 5, para, new_x="LMARGIN", new_y="NEXT")
    files["pdf"] = folder / "report.pdf"
    pdf.output(str(files["pdf"]))

    document = docx.Document()
    document.add_heading("Benchmark Report", level=0)
    for index, (heading, paras) in enumerate(content):
        if index:
            document.add_page_break()
        document.add_heading(heading, level=1)
        for para in paras:
            document.add_paragraph(para)
    files["docx"] = folder / "report.docx"
    document.save(str(files["docx"]))

    body = "".join(f"<h2>{h}</h2>" + "".join(f"<p>{p}</p>" for p in ps) for h, ps in content)
    files["html"] = folder / "report.html"
    files["html"].write_text(f"<html><head><title>Benchmark Report</title></head><body><h1>Benchmark Report</h1>{body}</body></html>")
    markdown = "# Benchmark Report\n\n" + "".join(f"## {h}\n\n" + "\n\n".join(ps) + "\n\n" for h, ps in content)
    files["md"] = folder / "report.md"
    files["md"].write_text(markdown)
    files["txt"] = folder / "report.txt"
    files["txt"].write_text("\n\n".join(p for _, ps in content for p in ps))
    return files


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from advisor.components import build_advisor
    from advisor.indexing.ingest import ingest_paths
    from advisor.indexing.loaders import load_document
    from advisor.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = write_all(folder, paragraphs(args.pages))
        advisor = build_advisor(Settings(data_dir=folder / "data"))
        warm = folder / "warm-up.md"
        warm.write_text("# Warm up\n\n## One\n\nThe first write creates the collection and loads the model.\n")
        ingest_paths([warm], advisor.workspace, advisor.taxonomy, advisor.settings)  # not measured
        print(f"{'format':<6} {'KB':>7} {'chunks':>6} {'load s':>7} {'ingest s':>8} {'unchanged s':>11}")
        for fmt, path in files.items():
            loads = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                load_document(path)
                loads.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            report = ingest_paths([path], advisor.workspace, advisor.taxonomy, advisor.settings)
            ingest_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            ingest_paths([path], advisor.workspace, advisor.taxonomy, advisor.settings)
            unchanged_s = time.perf_counter() - t0
            assert not report.failed, report.failed
            print(
                f"{fmt:<6} {path.stat().st_size / 1024:>7.1f} {report.chunks_written:>6} "
                f"{statistics.median(loads):>7.3f} {ingest_s:>8.2f} {unchanged_s:>11.2f}"
            )


if __name__ == "__main__":
    main()
