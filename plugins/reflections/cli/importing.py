"""`reflections import`: another system's comments, or a backup, into this site (importers/ read
each source whole; nothing is written before all of it was read)."""

import os
from pathlib import Path

import click

from .backups import load_backup
from .group import Context, fail, main, pass_context


@main.command(name="import")
@click.argument("source", metavar="[wordpress|disqus|isso|staticman|pelican-comment-system] FILE")
@click.argument("file", required=False, type=click.Path(exists=True))
@click.option("--dry-run", is_flag=True, help="An export: say what would be imported; write nothing.")
@click.option(
    "--include-pingbacks", is_flag=True, help="WordPress: import pingbacks and trackbacks as comments."
)
@click.option(
    "--map",
    "map_file",
    type=click.Path(exists=True, dir_okay=False),
    help="All but WordPress: `OLD-ADDRESS-OR-NAME ESSAY-SLUG` lines for threads that match no essay.",
)
@click.option("--author", default="", help="All but WordPress: the name (or email) your own comments had.")
@click.option(
    "--download-media",
    is_flag=True,
    help="WordPress: fetch the posts' images and files into the site and link them there.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Staticman: the site's staticman.yml (found beside the folder or above it otherwise).",
)
@click.option(
    "--skip-unreadable",
    is_flag=True,
    help="Staticman, pelican-comment-system: import the rest when some files cannot be read.",
)
@pass_context
def import_queue(
    context: Context,
    source: str,
    file: str | None,
    dry_run: bool,
    include_pingbacks: bool,
    map_file: str | None,
    author: str,
    download_media: bool,
    config_file: str | None,
    skip_unreadable: bool,
) -> None:
    """Load a file: a `backup` of another service (merged; this one keeps its own secrets), or
    another system's comments: `wordpress FILE.xml`, `disqus FILE.xml`, `isso comments.db`,
    `staticman _data/comments/` (or the site), or `pelican-comment-system content/comments/`.

    \b
    reflections import queue.jsonl          merge a backup; what is there is left as it is
    reflections import wordpress blog.xml   posts become essays, pages pages, approved comments
                                            published reflections, unapproved ones the queue
    reflections import disqus export.xml    comments on the essays their threads were on
    reflections import isso comments.db
    reflections import staticman old-site/_data/comments
    reflections import pelican-comment-system old-site/content/comments
    """
    from ..importers import plan as importing

    if source in SOURCES:
        if file is None:
            fail(f"name what to import: reflections import {source} {SOURCES[source]}")
        try:
            mapping = importing.read_map(map_file) if map_file else {}
            plan, notes = _read_source(
                context,
                source,
                file,
                pingbacks=include_pingbacks,
                mapping=mapping,
                author=author,
                config=config_file,
                media=download_media,
            )
            if plan.unreadable and not (dry_run or skip_unreadable):
                _refuse_unreadable(file, plan.unreadable)
            notes += _apply_plan(context, plan, dry_run)
        except importing.ImportFailed as error:
            fail(str(error))
        _say_imported(plan, notes, dry_run, plan.version)
        return
    if file is not None:
        fail(f"unknown import source {source!r}; use `import FILE` or `import {'|'.join(SOURCES)} FILE`")
    if not os.path.isfile(source):
        fail(f"{source}: no such file")
    load_backup(context, source, with_secrets=False)


#: What `reflections import` reads besides a backup, and what it is given.
SOURCES = {
    "wordpress": "FILE.xml",
    "disqus": "FILE.xml",
    "isso": "comments.db",
    "staticman": "_data/comments/",
    "pelican-comment-system": "content/comments/",
}


def _read_source(context: Context, source: str, file: str, **given):
    """(plan, notes) of one source, read whole before anything is written."""
    from ..importers import comment_system, disqus, isso, staticman, wordpress
    from ..site import settings as site_settings

    mapping, author = given["mapping"], given["author"]
    settings = context.site.settings
    if source == "wordpress":
        # Where essays and pages go, relative to the content folder ("" for the folder itself).
        essays, pages = (
            Path(os.path.relpath(folder, settings["PATH"])).as_posix().removeprefix(".")
            for folder in (site_settings.essays_folder(settings), site_settings.pages_folder(settings))
        )
        static = site_settings.static_folder(settings) if given["media"] else ""
        return wordpress.read_export(file, given["pingbacks"], (essays, pages), static), []
    pages = context.site.pages()
    if source == "disqus":
        return disqus.read_export(file, context.site.essays(), mapping, author, pages)
    if source == "isso":
        return isso.read_database(file, context.site.essays(), mapping, author, pages)
    zone = site_settings.site_zone(context.site.settings)
    if source == "staticman":
        essays = context.site.essays()
        return staticman.read_folder(file, essays, zone, mapping, author, given["config"], pages)
    return comment_system.read_folder(file, set(context.site.essays()), zone, mapping, author, pages)


def _apply_plan(context: Context, plan, dry_run: bool) -> list[str]:
    """Write an importer's plan into the site's own folders (and the queue, unless a dry run)."""
    from ..importers import plan as importing
    from ..site import settings as site_settings

    settings = context.site.settings
    folders = (
        site_settings.essays_folder(settings),
        site_settings.pages_folder(settings),
        site_settings.reflections_root(settings),
    )
    return importing.apply(
        plan,
        *folders,
        None if dry_run else context.store,
        dry_run=dry_run,
        content=Path(settings["PATH"]),
        redirects=site_settings.redirects_file(settings),
    )


def _refuse_unreadable(folder: str, unreadable: list[tuple[str, str]]) -> None:
    """Nothing is imported while files are missing from it unseen: each is named, and the way on."""
    lines = [f"  {name}: {why}" for name, why in unreadable]
    fail(
        f"{folder}: {len(unreadable)} file(s) cannot be read, so nothing was imported:\n"
        + "\n".join(lines)
        + "\nMend them, or import the rest with --skip-unreadable."
    )


def _say_imported(plan, notes: list[str], dry_run: bool, what: str) -> None:
    click.echo(f"{'Would import' if dry_run else 'Imported'} {plan.site} ({what}):")
    for name, count in sorted(plan.counts.items()):
        if count:
            click.echo(f"  {name}: {count}")
    for note in notes:
        click.echo(f"  note: {note}")
    if plan.unreadable:
        if dry_run:
            refused = "unreadable files, which the import refuses without --skip-unreadable"
            click.echo(f"  {refused}: {len(plan.unreadable)}")
        else:
            click.echo(f"  unreadable files skipped: {len(plan.unreadable)}")
        for name, why in plan.unreadable:
            click.echo(f"    {name}: {why}")
    if not dry_run:
        click.echo("Build the site (make html) to see them; unapproved comments wait in `reflections queue`.")
