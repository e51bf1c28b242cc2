"""mailflow's own exceptions, named for what the caller does about them.

    MailflowError
    ├── ConfigError                 fix the configuration file, then start again (exit 2)
    │   └── DirectoryError          fix the directory (people/OPD) file
    ├── SopError                    fix the SOP data file
    ├── CalendarError               the calendar cannot answer (e.g. no working day at all)
    ├── UsageError                  the command line was wrong (exit 2)
    ├── NotFoundError               the thing asked for does not exist (exit 1)
    ├── StorageError                the database refused; retry later or run `mailflow db upgrade`
    ├── TransientError              a server or network hiccup: retry with backoff
    ├── QuarantineError             this input can never be processed: quarantine it, tell the sender
    │   └── PolicyError             the input was understood but is not allowed (auth, size, sender)
    └── DependencyError             a required external program (LibreOffice, Dovecot) is missing

Every message is meant for a person: it says what is wrong and, where it can, where.
"""

from __future__ import annotations


class MailflowError(Exception):
    """Base of every error mailflow raises on purpose."""

    exit_code = 1


class ConfigError(MailflowError):
    """The configuration is wrong; `file` and `key` locate the mistake when known."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        key: str | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.key = key
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file if self.line is None else f"{self.file}:{self.line}")
        if self.key:
            where.append(self.key)
        prefix = ": ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class DirectoryError(ConfigError):
    """The directory of people and OPDs is wrong."""


class SopError(ConfigError):
    """The SOP data file is wrong."""


class CalendarError(MailflowError):
    """The business calendar cannot compute an answer."""


class UsageError(MailflowError):
    """A command was called wrongly."""

    exit_code = 2


class NotFoundError(MailflowError):
    """The case, message or document asked for does not exist."""


class StorageError(MailflowError):
    """The database could not be used."""


class TransientError(MailflowError):
    """A temporary failure: the caller retries later with backoff."""


class QuarantineError(MailflowError):
    """The input can never be processed as it is: it goes to quarantine with this reason."""

    def __init__(self, reason: str, *, code: str = "invalid") -> None:
        self.reason = reason
        self.code = code
        super().__init__(reason)


class PolicyError(QuarantineError):
    """The input was understood but is not allowed (unknown sender, bad token, too large)."""


class DependencyError(MailflowError):
    """An external program mailflow needs is not installed or does not start."""
