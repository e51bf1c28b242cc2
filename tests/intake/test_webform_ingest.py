"""A web-form complaint through the real Dovecot: registered (not ignored), the citizen from the
form is the complainant and is greeted by name; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mailflow.adapters.db.models import Case, Complainant, Message, OutboxMail
from tests.conftest import new_pg_database
from tests.ingest.conftest import make_env
from tests.intake import mails

pytestmark = [pytest.mark.imap, pytest.mark.slow]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "sqlite":
        return None
    cluster: Any = request.getfixturevalue("pg_cluster")
    return new_pg_database(cluster, request.getfixturevalue("pg_template"))


def test_a_form_mail_becomes_a_case_of_the_citizen(
    tmp_path: Path, dovecot, smtp, clock, database_url
) -> None:
    env = make_env(tmp_path, dovecot, smtp, clock, database_url=database_url)
    try:
        env.append(mails.city_form(auto_submitted=True))
        env.append(mails.newsletter_with_reply_to())
        env.poll_once()
        messages = {m.subject: m for m in env.rows(Message)}
        form = messages["[Formulir Pengaduan] Jalan berlubang di Jl. Cipto"]
        assert (form.kind, form.status, form.rule) == ("complaint", "processed", "aduan-warga")
        assert messages["Promo akhir tahun untukmu"].status == "ignored"
        (case,) = env.rows(Case)
        assert (case.suggested_opds, case.category) == ("DPUPR", "Jalan dan Jembatan")
        (person,) = env.rows(Complainant)
        assert (person.name, person.email, person.phone) == (
            "Budi Santoso", "budi.santoso88@gmail.com", "081255443321",
        )  # fmt: skip
        (ack,) = env.rows(OutboxMail, OutboxMail.kind == "ack")
        assert (ack.to_addr, ack.to_name) == ("budi.santoso88@gmail.com", "Budi Santoso")
        assert "Budi Santoso" in ack.text_body and "Website Pemerintah" not in ack.text_body
    finally:
        env.app.close()
