"""Issue 14 point 7: officials' mails are never delayed a day. Over Dovecot (the complaints and the
officials' replies), the conversation engine, and aiosmtpd (what the officials receive), on
SQLite and PostgreSQL.

- 200 complaints within an hour reach the Kabid IKP as at most 12 mails (one per 5 minutes),
  none held to the next day's digest, each case in exactly one of them, none later than the
  grouping window after it fell due;
- a one-click command of one case inside a grouped mail acts on that case only; a plain reply
  to the grouped mail acts on nothing and is answered with an explanation;
- the daily cap still holds mail to strangers and answers to bad mail, never an official's work;
- several senders on PostgreSQL group and send every action mail exactly once.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from sqlalchemy import select

from mailflow.adapters.db.models import Case, Message, OutboxMail, QuarantineItem, StepEvent
from mailflow.bootstrap import ingest as ingest_app
from mailflow.clock import ManualClock
from mailflow.domain.mail import AttachmentRef, OutgoingMail
from mailflow.domain.tokens import token_from_message_id
from mailflow.services.outbound.outbox import queue
from tests.conftest import new_pg_database
from tests.fixtures.dovecot import DovecotServer
from tests.fixtures.smtp import Delivery, SmtpServer
from tests.ingest.builders import complaint
from tests.ingest.conftest import BACKENDS, IngestEnv, env_on_backend, make_env

pytestmark = [pytest.mark.imap, pytest.mark.slow]

IKP = "ikp.kominfo@bontangkota.go.id"
DOMAIN = "diskominfo.bontangkota.go.id"
CASE = re.compile(r"LPR-2026-\d{5}")


@pytest.fixture(params=BACKENDS)
def env(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    dovecot: DovecotServer,
    smtp: SmtpServer,
    clock: ManualClock,
) -> Iterator[IngestEnv]:
    with env_on_backend(request, tmp_path, dovecot, smtp, clock) as environment:
        yield environment


def text_of(delivery: Delivery) -> str:
    body = message_from_bytes(delivery.data, policy=policy.default).get_body(("plain",))
    assert body is not None
    return str(body.get_content())


class Sections(HTMLParser):
    """The case sections of a grouped mail's HTML as a mail client shows them: each case number
    in bold, then that case's command buttons (link text and mailto: address)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, list[tuple[str, str]]] = {}
        self._case: str | None = None
        self._href: str | None = None
        self._bold = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._bold = self._bold or tag == "b"
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_endtag(self, tag: str) -> None:
        self._bold = self._bold and tag != "b"
        if tag == "a":
            self._href = None

    def handle_data(self, data: str) -> None:
        found = CASE.search(data)
        if self._bold and found and self._href is None:
            self._case = found.group(0)
            self.links.setdefault(self._case, [])
        elif self._href and self._href.startswith("mailto:") and self._case:
            self.links[self._case].append((data.strip(), self._href))


def sections_of(delivery: Delivery) -> dict[str, list[tuple[str, str]]]:
    html = message_from_bytes(delivery.data, policy=policy.default).get_body(("html",))
    assert html is not None
    parser = Sections()
    parser.feed(str(html.get_content()))
    return parser.links


