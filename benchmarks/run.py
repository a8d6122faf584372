"""Whole-process benchmarks of chinaind against the issues' targets, and against rg, jq and sqlite3.

    .venv/bin/python benchmarks/run.py [--corpus synthetic,cloned] [--sizes 100,1000,10000,100000]
        [--cloned-sizes 1000,10000,100000] [--runs 5] [--out FILE] [--keep]

Two corpora, each at its own sizes: synthetic records (generate.py) and the bundled records
cloned under new ids (clone.py), which are as big and as varied as real ones.

Every run is a fresh process of the venv's own `chinaind` (next to sys.executable, never a
pyenv shim), started from a small wrapper that times it and reads its peak RSS
(getrusage(RUSAGE_CHILDREN) in the wrapper, so the number belongs to that one run). Caches go
to private temp dirs through CHINAIND_CACHE_DIR; ~/.cache is never touched. Medians of --runs
runs after one untimed warm-up; the warm queries and peers of one size (and the start-up rows)
run in turn, so background load on a shared machine falls on all alike. See
benchmarks/README.md for what each row means.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import clone  # noqa: E402
import generate  # noqa: E402

PY = sys.executable
CHINAIND = str(Path(sys.executable).parent / "chinaind")
RACY_S = 2.2  # a file modified within 2 s before the cache write is re-read until that window passes
PEER_TIMEOUT = 60.0
RUN_TIMEOUT = 900.0

# Runs a command, prints {"s": wall seconds, "rss": peak KiB, "rc": exit code, "err": stderr tail}.
WRAPPER = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
try:
    p = subprocess.run(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=float(sys.argv[1]))
    rc, err = p.returncode, p.stderr.decode(errors="replace").strip().splitlines()[-1:]
except subprocess.TimeoutExpired:
    rc, err = "timeout", []
s = time.perf_counter() - t
print(json.dumps({"s": s, "rss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "rc": rc, "err": err}))
"""


@dataclass
class Result:
    times: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    note: str = ""  # set when the measurement failed, timed out or was skipped

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times and not self.note else None

    @property
    def rss_mib(self) -> float | None:
        return max(self.rss_kib) / 1024 if self.rss_kib and not self.note else None


SNAPSHOT: Path | None = None  # a frozen copy of src/ and data/, set by snapshot()


def clean_env(cache: Path) -> dict[str, str]:
    # A user's default: bytecode is cached (PYTHONDONTWRITEBYTECODE would recompile every run).
    drop = ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHINAIND_") and k not in drop}
    env["CHINAIND_CACHE_DIR"] = str(cache)
    if SNAPSHOT is not None:  # shadows the editable install's path to src/
        env["PYTHONPATH"] = str(SNAPSHOT / "src")
    return env


def snapshot(tmp: Path, commit: str | None = None) -> str:
    """Copy src/chinaind (from the working tree, or from `commit` with git archive) and data/
    (working tree), so that edits made during a run (other people's, or schema-module changes
    that invalidate caches) do not change what is measured."""
    global SNAPSHOT
    SNAPSHOT = tmp / "snapshot"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    if commit:
        SNAPSHOT.mkdir()
        archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "src/chinaind"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(SNAPSHOT)], input=archive.stdout, check=True)
    else:
        shutil.copytree(REPO / "src" / "chinaind", SNAPSHOT / "src" / "chinaind", ignore=ignore)
    if (REPO / "data").is_dir():
        shutil.copytree(REPO / "data", SNAPSHOT / "data", ignore=ignore)
    compileall.compile_dir(SNAPSHOT / "src", quiet=1)
    where = subprocess.run([PY, "-c", "import chinaind; print(chinaind.__file__)"], env=clean_env(tmp),
                           capture_output=True, text=True).stdout
    if not where.startswith(str(SNAPSHOT)):
        sys.exit(f"the snapshot does not shadow the installed chinaind ({where.strip()}); use --live")
    return code_identity(commit) + " (snapshot taken at start)"


def code_identity(commit: str | None = None) -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True).stdout

    if commit:
        last = git("log", "-1", "--format=%h", commit, "--", "src").strip()
        return f"chinaind src/ at commit {git('rev-parse', '--short', commit).strip()} (last src change {last}; data/ from the working tree)"
    dirty = [line[3:] for line in git("status", "--porcelain", "--", "src").splitlines() if line.strip()]
    return f"chinaind at {git('rev-parse', '--short', 'HEAD').strip() or '?'}" + (f" + uncommitted {', '.join(dirty)}" if dirty else "")


