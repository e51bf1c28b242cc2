"""A worked example (EXAMPLE.md: Siti Rahma's street light, LPR-2026-00042) for sample letters:
`mailflow letters render --sample`, the pictures under docs/, the benchmark and the tests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from mailflow.domain.documents import DocumentKind
from mailflow.domain.letters import CaseFacts, ComplainantFacts, PriorLetter, RouteFacts

RECEIVED = datetime(2026, 11, 30, 0, 5, tzinfo=UTC)  # Monday 08:05 WITA

SAMPLE_CASE = CaseFacts(
    number="LPR-2026-00042",
    subject="Lampu jalan mati di Jl. Ahmad Yani",
    summary="Lampu jalan mati di Jl. Ahmad Yani, Kelurahan Api-Api, sejak tiga malam.",
    body=(
        "Selamat pagi Bapak/Ibu,\n\n"
        "Lampu penerangan jalan umum di Jl. Ahmad Yani, depan masjid Kelurahan Api-Api, sudah mati "
        "sejak tiga malam. Jalan menjadi sangat gelap dan rawan kecelakaan, terutama bagi anak-anak "
        "yang pulang mengaji. Mohon segera diperbaiki. Terima kasih.\n\n"
        "Salam,\nSiti Rahma (0812-3456-7890)"
    ),
    received_at=RECEIVED,
    confidentiality="biasa",
    channel="email",
    category="Penerangan jalan umum",
    suggested_opds=("DISHUB",),
    route_opds=("DISHUB",),
    complainant=ComplainantFacts(
        name="Siti Rahma",
        email="siti.rahma@gmail.com",
        phone="0812-3456-7890",
        address="Jl. Ahmad Yani RT 05 No. 12, Api-Api",
    ),
)

SAMPLE_ROUTE = RouteFacts(
    opd_code="DISHUB",
    bidang_code="PJU",
    instruction="Mohon segera dicek ke lokasi dan diperbaiki; laporkan hasilnya dengan foto.",
    response_text=(
        "1. Pada hari Selasa, 1 Desember 2026, petugas Bidang Penerangan Jalan Umum telah melakukan "
        "pengecekan ke lokasi di Jl. Ahmad Yani, Kelurahan Api-Api.\n"
        "2. Hasil pengecekan menunjukkan kerusakan pada panel kontrol dan dua unit lampu LED 120 watt.\n"
        "3. Perbaikan panel dan penggantian lampu telah selesai dilaksanakan pada hari Rabu, "
        "2 Desember 2026, dan seluruh lampu di ruas jalan tersebut telah menyala kembali.\n\n"
        "Kami mengucapkan terima kasih atas laporan yang disampaikan. Masyarakat dapat melaporkan "
        "gangguan penerangan jalan umum melalui layanan LAPOR Bontang."
    ),
)

SAMPLE_TIMES: Mapping[DocumentKind, datetime] = {
    DocumentKind.NOTA_DINAS: datetime(2026, 11, 30, 0, 40, tzinfo=UTC),
    DocumentKind.LEMBAR_DISPOSISI: datetime(2026, 11, 30, 3, 30, tzinfo=UTC),
    DocumentKind.SURAT_TANGGAPAN: datetime(2026, 12, 2, 6, 0, tzinfo=UTC),
}

SAMPLE_EXTRA: Mapping[DocumentKind, Mapping[str, Any]] = {
    DocumentKind.NOTA_DINAS: {"batas_waktu": datetime(2026, 11, 30, 1, 40, tzinfo=UTC)},
    DocumentKind.LEMBAR_DISPOSISI: {
        "level": "route",
        "harap": ("tanggapan", "proses", "tindak_lanjut"),
        "batas_waktu": datetime(2026, 12, 3, 3, 30, tzinfo=UTC),
        "rujukan": PriorLetter(
            "0017/Agenda/Diskominfo/2026",
            date(2026, 11, 30),
            "Kepala Dinas Komunikasi dan Informatika Kota Bontang",
        ),
    },
    DocumentKind.SURAT_TANGGAPAN: {
        "rujukan": PriorLetter(
            "0017/Agenda/Diskominfo/2026",
            date(2026, 11, 30),
            "Kepala Dinas Komunikasi dan Informatika Kota Bontang",
        ),
        "tembusan": ("Wali Kota Bontang (sebagai laporan)", "Kepala Bidang Penerangan Jalan Umum", "Arsip"),
    },
}
