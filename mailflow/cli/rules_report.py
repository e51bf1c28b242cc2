"""What `mailflow rules check FILE.eml` prints: the noise verdict, the rule hit and why, the trace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mailflow.adapters.mime_parse import ParseLimits, parse_message
from mailflow.bootstrap import App
from mailflow.cli.common import t
from mailflow.domain.rules import Rule
from mailflow.services.ingest_app import build_ingest


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
            settings={k: v for k, v in vars(decision.settings).items() if v not in (None, ())},
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
        for item in decision.trace:
            mark = "+" if item.matched else "-"
            lines.append(
                t("ingest.rules.trace", lang, mark=mark, rule=item.rule, why="; ".join(item.reasons))
            )
        reports.append({**report, "lines": lines})
    return reports
