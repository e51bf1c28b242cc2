"""Who acts on a step: the holders of its role (and of its alternate roles) in the directory, the
delegates who may answer for them, and the superior who is told when it is late."""

from __future__ import annotations

from sqlalchemy.orm import Session

from mailflow.adapters.db.models import CaseRoute, StepEvent
from mailflow.domain.directory import Directory, Person
from mailflow.domain.sop import Role, Sop
from mailflow.domain.tokens import TokenClaims
from mailflow.services.conversation.records import CaseRecords


class Actors:
    def __init__(self, directory: Directory, sop: Sop, records: CaseRecords) -> None:
        self.directory = directory
        self.sop = sop
        self.records = records

    def holders(self, role: Role, route: CaseRoute | None, bidang: str | None = None) -> tuple[Person, ...]:
        """The people holding `role` (in the route's OPD and bidang for OPD roles)."""
        if role.is_opd_role:
            assert route is not None, f"{role} needs a route"
            return self.directory.holders(role, route.opd_code, bidang or route.bidang_code)
        return self.directory.holders(role)

    def holders_of_role(self, session: Session, event: StepEvent) -> tuple[Person, ...]:
        """The holders of `event`'s own role (reminders go to them, not to alternates)."""
        route = self.records.route_of(session, event)
        return self.holders(Role(event.actor_role), route, route.bidang_code if route else None)

    def of_event(self, session: Session, event: StepEvent) -> tuple[Person, ...]:
        """Who may act on `event`: its role's holders, then those of the step's alternate roles."""
        route = self.records.route_of(session, event)
        people = list(self.holders(Role(event.actor_role), route, route.bidang_code if route else None))
        for alternate in self.sop.step(event.step).alternate_actors:
            people.extend(self.holders(alternate, route))
        return tuple(dict.fromkeys(people))

    def holder_for(
        self, session: Session, event: StepEvent, person: Person, claims: TokenClaims | None = None
    ) -> Person | None:
        """The holder `person` acts for (themself or as a delegate), honouring the token's actor."""
        for holder in self.of_event(session, event):
            if claims is not None and not claims.names_actor(holder.id):
                continue
            if self.directory.may_act_for(person, holder):
                return holder
        return None

    def after_close(self) -> tuple[Person, ...]:
        """Who reads a complainant's words once the case is closed (the SOP's after_close actors)."""
        roles = self.sop.after_close.actors if self.sop.after_close else ()
        return tuple(dict.fromkeys(p for role in roles for p in self.holders(role, None)))

    def acts_after_close(self, person: Person, claims: TokenClaims) -> Person | None:
        """The after-close actor named by `claims` that `person` may act for (self or delegate)."""
        for holder in self.after_close():
            if claims.names_actor(holder.id) and self.directory.may_act_for(person, holder):
                return holder
        return None

    def superior(self, session: Session, event: StepEvent) -> Person | None:
        actors = self.of_event(session, event)
        if not actors:
            return None
        return next(iter(self.directory.superior_chain(actors[0])), None)

    def name(self, person_id: str | None, fallback: str) -> str:
        """A person's jabatan (or name) for mails; the fallback when unknown."""
        if not person_id:
            return fallback
        try:
            person = self.directory.person(person_id)
        except KeyError:
            return fallback
        return person.jabatan or person.name

    def is_diskominfo(self, person: Person) -> bool:
        kominfo = self.directory.diskominfo
        staff = (*kominfo.admin, kominfo.ikp, kominfo.pimpinan)
        return person.id in staff or any(person.id in self.directory.person(p).delegates for p in staff)
