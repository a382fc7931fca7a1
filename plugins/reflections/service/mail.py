"""Email: to the author when someone writes, and to a reader who asked to hear of a reply.

Every message goes into the outbox table first and is sent by a worker, so sending never blocks
or loses a submission; an SMTP outage is retried with a growing wait and logged. Messages are
plain text only: a reader's words are never sent as HTML. Links in them are signed, expiring and
single-purpose, and open a page that asks before anything changes, so a mail scanner that follows
every link changes nothing.
"""

import json
import logging
import re
import smtplib
import threading
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from ..core import i18n
from ..core.published import ANONYMOUS
from ..store import Reflection, Store
from . import care
from . import config as service_config

logger = logging.getLogger(__name__)
ACTIONS = ("approve", "reject", "spam")
#: The kinds of mail in the outbox: what a log line names a message by, never its address.
AUTHOR_NOTICE, AUTHOR_DIGEST, READER_CONFIRM, READER_REPLY = (
    "author-notice",
    "author-digest",
    "confirm",
    "reply",
)
#: An address inside an SMTP server's error ("{'reader@example.org': (550, …)}"): kept out of logs.
_ADDRESS = re.compile(r"[^\s<>()'\"{},;:]+@[^\s<>()'\"{},;:]+")


class _MailPolicy(EmailPolicy):
    """The default policy, except that the List-Unsubscribe headers go out as written, on one line
    (RFC 5322 allows 998 characters): folded past 78 they became encoded words (=?utf-8?q?=3Chttp…),
    which no mail client reads as a link, so its unsubscribe button never showed (RFC 8058)."""

    UNFOLDED = frozenset({"list-unsubscribe", "list-unsubscribe-post"})

    def fold(self, name: str, value) -> str:
        if name.lower() in self.UNFOLDED and str(value).isascii():
            return f"{name}: {value}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name: str, value) -> bytes:
        if name.lower() in self.UNFOLDED and str(value).isascii():
            return self.fold(name, value).encode("ascii")
        return super().fold_binary(name, value)


MAIL_POLICY = _MailPolicy()


def without_addresses(text: str) -> str:
    """`text` with every email address in it replaced by "(an address)"."""
    return _ADDRESS.sub("(an address)", text)


LINK_DAYS = 14
MAX_WAIT = timedelta(hours=1)


