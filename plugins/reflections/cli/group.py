"""The `reflections` command group: what its subcommands share (the Context), its --version, and
one line on stderr, never a traceback, for what stops any of them. The subcommands are by concern:
commands.py (serving, publishing, the author's access), queue.py (the queue from a terminal),
backups.py, importing.py, live.py (going live)."""

import subprocess
import sys
from pathlib import Path

import click

from ..core.errors import SettingError
from ..service import config as service_config
from ..service.moderation import Moderation
from ..site.index import SiteIndex
from ..store import DiskFull, Store, StoreUnavailable


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


def fail(message: str) -> None:
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


def run() -> None:
    try:
        main(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)
