"""Issue 11: the reply matcher end to end under Hypothesis.

A real SQLite database holds five cases waiting at steps 2, 4, 5, 6 and 7 (`[auth]` required,
trusting mx.bontangkota.go.id). Each example is one reply handed to ReplyProcessor.handle in a
transaction that is rolled back afterwards, so every example starts from the same state: tokens
valid, mutated, truncated, replayed, expired, made up or missing, in To/Cc/Delivered-To or only
in In-Reply-To/References; subjects with the right, another or a made-up case tag; stacks of
Authentication-Results (the server's pass or fail on top, forged passes below, foreign and
garbage headers); senders who hold the step, their delegates, other officials, strangers and
addresses that are not addresses; bodies as Gmail, Outlook and phones write them, with quoted
history that itself contains commands.

What must hold for every example: no exception, and no state change (case status, track, steps,
routes) unless the mail's token is one we issued for an open, unexpired step, every token the
mail claims is one of ours, the sender may act for the person the token names, and the
receiving server's own header (the topmost) shows an aligned pass.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.migrate import upgrade
from mailflow.adapters.db.models import Case, CaseRoute, Message, OutboxMail, StepEvent
from mailflow.domain.inbound import InboundMail
from mailflow.domain.tokens import TOKEN_PATTERN, issue
from tests.engine.harness import Harness, make_harness
from tests.hostile.reply_mails import MX, quoted, server_fail, server_pass

pytestmark = [pytest.mark.slow]

WITA = ZoneInfo("Asia/Makassar")
START = datetime(2026, 11, 30, 8, 5, tzinfo=WITA)
REPLY_TO = "lapor@diskominfo.bontangkota.go.id"
DOMAIN = "diskominfo.bontangkota.go.id"
EXAMPLES = 1500

IKP = "ikp.kominfo@bontangkota.go.id"
KADIS = "kadis.kominfo@bontangkota.go.id"
SEK_DISHUB = "sekretaris.dishub@bontangkota.go.id"
KADIS_DISHUB = "kadis.dishub@bontangkota.go.id"
KABID_PJU = "pju.dishub@bontangkota.go.id"
OTHER_OFFICIALS = (
    "aisyah.ikp@bontangkota.go.id",
    "kadis.dlh@bontangkota.go.id",
    "admin.lapor@bontangkota.go.id",
)
STRANGERS = ("warga.iseng@gmail.com", "budi.santoso@dpupr-bontang.example", "siti.rahma@gmail.com")
NOT_ADDRESSES = (
    "Big Bug bb@bug.com",
    "",
    "ikp.kominfo@bontangkota.go.id>",
    "<>",
    "ikp.kominfo@bontangkota.go.id\u202e",
)


class _Rollback(Exception):
    """Raised to undo one example's transaction."""


@dataclass
class World:
    h: Harness
    numbers: dict[str, str]  # label -> case number
    open_tokens: dict[str, frozenset[str]]  # token of an open step -> addresses that may use it
    open_steps: dict[str, int]  # token of an open step -> its step
    issued: set[str]  # every token we issued (open, finished, expired)
    tokens: list[str]  # all of them, for drawing
    message_ids: list[str]  # our Message-IDs (carrying tokens)
    baseline: tuple[object, ...] = ()  # the state every example starts from
    token_strategy: st.SearchStrategy[str] | None = None
    stats: collections.Counter[str] = field(default_factory=collections.Counter)