LOADS: list[float] = []  # 1-minute load average before each run: other work on a shared machine shows here


def once(cmd: list[str], env: dict[str, str], timeout: float = RUN_TIMEOUT) -> tuple[float, int, str]:
    """(seconds, peak RSS KiB, error note or "") of one run of cmd."""
    LOADS.append(os.getloadavg()[0])
    out = subprocess.run([PY, "-c", WRAPPER, str(timeout), *cmd], env=env, capture_output=True, text=True)
    info = json.loads(out.stdout)
    if info["rc"] == "timeout":
        return info["s"], info["rss"], f"> {timeout:.0f} s"
    if info["rc"] != 0:
        return info["s"], info["rss"], f"exit {info['rc']}: {' '.join(info['err'])[:80]}"
    return info["s"], info["rss"], ""


def measure(cmd: list[str], env: dict[str, str], runs: int, *, timeout: float = RUN_TIMEOUT,
            before: Callable[[int], dict[str, str] | None] | None = None) -> Result:
    """Median of `runs` runs after one warm-up. `before(i)` prepares run i (-1 = warm-up) and
    may return the environment to use."""
    res = Result()
    for i in range(-1, runs):
        run_env = (before(i) if before else None) or env
        s, rss, note = once(cmd, run_env, timeout)
        if note:
            res.note = note
            return res
        if i >= 0:
            res.times.append(s)
            res.rss_kib.append(rss)
    return res


Job = tuple[list[str], dict[str, str], float]  # command, environment, timeout


def measure_together(jobs: dict[str, Job], runs: int) -> dict[str, Result]:
    """Like measure(), for several commands taken in turn (a, b, c, a, b, c, ...), so that load
    from other processes on a shared machine falls on all of them alike and ratios hold."""
    results = {name: Result() for name in jobs}
    for i in range(-1, runs):
        for name, (cmd, env, timeout) in jobs.items():
            res = results[name]
            if res.note:
                continue
            s, rss, note = once(cmd, env, timeout)
            if note:
                res.note = note
            elif i >= 0:
                res.times.append(s)
                res.rss_kib.append(rss)
    return results


def count_lines(cmd: list[str], env: dict[str, str], timeout: float = PEER_TIMEOUT) -> str:
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "?"
    return str(len(p.stdout.splitlines())) if p.returncode in (0, 1) else f"exit {p.returncode}"


def fmt_s(r: Result | float | None) -> str:
    if isinstance(r, Result):
        return r.note if r.note else fmt_s(r.median)
    if r is None:
        return "n/a"
    return f"{r * 1000:.0f} ms" if r < 1 else f"{r:.2f} s"


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a is not None and b else "n/a"


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for tool, arg in (("rg", "--version"), ("jq", "--version"), ("sqlite3", "--version")):
        path = shutil.which(tool)
        if path:
            first = subprocess.run([path, arg], capture_output=True, text=True).stdout.split("\n")[0]
            versions.append(f"{tool} {first.split()[1] if tool != 'jq' else first}")
    import typer

    return (f"{model}, {os.cpu_count()} cores, Python {platform.python_version()} ({PY}), "
            f"typer {typer.__version__}; {', '.join(versions)}")


def bundled_args() -> tuple[list[str], str]:
    """--data-dir arguments for the bundled data (none), or the test fixtures when it is empty."""
    data = (SNAPSHOT or REPO) / "data"
    n = sum(1 for _ in data.glob("*/*.yaml")) if data.is_dir() else 0
    if n:
        return [], f"bundled data, {n} records"
    fixtures = REPO / "tests" / "fixtures" / "kb"
    return ["--data-dir", str(fixtures)], f"tests/fixtures/kb (bundled data empty), {sum(1 for _ in fixtures.glob('*/*.yaml'))} records"


