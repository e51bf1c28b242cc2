"""A small complaint history with answers computed by hand (see tests/reports/test_figures.py).

Rows are written exactly as docs/step-events.md says the engine writes them: one row per step
(per route for steps 5-9), due_at from the real business calendar and the step's limit on its
track, business_seconds / late_seconds / on_time fixed at finish with the same calendar. The
expected figures in the tests are NOT derived from this module: they are written out by hand
from the local times below, so a wrong calendar or wrong SQL shows up as a mismatch.

All times are WITA (UTC+8). Calendar facts used: Mon-Thu 07:30-12:00 and 12:30-16:30 (8.5 h),
Fri 07:30-11:00 (3.5 h); holidays 2026: 18-24 Mar (cuti bersama, Nyepi, Idul Fitri),
24 Dec (cuti bersama) and 25 Dec (Natal).

| case  | received          | route(s)      | what is special                                  |
|-------|-------------------|---------------|--------------------------------------------------|
| 00090 | Mon 30 Nov 08:05  | DISHUB        | EXAMPLE.md's journey; step 4 late 35 min          |
| 00101 | Mon 21 Dec 08:00  | DISHUB        | everything on time, closed Tue 22 Dec 15:00       |
| 00102 | Fri 18 Dec 14:00  | -             | Friday afternoon start; step 4 still open, overdue|
| 00103 | Mon  7 Dec 08:00  | DPUPR         | 14-day track for step 7 across Christmas; step 10 late |
| 00104 | Tue 22 Dec 09:00  | -             | rejected at step 2 (late)                         |
| 00105 | Mon 21 Dec 13:00  | DPUPR + DLH   | two OPDs; DLH's step 5 late                       |
| 00106 | Wed 23 Dec 08:00  | DISHUB (+DINKES withdrawn) | step 7 open; DINKES route cancelled  |
| 00050 | Tue 17 Mar 16:00  | -             | across Nyepi/Lebaran days off; rejected on time   |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Case, CaseRoute, StepEvent
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.sop import Role, Sop, Track

WITA = timezone(timedelta(hours=8))

ACTORS = {
    1: (Role.ADMIN, "admin_lapor", "admin.lapor@bontangkota.go.id"),
    2: (Role.IKP, "kabid_ikp", "ikp.kominfo@bontangkota.go.id"),
    3: (Role.IKP, "kabid_ikp", "ikp.kominfo@bontangkota.go.id"),
    4: (Role.PIMPINAN, "kadis_kominfo", "kadis.kominfo@bontangkota.go.id"),
    10: (Role.IKP, "kabid_ikp", "ikp.kominfo@bontangkota.go.id"),
    11: (Role.ADMIN, "admin_lapor", "admin.lapor@bontangkota.go.id"),
}
OPD_ACTORS = {
    "DISHUB": ("sekretaris_dishub", "kadis_dishub", "kabid_pju_dishub"),
    "DPUPR": ("sekretaris_dpupr", "kadis_dpupr", "kabid_bm_dpupr"),
    "DLH": ("sekretaris_dlh", "kadis_dlh", "kabid_sampah_dlh"),
    "DINKES": ("sekretaris_dinkes", "kadis_dinkes", "kabid_yankes_dinkes"),
}


def at(day: str, clock: str) -> datetime:
    """ "2026-12-21", "08:00" -> aware WITA instant."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=WITA)


