"""Issue 11 point 6, DOCX and mail side: Jinja syntax written by a complainant or an official
stays text. Letters (docxtpl) and mails (Jinja) are rendered once, with user text as values, so
"{{ settings.token_secret }}" must come out literally, never as the secret or as nothing.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Document, OutboxMail
from mailflow.adapters.docx_text import docx_text
from mailflow.config.directory_file import load_directory
from mailflow.config.loader import load_config
from mailflow.services.letters.service import LetterService
from tests.engine.harness import make_harness
from tests.fixtures.dovecot import DovecotServer
from tests.fixtures.smtp import SmtpServer
from tests.ingest.builders import complaint
from tests.ingest.conftest import make_env

WITA = ZoneInfo("Asia/Makassar")
PROBES = (
    "{{ settings.token_secret }}",
    "{{ 7*7 }}",
    "{% for x in range(3) %}ulang{% endfor %}",
    "{{r x }}",
    "{%p if true %}",
    "{{ case_number }}",
)
HOSTILE = " ".join(PROBES)


def _walk(tmp_path: Path, database: Database) -> tuple[list[OutboxMail], list[Document], str]:
    h = make_harness(database, tmp_path, datetime(2026, 11, 30, 8, 5, tzinfo=WITA))
    settings = load_config(h.base / "mailflow.toml", env={})
    h.use_letters(LetterService(settings, load_directory(settings.paths.directory)))
    h.register(subject=f"Lampu mati {HOSTILE}", body=f"Lampu jalan mati sejak 3 malam. {HOSTILE}")
    h.reply(h.mails(to="ikp.kominfo@bontangkota.go.id")[0], "VALID DISHUB")
    h.reply(h.mails(to="kadis.kominfo@bontangkota.go.id")[0], "SETUJU")
    h.reply(h.mails(to="sekretaris.dishub@bontangkota.go.id")[0], "TERIMA")
    h.reply(h.mails(to="kadis.dishub@bontangkota.go.id")[0], f"DISPOSISI PJU: segera dicek {HOSTILE}")
    h.reply(
        h.mails(to="pju.dishub@bontangkota.go.id")[0],
        f"TANGGAPAN\nLampu sudah diganti. {HOSTILE}",
        advance=timedelta(hours=3),
    )
    with database.reader() as session:
        mails = list(session.execute(select(OutboxMail).order_by(OutboxMail.id)).scalars())
        documents = list(session.execute(select(Document).order_by(Document.id)).scalars())
        session.expunge_all()
    return mails, documents, settings.tokens.secret.get_secret_value()


def _mail_text(mail: OutboxMail) -> str:
    return "\n".join((mail.subject, mail.text_body, html.unescape(mail.html_body or "")))


def test_jinja_in_user_text_is_inert_in_every_letter_and_mail(sqlite_db: Database, tmp_path: Path) -> None:
    mails, documents, secret = _walk(tmp_path, sqlite_db)
    assert sorted(d.kind for d in documents) == [
        "lembar_disposisi", "lembar_disposisi", "nota_dinas", "surat_tanggapan",
    ]  # fmt: skip
    texts = {f"mail {m.id} {m.kind}": _mail_text(m) for m in mails}
    for document in documents:
        assert document.docx_path is not None
        texts[f"{document.kind} {document.id}"] = docx_text(Path(document.docx_path))
    for name, text in texts.items():
        assert secret not in text, name
        assert "ulangulangulang" not in text, name
        if "{{" in text or "{%" in text:  # wherever user text is shown, it is shown whole
            assert HOSTILE in text.replace("\n", " "), name
    shown_in = [name for name, text in texts.items() if HOSTILE in text.replace("\n", " ")]
    for kind in ("nota_dinas", "lembar_disposisi", "surat_tanggapan", "action.2"):
        assert any(kind in name for name in shown_in), (kind, shown_in)


@pytest.mark.imap
def test_jinja_in_a_complaint_is_inert_in_the_acknowledgement(
    tmp_path: Path, dovecot: DovecotServer, smtp: SmtpServer, clock: Any
) -> None:
    env = make_env(tmp_path, dovecot, smtp, clock)
    try:
        env.append(complaint(5, subject=f"Jalan rusak {HOSTILE}", body=f"Jalan rusak. {HOSTILE}"))
        env.poll_once()
        [ack] = env.rows(OutboxMail)
        secret = env.app.settings.tokens.secret.get_secret_value()
        text = _mail_text(ack)
        assert secret not in text and "ulangulangulang" not in text
        assert HOSTILE in text.replace("\n", " ")
    finally:
        env.app.close()
