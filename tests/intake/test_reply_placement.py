"""The reply processor with officials who bottom-post or answer between the quoted blocks: the
step advances on SQLite and PostgreSQL, and a command that only stands in the quote does nothing."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import OutboxMail
from mailflow.domain.inbound import InboundMail
from tests.engine.harness import Harness, make_harness

START = datetime(2026, 11, 30, 8, 5, tzinfo=ZoneInfo("Asia/Makassar"))
IKP = "ikp.kominfo@bontangkota.go.id"
_ids = itertools.count(1)


@pytest.fixture
def h(database: Database, tmp_path: Path) -> Harness:
    return make_harness(database, tmp_path, START)


def _action(h: Harness) -> OutboxMail:
    (mail,) = [m for m in h.mails() if m.to_addr == IKP]
    return mail


def _send(h: Harness, action: OutboxMail, *, text: str = "", html: str | None = None, kind: str = "") -> str:
    h.clock.advance(timedelta(minutes=20))
    inbound = InboundMail(
        message_id=f"<placement{next(_ids)}@mail.example>",
        subject=f"Re: {action.subject}",
        from_addr=IKP,
        from_name="Muhammad Ridwan",
        to=(action.reply_to or "",),
        in_reply_to=(action.message_id,),
        text=text,
        html=html,
        content_type=kind or ("text/plain" if html is None else "multipart/alternative"),
    )
    return h.deliver(inbound).status


def _quoted(action: OutboxMail) -> str:
    return "\n".join("> " + line for line in action.text_body.splitlines())


def test_thunderbird_bottom_posting_advances_the_step(h: Harness) -> None:
    number = h.register()
    action = _action(h)
    text = f"On 30/11/26 08.40, LAPOR Bontang wrote:\n{_quoted(action)}\n\nVALID DISHUB\n\n-- \nRidwan\n"
    assert _send(h, action, text=text) == "applied"
    assert h.case(number).current_step == 4


@pytest.mark.parametrize("parts", ["text+html", "html only"])
def test_gmail_interleaved_answer_advances_the_step(h: Harness, parts: str) -> None:
    number = h.register()
    action = _action(h)
    lines = action.text_body.splitlines()
    html = (
        '<div class="gmail_quote"><div class="gmail_attr">On Mon, Nov 30, 2026 at 8:40 AM LAPOR Bontang '
        f'wrote:<br></div><blockquote class="gmail_quote">{"<br>".join(lines[:6])}</blockquote>'
        f'<div>VALID DISHUB</div><blockquote class="gmail_quote">{"<br>".join(lines[6:])}</blockquote></div>'
    )
    quoted = _quoted(action).split("\n")
    plain = (  # Gmail's text alternative of the same answer
        "On Mon, Nov 30, 2026 at 8:40 AM LAPOR Bontang <lapor@diskominfo.bontangkota.go.id>\nwrote:\n\n"
        + "\n".join(quoted[:6])
        + "\n\nVALID DISHUB\n\n"
        + "\n".join(quoted[6:])
        + "\n"
    )
    if parts == "html only":
        status = _send(h, action, html=html, kind="text/html")
    else:
        status = _send(h, action, text=plain, html=html)
    assert status == "applied"
    assert h.case(number).current_step == 4


def test_a_command_only_in_the_quote_changes_nothing(h: Harness) -> None:
    number = h.register()
    action = _action(h)
    assert "VALID" in action.text_body  # the quoted action mail lists the commands
    text = f"Pada 30/11/26 08.40, LAPOR Bontang menulis:\n{_quoted(action)}\n"
    assert _send(h, action, text=text) != "applied"
    assert h.case(number).current_step == 2
