"""Issue 11, point 9: a mail without a usable From (absent, empty, group syntax only, invalid or
undecodable address, several addresses, conflicting From headers) is quarantined with a clear
Indonesian reason on its first poll and never becomes a case."""

from __future__ import annotations

import pytest

from mailflow.adapters.db.models import Case, Complainant, Message, OutboxMail, QuarantineItem
from tests.hostile.mime_support import mail, mime_env_fixture  # noqa: F401 - the mime_env fixture
from tests.ingest.builders import complaint
from tests.ingest.conftest import IngestEnv

pytestmark = [pytest.mark.imap]

WHY = {
    "p09_no_from_header.eml": "tidak ada kepala From",
    "p09_empty_from.eml": "kepala From kosong",
    "p09_group_only_from.eml": "kepala From hanya berisi nama grup tanpa alamat",
    "p09_from_raw_8bit_address.eml": "alamat di kepala From berisi karakter yang tidak dapat dibaca",
    "p09_from_several_mailboxes.eml": "kepala From berisi lebih dari satu alamat",
    "p09_from_display_name_only.eml": "alamat di kepala From bukan alamat email yang sah",
    "p02_duplicate_from_conflicting.eml": "pesan memiliki beberapa kepala From dengan alamat berbeda",
    "p02_quoted_local_part.eml": "alamat di kepala From bukan alamat email yang sah",
}


def test_mail_without_a_usable_from_is_quarantined_with_its_reason_and_never_a_case(
    mime_env: IngestEnv,
) -> None:
    env = mime_env
    uids = {env.append(mail(name)): name for name in WHY}
    env.append(complaint(1))  # a normal complaint behind them

    stats = env.poll_once()

    assert (stats.processed, stats.quarantined) == (1, len(WHY))
    [case] = env.rows(Case)
    [who] = env.rows(Complainant)
    assert who.email == "warga1@gmail.com" and case.complainant_id == who.id
    assert [o.to_addr for o in env.rows(OutboxMail)] == ["warga1@gmail.com"]
    rows = {m.uid: m for m in env.rows(Message)}
    for uid, name in uids.items():
        row = rows[uid]
        assert (row.status, row.kind, row.attempts, row.case_id) == ("quarantined", "no_from", 1, None), name
        assert row.quarantine_reason == (
            f"no_from: pesan tanpa alamat pengirim yang dapat dipakai: {WHY[name]}. Pesan tidak "
            "didaftarkan sebagai aduan dan tidak dibalas; periksa isinya secara manual."
        ), name
    assert env.count(QuarantineItem, QuarantineItem.reason_code == "no_from") == len(WHY)
    assert len(env.dovecot.uids(env.user, "Karantina")) == len(WHY)
