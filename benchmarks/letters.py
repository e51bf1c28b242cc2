"""Letters: bare docxtpl vs mailflow's full letter generation; cold soffice vs the warm converter.

    .venv/bin/python benchmarks/letters.py [--n 30] [--pdfs 6] [--workers 1 2 4] [--batch 24]

1. For each template, N renders with bare docxtpl (template bytes in memory, a ready context, no
   image, saved to memory) against N `LetterService.create` calls (context, redaction check,
   gapless number, document id, QR code, render, fsynced file, database row) on SQLite, the two
   alternating in 4 rounds; the last line is the ratio over all three templates.
2. M letters converted to PDF by a cold `soffice --convert-to pdf` per letter (profile already
   initialised) against the warm converter; then the full conversion worker (warm conversion,
   metadata stamp, PDFium text check, database update) against bare conversion of the same
   letters by the same warm converter, alternating in 3 rounds.
3. A batch of letters converted by the worker with `converter.workers` = 1, 2, 4 (warm converters
   side by side, each started before the clock runs): letters per second and the speed-up over
   one worker. On a machine with C cores, more than C workers cannot help.
Prints rates and ratios. Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docxtpl import DocxTemplate

from mailflow.adapters.converter import WarmConverter
from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.migrate import upgrade
from mailflow.adapters.db.models import Case, CaseRoute, Document
from mailflow.adapters.docx_render import safe_value
from mailflow.adapters.letter_templates import TEMPLATE_FILES
from mailflow.config.model import Settings
from mailflow.domain.documents import Audience, DocumentKind
from mailflow.domain.letter_samples import SAMPLE_EXTRA, SAMPLE_ROUTE, SAMPLE_TIMES
from mailflow.domain.letters import Issue, build_context, plan_letter
from mailflow.services.letters.conversion import ConversionService
from mailflow.services.letters.service import LetterService
from tests.letters.helpers import NOW, directory, make_case, make_settings

ZONE = ZoneInfo("Asia/Makassar")


def sample_context(kind: DocumentKind) -> dict[str, str]:
    from mailflow.domain.letter_samples import SAMPLE_CASE  # noqa: PLC0415

    route = None if kind is DocumentKind.NOTA_DINAS else SAMPLE_ROUTE
    plan = plan_letter(kind, route, directory(), SAMPLE_EXTRA[kind])
    issue = Issue(
        number="700.1.2.4/0042/Dishub/2026",
        doc_id="MF-DJJT-1GGT-8",
        now=SAMPLE_TIMES[kind],
        zone=ZONE,
        place="Bontang",
    )
    audience = Audience.INTERNAL if kind is DocumentKind.NOTA_DINAS else Audience.OPD
    return build_context(
        plan,
        SAMPLE_CASE,
        route=route,
        directory=directory(),
        audience=audience,
        issue=issue,
        extra=SAMPLE_EXTRA[kind],
    )


def bare_docxtpl(template: Path, context: dict[str, str], n: int) -> float:
    data = template.read_bytes()
    values = {k: safe_value(v) for k, v in context.items()} | {"kode_qr": "", "logo": ""}
    start = time.perf_counter()
    for _ in range(n):
        document = DocxTemplate(io.BytesIO(data))
        document.render(values, autoescape=True)
        document.save(io.BytesIO())
    return time.perf_counter() - start


def _split(n: int, parts: int) -> list[int]:
    """`n` in `parts` near-equal positive parts (fewer when n < parts)."""
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts) if n // parts or i < n % parts]


def full_generation(db: Database, svc: LetterService, kind: DocumentKind, n: int) -> tuple[float, list[int]]:
    ids = []
    start = time.perf_counter()
    for _ in range(n):
        with db.transaction() as session:
            case = session.get(Case, 1)
            route = session.get(CaseRoute, 1) if kind is not DocumentKind.NOTA_DINAS else None
            audience = Audience.INTERNAL if kind is DocumentKind.NOTA_DINAS else Audience.OPD
            ids.append(svc.create(session, kind, case, route, audience, NOW, {}).id)
    return time.perf_counter() - start, ids


def cold_soffice(docs: list[Path], out: Path, profile: Path) -> float:
    command = [
        "soffice",
        "--headless",
        "--norestore",
        f"-env:UserInstallation={profile.as_uri()}",
        "--convert-to",
        "pdf",
        "--outdir",
        str(out),
    ]
    subprocess.run([*command, str(docs[0])], check=True, capture_output=True)  # initialise the profile
    start = time.perf_counter()
    for doc in docs:
        subprocess.run([*command, str(doc)], check=True, capture_output=True)
    return time.perf_counter() - start


def warm(docs: list[Path], out: Path, work: Path) -> tuple[float, float]:
    with WarmConverter(work_dir=work) as converter:
        begin = time.perf_counter()
        converter.start()
        startup = time.perf_counter() - begin
        converter.convert(docs[0], out / "warmup.pdf")
        start = time.perf_counter()
        for index, doc in enumerate(docs):
            converter.convert(doc, out / f"{index}.pdf")
        return startup, time.perf_counter() - start


def parallel(db: Database, svc: LetterService, settings: Settings, counts: list[int], batch: int) -> None:
    """The worker with several warm converters on `batch` fresh letters per count."""
    print(f"\nConversion worker, {batch} letters per run, converters side by side (rate = letters/s)")
    first = None
    for count in counts:
        full_generation(db, svc, DocumentKind.SURAT_TANGGAPAN, batch)  # `batch` letters to convert
        configured = settings.model_copy(
            update={"converter": settings.converter.model_copy(update={"workers": count})}
        )
        worker = ConversionService(db, configured)
        try:
            for index in range(count):  # every LibreOffice started and warm before the clock runs
                converter = worker._slot(index)  # the benchmark warms each slot
                converter.start()
            begin = time.perf_counter()
            summary = worker.run_once()
            seconds = time.perf_counter() - begin
        finally:
            worker.close()
        rate = summary.total / seconds
        first = first or rate
        failed = len(summary.failed)
        print(f"workers {count}: {rate:6.2f}/s   {rate / first:5.2f}x one worker   ({failed} failed)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=30, help="renders per template")
    parser.add_argument("--pdfs", type=int, default=6, help="documents per PDF measurement")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4], help="converter counts")
    parser.add_argument("--batch", type=int, default=24, help="letters per worker-count measurement")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="mailflow-bench-letters-"))
    try:
        settings = make_settings(base)
        db = Database(settings.database_url)
        upgrade(db)
        with db.transaction() as session:
            make_case(session)
        svc = LetterService(settings, directory())
        print(f"Rendering, {args.n} letters per template (rate = letters/s)")
        print(f"{'template':<18}{'bare docxtpl':>14}{'mailflow full':>15}{'ratio':>8}")
        all_ids: list[int] = []
        bare_sum = full_sum = 0.0
        for kind, name in TEMPLATE_FILES.items():
            # bare and full alternate in 4 rounds, so that a slower minute of a shared machine
            # falls on both sides rather than on one
            bare = full = 0.0
            for part in _split(args.n, 4):
                bare += bare_docxtpl(settings.paths.templates / name, sample_context(kind), part)
                seconds, ids = full_generation(db, svc, kind, part)
                full += seconds
                all_ids += ids
            bare_sum, full_sum = bare_sum + bare, full_sum + full
            print(f"{kind.value:<18}{args.n / bare:>14.1f}{args.n / full:>15.1f}{full / bare:>7.2f}x")
        print(f"{'all three':<18}{'':>14}{'':>15}{full_sum / bare_sum:>7.2f}x")
        with db.reader() as session:
            # the letters the worker converts below (it takes the oldest first): the same
            # templates on both sides (the last ones are another template than the first)
            docs = [Path(session.get(Document, i).docx_path) for i in all_ids[: args.pdfs]]
        out = base / "pdf"
        out.mkdir()
        cold = cold_soffice(docs, out, base / "cold-profile")
        startup, hot = warm(docs, out, base / "warm")
        each_cold, each_warm = cold / len(docs), hot / len(docs)
        print(f"\nPDF conversion, {len(docs)} letters (rate = letters/s)")
        print(f"cold soffice --convert-to per letter  {1 / each_cold:6.2f}/s  ({each_cold:.2f} s each)")
        print(f"warm converter                        {1 / each_warm:6.2f}/s  ({each_warm:.2f} s each)")
        print(f"  (warm converter startup, once       {startup:.1f} s)")
        print(f"warm vs cold                          {cold / hot:6.1f}x faster")
        single = settings.model_copy(
            update={"converter": settings.converter.model_copy(update={"workers": 1})}
        )
        worker = ConversionService(db, single)
        worker.converter.start()
        worker.converter.convert(docs[0], out / "warmup-worker.pdf")
        # bare and worker alternate in rounds on the SAME warm converter and the same letters:
        # two soffice processes differed by up to 25 % on identical work, more than the worker's
        # own cost (stamp, text check, database) that this ratio is about
        rounds, bare_total, worker_total, converted = 3, 0.0, 0.0, 0
        size = max(1, len(docs) // rounds)
        ratios = []
        for start in range(0, size * rounds, size):
            batch = docs[start : start + size]  # the letters run_once converts next (oldest first)
            begin = time.perf_counter()
            for index, doc in enumerate(batch):
                worker.converter.convert(doc, out / f"bare-{start + index}.pdf")
            bare_round = time.perf_counter() - begin
            begin = time.perf_counter()
            summary = worker.run_once(limit=len(batch))
            worker_round = time.perf_counter() - begin
            bare_total, worker_total = bare_total + bare_round, worker_total + worker_round
            converted += summary.total
            ratios.append(worker_round / bare_round)
        worker.close()
        each = worker_total / converted
        print(f"mailflow worker (convert+stamp+check) {1 / each:6.2f}/s  ({each:.2f} s each)")
        each_round = ", ".join(f"{r:.2f}" for r in ratios)
        print(f"worker vs bare conversion, same converter, {rounds} rounds of {size}: "
              f"{worker_total / bare_total:.2f}x the time (rounds: {each_round})")  # fmt: skip
        if args.workers:
            parallel(db, svc, settings, args.workers, args.batch)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
