"""What the author does to an item (approve, reject, mark as spam, respond) and what a reader may do
(withdraw). Shared by the `reflections` command, the service and, later, the moderation pages.

Publishing writes the item's file with the format module inside the same transaction as the state
change, then asks for that essay's pages to be published again (`rebuild(essay_slug)`). Private
items are never written anywhere but the database.
"""

from collections.abc import Callable
from datetime import UTC, tzinfo
from pathlib import Path

from ..core import published
from ..core.lengths import MAX_BODY, MIN_BODY
from ..store import Reflection, Store, now

DECIDABLE = ("pending", "approved", "rejected", "spam")


class ModerationError(ValueError):
    """An act that cannot be done, with a one-line reason for the author."""


class Moderation:
    def __init__(
        self,
        store: Store,
        reflections_root: Path,
        author: str,
        rebuild: Callable[[str], None],
        on_response=None,
        zone: tzinfo = UTC,
    ) -> None:
        self.store = store
        self.zone = zone  # the site's: a published file's date reads as the author's clock does
        self.root = Path(reflections_root)
        self.author = author
        self.rebuild = rebuild
        # Called with (reflection, response) after the author answers: the mailer tells the reader.
        self.on_response = on_response or (lambda reflection, response: None)

    def _row(self, item_id: str) -> Reflection:
        row = self.store.get(item_id)
        if row is None:
            raise ModerationError(f"no reflection has the id {item_id!r}")
        return row

    def published_item(self, row: Reflection) -> published.PublishedItem:
        return published.PublishedItem(
            id=row.id,
            essay=row.essay,
            kind=row.kind,
            date=row.created.astimezone(self.zone),
            body=row.body,
            author=row.name,
            parent=row.parent,
            content_note=row.content_note,
        )

    def _sync_file(self, before: Reflection, after: Reflection | None):
        """The published file follows the item's new state, decided from the row the store locked:
        written when it is published now, removed when it is not. Returns the undo."""
        item = after or before
        if not published.valid_location(item.essay, item.id):
            if after is not None and self.is_published(after):
                raise ModerationError(f"{item.id} names no essay that can be published to ({item.essay!r})")
            return None  # such an item never had a file
        path = published.path_of(self.root, item.essay, item.id)
        old = published.snapshot(path)
        if after is not None and self.is_published(after):
            try:
                published.write(self.root, self.published_item(after))
            except published.FormatError as error:
                raise ModerationError(f"{item.id} cannot be published: {error.problem}") from None
        elif old is not None:
            published.remove(path)
        else:
            return None
        return lambda: published.put_back(path, old)

    def is_published(self, row: Reflection) -> bool:
        return row.state == "approved" and row.visibility == "public"

    def _changed(self, before: Reflection | None, after_published: bool) -> bool:
        """Publish the essay's pages again when the change showed or hid something."""
        if before is not None and (self.is_published(before) or after_published):
            self.rebuild(before.essay)
            return True
        return False

    def approve(self, item_id: str, actor: str = "author") -> str:
        row = self._row(item_id)
        if row.state == "withdrawn":
            raise ModerationError(f"{item_id} was withdrawn by the reader and cannot be approved")
        before = self.store.transition(
            item_id, "approved", ("pending", "rejected", "spam"), actor, effect=self._sync_file
        )
        if before is None:
            return f"{item_id} was already approved."
        if self._changed(before, before.visibility == "public"):
            return f"{item_id} is approved and published on “{before.essay}”."
        return f"{item_id} is approved; it is private, so it stays out of the site."

    def _decline(self, item_id: str, to: str, actor: str) -> str:
        row = self._row(item_id)
        if row.state == to:
            return f"{item_id} was already {to}."
        if row.state == "withdrawn":
            raise ModerationError(f"{item_id} was withdrawn by the reader")
        before = self.store.transition(item_id, to, DECIDABLE, actor, effect=self._sync_file)
        if before is None:
            return f"{item_id} was already {to}."
        if self._changed(before, False):
            return f"{item_id} is {to} and no longer on the site."
        return f"{item_id} is {to}."

    def reject(self, item_id: str, actor: str = "author") -> str:
        return self._decline(item_id, "rejected", actor)

    def spam(self, item_id: str, actor: str = "author") -> str:
        return self._decline(item_id, "spam", actor)

    def approve_with_edit(self, item_id: str, body: str, actor: str = "author") -> str:
        """Approve after a small edit; the reader's original stays in the moderation log."""
        self.edit(item_id, body, actor, rebuild=False)
        return self.approve(item_id, actor)

    def edit(self, item_id: str, body: str, actor: str = "author", rebuild: bool = True) -> str:
        row = self._row(item_id)
        body = body.strip()
        if not MIN_BODY <= len(body) <= MAX_BODY:
            raise ModerationError(f"the text needs {MIN_BODY} to {MAX_BODY:,} characters")
        if body == row.body:
            return f"{item_id} is unchanged."
        before = self.store.edit_body(item_id, body, actor, effect=self._sync_file)
        if before is None:
            raise ModerationError(f"no reflection has the id {item_id!r}")
        if rebuild:
            self._changed(before, self.is_published(before))
        return f"{item_id} is edited; the original is kept in the moderation log."

    def unpublish(self, item_id: str, actor: str = "author") -> str:
        """Take a published item off the site and put it back in the queue."""
        row = self._row(item_id)
        if not self.is_published(row):
            raise ModerationError(f"{item_id} is not published")
        before = self.store.transition(
            item_id, "pending", ("approved",), actor, detail="unpublished", effect=self._sync_file
        )
        if before is None:
            raise ModerationError(f"{item_id} is not published")
        self._changed(before, False)
        return f"{item_id} is off the site and back in the queue."

    def delete(self, item_id: str, actor: str = "author") -> str:
        before = self.store.delete(item_id, actor, effect=self._sync_file)
        if before is None:
            raise ModerationError(f"no reflection has the id {item_id!r}")
        self._changed(before, False)
        return f"{item_id} is deleted."

    def respond(self, item_id: str, text: str, actor: str = "author") -> str:
        """The author's response, published with the reflection (which is approved if it was not)."""
        row = self._row(item_id)
        text = text.strip()
        if not MIN_BODY <= len(text) <= MAX_BODY:
            raise ModerationError(f"a response needs {MIN_BODY} to {MAX_BODY:,} characters")
        if row.kind == "response":
            raise ModerationError(f"{item_id} is itself a response; respond to the reflection it answers")
        if row.state in ("rejected", "spam", "withdrawn"):
            raise ModerationError(f"{item_id} is {row.state}; approve it before responding")
        if row.state == "pending":
            self.approve(item_id, actor)
        moment = now()
        response = Reflection(
            id=published.new_id(moment),
            essay=row.essay,
            parent=row.id,
            kind="response",
            visibility=row.visibility,
            state="pending",
            name=self.author,
            body=text,
            created=moment,
        )
        self.store.add(response, actor=actor)
        self.on_response(row, response)
        before = self.store.transition(
            response.id,
            "approved",
            ("pending",),
            actor,
            detail=f"response to {item_id}",
            effect=self._sync_file,
        )
        if self._changed(before, row.visibility == "public"):
            return f"Your response to {item_id} is published as {response.id}."
        return f"Your response to {item_id} is kept with it ({response.id}); private, so not published."

    def withdraw(self, item_id: str, actor: str = "reader") -> str:
        """The reader takes their words back: out of the queue, and off the site if published."""
        self._row(item_id)
        before = self.store.transition(item_id, "withdrawn", DECIDABLE, actor, effect=self._sync_file)
        if before is None:
            return "This reflection was already withdrawn."
        was_published = self.is_published(before)
        if was_published:
            # The author's responses to it would answer nothing: take them off the site too.
            for response in self.store.find(essay=before.essay):
                if response.parent == item_id and response.kind == "response" and self.is_published(response):
                    self.store.transition(
                        response.id,
                        "withdrawn",
                        ("approved",),
                        actor,
                        detail=f"{item_id} was withdrawn",
                        effect=self._sync_file,
                    )
            self.rebuild(before.essay)
        return "Your reflection is withdrawn." + (" It is no longer on the site." if was_published else "")

    def reconcile(self) -> list[str]:
        """Bring the published files in line with the store (run at start): a published item with
        no file is written, a file of an item that is not published is removed. Files of items the
        store does not know (written by hand, imported) are left alone. Returns what was done."""
        files = {path.stem: path for path in published.published_files(self.root)}
        done = []
        for row in self.store.find():
            path = files.get(row.id)
            if self.is_published(row) and path is None and published.valid_location(row.essay, row.id):
                try:
                    published.write(self.root, self.published_item(row))
                except published.FormatError as error:
                    done.append(f"{row.id}: not written: {error}")
                    continue
                done.append(f"{row.id}: published, its file was missing: written")
            elif not self.is_published(row) and path is not None:
                published.remove(path)
                done.append(f"{row.id}: {row.state}, but its file was on the site: removed")
        return done
