"""User-facing texts of `mailflow backup` and `mailflow restore`: {key: (Indonesian, English)}."""

MESSAGES: dict[str, tuple[str, str]] = {}
