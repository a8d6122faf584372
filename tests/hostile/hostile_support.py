"""Shared helpers of the hostile-input tests: the case table, building a case's knowledge base
in a temporary folder (static files from cases/<name>/ plus the generated ones), and a
snapshot of a tree to prove chinaind never writes into a data directory."""

from __future__ import annotations

import os
import re
import shutil
import stat
import tomllib
import unicodedata
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
CASES_DIR = HERE / "cases"
CASES: list[dict] = tomllib.loads((HERE / "cases.toml").read_text(encoding="utf-8"))["case"]
CASE_BY_NAME = {c["name"]: c for c in CASES}

# One problem line: path:line:col: message (the path may itself contain ':').
PROBLEM_RE = re.compile(r"^(?P<path>.+):(?P<line>[1-9][0-9]*):(?P<col>[1-9][0-9]*): (?P<message>\S.*)$")
# What must never reach a terminal raw: C0 controls but tab/newline, DEL, C1 controls,
# bidirectional overrides and isolates.
RAW_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# A citation of the source record SOURCE_RECORD (sources/test-gazette-2023-03-01.yaml), which a case citing it must hold.
SOURCES = "sources:\n  - source: test-gazette-2023-03-01\n    section: Fixture\n"
SOURCE_RECORD = "id: test-gazette-2023-03-01\npublication: Test Gazette\nkind: newsletter-issue\nissue_date: 2023-03-01\n"
SECTOR = "id: {id}\nname: {name}\n"
HUGE_BYTES = 50 * 1024 * 1024


def sector(rid: str, name: str | None = None) -> str:
    return SECTOR.format(id=rid, name=name or rid.title())


def _write(kb: Path, rel: str | bytes, content: bytes | str) -> Path:
    path = Path(os.fsdecode(os.path.join(os.fsencode(kb), os.fsencode(rel))))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def _robotics(kb: Path) -> None:
    _write(kb, "sectors/robotics.yaml", sector("robotics"))


def gen_not_utf8(kb: Path, tmp: Path) -> None:
    _write(kb, "sectors/robotics.yaml", b"id: robotics\nname: Caf\xe9 robots\n")


def gen_utf8_bom(kb: Path, tmp: Path) -> None:
    _write(kb, "sectors/robotics.yaml", b"\xef\xbb\xbf" + sector("robotics").encode())


def gen_utf16(kb: Path, tmp: Path) -> None:
    _write(kb, "sectors/robotics.yaml", sector("robotics", "机器人").encode("utf-16"))


def gen_nul_byte(kb: Path, tmp: Path) -> None:
    _write(kb, "sectors/robotics.yaml", b"id: robotics\nname: Robo\x00tics\n")


def gen_raw_escape(kb: Path, tmp: Path) -> None:
    _write(kb, "sectors/robotics.yaml", b"id: robotics\nname: \x1b[31mRobotics\n")


def gen_line_separator(kb: Path, tmp: Path) -> None:
    _write(kb, "sectors/robotics.yaml", "id: robotics\nname: Robo\u2028tics\n")


def gen_alias_string_bomb(kb: Path, tmp: Path) -> None:
    # 200 kB written once, repeated by aliases: well under the file limit, 1.4 MB expanded.
    big = "a" * 200_000
    _write(kb, "sectors/robotics.yaml",
           f"id: robotics\nname: Robotics\ndescription: &big {big}\naliases:\n  - *big\n  - *big\n  - *big\n  - *big\n  - *big\n  - *big\n")


def gen_deep_flow(kb: Path, tmp: Path) -> None:
    _write(kb, "sectors/robotics.yaml", "id: robotics\nname: Robotics\ndescription: " + "[" * 50_000 + "]" * 50_000 + "\n")


