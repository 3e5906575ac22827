"""The ``potbank`` command line: a click group (click is the library Flask's CLI is built on).

Heavy imports (the app, the indexes, open_clip) happen inside commands, so ``potbank --help``
stays instant.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from archive.settings import Settings, load_settings
from web.cli_interop import register as register_interop_commands

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from ingest.profiles import Profile

DEFAULT_SAMPLES = Path(__file__).resolve().parent.parent / "samples"


# A plain click group rather than Flask's FlaskGroup: that one builds the app just to list
# commands, which would create an instance folder as a side effect of `potbank --help`.
@click.group()
def main() -> None:
    """Potbank: a digital archive for ceramics heritage, searchable by word and by picture.

    Configuration comes from POTBANK_* environment variables: POTBANK_HOME (the instance
    folder, default ./instance), POTBANK_DATABASE_URL, POTBANK_CLIP_MODEL and
    POTBANK_CLIP_PRETRAINED.
    """


@contextmanager
def _sessions(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """A session factory for one command; its connections are closed when the command ends."""
    from archive.db import make_engine, make_session_factory

    engine = make_engine(settings.database_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def initialise_instance(settings: Settings) -> None:
    """Create the instance folder, migrate the database and make the secret key."""
    from archive.db import upgrade_database
    from archive.settings import read_or_create_secret_key

    settings.home.mkdir(parents=True, exist_ok=True)
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.database_url)
    read_or_create_secret_key(settings)


@main.command()
@click.option("--admin-email", help="Also create a first admin with this email.")
def init(admin_email: str | None) -> None:
    """Create an instance: database (migrated), image store, secret key, optional first admin.

    The admin's password comes from POTBANK_ADMIN_PASSWORD or a prompt.
    """
    settings = load_settings()
    initialise_instance(settings)
    click.echo(f"Instance ready in {settings.home}")
    if admin_email:
        password = os.environ.get("POTBANK_ADMIN_PASSWORD") or click.prompt(
            "Password for the admin", hide_input=True, confirmation_prompt=True
        )
        _add_user(settings, admin_email, "admin", None, password)


@main.command()
@click.argument("source", required=False)
@click.option(
    "--profile",
    "--mapping",
    "mapping",
    default="potbank",
    show_default=True,
    help="Mapping profile: a built-in name (potbank, cmoa), the name of one saved from the bulk "
    "upload's mapping screen, or the path of a .toml profile.",
)
@click.option(
    "--images",
    "images_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder holding the photographs the rows name.",
)
@click.option("--collection", help="Collection for rows that name none.")
@click.option("--institution", help="Institution for rows that name none.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every problem found to this .csv or .json file.",
)
@click.option(
    "--template", is_flag=True, help="Print the empty native CSV template (no SOURCE) and stop."
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check every row and photograph and report the problems, writing nothing.",
)
@click.option("--set", "set_spec", help="oai: sources: harvest only this OAI-PMH set.")
@click.option(
    "--metadata-prefix",
    type=click.Choice(["lido", "oai_dc"]),
    help="oai: sources: the metadata format (default: LIDO when offered, else oai_dc).",
)
@click.option("--full", is_flag=True, help="oai: sources: harvest everything, not just changes.")
@click.option(
    "--full-speed",
    is_flag=True,
    help="Run at normal CPU priority even while a site serves this instance.",
)
def ingest(
    source: str | None,
    mapping: str,
    images_dir: Path | None,
    collection: str | None,
    institution: str | None,
    report_path: Path | None,
    template: bool,
    dry_run: bool,
    set_spec: str | None,
    metadata_prefix: str | None,
    full: bool,
    full_speed: bool,
) -> None:
    """Ingest SOURCE into the catalogue and the indexes.

    SOURCE is a CSV, JSON array or JSON Lines file (gzipped or not), a folder of photographs
    with a sidecar table (wares.csv), or a ZIP of either; or oai:URL, another repository's
    OAI-PMH endpoint, harvested incrementally with its photographs. Broken rows and photographs
    are reported and skipped; a run stopped at any point can simply be run again. See
    docs/ingest.md.
    """
    if template:
        from ingest.native import template_csv

        # Bytes, so the CSV's CRLF line endings reach the file unchanged on every platform.
        click.echo(template_csv().encode("utf-8"), nl=False)
        return
    if source is None:
        raise click.UsageError("give a SOURCE to ingest (or --template)")
    if not full_speed and not dry_run:
        _yield_to_a_serving_site(load_settings())
    if source.startswith("oai:"):
        from web.cli_interop import ingest_oai

        initialise_instance(load_settings())
        ingest_oai(
            source,
            set_spec=set_spec,
            metadata_prefix=metadata_prefix,
            institution=institution,
            collection=collection,
            full=full,
        )
        return
    path = Path(source)
    if not path.exists():
        raise click.BadParameter(f"{source} does not exist", param_hint="SOURCE")
    from ingest.pipeline import IngestOptions, ingest_source
    from ingest.profiles import ProfileError, load_profile
    from ingest.records import ordered
    from ingest.sources import SourceError

    settings = load_settings()
    try:
        profile = load_profile(mapping, settings.home)
    except ProfileError as error:
        raise click.BadParameter(str(error), param_hint="--profile") from None
    if dry_run:
        _dry_run(settings, path, profile, images_dir, institution, report_path)
        return
    initialise_instance(settings)
    with (
        _sessions(settings) as factory,
        _progress("ingest") as progress,
        _leased(factory, "ingest", source) as job_id,
    ):
        options = IngestOptions(
            institution=institution, collection=collection, images_dir=images_dir, job_id=job_id
        )
        try:
            report = ingest_source(settings, factory, path, profile, options, progress)
        except SourceError as error:
            raise click.ClickException(f"{source}: {error.reason}") from None
    _echo_problems(report.errors, report.warnings)
    click.echo(f"Ingest run {report.run_id}: {report.summary}")
    if report_path is not None:
        _write_report(report_path, [problem.as_dict() for problem in ordered(report.problems)])
    if report.unstored:
        # A fault of this instance, not of the data: the run failed, whatever else it loaded.
        click.echo(
            f"Error: {report.unstored} rows were not loaded because the image store could not "
            "save their photographs; make the store writable and run the ingest again.",
            err=True,
        )
        raise SystemExit(1)


# CPU priority of a bulk ingest beside a live site (see _yield_to_a_serving_site).
BULK_NICENESS = 10


def _yield_to_a_serving_site(settings: Settings) -> None:
    """Lower this process's CPU priority when a site serves the instance (its index writer
    holds the write lock): visitors' requests and the writer, which puts curators' saves into
    the indexes ahead of the ingest's backlog, then come first, and the ingest takes the CPU
    time they leave. In bench/bench_load.py at normal priority, under 50 clients, the writer
    fell 15,000 changes behind a 28,258-record ingest and a save waited up to 5 s."""
    from index.writer import writer_lock_held

    if writer_lock_held(settings.index_dir):
        os.nice(BULK_NICENESS)
        click.echo(
            f"A site is serving this instance: the ingest runs at lower CPU priority (nice "
            f"{BULK_NICENESS}) so that visitors and curators' saves come first "
            "(--full-speed runs it at normal priority)."
        )


def _dry_run(
    settings: Settings,
    path: Path,
    profile: Profile,
    images_dir: Path | None,
    institution: str | None,
    report_path: Path | None,
) -> None:
    """``ingest --dry-run``: the file's rows and photographs checked, nothing written (not even
    the instance created); the catalogue is not consulted, so a row's own institution or
    --institution must name where it would go."""
    from ingest.dry_run import dry_run_source
    from ingest.sources import SourceError

    try:
        result = dry_run_source(
            path,
            profile,
            images_dir=images_dir,
            institution=institution,
            default_status="published",
            max_photo_bytes=settings.max_upload_bytes,
            max_pixels=settings.max_image_pixels,
        )
    except SourceError as error:
        raise click.ClickException(f"{path}: {error.reason}") from None
    errors = [problem for problem in result.problems if problem.severity == "error"]
    warnings = [problem for problem in result.problems if problem.severity != "error"]
    _echo_problems(errors, warnings)
    click.echo(
        f"Dry run: {result.total_rows} rows, {result.accepted_rows} would be loaded, "
        f"{result.total_rows - result.accepted_rows} refused; {result.photos_found} of "
        f"{result.photos_named} photographs found; {len(errors)} errors, {len(warnings)} "
        "warnings. Nothing was written."
    )
    if report_path is not None:
        _write_report(report_path, [problem.as_dict() for problem in result.problems])


@contextmanager
def _leased(factory: Any, kind: str, label: str) -> Iterator[int]:
    """Run the body as a leased job (archive.jobs; it first marks jobs whose process died)."""
    from archive.jobs import leased_job

    with leased_job(factory, kind, label, started_by="command line") as lease:
        yield lease.job_id


# Problems echoed one by one before the rest are only counted (--report writes them all).
_ECHOED_PROBLEMS = 50


def _echo_problems(errors: list[Any], warnings: list[Any]) -> None:
    for problem in errors[:_ECHOED_PROBLEMS]:
        click.echo(f"line {problem.line}: {problem.field or 'row'}: {problem.reason}", err=True)
    if len(errors) > _ECHOED_PROBLEMS:
        click.echo(f"... and {len(errors) - _ECHOED_PROBLEMS} more errors", err=True)
    if warnings:
        click.echo(
            f"{len(warnings)} warnings (unrecognised dates, possible duplicate photographs,"
            " photographs no row names, odd dimensions): see --report",
            err=True,
        )


@contextmanager
def _progress(label: str, unit: str = "records") -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal; elsewhere (logs, CI) a plain line per step.

    Yields ``advance(count)``, to be called with how many more items are done.
    """
    import time

    if sys.stderr.isatty():
        from tqdm import tqdm

        with tqdm(desc=label, unit=f" {unit}", unit_scale=True, dynamic_ncols=True) as bar:
            yield bar.update
        return
    started, done = time.monotonic(), 0

    def log(count: int) -> None:
        nonlocal done
        done += count
        rate = done / max(time.monotonic() - started, 1e-9)
        click.echo(f"{label}: {done:,} {unit} ({rate:,.0f}/s)", err=True)

    yield log