def startup(tmp: Path, runs: int) -> tuple[dict[str, Result], str]:
    args, label = bundled_args()
    cache = tmp / "bundled-cache"
    env = clean_env(cache)
    floor = str(HERE / "floor_app.py")
    fresh = iter(range(10**6))
    search = [CHINAIND, *args, "search", "robot", "-f", "json"]
    rows = {f"search robot -f json, first build ({label})": measure(
        search, env, runs, before=lambda i: clean_env(tmp / f"bundled-first-{next(fresh)}"))}
    rows.update(measure_together({
        "python -c pass": ([PY, "-c", "pass"], env, RUN_TIMEOUT),
        "floor: minimal Typer app --help": ([PY, floor, "--help"], env, RUN_TIMEOUT),
        "floor: minimal Typer app, one command with an argument": ([PY, floor, "robot"], env, RUN_TIMEOUT),
        "chinaind --version": ([CHINAIND, "--version"], env, RUN_TIMEOUT),
        f"search robot -f json, warm cache ({label})": (search, env, RUN_TIMEOUT),
    }, runs))
    return rows, label


def edit_policy(path: Path, k: int) -> str:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('summary: "', f'summary: "Edited in run {k}. ', 1), encoding="utf-8")
    return text


CORPORA = ("synthetic", "cloned")
TITLES = {"synthetic": "Synthetic records (benchmarks/generate.py)",
          "cloned": "Bundled records cloned under new ids (benchmarks/clone.py)"}


def prepare_synthetic(n: int, work: Path, keep: bool) -> tuple[dict, float | None, Path]:
    """(info, generation seconds or None when reused, folder) of the synthetic KB of n records."""
    out = work / f"kb-{n}"
    info_file = out / "info.json"
    if keep and info_file.is_file() and json.loads(info_file.read_text())["n"] == n:
        return json.loads(info_file.read_text()), None, out
    print(f"  generating {n} records in {out} ...", file=sys.stderr, flush=True)
    t = time.perf_counter()
    info = generate.write(n, out)
    gen_s = time.perf_counter() - t
    info_file.write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    time.sleep(RACY_S)
    return info, gen_s, out


def prepare_cloned(n: int, work: Path, keep: bool) -> tuple[dict, float | None, Path]:
    """The same for the cloned KB, kept under a name with a hash of data/ (and clone.py), so
    that a change of either makes --keep generate it again."""
    data = (SNAPSHOT or REPO) / "data"
    key = clone.data_hash(data)
    out = work / f"cloned-{n}-{key}"
    info_file = out / "info.json"
    if keep and info_file.is_file():
        info = json.loads(info_file.read_text())
        if info.get("requested") == n and info.get("data_hash") == key:
            return info, None, out
    for stale in work.glob(f"cloned-{n}-*"):  # made from an earlier data/ or clone.py
        shutil.rmtree(stale, ignore_errors=True)
    print(f"  cloning the bundled records to {n} records in {out} ...", file=sys.stderr, flush=True)
    t = time.perf_counter()
    info = clone.write(n, out, data)
    gen_s = time.perf_counter() - t
    info_file.write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    time.sleep(RACY_S)
    return info, gen_s, out


def edit_one(corpus: str, info: dict, k: int) -> tuple[Path, str]:
    """Edit a different policy file for run k, keeping it valid; (path, original text)."""
    if corpus == "cloned":
        path = Path(info["data_dir"]) / "policies" / f"{info['edit_ids'][k % len(info['edit_ids'])]}.yaml"
        return path, clone.edit_summary(path, k)
    path = Path(info["data_dir"]) / "policies" / f"{info['policy_ids'][k + 1]}.yaml"
    return path, edit_policy(path, k)


