"""Answer latency on a large registry: 20,000 datasets and 2,000,000 observations on SQLite.

Run by hand: `.venv/bin/python benchmarks/answer_latency.py`. The registry is built once
(in a child process, so its memory does not count) under `var/bench/` and reused. It prints
p50/p95/p99 answer latency for a mix of questions without charts, chart rendering time, and
the peak RSS of the process that answers.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.wiring import build_runtime  # noqa: E402
from handlers.messages import Incoming  # noqa: E402

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
DATASETS = 20_000
REGIONS_PER_DATASET = 25
YEARS = (2021, 2022, 2023, 2024)  # 25 regions x 4 years x 20,000 datasets = 2,000,000 values

MEASURES = [
    "Jumlah",
    "Persentase",
    "Rasio",
    "Rata-rata",
    "Indeks",
    "Angka",
    "Tingkat",
    "Luas",
    "Produksi",
    "Kapasitas",
]
SUBJECTS = [
    "sekolah dasar",
    "sekolah menengah pertama",
    "guru honorer",
    "murid putus sekolah",
    "puskesmas",
    "posyandu",
    "bidan desa",
    "balita gizi buruk",
    "imunisasi dasar lengkap",
    "jalan kabupaten mantap",
    "jembatan rusak",
    "jaringan irigasi",
    "sawah irigasi teknis",
    "padi sawah",
    "jagung",
    "kedelai",
    "cabai rawit",
    "bawang merah",
    "tebu rakyat",
    "ternak sapi potong",
    "ayam ras petelur",
    "ikan tangkap laut",
    "budidaya udang",
    "usaha mikro",
    "koperasi aktif",
    "pasar tradisional",
    "toko modern",
    "wisatawan nusantara",
    "wisatawan mancanegara",
    "hotel berbintang",
    "kamar hotel",
    "rumah tidak layak huni",
    "rumah tangga berlistrik",
    "sambungan air minum",
    "sanitasi layak",
    "sampah terangkut",
    "ruang terbuka hijau",
    "kendaraan bermotor",
    "angkutan umum",
    "kecelakaan lalu lintas",
    "kasus demam berdarah",
    "kasus tuberkulosis",
    "penderita hipertensi",
    "kematian ibu",
    "kematian bayi",
    "pernikahan usia anak",
    "perceraian",
    "akta kelahiran",
    "kartu identitas anak",
    "penerima bantuan sosial",
    "keluarga penerima manfaat",
    "penyandang disabilitas",
    "lansia terlantar",
    "anak jalanan",
    "pekerja migran",
    "pencari kerja terdaftar",
    "lowongan kerja",
    "pelatihan kerja",
    "investasi dalam negeri",
    "investasi asing",
    "ekspor nonmigas",
    "impor barang modal",
    "pendapatan asli daerah",
    "belanja modal",
    "dana desa",
    "desa mandiri",
    "desa tertinggal",
    "bumdes aktif",
    "menara telekomunikasi",
    "desa terlayani internet",
    "perpustakaan desa",
    "pengunjung perpustakaan",
    "cagar budaya",
    "sanggar seni",
    "atlet berprestasi",
    "lapangan olahraga",
    "tempat ibadah",
    "kerukunan umat",
    "aduan masyarakat",
    "pelayanan perizinan",
    "aparatur sipil negara",
    "pegawai tenaga kontrak",
    "kebakaran permukiman",
    "bencana banjir",
    "tanah longsor",
    "hutan rakyat",
    "lahan kritis",
    "emisi gas rumah kaca",
    "kualitas udara",
    "kualitas air sungai",
    "limbah industri",
    "bank sampah",
    "energi terbarukan",
    "penerangan jalan umum",
    "rumah sakit",
    "tempat tidur rumah sakit",
    "dokter spesialis",
    "apotek",
    "laboratorium kesehatan",
    "ambulans desa",
    "klinik pratama",
]
QUALIFIERS = [
    "",
    "menurut kecamatan",
    "menurut jenis kelamin",
    "perkotaan",
    "perdesaan",
    "menurut kelompok umur",
    "menurut status",
    "menurut sumber dana",
    "menurut jenis",
    "menurut kondisi",
    "per 1000 penduduk",
    "per kapita",
    "triwulanan daerah",
    "tahunan daerah",
    "menurut sektor",
    "menurut skala usaha",
    "menurut pendidikan",
    "menurut lapangan usaha",
    "menurut wilayah",
    "menurut tingkat",
]


def synthetic_titles() -> list[str]:
    combos = itertools.product(MEASURES, SUBJECTS, QUALIFIERS)
    return [" ".join(part for part in combo if part).strip() for combo in combos][:DATASETS]


def build(path: Path) -> None:
    """Migrate, load the real demo data, then add the synthetic registry with raw inserts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    settings = Settings.from_env(environ={"DATABASE_URL": f"sqlite:///{path}"}, env_file=None)

    async def prepare() -> None:
        runtime = await build_runtime(settings, NOW)
        await runtime.close()

    asyncio.run(prepare())
    db = sqlite3.connect(path)
    opd_ids = [row[0] for row in db.execute("SELECT id FROM opds")]
    region_ids = [
        row[0] for row in db.execute("SELECT id FROM regions WHERE code LIKE '35__' ORDER BY code")
    ]
    rng = random.Random(7)
    started = time.perf_counter()
    for number, title in enumerate(synthetic_titles(), start=1):
        code = f"syn_{number:05d}"
        cursor = db.execute(
            "INSERT INTO datasets (code, title, description, opd_id, periodicity, classification,"
            " unit, source, keywords, is_headline, note, latest_period)"
            " VALUES (?, ?, '', ?, 'tahunan', 'terbuka', 'unit', 'Sintetis (benchmark)', '', 1,"
            " '', '2024')",
            (code, title, rng.choice(opd_ids)),
        )
        dataset_id = cursor.lastrowid
        cursor = db.execute(
            "INSERT INTO indicators (dataset_id, code, name, unit) VALUES (?, ?, ?, 'unit')",
            (dataset_id, code, title),
        )
        indicator_id = cursor.lastrowid
        regions = rng.sample(region_ids, REGIONS_PER_DATASET)
        db.executemany(
            "INSERT INTO observations (indicator_id, region_id, period, value, decimals, status)"
            " VALUES (?, ?, ?, ?, 2, 'final')",
            [
                (indicator_id, region, str(year), round(rng.uniform(1, 1000), 2))
                for region in regions
                for year in YEARS
            ],
        )
        if number % 2000 == 0:
            db.commit()
            print(f"  built {number:,} datasets ({time.perf_counter() - started:.0f} s)")
    db.commit()
    db.execute("ANALYZE")
    db.close()


