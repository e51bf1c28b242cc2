"""What `mailflow rules check FILE.eml` prints: the noise verdict, the rule hit and why, the OPD
scores of the classifying rule (terms and weights; all of it under `scores` with --json), the
web-form verdict, the trace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mailflow.adapters.mime_parse import ParseLimits, parse_message
from mailflow.bootstrap import App
from mailflow.bootstrap.ingest import build_ingest
from mailflow.cli.common import t
from mailflow.domain.rules import Decision, Rule


def check_samples(app: App, rules: list[Rule], samples: list[Path], mailbox: str) -> list[dict[str, Any]]:
    if not samples:
        return []
    service = build_ingest(app)
    service.rules = rules
    lang = app.lang
    reports: list[dict[str, Any]] = []
    for sample in samples:
        mail = parse_message(sample.read_bytes(), store=None, limits=ParseLimits())
        lines = [t("ingest.rules.sample", lang, file=sample)]
        report: dict[str, Any] = {"file": str(sample), "noise": None, "rule": None, "action": None}
        noise = service.noise_of(mail)
        if noise is not None:
            report["noise"] = {"kind": noise.kind.value, "reason": noise.reason}
            if not noise.kind.may_match_rules:
                lines.append(t("ingest.rules.noise", lang, kind=noise.kind.value, reason=noise.reason))
                reports.append({**report, "lines": lines})
                continue
            lines.append(t("ingest.rules.automated", lang, reason=noise.reason))
        decision = service.classify(mail, mailbox, automated=noise is not None)
        source = next((item.source for item in decision.trace if item.rule == decision.rule), "")
        report.update(
            rule=decision.rule,
            action=decision.action.value if decision.action else None,
            why=list(decision.why),
            settings={k: _plain(v) for k, v in vars(decision.settings).items() if v not in (None, ())},
            scores=decision.classification.as_dict() if decision.classification else None,
            complaint_signal=decision.complaint_signal,
            not_ignored=list(decision.not_ignored),
            trace=[{"rule": i.rule, "matched": i.matched, "why": list(i.reasons)} for i in decision.trace],
        )
        if decision.action is None:
            lines.append(t("ingest.rules.nohit", lang))
        else:
            lines.append(
                t("ingest.rules.hit", lang, rule=decision.rule, source=source, action=decision.action)
            )
            lines.extend(t("ingest.rules.because", lang, why=why) for why in decision.why)
            if report["settings"]:
                shown = ", ".join(f"{k}={v}" for k, v in report["settings"].items())
                lines.append(t("ingest.rules.settings", lang, settings=shown))
        lines.extend(_score_lines(decision, lang))
        for item in decision.trace:
            mark = "+" if item.matched else "-"
            lines.append(
                t("ingest.rules.trace", lang, mark=mark, rule=item.rule, why="; ".join(item.reasons))
            )
        reports.append({**report, "lines": lines})
    return reports


def skipped_topics(rules: list[Rule]) -> tuple[str, ...]:
    """OPD codes of scored topics left out because the directory lacks them."""
    return next((r.scorer.skipped for r in rules if r.scorer is not None), ())


def _score_lines(decision: Decision, lang: str) -> list[str]:
    lines: list[str] = []
    if decision.complaint_signal:
        lines.append(t("ingest.rules.form", lang, why=decision.complaint_signal))
    for name in decision.not_ignored:
        lines.append(t("ingest.rules.not_ignored", lang, rule=name))
    found = decision.classification
    if found is None:
        return lines
    for item in found.scores[:5]:
        terms = ", ".join(
            f"{h.term} {h.weight:g}" + (f"x{h.count}" if h.count > 1 else "") for h in item.hits
        )
        lines.append(t("ingest.rules.score", lang, opd=item.opd, score=f"{item.score:.1f}", terms=terms))
    review = t("ingest.rules.yes" if found.field_review else "ingest.rules.no", lang)
    hits = ", ".join(h.term for h in found.field_review_hits)
    lines.append(
        t(
            "ingest.rules.field_review",
            lang,
            verdict=review,
            score=f"{found.field_review_score:.1f}",
            terms=hits,
        )
    )
    return lines


def _plain(value: object) -> object:
    """Settings as JSON can hold them (the form fields are pairs)."""
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return dict(value)
    return value