def _write_report(path: Path, problems: list[dict[str, Any]]) -> None:
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(problems, ensure_ascii=False, indent=2), encoding="utf-8")
        return
    with path.open("w", newline="", encoding="utf-8") as handle:
        fields = ["line", "severity", "accession_number", "field", "reason", "details"]
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for problem in problems:
            row = {**problem, "details": "; ".join(problem.get("details") or [])}
            # A leading = + - @ would make a spreadsheet run the cell as a formula.
            writer.writerow({k: _spreadsheet_safe(v) for k, v in row.items()})


def _spreadsheet_safe(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@main.command()
@click.argument("query", default="")
@click.option(
    "--image",
    "image_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Search by this photograph.",
)
@click.option(
    "--mode",
    type=click.Choice(["keyword", "visual", "hybrid"]),
    help="Default: keyword for words, visual for a photograph, hybrid for both.",
)
@click.option(
    "--view",
    type=click.Choice(["mark"]),
    help="With --image alone: search photographs of this view only (find this mark).",
)
@click.option("--page", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def search(
    query: str,
    image_path: Path | None,
    mode: str | None,
    view: str | None,
    page: int,
    as_json: bool,
) -> None:
    """Search the published catalogue by QUERY words and/or a photograph.

    A search by photograph says why each ware was found (the same object or pattern, with its
    matching points and the matched region; similar form; similar colour and texture) and lists
    only close matches."""
    from archive.catalogue import wares_by_ids
    from archive.imaging import ImageRejected
    from index.service import SearchService
    from web.views.visual_results import NOTHING_CLOSE, reason_in, region_text

    settings = load_settings()
    image = image_path.read_bytes() if image_path else None
    if mode is None:
        mode = "hybrid" if image and query else ("visual" if image else "keyword")
    with _sessions(settings) as factory, factory() as session:
        service = SearchService(settings, factory)
        try:
            if image is not None and mode == "visual":
                result = service.by_image(image, page=page, view=view)
            else:
                result = service.search(query, image=image, mode=mode, page=page)
        except (ValueError, ImageRejected) as error:
            raise click.UsageError(str(error)) from None
        wares = {ware.id: ware for ware in wares_by_ids(session, [h.ware_id for h in result.hits])}
        rows = [
            {
                "id": hit.ware_id,
                "accession_number": wares[hit.ware_id].accession_number,
                "title": wares[hit.ware_id].title_en,
                "title_zh": wares[hit.ware_id].title_zh,
                "score": round(hit.score, 4),
                "sources": list(hit.sources),
                "reason": hit.reason,
                "explanation": {code: reason_in(code, hit) for code in ("en", "zh")},
                "matching_points": hit.matches,
                "photograph_id": hit.photo_id,
                "region": region_text(hit),
            }
            for hit in result.hits
            if hit.ware_id in wares
        ]
        status = service.embedder_status()
    if as_json:
        payload = {
            "query": query,
            "mode": result.mode,
            "total": result.total,
            "page": result.page,
            "results": rows,
            "facets": {
                name: [list(pair) for pair in pairs] for name, pairs in result.facets.items()
            },
            "suggestion": result.suggestion,
            "message": NOTHING_CLOSE if result.nothing_close else result.message,
            "nothing_close": result.nothing_close,
            "expansions": [{"term": t, "also": list(o)} for t, o in result.expansions],
            "embedder": status,
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if result.message:
        click.echo(result.message, err=True)
    for term, others in result.expansions:
        click.echo(f"{term} also searched as: {', '.join(others)}", err=True)
    if result.suggestion:
        click.echo(f"Did you mean: {result.suggestion}?")
    click.echo(f"{result.total} results ({result.mode}; image embedder: {status['name']})")
    if result.nothing_close:
        click.echo(NOTHING_CLOSE)
    for row in rows:
        title = row["title"] or row["title_zh"] or ""
        click.echo(f"{row['id']:>7}  {row['accession_number']:<18} {title}")
        if row["reason"]:
            where = f"; region {row['region']} of photograph {row['photograph_id']}"
            click.echo(
                f"{'':>9}{row['explanation']['en']}, score {row['score']:.2f}"
                + (where if row["region"] else "")
            )


@main.group()
def vocabulary() -> None:
    """The bilingual vocabulary that names the catalogue's values in English and Chinese."""


@vocabulary.command(name="report")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def vocabulary_report(limit: int, as_json: bool) -> None:
    """List the catalogue's values the vocabulary lacks, most frequent first."""
    from index.vocabulary_report import load, missing_values

    settings = load_settings()
    with _sessions(settings) as factory, factory() as session:
        missing = missing_values(session, load(session))
    rows = [{"field": m.field, "value": m.value, "wares": m.wares} for m in missing[:limit]]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{len(missing)} values without a name in both languages (curators add them at "
        "/curate/vocabulary)"
    )
    for row in rows:
        click.echo(f"{row['wares']:>7}  {row['field']:<12} {row['value']}")


@main.group(name="index")
def index_group() -> None:
    """Rebuild or verify the search indexes (they derive from the catalogue)."""


@index_group.command()
def rebuild() -> None:
    """Build every index into a new generation and publish it (the site goes on serving the
    current one meanwhile; changes made during the rebuild are replayed into the new one).

    Runs as a leased job: it shows on the admins' status page, and a second rebuild of the same
    indexes (from here or from the web) is refused while it runs."""
    from web.cli_interop import run_operation
    from web.operations import Operation

    run_operation(load_settings(), Operation.rebuild())


@main.group()
def jobs() -> None:
    """Long jobs (uploads, ingests, rebuilds, harvests): list them, resume an interrupted one."""


@jobs.command(name="list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
def jobs_list(limit: int) -> None:
    """The newest jobs: id, kind, status, progress, what it works on, how it ended."""
    from archive.jobs import interrupt_expired, recent_jobs

    with _sessions(load_settings()) as factory, factory() as session:
        interrupt_expired(session)
        for job in recent_jobs(session, limit):
            progress = f"{job.done}/{job.total}" if job.total else str(job.done)
            click.echo(
                "\t".join((str(job.id), job.kind, job.status, progress, job.label))
                + (f"\t{job.message}" if job.message else "")
            )


@jobs.command(name="resume")
@click.argument("job_id", type=int)
def jobs_resume(job_id: int) -> None:
    """Run an interrupted (or failed) rebuild or harvest again here, with its parameters.
    (An interrupted upload is resumed from its page on the site, where its files are.)"""
    from archive.jobs import Job, interrupt_expired
    from web.cli_interop import run_operation
    from web.operations import Operation, can_resume

    settings = load_settings()
    with _sessions(settings) as factory, factory() as session:
        interrupt_expired(session)
        job = session.get(Job, job_id)
        if job is None:
            raise click.ClickException(f"no job {job_id}")
        try:
            operation = Operation.of(job)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        if not can_resume(job):
            raise click.ClickException(
                f"job {job_id} is {job.status}: only an interrupted or failed one is resumed"
            )
    run_operation(settings, operation, job_id)


@index_group.command()
def verify() -> None:
    """Report wares missing from or stale in either index; exit 1 on any drift."""
    from index.sync import IndexSync

    settings = load_settings()
    with _sessions(settings) as factory, factory() as session:
        drift = IndexSync(settings).verify(session)
    for line in drift.lines():
        click.echo(line)
    if not drift.clean:
        sys.exit(1)
    click.echo("Indexes match the catalogue.")


@main.group()
def user() -> None:
    """Manage user accounts."""


# `potbank users …` reads as well as `potbank user …`.
main.add_command(user, name="users")


@user.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "curator", "partner"]), required=True)
@click.option("--institution", help="The partner's (or curator's) institution.")
def user_add(email: str, role: str, institution: str | None) -> None:
    """Add a user; the password comes from POTBANK_USER_PASSWORD or a prompt."""
    password = os.environ.get("POTBANK_USER_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    _add_user(load_settings(), email, role, institution, password)


def _add_user(
    settings: Settings, email: str, role: str, institution: str | None, password: str
) -> None:
    from archive.catalogue import get_or_create_institution
    from archive.models import Role
    from archive.users import AccountError, create_user

    with _sessions(settings) as factory, factory() as session:
        home = get_or_create_institution(session, institution) if institution else None
        try:
            created = create_user(session, email, password, Role(role), home)
        except AccountError as error:
            raise click.ClickException(str(error)) from None
        session.commit()
        click.echo(f"Added {created.role.value} {created.email}")


def _scope(session: Session, institution: str | None, collection: str | None) -> tuple[Any, Any]:
    """The named institution and collection (ClickException for a name that does not exist)."""
    from sqlalchemy import select

    from archive.models import Collection, Institution

    home = None
    if institution:
        home = session.scalar(select(Institution).where(Institution.name == institution))
        if home is None:
            raise click.ClickException(f"no institution named {institution!r}")
    chosen = None
    if collection:
        if home is None:
            raise click.ClickException("name the collection's --institution too")
        chosen = session.scalar(
            select(Collection).where(
                Collection.institution_id == home.id, Collection.name == collection
            )
        )
        if chosen is None:
            raise click.ClickException(f"no collection named {collection!r} in {institution!r}")
    return home, chosen


@user.command("invite")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "curator", "partner"]), required=True)
@click.option("--institution", help="Where the role applies (a partner's institution).")
@click.option("--collection", help="A collection of --institution: its curator.")
def user_invite(email: str, role: str, institution: str | None, collection: str | None) -> None:
    """Invite someone by email: prints the link (and mails it when POTBANK_SMTP_HOST is set).

    The invited person opens the link within 7 days and chooses their own password.
    """
    from archive.invitations import LIFETIME, InvitationError, invite
    from archive.models import Role
    from web.mail import MailFailed, send_invitation

    settings = load_settings()
    with _sessions(settings) as factory, factory() as session:
        home, chosen = _scope(session, institution, collection)
        try:
            issued = invite(
                session, email, Role(role), institution=home, collection=chosen, actor="cli"
            )
        except InvitationError as error:
            raise click.ClickException(str(error)) from None
        session.commit()
        link = f"{settings.public_url.rstrip('/')}/invitations/{issued.token}"
        address = issued.invitation.email
    try:
        mailed = send_invitation(settings, address, link, "Potbank", LIFETIME.days)
    except MailFailed as error:
        click.echo(f"The mail could not be sent ({error}); pass the link on yourself.", err=True)
        mailed = False
    click.echo(f"Invited {address} as {role}{' (mailed)' if mailed else ''}; the link, once:")
    click.echo(link)


