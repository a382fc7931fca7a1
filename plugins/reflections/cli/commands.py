"""The `reflections` command: serve the site, and look after the queue from a terminal.

Every subcommand has --help; a listing takes --json; an error is one line on stderr and a non-zero
exit status.
"""

import json
import subprocess
import sys
from pathlib import Path

import click

from ..core.errors import SettingError
from ..service import config as service_config
from ..service.moderation import Moderation, ModerationError
from ..site.index import SiteIndex
from ..store import STATES, DiskFull, Store, StoreUnavailable


class Context:
    """What the subcommands share, opened on first use so that `--help` needs no database."""

    def __init__(self) -> None:
        self.config = service_config.load()
        self._store = None
        self._site = None

    @property
    def site(self) -> SiteIndex:
        if self._site is None:
            self._site = SiteIndex(self.config.settings_file)
        return self._site

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.config.database_url, self.config.database_timeout)
        return self._store

    def mailer(self):
        from ..service import mail
        from ..service.guard import Guard

        return mail.for_site(self.config, self.store, Guard(self.config, self.store).secret, self.site)

    def moderation(self) -> Moderation:
        return Moderation(
            self.store, self.site.settings.get("AUTHOR", ""), self.mailer().responded, title=self.site.title
        )

    def publish(self, build: bool) -> None:
        """After an act: run the waiting jobs here, unless a publisher is running (it does)."""
        from ..serve import publish_waiting

        drained = publish_waiting(
            self.store, str(self.config.settings_file), render=build, deploy_to=self.config.deploy
        )
        if drained is None:
            click.echo("The site's publisher (reflections serve, or publish --watch) will publish it.")
        elif drained[1]:
            raise click.ClickException(f"saved, but not published: {'; '.join(drained[1])}")
        elif drained[0]:
            click.echo(
                "Published." if build else "The published files are written; build the site to show them."
            )


pass_context = click.make_pass_decorator(Context, ensure=True)


def _fail(message: str) -> None:
    raise click.ClickException(message)


class _Commands(click.Group):
    """The command group: a setting that cannot be used, or a database that cannot be reached, ends
    any command in one line, never a traceback (a PostgreSQL or Redis URL without its extra
    installed, a PostgreSQL server that is down)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SettingError as error:
            raise click.ClickException(str(error)) from None
        except DiskFull as error:
            raise click.ClickException(f"the disk is full: {error}") from None
        except StoreUnavailable as error:
            raise click.ClickException(f"the database cannot be reached: {error}") from None


def _version(ctx: click.Context, _option, asked: bool) -> None:
    """`--version`: the package's version, the commit when run from a clone, the queue schema."""
    if not asked or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    from ..store.engine import schema_revision

    shown = version("withness")
    clone = Path(__file__).resolve().parents[3]
    if (clone / ".git").exists() and (clone / "plugins" / "reflections").is_dir():
        try:
            commit = subprocess.run(
                ["git", "-C", str(clone), "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.strip()
        except OSError:
            commit = ""
        shown += f"+g{commit}" if commit else ""
    click.echo(f"reflections, version {shown} (queue schema {schema_revision()})")
    ctx.exit()


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_version,
    help="Show the version (with the commit, run from a clone) and the queue's schema, and exit.",
)
def main() -> None:
    """Withness reflections: serve the site and look after what readers send.

    Run it inside the site's folder (or set REFLECTIONS_SITE).
    """


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--role",
    type=click.Choice(["all", "intake"]),
    default="all",
    show_default=True,
    help="all: the site, the service and the publisher in one process; intake: the service alone "
    "(any number of instances; one `reflections publish --watch` publishes).",
)
def serve(host: str, port: int, role: str) -> None:
    """Serve the site and the reflections service on one port; the site builds in the background
    and every change is published (readers are answered from the first second)."""
    from ..serve import serve as run_server

    run_server(host, port, role)


@main.command()
@click.option(
    "--watch", is_flag=True, help="Keep publishing: the warm build, every job as it comes, file changes."
)
@click.option("--no-build", "no_build", is_flag=True, help="Write the published files only.")
@pass_context
def publish(context: Context, watch: bool, no_build: bool) -> None:
    """Publish what moderation decided: the waiting publication jobs (exactly one publisher per site)."""
    from ..serve import publish_waiting, run_publisher

    if watch:
        run_publisher()
        return
    drained = publish_waiting(
        context.store, str(context.config.settings_file), render=not no_build, deploy_to=context.config.deploy
    )
    if drained is None:
        _fail("another process is the site's publisher; it publishes the waiting jobs")
    count, failures = drained
    if failures:
        _fail(f"not published: {'; '.join(failures)}")
    click.echo(
        f"Published {count} waiting job{'s' if count != 1 else ''}." if count else "Nothing was waiting."
    )


