"""The weekly compliance email: content, queueing through the outbox (once per week and address),
the MIME structure (inline chart, XLSX attached), and how it looks in a real browser."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from PIL import Image
from sqlalchemy import select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import OutboxMail
from mailflow.adapters.mime_build import build_mime
from mailflow.domain.periods import parse_period
from mailflow.services.outbound.outbox import resolve_attachments
from mailflow.services.reports.weekly_email import (
    build_weekly_email,
    send_weekly,
    week_to_report,
    write_weekly_files,
)
from tests.reports.conftest import MakeContext
from tests.reports.seed import at

NOW = at("2026-12-28", "07:30")  # Monday morning: the job reports week 52
WEEK = parse_period("weekly", "2026-W52", NOW.date())
CHROMIUM = "/usr/bin/chromium"
DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_monday_reports_last_week() -> None:
    assert week_to_report(NOW.date()) == WEEK
    assert week_to_report(at("2027-01-03", "23:00").date()).key == "2026-W52"  # a Sunday


def test_email_text_and_html(seeded_sqlite: Database, make_context: MakeContext) -> None:
    email = build_weekly_email(make_context(seeded_sqlite, NOW), WEEK)
    assert email.subject == (
        "[LAPOR Bontang] Laporan kepatuhan SOP mingguan: Minggu ke-52 Tahun 2026 (21–27 Desember 2026)"
    )
    # The overdue step as of the sending moment: 22.5 business hours (see test_figures).
    assert "LPR-2026-00102, langkah 4" in email.text
    assert "terlambat 22 jam 30 menit" in email.text
    assert re.search(r"10\s+3\s+66,7%", email.text)  # step 10: 2 of 3 on time
    html = email.html
    assert "<script" not in html.lower()
    assert re.findall(r'src="([^"]+)"', html) == [f"cid:{email.chart_cid}"]  # no remote images
    assert "<link" not in html.lower()
    assert "66,7%" in html
    assert "22 jam 30 menit" in html
    assert "Sampah menumpuk di Pasar Rawa Indah" in html
    book = openpyxl.load_workbook(email.xlsx)
    assert "Tren langkah" in book.sheetnames
    trend = {row[0].value: [c.value for c in row] for row in book["Tren langkah"].iter_rows(min_row=2)}
    assert trend[4][2:] == [None, None, None, None, 0.0, 1.0, None, 1.0]  # W45..W52
    assert email.chart.stat().st_size > 10_000


def test_english_email(seeded_sqlite: Database, make_context: MakeContext) -> None:
    email = build_weekly_email(make_context(seeded_sqlite, NOW, "en"), WEEK)
    assert email.subject.endswith("Weekly SOP compliance report: Week 52 of 2026 (21–27 December 2026)")
    assert "late by 22 hours 30 minutes" in email.text
    assert "66.7%" in email.html
    assert "Compliance per SOP step" in email.html


def test_queued_once_per_week_and_address(seeded: Database, make_context: MakeContext) -> None:
    ctx = make_context(seeded, NOW)
    recipients = ["Andi Pratama <admin.lapor@bontangkota.go.id>", "admin2.lapor@bontangkota.go.id"]
    first = send_weekly(ctx, WEEK, recipients, from_address="lapor@diskominfo.bontangkota.go.id")
    assert len(first.queued) == 2
    assert first.already == ()
    again = send_weekly(ctx, WEEK, recipients, from_address="lapor@diskominfo.bontangkota.go.id")
    assert again.queued == ()
    assert len(again.already) == 2
    assert again.email is None  # nothing rebuilt: the queued mails keep their files
    with seeded.reader() as session:
        rows = session.execute(select(OutboxMail).order_by(OutboxMail.id)).scalars().all()
        assert [r.to_addr for r in rows] == [
            "admin.lapor@bontangkota.go.id",
            "admin2.lapor@bontangkota.go.id",
        ]
        assert rows[0].to_name == "Andi Pratama"
        assert rows[0].kind == "weekly_report"
        row = rows[0]
        files = resolve_attachments(session, row)
        assert files is not None
        raw = build_mime(
            row, from_addr="lapor@diskominfo.bontangkota.go.id", from_name="LAPOR Bontang", files=files
        )
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    check_mime(message)


def check_mime(message: EmailMessage) -> None:
    """multipart/mixed: [multipart/alternative: text, multipart/related: html + png], xlsx."""
    assert message.get_content_type() == "multipart/mixed"
    assert message["Auto-Submitted"] == "auto-generated"
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    cids = re.findall(r'src="cid:([^"]+)"', html.get_content())
    parts = {part.get_content_type(): part for part in message.walk()}
    image = parts["image/png"]
    assert image["Content-ID"] == f"<{cids[0]}>"
    assert image.get_content().startswith(b"\x89PNG")
    sheet = parts["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]
    assert sheet.get_filename() == "laporan_kepatuhan_mingguan_2026-W52.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(sheet.get_content()))
    summary = [c.value for c in book["Ringkasan"][2]]
    assert summary[:6] == [4, 3, 1, 4, 1, 0.25]
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    assert "LPR-2026-00102" in text.get_content()


def test_out_folder_has_eml_html_png(
    seeded_sqlite: Database, make_context: MakeContext, tmp_path: Path
) -> None:
    email = build_weekly_email(make_context(seeded_sqlite, NOW), WEEK)
    files = write_weekly_files(
        email, tmp_path / "out", from_addr="lapor@diskominfo.bontangkota.go.id", from_name="LAPOR Bontang",
        to_addr="admin.lapor@bontangkota.go.id", now=NOW,
    )  # fmt: skip
    assert sorted(files) == ["eml", "html", "png", "xlsx"]
    message = message_from_bytes(files["eml"].read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    check_mime(message)
    page = files["html"].read_text(encoding="utf-8")
    assert f'src="{files["png"].name}"' in page
    assert "cid:" not in page


@pytest.mark.slow
def test_email_renders_in_chromium(
    seeded_sqlite: Database, make_context: MakeContext, tmp_path: Path
) -> None:
    """A real browser draws the HTML part (chart included); the screenshot is looked at by a
    person when the layout changes: MAILFLOW_UPDATE_DOCS=1 copies it to docs/weekly_email.png."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    email = build_weekly_email(make_context(seeded_sqlite, NOW), WEEK)
    files = write_weekly_files(
        email, tmp_path / "out", from_addr="lapor@diskominfo.bontangkota.go.id", from_name="LAPOR Bontang",
        to_addr="admin.lapor@bontangkota.go.id", now=NOW,
    )  # fmt: skip
    shot = tmp_path / "weekly_email.png"
    width, height = 760, 2600
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
         f"--window-size={width},{height}", files["html"].as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    image = Image.open(shot).convert("RGB")
    assert image.size == (width, height)
    colours = image.getcolors(maxcolors=1_000_000)
    assert colours is not None
    assert len(colours) > 500  # text, table rules, the chart: not a blank page
    assert _has_pixels(image, (31, 78, 121), box=(0, 0, width, 200))  # the blue header band
    assert _has_pixels(image, (46, 139, 87), box=(0, 400, width, 1200))  # green chart cells
    if os.environ.get("MAILFLOW_UPDATE_DOCS") == "1":
        shutil.copyfile(shot, DOCS / "weekly_email.png")


def _has_pixels(image: Image.Image, rgb: tuple[int, int, int], *, box: tuple[int, int, int, int]) -> bool:
    colours = image.crop(box).getcolors(maxcolors=1_000_000) or []
    near = sum(
        count for count, pixel in colours if all(abs(a - b) <= 6 for a, b in zip(pixel, rgb, strict=True))
    )
    return near > 200
