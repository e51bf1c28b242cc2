"""User-facing texts of `mailflow doctor`: {key: (Indonesian, English)}."""

MESSAGES: dict[str, tuple[str, str]] = {}
