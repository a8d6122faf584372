"""`chinaind serve`: Datasette on a loopback port, read-only, stopped cleanly by Ctrl-C."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zlib
from pathlib import Path

import pytest

from conftest import FIXTURE_KB

STARTED = "chinaind: serving 25 records at http://127.0.0.1:{port}/chinaind (read-only); Ctrl-C stops"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_without_datasette_one_line_and_exit_2(fx, monkeypatch):
    monkeypatch.setitem(sys.modules, "datasette", None)  # makes `import datasette...` fail
    monkeypatch.setitem(sys.modules, "datasette.app", None)
    result = fx("serve")
    assert result.exit_code == 2
    assert result.stderr == "chinaind: serve: Datasette is not installed; install it with: pip install 'chinaind[web]'\n"


def test_a_busy_port_is_refused_before_exporting(fx):
    pytest.importorskip("datasette.app")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = fx("serve", "--port", str(port))
    assert result.exit_code == 2
    assert result.stderr == (f"chinaind: serve: cannot listen on 127.0.0.1:{port}: Address already in use; "
                             "pick another with --port\n")


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # loopback only: no network
        return response.read()


def wait_until_up(base: str, proc: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"serve exited early ({proc.returncode}): {proc.stderr.read()}")
        try:
            get(base + "/-/versions.json")
            return
        except OSError:
            time.sleep(0.3)
    pytest.fail("serve did not answer")


@pytest.fixture
def server_tmp(tmp_path):
    """The server's TMPDIR: where its exported database lives while it runs."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    return folder


