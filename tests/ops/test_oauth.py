"""OAuth2 for IMAP and SMTP against real servers: Dovecot's `oauth2` passdb and an aiosmtpd that
both check bearer tokens with a local identity provider (tests/ops/oauth_server.py)."""

from __future__ import annotations

import dataclasses
import http.client
import json
import logging
import os
import re
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from mailflow.adapters.db.models import Case
from mailflow.adapters.imap import ImapConnection, ImapLoginError
from mailflow.adapters.oauth2 import OAuth2GrantError, TokenFile
from mailflow.adapters.smtp import SmtpTransientError, SmtpTransport
from mailflow.config.loader import load_config
from mailflow.errors import ConfigError
from mailflow.services.ingest.poller import PollTuning, account_for
from mailflow.services.ingest.service import DefaultHooks
from mailflow.services.outbound.sender import smtp_account
from tests.cli.helpers import run_cli
from tests.fixtures.oauth_server import CLIENT_SECRET, OAuthServer
from tests.fixtures.oauth_servers import BearerSmtp
from tests.ingest.builders import complaint
from tests.ops.oauth_site import CLIENT_ID, oauth_env, store_grant

pytestmark = [pytest.mark.slow, pytest.mark.imap, pytest.mark.usefixtures("trust_idp")]
FAST = PollTuning(backoff_base_seconds=0.2, backoff_max_seconds=0.5)


