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
    worker.watch(again=True)
    posts = [post for post in context.store.remote_posts() if not essay or post.essay == essay]
    if not posts:
        click.echo("No essay names a post elsewhere: add a `Mastodon:` or `Bluesky:` line to its header.")
        return
    essays = context.site.essays()
    for post in posts:
        click.echo(f"{post.essay} on {post.origin}: {worker.read(post, essays)}")


@main.group()
def webmention() -> None:
    """Webmentions: those received from other sites, and those sent for your essays' links."""


@webmention.command(name="send")
@click.option("--essay", metavar="SLUG", help="Only this essay's links.")
@click.option("--dry-run", is_flag=True, help="Find each link's endpoint, send nothing, record nothing.")
@pass_context
def send_webmentions(context: Context, essay: str | None, dry_run: bool) -> None:
    """Tell each site your essays link to, through the webmention endpoint it names: once per
    link and change of the essay (what was sent before is not sent again). The service does it by
    itself when REFLECTIONS_SEND_WEBMENTIONS is on. The links are the last build's."""
    if essay and context.site.essay(essay) is None:
        fail(f"no essay has the slug {essay!r}")
    worker = _worker(context)
    if not worker.site_url:
        fail(
            "SITEURL is not an absolute address, so other sites could not fetch your essays: "
            "set it (publishconf.py)"
        )
    done = worker.send_mentions(context.site.essays(), dry_run=dry_run, only=essay)
    if not done:
        click.echo("Nothing to send: every link was told of this version of its essay, or there are none.")
    for slug, target, result in done:
        click.echo(f"{slug} -> {target}: {result}")


@webmention.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
@pass_context
def list_webmentions(context: Context, as_json: bool, limit: int) -> None:
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
