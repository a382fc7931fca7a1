"""Backups: `backup` (also `export`) writes everything the service keeps as JSON Lines, `restore`
reads one back, secrets included."""

import click

from .group import Context, fail, main, pass_context


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
main.add_command(
    click.Command(
        "export",
        callback=backup.callback,
        params=backup.params,
        help="The same as `backup`, by the name it had first.",
        short_help="The same as `backup` (its first name).",
    )
)


@main.command(name="restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@pass_context
def restore(context: Context, file: str) -> None:
    """Restore a `backup` FILE, secrets included, so that every withdraw, unsubscribe and mail link
    already sent keeps working. What the database has already is left as it is."""
    load_backup(context, file, with_secrets=True)


def load_backup(context: Context, file: str, with_secrets: bool) -> None:
    try:
        with open(file, encoding="utf-8") as stream:
            added = context.store.import_lines(stream, with_secrets=with_secrets)
    except OSError as error:
        fail(f"{file}: {error.strerror}")
    except ValueError as error:
        fail(f"{file}: not a backup of the reflections service ({error})")
    parts = [
        f"{added['reflection']} reflections",
        f"{added['log']} log entries",
        f"{added['subscriber']} subscribers",
        f"{added['mail']} mails",
    ]
    if with_secrets:
        parts.append(f"{added['secret']} secrets")
    click.echo(f"Imported {', '.join(parts[:-1])} and {parts[-1]}.")