class Mailer:
    def __init__(self, config, store: Store, secret: str, site) -> None:
        self.config = config
        self.store = store
        self.site = site  # a SiteView: essays' titles and addresses
        self._actions = URLSafeTimedSerializer(secret, salt="mail-action")
        # Reader links carry the subscriber's opaque key, never the address (which would end up in
        # proxy logs and browser history). Unsubscribe links of the first kind (signed address)
        # still work: a reader must always be able to stop the mails.
        self._confirm = URLSafeTimedSerializer(secret, salt="mail-confirm-key")
        self._unsubscribe = URLSafeSerializer(secret, salt="mail-unsubscribe-key")
        self._unsubscribe_by_address = URLSafeSerializer(secret, salt="mail-unsubscribe")

    def words(self, essay: str | None = None) -> i18n.Words:
        """A reader is written to in the language of the essay they wrote to; the author in the
        site's (essay None)."""
        found = self.site.essay(essay) if essay else None
        lang = (found.lang if found is not None else "") or self.site.settings.get("DEFAULT_LANG")
        return i18n.Words(lang, i18n.overrides_folder(self.site.settings))

    @property
    def enabled(self) -> bool:
        return bool(self.config.smtp_url)

    def link(self, path: str) -> str:
        return f"{self.config.public_url.rstrip('/')}{path}"

    # Signed links ---------------------------------------------------------------------------
    def action_token(self, item_id: str, action: str) -> str:
        return self._actions.dumps({"id": item_id, "action": action})

    def read_action(self, token: str) -> tuple[str, str] | None:
        try:
            data = self._actions.loads(token, max_age=LINK_DAYS * 86400)
        except (BadSignature, SignatureExpired):
            return None
        if not isinstance(data, dict) or data.get("action") not in ACTIONS:
            return None
        return data["id"], data["action"]

    def _key(self, email: str) -> str:
        found = self.store.subscriber(email)
        return found.key if found is not None else ""

    def _email(self, key) -> str | None:
        found = self.store.subscriber_by_key(key) if isinstance(key, str) else None
        return found.email if found is not None else None

    def confirm_token(self, email: str) -> str:
        return self._confirm.dumps(self._key(email))

    def read_confirm(self, token: str) -> str | None:
        """The address a confirm link stands for, or None."""
        try:
            return self._email(self._confirm.loads(token, max_age=LINK_DAYS * 86400))
        except (BadSignature, SignatureExpired):
            return None

    def unsubscribe_token(self, email: str) -> str:
        return self._unsubscribe.dumps(self._key(email))

    def read_unsubscribe(self, token: str) -> str | None:
        """The address an unsubscribe link stands for, or None."""
        try:
            return self._email(self._unsubscribe.loads(token))
        except BadSignature:
            pass
        try:
            email = self._unsubscribe_by_address.loads(token)
        except BadSignature:
            return None
        return email if isinstance(email, str) else None

    # What is sent ----------------------------------------------------------------------------
    def submitted(self, row: Reflection) -> None:
        """A reader's submission was stored: tell the author, and ask the reader to confirm."""
        if not self.enabled:
            return
        # What may come from someone in pain reaches the author at once, even under a digest.
        at_once = self.config.notify == "each" or (self.config.notify == "digest" and care.marked(row.flags))
        if at_once and self.config.author_email:
            # Quiet hours hold the author's mail till morning; what needs care never waits.
            later = None if care.marked(row.flags) else self.after_quiet_hours()
            self.store.enqueue_mail(
                self.config.author_email, *self.author_notice(row), not_before=later, kind=AUTHOR_NOTICE
            )
        if row.notify and row.email and self.store.ask_subscriber(row.email):
            self.store.enqueue_mail(row.email, *self.confirm_notice(row), kind=READER_CONFIRM)

    def author_notice(self, row: Reflection) -> tuple[str, str]:
        _ = self.words()
        title = self.site.title(row.essay)
        if row.visibility == "private":
            opening = _("A new reflection on “%(title)s”. It is private: for you only.", title=title)
        else:
            opening = _("A new reflection on “%(title)s”.", title=title)
        # Everything the reader wrote (name, note, words) is indented, apart from the lines this
        # mail writes itself: no reader can set a line that looks like one of the action links.
        lines = [opening, "", "    " + _("From: %(name)s", name=i18n.isolated(row.name or _(ANONYMOUS)))]
        if care.marked(row.flags):
            lines[1:1] = [
                "",
                _(
                    "It may need your care: its words speak of wanting to die or of self-harm. "
                    "The reader was shown where to find help now; it is at the top of your queue."
                ),
            ]
        if "trusted" in row.flags.split(","):
            lines[1:1] = ["", _("From a reader you trust: it is on the site already. Reject takes it off.")]
        if row.content_note:
            lines.append("    " + _("Content note: %(note)s", note=row.content_note))
        lines += ["", *[f"    {line}" for line in row.body.splitlines()], ""]
        names = {"approve": _("Approve"), "reject": _("Reject"), "spam": _("Spam")}
        for action in ACTIONS:
            path = f"/reflections/mail/act/{self.action_token(row.id, action)}"
            lines.append(f"{names[action]}: {self.link(path)}")
        lines += [
            "",
            _("Every link asks you before anything changes; they work for %(days)s days.", days=LINK_DAYS),
            _("The whole queue: %(link)s", link=self.link("/reflections/moderate")),
        ]
        subject = _("New reflection on “%(title)s”", title=title)
        if care.marked(row.flags):
            subject = _("Needs care: %(subject)s", subject=subject)
        return subject, "\n".join(lines) + "\n"

    def confirm_notice(self, row: Reflection) -> tuple[str, str]:
        _ = self.words(row.essay)
        title = self.site.title(row.essay)
        link = self.link(f"/reflections/mail/confirm/{self.confirm_token(row.email)}")
        body = "\n\n".join(
            [
                _("You asked to hear when the author replies to what you wrote on “%(title)s”.", title=title),
                _("Please confirm this address by opening this link:") + "\n" + link,
                _("If it was not you, ignore this mail: nothing more will be sent to you."),
            ]
        )
        return _("Please confirm your address"), body + "\n"

    def responded(self, reflection: Reflection, response: Reflection) -> None:
        """The author answered: tell the reader, if they asked and confirmed."""
        if not (self.enabled and reflection.notify and reflection.email):
            return
        subscriber = self.store.subscriber(reflection.email)
        if subscriber is None or not subscriber.confirmed or subscriber.unsubscribed is not None:
            return
        _ = self.words(reflection.essay)
        title = self.site.title(reflection.essay)
        essay = self.site.essay(reflection.essay)
        unsubscribe = self.link(f"/reflections/mail/unsubscribe/{self.unsubscribe_token(reflection.email)}")
        lines = [
            _("The author replied to what you wrote on “%(title)s”:", title=title),
            "",
            *[f"    {line}" for line in response.body.splitlines()],
            "",
        ]
        if essay is not None and reflection.visibility == "public":
            page = f"{self.link('/' + essay.url)}#r-{response.id}"
            lines += [_("Read it on the page: %(link)s", link=page), ""]
        lines += [_("No more of these mails: %(link)s", link=unsubscribe)]
        # RFC 8058: a mail client's own unsubscribe button POSTs List-Unsubscribe=One-Click to
        # this address, which unsubscribes at once; the link in the body asks first.
        headers = {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        subject = _("The author replied on “%(title)s”", title=title)
        self.store.enqueue_mail(
            reflection.email, subject, "\n".join(lines) + "\n", headers, kind=READER_REPLY
        )

    def digest(self, rows: list[Reflection]) -> None:
        if not (self.enabled and self.config.author_email and rows):
            return
        _ = self.words()
        parts = []
        for row in rows:
            subject, body = self.author_notice(row)
            parts.append(f"{subject}\n{'-' * len(subject)}\n{body}")
        count = len(rows)
        opening = _.ngettext(
            "%(num)s new reflection since the last digest.",
            "%(num)s new reflections since the last digest.",
            count,
        )
        subject = _.ngettext("%(num)s new reflection", "%(num)s new reflections", count)
        self.store.enqueue_mail(
            self.config.author_email,
            subject,
            opening + "\n\n" + "\n".join(parts),
            not_before=self.after_quiet_hours(),
            kind=AUTHOR_DIGEST,
        )

    def after_quiet_hours(self, moment: datetime | None = None) -> datetime | None:
        """When the author's quiet hours (REFLECTIONS_QUIET_HOURS, the site's clock) end, if
        `moment` (now) is within them; else None."""
        if self.config.quiet_hours is None:
            return None
        start, end = self.config.quiet_hours
        local = (moment or datetime.now(UTC)).astimezone(self.site.zone)
        hour = local.hour
        quiet = start <= hour or hour < end if start > end else start <= hour < end
        if not quiet:
            return None
        morning = local.replace(hour=end, minute=0, second=0, microsecond=0)
        if morning <= local:
            morning += timedelta(days=1)
        return morning.astimezone(UTC)

    # Sending -----------------------------------------------------------------------------------
    def send_due(self) -> tuple[int, int]:
        """Send what is due and claimed by this worker (another worker never sends the same mail);
        a failure waits longer each time (up to an hour) and is logged; after MAX_MAIL_ATTEMPTS the
        mail is given up and shown on the moderation pages."""
        sent = failed = 0
        for mail in self.store.claim_mail():
            message = EmailMessage(policy=MAIL_POLICY)
            message["From"] = self.config.mail_from
            message["To"] = mail.recipient
            message["Subject"] = mail.subject
            message["Date"] = formatdate(localtime=False)
            message["Message-ID"] = make_msgid(domain="withness.local")
            for key, value in json.loads(mail.headers or "{}").items():
                message[key] = value
            message.set_content(mail.body)  # text/plain; charset=utf-8, and nothing else
            try:
                deliver(self.config.smtp_url, message)
            except (OSError, smtplib.SMTPException) as error:
                wait = min(MAX_WAIT, timedelta(seconds=self.config.mail_retry_seconds * 2**mail.attempts))
                reason = without_addresses(f"{type(error).__name__}: {error}")
                given_up = self.store.mail_failed(mail.id, reason, datetime.now(UTC) + wait)
                # The outbox id and the kind, never the address: logs outlive the retention times.
                logger.warning(
                    "Mail %d (%s) not sent (attempt %d%s): %s",
                    mail.id,
                    mail.kind or "mail",
                    mail.attempts + 1,
                    ", given up" if given_up else "",
                    reason,
                )
                failed += 1
                continue
            self.store.mail_sent(mail.id)
            sent += 1
        return sent, failed


def for_site(config, store: Store, secret: str, site) -> Mailer:
    """The mailer of a site: its links start with service_config.public_url (`reflections serve`
    sets it from the port it really listens on before the mailer is made)."""
    address = service_config.public_url(config, site.settings)
    return Mailer(replace(config, public_url=address), store, secret, site)


def deliver(smtp_url: str, message: EmailMessage) -> None:
    """Send one message through smtp://, smtps:// or smtp://…?starttls=true, with optional login."""
    with smtp_session(smtp_url) as smtp:
        smtp.send_message(message)


@contextmanager
def smtp_session(smtp_url: str, timeout: float = 20):
    """A connection to the mail server, greeted (EHLO), through TLS and logged in as the URL asks;
    `reflections doctor` opens one and sends nothing."""
    url = urlsplit(smtp_url)
    options = parse_qs(url.query)
    secure = url.scheme == "smtps"
    connect = smtplib.SMTP_SSL if secure else smtplib.SMTP
    with connect(url.hostname or "127.0.0.1", url.port or (465 if secure else 25), timeout=timeout) as smtp:
        smtp.ehlo()
        if options.get("starttls", ["false"])[0].lower() in ("1", "true", "yes"):
            smtp.starttls()
            smtp.ehlo()
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        yield smtp


class MailWorker(threading.Thread):
    """Sends the outbox every few seconds; in digest mode, queues the daily digest."""

    def __init__(self, mailer: Mailer, pending_since, interval: float = 5.0) -> None:
        super().__init__(daemon=True, name="withness-mail")
        self.mailer = mailer
        self.pending_since = pending_since
        self.interval = interval
        self.stopped = threading.Event()
        self.started = datetime.now(UTC)

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                if self.mailer.config.notify == "digest":
                    self._digest()
                self.mailer.send_due()
            except Exception:  # the worker must outlive any one bad moment; the outbox keeps the mail
                logger.exception("The mail worker met an error; it will try again")

    def _digest(self) -> None:
        """One digest every REFLECTIONS_DIGEST_SECONDS: the first (one interval after start) lists
        everything pending, each later one what came since the one before."""
        store = self.mailer.store
        last = store.get_secret("last-digest")
        since = datetime.fromisoformat(last) if last else datetime(1970, 1, 1, tzinfo=UTC)
        moment = datetime.now(UTC)
        if moment - (since if last else self.started) < timedelta(seconds=self.mailer.config.digest_seconds):
            return
        # Of several instances due at once, the one whose swap succeeds sends the digest.
        if store.swap_secret("last-digest", last, moment.isoformat()):
            self.mailer.digest([row for row in self.pending_since(since) if row.created <= moment])
