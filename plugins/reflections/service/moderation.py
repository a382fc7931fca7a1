"""What the author does to an item (approve, reject, mark as spam, respond) and what a reader may do
(withdraw). Shared by the `reflections` command, the service and the moderation pages.

An act only touches the store: its new state, its log entry and, when it shows or hides something
on the site, a publication job, all in one transaction; it answers at once. The publisher writes
the file and renders the pages (publisher/). Private items are never written anywhere but the
database.
"""

from ..core import i18n, published
from ..core.lengths import MAX_BODY, MAX_CONTENT_NOTE, MAX_NAME, MIN_BODY
from ..store import MARKS, Reflection, Store, now

DECIDABLE = ("pending", "approved", "rejected", "spam")
#: The longest text, as the author reads the number ("10,000").
LONGEST = f"{MAX_BODY:,d}"


class ModerationError(ValueError):
    """An act that cannot be done, with a one-line reason for the author."""


class Moderation:
    def __init__(
        self,
        store: Store,
        author: str,
        on_response=None,
        title=None,
        words=None,
        isolated=None,
        identities=None,
    ) -> None:
        self.store = store
        self.author = author
        # What the author is told, in the site's language (the command line: English).
        self._ = words or i18n.Words(i18n.SOURCE)
        # An essay's title by its slug: messages speak of people and essays, not ids.
        self.title = title or (lambda slug: slug)
        # Names and titles in its sentences, kept apart from them on pages (i18n.isolated); a
        # terminal shows what it is given, so the command line leaves them as they are.
        self.isolated = isolated or (lambda words: words)
        # Called with (reflection, response) after the author answers: the mailer tells the reader.
        self.on_response = on_response or (lambda reflection, response: None)
        # Who an item is by, as the author may mark them ((what, value) pairs: service/readers.py).
        self.identities = identities or (lambda row: [])

    def _row(self, item_id: str) -> Reflection:
        row = self.store.get(item_id)
        if row is None:
            raise ModerationError(self._("no reflection has the id %(id)s", id=repr(item_id)))
        return row

    def who(self, row: Reflection) -> str:
        """An item in the author's words: “Ana’s reflection on “Learning to Stay””."""
        _ = self._
        name, title = (
            self.isolated(row.public_name or _(published.ANONYMOUS)),
            self.isolated(self.title(row.essay)),
        )
        if row.kind == "comment":
            return _("%(name)s’s comment on “%(title)s”", name=name, title=title)
        if row.kind == "response":
            return _("%(name)s’s response on “%(title)s”", name=name, title=title)
        return _("%(name)s’s reflection on “%(title)s”", name=name, title=title)

    def approve(self, item_id: str, actor: str = "author") -> str:
        _, row = self._, self._row(item_id)
        if row.state == "withdrawn":
            raise ModerationError(
                _("%(who)s was withdrawn by the reader and cannot be approved", who=self.who(row))
            )
        if row.visibility == "public" and not published.valid_location(row.essay, row.id):
            raise ModerationError(_("%(who)s names no essay that can be published to", who=self.who(row)))
        before = self.store.transition(item_id, "approved", ("pending", "rejected", "spam"), actor)
        if before is None:
            return _("%(who)s was already approved.", who=self.who(row))
        if before.visibility == "public":
            return _("%(who)s is approved; it will be on the site in a moment.", who=self.who(row))
        return _("%(who)s is kept; it is private, so it stays out of the site.", who=self.who(row))

    def _decline(self, item_id: str, to: str, actor: str) -> str:
        _, row = self._, self._row(item_id)
        who = self.who(row)
        if to == "rejected":
            already, done, off = (
                _("%(who)s was already rejected.", who=who),
                _("%(who)s is rejected.", who=who),
                _("%(who)s is rejected; it comes off the site in a moment.", who=who),
            )
        else:
            already, done, off = (
                _("%(who)s was already spam.", who=who),
                _("%(who)s is spam.", who=who),
                _("%(who)s is spam; it comes off the site in a moment.", who=who),
            )
        if row.state == to:
            return already
        if row.state == "withdrawn":
            raise ModerationError(_("%(who)s was withdrawn by the reader", who=who))
        before = self.store.transition(item_id, to, DECIDABLE, actor)
        if before is None:
            return already
        return off if before.is_published else done

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
        _, row = self._, self._row(item_id)
        changes = {"body": body.strip()}
        if not MIN_BODY <= len(changes["body"]) <= MAX_BODY:
            raise ModerationError(
                _("the text needs %(least)s to %(most)s characters", least=MIN_BODY, most=LONGEST)
            )
        for field, value, limit, too_long in (
            ("name", name, MAX_NAME, _("the name can be at most %(max)s characters", max=MAX_NAME)),
            (
                "content_note",
                content_note,
                MAX_CONTENT_NOTE,
                _("the content note can be at most %(max)s characters", max=MAX_CONTENT_NOTE),
            ),
        ):
            if value is None:
                continue
            if len(value.strip()) > limit:
                raise ModerationError(too_long)
            changes[field] = value.strip()
        if all(getattr(row, field) == value for field, value in changes.items()):
            return _("%(who)s is unchanged.", who=self.who(row))
        before = self.store.edit(item_id, changes, actor)
        if before is None:
            raise ModerationError(_("no reflection has the id %(id)s", id=repr(item_id)))
        return _("%(who)s is edited; the original is kept in the moderation log.", who=self.who(before))

    def unpublish(self, item_id: str, actor: str = "author") -> str:
        """Take a published item off the site and put it back in the queue."""
        _, row = self._, self._row(item_id)
        if not row.is_published:
            raise ModerationError(_("%(who)s is not published", who=self.who(row)))
        before = self.store.transition(item_id, "pending", ("approved",), actor, detail="unpublished")
        if before is None:
            raise ModerationError(_("%(who)s is not published", who=self.who(row)))
        return _("%(who)s is back in the queue; it comes off the site in a moment.", who=self.who(row))

    def delete(self, item_id: str, actor: str = "author") -> str:
        before = self.store.delete(item_id, actor)
        if before is None:
            raise ModerationError(self._("no reflection has the id %(id)s", id=repr(item_id)))
        return self._("%(who)s is deleted.", who=self.who(before))

    def respond(self, item_id: str, text: str, actor: str = "author") -> str:
        """The author's response, published with the reflection (which is approved if it was not)."""
        _, row = self._, self._row(item_id)
        text = text.strip()
        if not MIN_BODY <= len(text) <= MAX_BODY:
            raise ModerationError(
                _("a response needs %(least)s to %(most)s characters", least=MIN_BODY, most=LONGEST)
            )
        if row.kind == "response":
            raise ModerationError(
                _("%(who)s is itself a response; respond to what it answers", who=self.who(row))
            )
        if row.state in ("rejected", "spam", "withdrawn"):
            state = {"rejected": _("rejected"), "spam": _("spam"), "withdrawn": _("withdrawn")}[row.state]
            raise ModerationError(
                _("%(who)s is %(state)s; approve it before responding", who=self.who(row), state=state)
            )
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
            return _(
                "Your response to %(who)s is approved; it goes on the site in a moment.", who=self.who(row)
            )
        return _("Your response to %(who)s is kept with it; private, so not published.", who=self.who(row))

    def mark(self, item_id: str, mark: str, what: str, actor: str = "author") -> str:
        """Block or trust who an item is by (`what`: their confirmed email, the domain it came
        from, their account elsewhere). Blocking also makes the item spam."""
        _, row = self._, self._row(item_id)
        found = dict(self.identities(row))
        if mark not in MARKS or what not in found:
            raise ModerationError(_("%(who)s cannot be marked that way", who=self.who(row)))
        # What the author is shown of the mark: never the address itself.
        label = found[what] if what != "email" else (row.public_name or _(published.ANONYMOUS))
        self.store.mark(mark, what, found[what], label, actor)
        label = self.isolated(label)
        if mark == "trusted":
            return _("What %(label)s sends later is published without waiting.", label=label)
        if row.state not in ("spam", "withdrawn"):
            self.store.transition(item_id, "spam", DECIDABLE, actor, detail=f"blocked: {what}")
        return _(
            "%(who)s is spam; what %(label)s sends later is kept as spam too.", who=self.who(row), label=label
        )

    def unmark(self, mark_id: int, actor: str = "author") -> str:
        found = self.store.unmark(mark_id, actor)
        if found is None:
            raise ModerationError(self._("that mark is already gone"))
        label = found.label or found.value
        if found.mark == "blocked":
            return self._("%(label)s is no longer blocked.", label=self.isolated(label))
        return self._("%(label)s is no longer trusted.", label=self.isolated(label))

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