@user.command("grant")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "curator", "partner"]), required=True)
@click.option("--institution", required=True, help="Where the role applies.")
@click.option("--collection", help="Only this collection of the institution.")
def user_grant(email: str, role: str, institution: str, collection: str | None) -> None:
    """Give an account a role in one institution, or one collection of it."""
    from archive.grants import GrantError, give_grant
    from archive.models import Role
    from archive.users import find_user

    with _sessions(load_settings()) as factory, factory() as session:
        home, chosen = _scope(session, institution, collection)
        account = find_user(session, email)
        if account is None:
            raise click.ClickException(f"no user {email}")
        try:
            give_grant(
                session,
                account,
                Role(role),
                institution=None if chosen else home,
                collection=chosen,
                actor="cli",
            )
        except GrantError as error:
            raise click.ClickException(str(error)) from None
        session.commit()
        click.echo(f"{account.email} is {role} of {collection or institution}")


@user.command("list")
def user_list() -> None:
    """List the accounts: email, role, institution, whether active, last sign-in."""
    from archive.accounts import list_users

    with _sessions(load_settings()) as factory, factory() as session:
        for account in list_users(session):
            click.echo(
                "\t".join(
                    (
                        account.email,
                        account.role.value,
                        account.institution.name if account.institution else "-",
                        "active" if account.active else "disabled",
                        f"{account.last_login_at:%Y-%m-%d %H:%M}" if account.last_login_at else "-",
                    )
                )
            )