@main.command(name="set-password")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=int,
    help="The port `serve` listens on, for the address said.",
)
@pass_context
def set_password(context: Context, password_stdin: bool, port: int) -> None:
    """Set the password for the moderation pages at /reflections/moderate."""
    from ..service import auth

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        auth.set_password(context.store, password)
    except auth.PasswordTooShort as error:
        _fail(str(error))
    # The service's public address when the site or REFLECTIONS_PUBLIC_URL names one; else where
    # `serve --port` listens on this machine, as login-link says it.
    address = service_config.public_url(context.config, context.site.settings, port=port)
    click.echo(f"Password set. Log in at {address}/reflections/moderate")


@main.command(name="login-link")
@click.option("--port", default=8000, show_default=True, type=int, help="The port `serve` listens on.")
@pass_context
def login_link(context: Context, port: int) -> None:
    """Print a one-time link into the moderation pages, valid ten minutes: the way in when logins
    are paused after many wrong passwords (or the password is lost: then `set-password`)."""
    from ..service import auth
    from ..service.guard import Guard

    address = service_config.public_url(context.config, context.site.settings, port=port)
    token = auth.login_link_token(context.store, Guard(context.config, context.store).secret)
    click.echo(f"{address}/reflections/moderate/enter/{token}")


@main.command(name="send-mail")
@pass_context
def send_mail(context: Context) -> None:
    """Send the mail that is due now (a running `reflections serve` does this every few seconds)."""
    mailer = context.mailer()
    if not mailer.enabled:
        _fail("no REFLECTIONS_SMTP_URL is set, so no mail can be sent")
    sent, failed = mailer.send_due()
    click.echo(f"Sent {sent} mail{'s' if sent != 1 else ''}; {failed} to try again later.")
    if failed:
        sys.exit(1)


def _summary(row) -> dict:
    return {
        "id": row.id,
        "essay": row.essay,
        "kind": row.kind,
        "state": row.state,
        "visibility": row.visibility,
        "name": row.name,
        "created": row.created.isoformat(),
        "flags": row.flags,
        "excerpt": " ".join(row.body.split())[:80],
    }