def wait_until(condition, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def token_path(env) -> Path:
    return env.app.settings.mailboxes[0].oauth2.token_file


@pytest.mark.parametrize("mechanism", ["xoauth2", "oauthbearer"])
def test_the_poller_signs_in_with_a_stored_token(tmp_path, oauth_dovecot, idp, clock, mechanism) -> None:
    env = oauth_env(tmp_path, oauth_dovecot, idp, clock, mechanism=mechanism)
    try:
        store_grant(token_path(env), idp, env.user)
        refreshes = idp.count("refresh_token")
        env.append(complaint(1))

        stats = env.poll_once(DefaultHooks())

        assert stats.processed == 1 and env.count(Case) == 1
        assert idp.count("refresh_token") == refreshes  # the stored token was still good
        assert f"method={mechanism.upper()}" in oauth_dovecot.log_tail(200)
        assert (token_path(env).stat().st_mode & 0o777) == 0o600
        assert (token_path(env).parent.stat().st_mode & 0o777) == 0o700
    finally:
        env.app.close()


def test_a_token_about_to_expire_is_refreshed_before_it_is_used(tmp_path, oauth_dovecot, idp, clock) -> None:
    env = oauth_env(tmp_path, oauth_dovecot, idp, clock)
    try:
        old = store_grant(token_path(env), idp, env.user, expires_in=120)  # inside the 300 s margin
        refreshes = idp.count("refresh_token")

        conn = ImapConnection.open(account_for(env.app.settings.mailboxes[0]))
        conn.close()

        assert idp.count("refresh_token") == refreshes + 1
        new = TokenFile(token_path(env)).read()
        assert new is not None
        assert new.access_token != old.access_token
        assert new.refresh_token != old.refresh_token  # Microsoft rotates it; the new one is kept
        assert new.expires_at > time.time() + 3000
        assert (token_path(env).stat().st_mode & 0o777) == 0o600
        # the old refresh token is spent: only the stored one can refresh again
        assert idp.grant  # (the provider keeps running)
    finally:
        env.app.close()


REFRESH_CHILD = """
import sys, time
from pathlib import Path
from mailflow.adapters.oauth2 import TokenFile, TokenSource, provider_client
client = provider_client("microsoft", sys.argv[2], authority=sys.argv[3])
source = TokenSource(client, TokenFile(Path(sys.argv[1])), lambda reason: reason, margin=300)
start = float(sys.argv[4])
while time.time() < start:
    time.sleep(0.001)
print(source.access_token())
"""


def test_processes_refreshing_together_ask_the_provider_once(tmp_path, idp, trust_idp) -> None:
    path = tmp_path / "oauth" / "lapor.json"
    store_grant(path, idp, "lapor@diskominfo.bontangkota.go.id", expires_in=10)
    refreshes = idp.count("refresh_token")
    start = time.time() + 1.5
    children = [
        subprocess.Popen(
            [sys.executable, "-c", REFRESH_CHILD, str(path), CLIENT_ID, idp.authority("t"), str(start)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    tokens = {child.communicate(timeout=60)[0].strip() for child in children}

    assert all(child.returncode == 0 for child in children)
    # one refreshed (and, Microsoft-style, spent the old refresh token); the others waited on the
    # lock and found the new token in the file instead of failing with the spent one
    assert idp.count("refresh_token") == refreshes + 1
    assert len(tokens) == 1
    assert tokens == {TokenFile(path).read().access_token}


@pytest.mark.slow
def test_a_revoked_grant_stops_the_mailbox_quietly_until_an_admin_signs_in_again(
    tmp_path, oauth_dovecot, idp, clock, caplog
) -> None:
    env = oauth_env(tmp_path, oauth_dovecot, idp, clock, poll_interval=3600)
    caplog.set_level(logging.INFO)
    stop = threading.Event()
    try:
        store_grant(token_path(env), idp, env.user)
        poller = env.poller(DefaultHooks(), tuning=FAST)
        thread = threading.Thread(target=poller.run, args=(stop,), daemon=True)
        thread.start()
        wait_until(poller.idling.is_set, what="IDLE with the first token")

        # The tenant admin revokes the sessions; the server drops the connection.
        idp.revoke(env.user)
        refreshes = idp.count("refresh_token")
        oauth_dovecot.kick(env.user)
        wait_until(lambda: idp.count("refresh_token") > refreshes, what="the refresh attempt")
        time.sleep(3)  # several backoff rounds (0.2-0.5 s)

        assert thread.is_alive()  # no crash
        assert poller.stats.reconnects >= 4
        # the provider was asked once: the refused grant is remembered until the file changes
        assert idp.count("refresh_token") == refreshes + 1
        refused = [r for r in caplog.records if r.name == "mailflow.oauth2" and r.levelno == logging.ERROR]
        assert len(refused) == 1
        assert "mailflow auth login diskominfo" in refused[0].getMessage()
        assert "tidak dapat dipakai" in refused[0].getMessage()  # Indonesian by default
        assert "invalid_grant" in refused[0].getMessage()

        # The admin signs in again (what `mailflow auth login` writes): the poller resumes.
        env.append(complaint(7))
        store_grant(token_path(env), idp, env.user)
        wait_until(lambda: env.count(Case) == 1, what="the mail after signing in again")
    finally:
        stop.set()
        thread.join(timeout=30)
        env.app.close()
    assert not thread.is_alive()


def test_a_server_that_refuses_a_token_makes_the_next_connect_refresh(
    tmp_path, oauth_dovecot, idp, clock
) -> None:
    env = oauth_env(tmp_path, oauth_dovecot, idp, clock)
    try:
        store_grant(token_path(env), idp, env.user)
        idp.expire_access_tokens()  # the provider ended the token early (e.g. a password change)
        account = account_for(env.app.settings.mailboxes[0])
        refreshes = idp.count("refresh_token")

        with pytest.raises(ImapLoginError):
            ImapConnection.open(account)
        ImapConnection.open(account).close()  # refreshed, then accepted

        assert idp.count("refresh_token") == refreshes + 1
    finally:
        env.app.close()


@pytest.mark.parametrize("mechanism", ["xoauth2", "oauthbearer"])
def test_smtp_signs_in_with_a_bearer_token(
    tmp_path, oauth_dovecot, idp, clock, bearer_smtp: BearerSmtp, mechanism
) -> None:
    env = oauth_env(tmp_path, oauth_dovecot, idp, clock, smtp_port=bearer_smtp.port, mechanism=mechanism)
    try:
        store_grant(token_path(env), idp, env.user)
        account = smtp_account(env.app.settings)
        assert account.bearer is not None  # the SMTP account shares the mailbox's token file
        with SmtpTransport(account) as transport:
            transport.send(b"Subject: uji\r\n\r\nhalo\r\n", mail_from=env.user, rcpt_to=["warga@gmail.com"])
        assert bearer_smtp.handler.logins[-1] == (mechanism.upper(), env.user)
        assert bearer_smtp.handler.deliveries[-1].rcpt_tos == ("warga@gmail.com",)
    finally:
        env.app.close()


def test_smtp_with_a_revoked_grant_fails_with_what_to_do(
    tmp_path, oauth_dovecot, idp, clock, bearer_smtp: BearerSmtp
) -> None:
    env = oauth_env(tmp_path, oauth_dovecot, idp, clock, smtp_port=bearer_smtp.port)
    try:
        store_grant(token_path(env), idp, env.user)
        idp.revoke(env.user)
        sent = len(bearer_smtp.handler.deliveries)
        with SmtpTransport(smtp_account(env.app.settings)) as transport:
            with pytest.raises(SmtpTransientError):  # the server refused the token ...
                transport.send(b"Subject: x\r\n\r\nx\r\n", mail_from=env.user, rcpt_to=["a@b.id"])
            with pytest.raises(OAuth2GrantError, match="mailflow auth login smtp"):  # ... then the refresh
                transport.send(b"Subject: x\r\n\r\nx\r\n", mail_from=env.user, rcpt_to=["a@b.id"])
        assert len(bearer_smtp.handler.deliveries) == sent
    finally:
        env.app.close()


def test_oauth2_without_its_table_is_a_config_error(tmp_path) -> None:
    config = tmp_path / "mailflow.toml"
    config.write_text(
        '[[mailboxes]]\nname = "diskominfo"\nhost = "h"\nuser = "u@x.id"\nauth = "oauth2"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"mailboxes\[0\].*oauth2"):
        load_config(config, env={})


def test_client_secrets_come_from_the_environment_and_tokens_stay_outside_the_config(tmp_path) -> None:
    config = tmp_path / "mailflow.toml"
    config.write_text(
        '[[mailboxes]]\nname = "opd-dishub"\nhost = "h"\nuser = "u@x.id"\nauth = "oauth2"\n'
        '[mailboxes.oauth2]\nprovider = "google"\nclient_id = "c"\n'
        '[smtp]\nuser = "u@x.id"\nauth = "oauth2"\n[smtp.oauth2]\nprovider = "google"\nclient_id = "c"\n',
        encoding="utf-8",
    )
    settings = load_config(
        config,
        env={"MAILFLOW_MAILBOX_OPD_DISHUB_CLIENT_SECRET": "s1", "MAILFLOW_SMTP_CLIENT_SECRET": "s2"},
    )
    box, smtp = settings.mailboxes[0].oauth2, settings.smtp.oauth2
    assert box.client_secret.get_secret_value() == "s1"
    assert smtp.client_secret.get_secret_value() == "s2"
    assert box.token_file == tmp_path / "var" / "oauth" / "opd-dishub.json"
    assert smtp.token_file == tmp_path / "var" / "oauth" / "smtp.json"


def test_no_token_file_means_sign_in_first(tmp_path, oauth_dovecot, idp: OAuthServer, clock) -> None:
    env = oauth_env(tmp_path, oauth_dovecot, idp, clock)
    try:
        with pytest.raises(OAuth2GrantError, match="mailflow auth login diskominfo"):
            ImapConnection.open(account_for(env.app.settings.mailboxes[0]))
    finally:
        env.app.close()


# --- signing in: `mailflow auth login` against the local identity provider ----------------------


def start_login(
    config: Path, name: str, dovecot, extra_env: dict[str, str] | None = None
) -> subprocess.Popen:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    environ.update(
        {
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
            "SSL_CERT_FILE": str(dovecot.tls.cert),
            "REQUESTS_CA_BUNDLE": str(dovecot.tls.cert),
            "COLUMNS": "200",
            "NO_COLOR": "1",
            **(extra_env or {}),
        }
    )
    return subprocess.Popen(
        [sys.executable, "-m", "mailflow", "-c", str(config), "auth", "login", name, "--timeout", "60"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    )


def read_until(process: subprocess.Popen, pattern: str, timeout: float = 30.0) -> re.Match[str]:
    """Read the command's output line by line until `pattern` matches (as the admin reads it)."""
    found: list[re.Match[str]] = []

    def reader() -> None:
        for line in process.stdout:
            match = re.search(pattern, line)
            if match:
                found.append(match)
                return

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    thread.join(timeout)
    if not found:
        process.kill()
        raise AssertionError(f"no {pattern!r} in the output; stderr: {process.stderr.read()}")
    return found[0]


@pytest.mark.slow
def test_device_code_sign_in_with_msal_stores_a_working_token(
    tmp_path, oauth_dovecot, idp, clock, dovecot
) -> None:
    env = oauth_env(tmp_path, oauth_dovecot, idp, clock)
    try:
        process = start_login(env.config, "diskominfo", dovecot)
        code = read_until(process, r"masukkan kode (\S+) lalu masuk sebagai")
        idp.approve(code.group(1), env.user)  # the admin signs in on the verification page
        out, err = process.communicate(timeout=60)

        assert process.returncode == 0, err
        assert "token disimpan di" in out
        stored = TokenFile(token_path(env)).read()
        assert stored is not None and stored.user == env.user and stored.refresh_token
        assert "offline_access" in stored.scopes  # msal asked for it itself
        assert (token_path(env).stat().st_mode & 0o777) == 0o600
        ImapConnection.open(account_for(env.app.settings.mailboxes[0])).close()  # and Dovecot takes it
    finally:
        env.app.close()


@pytest.mark.slow
@pytest.mark.parametrize("answer", ["redirect", "pasted"])
def test_google_sign_in_through_the_browser_stores_a_working_token(
    tmp_path, oauth_dovecot, idp, clock, dovecot, answer
) -> None:
    env = oauth_env(tmp_path, oauth_dovecot, idp, clock, provider="google")
    try:
        idp.consent_as(env.user)
        process = start_login(
            env.config, "diskominfo", dovecot, {"MAILFLOW_MAILBOX_DISKOMINFO_CLIENT_SECRET": CLIENT_SECRET}
        )
        url = read_until(process, r"^(https://\S+/google/auth\?\S+)$").group(1)
        assert "code_challenge_method=S256" in url and "access_type=offline" in url
        # the admin's browser: Google's consent page answers with a redirect to the loopback address
        consent = http.client.HTTPSConnection("127.0.0.1", idp.https_port, context=trusting(dovecot))
        consent.request("GET", url.split(str(idp.https_port), 1)[1])
        location = consent.getresponse().getheader("Location")
        assert location.startswith("http://127.0.0.1:")
        if answer == "redirect":  # the browser runs on the server itself
            urllib.request.urlopen(location, timeout=10).read()
        else:  # the browser is elsewhere: its failed page's address is pasted back
            process.stdin.write(location + "\n")
            process.stdin.flush()
        _out, err = process.communicate(timeout=60)

        assert process.returncode == 0, err
        stored = TokenFile(token_path(env)).read()
        assert stored is not None and stored.provider == "google" and stored.refresh_token
        # the refresh later needs the client secret too (Google's desktop clients)
        settings = load_config(env.config, env={"MAILFLOW_MAILBOX_DISKOMINFO_CLIENT_SECRET": CLIENT_SECRET})
        TokenFile(token_path(env)).write(dataclasses.replace(stored, expires_at=time.time() + 5))
        refreshes = idp.count("refresh_token")
        ImapConnection.open(account_for(settings.mailboxes[0])).close()
        assert idp.count("refresh_token") == refreshes + 1
    finally:
        env.app.close()


@pytest.mark.slow
def test_google_sign_in_without_the_client_secret_says_where_to_put_it(
    tmp_path, oauth_dovecot, idp, clock, dovecot
) -> None:
    env = oauth_env(tmp_path, oauth_dovecot, idp, clock, provider="google")
    try:
        process = start_login(env.config, "diskominfo", dovecot)
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 1
        assert "MAILFLOW_MAILBOX_DISKOMINFO_CLIENT_SECRET" in err
        assert not token_path(env).exists()
    finally:
        env.app.close()


def trusting(dovecot) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(dovecot.tls.cert))


def test_auth_status_shows_who_is_signed_in(tmp_path, oauth_dovecot, idp, clock) -> None:
    env = oauth_env(tmp_path, oauth_dovecot, idp, clock)
    try:
        before = json.loads(run_cli("-c", env.config, "auth", "status", "--json").stdout)
        store_grant(token_path(env), idp, env.user)
        after = run_cli("-c", env.config, "auth", "status")
        data = json.loads(run_cli("-c", env.config, "auth", "status", "--json").stdout)
    finally:
        env.app.close()
    assert [(a["account"], a["signed_in"]) for a in before["accounts"]] == [
        ("diskominfo", False),
        ("smtp", False),
    ]
    assert [(a["account"], a["signed_in"]) for a in data["accounts"]] == [
        ("diskominfo", True),
        ("smtp", True),
    ]
    assert after.returncode == 0 and "berlaku sampai" in after.stdout
