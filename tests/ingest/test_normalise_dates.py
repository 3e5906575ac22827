"""parse_date: literal forms from catalogues, and the real labels of the shared data."""

from __future__ import annotations

import csv
import json

import pytest

from ingest.normalise import DateRange, parse_date
from tests.conftest import shared_data_or_skip


def span(text: str) -> tuple[int | None, int | None]:
    """The parsed years of a text, for short assertions."""
    result = parse_date(text)
    return result.earliest, result.latest


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("1987", 1987, 1987),
        ("c. 1775", 1770, 1780),
        ("ca. 1975", 1970, 1980),
        ("c.1800", 1795, 1805),
        ("1662–1722", 1662, 1722),
        ("1662-1722", 1662, 1722),
        ("1662 — 1722", 1662, 1722),
        ("1770-75", 1770, 1775),
        ("c.1796-1799", 1791, 1799),
        ("1879-c. 1890", 1879, 1895),
        ("1850s", 1850, 1859),
        ("c. 1920s", 1915, 1934),
        ("late 1980s", 1986, 1989),
        ("1700s", 1700, 1799),
        ("19th century", 1800, 1899),
        ("nineteenth century", 1800, 1899),
        ("1st century", 1, 99),
        ("1st century BCE", -100, -1),
        ("mid-18th century", 1733, 1766),
        ("mid-fifteenth century", 1433, 1466),
        ("late 18th century", 1766, 1799),
        ("early 20th century", 1900, 1933),
        ("first half of the 18th century", 1700, 1749),
        ("c. last half of the 19th century", 1850, 1899),
        ("third quarter of the 19th century", 1850, 1874),
        ("late 18th–early 19th century", 1766, 1833),
        ("late 18th-early 19th century", 1766, 1833),
        ("18th-20th century", 1700, 1999),
        ("10th -13th century", 900, 1299),
        ("c. mid- to late-19th century", 1833, 1899),
        ("mid to late 18th century", 1733, 1799),
        ("c. second half of the 19th century-early 20th century", 1850, 1933),
        ("after 1546", 1546, None),
        ("1900 or later", 1900, None),
        ("1922 or earlier", None, 1922),
        ("June 19-20, 1964", 1964, 1964),
        ("September 1, 1851", 1851, 1851),
        ("1 May 1851", 1851, 1851),
    ],
)
def test_western_dates(text: str, earliest: int | None, latest: int | None) -> None:
    result = parse_date(text)
    assert (result.earliest, result.latest) == (earliest, latest)
    assert result.text == text


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("4,500—4,000 BCE", -4500, -4000),
        ("c. 3,800—3,200 BCE", -3800, -3200),
        ("202 BCE — 8 CE", -202, 8),
        ("206 BCE-220 CE", -206, 220),
        ("c. 3000 BCE", -3000, -3000),
        ("999 BCE-700 BCE", -999, -700),
        ("5th-4th century BCE", -500, -301),
        ("16th—11th century BCE", -1600, -1001),
        ("11th — 771 BCE", -1100, -771),
        ("1-299 CE", 1, 299),
        ("AD 265-316", 265, 316),
        ("New Kingdom, 18th Dynasty, c. 1570-1320 BCE", -1570, -1320),
    ],
)
def test_bce_dates_are_negative(text: str, earliest: int, latest: int) -> None:
    assert span(text) == (earliest, latest)


