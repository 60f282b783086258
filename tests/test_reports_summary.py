"""The arithmetic behind answers (change, rank, trend) and the PNG charts sent with them."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from reports.charts import Bar, BarChart, Line, LineChart, short_region
from reports.summary import Point, Rank, change, rank, trend

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def point(period: str, value: float, decimals: int = 2) -> Point:
    return Point(period, value, decimals)


# --- change -----------------------------------------------------------------------------


@pytest.mark.parametrize("unit", ["persen", "indeks", "tahun"])
def test_change_in_rates_and_indices_is_in_points(unit: str) -> None:
    result = change(point("2025", 73.02), point("2024", 72.36), unit)

    assert result is not None
    assert result.direction == "up"
    assert not result.relative
    assert result.amount == pytest.approx(0.66)
    assert result.decimals == 2
    assert result.previous == point("2024", 72.36)


@pytest.mark.parametrize("unit", ["jiwa", "ribu rupiah", "ribu jiwa", "rupiah/kapita/bulan"])
def test_change_in_counts_and_money_is_a_percentage(unit: str) -> None:
    result = change(point("2022", 216_735, 0), point("2021", 214_653, 0), unit)

    assert result is not None
    assert result.direction == "up"
    assert result.relative
    assert result.amount == pytest.approx((216_735 - 214_653) / 214_653 * 100)
    assert result.decimals == 2  # a percentage is shown with two decimals


def test_a_fall_is_down_with_a_positive_amount() -> None:
    result = change(point("2023", 6.76), point("2022", 7.62), "persen")

    assert result is not None
    assert result.direction == "down"
    assert result.amount == pytest.approx(0.86)


def test_a_fall_in_a_count_is_a_positive_percentage_down() -> None:
    result = change(point("2021", 90, 0), point("2020", 120, 0), "jiwa")

    assert result is not None
    assert (result.direction, result.relative) == ("down", True)
    assert result.amount == pytest.approx(25.0)


def test_change_keeps_the_finer_precision_of_the_two_values() -> None:
    result = change(point("2025", 5.1, 1), point("2024", 4.87, 2), "persen")

    assert result is not None
    assert result.decimals == 2


def test_same_value_is_flat() -> None:
    result = change(point("2025", 72.36), point("2024", 72.36), "indeks")

    assert result is not None
    assert result.direction == "flat"
    assert result.amount == 0


def test_a_difference_below_the_published_precision_is_flat() -> None:
    # 70.001 vs 70.004 are both published as 70,00: "naik 0,00 poin" would be nonsense.
    result = change(point("2025", 70.001), point("2024", 70.004), "indeks")

    assert result is not None
    assert result.direction == "flat"


def test_a_percentage_change_too_small_to_show_is_flat() -> None:
    result = change(point("2024", 2_874_700, 0), point("2023", 2_874_699, 0), "jiwa")

    assert result is not None
    assert round(result.amount, result.decimals) == 0  # what the reader sees: 0,00%
    assert result.direction == "flat"


def test_change_from_zero_in_a_count_falls_back_to_an_absolute_amount() -> None:
    result = change(point("2025", 12, 0), point("2024", 0, 0), "jiwa")

    assert result is not None
    assert not result.relative  # no percentage of zero
    assert result.amount == 12
    assert result.direction == "up"


def test_no_previous_value_means_no_change() -> None:
    assert change(point("2025", 73.02), None, "indeks") is None


# --- rank -------------------------------------------------------------------------------


def test_rank_counts_from_the_highest_value() -> None:
    values = {1: 85.65, 2: 80.35, 3: 70.0, 4: 90.1}

    assert rank(values, 4) == Rank(1, 4)
    assert rank(values, 2) == Rank(3, 4)
    assert rank(values, 3) == Rank(4, 4)


def test_tied_values_share_the_better_position() -> None:
    values = {1: 4.21, 2: 4.73, 3: 4.21, 4: 3.0}

    assert rank(values, 1) == Rank(2, 4)
    assert rank(values, 3) == Rank(2, 4)
    assert rank(values, 4) == Rank(4, 4)  # the next one after a tie skips a place


def test_everyone_tied_is_first() -> None:
    assert rank({1: 5.0, 2: 5.0, 3: 5.0}, 2) == Rank(1, 3)


def test_no_rank_for_a_region_without_a_value_or_without_rivals() -> None:
    assert rank({1: 5.0, 2: 6.0}, 3) is None
    assert rank({1: 5.0}, 1) is None


# --- trend ------------------------------------------------------------------------------


def test_trend_summarises_first_last_extremes_and_average_step() -> None:
    points = [
        point("2021", 77.21),
        point("2022", 78.13),
        point("2023", 79.07),
        point("2024", 79.69),
    ]

    result = trend(points, "indeks")

    assert result is not None
    assert (result.first.period, result.last.period) == ("2021", "2024")
    assert result.change.direction == "up"
    assert not result.change.relative
    assert result.change.amount == pytest.approx(79.69 - 77.21)
    assert result.per_period == pytest.approx((79.69 - 77.21) / 3)
    assert result.highest.period == "2024"
    assert result.lowest.period == "2021"


def test_trend_extremes_can_be_in_the_middle() -> None:
    points = [point("2019", 5.98), point("2020", 9.79), point("2021", 4.84), point("2022", 6.0)]

    result = trend(points, "persen")

    assert result is not None
    assert result.highest == point("2020", 9.79)
    assert result.lowest == point("2021", 4.84)
    assert result.change.direction == "up"  # from first to last, whatever happened between


def test_trend_of_a_count_is_in_percent() -> None:
    points = [point("2010", 190_806, 0), point("2016", 202_319, 0), point("2022", 216_735, 0)]

    result = trend(points, "jiwa")

    assert result is not None
    assert result.change.relative
    total = (216_735 - 190_806) / 190_806 * 100
    assert result.change.amount == pytest.approx(total)
    assert result.per_period == pytest.approx(total / 2)


def test_a_flat_trend() -> None:
    result = trend([point("2023", 5.0), point("2024", 5.5), point("2025", 5.0)], "persen")

    assert result is not None
    assert result.change.direction == "flat"
    assert result.per_period == 0


def test_one_point_is_not_a_trend() -> None:
    assert trend([point("2025", 73.02)], "indeks") is None
    assert trend([], "indeks") is None


# --- charts -----------------------------------------------------------------------------


def picture(png: bytes) -> Image.Image:
    assert png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(png))
    image.load()  # decodes the whole file: a truncated PNG fails here
    assert image.format == "PNG"
    return image


def line_chart(lines: list[Line]) -> LineChart:
    return LineChart(
        "tren-ipm.png",
        lines,
        title="Indeks Pembangunan Manusia — Kota Batu",
        unit="indeks",
        source="Sumber: BPS Jatim · Produsen data: Bappeda",
        decimals=2,
    )


def bar_chart(count: int) -> BarChart:
    bars = [Bar(f"Kabupaten Nomor {i}", 100 - i * 1.5, highlight=i == 3) for i in range(count)]
    return BarChart(
        "peringkat.png",
        bars,
        title="Persentase Penduduk Miskin (P0), 2025",
        unit="persen",
        source="Sumber: BPS · Produsen data: Dinas Sosial",
        decimals=2,
    )


def test_line_chart_is_a_phone_sized_png() -> None:
    chart = line_chart([Line("IPM", [("2021", 77.21), ("2022", 78.13), ("2023", 79.07)])])

    image = picture(chart.render())

    assert image.size[0] == 800
    assert 300 <= image.size[1] <= 800


def test_line_chart_with_several_series_of_different_lengths_renders() -> None:
    chart = line_chart(
        [
            Line("seri utama", [("2020", 76.82), ("2021", 77.21), ("2022", 78.13)]),
            Line("seri lama", [("2018", 75.0), ("2019", 75.88), ("2020", 75.9), ("2021", 76.28)]),
        ]
    )

    assert picture(chart.render()).size[0] == 800


def test_bar_chart_is_800_pixels_wide() -> None:
    assert picture(bar_chart(2).render()).size[0] == 800


def test_bar_chart_grows_taller_with_more_regions() -> None:
    two = picture(bar_chart(2).render())
    thirty_eight = picture(bar_chart(38).render())

    assert thirty_eight.size[0] == two.size[0] == 800
    assert thirty_eight.size[1] > two.size[1] * 2


def test_bar_chart_with_negative_values_renders() -> None:
    # Economic growth in 2020 was negative almost everywhere.
    chart = BarChart(
        "lpe.png",
        [Bar("Kota Batu", -6.46), Bar("Kabupaten Pacitan", -0.5), Bar("Kota Madiun", 1.2)],
        title="Laju Pertumbuhan Ekonomi, 2020",
        unit="persen",
        source="Sumber: BPS Jatim",
        decimals=2,
    )

    assert picture(chart.render()).size[0] == 800


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("Kabupaten Pasuruan", "Kab. Pasuruan"),
        ("Provinsi Jawa Timur", "Prov. Jawa Timur"),
        ("Kota Batu", "Kota Batu"),
        ("Indonesia", "Indonesia"),
        ("Provinsi Kepulauan Bangka Belitung", "Prov. Kepulauan Bangka Belitung"),
    ],
)
def test_region_labels_are_shortened_for_a_phone(name: str, label: str) -> None:
    assert short_region(name) == label
