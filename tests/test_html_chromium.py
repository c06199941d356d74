"""The HTML report in headless Chromium: it renders its charts and tables, logs no errors, and is not blank."""

from __future__ import annotations

import csv
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from probation_themes.codebook import Codebook, save_codebook
from cli_helpers import invoke

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed (.ci/run installs it)")


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
    assert dom.stdout.count('class="heat"') == 2 and "Themes by region" in dom.stdout
    assert "quotations listed under themes" in dom.stdout  # the filter script ran
    assert "<script>alert(1)" not in dom.stdout and "&lt;script&gt;alert(1)" in dom.stdout  # escaped
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []

    shot = tmp_path / "shot.png"
    result = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1000,1400", html.as_uri())
    assert result.returncode == 0 and shot.exists(), result.stderr
    assert png_colours(shot.read_bytes()) > 20  # text, heat-map shades and bars, not a blank page


_AUDIT = """
<script>
(function () {
  var problems = [], width = window.innerWidth;
  if (document.documentElement.scrollWidth > width + 1) {
    problems.push("page wider than the window: " + document.documentElement.scrollWidth + " > " + width);
  }
  var texts = document.querySelectorAll("table.heat th, table.heat td, table.heat th span, table.split td, "
                                        + "svg.chart text, p, blockquote, h1, h2, h3");
  for (var i = 0; i < texts.length; i++) {
    var el = texts[i], box = el.getBoundingClientRect();
    if (!el.textContent.trim() || box.width === 0) { continue; }
    var size = parseFloat(getComputedStyle(el).fontSize) * (box.width / (el.offsetWidth || box.width));
    if (el instanceof SVGElement) {  // an SVG scaled down shrinks its text: measure what is drawn
      var svg = el.ownerSVGElement, scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
      size = parseFloat(getComputedStyle(el).fontSize) * scale;
      var track = el.nextElementSibling;
      if (track && track.getAttribute("class") === "track" && box.right > track.getBoundingClientRect().left + 1) {
        problems.push("chart label runs into its bar: " + el.textContent);
      }
    }
    if (size < 9) { problems.push("text of " + size.toFixed(1) + " px: " + el.textContent.slice(0, 40)); }
    if (box.right > width + 1) { problems.push("text beyond the page edge: " + el.textContent.slice(0, 40)); }
    if (!(el instanceof SVGElement) && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)
        && getComputedStyle(el).overflow !== "visible") {
      problems.push("text cut: " + el.textContent.slice(0, 40));
    }
  }
  document.body.setAttribute("data-audit", JSON.stringify(problems));
})();
</script>
"""

REGIONS = ("East Midlands", "East of England", "Greater Manchester", "Kent, Surrey and Sussex", "London",
           "North East", "North West", "South Central", "South West", "Wales", "West Midlands",
           "Yorkshire and the Humber")


def test_heat_maps_fit_a_1280_px_screen_and_an_a4_page_with_every_label_whole(tmp_path: Path):
    import json
    from html import unescape

    survey = tmp_path / "survey.csv"
    answers = ("My caseload is far too high.", "The laptops crash.", "Leaders never listened to us.", "Fine.")
    with survey.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["id", "region", "org", "q1"]] + [
            [f"r{i}", REGIONS[i % 12] if i % 13 else "", ("CRC", "NPS", "Other")[i % 3], answers[i % 4]]
            for i in range(160)])
    project = tmp_path / "p.db"
    assert invoke("ingest", survey, "-p", project, "--id-col", "id", "--region-col", "region", "--org-col", "org",
                  "--text-col", "q1").exit_code == 0
    root = Path(__file__).resolve().parents[1]
    assert invoke("code", "--codebook", root / "codebooks" / "probation_unification.yaml", "-p", project).exit_code == 0
    html = tmp_path / "report.html"
    assert invoke("report", "-o", html, "-p", project, "--by", "org,region").exit_code == 0
    page = html.read_text(encoding="utf-8")
    assert all(name in unescape(page) for name in REGIONS)  # every name whole in the page, none shortened
    assert "…</" not in page
    screen = tmp_path / "screen.html"
    screen.write_text(page.replace("</body>", _AUDIT + "</body>"), encoding="utf-8")
    # A4 print: the print styles in force, in a window as wide as an A4 page's text (210 mm less 2 × 15 mm).
    printed = tmp_path / "print.html"
    printed.write_text(page.replace("@media print {", "@media all {").replace("</body>", _AUDIT + "</body>"),
                       encoding="utf-8")
    for target, window in ((screen, "1280,1000"), (printed, "680,1000")):
        dom = _chromium(tmp_path, "--dump-dom", f"--window-size={window}", target.as_uri())
        assert dom.returncode == 0, dom.stderr
        found = dom.stdout.split('data-audit="', 1)[1].split('"', 1)[0]
        assert json.loads(unescape(found)) == [], target.name
        shot = tmp_path / f"{target.stem}.png"
        result = _chromium(tmp_path, f"--screenshot={shot}", f"--window-size={window}", target.as_uri())
        assert result.returncode == 0 and png_colours(shot.read_bytes()) > 20


def test_the_audit_catches_a_shrunken_or_cut_chart(tmp_path: Path):
    import json
    from html import unescape

    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><body style="width:600px"><svg class="chart" viewBox="0 0 1300 40" width="1300" '
        'style="max-width:100%"><text x="0" y="20" style="font-size:12px">Kent, Surrey and Sussex</text></svg>'
        '<table class="heat"><tr><td style="display:block;width:30px;overflow:hidden;white-space:nowrap">'
        "Yorkshire and the Humber</td></tr></table>" + _AUDIT + "</body></html>", encoding="utf-8")
    dom = _chromium(tmp_path, "--dump-dom", "--window-size=1280,800", bad.as_uri())
    problems = json.loads(unescape(dom.stdout.split('data-audit="', 1)[1].split('"', 1)[0]))
    assert any("px: Kent" in p for p in problems) and any("text cut: Yorkshire" in p for p in problems)