def _drive(h: Harness) -> dict[str, str]:
    """Cases at steps 2, 4, 5, 6 and 7, every earlier reply authenticated by the server."""

    def answer(to: str, body: str) -> None:
        (mail,) = [m for m in h.mails() if m.to_addr == to]
        outcome = h.reply(mail, body, auth_results=(server_pass(to),), advance=timedelta(minutes=3))
        assert outcome.status == "applied", (to, body, outcome)

    numbers = {}
    for label, steps in (("s2", 0), ("s4", 1), ("s5", 2), ("s6", 3), ("s7", 4)):
        numbers[label] = h.register(subject=f"Aduan {label}")
        script = [
            (IKP, "VALID DISHUB"),
            (KADIS, "SETUJU"),
            (SEK_DISHUB, "TERIMA"),
            (KADIS_DISHUB, "DISPOSISI PJU: mohon dicek"),
        ]
        for to, body in script[:steps]:
            answer(to, body)
        h.mails()  # the action mails of the open step stay in the outbox for the tokens
    return numbers


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    database = Database(f"sqlite:///{tmp / 'mailflow.sqlite3'}")
    upgrade(database)
    h = make_harness(
        database,
        tmp,
        START,
        edit={
            "[calendar]": f'[auth]\nrequire_authentication_results = true\ntrusted_authserv_ids = ["{MX}"]\n\n[calendar]'
        },
    )
    numbers = _drive(h)
    open_tokens: dict[str, frozenset[str]] = {}
    open_steps: dict[str, int] = {}
    issued: set[str] = set()
    message_ids: list[str] = []
    directory = h.directory
    with database.reader() as session:
        for mail in session.execute(select(OutboxMail).where(OutboxMail.kind.like("action.%"))).scalars():
            assert mail.reply_to is not None
            token = mail.reply_to.split("+", 1)[1].split("@")[0]
            issued.add(token)
            message_ids.append(mail.message_id)
            event = session.get(StepEvent, mail.step_event_id)
            assert event is not None
            if event.finished_at is None:
                holder = directory.person_by_email(mail.to_addr)
                assert holder is not None
                allowed = set(holder.addresses())
                for delegate in holder.delegates:
                    allowed.update(directory.person(delegate).addresses())
                open_tokens[token] = frozenset(allowed)
                open_steps[token] = event.step
            # the same step's token, expired (issued long ago)
            expired = issue(
                h.settings.token_secret,
                case_id=event.case_id,
                step=event.step,
                route_key=event.route_key,
                actor=directory.person_by_email(mail.to_addr).id,  # type: ignore[union-attr]
                now=START - timedelta(days=h.settings.tokens.validity_days + 5),
                valid_days=h.settings.tokens.validity_days,
                attempt=event.attempt,
            )
            issued.add(expired)
    assert len(open_tokens) == 5 and len(issued) >= 20
    with database.reader() as session:
        baseline = snapshot(session)
    world = World(h, numbers, open_tokens, open_steps, issued, sorted(issued), message_ids, baseline)
    world.token_strategy = token_like(world)
    yield world
    database.dispose()


# --- strategies -------------------------------------------------------------------------------------

BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
FIRST_LINES = (
    "VALID DISHUB", "VALID", "Valid?", "TOLAK: di luar kewenangan", "TOLAK aduan ditutup", "Setuju.",
    "SETUJU KHUSUS", "TERUSKAN DLH, DPUPR", "Terima kasih, sudah kami catat.", "TERIMA", "Diterima, terima kasih",
    "DISPOSISI PJU: mohon dicek", "Disposisi lampu jalan, segera", "TANGGAPAN", "KHUSUS perlu tinjauan lapangan",
    "KIRIM", "STATUS", "BANTUAN", "Setuju sekali, tapi anggarannya belum ada", "Baik pak, segera saya cek",
    "", "=cmd|' /C calc'!A0", "\u202eKIRIM", "*TERIMA*", "VALID \u0000DISHUB",
)  # fmt: skip
QUOTE_HEADS = (
    "Pada tanggal Sen, 30 Nov 2026 pukul 08.40 LAPOR Bontang <lapor@diskominfo.bontangkota.go.id>\nmenulis:",
    "________________________________\nDari: LAPOR Bontang <lapor@diskominfo.bontangkota.go.id>\n"
    "Dikirim: Senin, 30 November 2026 08.40\nKepada: Pejabat\nSubjek: Re: aduan",
    "Dikirim dari iPhone saya\n\n> Pada 30 Nov 2026, pukul 08.40, LAPOR Bontang menulis:",
    "-----Original Message-----\nFrom: LAPOR Bontang\nSent: Monday, November 30, 2026 8:40 AM",
)


def token_like(world: World) -> st.SearchStrategy[str]:
    ours = st.sampled_from(world.tokens)
    return st.one_of(
        ours,
        ours.map(str.upper),
        st.tuples(ours, st.integers(0, 43), st.sampled_from(BASE32)).map(
            lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + 1 :]
        ),
        st.tuples(ours, st.integers(1, 43)).map(lambda t: t[0][: t[1]]),
        st.text(BASE32, min_size=44, max_size=44),
        st.text(st.characters(codec="ascii", exclude_characters="@ \r\n"), max_size=60),
        st.sampled_from(("garbage", "tolak-segera", "", "x", "lapor", "../../etc")),
    )


STEP_COMMANDS = {
    2: ("VALID DISHUB", "Valid, terima kasih", "TOLAK: bukan kewenangan Pemkot", "BANTUAN"),
    4: ("SETUJU", "Setuju.", "TERUSKAN DLH, DPUPR KHUSUS"),
    5: ("TERIMA", "Diterima, terima kasih.", "Status?"),
    6: ("DISPOSISI PJU: mohon dicek", "Disposisi lampu jalan, segera"),
    7: ("TANGGAPAN\nLampu sudah diganti pada 1 Desember.", "KHUSUS perlu koordinasi dengan PLN"),
}


