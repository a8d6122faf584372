"""The readers of `chinaind draft`, one form at a time: figures, dates, names. What the model
cannot hold as written is left over, never bent to fit."""

from __future__ import annotations

import pytest

from chinaind.draft import dates
from chinaind.draft.figures import figures_in
from chinaind.draft.names import Names

FIGURES = [
    ("China will build more than 600,000 5G base stations in 2021.",
     [{"kind": "goal", "value": 600000, "unit": "5G base stations", "comparator": "more-than"}]),
    ("It expects sales to reach 2.2 million units by 2025.",
     [{"kind": "goal", "value": 2200000, "unit": "units", "deadline": "2025"}]),
    ("The fund holds CNY 350 billion.", [{"kind": "statistic", "value": 350000000000, "currency": "CNY"}]),
    ("Investment will total 5 trillion CNY by 2030.", [{"kind": "goal", "value": 5000000000000, "currency": "CNY", "deadline": "2030"}]),
    ("Hesai raised USD 190 million on the Nasdaq.", [{"kind": "statistic", "value": 190000000, "currency": "USD"}]),
    ("It raised $47.5 billion last year.", [{"kind": "statistic", "value": 47500000000, "currency": "USD"}]),
    ("The plan requires 26 5G base stations per 10,000 people by 2025.",
     [{"kind": "goal", "value": 26, "unit": "5G base stations", "per": {"value": 10000, "unit": "people"}, "deadline": "2025"}]),
    ("Reach 492 robots per ten thousand manufacturing workers by 2025.",
     [{"kind": "goal", "value": 492, "unit": "robots", "per": {"value": 10000, "unit": "manufacturing workers"}, "deadline": "2025"}]),
    ("A share of more than 79% was reached.", [{"kind": "statistic", "value": 79, "unit": "percent", "comparator": "more-than"}]),
    ("YMTC cancels up to 70 percent of its orders.", [{"kind": "statistic", "value": 70, "unit": "percent", "comparator": "up-to"}]),
    ("- Build at least 2.445 million 5G base stations.", [{"kind": "goal", "value": 2445000, "unit": "5G base stations", "comparator": "at-least"}]),
    ("About 200 pilots were named.", [{"kind": "statistic", "value": 200, "unit": "pilots", "comparator": "about"}]),
    ("Over 1,100 projects were being built.", [{"kind": "tally", "value": 1100, "unit": "projects", "comparator": "more-than"}]),
    ("The communiqué named twelve high-level policy priorities.", [{"kind": "tally", "value": 12, "unit": "high-level policy priorities"}]),
    ("- Double the density of industrial robots from 2020 levels by 2025",
     [{"kind": "goal", "change": {"factor": 2}, "baseline": {"year": 2020}, "deadline": "2025"}]),
    ("Output reached almost twice the 2020 figure.",
     [{"kind": "statistic", "change": {"factor": 2}, "comparator": "almost", "baseline": {"year": 2020}}]),
    ("They sold nearly 300 robots.", [{"kind": "statistic", "value": 300, "unit": "robots", "comparator": "nearly"}]),
    ("Revenue was 138.7 billion yuan ($19.2 billion).",
     [{"kind": "statistic", "value": 138700000000, "currency": "CNY", "equivalent": {"value": 19200000000, "currency": "USD"}}]),
    ("The group has five partners, including SAIC-GM and Wuhan Raycus.",
     [{"kind": "statistic", "value": 5, "unit": "partners", "named": ["SAIC-GM", "Wuhan Raycus"]}]),
    ("Sales will reach 2 million by 2020, and 20 percent of all sales by 2025.",
     [{"kind": "goal", "value": 2000000, "deadline": "2020"}, {"kind": "goal", "value": 20, "unit": "percent", "deadline": "2025"}]),
]


@pytest.mark.parametrize("sentence, expected", FIGURES, ids=[s[:40] for s, _ in FIGURES])
def test_figure_forms(sentence, expected):
    found, left = figures_in(sentence)
    assert left == []
    assert [{k: v for k, v in f.fields.items() if k in expected[i]} for i, f in enumerate(found)] == expected
    assert len(found) == len(expected)