def bench_size(corpus: str, n: int, work: Path, tmp: Path, runs: int, keep: bool) -> dict[str, Result | str]:
    info, gen_s, out = (prepare_cloned if corpus == "cloned" else prepare_synthetic)(n, work, keep)
    kb = info["data_dir"]
    base = [CHINAIND, "--data-dir", kb]
    search = [*base, "search", "robot", "-f", "json"]
    cache = tmp / f"cache-{corpus}-{n}"
    env = clean_env(cache)
    t = info["by_type"]
    rows: dict[str, Result | str]
    if corpus == "cloned":
        rows = {"records (policies/companies/technologies/people/sources)":
                f"{info['n']} ({t['policy']}/{t['company']}/{t['technology']}/{t['person']}/{t['source']})",
                "bundled records + clone sets": f"{info['originals']} + {info['sets']} × {info['per_set']}"
                + (f" + {info['partial_set']}" if info["partial_set"] else "")}
    else:
        rows = {"records (policies/companies/technologies)": f"{info['n']} ({t['policy']}/{t['company']}/{t['technology']})"}
    rows["generate KB + peers (not chinaind)"] = fmt_s(gen_s) if gen_s is not None else "reused (--keep)"
    fresh = iter(range(10**6))
    print(f"  {corpus} N={n}: first build ...", file=sys.stderr, flush=True)
    rows["first build, no cache: search robot -f json"] = measure(
        search, env, runs, before=lambda i: clean_env(tmp / f"first-{corpus}-{n}-{next(fresh)}"))
    once(search, env)  # fill the warm cache
    print(f"  {corpus} N={n}: warm queries and peers ...", file=sys.stderr, flush=True)
    jobs: dict[str, Job] = {
        "warm: search robot -f json": (search, env, RUN_TIMEOUT),
        "warm: agency MIIT --since 2023-01 -f ids": ([*base, "agency", "MIIT", "--since", "2023-01", "-f", "ids"], env, RUN_TIMEOUT),
        "warm: chain TECH -f json": ([*base, "chain", info["tech_name"], "-f", "json"], env, RUN_TIMEOUT),
        "warm: show ID -f json": ([*base, "show", info["show_id"], "-f", "json"], env, RUN_TIMEOUT),
    }
    peer_env = dict(os.environ)
    rg, jq = shutil.which("rg"), shutil.which("jq")
    sqlite = "/usr/bin/sqlite3" if os.path.exists("/usr/bin/sqlite3") else shutil.which("sqlite3")
    jq_filter = '.[] | select(tostring | test("robot"; "i")) | .id'
    sql = "select id from fts where fts match 'robot'"
    peers: dict[str, tuple[str | None, list[str]]] = {
        "peer: rg -il robot DIR": (rg, ["-il", "robot", kb]),
        "peer: jq substring filter over records.json": (jq, ["-r", jq_filter, info["json"]]),
        "peer: sqlite3 FTS5 match 'robot'": (sqlite, [info["sqlite"], sql]),
    }
    jobs.update({name: ([tool, *argv], peer_env, PEER_TIMEOUT) for name, (tool, argv) in peers.items() if tool})
    rows.update(measure_together(jobs, runs))
    rows.update({name: f"{name.split()[1]} not installed" for name, (tool, _) in peers.items() if not tool})

    print(f"  {corpus} N={n}: one-file edits ...", file=sys.stderr, flush=True)
    edits = Result()
    for k in range(runs):
        path, original = edit_one(corpus, info, k)
        s, rss, note = once(search, env)
        path.write_text(original, encoding="utf-8")  # restore, then let the cache settle
        time.sleep(RACY_S)
        once(search, env)
        if note:
            edits.note = note
            break
        edits.times.append(s)
        edits.rss_kib.append(rss)
    rows["one policy file edited, then search robot -f json"] = edits

    hits = [count_lines([*base, "search", "robot", "-n", "0", "-f", "ids"], env)]
    hits += [count_lines([tool, *argv], peer_env) if tool else "-" for tool, argv in peers.values()]
    rows["TECH / ID"] = f"{info['tech_name']} / {info['show_id']}"
    rows["hits for robot: chinaind / rg / jq / sqlite"] = " / ".join(hits)
    rows["ids from agency MIIT --since 2023-01"] = count_lines(jobs["warm: agency MIIT --since 2023-01 -f ids"][0], env)
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return rows