def mostly(draw: st.DrawFn, legit: bool) -> bool:
    """In a legitimate-looking example, each part stays legitimate three times in four."""
    return legit and draw(st.integers(0, 3)) > 0


@st.composite
def replies(draw: st.DrawFn, world: World) -> tuple[InboundMail, dict[str, object]]:
    # Half the examples start from the reply the actor would send and spoil parts of it, so that
    # the oracle is tested on replies that act as well as on hostile ones.
    legit = draw(st.booleans())
    target = draw(st.sampled_from(sorted(world.open_tokens) if legit else world.tokens))
    if mostly(draw, legit):
        sender = draw(st.sampled_from(sorted(world.open_tokens[target])))
    else:
        sender = draw(
            st.one_of(
                st.sampled_from((IKP, KADIS, SEK_DISHUB, KADIS_DISHUB, KABID_PJU, *OTHER_OFFICIALS)),
                st.sampled_from(STRANGERS + NOT_ADDRESSES),
                st.sampled_from((IKP.upper(), " " + KADIS + " ")),
            )
        )
    token_any = world.token_strategy
    assert token_any is not None
    if mostly(draw, legit):
        plus = [target]
    else:
        plus = draw(st.lists(st.one_of(st.just(target), token_any), max_size=3))
    fields = draw(
        st.lists(st.sampled_from(("to", "cc", "delivered")), min_size=len(plus), max_size=len(plus))
    )
    to, cc, delivered = [], [], []
    for token, where in zip(plus, fields, strict=True):
        address = f"lapor+{token}@{DOMAIN}".lower()
        {"to": to, "cc": cc, "delivered": delivered}[where].append(address)
    if draw(st.booleans()):
        to.append(REPLY_TO)
    if draw(st.booleans()):
        cc.append(draw(st.sampled_from((KADIS, "lapor+abc@evil.example", f"lapor+{target}@evil.example"))))
    thread_ids = draw(
        st.lists(
            st.one_of(
                st.sampled_from(world.message_ids),
                token_any.map(lambda t: f"<{t}.0123456789abcdef@{DOMAIN}>"),
                st.just("<CAJx9y@mail.gmail.com>"),
            ),
            max_size=3,
        )
    )
    split = draw(st.integers(0, len(thread_ids)))
    number = draw(st.sampled_from((*world.numbers.values(), "LPR-2026-99999", "LPR-2026-00001x")))
    subject = draw(
        st.sampled_from(
            (f"Re: [{number}] Aduan", f"[{number}]", "Re: aduan", "", f"Fwd: [{number}] [LPR-2026-00002]")
        )
    )
    if mostly(draw, legit):
        first = draw(st.sampled_from(STEP_COMMANDS[world.open_steps[target]]))
    else:
        first = draw(st.one_of(st.sampled_from(FIRST_LINES), st.text(max_size=80)))
    if not mostly(draw, legit) and draw(st.booleans()):
        first = draw(st.sampled_from(("", " ", "*", "> ", "Selamat pagi,\n"))) + first
    quoted_command = draw(st.sampled_from(("TOLAK aduan ini", "VALID DISHUB", "KIRIM", "Mohon diperiksa.")))
    body = f"{first}\n\n{draw(st.sampled_from(QUOTE_HEADS))}\n\n{quoted(quoted_command + chr(10) + 'Lampu jalan mati.')}\n"
    html = None
    if draw(st.booleans()):
        html = f'<div dir="ltr">{first}</div><div class="gmail_quote"><blockquote>{quoted_command}</blockquote></div>'
    auth_kinds = st.sampled_from(("pass", "pass_other", "fail", "forged", "foreign", "garbage", "none"))
    kinds = draw(st.lists(auth_kinds, max_size=4))
    if mostly(draw, legit):
        kinds = ["pass", *kinds]
    clean = sender.strip().lower()
    headers = []
    for kind in kinds:
        headers.append(
            {
                "pass": server_pass(clean if "@" in clean else IKP),
                "pass_other": server_pass("x@evil-mailer.example"),
                "fail": server_fail(clean if "@" in clean else IKP),
                "forged": f"{MX}; dkim=pass header.d=bontangkota.go.id; dmarc=pass header.from=bontangkota.go.id",
                "foreign": "mx.google.com; dkim=pass header.i=@bontangkota.go.id",
                "garbage": draw(st.text(max_size=60)),
                "none": f"{MX}; none",
            }[kind]
        )
    inbound = InboundMail(
        message_id=f"<fuzz{draw(st.integers(0, 10**9))}@mail.gmail.com>",
        subject=subject,
        from_addr=sender,
        from_name=draw(
            st.sampled_from((None, "Ir. Budi Santoso <kadis.kominfo@bontangkota.go.id>", "\u202eadmin"))
        ),
        to=tuple(to),
        cc=tuple(cc),
        delivered_to=tuple(delivered),
        in_reply_to=tuple(thread_ids[:split]),
        references=tuple(thread_ids[split:]),
        text=body if html is None or draw(st.booleans()) else "",
        html=html,
        content_type="text/html" if html is not None and draw(st.booleans()) else "text/plain",
        authentication_results=tuple(headers),
    )
    return inbound, {"kinds": kinds}