@user.command("disable")
@click.argument("email")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
def user_disable(email: str, enable: bool) -> None:
    """Disable an account (it cannot sign in and its sessions end), or --enable it again."""
    from archive.accounts import set_active
    from archive.users import AccountError

    with _sessions(load_settings()) as factory, factory() as session:
        try:
            account = set_active(session, email, enable, actor="cli")
        except AccountError as error:
            raise click.ClickException(str(error)) from None
        session.commit()
        click.echo(f"{'Enabled' if enable else 'Disabled'} {account.email}")


@user.command("reset-password")
@click.argument("email")
def user_reset_password(email: str) -> None:
    """Set a new password (POTBANK_USER_PASSWORD or a prompt); the account's sessions end."""
    from archive.accounts import reset_password
    from archive.users import AccountError

    password = os.environ.get("POTBANK_USER_PASSWORD") or click.prompt(
        "New password", hide_input=True, confirmation_prompt=True
    )
    with _sessions(load_settings()) as factory, factory() as session:
        try:
            account = reset_password(session, email, password, actor="cli")
        except AccountError as error:
            raise click.ClickException(str(error)) from None
        session.commit()
        click.echo(f"New password set for {account.email}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int, help="Per process.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Processes (gunicorn when more than one). Default: one per core.",
)
def serve(host: str, port: int, threads: int, workers: int | None) -> None:
    """Serve the site with a production WSGI server (waitress, or gunicorn for --workers N)."""
    _serve(load_settings(), host, port, threads, workers)


