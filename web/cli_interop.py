"""Command-line hooks for interoperability: ``potbank export`` and ``potbank ingest oai:URL``.

``register(main)`` adds the export command to the ``potbank`` group; ``ingest_oai`` is what the
ingest command calls for a SOURCE that starts with ``oai:``. Heavy imports stay inside the
functions so ``potbank --help`` stays instant.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from archive.settings import Settings, load_settings

DEFAULT_BASE_URL = "http://localhost:5000/"


def ingest_oai(
    source: str,
    *,
    set_spec: str | None = None,
    metadata_prefix: str | None = None,
    institution: str | None = None,
    collection: str | None = None,
    full: bool = False,
    image_hosts: tuple[str, ...] = (),
) -> None:
    """Harvest ``source`` (``oai:`` + the remote's OAI-PMH base URL) into this instance.

    Photographs are fetched from the endpoint's host and ``image_hosts`` only. Prints the
    outcome; a remote that cannot be harvested ends the command with its reason.
    """
    from archive.db import make_engine, make_session_factory
    from ingest.oai_harvest import HarvestError, HarvestOptions, harvest

    endpoint = source.removeprefix("oai:")
    settings = load_settings()
    options = HarvestOptions(
        endpoint=endpoint,
        set_spec=set_spec,
        metadata_prefix=metadata_prefix,
        institution=institution,
        collection=collection,
        full=full,
        image_hosts=image_hosts,
    )
    engine = make_engine(settings.database_url)
    try:
        report = harvest(settings, make_session_factory(engine), options)
    except HarvestError as error:
        raise click.ClickException(f"cannot harvest {endpoint}: {error}") from None
    finally:
        engine.dispose()
    for problem in [*report.ingest.problems, *report.problems]:
        click.echo(
            f"record {problem.line}: {problem.field or 'record'}: {problem.reason}", err=True
        )
    since = f" (changes since {report.harvested_from})" if report.harvested_from else ""
    click.echo(f"Harvested {endpoint}{since}: {report.summary}")


@click.command("export")
@click.option("--collection", "collection_id", type=int, help="Export this collection (by id).")
@click.option("--institution", "institution_id", type=int, help="Export this institution (by id).")
@click.option("--query", help="Export the results of this keyword search.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "lido", "dc", "linked-art"]),
    default="csv",
    show_default=True,
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (default: standard output).",
)
@click.option(
    "--base-url",
    default=DEFAULT_BASE_URL,
    show_default=True,
    help="The site's public address, for the links inside the export.",
)
def export_command(
    collection_id: int | None,
    institution_id: int | None,
    query: str | None,
    fmt: str,
    output: Path | None,
    base_url: str,
) -> None:
    """Export the published wares of a collection, institution or search.

    Formats: CSV, JSON, LIDO, Dublin Core, or Linked Art (JSON-LD, one HumanMadeObject each).
    """
    chosen = [
        name
        for name, value in (
            ("--collection", collection_id),
            ("--institution", institution_id),
            ("--query", query),
        )
        if value is not None
    ]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --collection, --institution or --query")
    body = render_export_for(load_settings(), fmt, base_url, collection_id, institution_id, query)
    if output is None:
        sys.stdout.write(body)
    else:
        output.write_text(body, encoding="utf-8")
        click.echo(f"Wrote {output}", err=True)


def render_export_for(
    settings: Settings,
    fmt: str,
    base_url: str,
    collection_id: int | None = None,
    institution_id: int | None = None,
    query: str | None = None,
) -> str:
    """The export of a collection, institution or keyword search, its links under ``base_url``."""
    from web.app import create_app
    from web.exports import collection_wares, institution_wares, render_export, search_wares
    from web.views.context import app_state, db_session

    app = create_app(settings)
    try:
        # Links in the export are made by the site's own routes, as if requested at base_url.
        with app.test_request_context("/", base_url=base_url):
            session = db_session()
            if query is not None:
                title, wares = f"Search: {query}", search_wares(session, query, None)
            else:
                found = (
                    collection_wares(session, collection_id)
                    if collection_id is not None
                    else institution_wares(session, institution_id or 0)
                )
                if found is None:
                    raise click.ClickException("no such collection or institution")
                title, wares = found
            return render_export(wares, fmt, title)
    finally:
        app_state(app).close()


def register(group: click.Group) -> None:
    """Add ``potbank export`` to the ``potbank`` command group."""
    group.add_command(export_command)