def report(start: dict[str, Result], label: str, corpora: dict[str, tuple[list[int], dict[int, dict[str, Result | str]]]],
           runs: int, startup_runs: int, code: str) -> str:
    lines = [f"Machine: {machine()}", f"Code: {code}",
             f"Medians of {runs} runs ({startup_runs} for start-up rows) after one warm-up; peak RSS is the largest of those runs.",
             f"1-minute load average before each run: median {statistics.median(LOADS):.2f}, max {max(LOADS):.2f} "
             "(the benchmark itself adds about 1, and 2 during a parallel first build; more means other work competed).", ""]
    lines += ["| start-up | median | peak RSS |", "|---|---:|---:|"]
    for name, r in start.items():
        lines.append(f"| {name} | {fmt_s(r)} | {f'{r.rss_mib:.0f} MiB' if r.rss_mib else 'n/a'} |")
    floor_cmd = start["floor: minimal Typer app, one command with an argument"].median
    floor_help = start["floor: minimal Typer app --help"].median
    bundled = next(r for k, r in start.items() if k.startswith("search robot -f json, warm")).median
    lines += [f"| ratio: bundled warm search / floor (one command) | {ratio(bundled, floor_cmd)} | |",
              f"| ratio: bundled warm search / floor (--help) | {ratio(bundled, floor_help)} | |"]
    for corpus, (sizes, per) in corpora.items():
        lines += ["", f"**{TITLES[corpus]}**", ""]
        lines += corpus_tables(sizes, per, label, bundled, floor_cmd, floor_help)
    return "\n".join(lines) + "\n"


