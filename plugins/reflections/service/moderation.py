"""What the author does to an item (approve, reject, mark as spam, respond) and what a reader may do
(withdraw). Shared by the `reflections` command, the service and the moderation pages.

An act only touches the store: its new state, its log entry and, when it shows or hides something
on the site, a publication job, all in one transaction; it answers at once. The publisher writes
the file and renders the pages (publisher/). Private items are never written anywhere but the
database.
"""

from ..core import published
from ..core.lengths import MAX_BODY, MIN_BODY
from ..store import Reflection, Store, now

DECIDABLE = ("pending", "approved", "rejected", "spam")


class ModerationError(ValueError):
    """An act that cannot be done, with a one-line reason for the author."""


class Moderation:
    def __init__(self, store: Store, author: str, on_response=None) -> None:
        self.store = store
        self.author = author
        # Called with (reflection, response) after the author answers: the mailer tells the reader.
        self.on_response = on_response or (lambda reflection, response: None)

    def _row(self, item_id: str) -> Reflection:
        row = self.store.get(item_id)
        if row is None:
            raise ModerationError(f"no reflection has the id {item_id!r}")
        return row

    def approve(self, item_id: str, actor: str = "author") -> str:
        row = self._row(item_id)
        if row.state == "withdrawn":
            raise ModerationError(f"{item_id} was withdrawn by the reader and cannot be approved")
        if row.visibility == "public" and not published.valid_location(row.essay, row.id):
            raise ModerationError(f"{item_id} names no essay that can be published to ({row.essay!r})")
        before = self.store.transition(item_id, "approved", ("pending", "rejected", "spam"), actor)
        if before is None:
            return f"{item_id} was already approved."
        if before.visibility == "public":
            return f"{item_id} is approved; it will be on “{before.essay}” in a moment."
        return f"{item_id} is approved; it is private, so it stays out of the site."

    def _decline(self, item_id: str, to: str, actor: str) -> str:
        row = self._row(item_id)
        if row.state == to:
            return f"{item_id} was already {to}."
        if row.state == "withdrawn":
            raise ModerationError(f"{item_id} was withdrawn by the reader")
        before = self.store.transition(item_id, to, DECIDABLE, actor)
        if before is None:
            return f"{item_id} was already {to}."
        if before.is_published:
            return f"{item_id} is {to}; it comes off the site in a moment."
        return f"{item_id} is {to}."

    def reject(self, item_id: str, actor: str = "author") -> str:
        return self._decline(item_id, "rejected", actor)

    def spam(self, item_id: str, actor: str = "author") -> str:
        return self._decline(item_id, "spam", actor)

    def approve_with_edit(self, item_id: str, body: str, actor: str = "author") -> str:
        """Approve after a small edit; the reader's original stays in the moderation log."""
        self.edit(item_id, body, actor)
        return self.approve(item_id, actor)

    def edit(self, item_id: str, body: str, actor: str = "author") -> str:
        row = self._row(item_id)
        body = body.strip()
        if not MIN_BODY <= len(body) <= MAX_BODY:
            raise ModerationError(f"the text needs {MIN_BODY} to {MAX_BODY:,} characters")
        if body == row.body:
            return f"{item_id} is unchanged."
        before = self.store.edit_body(item_id, body, actor)
        if before is None:
            raise ModerationError(f"no reflection has the id {item_id!r}")
        return f"{item_id} is edited; the original is kept in the moderation log."

    def unpublish(self, item_id: str, actor: str = "author") -> str:
        """Take a published item off the site and put it back in the queue."""
        row = self._row(item_id)
        if not row.is_published:
            raise ModerationError(f"{item_id} is not published")
        before = self.store.transition(item_id, "pending", ("approved",), actor, detail="unpublished")
        if before is None:
            raise ModerationError(f"{item_id} is not published")
        return f"{item_id} is back in the queue; it comes off the site in a moment."

    def delete(self, item_id: str, actor: str = "author") -> str:
        before = self.store.delete(item_id, actor)
        if before is None:
            raise ModerationError(f"no reflection has the id {item_id!r}")
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
        )
        if before is not None and row.visibility == "public":
            return (
                f"Your response to {item_id} is approved as {response.id}; it goes on the site in a moment."
            )
        return f"Your response to {item_id} is kept with it ({response.id}); private, so not published."

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