@main.command()
@click.option("--state", type=click.Choice(STATES), help="Only items in this state.")
@click.option("--essay", metavar="SLUG", help="Only items on this essay.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def queue(context: Context, state: str | None, essay: str | None, as_json: bool) -> None:
    """List the queue, oldest first (every state unless --state is given)."""
    rows = context.store.find(state=state, essay=essay)
    if as_json:
        click.echo(json.dumps([_summary(row) for row in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("Nothing in the queue." if not state else f"Nothing is {state}.")
        return
    for row in rows:
        item = _summary(row)
        private = " private" if row.visibility == "private" else ""
        flags = f" [{row.flags}]" if row.flags else ""
        click.echo(
            f"{item['id']}  {row.state:<9} {row.essay}{private}{flags}\n"
            f"    {row.shown_name}, {row.created:%Y-%m-%d %H:%M}: {item['excerpt']}"
        )


@main.command()
@click.argument("item_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def show(context: Context, item_id: str, as_json: bool) -> None:
    """Show one item in full, email included (it never leaves the database otherwise)."""
    row = context.store.get(item_id)
    if row is None:
        _fail(f"no reflection has the id {item_id!r}")
    if as_json:
        click.echo(json.dumps(row.as_dict(), ensure_ascii=False, indent=2))
        return
    for key in (
        "id",
        "essay",
        "kind",
        "parent",
        "state",
        "visibility",
        "name",
        "email",
        "notify",
        "content_note",
        "flags",
        "created",
        "decided",
    ):
        value = getattr(row, key)
        if value not in ("", None):
            click.echo(f"{key}: {value}")
    click.echo(f"name shown: {row.shown_name} ({row.name_shown})")
    if row.quote_ok:
        click.echo("quote: the reader agrees you may quote it, without their name, in a future essay")
    click.echo("\n" + row.body)


def _moderate(context: Context, action: str, item_id: str, build: bool, **extra) -> None:
    try:
        message = getattr(context.moderation(), action)(item_id, **extra)
    except ModerationError as error:
        _fail(str(error))
    click.echo(message)
    context.publish(build)


build_option = click.option(
    "--build/--no-build",
    default=True,
    show_default=True,
    help="Render the pages the change touches (--no-build: write the published files only).",
)


@main.command()
@click.argument("item_id", metavar="ID")
@build_option
@pass_context
def approve(context: Context, item_id: str, build: bool) -> None:
    """Approve an item: a public one is published and the site rebuilt; a private one stays private."""
    _moderate(context, "approve", item_id, build, actor="cli")


@main.command()
@click.argument("item_id", metavar="ID")
@build_option
@pass_context
def reject(context: Context, item_id: str, build: bool) -> None:
    """Reject an item (and take it off the site if it was published)."""
    _moderate(context, "reject", item_id, build, actor="cli")


@main.command()
@click.argument("item_id", metavar="ID")
@build_option
@pass_context
def spam(context: Context, item_id: str, build: bool) -> None:
    """Mark an item as spam (and take it off the site if it was published)."""
    _moderate(context, "spam", item_id, build, actor="cli")


@main.command()
@click.argument("item_id", metavar="ID")
@click.option("--text", required=True, help="Your response, in Markdown.")
@build_option
@pass_context
def respond(context: Context, item_id: str, text: str, build: bool) -> None:
    """Publish your response with a reflection (approving the reflection if it was pending)."""
    _moderate(context, "respond", item_id, build, text=text, actor="cli")


@main.command()
@click.argument("token")
@build_option
@pass_context
def withdraw(context: Context, token: str, build: bool) -> None:
    """Withdraw a reflection with the reader's withdraw TOKEN (from their received page)."""
    from ..service.guard import Guard

    item_id = Guard(context.config, context.store).item_from_withdraw_token(token)
    if item_id is None:
        _fail("that withdraw token is not valid")
    _moderate(context, "withdraw", item_id, build, actor="cli")


@main.command()
@pass_context
def purge(context: Context) -> None:
    """Remove what is kept past its time (REFLECTIONS_KEEP_DECLINED_DAYS, REFLECTIONS_KEEP_EMAIL_DAYS):
    `reflections serve` does it every hour; this is for a cron when no service runs."""
    from ..service.retention import purge as purge_now

    done = purge_now(context.store, context.site.settings)
    click.echo(
        f"Removed {done.items} rejected or spam item(s), {done.emails} reader address(es) from items, "
        f"{done.subscribers} subscription(s) and {done.mails} mail(s)."
    )


@main.command(name="backup")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), help="File (default: stdout)."
)
@pass_context
def backup(context: Context, output: str | None) -> None:
    """Write everything the service keeps as JSON Lines: the queue, the moderation log, the
    subscribers, the outbox and the secrets. Keep it as safe as the database: it holds both."""
    lines = context.store.export_lines()
    if output:
        with open(output, "w", encoding="utf-8") as stream:
            count = sum(stream.write(line + "\n") > 0 for line in lines)
        click.echo(f"Wrote {count} records to {output}.", err=True)
    else:
        for line in lines:
            click.echo(line)


# The first name this command had; the same backup.
main.add_command(backup, name="export")


@main.command(name="restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@pass_context
def restore(context: Context, file: str) -> None:
    """Restore a `backup` FILE, secrets included, so that every withdraw, unsubscribe and mail link
    already sent keeps working. What the database has already is left as it is."""
    _load_backup(context, file, with_secrets=True)


def _load_backup(context: Context, file: str, with_secrets: bool) -> None:
    try:
        with open(file, encoding="utf-8") as stream:
            added = context.store.import_lines(stream, with_secrets=with_secrets)
    except OSError as error:
        _fail(f"{file}: {error.strerror}")
    except ValueError as error:
        _fail(f"{file}: not a backup of the reflections service ({error})")
    parts = [
        f"{added['reflection']} reflections",
        f"{added['log']} log entries",
        f"{added['subscriber']} subscribers",
        f"{added['mail']} mails",
    ]
    if with_secrets:
        parts.append(f"{added['secret']} secrets")
    click.echo(f"Imported {', '.join(parts[:-1])} and {parts[-1]}.")


def run() -> None:
    try:
        main(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)
