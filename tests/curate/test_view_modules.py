"""Every curate module that declares views is in ``web.curate.VIEW_MODULES`` (only importing
it attaches its views to the blueprint), and each listed module declares some."""

from __future__ import annotations

from pathlib import Path

import web.curate
from web.curate import VIEW_MODULES


def test_view_modules_are_exactly_the_modules_with_curate_routes() -> None:
    folder = Path(web.curate.__file__).parent
    declaring = {
        path.stem
        for path in folder.glob("*.py")
        if "\n@curate." in path.read_text(encoding="utf-8")
    }
    assert len(VIEW_MODULES) == len(set(VIEW_MODULES))
    assert set(VIEW_MODULES) == declaring