@pytest.mark.parametrize(
    ("text", "earliest", "latest", "period"),
    [
        ("Kangxi Reign, Qing Dynasty (1662—1722)", 1662, 1722, "Qing dynasty, Kangxi reign"),
        ("Kangxi", 1662, 1722, "Qing dynasty, Kangxi reign"),
        ("K'ang-hsi", 1662, 1722, "Qing dynasty, Kangxi reign"),
        ("康熙", 1662, 1722, "Qing dynasty, Kangxi reign"),
        ("大清康熙年制", 1662, 1722, "Qing dynasty, Kangxi reign"),
        ("清 乾隆", 1736, 1795, "Qing dynasty, Qianlong reign"),
        ("明 宣德", 1426, 1435, "Ming dynasty, Xuande reign"),
        ("Xuan De Reign, Ming Dynasty", 1426, 1435, "Ming dynasty, Xuande reign"),
        ("成化", 1465, 1487, "Ming dynasty, Chenghua reign"),
        ("萬曆", 1573, 1620, "Ming dynasty, Wanli reign"),
        ("Jia Qing Reign, Qing Dynasty", 1796, 1820, "Qing dynasty, Jiaqing reign"),
        ("Jiajing", 1522, 1566, "Ming dynasty, Jiajing reign"),
        ("Tang Dynasty (618-907)", 618, 907, "Tang dynasty"),
        ("Tang Dynasty, 618-906", 618, 906, "Tang dynasty"),
        ("Qing (1644—1911)", 1644, 1911, "Qing dynasty"),
        ("Northern Song Dynasty, 960-1127", 960, 1127, "Northern Song dynasty"),
        ("Western Han (202 BCE — 8 CE)", -202, 8, "Western Han dynasty"),
        ("Shang Dynasty (16th—11th century BCE)", -1600, -1001, "Shang dynasty"),
        ("Neolithic", -10000, -2000, "Neolithic"),
        ("新石器时代", -10000, -2000, "Neolithic"),
        ("Ming Dynasty, 1368-1644, 16th century", 1500, 1599, "Ming dynasty"),
        ("Southern Song — Yuan (1127—1368)", 1127, 1368, "Southern Song dynasty to Yuan dynasty"),
        ("Qianlong period (1736-1795)", 1736, 1795, "Qing dynasty, Qianlong reign"),
    ],
)
def test_dynasties_and_reigns(text: str, earliest: int, latest: int, period: str) -> None:
    assert parse_date(text) == DateRange(text, earliest, latest, period)


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("清 康熙（公元1661〜1722年）", 1661, 1722),
        ("春秋（公元前770〜前475年）", -770, -475),
        ("战国（公元前475〜221年）", -475, -221),
        ("西汉（公元前202〜公元8年）", -202, 8),
        ("商 公元前16〜前11世纪", -1600, -1001),
        ("西周（公元前11世纪〜前771年）", -1100, -771),
        ("大汶口文化早期（约公元前4400〜前3600年）", -4400, -3600),
        ("景德镇 十五世纪中期", 1433, 1466),
        ("金〜元初 （1115〜1300）", 1115, 1300),
    ],
)
def test_chinese_dates(text: str, earliest: int, latest: int) -> None:
    assert span(text) == (earliest, latest)


def test_one_character_dynasty_needs_a_date_context() -> None:
    # 金彩 is gilding and 公元 is "CE": neither names the Jin or Yuan dynasty.
    assert parse_date("绿地金彩云龙纹瓶").period is None
    assert parse_date("公元1661").period is None
    assert parse_date("金（1115〜1234年）").period == "Jin dynasty (1115–1234)"


def test_english_jin_is_ambiguous_so_gives_no_years_alone() -> None:
    assert parse_date("Jin Dynasty") == DateRange("Jin Dynasty", None, None, "Jin dynasty")
    assert parse_date("Western Jin (265—317)").period == "Western Jin dynasty"


@pytest.mark.parametrize(
    "text", ["no date", "not dated", "", "   ", "Meiji period", "undated, probably old"]
)
def test_undated_text_gets_no_years(text: str) -> None:
    result = parse_date(text)
    assert (result.earliest, result.latest) == (None, None)


def test_none_is_an_empty_date() -> None:
    assert parse_date(None) == DateRange("", None, None, None)


def test_culture_named_as_written_when_not_a_dynasty() -> None:
    assert parse_date("Songze Culture (c. 3,800—3,200 BCE)") == DateRange(
        "Songze Culture (c. 3,800—3,200 BCE)", -3800, -3200, "Songze Culture"
    )


def test_contradictory_years_are_not_guessed() -> None:
    # The label gives the Hongwu reign (1368–1398) the years of Yongle: report, do not pick.
    hongwu = parse_date("Jingdezhen Kiln, Hongwu Reign, Ming Dynasty (1403—1424)")
    assert (hongwu.earliest, hongwu.latest) == (None, None)
    assert hongwu.period == "Ming dynasty, Hongwu reign"