def corpus_tables(sizes: list[int], per: dict[int, dict[str, Result | str]], label: str, bundled: float | None,
                  floor_cmd: float | None, floor_help: float | None) -> list[str]:
    """The per-size table and the targets table of one corpus."""
    lines = ["| N records | " + " | ".join(str(n) for n in sizes) + " |", "|---|" + "---:|" * len(sizes)]
    names = list(dict.fromkeys(k for n in sizes for k in per[n]))

    def cell(n: int, key: str) -> str:
        v = per[n].get(key)
        return v if isinstance(v, str) else fmt_s(v) if v is not None else "n/a"

    for key in names:
        lines.append(f"| {key} | " + " | ".join(cell(n, key) for n in sizes) + " |")

    def med(n: int, key: str, attr: str = "median") -> float | None:
        v = per[n].get(key)
        return getattr(v, attr) if isinstance(v, Result) else None

    def rss(n: int, key: str) -> float | None:
        return med(n, key, "rss_mib")

    S, A, E, F = ("warm: search robot -f json", "warm: agency MIIT --since 2023-01 -f ids",
                  "one policy file edited, then search robot -f json", "first build, no cache: search robot -f json")
    RG = "peer: rg -il robot DIR"
    derived = {
        "peak RSS, first build": lambda n: f"{rss(n, F):.0f} MiB" if rss(n, F) else "n/a",
        "peak RSS, warm search": lambda n: f"{rss(n, S):.0f} MiB" if rss(n, S) else "n/a",
        "ratio: warm search / floor (one command)": lambda n: ratio(med(n, S), floor_cmd),
        "ratio: warm search / rg": lambda n: ratio(med(n, S), med(n, RG)),
        "ratio: warm agency / rg": lambda n: ratio(med(n, A), med(n, RG)),
        "ratio: warm search / sqlite3": lambda n: ratio(med(n, S), med(n, "peer: sqlite3 FTS5 match 'robot'")),
        "ratio: edited / warm search": lambda n: ratio(med(n, E), med(n, S)),
    }
    for name, fn in derived.items():
        lines.append(f"| {name} | " + " | ".join(fn(n) for n in sizes) + " |")

    big = max(sizes)
    at = "" if big == 100000 else f" (measured at N={big}; the target is for 100k)"

    def verdict(ok: bool | None) -> str:
        return "n/a" if ok is None else "PASS" if ok else "**FAIL**"

    def le(a: float | None, b: float | None) -> bool | None:
        return None if a is None or b is None else a <= b

    peak = max([x for x in (rss(big, F), rss(big, S)) if x is not None], default=None)
    targets = [
        (f"{label}: warm `search robot -f json` ≤ 1.25× floor (one command)",
         f"{fmt_s(bundled)} vs {fmt_s(floor_cmd)} = {ratio(bundled, floor_cmd)}",
         le(bundled, 1.25 * floor_cmd if floor_cmd else None)),
        ("same, against the floor's --help (less strict)", f"{ratio(bundled, floor_help)}",
         le(bundled, 1.25 * floor_help if floor_help else None)),
        (f"100k warm `search robot -f json` ≤ 0.5 s{at}", fmt_s(med(big, S)), le(med(big, S), 0.5)),
        (f"100k warm search not slower than `rg -il robot`{at}", f"{fmt_s(med(big, S))} vs {fmt_s(med(big, RG))}",
         le(med(big, S), med(big, RG))),
        (f"100k warm `agency MIIT --since 2023-01 -f ids` ≤ 0.4 s{at}", fmt_s(med(big, A)), le(med(big, A), 0.4)),
        (f"100k warm agency query not slower than `rg -il robot`{at}", f"{fmt_s(med(big, A))} vs {fmt_s(med(big, RG))}",
         le(med(big, A), med(big, RG))),
        (f"100k, one file edited: next query ≤ 2× warm{at}", f"{fmt_s(med(big, E))} = {ratio(med(big, E), med(big, S))}",
         le(med(big, E), 2 * med(big, S) if med(big, S) else None)),
        (f"100k first build, no cache ≤ 10 s{at}", fmt_s(med(big, F)), le(med(big, F), 10.0)),
        (f"peak RSS at 100k ≤ 300 MiB{at}", f"{peak:.0f} MiB" if peak else "n/a", le(peak, 300.0)),
    ]
    lines += ["", "| target | measured | result |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {verdict(ok)} |" for t, m, ok in targets]
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark chinaind against the issues' targets and peer tools.")
    ap.add_argument("--corpus", default="synthetic,cloned",
                    help="comma-separated corpora to measure: synthetic (generate.py), cloned (clone.py); default both")
    ap.add_argument("--sizes", default="100,1000,10000,100000", help="record counts of the synthetic corpus")
    ap.add_argument("--cloned-sizes", default="1000,10000,100000",
                    help="record counts of the cloned corpus (bundled records included; at least their number)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per measurement (after one warm-up)")
    ap.add_argument("--startup-runs", type=int, default=21, help="timed runs for the start-up rows (short, noisy: more runs)")
    ap.add_argument("--out", type=Path, help="also write the Markdown report to this file")
    ap.add_argument("--keep", action="store_true", help="keep generated KBs in the work dir and reuse them")
    ap.add_argument("--live", action="store_true", help="run the working tree's src/ as it changes (default: a snapshot)")
    ap.add_argument("--commit", metavar="REV", help="benchmark src/ as committed in REV (git archive) instead of the working tree")
    ap.add_argument("--work-dir", type=Path, default=HERE / "out", help="where KBs are generated (default benchmarks/out)")
    args = ap.parse_args(argv)
    corpora = [c.strip() for c in args.corpus.split(",") if c.strip()]
    unknown = [c for c in corpora if c not in CORPORA]
    if unknown or not corpora:
        ap.error(f"--corpus: unknown {', '.join(unknown) or 'empty'}; choose from {', '.join(CORPORA)}")
    sizes = {"synthetic": [int(s) for s in args.sizes.split(",") if s.strip()],
             "cloned": [int(s) for s in args.cloned_sizes.split(",") if s.strip()]}
    for corpus in corpora:
        if not sizes[corpus]:
            ap.error(f"no sizes for the {corpus} corpus")
    if args.runs > 49:
        ap.error("--runs: at most 49 (one edited file per run)")
    if not Path(CHINAIND).exists():
        sys.exit(f"{CHINAIND} not found: run this with the venv's python (.venv/bin/python benchmarks/run.py)")
    args.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chinaind-bench-") as tmp_name:
        tmp = Path(tmp_name)
        code = code_identity() + " (live working tree)" if args.live else snapshot(tmp, args.commit)
        if "cloned" in corpora:
            bundled = clone.load((SNAPSHOT or REPO) / "data")
            if min(sizes["cloned"]) < len(bundled):
                ap.error(f"--cloned-sizes: at least {len(bundled)} (the bundled records)")
        print("start-up ...", file=sys.stderr, flush=True)
        start, label = startup(tmp, args.startup_runs)
        results: dict[str, tuple[list[int], dict[int, dict[str, Result | str]]]] = {}
        for corpus in corpora:
            per = {}
            for n in sizes[corpus]:
                per[n] = bench_size(corpus, n, args.work_dir, tmp, args.runs, args.keep)
                for cache in tmp.glob(f"first-{corpus}-{n}-*"):
                    shutil.rmtree(cache, ignore_errors=True)
            results[corpus] = (sizes[corpus], per)
    text = report(start, label, results, args.runs, args.startup_runs, code)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