def thunderbird_mailto(href: str, sender: str, name: str, when: Any) -> bytes:
    """What Thunderbird sends after a click on a mailto: link and Send: a new mail (no
    In-Reply-To) to the link's address with its subject and body, the signature below."""
    parts = urlsplit(href)
    query = parse_qs(parts.query)
    message = EmailMessage(policy=SMTP)
    message["From"] = f"{name} <{sender}>"
    message["To"] = unquote(parts.path)
    message["Subject"] = query["subject"][0]
    message["Date"] = format_datetime(when)
    message["Message-ID"] = make_msgid("tb", domain="bontangkota.go.id")
    message["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.5.0"
    message.set_content(f"{query['body'][0]}\n\n-- \n{name}\nDiskominfo Kota Bontang\n")
    return message.as_bytes()


def gmail_reply(original: Delivery, sender: str, name: str, body: str, when: Any) -> bytes:
    """The reply button in Gmail: to the Reply-To, threaded under the original, history quoted."""
    parsed = message_from_bytes(original.data, policy=policy.default)
    message = EmailMessage(policy=SMTP)
    message["From"] = f"{name} <{sender}>"
    message["To"] = str(parsed["Reply-To"])
    message["Subject"] = f"Re: {parsed['Subject']}"
    message["Date"] = format_datetime(when)
    message["Message-ID"] = make_msgid("gm", domain="mail.gmail.com")
    message["In-Reply-To"] = str(parsed["Message-ID"])
    message["References"] = str(parsed["Message-ID"])
    quoted = "\n".join("> " + line for line in text_of(original).splitlines())
    message.set_content(
        f"{body}\n\nPada tanggal Sen, 30 Nov 2026 pukul 09.10 LAPOR Bontang <lapor@{DOMAIN}>\nmenulis:\n{quoted}\n"
    )
    return message.as_bytes()


def test_two_hundred_complaints_in_an_hour_reach_the_kabid_ikp_as_at_most_twelve_mails(
    env: IngestEnv, clock: ManualClock
) -> None:
    start = clock.now()
    poller = ingest_app.pollers(env.app, ingest_app.build_ingest(env.app))[0]
    sender = ingest_app.build_sender(env.app)
    for round_ in range(100):  # two complaints every 36 seconds: 200 in the hour
        env.dovecot.append_many(env.user, [complaint(2 * round_ + 1), complaint(2 * round_ + 2)])
        poller.poll_once()
        sender.send_pass()
        clock.advance(timedelta(seconds=36))
    hour = start + timedelta(hours=1)
    assert clock.now() == hour
    for _ in range(3):  # what is still waiting goes at the end of its window
        clock.advance(timedelta(minutes=5))
        sender.send_pass()

    assert env.count(Case) == 200
    rows = env.rows(OutboxMail)
    assert not [r for r in rows if r.status == "held"], "an official's mail was held to the next day"
    to_ikp = [r for r in rows if r.to_addr == IKP and r.status == "sent"]
    in_the_hour = [r for r in to_ikp if r.sent_at < hour]
    assert len(in_the_hour) <= 12, [r.sent_at for r in to_ikp]
    assert sorted(r.kind for r in to_ikp).count("group") >= 10  # most of them bundle several cases
    # each case's step-2 mail went out, in exactly one mail to the IKP head ...
    deliveries = [d for d in env.smtp.deliveries if d.rcpt_tos == (IKP,)]
    assert len(deliveries) == len(to_ikp)
    carriers: dict[str, list[str]] = {}
    for delivery in deliveries:
        for number in set(CASE.findall(text_of(delivery))):
            carriers.setdefault(number, []).append(delivery.message_id)
    numbers = {c.number for c in env.rows(Case)}
    assert set(carriers) == numbers and all(len(ids) == 1 for ids in carriers.values())
    # ... and never later than the 5-minute window (plus one 36-second round) after it fell due
    sent_by_id = {r.id: r.sent_at for r in rows if r.status == "sent"}
    for row in (r for r in rows if r.kind == "action.2"):
        carrier = int(row.last_error.rsplit(" ", 1)[1]) if row.status == "grouped" else row.id
        assert sent_by_id[carrier] - row.created_at <= timedelta(minutes=5, seconds=36), row.id
    # the grouped mail's own reply address names no case
    group = next(d for d in deliveries if len(set(CASE.findall(text_of(d)))) > 1)
    header = message_from_bytes(group.data, policy=policy.default)
    assert str(header["Reply-To"]) == f"lapor@{DOMAIN}"
    assert token_from_message_id(str(header["Message-ID"]), DOMAIN) is None


def test_a_command_link_in_a_grouped_mail_acts_on_its_case_and_a_plain_reply_is_explained(
    env: IngestEnv, clock: ManualClock
) -> None:
    poller = ingest_app.pollers(env.app, ingest_app.build_ingest(env.app))[0]
    sender = ingest_app.build_sender(env.app)
    env.append(complaint(1))  # the first goes out alone at once
    poller.poll_once()
    sender.send_pass()
    clock.advance(timedelta(minutes=1))
    env.dovecot.append_many(env.user, [complaint(2), complaint(3), complaint(4)])
    poller.poll_once()
    assert sender.send_pass().paced == 3  # inside the window: they wait, nothing is held
    clock.advance(timedelta(minutes=4))
    stats = sender.send_pass()
    assert (stats.grouped, stats.held) == (1, 0)
    [group] = [d for d in env.smtp.deliveries if d.rcpt_tos == (IKP,) and "LPR-2026-00003" in text_of(d)]
    sections = sections_of(group)
    assert sorted(sections) == ["LPR-2026-00002", "LPR-2026-00003", "LPR-2026-00004"]
    # every section has its own commands, each link to that case's own token address
    tokens = {number: {urlsplit(href).path for _, href in links} for number, links in sections.items()}
    assert all(len(addresses) == 1 for addresses in tokens.values())
    assert len({next(iter(a)) for a in tokens.values()}) == 3
    valid = next(href for label, href in sections["LPR-2026-00003"] if label.startswith("VALID"))

    clock.advance(timedelta(minutes=3))
    env.append(thunderbird_mailto(valid, IKP, "Muhammad Ridwan", clock.now()))
    poller.poll_once()
    assert open_steps(env, "LPR-2026-00003") != [2]  # VALID: step 2 done, the case moved on
    assert open_steps(env, "LPR-2026-00002") == [2] and open_steps(env, "LPR-2026-00004") == [2]
    with env.db.reader() as session:
        done = session.execute(
            select(StepEvent).join(Case).where(Case.number == "LPR-2026-00003", StepEvent.step == 2)
        ).scalar_one()
        assert (done.command, done.finished_by) == ("VALID", IKP)

    clock.advance(timedelta(minutes=3))
    raw = gmail_reply(group, IKP, "Muhammad Ridwan", "VALID", clock.now())
    reply_id = str(message_from_bytes(raw)["Message-ID"])
    env.append(raw)
    poller.poll_once()
    assert open_steps(env, "LPR-2026-00002") == [2] and open_steps(env, "LPR-2026-00004") == [2]
    (row,) = env.rows(Message, Message.message_id == reply_id)
    assert row.status == "quarantined"
    assert [q.reason_code for q in env.rows(QuarantineItem, QuarantineItem.message_id == row.id)] == [
        "grouped"
    ]
    [explanation] = env.rows(OutboxMail, OutboxMail.kind == "explain", OutboxMail.to_addr == IKP)
    assert "memuat beberapa aduan sekaligus" in explanation.text_body


def open_steps(env: IngestEnv, number: str) -> list[int]:
    with env.db.reader() as session:
        return sorted(
            session.execute(
                select(StepEvent.step)
                .join(Case)
                .where(Case.number == number, StepEvent.finished_at.is_(None))
            ).scalars()
        )


def section(number: str) -> dict[str, Any]:
    """What composer.action stores for one action mail (the grouped mail's section of it)."""
    address = f"lapor+{number.lower().replace('-', '')}@{DOMAIN}"
    return {
        "recipient": "Kepala Bidang IKP", "ask": f"Mohon periksa aduan {number}.", "subject": f"[{number}] Aduan",
        "case": {"number": number, "title": "Lampu jalan mati", "summary": "Lampu mati.", "received": "Senin",
                 "category": None, "complainant": None, "track_special": False},
        "step": {"number": 2, "name": "Verifikasi"}, "deadline": "Senin 09.05 WITA", "limit": "60 menit",
        "documents": [], "extra_lines": [], "reply_address": address,
        "commands": [{"label": "VALID", "desc": "sah", "mailto": f"mailto:{address}?subject=Re&body=VALID"}],
    }  # fmt: skip


def queue_mails(env: IngestEnv, to: str, kind: str, count: int, first: int = 1) -> None:
    with env.db.transaction() as session:
        for n in range(first, first + count):
            number = f"LPR-2026-{n:05d}"
            mail = OutgoingMail(
                kind=kind, to_addr=to, subject=f"[{number}] Aduan", text=f"Aduan {number}",
                reply_to=f"lapor@{DOMAIN}", dedup_key=f"{kind}:{to}:{n}",
                group_section=section(number) if kind.startswith("action.") else None,
            )  # fmt: skip
            queue(session, mail, now=env.app.clock.now(), domain=DOMAIN)


def test_the_daily_cap_holds_strangers_and_answers_to_bad_mail_never_an_officials_work(
    tmp_path: Path, dovecot: DovecotServer, smtp: SmtpServer, clock: ManualClock
) -> None:
    env = make_env(tmp_path, dovecot, smtp, clock, limits="max_mails_per_address_per_day = 3",
                   sending="group_minutes = 0")  # fmt: skip
    try:
        queue_mails(env, IKP, "action.2", 6)
        queue_mails(env, "warga@gmail.com", "notice", 5)
        sender = ingest_app.build_sender(env.app)
        stats = sender.send_pass()
        assert (stats.sent, stats.held) == (6 + 3, 2)
        queue_mails(env, IKP, "explain", 2, first=100)  # answers to bad mail: the loop guard holds
        queue_mails(env, IKP, "reminder", 2, first=200)
        stats = sender.send_pass()
        assert (stats.sent, stats.held) == (2, 2)
        held = env.rows(OutboxMail, OutboxMail.status == "held")
        assert sorted((r.to_addr, r.kind) for r in held) == [
            (IKP, "explain"), (IKP, "explain"), ("warga@gmail.com", "notice"), ("warga@gmail.com", "notice"),
        ]  # fmt: skip
    finally:
        env.app.close()


@pytest.mark.postgres
def test_several_senders_on_postgresql_group_and_send_each_action_mail_once(
    tmp_path: Path,
    dovecot: DovecotServer,
    smtp: SmtpServer,
    clock: ManualClock,
    pg_cluster: Any,
    pg_template: str,
) -> None:
    url = new_pg_database(pg_cluster, pg_template)
    env = make_env(tmp_path, dovecot, smtp, clock, database_url=url, sending="batch_size = 4")
    officials = [IKP, "kadis.kominfo@bontangkota.go.id", "sekretaris.dishub@bontangkota.go.id"]
    try:
        senders = [ingest_app.build_sender(env.app) for _ in range(3)]

        def wave(first: int) -> None:
            for index, address in enumerate(officials):
                queue_mails(env, address, "action.2", 10, first=first + 100 * index)
            start = threading.Barrier(len(senders))

            def work(sender: Any) -> None:
                start.wait()
                for _ in range(4):
                    sender.send_pass()

            threads = [threading.Thread(target=work, args=(s,)) for s in senders]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        wave(1)
        clock.advance(timedelta(minutes=1))
        wave(11)  # inside every window: waits
        assert env.count(OutboxMail, OutboxMail.status == "queued") == 30
        clock.advance(timedelta(minutes=5))
        wave(21)
        rows = env.rows(OutboxMail)
        assert {r.status for r in rows} == {"sent", "grouped"}
        ids = [d.message_id for d in smtp.deliveries]
        assert len(ids) == len(set(ids)) == env.count(OutboxMail, OutboxMail.status == "sent")
        for address in officials:
            mine = [d for d in smtp.deliveries if d.rcpt_tos == (address,)]
            assert len(mine) == 2  # one per window, each bundling what was due
            numbers = [n for d in mine for n in set(CASE.findall(text_of(d)))]
            assert len(numbers) == len(set(numbers)) == 30
    finally:
        env.app.close()


def test_a_grouped_mail_carries_no_more_of_the_complainants_files_than_one_mail_may(
    tmp_path: Path, dovecot: DovecotServer, smtp: SmtpServer, clock: ManualClock
) -> None:
    # four step-2 mails, each with a 40 KB photo; one mail may carry 0.1 MB (102 KB) of files
    env = make_env(
        tmp_path, dovecot, smtp, clock, sending="group_minutes = 5\n\n[evidence]\nmax_total_mb = 0.1"
    )
    address = IKP
    try:
        with env.db.transaction() as session:
            for n in range(1, 5):
                number = f"LPR-2026-{n:05d}"
                photo = tmp_path / f"foto-{n}.jpg"
                photo.write_bytes(bytes([n]) * 40 * 1024)
                queue(
                    session,
                    OutgoingMail(
                        kind="action.2",
                        to_addr=address,
                        subject=f"[{number}] Aduan",
                        text=f"Aduan {number}",
                        reply_to=f"lapor@{DOMAIN}",
                        dedup_key=f"action.2:{address}:{n}",
                        group_section=section(number),
                        attachments=(
                            AttachmentRef(path=str(photo), filename=photo.name, content_type="image/jpeg"),
                        ),
                    ),
                    now=clock.now(),
                    domain=DOMAIN,
                )
        sender = ingest_app.build_sender(env.app)
        for _ in range(3):
            sender.send_pass()
            clock.advance(timedelta(minutes=6))
        ours = [d for d in smtp.deliveries if address in d.rcpt_tos]
        photos: list[str] = []
        for delivery in ours:
            parsed = message_from_bytes(delivery.data, policy=policy.default)
            files = [p for p in parsed.iter_attachments() if p.get_filename()]
            assert sum(len(p.get_content()) for p in files) <= 102 * 1024, delivery.subject
            photos += [str(p.get_filename()) for p in files]
        assert sorted(photos) == [f"foto-{n}.jpg" for n in range(1, 5)]  # each photo once
        assert len(ours) == 2  # grouped two by two, not four mails and not one too large
    finally:
        env.app.close()
