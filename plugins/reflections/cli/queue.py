"""The queue from a terminal: `queue` and `show` to look, `approve`, `reject`, `spam`, `respond`
and `withdraw` to act, each act published as the service would publish it."""

import json

import click

from ..service.moderation import ModerationError
from ..store import STATES
from .group import Context, fail, main, pass_context


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
        "origin": row.origin,
        "source": row.source,
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
        elsewhere = f"\n    from {row.origin}: {row.source}" if row.origin else ""
        click.echo(
            f"{item['id']}  {row.state:<9} {row.essay}{private}{flags}\n"
            f"    {row.shown_name}, {row.created:%Y-%m-%d %H:%M}: {item['excerpt']}{elsewhere}"
        )


@main.command()
@click.argument("item_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def show(context: Context, item_id: str, as_json: bool) -> None:
    """Show one item in full, email included (it never leaves the database otherwise)."""
    row = context.store.get(item_id)
    if row is None:
        fail(f"no reflection has the id {item_id!r}")
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
        "origin",
        "source",
        "website",
    ):
        value = getattr(row, key)
        if value not in ("", None):
            click.echo(f"{key}: {value}")
    click.echo(f"name shown: {row.shown_name} ({row.name_shown})")
    if row.quote_ok:
        click.echo("quote: the reader agrees you may quote it, without their name, in a future essay")
    click.echo("\n" + row.body)
    history = context.store.history_of(item_id)
    if history:
        click.echo("\nlog:")
        for entry in history:
            detail = f": {' '.join(entry.detail.split())[:200]}" if entry.detail else ""
            click.echo(
                f"  {entry.at:%Y-%m-%d %H:%M} {entry.action} by {entry.actor or 'the service'}{detail}"
            )


def _moderate(context: Context, action: str, item_id: str, build: bool, **extra) -> None:
    try:
        message = getattr(context.moderation(), action)(item_id, **extra)
    except ModerationError as error:
        fail(str(error))
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
        fail("that withdraw token is not valid")
    _moderate(context, "withdraw", item_id, build, actor="cli")
