"""The directory of people and departments (OPD): who holds which role, delegates, superiors.

Validated from the directory YAML by `mailflow.config.directory_file`; the lookups here are pure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from mailflow.domain.sop import Role

_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]*$")


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(_Item):
    id: str
    name: str
    email: EmailStr
    other_emails: tuple[EmailStr, ...] = ()  # e.g. a personal address the official also uses
    jabatan: str = ""
    pangkat: str = ""
    nip: str = ""
    phone: str = ""
    delegates: tuple[str, ...] = ()  # person ids allowed to act for this person
    superior: str | None = None  # person id told when this person's step is overdue
    language: Literal["id", "en"] | None = None
    certificate_names: tuple[str, ...] = ()  # names a signing certificate may carry for this person

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("id: use lowercase letters, digits, '.', '-' and '_' (e.g. kadis_dishub)")
        return value

    def addresses(self) -> tuple[str, ...]:
        return tuple(a.lower() for a in (self.email, *self.other_emails))


class Letterhead(_Item):
    """Data of an organisation's kop surat."""

    name: str  # "Dinas Perhubungan"
    short: str  # "Dishub"
    address: str = ""
    phone: str = ""
    fax: str = ""
    email: EmailStr | None = None
    website: str = ""
    postal_code: str = ""
    logo: Path | None = None


class Bidang(_Item):
    code: str
    name: str
    kabid: str  # person id
    aliases: tuple[str, ...] = ()

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CODE.match(value):
            raise ValueError("code: use capital letters, digits, '-' and '_' (e.g. PJU)")
        return value


class Opd(_Item):
    code: str
    kind: Literal["dinas", "badan", "kantor", "sekretariat", "kecamatan", "instansi", "bumd", "bumn"]
    letterhead: Letterhead
    aliases: tuple[str, ...] = ()
    mailbox: EmailStr | None = None  # the department's shared address, if any
    sekretaris: str
    kepala: str
    bidang: tuple[Bidang, ...] = Field(min_length=1)
    unit_code: str | None = None  # used in letter numbers; default: letterhead.short

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CODE.match(value):
            raise ValueError("code: use capital letters, digits, '-' and '_' (e.g. DISHUB)")
        return value

    @property
    def name(self) -> str:
        return self.letterhead.name

    @property
    def unit(self) -> str:
        return self.unit_code or self.letterhead.short

    def find_bidang(self, text: str) -> Bidang | None:
        wanted = {normalise(text), normalise(_without_kind(text))} - {""}
        for bidang in self.bidang:
            names = (bidang.code, bidang.name, *bidang.aliases)
            if wanted & {normalise(n) for n in names} | wanted & {normalise(_without_kind(n)) for n in names}:
                return bidang
        return None


class Diskominfo(_Item):
    letterhead: Letterhead
    admin: tuple[str, ...] = Field(min_length=1)  # person ids of the complaint-service admins
    ikp: str  # Kepala Bidang IKP
    pimpinan: str  # Kepala Dinas
    unit_code: str | None = None

    @property
    def unit(self) -> str:
        return self.unit_code or self.letterhead.short


