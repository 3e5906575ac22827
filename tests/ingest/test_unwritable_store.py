"""A photograph the image store cannot save fails its row, on every path: the CLI ingest
(exit status 1 and a summary), the web bulk job (failed, with the rows named) and a single
upload (a plain message). Nothing shows a server path or an exception."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from archive.models import Ware
from archive.settings import Settings
from archive.store import ImageStore, StoreUnwritable
from tests.conftest import make_image_bytes
from web.cli import main


def break_store(settings: Settings) -> None:
    """Make the store unable to write, in a way that holds even for root: its folders are files."""
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    for name in ("originals", "derivatives"):
        path = settings.store_dir / name
        if path.is_dir():
            path.rename(path.with_name(f"{name}-moved-away"))
        path.write_text("not a folder")


def test_the_store_says_it_cannot_write_without_naming_a_path(settings: Settings) -> None:
    break_store(settings)
    store = ImageStore(settings.store_dir, settings.max_image_pixels)
    with pytest.raises(StoreUnwritable) as raised:
        store.put(make_image_bytes())
    assert str(settings.home) not in str(raised.value)
    assert "the image store could not save the photograph" in str(raised.value)


def test_cli_ingest_fails_rows_whose_photographs_cannot_be_stored(
    settings: Settings, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    images = tmp_path / "images"
    images.mkdir()
    (images / "a.jpg").write_bytes(make_image_bytes(seed=1))
    (images / "b.jpg").write_bytes(make_image_bytes(seed=2))
    source = tmp_path / "wares.csv"
    source.write_text(
        "accession_number,title_en,institution,status,rights,images\n"
        "S-1,Bowl with photo,Museum,published,http://creativecommons.org/licenses/by/4.0/,a.jpg\n"
        "S-2,Jar with photo,Museum,published,http://creativecommons.org/licenses/by/4.0/,b.jpg\n"
        "S-3,Dish without,Museum,published,http://creativecommons.org/licenses/by/4.0/,\n",
        encoding="utf-8",
    )
    env = {"POTBANK_HOME": str(settings.home), "POTBANK_DATABASE_URL": settings.database_url}
    CliRunner().invoke(main, ["init"], env=env)
    break_store(settings)
    result = CliRunner().invoke(main, ["ingest", str(source), "--images", str(images)], env=env)
    assert result.exit_code == 1, result.output
    assert "2 rows failed: the image store could not save" in result.output
    assert "make the store writable and run the ingest again" in result.output
    assert str(settings.home) not in result.output and "Traceback" not in result.output
    with session_factory() as session:
        numbers = set(session.scalars(select(Ware.accession_number)))
    # The wares whose photographs were lost are not there (not published bare); the other is.
    assert numbers == {"S-3"}