@dataclass
class Builder:
    session: Session
    calendar: BusinessCalendar
    sop: Sop
    now: datetime
    cases: dict[str, Case] = field(default_factory=dict)

    def case(self, number: str, received: datetime, *, channel: str, category: str, subject: str) -> Case:
        row = Case(
            number=f"LPR-2026-{number}",
            channel=channel,
            subject=subject,
            summary=subject,
            category=category,
            status="open",
            received_at=received,
            created_at=received,
            updated_at=received,
        )
        self.session.add(row)
        self.session.flush()
        self.cases[number] = row
        return row

    def route(self, case: Case, opd: str) -> CaseRoute:
        row = CaseRoute(case_id=case.id, opd_code=opd, created_at=case.received_at)
        self.session.add(row)
        self.session.flush()
        return row

    def step(
        self,
        case: Case,
        step: int,
        started: datetime,
        finished: datetime | None,
        *,
        route: CaseRoute | None = None,
        outcome: str | None = "done",
        track: Track = Track.NORMAL,
    ) -> StepEvent:
        due = self.calendar.add(started, self.sop.step(step).limit_for(track))
        role, person, email = self._actor(step, route)
        row = StepEvent(
            case_id=case.id,
            route_id=route.id if route else None,
            route_key=route.id if route else 0,
            step=step,
            attempt=1,
            track=track.value,
            opd_code=route.opd_code if route else None,
            actor_role=role.value,
            actor_person=person,
            actor_email=email,
            started_at=started,
            due_at=due,
            reminders_sent=0,
        )
        if finished is not None and outcome in ("done", "rejected"):
            row.finished_at = finished
            row.outcome = outcome
            row.finished_by = email
            row.command = "system"
            row.business_seconds = self.calendar.business_seconds(started, finished)
            row.late_seconds = self.calendar.business_seconds(due, finished) if finished > due else 0
            row.on_time = finished <= due
        elif outcome in ("cancelled", "superseded"):
            row.outcome = outcome
            row.finished_at = finished
        self.session.add(row)
        self.session.flush()
        return row

    def chain(
        self,
        case: Case,
        steps: list[int],
        times: list[datetime],
        *,
        route: CaseRoute | None = None,
        track: dict[int, Track] | None = None,
    ) -> None:
        """Steps in a row: each starts when the one before finishes; `times` has one more entry
        than `steps` (the first start, then each finish)."""
        assert len(times) == len(steps) + 1
        for index, number in enumerate(steps):
            self.step(
                case,
                number,
                times[index],
                times[index + 1],
                route=route,
                track=(track or {}).get(number, Track.NORMAL),
            )

    def close(self, case: Case, when: datetime, status: str = "closed") -> None:
        case.status = status
        case.closed_at = when
        case.current_step = None
        case.close_reason = "TOLAK: bukan kewenangan Pemerintah Kota" if status == "rejected" else None

    def _actor(self, step: int, route: CaseRoute | None) -> tuple[Role, str, str]:
        if step in ACTORS:
            return ACTORS[step]
        assert route is not None
        sek, kepala, kabid = OPD_ACTORS[route.opd_code]
        person = {5: sek, 6: kepala, 7: kabid, 8: kepala, 9: sek}[step]
        role = {
            5: Role.SEKRETARIS,
            6: Role.KEPALA_OPD,
            7: Role.KABID,
            8: Role.KEPALA_OPD,
            9: Role.SEKRETARIS,
        }[step]
        return role, person, f"{person.replace('_', '.')}@bontangkota.go.id"


def seed_history(database: Database, calendar: BusinessCalendar, sop: Sop) -> dict[str, int]:
    """Write the history; returns case numbers -> ids."""
    with database.transaction() as session:
        b = Builder(session, calendar, sop, now=at("2026-12-28", "07:30"))
        _case_00090(b)
        _case_00101(b)
        _case_00102(b)
        _case_00103(b)
        _case_00104(b)
        _case_00105(b)
        _case_00106(b)
        _case_00050(b)
        return {row.number: row.id for row in b.cases.values()}


def _case_00090(b: Builder) -> None:
    # EXAMPLE.md: Mon 30 Nov 2026 ... Thu 3 Dec 10:00.
    c = b.case("00090", at("2026-11-30", "08:05"), channel="email", category="Penerangan Jalan",
               subject="Lampu jalan mati di Jl. Ahmad Yani, Api-Api")  # fmt: skip
    d = "2026-11-30"
    b.chain(c, [1, 2, 3, 4], [at(d, "08:05"), at(d, "08:05"), at(d, "08:40"), at(d, "08:40"), at(d, "10:15")])
    r = b.route(c, "DISHUB")
    b.chain(
        c,
        [5, 6, 7, 8, 9],
        [at(d, "10:15"), at(d, "10:50"), at(d, "11:30"), at("2026-12-02", "14:00"),
         at("2026-12-03", "09:10"), at("2026-12-03", "09:10")],
        route=r,
    )  # fmt: skip
    b.chain(c, [10, 11], [at("2026-12-03", "09:10"), at("2026-12-03", "09:25"), at("2026-12-03", "10:00")])
    b.close(c, at("2026-12-03", "10:00"))


def _case_00101(b: Builder) -> None:
    c = b.case("00101", at("2026-12-21", "08:00"), channel="email", category="Penerangan Jalan",
               subject="Lampu PJU padam di Jl. MT Haryono")  # fmt: skip
    d = "2026-12-21"
    b.chain(c, [1, 2, 3, 4], [at(d, "08:00"), at(d, "08:00"), at(d, "08:30"), at(d, "08:30"), at(d, "09:00")])
    r = b.route(c, "DISHUB")
    e = "2026-12-22"
    b.chain(
        c, [5, 6, 7, 8, 9],
        [at(d, "09:00"), at(d, "09:20"), at(d, "10:00"), at(e, "10:00"), at(e, "14:00"), at(e, "14:00")],
        route=r,
    )  # fmt: skip
    b.chain(c, [10, 11], [at(e, "14:00"), at(e, "14:20"), at(e, "15:00")])
    b.close(c, at(e, "15:00"))


def _case_00102(b: Builder) -> None:
    # Arrives Friday 14:00, after Friday's closing (11:00): step 1 counts from Monday 07:30.
    c = b.case("00102", at("2026-12-18", "14:00"), channel="email", category="Kebersihan",
               subject="Sampah menumpuk di Pasar Rawa Indah")  # fmt: skip
    b.chain(
        c, [1, 2, 3],
        [at("2026-12-18", "14:00"), at("2026-12-21", "08:45"), at("2026-12-21", "09:30"), at("2026-12-21", "09:30")],
    )  # fmt: skip
    b.step(c, 4, at("2026-12-21", "09:30"), None, outcome=None)
    c.current_step = 4


