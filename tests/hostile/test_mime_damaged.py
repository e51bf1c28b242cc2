"""Issue 11, point 10: the parser's defects are used. An attachment cut short (closing boundary
missing, base64 cut or invalid) is stored as far as it decodes but flagged damaged, never as a
complete file; every part's defects are recorded on the message."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from mailflow.adapters.db.models import Message, MessageAttachment
from mailflow.adapters.mailstore import ContentStore
from mailflow.adapters.mime_decode import decode_base64
from mailflow.adapters.mime_parse import ParseLimits, parse_message
from tests.hostile.mime_support import mail, mime_env_fixture  # noqa: F401 - the mime_env fixture
from tests.ingest.conftest import IngestEnv

DATA = bytes(range(256)) * 3 + b"akhir"  # 773 bytes: the last group is two bytes, one "="


def _decode(text: bytes) -> tuple[bytes, tuple[str, ...]]:
    out: list[bytes] = []
    defects = decode_base64(text, out.append)
    return b"".join(out), defects


@pytest.mark.parametrize(
    ("text", "data", "defects"),
    [
        (base64.encodebytes(DATA), DATA, ()),
        (base64.b64encode(DATA).rstrip(b"="), DATA, ("InvalidBase64PaddingDefect",)),
        (base64.b64encode(DATA)[:-2], DATA[:-1], ("InvalidBase64PaddingDefect",)),
        (base64.b64encode(DATA)[:-3], DATA[:-2], ("InvalidBase64LengthDefect",)),
        (base64.b64encode(DATA[:3]) + b"!*" + base64.b64encode(DATA[3:6]), DATA[:6],
         ("InvalidBase64CharactersDefect",)),
        (base64.b64encode(b"ab") + base64.b64encode(b"cd"), None,
         ("Base64DataAfterPaddingDefect", "InvalidBase64PaddingDefect")),
        (b"", b"", ()),
    ],
)  # fmt: skip
def test_base64_decodes_what_it_can_and_says_what_was_wrong(
    text: bytes, data: bytes | None, defects: tuple[str, ...]
) -> None:
    decoded, found = _decode(text)
    if data is not None:
        assert decoded == data
    assert found == defects


def test_base64_is_decoded_the_same_across_chunk_boundaries() -> None:
    big = bytes(range(256)) * 3000
    text = base64.encodebytes(big)
    assert _decode(text) == (big, ())
    cut = text[: len(text) - 7]  # the last line loses six characters: a group and a half
    decoded, found = _decode(cut)
    assert big.startswith(decoded) and len(decoded) < len(big) and found


def test_a_cut_attachment_is_kept_but_flagged_and_its_defects_are_per_part(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "att")
    whole = parse_message(mail("p10_outlook_pdf_complete_control.eml"), store=store, limits=ParseLimits())
    cut = parse_message(
        mail("p10_outlook_pdf_closing_boundary_missing.eml"), store=store, limits=ParseLimits()
    )
    [complete] = whole.attachments
    [damaged] = cut.attachments
    assert not complete.damaged and complete.defects == () and whole.part_defects == ()
    assert damaged.damaged and damaged.stored_path is not None
    full = Path(complete.stored_path or "").read_bytes()
    part = Path(damaged.stored_path).read_bytes()
    assert full.startswith(b"%PDF-") and full.startswith(part) and len(part) < len(full)
    assert "PartCutShortDefect" in damaged.defects
    assert {(p.path, p.content_type) for p in cut.part_defects} == {
        ("0", "multipart/mixed"), ("2", "application/pdf")
    }  # fmt: skip
    assert "Jl. KS Tubun" in cut.text  # the text before the cut is read as usual
    assert cut.damaged_attachments == (damaged,)


@pytest.mark.imap
def test_damaged_attachments_are_stored_flagged_over_dovecot(mime_env: IngestEnv) -> None:
    env = mime_env
    names = [
        "p10_outlook_pdf_closing_boundary_missing.eml",
        "p10_gmail_jpg_base64_missing_padding.eml",
        "p10_iphone_heic_base64_invalid_length.eml",
        "p10_thunderbird_docx_junk_in_base64.eml",
        "p10_outlook_pdf_complete_control.eml",
    ]
    uids = {env.append(mail(name)): name for name in names}
    env.poll_once()

    rows = {m.uid: m for m in env.rows(Message)}
    for uid, name in uids.items():
        row = rows[uid]
        assert (row.kind, row.status, row.attempts) == ("complaint", "processed", 1), name
        [attachment] = env.rows(MessageAttachment, MessageAttachment.message_id == row.id)
        assert attachment.stored_path and Path(attachment.stored_path).is_file(), name
        if "control" in name:
            assert (attachment.damaged, attachment.defects, row.defects) == (False, None, None)
            continue
        assert attachment.damaged, name
        recorded = json.loads(row.defects or "{}")
        part_defects = [d for p in recorded["parts"] for d in p["defects"]]
        assert set(json.loads(attachment.defects or "[]")) <= set(part_defects) <= set(recorded["defects"]), (
            name
        )
    cut = rows[next(u for u, n in uids.items() if "closing_boundary" in n)]
    recorded = json.loads(cut.defects or "{}")
    assert {"CloseBoundaryNotFoundDefect", "PartCutShortDefect"} <= set(recorded["defects"])
    assert any(p["part"] == "2" and p["type"] == "application/pdf" for p in recorded["parts"])
