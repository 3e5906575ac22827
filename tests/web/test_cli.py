"""The ``potbank`` command line, end to end on a temporary instance."""

from __future__ import annotations

import csv
import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from index.embedders import builtin_descriptor
from ingest.native import TEMPLATE_COLUMNS
from tests.conftest import make_image_bytes
from web.cli import main


def _write_collection(folder: Path) -> Path:
    images = folder / "images"
    images.mkdir(parents=True)
    rows = [
        {
            "accession_number": "S-1",
            "title_en": "Willow pattern plate",
            "makers": "Josiah Spode (manufacturer)",
            "material": "earthenware",
            "images": "plate.jpg",
        },
        {
            "accession_number": "J-1",
            "title_zh": "青花缠枝莲纹梅瓶",
            "title_en": "Meiping vase",
            "place": "Jingdezhen",
            "images": "vase.png",
        },
        {"accession_number": "", "title_en": "No number"},
    ]
    (images / "plate.jpg").write_bytes(make_image_bytes(colour=(30, 60, 150), seed=1))
    (images / "vase.png").write_bytes(make_image_bytes(colour=(200, 190, 170), seed=2, fmt="PNG"))
    path = folder / "wares.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=TEMPLATE_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


@pytest.fixture
def cli_env(settings):
    return {
        "POTBANK_HOME": str(settings.home),
        "POTBANK_DATABASE_URL": settings.database_url,
        "POTBANK_ADMIN_PASSWORD": "a long admin password",
    }


def test_init_ingest_search_verify_rebuild(cli_env, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["init", "--admin-email", "admin@example.org"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert "Added admin admin@example.org" in result.output
    key = Path(cli_env["POTBANK_HOME"]) / "secret_key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600

    source = _write_collection(tmp_path / "source")
    report = tmp_path / "report.json"
    args = ["ingest", str(source), "--images", str(source.parent / "images")]
    args += ["--institution", "Test Museum", "--report", str(report)]
    result = runner.invoke(main, args, env=cli_env)
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 unchanged, 1 rejected" in result.output
    assert json.loads(report.read_text())[0]["field"] == "accession_number"

    again = runner.invoke(main, args, env=cli_env)
    assert "0 created, 0 updated, 2 unchanged, 1 rejected" in again.output

    found = runner.invoke(main, ["search", "willow", "--json"], env=cli_env)
    assert found.exit_code == 0, found.output
    payload = json.loads(found.output)
    assert [row["accession_number"] for row in payload["results"]] == ["S-1"]
    assert payload["embedder"]["name"]
    # Chinese, traditional or pinyin finds the English record, and says what it searched.
    for query in ("柳树纹", "柳樹紋", "liushuwen"):
        chinese = json.loads(runner.invoke(main, ["search", query, "--json"], env=cli_env).output)
        assert [row["accession_number"] for row in chinese["results"]] == ["S-1"], query
        assert "willow" in chinese["expansions"][0]["also"]

    by_image = runner.invoke(
        main,
        ["search", "--image", str(source.parent / "images" / "vase.png"), "--json"],
        env=cli_env,
    )
    top = json.loads(by_image.output)["results"][0]
    assert top["accession_number"] == "J-1" and top["reason"] == "same"
    assert top["explanation"]["zh"].startswith("同一器物或纹样") and top["region"]
    shown = runner.invoke(
        main, ["search", "--image", str(source.parent / "images" / "vase.png")], env=cli_env
    )
    assert "Same object or pattern (" in shown.output and "region " in shown.output
    # No photograph here is of a mark: "find this mark" says nothing matches closely.
    marks = runner.invoke(
        main,
        ["search", "--image", str(source.parent / "images" / "vase.png"), "--view", "mark"],
        env=cli_env,
    )
    assert marks.exit_code == 0 and "0 results" in marks.output
    assert "Nothing in the collection matches your photograph closely" in marks.output

    assert runner.invoke(main, ["index", "verify"], env=cli_env).exit_code == 0
    rebuilt = runner.invoke(main, ["index", "rebuild"], env=cli_env)
    assert "2 wares" in rebuilt.output and "2 photographs" in rebuilt.output


def test_verify_reports_drift_and_rebuild_mends_it(cli_env, tmp_path, settings):
    from index.sync import text_index_for

    runner = CliRunner()
    source = _write_collection(tmp_path / "source")
    args = ["ingest", str(source), "--images", str(source.parent / "images")]
    runner.invoke(main, [*args, "--institution", "Test Museum"], env=cli_env)
    text = text_index_for(settings)
    text.remove([min(text.ids())])
    text.close()
    drifted = runner.invoke(main, ["index", "verify"], env=cli_env)
    assert drifted.exit_code == 1
    assert "1 wares missing from the keyword index" in drifted.output
    runner.invoke(main, ["index", "rebuild"], env=cli_env)
    assert runner.invoke(main, ["index", "verify"], env=cli_env).exit_code == 0


def test_user_add_refuses_a_short_password(cli_env):
    runner = CliRunner()
    runner.invoke(main, ["init"], env=cli_env)
    env = cli_env | {"POTBANK_USER_PASSWORD": "short"}
    result = runner.invoke(main, ["user", "add", "c@example.org", "--role", "curator"], env=env)
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output


def test_help_is_instant_and_does_not_load_torch(tmp_path):
    code = (
        "import sys; from click.testing import CliRunner; from web.cli import main; "
        "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0, r.output; "
        "assert 'ingest' in r.output and 'serve' in r.output; "
        "print(sorted(m for m in ('torch', 'open_clip', 'faiss', 'whoosh', 'web.app') "
        "if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env=os.environ.copy(),
    ).stdout
    assert output.strip() == "[]"
    assert not (tmp_path / "instance").exists()


@pytest.mark.slow
def test_demo_loads_the_samples_idempotently_and_they_are_searchable(cli_env):
    runner = CliRunner()
    first = runner.invoke(main, ["demo", "--no-serve"], env=cli_env)
    assert first.exit_code == 0, first.output
    assert "chinesenotes: 89 created" in first.output
    assert "89 photographs added" in first.output
    assert "staffordshire: 433 created" in first.output
    assert "Demo exhibition: /exhibitions/blue-and-white-jingdezhen-to-staffordshire" in (
        first.output
    )
    credentials = re.search(r"Demo curator: sign in as (\S+) with password (\S+)", first.output)
    assert credentials is not None
    again = runner.invoke(main, ["demo", "--no-serve"], env=cli_env)
    assert "89 unchanged" in again.output and "433 unchanged" in again.output
    # The same account and password on every run, and the exhibition is not made twice.
    assert credentials.group(0) in again.output
    assert "Demo exhibition: /exhibitions/blue-and-white-jingdezhen-to-staffordshire" in (
        again.output
    )
    for query in ("Wedgwood", "celadon", "青花", "Jingdezhen"):
        found = runner.invoke(main, ["search", query, "--json"], env=cli_env)
        assert json.loads(found.output)["total"] > 0, query


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_answers_on_loopback(cli_env):
    CliRunner().invoke(main, ["init"], env=cli_env)
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "potbank"), "serve", "--port", str(port)],
        env=os.environ | cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/about", timeout=5) as reply:
                    assert reply.status == 200
                    assert "Alex Amies" in reply.read().decode()
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "the server did not answer within 120 s"
                time.sleep(0.5)
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    # It says at start which search by photograph it runs.
    descriptor = builtin_descriptor().name
    assert f"visual search: {descriptor} + local features (CLIP off)" in output, output