@pytest.mark.parametrize("sentence, reason", [
    ("It cost fewer than 20 yuan.", 'no comparator for "fewer than"'),
    ("Close to 300 robots were sold.", 'no comparator for "close to"'),
])
def test_what_the_model_cannot_hold_is_left_over(sentence, reason):
    found, left = figures_in(sentence)
    assert any(reason in l.reason for l in left), left
    assert all("comparator" not in f.fields or f.fields["comparator"] in ("at-least", "more-than", "up-to", "about") for f in found)


@pytest.mark.parametrize("sentence", ["In 2023 the 14th FYP took effect.", "The 5G plan and 3D printing.", "3. Fiber laser",
                                      "SIM0417 and VV116 were approved.", "a five-year plan for 8.5-generation glass",
                                      "on the one hand"])
def test_no_figure_in_years_names_and_numbering(sentence):
    assert figures_in(sentence)[0] == []


@pytest.mark.parametrize("text, issue, expected", [
    ("February 3", "2023-03-01", ("2023-02-03", True)),
    ("December 30", "2024-01-05", ("2023-12-30", True)),  # a January issue reporting December
    ("February 3", None, ("--02-03", False)),  # no issue date: yearless, dates nothing
    ("January 19, 2023", "2023-03-01", ("2023-01-19", False)),
    ("February 30", "2023-03-01", None),
])
def test_month_and_day(text, issue, expected):
    found = dates.month_day(text, issue)
    assert (found.value, found.year_inferred) == expected if expected else found is None


@pytest.mark.parametrize("text, expected", [
    ("Date: January 19, 2023", [("2023-01-19", "January 19, 2023")]),
    ("released on Tuesday", []), ("issued last week", []),
])
def test_dates_in_sentences(text, expected):
    assert [(d.value, d.words) for d in dates.dates_in(text)] == expected


def test_relative_days_are_found_but_never_dated():
    assert dates.relative_dates("The plan was released on Tuesday, after last week's talks.") == ["on Tuesday", "last week"]


@pytest.mark.parametrize("text, expected", [
    ("a plan from 2021-2035", [("2021", "2035")]), ("(2023–2025)", [("2023", "2025")]),
    ("from 2023 to 2025", [("2023", "2025")]), ("in 2025-2021", []),
])
def test_periods(text, expected):
    assert [(p.start, p.end) for p in dates.periods_in(text)] == expected


def test_deadlines():
    assert dates.deadline_in("reach 20% by 2025").value == "2025"
    assert dates.deadline_in("in 2025") is None


@pytest.fixture
def names() -> Names:
    rows = [("SAC", "agency", ["sac", "standardization administration of china", "国家标准化管理委员会", "国家标准委"]),
            ("SASAC", "agency", ["sasac", "state owned assets supervision and administration commission", "国资委"]),
            ("MIIT", "agency", ["miit", "ministry of industry and information technology", "工信部"]),
            ("energy", "sector", ["energy"]),
            ("fiber-laser", "technology", ["fiber laser", "fibre laser"])]
    return Names(rows)


@pytest.mark.parametrize("text, expected", [
    ("SAC issued a call", ["SAC"]),
    ("SASAC and SAC", ["SASAC", "SAC"]),  # an exact name always wins: SAC is never SASAC
    ("the sac of grain", []),  # an abbreviation links only in capitals
    ("the Ministry of Industry and Information Technology (MIIT)", ["MIIT", "MIIT"]),
    ("工信部和国资委联合印发", ["MIIT", "SASAC"]),  # Chinese short names inside running Chinese text
    ("国家标准委发布", ["SAC"]),
    ("fibre lasers and fiber-laser", ["fiber-laser"]),  # exact names only: "fibre lasers" is no alias here
    ("new energy sources", []),  # a lower-case common word stays vocabulary
    ("Energy policy", ["energy"]),
    ("SASA issued", []),  # no close guesses
])
def test_linking_is_exact(names, text, expected):
    assert [l.rid for l in names.find(text)] == expected
