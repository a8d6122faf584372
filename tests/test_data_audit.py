"""Mechanical checks that what the bundled records say is what their sources say.

Each record cites source records; each source record the project holds as text (the seed issue,
the excerpts under shared/sources/) is matched to that text, by id for the seed and by address
for the excerpts. Over those texts three classes of error are caught:

- prose copied: a run of ten or more words shared with a source text;
- a title the source does not give, not marked `title_descriptive`;
- a name, alias or Chinese name the cited sources do not contain, not marked editorial (a short
  form found only inside the longer name, "Qinchuan" in "Qinchuan Machine Tool", is not found).

The checks skip with a reason when the source texts are not available.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chinaind.store.loader import load
from conftest import BUNDLED_KB

SOURCES = Path(__file__).resolve().parents[2] / "shared" / "sources"
SEED = "merics-china-industries-2023-03-01"
RUN = 10


@pytest.fixture(scope="module")
def records():
    return load(BUNDLED_KB, use_cache=False).records


@pytest.fixture(scope="module")
def texts(records) -> dict[str, str]:
    """Source record id -> the text the project holds of it."""
    if not SOURCES.is_dir():
        pytest.skip(f"source texts not available ({SOURCES} is absent)")
    found: dict[str, str] = {}
    seed = SOURCES / f"{SEED}.txt"
    if seed.is_file():
        found[SEED] = seed.read_text(encoding="utf-8")
    by_address = {}
    for path in sorted(SOURCES.glob("*/*.txt")):
        text = path.read_text(encoding="utf-8")
        by_address[text.split("\n", 1)[0].strip()] = text
    for rid, rec in records.items():
        if rec["type"] == "source":
            for url in rec.get("urls") or []:
                if url in by_address:
                    found[rid] = by_address[url]
    if not found:
        pytest.skip("none of the cited sources is held as text")
    return found


def norm(text: str) -> str:
    """Lower case, one kind of quote and dash, markdown links as their text."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub("[’‘“”\"]", "'", text).replace("—", "-").replace("–", "-").lower()


def norm_name(text: str) -> str:
    """As norm, and the abbreviation "FYP" as the words it stands for (a title written out in full)."""
    return re.sub(r"\bfyp\b", "five-year plan", norm(text))


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z0-9]+)?", norm(text))


def cited(rec) -> set[str]:
    ids = {c["source"] for c in rec.get("sources") or []}
    for event in rec.get("events") or []:
        ids |= {c["source"] for c in event.get("sources") or []}
    return ids


def cited_text(rec, texts) -> str | None:
    held = [texts[s] for s in sorted(cited(rec)) if s in texts]
    return "\n".join(held) if held else None


# Values recorded as the source shows them, never rewritten: names, official titles, headlines.
VERBATIM_KEYS = {"id", "type", "sources", "urls", "name", "aliases", "name_zh", "short_name_zh", "title_zh",
                 "headlines", "terms", "editorial", "publication"}