def _case_00103(b: Builder) -> None:
    # 14-day track for step 7 (KHUSUS): due Tue 29 Dec 11:00 across the Christmas days off.
    c = b.case("00103", at("2026-12-07", "08:00"), channel="lapor", category="Jalan Rusak",
               subject="Jalan berlubang di Jl. Soekarno-Hatta")  # fmt: skip
    c.track = "special"
    c.special_reason = "perlu tinjauan lapangan bersama Dinas Perhubungan"
    c.special_by, c.special_at = "binamarga.dpupr@bontangkota.go.id", at("2026-12-07", "11:30")
    d = "2026-12-07"
    b.chain(c, [1, 2, 3, 4], [at(d, "08:00"), at(d, "08:00"), at(d, "08:40"), at(d, "08:40"), at(d, "09:40")])
    r = b.route(c, "DPUPR")
    w = "2026-12-23"
    b.chain(
        c, [5, 6, 7, 8, 9],
        [at(d, "09:40"), at(d, "10:10"), at(d, "11:00"), at(w, "10:00"), at(w, "15:00"), at(w, "15:00")],
        route=r,
        track={7: Track.SPECIAL},
    )  # fmt: skip
    b.chain(c, [10, 11], [at(w, "15:00"), at(w, "15:40"), at(w, "16:10")])
    b.close(c, at(w, "16:10"))


def _case_00104(b: Builder) -> None:
    c = b.case("00104", at("2026-12-22", "09:00"), channel="lapor", category="Lainnya",
               subject="Keluhan tarif parkir pusat perbelanjaan swasta")  # fmt: skip
    d = "2026-12-22"
    b.step(c, 1, at(d, "09:00"), at(d, "09:10"))
    b.step(c, 2, at(d, "09:10"), at(d, "11:00"), outcome="rejected")
    b.close(c, at(d, "11:00"), status="rejected")


def _case_00105(b: Builder) -> None:
    c = b.case("00105", at("2026-12-21", "13:00"), channel="email", category="Jalan Rusak",
               subject="Drainase tersumbat dan jalan rusak di Jl. Cipto Mangunkusumo")  # fmt: skip
    d, e, w = "2026-12-21", "2026-12-22", "2026-12-23"
    b.chain(c, [1, 2, 3, 4], [at(d, "13:00"), at(d, "13:05"), at(d, "13:35"), at(d, "13:35"), at(d, "14:00")])
    pu = b.route(c, "DPUPR")
    b.chain(
        c, [5, 6, 7, 8, 9],
        [at(d, "14:00"), at(d, "14:30"), at(d, "15:00"), at(w, "09:00"), at(w, "10:00"), at(w, "10:00")],
        route=pu,
    )  # fmt: skip
    lh = b.route(c, "DLH")
    b.chain(
        c, [5, 6, 7, 8, 9],
        [at(d, "14:00"), at(d, "16:00"), at(e, "08:00"), at(w, "11:00"), at(w, "13:00"), at(w, "13:00")],
        route=lh,
    )  # fmt: skip
    b.chain(c, [10, 11], [at(w, "13:00"), at(w, "13:20"), at(w, "14:00")])
    b.close(c, at(w, "14:00"))


def _case_00106(b: Builder) -> None:
    c = b.case("00106", at("2026-12-23", "08:00"), channel="email", category="Penerangan Jalan",
               subject="Lampu taman kota mati")  # fmt: skip
    w = "2026-12-23"
    b.chain(c, [1, 2, 3, 4], [at(w, "08:00"), at(w, "08:00"), at(w, "08:20"), at(w, "08:20"), at(w, "08:50")])
    r = b.route(c, "DISHUB")
    b.chain(c, [5, 6], [at(w, "08:50"), at(w, "09:20"), at(w, "10:00")], route=r)
    b.step(c, 7, at(w, "10:00"), None, route=r, outcome=None)
    withdrawn = b.route(c, "DINKES")
    withdrawn.status = "cancelled"
    b.step(c, 5, at(w, "08:50"), None, route=withdrawn, outcome="cancelled")
    c.current_step = 7


def _case_00050(b: Builder) -> None:
    # Tue 17 Mar 16:00: 30 min that day, then 18-24 Mar are days off; due Wed 25 Mar 08:00.
    c = b.case("00050", at("2026-03-17", "16:00"), channel="email", category="Kebersihan",
               subject="Pertanyaan jadwal pengangkutan sampah")  # fmt: skip
    b.step(c, 1, at("2026-03-17", "16:00"), at("2026-03-25", "07:45"))
    b.step(c, 2, at("2026-03-25", "07:45"), at("2026-03-25", "08:15"), outcome="rejected")
    b.close(c, at("2026-03-25", "08:15"), status="rejected")
