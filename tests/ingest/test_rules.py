"""Inbox rules: matching with reasons, `continue`, the default rule set, and located errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailflow.adapters.mime_parse import ParseLimits, parse_message
from mailflow.config.rules_file import load_rules
from mailflow.domain.reply_signals import case_tag_regex, reply_signals
from mailflow.domain.rules import Action, MailFacts, evaluate
from mailflow.errors import ConfigError
from mailflow.resources import bundled
from tests.cli.helpers import run_cli
from tests.ingest.builders import SAMPLES, complaint, sample

OPDS = ["DPUPR", "DISHUB", "DLH", "DINKES", "DISDIKBUD", "DISDUKCAPIL", "PDAM", "SATPOLPP"]
REPLY = "lapor@diskominfo.bontangkota.go.id"


def decide(raw: bytes, *, automated: bool = False):
    mail = parse_message(raw, store=None, limits=ParseLimits())
    signals = reply_signals(
        mail, reply_address=REPLY, own_domains=("diskominfo.bontangkota.go.id",),
        case_tag=case_tag_regex("LPR-{tahun}-{nomor:05d}"),
    )  # fmt: skip
    rules = load_rules(bundled("inbox_rules"), known_opds=OPDS)
    return evaluate(rules, MailFacts.of(mail, "diskominfo", signals, automated=automated))


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_default_rules_load_and_classify_the_samples() -> None:
    gmail = decide(sample("gmail_alternative.eml"))
    assert (gmail.action, gmail.rule) == (Action.COMPLAINT, "aduan-warga")
    assert (gmail.settings.category, gmail.settings.opds, gmail.settings.channel) == (
        "Penerangan Jalan", ("DISHUB",), "email",
    )  # fmt: skip
    assert any("lampu jalan" in step.lower() for t in gmail.trace if t.matched for step in t.reasons)
    reply = decide(sample("reply_with_token.eml"))
    assert (reply.action, reply.rule) == (Action.REPLY, "balasan")
    assert any("token_address" in why for why in reply.why)
    portal = decide(sample("lapor_portal.eml"), automated=True)
    assert (portal.action, portal.rule, portal.settings.channel, portal.settings.acknowledge) == (
        Action.COMPLAINT, "lapor-portal", "lapor", False,
    )  # fmt: skip
    assert portal.settings.category == "Drainase dan Banjir"  # the continue rule set it first
    news = decide(sample("newsletter.eml"), automated=True)
    assert (news.action, news.rule) == (Action.IGNORE, "buletin-milis")


def test_machine_mail_is_only_taken_by_rules_that_say_automated() -> None:
    decision = decide(complaint(1), automated=True)
    assert decision.action is None  # the citizens' catch-all does not take machine mail
    assert any("automated" in why for t in decision.trace for why in t.reasons)


def test_subject_tag_and_in_reply_to_are_reply_signals() -> None:
    tagged = decide(complaint(2, subject="Tambahan info [LPR-2026-00042]"))
    assert tagged.action is Action.REPLY and any("LPR-2026-00042" in w for w in tagged.why)
    plain = decide(complaint(3, subject="Tambahan info LPR-2026-00042 tanpa kurung"))
    assert plain.action is Action.COMPLAINT


def test_first_match_wins_and_continue_keeps_the_first_value(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yaml",
        """
rules:
  - name: rahasia
    match: {body: {regex: 'dirahasiakan'}}
    complaint: {confidentiality: rahasia, category: Rahasia}
    continue: true
  - name: jalan
    match: {subject: {contains: [jalan, jembatan]}}
    action: complaint
    complaint: {category: Jalan, opd: [DPUPR]}
  - name: semua
    action: ignore
