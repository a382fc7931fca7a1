"""Replies from elsewhere, from the terminal: read an essay's replies on Mastodon and Bluesky now,
and see the webmentions received."""

import json

import click

from .group import Context, fail, main, pass_context


def _worker(context: Context):
    from ..serve import replies_worker
    from ..service.state import Service

    return replies_worker(context.config, Service(context.config, context.site, context.store))


@main.command(name="fetch-replies")
@click.option("--essay", metavar="SLUG", help="Only this essay's posts.")
@pass_context
def fetch_replies(context: Context, essay: str | None) -> None:
    """Read the replies to the essays' posts on Mastodon and Bluesky now (the posts their `Mastodon:`
    and `Bluesky:` header lines name), as the service does by itself on its schedule. New replies
    wait in the queue for you; edited ones are updated; deleted ones are taken off the site."""
    if essay and context.site.essay(essay) is None:
        fail(f"no essay has the slug {essay!r}")
    worker = _worker(context)
    worker.watch()
    posts = [post for post in context.store.remote_posts() if not essay or post.essay == essay]
    if not posts:
        click.echo("No essay names a post elsewhere: add a `Mastodon:` or `Bluesky:` line to its header.")
        return
    essays = context.site.essays()
    for post in posts:
        click.echo(f"{post.essay} on {post.origin}: {worker.read(post, essays)}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
@pass_context
def mentions(context: Context, as_json: bool, limit: int) -> None:
    """List the webmentions received, newest first: where each stands and why."""
    found = context.store.mentions(limit)
    if as_json:
        click.echo(json.dumps([mention.as_dict() for mention in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("No webmention has been received.")
    for mention in found:
        item = f" -> {mention.item}" if mention.item else ""
        click.echo(
            f"{mention.id}  {mention.state:<8} {mention.essay} {mention.kind or ''}{item}\n"
            f"    {mention.source}\n    {mention.reason or '(not checked yet)'}"
        )