@pytest.fixture
def server(isolated_env, server_tmp):
    pytest.importorskip("datasette.app")
    port = free_port()
    env = {**os.environ, "HOME": str(isolated_env), "XDG_CACHE_HOME": str(isolated_env / ".cache"),
           "TMPDIR": str(server_tmp)}
    proc = subprocess.Popen([sys.executable, "-m", "chinaind", "--data-dir", str(FIXTURE_KB), "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, proc)
        yield proc, base, port
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def search_ids(base: str, table: str, query: str) -> list[str]:
    rows = json.loads(get(f"{base}/chinaind/{table}.json?_search={urllib.parse.quote(query)}&_shape=array&_col=id&_sort=id"))
    return [r["id"] for r in rows]


def test_serves_searches_and_stops_on_ctrl_c(server):
    proc, base, port = server
    versions = json.loads(get(base + "/-/versions.json"))
    assert "datasette" in versions
    assert search_ids(base, "policies", "robot") == ["future-roadmap", "robot-plus"]
    assert search_ids(base, "records", "机器") == ["robot-plus", "robotics"]
    meta = json.loads(get(base + "/-/metadata.json"))
    assert meta["title"] == "chinaind: China's industrial policy"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert out == ""
    assert err.splitlines() == [STARTED.format(port=port), "chinaind: serve: stopped"]


def test_serves_read_only(server):
    _, base, _ = server
    with pytest.raises(urllib.error.HTTPError) as caught:  # immutable: no writes, no arbitrary SQL writes
        get(f"{base}/chinaind.json?sql={urllib.parse.quote('DELETE FROM policies')}")
    assert caught.value.code == 400


# --- hostile requests and signals (issue #23) -------------------------------------------------------
def fetch(url: str, data: bytes | None = None) -> int:
    """The HTTP status of a GET (or a POST with data)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def stop(proc: subprocess.Popen, sig: int) -> tuple[str, str]:
    proc.send_signal(sig)
    return proc.communicate(timeout=30)


HOSTILE_SQL = [
    'select * from "\x1b]0;PWNED\x07\x1b[2J"',  # SQLite's error message names the table
    "select \x1b[31m",
    "select * from \"\x9b2J\u202e\"",
]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_the_log_is_two_lines_whatever_is_asked_and_however_it_stops(server, server_tmp, sig):
    proc, base, port = server
    assert [p.name for p in server_tmp.iterdir()] != []  # the exported database, while serving
    for sql in HOSTILE_SQL:
        assert fetch(f"{base}/chinaind.json?sql={urllib.parse.quote(sql)}") == 400
    assert fetch(f"{base}/chinaind.json?sql=select+1", data=b"x=1") >= 400  # a POST: refused, and quietly
    assert fetch(f"{base}/chinaind/policies.json", data=b"\x00" * 1000) >= 400
    assert fetch(f"{base}/chinaind/no-such-table") == 404
    out, err = stop(proc, sig)
    assert (proc.returncode, out) == (0, "")
    assert err.splitlines() == [STARTED.format(port=port), "chinaind: serve: stopped"]
    assert list(server_tmp.iterdir()) == []  # the exported database is gone


@pytest.mark.parametrize("function", ["fts3_tokenizer('simple')", "FTS3_TOKENIZER('porter')",
                                      "load_extension('/nonexistent')"])
def test_sql_that_reaches_past_the_data_is_refused(server, function):
    _, base, _ = server
    url = f"{base}/chinaind.json?sql={urllib.parse.quote('select ' + function)}&_shape=array"
    assert fetch(url) == 400
    assert json.loads(get(f"{base}/chinaind.json?sql=select+1+as+one&_shape=array")) == [{"one": 1}]


def test_the_port_is_held_before_the_export_starts(kb_copy, monkeypatch):
    """A port taken while the base is exported cannot turn an announced start into a failure:
    it is bound first and kept."""
    pytest.importorskip("datasette.app")
    import chinaind.export.write
    from chinaind.export import serve as lib
    from chinaind.query.index import KnowledgeBase
    from chinaind.store.loader import load

    address = lib.Address("127.0.0.1", free_port())
    sock = lib.listen(address)
    tried: list[int] = []

    def export_while_someone_takes_the_port(kb, path, **kwargs):
        with socket.socket() as other:
            try:
                other.bind(address)
            except OSError as exc:
                tried.append(exc.errno)
        raise KeyboardInterrupt  # stop here: the test is about the port

    monkeypatch.setattr(chinaind.export.write, "write_sqlite", export_while_someone_takes_the_port)
    result = load(kb_copy)
    try:
        lib.serve(KnowledgeBase(result.records, result.texts), address, sock)
    except KeyboardInterrupt:
        pass
    assert tried == [errno.EADDRINUSE] and sock.fileno() == -1  # closed once serve ended


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_during_the_export_leaves_no_temporary_folder(tmp_path, sig):
    """Signalled while exporting (before serving starts), serve still removes its folder."""
    pytest.importorskip("datasette.app")
    slow = tmp_path / "slow.py"
    slow.write_text(
        "import sys, time\n"
        "import chinaind.export.write as w\n"
        "real = w.write_sqlite\n"
        "def write_sqlite(kb, path, **kw):\n"
        "    real(kb, path, **kw)\n"
        "    print('exported', flush=True)\n"
        "    time.sleep(60)\n"
        "w.write_sqlite = write_sqlite\n"
        "from chinaind.cli.launch import main\n"
        "sys.argv = ['chinaind'] + sys.argv[1:]\n"
        "main()\n")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = subprocess.Popen([sys.executable, str(slow), "--data-dir", str(FIXTURE_KB), "serve", "--port", str(free_port())],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout.readline() == "exported\n"
    assert len(list(tmp.iterdir())) == 1
    out, err = stop(proc, sig)
    assert list(tmp.iterdir()) == [] and "Traceback" not in err
    assert proc.returncode == 130 and err == "chinaind: interrupted\n"


# --- what a browser shows ------------------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def png_rows(data: bytes) -> int:
    """How many distinct pixel rows an 8-bit PNG has (stdlib only): a blank page has one."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, depth, colour = int.from_bytes(data[16:20], "big"), data[24], data[25]
    assert depth == 8
    stride = width * {0: 1, 2: 3, 4: 2, 6: 4}[colour] + 1  # a filter byte, then the pixels
    chunks, pos = [], 8
    while pos < len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        if data[pos + 4:pos + 8] == b"IDAT":
            chunks.append(data[pos + 8:pos + 8 + size])
        pos += size + 12
    raw = zlib.decompress(b"".join(chunks))
    return len({raw[i:i + stride] for i in range(0, len(raw), stride)})


def make_png(rows: list[bytes], width: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")
    header = width.to_bytes(4, "big") + len(rows).to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    pixels = zlib.compress(b"".join(b"\x00" + r for r in rows))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def test_png_rows_tells_blank_from_drawn():
    assert png_rows(make_png([b"\xff" * 6] * 4, 2)) == 1
    assert png_rows(make_png([bytes([n]) * 6 for n in range(4)], 2)) == 4


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium to take screenshots with (.ci/run installs it when it can)")
@pytest.mark.parametrize("page", ["/chinaind/policies", "/chinaind/records?_search=" + urllib.parse.quote("机器人")])
def test_pages_render_in_a_browser(server, tmp_path, page):
    _, base, _ = server
    shot = tmp_path / "page.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=1400,1000", base + page], capture_output=True, timeout=120,
                   env={**os.environ, "HOME": str(tmp_path)})
    assert shot.exists() and shot.stat().st_size > 20_000
    assert png_rows(shot.read_bytes()) > 50  # text and table lines, not a blank or error page


def test_the_cli_imports_no_web_stack_at_start_up():
    code = "import sys, chinaind.cli.commands; print([m for m in ('chinaind.export.serve', 'datasette', 'uvicorn') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
