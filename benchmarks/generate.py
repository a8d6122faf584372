"""Generate a synthetic chinaind knowledge base of N records, deterministically.

    .venv/bin/python benchmarks/generate.py 10000 benchmarks/out/kb-10000

writes OUT/kb/{policies,companies,technologies,agencies,sectors}/*.yaml (the data dir) and, for
the peer tools, OUT/peers/records.json (a JSON array of every record) and OUT/peers/records.sqlite
(an FTS5 table `fts(id, type, body)` over the same records). The peers live outside the data dir
so chinaind never reads them as records.

YAML is written by a small emitter (strings as JSON, which is valid YAML), not yaml.dump: 100k
files take a few seconds. The output passes `chinaind --data-dir OUT/kb --no-cache validate`.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any, Iterator

Record = dict[str, Any]

AGENCIES: list[tuple[str, str, str, str, str]] = [
    # id, English name, Chinese name, Chinese short name, kind
    ("MIIT", "Ministry of Industry and Information Technology", "工业和信息化部", "工信部", "ministry"),
    ("NDRC", "National Development and Reform Commission", "国家发展和改革委员会", "国家发改委", "commission"),
    ("SASAC", "State-owned Assets Supervision and Administration Commission", "国务院国有资产监督管理委员会", "国资委", "commission"),
    ("SAC", "Standardization Administration of China", "国家标准化管理委员会", "国家标准委", "administration"),
    ("MOF", "Ministry of Finance", "财政部", "财政部", "ministry"),
    ("MEE", "Ministry of Ecology and Environment", "生态环境部", "生态环境部", "ministry"),
    ("MOST", "Ministry of Science and Technology", "科学技术部", "科技部", "ministry"),
    ("MOFCOM", "Ministry of Commerce", "商务部", "商务部", "ministry"),
    ("SAMR", "State Administration for Market Regulation", "国家市场监督管理总局", "市场监管总局", "administration"),
    ("NEA", "National Energy Administration", "国家能源局", "能源局", "administration"),
    ("CAC", "Cyberspace Administration of China", "国家互联网信息办公室", "网信办", "administration"),
    ("MOE", "Ministry of Education", "教育部", "教育部", "ministry"),
]
SECTORS: list[tuple[str, str, str]] = [
    ("robotics", "Robotics", "机器人"), ("semiconductors", "Semiconductors", "半导体"),
    ("lasers", "Lasers", "激光"), ("batteries", "Batteries", "电池"), ("evs", "Electric vehicles", "新能源汽车"),
    ("aerospace", "Aerospace", "航空航天"), ("shipbuilding", "Shipbuilding", "船舶"), ("rail", "Rail equipment", "轨道交通"),
    ("machine-tools", "Machine tools", "机床"), ("steel", "Steel", "钢铁"), ("petrochemicals", "Petrochemicals", "石化"),
    ("pharma", "Pharmaceuticals", "医药"), ("medical-devices", "Medical devices", "医疗器械"), ("software", "Software", "软件"),
    ("telecom", "Telecommunications", "通信"), ("ai", "Artificial intelligence", "人工智能"), ("solar", "Solar power", "光伏"),
    ("wind", "Wind power", "风电"), ("hydrogen", "Hydrogen", "氢能"), ("new-materials", "New materials", "新材料"),
    ("agri-machinery", "Agricultural machinery", "农机"), ("textiles", "Textiles", "纺织"), ("standards", "Standards", "标准化"),
    ("logistics", "Logistics", "物流"), ("construction", "Construction machinery", "工程机械"), ("displays", "Displays", "显示"),
    ("rare-earths", "Rare earths", "稀土"), ("nonferrous", "Nonferrous metals", "有色金属"), ("biotech", "Biotechnology", "生物技术"),
    ("industrial-internet", "Industrial internet", "工业互联网"),
]
TECH_ADJ = ["fiber", "industrial", "precision", "high-power", "ultra-pure", "wide-bandgap", "solid-state", "intelligent",
            "hydraulic", "optical", "high-speed", "low-carbon", "heavy-duty", "micro", "integrated", "advanced", "quantum",
            "flexible", "high-temperature", "automated", "collaborative", "digital", "composite", "marine"]
TECH_NOUN = ["laser", "reducer", "etching gas", "servo motor", "photoresist", "bearing", "sensor", "controller",
             "wafer", "battery separator", "turbine blade", "gearbox", "lithography lens", "inverter", "catalyst",
             "robot arm", "fuel cell", "power module", "machine tool", "valve", "encoder", "substrate", "coating",
             "diesel engine", "chip", "welding head", "polysilicon", "electrolyte", "magnet", "actuator"]
TITLE_HEAD = ["Notice on", "Guiding Opinions on", "Implementation Plan for", "Action Plan for", "Measures for",
              "Announcement on", "Three-Year Plan for", "Work Programme on", "Guideline on", "Instructions on"]
TITLE_TOPIC = ["promoting", "accelerating", "strengthening", "standardising", "supporting", "upgrading",
               "developing", "coordinating", "expanding", "regulating"]
TITLE_OBJECT = ["advanced manufacturing", "industrial upgrading", "digital transformation", "green development",
                "the complete industrial chain", "specialised and innovative SMEs", "new energy vehicles",
                "integrated circuits", "the industrial internet", "high-end equipment", "innovation centres",
                "technical standards", "energy efficiency", "supply chain resilience", "smart factories",
                "key basic components", "new materials", "service-oriented manufacturing", "quality brands",
                "export controls"]
ROBOT_OBJECT = ["industrial robots", "robot applications", "service robots", "the robot industry"]
SUMMARY_WORDS = ("the plan sets targets for output capacity investment and research across provinces while the "
                 "ministries coordinate funding standards pilots demonstration zones and key enterprises to "
                 "raise productivity reduce emissions secure supply chains train engineers and support exports "
                 "under the five year programme with annual reviews local implementation rules and "
                 "evaluation of results").split()
ZH_CHARS = list("关于推进加快制造业高质量发展实施方案通知意见行动计划产业链供应链工业互联网新能源汽车集成电路"
                "标准化绿色低碳数字化转型装备材料技术创新中心试点示范专精特新企业智能工厂质量品牌")
ZH_ROBOT = "机器人"
ROLES = ["lead firm", "chain partner", "pilot enterprise", "demonstration site", "example firm", "supplier",
         "research partner"]
ROBOT_METRIC = ("robot density", "robots per 10,000 workers")
METRICS = [("output value", "billion yuan"), ("market share", "percent"), ("capacity utilisation", "percent"),
           ("energy intensity reduction", "percent"), ("new standards issued", "standards"),
           ("pilot factories", "factories"), ("R&D spending", "percent of revenue"), ("exports", "billion USD")]
COMPARATORS = ["exactly", "at-least", "more-than", "up-to", "about"]
POLICY_KINDS = ["plan", "notice", "list", "guideline", "approval", "measures", "strategy", "programme",
                "announcement", "instructions"]
ORG_KINDS = ["firm", "firm", "firm", "soe", "university", "research-institute", "industry-group"]
CO_NAME_A = ["Huaxin", "Zhongke", "Tianrui", "Jinghua", "Hengtong", "Dongfang", "Xinguang", "Changjiang", "Beidou",
             "Haitai", "Minghui", "Shenzhou", "Yuanwang", "Kunlun", "Baoli", "Ruida"]
CO_NAME_B = ["Precision", "Laser", "Semiconductor", "Materials", "Power", "Robotics", "Machinery", "Electronics",
             "Automotive", "Optics", "Energy", "Heavy Industry"]
ZH_CO_A = ["华鑫", "中科", "天瑞", "精华", "恒通", "东方", "新光", "长江", "北斗", "海泰", "明辉", "神州", "远望", "昆仑", "宝利", "瑞达"]
ZH_CO_B = ["精密", "激光", "半导体", "材料", "电力", "机器人", "机械", "电子", "汽车", "光学", "能源", "重工"]


_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_SPECIAL = {"null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "y", "n", "yes", "no", "on", "off"}


def _q(s: str) -> str:
    """Ids, dates and codes plain, as people write them; free text as a JSON (= YAML) string."""
    if _PLAIN.fullmatch(s) and s not in _SPECIAL:
        return s
    return json.dumps(s, ensure_ascii=False)


def emit(value: Any, indent: str = "") -> Iterator[str]:
    """YAML lines for a dict of scalars, flow lists of scalars and block lists of dicts."""
    for key, v in value.items():
        if v is None:
            continue
        if isinstance(v, dict):
            yield f"{indent}{key}:"
            yield from emit(v, indent + "  ")
        elif isinstance(v, list):
            if not v:
                continue
            if isinstance(v[0], dict):
                yield f"{indent}{key}:"
                for item in v:
                    lines = list(emit(item, indent + "    "))
                    yield f"{indent}  - {lines[0].lstrip()}"
                    yield from lines[1:]
            else:
                yield f"{indent}{key}: [{', '.join(_q(x) if isinstance(x, str) else str(x) for x in v)}]"
        elif isinstance(v, bool):
            yield f"{indent}{key}: {'true' if v else 'false'}"
        elif isinstance(v, str):
            yield f"{indent}{key}: {_q(v)}"
        else:
            yield f"{indent}{key}: {v}"


def _date(rng: random.Random) -> str:
    y, m, d = rng.randint(2015, 2025), rng.randint(1, 12), rng.randint(1, 28)
    p = rng.random()
    return f"{y}" if p < 0.1 else f"{y}-{m:02d}" if p < 0.3 else f"{y}-{m:02d}-{d:02d}"


def _sources(rng: random.Random, date: str | None = None) -> list[Record]:
    src: Record = {"publication": rng.choice(["Gazette of the State Council", "MIIT website", "People's Daily", "Xinhua"]),
                   "issue_date": date or _date(rng), "section": rng.choice(["Notices", "Policy documents", "News"])}
    if rng.random() < 0.5:
        src["url"] = f"https://www.example.gov.cn/doc/{rng.randrange(10**8)}.html"
    return [src]


def counts(n: int) -> dict[str, int]:
    """Records per type for a knowledge base of n records in all."""
    agencies, sectors = len(AGENCIES), len(SECTORS)
    companies, technologies = max(5, n // 10), max(2, n // 50)
    policies = max(5, n - agencies - sectors - companies - technologies)
    return {"agency": agencies, "sector": sectors, "company": companies, "technology": technologies, "policy": policies}


def tech_name(i: int) -> str:
    a, b = len(TECH_ADJ), len(TECH_NOUN)
    base = f"{TECH_ADJ[i % a]} {TECH_NOUN[(i // a) % b]}"
    round_ = i // (a * b)
    return (base if round_ == 0 else f"{base} type {round_ + 1}").capitalize()


def build(n: int, seed: int = 4) -> Iterator[Record]:
    """Every record of the knowledge base, each with its "type"."""
    rng = random.Random(seed)
    c = counts(n)
    pol_ids = [f"pol-{i:06d}" for i in range(c["policy"])]
    co_ids = [f"co-{i:05d}" for i in range(c["company"])]
    tech_ids = [f"tech-{i:05d}" for i in range(c["technology"])]
    sec_ids = [s[0] for s in SECTORS]
    ag_ids = [a[0] for a in AGENCIES]
    for aid, name, zh, short, kind in AGENCIES:
        yield {"type": "agency", "id": aid, "name": name, "name_zh": zh, "short_name_zh": short, "kind": kind,
               "sources": _sources(rng)}
    for sid, name, zh in SECTORS:
        yield {"type": "sector", "id": sid, "name": name, "name_zh": zh, "aliases": [name.lower()],
               "description": f"The {name.lower()} sector."}
    for i, cid in enumerate(co_ids):
        a, b = i % len(CO_NAME_A), (i // len(CO_NAME_A)) % len(CO_NAME_B)
        rec: Record = {"type": "company", "id": cid, "name": f"{CO_NAME_A[a]} {CO_NAME_B[b]} {i}",
                       "name_zh": f"{ZH_CO_A[a]}{ZH_CO_B[b]}{i}", "kind": rng.choice(ORG_KINDS), "country": "CN",
                       "sectors": rng.sample(sec_ids, rng.randint(1, 2))}
        if rng.random() < 0.1:
            rec["events"] = [{"date": _date(rng), "kind": rng.choice(["approval", "launch", "ipo", "development"]),
                              "summary": "Listed on the STAR market after approval.", "amount": rng.randint(1, 900) * 10**6,
                              "currency": "CNY", "agencies": [rng.choice(ag_ids)], "sources": _sources(rng)}]
        rec["sources"] = _sources(rng)
        yield rec
    for i, tid in enumerate(tech_ids):
        groups = []
        for _ in range(rng.choice([0, 1, 1, 2])):
            partners = rng.sample(co_ids, min(len(co_ids), rng.randint(0, 5)))
            g: Record = {"leads": rng.sample(co_ids, rng.randint(1, 2)), "partners": partners}
            if rng.random() < 0.6:
                g["partners_total"] = len(partners) + rng.randint(0, 20)
            groups.append(g)
        yield {"type": "technology", "id": tid, "name": tech_name(i), "name_zh": "".join(rng.sample(ZH_CHARS, 4)),
               "aliases": [f"{tech_name(i).lower()}s"], "sectors": rng.sample(sec_ids, rng.randint(1, 2)),
               "programme": "Complete industrial chain", "listed_in": [rng.choice(pol_ids)],
               "list_position": rng.randint(1, 50), "groups": groups, "sources": _sources(rng)}
    for i, pid in enumerate(pol_ids):
        robot = rng.random() < 0.02
        obj = rng.choice(ROBOT_OBJECT) if robot else rng.choice(TITLE_OBJECT)
        title = f"{rng.choice(TITLE_HEAD)} {rng.choice(TITLE_TOPIC)} {obj} ({i})"
        zh = "".join(rng.choices(ZH_CHARS, k=rng.randint(8, 16)))
        if robot or rng.random() < 0.01:
            cut = rng.randint(0, len(zh))
            zh = zh[:cut] + ZH_ROBOT + zh[cut:]
        k = rng.choice([1, 1, 2, 2, 3, 4])
        if rng.random() < 0.45:  # MIIT often leads
            issuers = ["MIIT", *rng.sample(ag_ids[1:], k - 1)]
        else:
            issuers = rng.sample(ag_ids, k)
        date = _date(rng) if rng.random() < 0.97 else None
        rec = {"type": "policy", "id": pid, "title": title, "title_zh": f"《{zh}》", "kind": rng.choice(POLICY_KINDS),
               "date": date, "issuers": issuers}
        if rng.random() < 0.15:
            rec["issuers_total"] = len(issuers) + rng.randint(0, 15)
        rec["sectors"] = rng.sample(sec_ids, rng.randint(0, 2))
        if rng.random() < 0.3:
            rec["technologies"] = rng.sample(tech_ids, min(len(tech_ids), rng.randint(1, 3)))
        if rng.random() < 0.4:
            rec["organisations"] = [{"org": o, "role": rng.choice(ROLES)}
                                    for o in rng.sample(co_ids, rng.randint(1, 3))]
        targets = []
        for t in range(rng.choice([0, 0, 1, 2, 3])):
            metric, unit = ROBOT_METRIC if robot and t == 0 else rng.choice(METRICS)
            base_year = rng.randint(2015, 2022)
            tgt: Record = {"id": f"t{t + 1}", "metric": metric, "value": rng.choice([rng.randint(1, 5000), round(rng.uniform(0.5, 99), 1)]),
                           "unit": unit, "comparator": rng.choice(COMPARATORS)}
            if rng.random() < 0.5:
                tgt["baseline"] = {"year": base_year, "value": rng.randint(1, 1000)}
            tgt["deadline"] = str(rng.randint(base_year + 1, 2035)) if rng.random() < 0.8 else f"{rng.randint(base_year + 1, 2035)}-12"
            targets.append(tgt)
        rec["targets"] = targets
        if i > 0 and rng.random() < 0.1:
            rec["refers_to"] = [pol_ids[rng.randrange(i)]]
        words = rng.choices(SUMMARY_WORDS, k=40)
        if rng.random() < 0.01:
            words[rng.randrange(40)] = "robots"
        rec["summary"] = " ".join(words).capitalize() + "."
        rec["sources"] = _sources(rng, date)
        yield rec


FOLDER = {"policy": "policies", "company": "companies", "technology": "technologies", "agency": "agencies",
          "sector": "sectors"}


def _fts_body(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in ("sources", "type", "url"):
                yield from _fts_body(v)
    elif isinstance(value, list):
        for v in value:
            yield from _fts_body(v)


def current_format(rec: Record, cited: dict[str, dict[str, Any]]) -> Record:
    """A generated record in chinaind's current format (dates with roles, goals, citations of
    one source record per publication), as `chinaind migrate` would write it."""
    from chinaind.records.migrate import upgrade_record

    def strip(sources: list[Record]) -> list[Record]:
        return [{k: v for k, v in s.items() if k != "issue_date"} for s in sources]

    body = {k: v for k, v in rec.items() if k != "type" and not (k == "date" and v is None)}
    if "sources" in body:
        body["sources"] = strip(body["sources"])
    if body.get("events"):
        body["events"] = [{**e, "sources": strip(e["sources"])} for e in body["events"]]
    return upgrade_record(rec["type"], body, cited)[0]


def write(n: int, out: Path, seed: int = 4) -> dict[str, Any]:
    """Write the knowledge base to out/kb and the peers to out/peers; return a summary."""
    t0 = time.perf_counter()
    out = out.resolve()
    if out.exists():
        shutil.rmtree(out)
    kb, peers = out / "kb", out / "peers"
    for folder in FOLDER.values():
        (kb / folder).mkdir(parents=True)
    peers.mkdir(parents=True)
    records = list(build(n, seed))
    cited: dict[str, dict[str, Any]] = {}
    for rec in records:
        body = current_format(rec, cited)
        path = f"{kb}/{FOLDER[rec['type']]}/{rec['id']}.yaml"
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("\n".join(emit(body)) + "\n")
    (kb / "sources").mkdir(exist_ok=True)
    for sid, info in cited.items():
        with open(kb / "sources" / f"{sid}.yaml", "w", encoding="utf-8") as fh:
            fh.write("\n".join(emit({"id": sid, "publication": info["publication"], "kind": "web-page"})) + "\n")
    t_yaml = time.perf_counter() - t0
    with open(peers / "records.json", "w", encoding="utf-8") as fh:
        json.dump(records, fh, ensure_ascii=False)
    db = sqlite3.connect(peers / "records.sqlite")
    db.execute("create virtual table fts using fts5(id unindexed, type unindexed, body)")
    db.executemany("insert into fts values (?, ?, ?)",
                   ((r["id"], r["type"], "\n".join(_fts_body(r))) for r in records))
    db.commit()
    db.close()
    by_type = {t: sum(1 for r in records if r["type"] == t) for t in FOLDER}
    first_tech = next(r for r in records if r["type"] == "technology")
    policies = [r["id"] for r in records if r["type"] == "policy"]
    return {"n": len(records), "by_type": by_type, "data_dir": str(kb), "json": str(peers / "records.json"),
            "sqlite": str(peers / "records.sqlite"), "tech_name": first_tech["name"],
            "show_id": policies[len(policies) // 2], "policy_ids": policies[:50],
            "seconds_yaml": round(t_yaml, 2), "seconds_total": round(time.perf_counter() - t0, 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="number of records (about; at least 50)")
    ap.add_argument("out", type=Path, help="output folder (replaced): OUT/kb is the data dir, OUT/peers the peers")
    ap.add_argument("--seed", type=int, default=4)
    args = ap.parse_args(argv)
    info = write(args.n, args.out, args.seed)
    (args.out / "info.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in info.items() if k != "policy_ids"}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
