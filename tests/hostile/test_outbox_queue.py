"""Issue 11 point 5, at the door: every mail is checked when it is queued (SQLite and PostgreSQL).

A recipient that is not a plain address, a Reply-To that is not one, or a header the email
package refuses makes the mail `failed` with its reason (never `queued`), while the caller's
transaction (the case, the other mails) commits. Hostile text that can be cleaned is cleaned:
display names lose bidi and control characters (a name that looks like an address is dropped),
the subject and extra headers become one line, an invalid Cc is dropped.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import OutboxMail
from mailflow.domain.mail import OutgoingMail
from mailflow.services.outbound.outbox import queue

DOMAIN = "diskominfo.bontangkota.go.id"
NOW = datetime(2026, 11, 30, 0, 5, tzinfo=UTC)


def _mail(n: int, **values: object) -> OutgoingMail:
    fields: dict[str, object] = {
        "kind": "ack",
        "to_addr": f"warga{n}@gmail.com",
        "subject": f"[LPR-2026-{n:05d}] Aduan Anda telah kami terima",
        "text": "Terima kasih, aduan Anda telah kami catat.",
        "dedup_key": f"test:{n}",
    }
    fields.update(values)
    return OutgoingMail(**fields)  # type: ignore[arg-type]


def _rows(database: Database) -> dict[str, OutboxMail]:
    with database.reader() as session:
        rows = list(session.execute(select(OutboxMail)).scalars())
        session.expunge_all()
    return {row.dedup_key or "": row for row in rows}


@pytest.mark.parametrize(
    "address",
    [
        "Big Bug bb@bug.com",  # a From without angle brackets, seen in real mail
        "big bug bb@bug.com",  # the same as the old parser stored it
        "ali\u202e@gmail.com",
        "budi@gmail.com\r\nBcc: semua@bontangkota.go.id",
        "budi@dinas.go.id, stranger@evil.example",
        "",
        "budi",
    ],
)
def test_an_invalid_recipient_is_stored_failed_with_its_reason_and_the_transaction_commits(
    database: Database, address: str
) -> None:
    with database.transaction() as session:
        queue(session, _mail(1), now=NOW, domain=DOMAIN)
        bad = queue(session, _mail(2, to_addr=address), now=NOW, domain=DOMAIN)
        queue(session, _mail(3), now=NOW, domain=DOMAIN)
        assert bad.status == "failed"
    rows = _rows(database)
    assert (rows["test:1"].status, rows["test:3"].status) == ("queued", "queued")
    failed = rows["test:2"]
    assert failed.status == "failed" and failed.attempts == 0
    reason = failed.last_error or ""
    assert reason.startswith("invalid_to: alamat penerima tidak sah")
    assert "\u202e" not in reason and "\r" not in reason and "\n" not in reason


def test_the_reason_follows_the_mail_language(database: Database) -> None:
    with database.transaction() as session:
        queue(session, _mail(1, to_addr="Big Bug bb@bug.com", language="en"), now=NOW, domain=DOMAIN)
    assert (_rows(database)["test:1"].last_error or "").startswith(
        "invalid_to: the recipient address is not valid"
    )


def test_invalid_reply_to_and_header_names_fail_the_mail(database: Database) -> None:
    with database.transaction() as session:
        queue(session, _mail(1, reply_to="lapor+tok en@diskominfo"), now=NOW, domain=DOMAIN)
        queue(session, _mail(2, headers={"X-Mailflow Case": "LPR-2026-00001"}), now=NOW, domain=DOMAIN)
        queue(session, _mail(3, headers={"Subject:": "dua kali"}), now=NOW, domain=DOMAIN)
    rows = _rows(database)
    assert rows["test:1"].status == "failed"
    assert (rows["test:1"].last_error or "").startswith("invalid_reply_to:")
    for key in ("test:2", "test:3"):
        assert rows[key].status == "failed"
        assert (rows[key].last_error or "").startswith("invalid_header:")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ali \u202egnp.exe", "Ali gnp.exe"),  # the override is gone, the letters stay
        ("Siti\x1b[31m Rahma\x1b[0m", "Siti[31m Rahma[0m"),
        ("Budi\r\nBcc: semua@bontangkota.go.id", None),  # a header in disguise
        ("Ir. Budi Santoso <budi.santoso@dpupr.bontangkota.go.id>", None),  # an address as a name
        ("Budi > Kepala", None),
        ("\u200b\u202e", None),  # nothing left
        ('Siti "Ibu RT" Rahma, S.Pd.', 'Siti "Ibu RT" Rahma, S.Pd.'),  # quoted by the email package
    ],
)
def test_display_names_are_cleaned_or_dropped(database: Database, name: str, expected: str | None) -> None:
    with database.transaction() as session:
        queue(session, _mail(1, to_name=name), now=NOW, domain=DOMAIN)
    row = _rows(database)["test:1"]
    assert row.status == "queued"
    assert row.to_name == expected


def test_subject_and_copied_headers_become_one_clean_line(database: Database) -> None:
    hostile_id = "<abc@mail.gmail.com>\r\nBcc: semua@bontangkota.go.id"
    with database.transaction() as session:
        queue(
            session,
            _mail(
                1,
                subject="[LPR-2026-00001] Jalan rusak\n2026-11-30 INFO forged line \x1b[31m\u202e",
                headers={"In-Reply-To": hostile_id, "References": hostile_id},
            ),
            now=NOW,
            domain=DOMAIN,
        )
    row = _rows(database)["test:1"]
    assert row.status == "queued"
    assert row.subject == "[LPR-2026-00001] Jalan rusak 2026-11-30 INFO forged line [31m"
    headers = json.loads(row.headers or "{}")
    assert headers["In-Reply-To"] == "<abc@mail.gmail.com> Bcc: semua@bontangkota.go.id"
    assert all("\n" not in value and "\r" not in value for value in headers.values())


def test_an_invalid_cc_is_dropped_and_the_valid_ones_kept(database: Database) -> None:
    with database.transaction() as session:
        queue(
            session,
            _mail(1, cc=("Sekretaris@Dishub.bontangkota.go.id", "sekretaris dishub", "x\u202e@y.com")),
            now=NOW,
            domain=DOMAIN,
        )
    row = _rows(database)["test:1"]
    assert (row.status, row.cc_addrs) == ("queued", "sekretaris@dishub.bontangkota.go.id")


def test_a_failed_mail_keeps_its_dedup_key(database: Database) -> None:
    """Work repeated after a crash finds the failed row and does not queue a second one."""
    with database.transaction() as session:
        first = queue(session, _mail(1, to_addr="Big Bug bb@bug.com"), now=NOW, domain=DOMAIN)
        again = queue(session, _mail(1, to_addr="Big Bug bb@bug.com"), now=NOW, domain=DOMAIN)
        assert again.id == first.id
    assert len(_rows(database)) == 1


def test_a_body_that_cannot_be_encoded_is_stored_failed_and_the_transaction_commits(
    database: Database,
) -> None:
    """A lone surrogate (what a decoder bug upstream could leave) cannot be written to the database
    as UTF-8: the mail is stored failed with its reason and the text made storable, instead of the
    INSERT failing the caller's whole transaction."""
    with database.transaction() as session:
        queue(session, _mail(1), now=NOW, domain=DOMAIN)
        bad = queue(
            session,
            _mail(
                2,
                subject="Aduan \udc9d lampu",
                text="Lampu mati \udc8f di depan masjid",
                html="<p>\ud800</p>",
            ),
            now=NOW,
            domain=DOMAIN,
        )
        queue(session, _mail(3), now=NOW, domain=DOMAIN)
        assert bad.status == "failed"
    rows = _rows(database)
    assert (rows["test:1"].status, rows["test:3"].status) == ("queued", "queued")
    failed = rows["test:2"]
    assert failed.status == "failed" and (failed.last_error or "").startswith("unbuildable:")
    assert failed.text_body == "Lampu mati \ufffd di depan masjid" and failed.html_body == "<p>\ufffd</p>"
    assert failed.subject == "Aduan \ufffd lampu"
