"""mailflow.toml and the directory file: loading, secrets from the environment, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailflow.config.directory_file import load_directory
from mailflow.config.loader import load_config
from mailflow.errors import ConfigError, DirectoryError
from mailflow.services.operations.starter import write_starter


@pytest.fixture
def starter_dir(tmp_path: Path) -> Path:
    write_starter(tmp_path / "site")
    return tmp_path / "site"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, fragment: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(fragment)


def test_starter_config_loads_with_resolved_paths(starter_dir: Path) -> None:
    settings = load_config(starter_dir / "mailflow.toml", env={})
    assert settings.general.language == "id"
    assert settings.paths.letters == starter_dir / "letters"
    assert settings.paths.directory == starter_dir / "directory.yaml"
    assert settings.database_url == f"sqlite:///{starter_dir / 'var' / 'mailflow.sqlite3'}"
    assert settings.mailboxes[0].name == "diskominfo"
    assert len(settings.token_secret) >= 32
    assert (starter_dir / "mailflow.toml").stat().st_mode & 0o077 == 0  # the secret is private


def test_starter_directory_loads(starter_dir: Path) -> None:
    directory = load_directory(starter_dir / "directory.yaml")
    assert directory.find_opd("DISHUB") is not None


def test_secrets_come_from_the_environment(starter_dir: Path) -> None:
    env = {
        "MAILFLOW_TOKEN_SECRET": "from-env-secret",
        "MAILFLOW_SMTP_PASSWORD": "smtp-pw",
        "MAILFLOW_MAILBOX_DISKOMINFO_PASSWORD": "imap-pw",
        "MAILFLOW_DATABASE_URL": "postgresql+psycopg://u:p@db/mailflow",
    }
    settings = load_config(starter_dir / "mailflow.toml", env=env)
    assert settings.token_secret == b"from-env-secret"
    assert settings.smtp.password is not None and settings.smtp.password.get_secret_value() == "smtp-pw"
    box = settings.mailboxes[0]
    assert box.password is not None and box.password.get_secret_value() == "imap-pw"
    assert settings.database_url == "postgresql+psycopg://u:p@db/mailflow"
    assert "smtp-pw" not in repr(settings)  # secrets never print


def test_config_path_from_environment_variable(starter_dir: Path) -> None:
    settings = load_config(None, env={"MAILFLOW_CONFIG": str(starter_dir / "mailflow.toml")})
    assert settings.config_file == (starter_dir / "mailflow.toml").resolve()


def test_misspelled_key_names_file_key_line_and_suggestion(starter_dir: Path) -> None:
    config = starter_dir / "mailflow.toml"
    edit(config, 'security = "tls"', 'securty = "tls"')
    with pytest.raises(ConfigError) as info:
        load_config(config, env={})
    error = info.value
    assert error.key == "mailboxes[0].securty"
    assert error.line == line_of(config, "securty")
    assert "security" in error.message
    assert str(error).startswith(f"{config}:{error.line}: mailboxes[0].securty: ")


def test_bad_address_is_named(starter_dir: Path) -> None:
    config = starter_dir / "mailflow.toml"
    edit(
        config, 'from_address = "lapor@diskominfo.bontangkota.go.id"', 'from_address = "lapor-at-diskominfo"'
    )
    with pytest.raises(ConfigError) as info:
        load_config(config, env={})
    assert info.value.key == "smtp.from_address"
    assert info.value.line == line_of(config, "lapor-at-diskominfo")
    assert "email" in info.value.message


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("port = 993", "port = 99999", "mailboxes[0].port"),
        ('timezone = "Asia/Makassar"', 'timezone = "Asia/Bontang"', "general.timezone"),
        ('friday = "07:30-11:00"', 'friday = "11:00-07:30"', "calendar.hours"),
        ('language = "id"', 'language = "jv"', "general.language"),
        (
            'case_pattern = "LPR-{tahun}-{nomor:05d}"',
            'case_pattern = "LPR-{tahun}"',
            "numbering.case_pattern",
        ),
        ('role = "complaints"', 'role = "opd"', "mailboxes[0]"),
    ],
)
def test_invalid_values_name_their_key(starter_dir: Path, old: str, new: str, key: str) -> None:
    config = starter_dir / "mailflow.toml"
    edit(config, old, new)
    with pytest.raises(ConfigError) as info:
        load_config(config, env={})
    assert info.value.key == key
    assert info.value.line is not None


def test_toml_syntax_error_has_a_line(starter_dir: Path) -> None:
    config = starter_dir / "mailflow.toml"
    edit(config, 'city = "Bontang"', 'city = "Bontang')
    with pytest.raises(ConfigError) as info:
        load_config(config, env={})
    assert info.value.line == line_of(config, 'city = "Bontang')


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mailflow init"):
        load_config(tmp_path / "nope.toml", env={})


def test_english_messages_when_the_config_says_english(starter_dir: Path) -> None:
    config = starter_dir / "mailflow.toml"
    edit(config, 'language = "id"', 'language = "en"')
    edit(config, "port = 993", 'port = "imaps"')
    with pytest.raises(ConfigError, match="must be a whole number"):
        load_config(config, env={})


def test_indonesian_messages_by_default(starter_dir: Path) -> None:
    config = starter_dir / "mailflow.toml"
    edit(config, "port = 993", 'port = "imaps"')
    with pytest.raises(ConfigError, match="harus bilangan bulat"):
        load_config(config, env={})


def test_directory_error_names_key_and_line(starter_dir: Path) -> None:
    path = starter_dir / "directory.yaml"
    edit(path, "kepala: kadis_dishub", "kepala: kadis_dishubb")
    with pytest.raises(DirectoryError, match="kadis_dishubb"):
        load_directory(path)
    edit(path, "kepala: kadis_dishubb", "kepala: kadis_dishub")
    edit(path, "kind: bumd", "kind: perusahaan")
    with pytest.raises(DirectoryError) as info:
        load_directory(path)
    assert info.value.key == "opds[6].kind"
    assert info.value.line == line_of(path, "kind: perusahaan")


def test_directory_yaml_syntax_error(starter_dir: Path) -> None:
    path = starter_dir / "directory.yaml"
    path.write_text("people: [\n  {id: a\n", encoding="utf-8")
    with pytest.raises(DirectoryError) as info:
        load_directory(path)
    assert info.value.line is not None
