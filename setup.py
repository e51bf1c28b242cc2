"""Only what pyproject.toml cannot say: the packages are every `mailflow*` package found here
plus the top-level `templates/` and `inbox_rules/` folders, which the wheel carries as
`mailflow.bundled.templates` and `mailflow.bundled.inbox_rules` (see [tool.setuptools.package-dir]).
Everything else is in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["mailflow", "mailflow.*"]),
        "mailflow.bundled.templates",
        "mailflow.bundled.templates.email",
        "mailflow.bundled.inbox_rules",
    ]
)
