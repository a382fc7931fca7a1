"""Going live from a terminal: `reflections recipe` (a web server's configuration, a service unit, a
static host's headers) and `reflections doctor` (what still stands in the way)."""

import os

import click

from ..service import config as service_config
from ..site.index import SiteIndex
from .group import Context, fail, main, pass_context


@main.command()
@click.argument("kind", type=click.Choice(["nginx", "caddy", "systemd", "netlify", "apache"]))
@click.option("--port", default=8000, show_default=True, type=int, help="The service's port on loopback.")
@click.option(
    "--listen",
    default="",
    help="nginx/Caddy: the address:port to listen on (default: the site's); with https, the https one.",
)
@click.option(
    "--listen-http",
    "listen_http",
    default="",
    help="nginx with https: the address:port of the server that redirects to https (default: "
    "--listen's address, port 80).",
)
@click.option("--certificate", default="", help="nginx: the TLS certificate (default: Let's Encrypt's path).")
@click.option("--certificate-key", default="", help="nginx: the TLS key (default: Let's Encrypt's path).")
@click.option("--user", default="", help="systemd: the user the service runs as (default: you).")
@pass_context
def recipe(
    context: Context,
    kind: str,
    port: int,
    listen: str,
    listen_http: str,
    certificate: str,
    certificate_key: str,
    user: str,
) -> None:
    """Print a web server configuration (nginx, caddy), a systemd unit, or a static host's headers
    (netlify: a _headers file; apache: an .htaccess) made from the site's settings (run it with
    REFLECTIONS_SETTINGS=publishconf.py for the published site's address)."""
    from . import recipes

    settings = context.site.settings
    click.echo(
        recipes.make(
            kind, settings, context.config, port, listen, certificate, certificate_key, user, listen_http
        ),
        nl=False,
    )


#: The environment file the systemd recipe gives the service (recipes/withness.service).
SERVICE_ENV_FILE = "/etc/withness/reflections.env"


@main.command()
@click.option(
    "--env-file",
    "env_file",
    type=click.Path(dir_okay=False),
    help=f"The service's environment file, read over this shell's environment [default: {SERVICE_ENV_FILE}, "
    "when it exists].",
)
@pass_context
def doctor(context: Context, env_file: str | None) -> None:
    """Check the site's settings for going live, with the environment the service runs with: one line
    per problem; exit status 1 if any."""
    from dotenv import dotenv_values

    from .doctor import problems

    chosen = env_file or (SERVICE_ENV_FILE if os.path.isfile(SERVICE_ENV_FILE) else None)
    if chosen is None:
        click.echo(f"No {SERVICE_ENV_FILE}: checked this shell's environment (--env-file FILE reads one).")
        config, settings = context.config, context.site.settings
    else:
        if not os.path.isfile(chosen):
            fail(f"{chosen}: no such file")
        try:
            values = {key: value or "" for key, value in dotenv_values(chosen, encoding="utf-8").items()}
        except (OSError, UnicodeDecodeError) as error:
            fail(f"{chosen}: cannot be read ({error})")
        click.echo(
            f"Read {chosen} ({len(values)} settings) over this shell's environment, as the service gets it."
        )
        config = service_config.load({**os.environ, **values})
        settings = SiteIndex(config.settings_file).settings
    found = problems(config, settings)
    for line in found:
        click.echo(f"- {line}")
    if found:
        raise SystemExit(1)
    click.echo("Ready to go live: the service answers; the database, mail and deploy target are set.")