class Directory(_Item):
    government: str = "PEMERINTAH KOTA BONTANG"
    city: str = "Bontang"
    diskominfo: Diskominfo
    opds: tuple[Opd, ...] = ()
    people: tuple[Person, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> Directory:
        ids = [p.id for p in self.people]
        _unique(ids, "people: person id {!r} is used twice")
        seen: dict[str, str] = {}
        for person in self.people:
            for address in person.addresses():
                if address in seen and seen[address] != person.id:
                    raise ValueError(f"people: {address} belongs to both {seen[address]!r} and {person.id!r}")
                seen[address] = person.id
        known = set(ids)

        def ref(pid: str | None, where: str) -> None:
            if pid is not None and pid not in known:
                raise ValueError(f"{where}: unknown person id {pid!r}")

        for person in self.people:
            ref(person.superior, f"people[{person.id}].superior")
            for delegate in person.delegates:
                ref(delegate, f"people[{person.id}].delegates")
        for admin in self.diskominfo.admin:
            ref(admin, "diskominfo.admin")
        ref(self.diskominfo.ikp, "diskominfo.ikp")
        ref(self.diskominfo.pimpinan, "diskominfo.pimpinan")
        _unique([o.code for o in self.opds], "opds: code {!r} is used twice")
        for opd in self.opds:
            ref(opd.sekretaris, f"opds[{opd.code}].sekretaris")
            ref(opd.kepala, f"opds[{opd.code}].kepala")
            _unique([b.code for b in opd.bidang], f"opds[{opd.code}].bidang: code {{!r}} is used twice")
            for bidang in opd.bidang:
                ref(bidang.kabid, f"opds[{opd.code}].bidang[{bidang.code}].kabid")
        return self

    # --- lookups ---------------------------------------------------------------------------

    def person(self, person_id: str) -> Person:
        for person in self.people:
            if person.id == person_id:
                return person
        raise KeyError(person_id)

    def person_by_email(self, address: str) -> Person | None:
        wanted = address.strip().lower()
        for person in self.people:
            if wanted in person.addresses():
                return person
        return None

    def opd(self, code: str) -> Opd:
        for opd in self.opds:
            if opd.code == code:
                return opd
        raise KeyError(code)

    def find_opd(self, text: str) -> Opd | None:
        """By code, short name, full name or alias, ignoring case, accents, punctuation and a
        leading "Dinas"/"Badan"/... ("Dinas PU" finds the OPD whose alias is "PU")."""
        wanted = {normalise(text), normalise(_without_kind(text))} - {""}
        if not wanted:
            return None
        for opd in self.opds:
            names = (opd.code, opd.letterhead.short, opd.letterhead.name, *opd.aliases)
            keys = {normalise(n) for n in names} | {normalise(_without_kind(n)) for n in names}
            if wanted & (keys - {""}):
                return opd
        return None

    def holders(
        self, role: Role, opd_code: str | None = None, bidang_code: str | None = None
    ) -> tuple[Person, ...]:
        """The people who hold `role` (for OPD roles, in that OPD and bidang)."""
        if role is Role.ADMIN:
            return tuple(self.person(p) for p in self.diskominfo.admin)
        if role is Role.IKP:
            return (self.person(self.diskominfo.ikp),)
        if role is Role.PIMPINAN:
            return (self.person(self.diskominfo.pimpinan),)
        if opd_code is None:
            raise ValueError(f"role {role} needs an OPD")
        opd = self.opd(opd_code)
        if role is Role.SEKRETARIS:
            return (self.person(opd.sekretaris),)
        if role is Role.KEPALA_OPD:
            return (self.person(opd.kepala),)
        if bidang_code is None:
            return tuple(self.person(b.kabid) for b in opd.bidang)
        for bidang in opd.bidang:
            if bidang.code == bidang_code:
                return (self.person(bidang.kabid),)
        raise KeyError(bidang_code)

    def may_act_for(self, sender: Person, holder: Person) -> bool:
        """The holder themself, or someone the holder named as delegate."""
        return sender.id == holder.id or sender.id in holder.delegates

    def superior_chain(self, person: Person) -> Iterator[Person]:
        seen = {person.id}
        current = person
        while current.superior and current.superior not in seen:
            current = self.person(current.superior)
            seen.add(current.id)
            yield current


_KIND_WORDS = re.compile(r"^\s*(?:dinas|badan|kantor|satuan|bagian|bidang|perumda|pdam)\s+", re.IGNORECASE)


def _without_kind(text: str) -> str:
    return _KIND_WORDS.sub("", text)


def normalise(text: str) -> str:
    """Lowercase, strip accents and everything but letters and digits: "Dinas P.U." -> "dinaspu"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed.lower() if ch.isalnum())


def _unique(values: list[str], message: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(message.format(value))
        seen.add(value)