# --- the oracle --------------------------------------------------------------------------------------


def claimed_tokens(mail: InboundMail) -> list[str]:
    """What the mail claims as tokens, by the rule of services.replies (module docstring)."""
    plus = []
    for address in mail.recipients:
        local, _, domain = address.partition("@")
        if domain == DOMAIN and local.startswith("lapor+"):
            plus.append(local[len("lapor+") :])
    if plus:
        return plus
    for message_id in (*mail.in_reply_to, *reversed(mail.references)):
        local, _, domain = message_id.strip("<>").lower().partition("@")
        label = local.split(".", 1)[0]
        if domain == DOMAIN and TOKEN_PATTERN.fullmatch(label):
            return [label]
    return []


def may_change(world: World, mail: InboundMail, kinds: list[str]) -> bool:
    claimed = [c.lower() for c in claimed_tokens(mail)]
    if not claimed or any(c not in world.issued for c in claimed):
        return False
    allowed = world.open_tokens.get(claimed[0])
    sender = (mail.from_addr or "").strip().lower()
    # a header is the server's by its place alone: the "forged" pass counts when it is on top
    top_passes = kinds[:1] == ["pass"] or (kinds[:1] == ["forged"] and sender.endswith("@bontangkota.go.id"))
    return allowed is not None and sender in allowed and top_passes


def snapshot(session: Session) -> tuple[object, ...]:
    cases = session.execute(
        select(Case.id, Case.status, Case.track, Case.current_step, Case.closed_at).order_by(Case.id)
    ).all()
    events = session.execute(
        select(
            StepEvent.id, StepEvent.finished_at, StepEvent.outcome, StepEvent.due_at, StepEvent.track
        ).order_by(StepEvent.id)
    ).all()
    routes = session.execute(
        select(CaseRoute.id, CaseRoute.bidang_code, CaseRoute.status, CaseRoute.response_text).order_by(
            CaseRoute.id
        )
    ).all()
    return tuple(cases), tuple(events), tuple(routes)


def handle_and_undo(world: World, mail: InboundMail) -> tuple[str, bool]:
    h = world.h
    result: tuple[str, bool] | None = None
    try:
        with h.database.transaction() as session:
            row = Message(
                account="diskominfo", folder="INBOX", uidvalidity=1, uid=1, message_id=mail.message_id,
                sha256="0" * 64, raw_path="-", size=1, from_addr=(mail.from_addr or "")[:320] or None,
                subject=mail.subject[:2000], received_at=h.now, kind="reply", status="received",
            )  # fmt: skip
            session.add(row)
            session.flush()
            outcome = h.replies.handle(session, row, mail, h.now)
            session.flush()
            changed = snapshot(session) != world.baseline
            assert outcome.status in ("applied", "answered", "quarantined"), outcome
            assert (outcome.status == "quarantined") == (row.status == "quarantined"), (outcome, row.status)
            result = (outcome.status, changed)
            raise _Rollback
    except _Rollback:
        pass
    assert result is not None
    return result


def test_the_reply_matcher_never_acts_without_a_valid_token_for_the_sender(world: World) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(drawn=replies(world))
    def check(drawn: tuple[InboundMail, dict[str, object]]) -> None:
        mail, facts = drawn
        status, changed = handle_and_undo(world, mail)
        world.stats[status] += 1
        if changed:
            world.stats["changed"] += 1
            assert status == "applied", (status, mail)
            assert may_change(world, mail, facts["kinds"]), mail  # type: ignore[arg-type]

    check()
    # the oracle is not vacuous: some replies acted, many were refused, some were answered
    assert world.stats["changed"] >= 10, world.stats
    assert world.stats["quarantined"] >= EXAMPLES // 2, world.stats
    assert world.stats["answered"] >= 1, world.stats