def _serve(
    settings: Settings, host: str, port: int, threads: int, workers: int | None = None
) -> None:
    from web import serving

    workers = workers or serving.default_workers()
    click.echo(f"Serving Potbank on http://{host}:{port}/ (instance {settings.home})")
    if workers == 1:
        click.echo("One process (waitress)")
        serving.serve_single(settings, host, port, threads)
    else:
        click.echo(f"{workers} worker processes (gunicorn)")
        serving.serve_workers(settings, host, port, workers, threads)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--samples",
    "samples_dir",
    default=DEFAULT_SAMPLES,
    show_default=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option("--no-serve", is_flag=True, help="Load the samples, then stop.")
def demo(host: str, port: int, samples_dir: Path, no_serve: bool) -> None:
    """Initialise an instance, load the demo collection (idempotently) and serve the site."""
    from index.sync import IndexSync
    from ingest.pipeline import IngestOptions, ingest_native_csv
    from web.demo_setup import ensure_demo_curator, ensure_demo_exhibition

    settings = load_settings()
    initialise_instance(settings)
    with _sessions(settings) as factory:
        for csv_path in sorted(samples_dir.glob("*/wares.csv")):
            images = csv_path.parent / "images"
            options = IngestOptions(images_dir=images if images.is_dir() else None, actor="demo")
            report = ingest_native_csv(settings, factory, csv_path, options)
            click.echo(f"{csv_path.parent.name}: {report.summary}")
        with factory() as session:
            sync = IndexSync(settings)
            # An instance made by an older Potbank may hold indexes of an older shape.
            if not sync.verify(session).clean:
                counts = sync.rebuild(session)
                click.echo(
                    f"Indexes rebuilt: {counts['wares']} wares, {counts['photographs']} photos"
                )
        with factory() as session:
            email, password = ensure_demo_curator(settings, session)
            exhibition = ensure_demo_exhibition(session)
        if exhibition:
            click.echo(f"Demo exhibition: /exhibitions/{exhibition}")
        click.echo(f"Demo curator: sign in as {email} with password {password}")
    if not no_serve:
        _serve(settings, host, port, threads=8)


# `potbank export` lives with the other interoperability code.
register_interop_commands(main)