def gen_huge(kb: Path, tmp: Path) -> None:
    _robotics(kb)
    line = b"  - a perfectly valid YAML list item that repeats and repeats\n"
    head = b"id: huge\nname: Huge\naliases:\n"
    body = line * ((HUGE_BYTES - len(head)) // len(line))
    data = head + body
    _write(kb, "sectors/huge.yaml", data + b"#" * (HUGE_BYTES - len(data) - 1) + b"\n")


def gen_not_records(kb: Path, tmp: Path) -> None:
    _robotics(kb)
    junk = b"id: [unclosed\n\tbad: \x00\xff\n"
    _write(kb, "README.md", "# My knowledge base\n\nid: not a record\n")
    _write(kb, "stray.yaml", junk)  # outside the type folders
    _write(kb, "sectors/README.md", "These are sectors.\n")
    _write(kb, "sectors/notes.txt", junk)
    _write(kb, "sectors/.DS_Store", b"\x00\x00\x00\x01Bud1\x00\x00\x10\x00" + bytes(range(256)))
    _write(kb, "sectors/.robotics.yaml.swp", b"b0VIM 9.0\x00\x00\x10\x00" + bytes(200) + junk)
    _write(kb, "sectors/.robotics.yml.swo", junk)
    _write(kb, "sectors/robotics.yaml~", junk)
    _write(kb, "sectors/#robotics.yaml#", junk)
    _write(kb, "sectors/robotics.yaml.orig", junk)
    _write(kb, "sectors/robotics.yaml.bak", junk)
    _write(kb, "sectors/.hidden/lasers.yaml", junk)
    _write(kb, "sectors/.hidden.yaml", junk)
    _write(kb, ".git/objects/x.yaml", junk)
    _write(kb, "policies/.~lock.plan.yaml#", junk)
    # An emacs lock file is a dangling symlink; a FIFO would block anyone who reads it.
    os.symlink("root@host.4242:1700000000", kb / "sectors" / ".#robotics.yaml")
    os.mkfifo(kb / "sectors" / "pipe.yaml")


def gen_symlinks_outside(kb: Path, tmp: Path) -> None:
    _robotics(kb)
    outside = tmp / "outside"
    _write(outside, "lasers.yaml", sector("lasers"))
    _write(outside, "broken.yaml", b"id: [unclosed\n")
    _write(outside, "policies/plan.yaml", b"id: [unclosed\n")
    os.symlink(outside / "lasers.yaml", kb / "sectors" / "lasers.yaml")
    os.symlink(os.path.relpath(outside / "broken.yaml", kb / "sectors"), kb / "sectors" / "broken.yaml")
    os.symlink(outside, kb / "sectors" / "outside")
    os.symlink("/dev/zero", kb / "sectors" / "zero.yaml")
    os.symlink("/etc", kb / "sectors" / "etc")


def gen_type_folder_outside(kb: Path, tmp: Path) -> None:
    _robotics(kb)
    outside = tmp / "outside"
    _write(outside, "policies/plan.yaml", b"id: [unclosed\n")
    os.symlink(outside / "policies", kb / "policies")  # a whole type folder pointing outside


def gen_symlink_loop(kb: Path, tmp: Path) -> None:
    _robotics(kb)
    os.symlink("..", kb / "sectors" / "up")
    os.symlink(".", kb / "sectors" / "here")
    os.symlink("self.yaml", kb / "sectors" / "self.yaml")


def gen_uppercase_suffix(kb: Path, tmp: Path) -> None:
    _robotics(kb)
    _write(kb, "sectors/LASERS.YAML", sector("LASERS", "Lasers"))


def gen_newline_name(kb: Path, tmp: Path) -> None:
    _write(kb, b"sectors/evil\nname.yaml", sector("robotics"))


GENERATORS: dict[str, Callable[[Path, Path], None]] = {
    "not-utf8": gen_not_utf8,
    "utf8-bom": gen_utf8_bom,
    "utf16": gen_utf16,
    "nul-byte-in-file": gen_nul_byte,
    "raw-escape-in-file": gen_raw_escape,
    "line-separator-in-plain-value": gen_line_separator,
    "alias-string-bomb": gen_alias_string_bomb,
    "deep-nesting-flow": gen_deep_flow,
    "huge-file": gen_huge,
    "not-records-ignored": gen_not_records,
    "symlinks-outside-ignored": gen_symlinks_outside,
    "symlinked-type-folder-outside": gen_type_folder_outside,
    "symlink-loop": gen_symlink_loop,
    "uppercase-yaml-suffix": gen_uppercase_suffix,
    "newline-in-file-name": gen_newline_name,
}


def build_case(name: str, tmp: Path) -> Path:
    """A fresh knowledge base for case `name` under tmp/kb: its static files, then generated ones."""
    kb = tmp / "kb"
    static = CASES_DIR / name
    if static.is_dir():
        shutil.copytree(static, kb, symlinks=True)
    else:
        kb.mkdir(parents=True)
    if name in GENERATORS:
        GENERATORS[name](kb, tmp)
    return kb


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every entry under root (symlinks not followed): kind and permission bits, size, mtime."""
    out: dict[str, tuple[int, int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            out[os.path.relpath(path, root)] = (st.st_mode, st.st_size if not stat.S_ISDIR(st.st_mode) else 0, st.st_mtime_ns)
    st = os.lstat(root)
    out["."] = (st.st_mode, 0, st.st_mtime_ns)
    return out


def make_read_only(root: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in filenames:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                os.chmod(p, 0o444)
        os.chmod(dirpath, 0o555)


def make_writable(root: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                os.chmod(p, 0o644)


def tsv_unescape(field: str) -> str:
    """Inverse of chinaind.output.render.tsv_field: \\\\, \\t, \\n, \\r, \\xNN, \\uNNNN and \\UNNNNNNNN."""
    return re.sub(r"\\(\\|t|n|r|x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})", _unescape_one, field)


# The promise, stated independently of chinaind's own tables: these Unicode categories never
# leave chinaind raw (controls, format characters, surrogates, line and paragraph separators).
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def is_unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in UNSAFE_CATEGORIES


def raw_unsafe(text: str, keep: str = "") -> list[str]:
    """The unsafe characters found raw in text (those in `keep` allowed)."""
    return [ch for ch in text if ch not in keep and is_unsafe(ch)]


def shown(text: str, keep: str = "\t\n") -> str:
    """text as chinaind shows it: every unsafe character but those in `keep` as \\xNN,
    \\uNNNN or \\UNNNNNNNN."""
    def esc(ch: str) -> str:
        code = ord(ch)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
    return "".join(esc(ch) if ch not in keep and is_unsafe(ch) else ch for ch in text)


def _unescape_one(m: re.Match[str]) -> str:
    code = m.group(1)
    simple = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}
    if code in simple:
        return simple[code]
    return chr(int(code[1:], 16))


def shown_one_line(text: str) -> str:
    """text as chinaind shows it on one line (tree labels, ids, messages): newline, CR and tab
    as \\n, \\r and \\t, the other unsafe characters as in shown()."""
    return shown(text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t"), keep="")