def test_inverted_range_falls_back_to_the_named_dynasty() -> None:
    # "960—1127 BCE" runs backwards; the Northern Song named beside it dates the piece.
    assert span("Northern Song (960—1127 BCE)") == (960, 1127)
    assert span("960—1127 BCE") == (None, None)


def test_several_statements_refine_or_span() -> None:
    assert span("Edo period (1603-1867), 19th century") == (1800, 1867)
    assert span("designed 1960, manufactured 1999") == (1960, 1999)
    assert span("c. 1747 with later 18th century mounts") == (1742, 1752)


def test_numbers_beyond_the_plausible_are_not_years() -> None:
    # A date field holds dates: small numbers are early years, but not years after 2100.
    assert span("3000") == (None, None)
    assert span("No. 7") == (7, 7)


# --- the shared data -------------------------------------------------------------------------


def _years(iso: str | None) -> int | None:
    if not iso:
        return None
    return -int(iso[1:5]) if iso.startswith("-") else int(iso[:4])


def test_cmoa_dates_agree_with_the_museums_own_years() -> None:
    """The museum's ISO earliest/latest dates are a second opinion on every creation_date."""
    path = shared_data_or_skip("cmoa", "cmoa-ceramics.jsonl")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    compared = agreed = 0
    for record in records:
        parsed = parse_date(record["creation_date"])
        earliest, latest = (
            _years(record["creation_date_earliest"]),
            _years(record["creation_date_latest"]),
        )
        if parsed.earliest is None or earliest is None or latest is None:
            continue
        compared += 1
        if abs(parsed.earliest - earliest) <= 30 and abs((parsed.latest or latest) - latest) <= 30:
            agreed += 1
    assert compared > 2200
    # The rest are the museum's own choices ("18th century" recorded as 1756–1799) or errors
    # ("19th century" recorded as 1700–1799).
    assert agreed / compared > 0.98


def test_every_cmoa_date_is_parsed_or_says_it_has_none() -> None:
    path = shared_data_or_skip("cmoa", "cmoa-ceramics.jsonl")
    undated = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        text = json.loads(line)["creation_date"]
        parsed = parse_date(text)
        if parsed.earliest is None and parsed.latest is None:
            undated.add(text)
    assert undated <= {None, "no date", "Meiji period"}


def _labels() -> list[dict[str, str]]:
    path = shared_data_or_skip("chinesenotes", "labels.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_chinesenotes_english_labels() -> None:
    parsed = {row["filename"]: parse_date(row["date_place_museum_en"]) for row in _labels()}

    def years_and_period(name: str) -> tuple[int | None, int | None, str | None]:
        return parsed[name].earliest, parsed[name].latest, parsed[name].period

    assert years_and_period("kuan_kangxi700.jpg") == (1661, 1722, "Qing dynasty, Kangxi reign")
    assert years_and_period("porcelain_waves_chenghua1000.jpg") == (
        1465,
        1487,
        "Ming dynasty, Chenghua reign",
    )
    assert years_and_period("porcelain_lions_ming1000.jpg") == (1433, 1466, None)
    assert years_and_period("pottery_banpo1000.jpg") == (
        -4500,
        -4000,
        "Banpo style from Yangshao Culture",
    )
    assert years_and_period("juanyunwen_wadang_xihan1000.jpg") == (-202, 8, "Western Han dynasty")
    assert years_and_period("pottery_lian_han1000.jpg") == (25, 220, "Eastern Han dynasty")
    # The two labels whose years belong to another reign are reported, not believed.
    assert years_and_period("porcelain_vase_minghongwu1000.jpg")[:2] == (None, None)
    assert years_and_period("porcelain_unicorn_ming1000.jpg")[:2] == (None, None)
    # Unlabelled photographs have no date.
    assert years_and_period("pot_neolithic1000.jpg") == (None, None, None)


def test_chinesenotes_chinese_labels_are_all_dated() -> None:
    """Every Chinese caption that states years gives a range inside the piece's period."""
    for row in _labels():
        chinese = row["caption_zh"].split(" / ", 1)[-1]
        if not any(ch.isdigit() for ch in chinese):
            continue
        parsed = parse_date(chinese)
        assert parsed.earliest is not None, chinese
        assert parsed.latest is not None, chinese
        assert parsed.earliest <= parsed.latest, chinese
