"""Command-line hooks for interoperability: ``potbank export`` and ``potbank ingest oai:URL``.

``register(main)`` adds the export command to the ``potbank`` group; ``ingest_oai`` is what the
ingest command calls for a SOURCE that starts with ``oai:``. Heavy imports stay inside the
functions so ``potbank --help`` stays instant.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

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
    """Harvest ``source`` (``oai:`` + the remote's OAI-PMH base URL) into this instance, as a
    leased harvest job (``web.operations``): it shows on the status page, a second harvest of
    the same endpoint and set is refused while it runs, and if it is killed its job and ingest
    run say interrupted (resume it with ``potbank jobs resume``).

    Photographs are fetched from the endpoint's host and ``image_hosts`` only. Prints the
    outcome; a remote that cannot be harvested ends the command with its reason.
    """
    from ingest.oai_harvest import HarvestOptions

    options = HarvestOptions(
        endpoint=source.removeprefix("oai:"),
        set_spec=set_spec,
        metadata_prefix=metadata_prefix,
        institution=institution,
        collection=collection,
        full=full,
        image_hosts=image_hosts,
    )
    from web.operations import Operation

    run_operation(load_settings(), Operation.harvest(options))


def run_operation(settings: Settings, operation: Any, job_id: int | None = None) -> None:
    """Run a rebuild or harvest job (``web.operations``) in this process, printing its progress
    and outcome; a job that cannot start or fails ends the command with its reason."""
    from archive.db import make_engine, make_session_factory
    from archive.jobs import JobFailed, JobRunning
    from web import operations

    engine = make_engine(settings.database_url)
    try:
        factory = make_session_factory(engine)
        try:
            lease = operations.begin(settings, factory, operation, "command line", job_id)
        except JobRunning as error:
            raise click.ClickException(f"{error}; wait for it to end") from None
        shown = [0]

        def advance(done: int, total: int) -> None:
            # A line now and then (a harvest reports per batch, a rebuild per photograph).
            if done - shown[0] >= max(1, total // 20) or (total and done == total):
                shown[0] = done
                of = f" of {total:,}" if total else ""
                click.echo(f"{operation.kind}: {done:,}{of} done", err=True)

        try:
            result = operations.run(settings, factory, lease, operation, advance)
        except JobFailed as error:
            raise click.ClickException(str(error)) from None
    finally:
        engine.dispose()
    if result.report is not None:
        report = result.report
        for problem in [*report.ingest.problems, *report.problems]:
            click.echo(
                f"record {problem.line}: {problem.field or 'record'}: {problem.reason}", err=True
            )
    click.echo(result.summary)


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