def questions(titles: list[str], rng: random.Random) -> list[str]:
    regions = [
        "Kota Batu",
        "Kabupaten Malang",
        "Kota Surabaya",
        "Kab. Jember",
        "Sidoarjo",
        "Kota Kediri",
        "Banyuwangi",
        "Kabupaten Pasuruan",
    ]
    fixed = [
        "IPM Kabupaten Pasuruan 2023",
        "TPT Kota Surabaya",
        "poverty rate Bali province 2020",
        "berapa jumlah penduduk miskin Jember tahun 2021?",
        "pengangguran terbuak Kota Batu",
        "tren IPM Kota Batu 5 tahun terakhir",
        "5 kabupaten dengan kemiskinan tertinggi",
        "bandingkan TPT Kota Batu dan Kota Malang 2023",
        "siapa produsen data TPT",
        "life expectancy Lumajang Regency 2021",
        "provinsi dengan IPM terendah 2024",
    ]
    mix = []
    for _ in range(1000):
        title = rng.choice(titles)
        if rng.random() < 0.2:  # a typo in a long word
            words = title.split()
            i = max(range(len(words)), key=lambda k: len(words[k]))
            words[i] = words[i][:-2] + words[i][-1] + words[i][-2]
            title = " ".join(words)
        mix.append(f"{title} {rng.choice(regions)} {rng.choice(['', '2023', '2022'])}".strip())
    mix += fixed * 40
    rng.shuffle(mix)
    return mix


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def measure(path: Path) -> None:
    settings = Settings.from_env(environ={"DATABASE_URL": f"sqlite:///{path}"}, env_file=None)
    started = time.perf_counter()
    runtime = await build_runtime(settings, NOW)
    print(
        f"start-up (catalog of {len(runtime.dispatcher.app.catalog.datasets):,} datasets): "
        f"{time.perf_counter() - started:.2f} s"
    )
    rng = random.Random(11)
    mix = questions(synthetic_titles(), rng)
    for text in mix[:50]:  # warm caches and the connection pool
        await runtime.dispatcher.handle(Incoming(1, None, text=text), NOW, render_charts=False)
    latencies, charts, kinds = [], [], {}
    for text in mix:
        began = time.perf_counter()
        replies = await runtime.dispatcher.handle(
            Incoming(1, None, text=text), NOW, render_charts=False
        )
        latencies.append((time.perf_counter() - began) * 1000)
        for reply in replies:
            kind = (reply.data or {}).get("type", "other")
            kinds[kind] = kinds.get(kind, 0) + 1
            if reply.chart is not None and len(charts) < 200:
                began = time.perf_counter()
                png = reply.chart.render()
                charts.append((time.perf_counter() - began) * 1000)
                assert png.startswith(b"\x89PNG")
    await runtime.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"questions: {len(latencies):,}  answer kinds: {kinds}")
    print(
        f"answer latency without chart (ms): p50 {percentile(latencies, 50):.2f}  "
        f"p95 {percentile(latencies, 95):.2f}  p99 {percentile(latencies, 99):.2f}  "
        f"max {max(latencies):.2f}"
    )
    print(
        f"chart rendering (ms, n={len(charts)}): p50 {statistics.median(charts):.1f}  "
        f"p95 {percentile(charts, 95):.1f}  max {max(charts):.1f}"
    )
    print(f"peak RSS of the answering process: {rss_mb:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=ROOT / "var/bench/registry.db")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        build(args.db)
        return
    if args.rebuild or not args.db.exists():
        print(
            f"building {DATASETS:,} datasets and {DATASETS * REGIONS_PER_DATASET * len(YEARS):,}"
            f" observations in {args.db} ..."
        )
        subprocess.run([sys.executable, __file__, "--build-only", "--db", str(args.db)], check=True)
    db = sqlite3.connect(args.db)
    datasets, observations = (
        db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("datasets", "observations")
    )
    db.close()
    print(f"registry: {datasets:,} datasets, {observations:,} observations (SQLite)")
    asyncio.run(measure(args.db))


if __name__ == "__main__":
    main()