""",
    )
    rules = load_rules(tmp_path, known_opds=OPDS)
    body = "Mohon identitas saya dirahasiakan."
    mail = parse_message(complaint(1, body=body), store=None, limits=ParseLimits())
    decision = evaluate(rules, MailFacts.of(mail, "diskominfo"))
    assert decision.rule == "jalan"
    assert (decision.settings.confidentiality, decision.settings.category, decision.settings.opds) == (
        "rahasia", "Rahasia", ("DPUPR",),
    )  # fmt: skip
    assert decision.why == ("subject contains 'jalan' ('Jalan')",)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("rules:\n  - name: x\n    match: {subjek: a}\n    action: ignore\n", "kunci tidak dikenal", 3),
        (
            "rules:\n  - name: x\n    match: {subject: {regex: '(unclosed'}}\n    action: ignore\n",
            "regex tidak sah",
            3,
        ),
        (
            "rules:\n  - name: x\n    action: complaint\n    complaint: {opd: [NOPE]}\n",
            "OPD 'NOPE' tidak dikenal",
            4,
        ),
        ("rules:\n  - name: x\n    action: shout\n", "harus salah satu dari", 3),
        ("rules:\n  - name: x\n    match: {subject: a}\n", "perlu action", 2),
        ("rules:\n  - name: x\n    action: ignore\n  - name: x\n    action: ignore\n", "dipakai dua kali", 4),
        ("rules:\n  - name: x\n   action: ignore\n", "YAML", 3),
    ],
)
def test_errors_name_file_rule_field_and_line(tmp_path: Path, text: str, message: str, line: int) -> None:
    path = write(tmp_path, "50-salah.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_rules(tmp_path, known_opds=OPDS)
    error = caught.value
    assert message in str(error)
    assert error.file == str(path) and error.line == line
    if "YAML" not in message:
        assert error.key is not None and error.key.startswith("rule 'x'")


@pytest.mark.slow
def test_rules_check_cli_validates_and_explains_a_sample(tmp_path: Path) -> None:
    assert run_cli("init", tmp_path).returncode == 0
    config = tmp_path / "mailflow.toml"
    result = run_cli("-c", config, "rules", "check", SAMPLES / "gmail_alternative.eml",
                     SAMPLES / "vacation_autoreply.eml")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "aturan sah" in result.stdout
    assert "Kena aturan aduan-warga (90-warga.yaml): tindakan complaint" in result.stdout
    # the scored OPD rule (issue 14) shows each OPD's score and the terms that made it
    assert "kategori-opd" in result.stdout and "skor DISHUB" in result.stdout
    assert "lampu jalan" in result.stdout
    assert "Email otomatis (auto_reply): Auto-Submitted: auto-replied" in result.stdout

    write(tmp_path / "inbox_rules", "99-rusak.yaml", "rules:\n  - name: rusak\n    match: {form: x}\n")
    broken = run_cli("-c", config, "rules", "check")
    assert broken.returncode == 2
    assert "99-rusak.yaml:3" in broken.stderr and "rule 'rusak'" in broken.stderr and "form" in broken.stderr


@pytest.mark.parametrize(
    ("text", "message", "line", "key"),
    [
        (
            "rules:\n  - name: x\n    classify: true\n    continue: true\n",
            "perlu topik OPD",
            2,
            "rule 'x'.classify",
        ),
        (
            "topics:\n  - opd: DPUPR\n    category: Jalan\n    terms: {lubang: lima}\n",
            "harus angka",
            4,
            "topics[0].terms.lubang",
        ),
        (
            "topics:\n  - opd: DPUPR\n    category: Jalan\n    terms: {'---': 3}\n",
            "pola kosong",
            4,
            "topics[0].terms.---",
        ),  # no word in it
        ("scoring: {margin: 2}\n", "harus paling besar 1", 1, "scoring.margin"),
        ("rules:\n  - name: x\n    action: ignore\n    classify: true\n", "tidak berlaku", 2, "rule 'x'"),
    ],
)
def test_scored_topic_errors_name_file_key_and_line(
    tmp_path: Path, text: str, message: str, line: int, key: str
) -> None:
    path = write(tmp_path, "30-skor.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_rules(tmp_path, known_opds=OPDS)
    error = caught.value
    assert message in str(error) and error.file == str(path)
    assert error.line == line and error.key is not None and error.key.startswith(key)


def test_a_classifying_rule_sets_category_opds_and_the_field_review_hint(tmp_path: Path) -> None:
    write(
        tmp_path,
        "30-skor.yaml",
        """
rules:
  - name: skor
    classify: true
    complaint: {track: normal}
    continue: true
  - name: warga
    action: complaint
    complaint: {category: Umum}
scoring: {min_score: 3}
field_review: {tinjau lapangan: 4}
topics:
  - {opd: DPUPR, category: Jalan dan Jembatan, terms: {lubang: 4, jembatan: 4}}
  - {opd: DLH, category: Kebersihan, terms: {sampah: 5}}
""",
    )
    rules = load_rules(tmp_path, known_opds=OPDS)
    body = "Jembatan retak dan berlubang, mohon tinjau lapangan."
    mail = parse_message(complaint(7, subject="Jembatan", body=body), store=None, limits=ParseLimits())
    decision = evaluate(rules, MailFacts.of(mail, "diskominfo"))
    assert (decision.rule, decision.settings.category, decision.settings.opds) == (
        "warga", "Jalan dan Jembatan", ("DPUPR",),
    )  # fmt: skip
    assert decision.settings.field_review is True and decision.settings.track == "normal"
    assert decision.classification is not None and decision.classification.scores[0].opd == "DPUPR"
    scored = next(t for t in decision.trace if t.rule == "skor")
    assert scored.reasons[-1].startswith("scores: DPUPR")
    other = parse_message(
        complaint(8, subject="Halo", body="Terima kasih."), store=None, limits=ParseLimits()
    )
    plain = evaluate(rules, MailFacts.of(other, "diskominfo"))
    assert (plain.settings.category, plain.settings.opds, plain.settings.field_review) == ("Umum", (), None)


@pytest.mark.slow
def test_rules_check_json_shows_the_scores(tmp_path: Path) -> None:
    assert run_cli("init", tmp_path).returncode == 0
    result = run_cli(
        "-c", tmp_path / "mailflow.toml", "rules", "check", "--json", SAMPLES / "gmail_alternative.eml"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["skipped_topics"] == []
    (sample_report,) = report["samples"]
    scores = sample_report["scores"]
    assert scores["opds"] == ["DISHUB"] and scores["category"] == "Penerangan Jalan"
    best = scores["scores"][0]
    assert best["opd"] == "DISHUB" and any(hit["term"] == "lampu jalan" for hit in best["hits"])
    assert scores["field_review"] is False
    assert sample_report["settings"]["opds"] == ["DISHUB"]
