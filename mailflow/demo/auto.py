"""Officials who follow any SOP file: `mailflow demo --sop FILE` plays a procedure nobody scripted.

For each step waiting on a person, the person answers the mail they got with the step's first
command that moves the case forward (never a rejection), its arguments filled from what the
case and the directory say: the suggested OPD, the OPD's first division, a drafted response. A
step completed by a signed letter gets the letter back, signed with the demo's certificates. Each
answer comes a little after the step started (well inside its limit), as a diligent office would.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailflow.domain.directory import Directory
from mailflow.domain.durations import BusinessDuration
from mailflow.domain.sop import ArgKind, Close, CommandRule, Need, Step

RESPONSE = (
    "Terima kasih atas laporan Bapak/Ibu. Petugas kami telah meninjau lokasi dan pekerjaan perbaikan "
    "dijadwalkan minggu ini. Kami akan memantau sampai tuntas."
)
INSTRUCTION = "Mohon segera ditinjau dan ditindaklanjuti."
COVERING = "Dengan hormat, terlampir jawaban atas aduan Bapak/Ibu. Terima kasih."
QUICK = BusinessDuration(minutes=20)  # a step limited in minutes is answered after this
SLOW = BusinessDuration(minutes=120)  # a step limited in days is answered after this


@dataclass(frozen=True)
class Answer:
    body: str | None  # None: the step waits for the signed letter, not for words
    verb: str


def pace(step: Step) -> BusinessDuration:
    """How long after a step starts its actor answers: well inside the limit."""
    return SLOW if step.limit.days else QUICK


def forward_rule(step: Step) -> CommandRule | None:
    """The command that moves the case on: the first with a next step that is no branch back (a
    decline, a return), else the one that answers."""
    for rule in step.commands:
        if rule.next is not None and rule.route is None:
            return rule
    for rule in step.commands:
        if rule.close is Close.ANSWERED:
            return rule
    return None


def answer_for(step: Step, suggested: tuple[str, ...], opd_code: str | None, directory: Directory) -> Answer:
    """What a diligent official writes at `step` of a case suggested for `suggested` OPDs."""
    if step.waits_for_signature:
        return Answer(None, "TTD")
    rule = forward_rule(step)
    if rule is None:
        raise RuntimeError(f"step {step.key} has no command that moves a case forward")
    verb = rule.verb.value
    if rule.need is Need.NONE or rule.args in (ArgKind.NONE, ArgKind.REASON):
        return Answer(verb, verb)
    if rule.args is ArgKind.OPDS:
        if rule.need is Need.REQUIRED:
            return Answer(f"{verb} {', '.join(suggested)}", verb)
        return Answer(verb, verb)
    if rule.args is ArgKind.BIDANG:
        assert opd_code is not None, f"{verb} at {step.key} needs a route"
        bidang = directory.opd(opd_code).bidang[0].code
        return Answer(f"{verb} {bidang}: {INSTRUCTION}", verb)
    if rule.args is ArgKind.RESPONSE:
        return Answer(f"{verb}\n{RESPONSE}", verb)
    return Answer(f"{verb} {COVERING}", verb)