def prose(rec):
    """(where, text) for every passage written in the editors' words."""
    def walk(value, where):
        if isinstance(value, str):
            yield where, value
        elif isinstance(value, dict):
            for key, v in value.items():
                if key not in VERBATIM_KEYS:
                    yield from walk(v, f"{where}.{key}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from walk(v, f"{where}.{i}")

    for key, value in rec.items():
        if key in VERBATIM_KEYS:
            continue
        if key == "title" and (rec["type"] == "source" or not rec.get("title_descriptive")):
            continue  # an official title or a page's title is recorded as given
        if key == "charts":
            value = [{k: v for k, v in c.items() if k != "title"} for c in value]
        yield from walk(value, f"{rec['id']}.{key}")


def copied_runs(text: str, runs: set[tuple[str, ...]]) -> list[str]:
    mine = words(text)
    return [" ".join(mine[i:i + RUN]) for i in range(len(mine) - RUN + 1) if tuple(mine[i:i + RUN]) in runs]


def test_no_run_of_ten_words_copied_from_any_source(records, texts):
    runs: set[tuple[str, ...]] = set()
    for text in texts.values():
        w = words(text)
        runs |= {tuple(w[i:i + RUN]) for i in range(len(w) - RUN + 1)}
    copied = [f"{where}: {run}" for rec in records.values() for where, text in prose(rec)
              for run in copied_runs(text, runs)[:1]]
    assert not copied, "passages copied from a source:\n" + "\n".join(copied)


def test_the_copy_check_catches_a_copied_run():
    runs = {tuple(words("one two three four five six seven eight nine ten"))}
    assert copied_runs("So: One two three four five six seven eight nine ten, said he.", runs)
    assert not copied_runs("one two three four five six seven eight nine", runs)


def contains_name(text: str, name: str, longer: list[str] = ()) -> bool:
    """Whether `name` occurs as a word sequence of its own, not only inside a longer name of the record."""
    hay = norm_name(text)
    for other in sorted(longer, key=len, reverse=True):
        if norm_name(name) in norm_name(other) and norm_name(other) != norm_name(name):
            hay = hay.replace(norm_name(other), " ")
    needle = re.escape(norm_name(name))
    if re.search(r"[\u3000-\u9fff]", name):
        return re.search(needle, hay) is not None
    return re.search(r"(?<![0-9a-z])" + needle + r"(?![0-9a-z])", hay) is not None


def test_title_not_in_the_source_is_marked_descriptive(records, texts):
    unmarked = []
    for rid, rec in records.items():
        if rec["type"] != "policy" or rec["title_descriptive"]:
            continue
        text = cited_text(rec, texts)
        if text is not None and not contains_name(text, rec["title"]):
            unmarked.append(f"{rid}: {rec['title']!r}")
    assert not unmarked, "titles no cited source gives, not marked title_descriptive:\n" + "\n".join(unmarked)


def name_problems(rec, texts) -> list[str]:
    text = cited_text(rec, texts)
    if text is None or rec["type"] in ("sector", "source", "policy"):
        return []
    editorial = set(rec.get("editorial") or [])
    names = [rec["name"], *(rec.get("aliases") or [])]
    problems = []
    if "name" not in editorial and not contains_name(text, rec["name"]):
        problems.append(f"{rec['id']}.name {rec['name']!r}")
    if "aliases" not in editorial:
        # One alias may be marked on its own ("aliases:国资委").
        problems += [f"{rec['id']}.aliases {a!r}" for a in rec.get("aliases") or []
                     if f"aliases:{a}" not in editorial and not contains_name(text, a, names)]
    for field in ("name_zh", "short_name_zh"):
        if rec.get(field) and field not in editorial and not contains_name(text, rec[field]):
            problems.append(f"{rec['id']}.{field} {rec[field]!r}")
    return problems


def test_names_not_in_the_cited_sources_are_editorial(records, texts):
    problems = [p for rec in records.values() for p in name_problems(rec, texts)]
    assert not problems, "names no cited source gives, not marked editorial:\n" + "\n".join(problems)


def test_chinese_titles_not_in_the_cited_sources_are_editorial(records, texts):
    problems = []
    for rid, rec in records.items():
        text = cited_text(rec, texts)
        if rec["type"] == "policy" and rec.get("title_zh") and text is not None:
            if "title_zh" not in rec["editorial"] and rec["title_zh"] not in text:
                problems.append(rid)
    assert not problems


@pytest.mark.parametrize("text, name, longer, found", [
    ("led by Qinchuan Machine Tool with five partners", "Qinchuan", ["Qinchuan Machine Tool"], False),
    ("led by Qinchuan Machine Tool; Qinchuan also", "Qinchuan", ["Qinchuan Machine Tool"], True),
    ("the MIIT issued", "MIIT", ["Ministry of Industry and Information Technology"], True),
    ("the MIITS issued", "MIIT", [], False),
    ("issued by 工信部 today", "工信部", [], True),
    ("the [14th FYP for the Robotics Sector](#) says", "14th Five-Year Plan for the Robotics Sector", [], True),
    ("the ‘Hundred cities’ activity", '"Hundred cities" activity', [], True),
])
def test_the_name_check(text, name, longer, found):
    assert contains_name(text, name, longer) is found
