"""The HTML report in headless Chromium: it renders its charts and tables, logs no errors, and is not blank."""

from __future__ import annotations

import csv
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.codebook import Codebook, save_codebook

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed (.ci/run installs it)")
runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
             f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]
    return subprocess.run([str(CHROMIUM), *flags, *args], capture_output=True, text=True, timeout=120)


def png_colours(data: bytes) -> int:
    """Distinct pixel colours of an 8-bit RGB or RGBA PNG (decoded with zlib; no imaging library)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, width = 8, [], 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, _height, depth, colour_type = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour_type in (2, 6)
            channels = 3 if colour_type == 2 else 4
        elif kind == b"IDAT":
            chunks.append(body)
        pos += length + 12
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    colours, previous = set(), bytearray(stride)
    for row_start in range(0, len(raw), stride + 1):
        kind, line = raw[row_start], bytearray(raw[row_start + 1:row_start + 1 + stride])
        for i in range(stride):  # undo the PNG row filters
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, channels * 7))
        previous = line
    return len(colours)


def test_html_report_renders_charts_and_tables_without_console_errors(tmp_path: Path):
    survey = tmp_path / "survey.csv"
    with survey.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([
            ["id", "region", "org", "q1"],
            *[[f"r{i}", ("London", "Wales", "North West")[i % 3], ("CRC", "NPS")[i % 2],
               ("My caseload is far too high.", "The laptops crash <script>alert(1)</script>", "Fine.")[i % 3]]
              for i in range(12)],
        ])
    project = tmp_path / "p.db"
    assert invoke("ingest", survey, "-p", project, "--id-col", "id", "--region-col", "region", "--org-col", "org",
                  "--text-col", "q1").exit_code == 0
    book = tmp_path / "book.yaml"
    save_codebook(Codebook.model_validate({"name": "mini", "version": "1.0.0", "codes": [
        {"id": "workload", "label": "High workloads", "definition": "d", "rules": {"any": ["caseload*"]}},
        {"id": "ict", "label": "ICT", "definition": "d", "rules": {"any": ["laptop*"]}, "color": "#D55E00"},
    ]}), book)
    assert invoke("code", "--codebook", book, "-p", project).exit_code == 0
    html = tmp_path / "report.html"
    assert invoke("report", "-f", "html", "-o", html, "-p", project, "--by", "org,region", "--min-cell", "2").exit_code == 0
    assert "http://" not in html.read_text(encoding="utf-8") and "https://" not in html.read_text(encoding="utf-8")

    dom = _chromium(tmp_path, "--dump-dom", html.as_uri())
    assert dom.returncode == 0, dom.stderr
    assert dom.stdout.count('class="crosstab"') == 2 and "Themes by region" in dom.stdout
    assert "quotations shown" in dom.stdout  # the filter script ran
    assert "<script>alert(1)" not in dom.stdout and "&lt;script&gt;alert(1)" in dom.stdout  # escaped
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []

    shot = tmp_path / "shot.png"
    result = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1000,1400", html.as_uri())
    assert result.returncode == 0 and shot.exists(), result.stderr
    assert png_colours(shot.read_bytes()) > 20  # text, heat-map shades and bars, not a blank page
