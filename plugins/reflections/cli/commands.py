"""Serving and publishing from a terminal, and the author's access: `serve`, `publish`,
`set-password`, `login-link`, `send-mail`, `purge`.

Every subcommand has --help; a listing takes --json; an error is one line on stderr and a non-zero
exit status.
"""

import sys

import click

from ..service import config as service_config
from .group import Context, fail, main, pass_context


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
    from ..serve import with_keeping_allocator

    if role == "all":
        with_keeping_allocator()  # this process keeps the warm build
    run_server(host, port, role)


@main.command()
@click.option(
    "--watch", is_flag=True, help="Keep publishing: the warm build, every job as it comes, file changes."
)
@click.option("--no-build", "no_build", is_flag=True, help="Write the published files only.")
@pass_context
def publish(context: Context, watch: bool, no_build: bool) -> None:
    """Publish what moderation decided: the waiting publication jobs (exactly one publisher per site)."""
    from ..serve import publish_waiting, run_publisher, with_keeping_allocator

    if watch:
        with_keeping_allocator()
        run_publisher()
        return
    drained = publish_waiting(
        context.store, str(context.config.settings_file), render=not no_build, deploy_to=context.config.deploy
    )
    if drained is None:
        fail("another process is the site's publisher; it publishes the waiting jobs")
    count, failures = drained
    if failures:
        fail(f"not published: {'; '.join(failures)}")
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
        fail(str(error))
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
        fail("no REFLECTIONS_SMTP_URL is set, so no mail can be sent")
    sent, failed = mailer.send_due()
    click.echo(f"Sent {sent} mail{'s' if sent != 1 else ''}; {failed} to try again later.")
    if failed:
        sys.exit(1)


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
