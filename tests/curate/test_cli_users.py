"""``potbank user add|list|disable|reset-password`` on a temporary instance."""

from __future__ import annotations

from click.testing import CliRunner

from archive.users import find_user, password_matches
from web.cli import main

FIRST_PASSWORD = "a long enough password"


def _env(settings, password: str = FIRST_PASSWORD):  # type: ignore[no-untyped-def]
    return {
        "POTBANK_HOME": str(settings.home),
        "POTBANK_DATABASE_URL": settings.database_url,
        "POTBANK_USER_PASSWORD": password,
    }


def test_add_list_disable_enable_and_reset(settings, session_factory):
    runner = CliRunner()
    env = _env(settings)
    added = runner.invoke(
        main,
        ["user", "add", "Ann@Museum.example", "--role", "partner", "--institution", "M"],
        env=env,
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(main, ["user", "list"], env=env)
    assert "ann@museum.example\tpartner\tM\tactive" in listed.output
    disabled = runner.invoke(main, ["user", "disable", "ann@museum.example"], env=env)
    assert disabled.exit_code == 0 and "Disabled" in disabled.output
    assert "\tdisabled" in runner.invoke(main, ["user", "list"], env=env).output
    with session_factory() as session:
        user = find_user(session, "ann@museum.example")
        assert user is not None and not password_matches(user, FIRST_PASSWORD)
    enabled = runner.invoke(main, ["user", "disable", "--enable", "ann@museum.example"], env=env)
    assert enabled.exit_code == 0
    reset = runner.invoke(
        main,
        ["user", "reset-password", "ann@museum.example"],
        env=_env(settings, "another long password"),
    )
    assert reset.exit_code == 0, reset.output
    with session_factory() as session:
        user = find_user(session, "ann@museum.example")
        assert user is not None and password_matches(user, "another long password")


def test_unknown_user_and_short_password_are_refused(settings):
    runner = CliRunner()
    missing = runner.invoke(main, ["user", "disable", "nobody@example.org"], env=_env(settings))
    assert missing.exit_code == 1 and "no user nobody@example.org" in missing.output
    runner.invoke(main, ["user", "add", "b@example.org", "--role", "curator"], env=_env(settings))
    short = runner.invoke(
        main, ["user", "reset-password", "b@example.org"], env=_env(settings, "short")
    )
    assert short.exit_code == 1 and "at least" in short.output
