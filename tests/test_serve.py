"""``protocolrunner serve``: the app through textual-serve, on this computer only by default."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import cli_exit, run_cli, sync

from protocolrunner.cli import serve_command

pytestmark = pytest.mark.slow
pytest.importorskip("textual_serve", reason="textual-serve is not installed")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def record(tmp_path: Path) -> Path:
    from protocolrunner.core.protocol.library import default_sources, load_library
    from protocolrunner.core.record.demo import write_demo

    return write_demo(tmp_path / "record", load_library(default_sources()), sessions=5).root


@pytest.fixture
def server(record: Path, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    process = subprocess.Popen(
        [sys.executable, "-m", "protocolrunner", "--record", str(record), "serve", "--port",
         str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(process.communicate(timeout=5)[0]) from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_answers_on_this_computer_with_the_app_page(server: str) -> None:
    with urllib.request.urlopen(server, timeout=10) as page:
        html = page.read().decode("utf-8")
    assert page.status == 200
    assert "protocolrunner" in html
    assert "/ws" in html  # the page connects back for the app


def test_serve_runs_the_record_browser_of_the_same_record(record: Path, capsys) -> None:
    from protocolrunner.cli import build_parser

    args = build_parser().parse_args(["--record", str(record), "serve"])
    args.protocols = []
    command = serve_command(args)
    assert command.startswith(sys.executable) and command.endswith(" record browse")
    assert f"--record {record}" in command


def test_another_address_needs_a_flag_and_warns(record: Path, capsys, monkeypatch) -> None:
    status, out, err = run_cli(capsys, "--record", str(record), "serve", "--host", "0.0.0.0")
    assert status == 2 and out == ""
    assert "--open-to-network" in err and err.count("\n") == 1

    started: list[tuple[str, int]] = []

    class Server:
        def __init__(self, command: str, host: str, port: int, **_: object) -> None:
            started.append((host, port))

        def serve(self) -> None:
            pass

    monkeypatch.setattr("textual_serve.server.Server", Server)
    monkeypatch.delenv("PROTOCOLRUNNER_READ_ONLY", raising=False)
    status, out, err = run_cli(
        capsys, "--record", str(record), "serve", "--host", "0.0.0.0", "--open-to-network",
        "--port", "8123",
    )  # fmt: skip
    assert status == 0 and started == [("0.0.0.0", 8123)]
    assert err.startswith("warning: anyone who can reach 0.0.0.0:8123 gets the app, with no login")
    assert "for reading" in out
    assert os.environ.pop("PROTOCOLRUNNER_READ_ONLY") == "1"
    code, _, err = cli_exit(capsys, "serve", "--port", "0")
    assert code == 2


@sync
async def test_a_browser_connection_sees_the_record_browser(server: str, record: Path) -> None:
    """The page's own client (the websocket it opens at ``/ws``) is sent the record browser:
    its column headings (home has none) and the record's sessions, drawn by the served app.
    A real browser draws the same stream on a canvas, where its text cannot be read back."""
    import asyncio
    import re
    import tomllib

    import aiohttp

    titles = {
        tomllib.loads(path.read_text(encoding="utf-8"))["protocol"]["title"]
        for path in (record / "sessions").rglob("*.toml")
    }
    assert titles

    async def screen_text() -> str:
        seen: list[str] = []
        url = server.replace("http://", "ws://") + "/ws?width=120&height=30"
        async with aiohttp.ClientSession() as client, client.ws_connect(url) as ws:
            deadline = asyncio.get_running_loop().time() + 40
            while asyncio.get_running_loop().time() < deadline:
                try:
                    message = await ws.receive(timeout=2)
                except TimeoutError:
                    continue
                if message.type == aiohttp.WSMsgType.BINARY:
                    seen.append(message.data.decode("utf-8", "replace"))
                elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    break
                text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", " ", "".join(seen))
                if "Focusing question" in text and any(title in text for title in titles):
                    return text
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", " ", "".join(seen))

    text = await screen_text()
    assert "Focusing question" in text and "Presenter" in text, text[-2000:]
    assert any(title in text for title in titles), (titles, text[-2000:])
