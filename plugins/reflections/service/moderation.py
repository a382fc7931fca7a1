"""What the author does to an item (approve, reject, mark as spam, respond) and what a reader may do
(withdraw). Shared by the `reflections` command, the service and the moderation pages.

An act only touches the store: its new state, its log entry and, when it shows or hides something
on the site, a publication job, all in one transaction; it answers at once. The publisher writes
the file and renders the pages (publisher/). Private items are never written anywhere but the
database.
"""

from ..core import published
from ..core.lengths import MAX_BODY, MAX_CONTENT_NOTE, MAX_NAME, MIN_BODY
from ..store import Reflection, Store, now

DECIDABLE = ("pending", "approved", "rejected", "spam")


class ModerationError(ValueError):
    """An act that cannot be done, with a one-line reason for the author."""


class Moderation:
    def __init__(self, store: Store, author: str, on_response=None, title=None) -> None:
        self.store = store
        self.author = author
        # An essay's title by its slug: messages speak of people and essays, not ids.
        self.title = title or (lambda slug: slug)
        # Called with (reflection, response) after the author answers: the mailer tells the reader.
        self.on_response = on_response or (lambda reflection, response: None)

    def _row(self, item_id: str) -> Reflection:
        row = self.store.get(item_id)
        if row is None:
            raise ModerationError(f"no reflection has the id {item_id!r}")
        return row

    def _who(self, row: Reflection) -> str:
        """An item in the author's words: “Ana’s reflection on “Learning to Stay””."""
        return f"{row.shown_name}’s {row.kind} on “{self.title(row.essay)}”"

    def approve(self, item_id: str, actor: str = "author") -> str:
        row = self._row(item_id)
        if row.state == "withdrawn":
            raise ModerationError(f"{self._who(row)} was withdrawn by the reader and cannot be approved")
        if row.visibility == "public" and not published.valid_location(row.essay, row.id):
            raise ModerationError(f"{self._who(row)} names no essay that can be published to")
        before = self.store.transition(item_id, "approved", ("pending", "rejected", "spam"), actor)
        if before is None:
            return f"{self._who(row)} was already approved."
        if before.visibility == "public":
            return f"{self._who(row)} is approved; it will be on the site in a moment."
        return f"{self._who(row)} is kept; it is private, so it stays out of the site."

    def _decline(self, item_id: str, to: str, actor: str) -> str:
        row = self._row(item_id)
        who = self._who(row)
        if row.state == to:
            return f"{who} was already {to}."
        if row.state == "withdrawn":
            raise ModerationError(f"{who} was withdrawn by the reader")
        before = self.store.transition(item_id, to, DECIDABLE, actor)
        if before is None:
            return f"{who} was already {to}."
        if before.is_published:
            return f"{who} is {to}; it comes off the site in a moment."
        return f"{who} is {to}."

    def reject(self, item_id: str, actor: str = "author") -> str:
        return self._decline(item_id, "rejected", actor)

    def spam(self, item_id: str, actor: str = "author") -> str:
        return self._decline(item_id, "spam", actor)

    def approve_with_edit(self, item_id: str, body: str, actor: str = "author", **fields: str | None) -> str:
        """Approve after a small edit (of the words, and the `name` or `content_note` when given);
        the reader's original stays in the moderation log."""
        self.edit(item_id, body, actor, **fields)
        return self.approve(item_id, actor)

    def edit(
        self,
        item_id: str,
        body: str,
        actor: str = "author",
        name: str | None = None,
        content_note: str | None = None,
    ) -> str:
        """Change the words, and the name or content note when given; the originals are logged."""
        row = self._row(item_id)
        changes = {"body": body.strip()}
        if not MIN_BODY <= len(changes["body"]) <= MAX_BODY:
            raise ModerationError(f"the text needs {MIN_BODY} to {MAX_BODY:,} characters")
        for field, value, limit, words in (
            ("name", name, MAX_NAME, "the name"),
            ("content_note", content_note, MAX_CONTENT_NOTE, "the content note"),
        ):
            if value is None:
                continue
            if len(value.strip()) > limit:
                raise ModerationError(f"{words} can be at most {limit} characters")
            changes[field] = value.strip()
        if all(getattr(row, field) == value for field, value in changes.items()):
            return f"{self._who(row)} is unchanged."
        before = self.store.edit(item_id, changes, actor)
        if before is None:
            raise ModerationError(f"no reflection has the id {item_id!r}")
        return f"{self._who(before)} is edited; the original is kept in the moderation log."

    def unpublish(self, item_id: str, actor: str = "author") -> str:
        """Take a published item off the site and put it back in the queue."""
        row = self._row(item_id)
        if not row.is_published:
            raise ModerationError(f"{self._who(row)} is not published")
        before = self.store.transition(item_id, "pending", ("approved",), actor, detail="unpublished")
        if before is None:
            raise ModerationError(f"{self._who(row)} is not published")
        return f"{self._who(row)} is back in the queue; it comes off the site in a moment."

    def delete(self, item_id: str, actor: str = "author") -> str:
        before = self.store.delete(item_id, actor)
        if before is None:
            raise ModerationError(f"no reflection has the id {item_id!r}")
        return f"{self._who(before)} is deleted."

    def respond(self, item_id: str, text: str, actor: str = "author") -> str:
        """The author's response, published with the reflection (which is approved if it was not)."""
        row = self._row(item_id)
        text = text.strip()
        if not MIN_BODY <= len(text) <= MAX_BODY:
            raise ModerationError(f"a response needs {MIN_BODY} to {MAX_BODY:,} characters")
        if row.kind == "response":
            raise ModerationError(f"{self._who(row)} is itself a response; respond to what it answers")
        if row.state in ("rejected", "spam", "withdrawn"):
            raise ModerationError(f"{self._who(row)} is {row.state}; approve it before responding")
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
        )
        if before is not None and row.visibility == "public":
            return f"Your response to {self._who(row)} is approved; it goes on the site in a moment."
        return f"Your response to {self._who(row)} is kept with it; private, so not published."

    def withdraw(self, item_id: str, actor: str = "reader") -> str:
        """The reader takes their words back: out of the queue, and off the site if published."""
        self._row(item_id)
        before = self.store.transition(item_id, "withdrawn", DECIDABLE, actor)
        if before is None:
            return "This reflection was already withdrawn."
        was_published = before.is_published
        if was_published:
            # The author's responses to it would answer nothing: take them off the site too.
            for response in self.store.find(essay=before.essay):
                if response.parent == item_id and response.kind == "response" and response.is_published:
                    self.store.transition(
                        response.id,
                        "withdrawn",
                        ("approved",),
                        actor,
                        detail=f"{item_id} was withdrawn",
                    )
        return "Your reflection is withdrawn." + (" It leaves the site in a moment." if was_published else "")
