"""Letter numbers from several processes at once, on SQLite and PostgreSQL: gapless, unique."""

from __future__ import annotations

import multiprocessing
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Case, CaseRoute, Document

PER_PROCESS = 6
PROCESSES = 4


def _make_letters(url: str, base: str, case_id: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from mailflow.domain.documents import Audience, DocumentKind  # noqa: PLC0415
    from mailflow.services.letters.service import LetterService  # noqa: PLC0415
    from tests.letters.helpers import NOW, directory, make_settings  # noqa: PLC0415

    db = Database(url)
    svc = LetterService(make_settings(Path(base)), directory())
    got = []
    for _ in range(PER_PROCESS):
        with db.transaction() as session:
            case = session.get(Case, case_id)
            route = session.execute(select(CaseRoute).where(CaseRoute.case_id == case_id)).scalar_one()
            document = svc.create(session, DocumentKind.SURAT_TANGGAPAN, case, route, Audience.OPD, NOW, {})
            got.append((document.number, document.doc_uid))
    db.dispose()
    queue.put(got)


@pytest.mark.slow
def test_letter_numbers_are_gapless_across_processes(database: Database, tmp_path: Path) -> None:
    from tests.letters.helpers import make_case  # noqa: PLC0415

    with database.transaction() as session:
        case, _ = make_case(session)
        case_id = case.id
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = [
        ctx.Process(target=_make_letters, args=(database.url, str(tmp_path), case_id, queue))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    results = [item for _ in workers for item in queue.get(timeout=300)]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    serials = sorted(
        int(re.match(r"700\.1\.2\.4/(\d{4})/Dishub/2026$", number).group(1)) for number, _ in results
    )
    assert serials == list(range(1, PROCESSES * PER_PROCESS + 1))
    assert len({uid for _, uid in results}) == PROCESSES * PER_PROCESS
    with database.reader() as session:
        rows = session.execute(select(Document.number, Document.docx_path)).all()
    assert sorted(n for n, _ in rows) == sorted(n for n, _ in results)
    assert all(Path(path).is_file() for _, path in rows)  # every number has its file
