"""Submitting: a reader's reflection or comment in, through every check (the form token, the
rate limit, the honeypot, the author's rest, care), kept pending in the store, and a kind page or
JSON out. No-JS form posts get a page (the form again, with the reader's words and a message by
each field, or a 303 to the "received" page); JSON posts get 422 with field errors or 202 with the
id and a withdraw token."""

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import parse_qs

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..core import i18n, lengths, published, rest
from ..core.essay_header import EssayInfo
from ..core.i18n import N_
from ..store import Reflection, StoreUnavailable, body_hash, now
from . import addresses, bodies, intake, origins, readers
from .state import Service, json_error

logger = logging.getLogger(__name__)
DUPLICATE = N_("This reflection has already reached the author, so there is no need to send it again.")
UNAVAILABLE = N_(
    "We could not save your reflection just now: the server is busy. Nothing is lost: your words "
    "are still in the form below. Please wait a moment and send it again."
)


async def submit(request: Request) -> Response:
    service: Service = request.app.state.service
    wants_json = request.headers.get("content-type", "").split(";")[0].strip() == "application/json"
    raw = await bodies.read_limited(request, service.config.max_request_bytes)
    address = addresses.of_request(request)
    foreign = not origins.allowed(
        request.headers.get("origin"), request.headers.get("host", ""), service.origins
    )
    # The reader's signed proof of their confirmed address (readers.py), if this browser has one.
    reader = request.cookies.get(readers.COOKIE, "")
    answer = await _checked(service, raw, wants_json, address, foreign, False, reader)
    if isinstance(answer, Hold):
        # A token not yet old enough: the answer waits out the rest here, on the event loop (no
        # worker thread is held), then the submission is looked at once more.
        await anyio.sleep(answer.seconds)
        answer = await _checked(service, raw, wants_json, address, foreign, True, reader)
    if isinstance(answer, Accepted):
        answer = await _accept(service, answer)
    return answer


async def _checked(
    service: Service,
    raw: bytes | None,
    wants_json: bool,
    address: str,
    foreign: bool,
    held: bool,
    reader: str,
) -> "Response | Hold | Accepted":
    """The checks, on the event loop when each is work for the processor alone: the guard counts
    in this process's memory and no reader's cookie asks the store whether they are trusted. A
    hop to a worker thread and back costs more than the checks themselves, and dozens of threads
    taking turns at the interpreter lock made the intake's tail. Else in a worker thread, so that
    nothing a check waits for (Redis, the database) holds up the loop."""
    arguments = (service, raw, wants_json, address, foreign, held, reader)
    if service.guard.counts_here and not (reader and service.settings.get("REFLECTIONS_TRUST_RETURNING")):
        if service.site.due():  # walking the essay files is for a worker thread, never the loop
            await run_in_threadpool(service.site.essays)
        return _check(*arguments)
    return await run_in_threadpool(_check, *arguments)


@dataclass(frozen=True)
class Hold:
    """A submission that is whole but whose form token is younger than its minimum age."""

    seconds: float


#: The longest an answer is held for a young token; past it (a site that set a long minimum age)
#: the reader is asked to send again, with the reason.
MAX_HOLD_SECONDS = 10.0


FOREIGN = N_(
    "This form was sent from a page that is not part of this site, so nothing was sent. If you "
    "wrote it, your words are below: read them over and send them from here."
)


def _check(
    service: Service,
    raw: bytes | None,
    wants_json: bool,
    address: str,
    foreign: bool = False,
    held: bool = False,
    reader: str = "",
) -> "Response | Hold | Accepted":
    """Every check a submission meets before it is written: an answer to give now (the form again,
    with a reason), a Hold, or the submission Accepted for the store."""
    _ = service.words()
    if raw is None:
        message = _("That was more than we can receive at once. Please shorten it and send it again.")
        if wants_json:
            return json_error(413, message)
        return service.page(
            "service/message.html", status=413, heading=_("Too long to receive"), message=message
        )
    try:
        if wants_json:
            text = raw.decode("utf-8")
            if intake.json_too_deep(text):
                raise intake.NotAnObject("the fields are nested too deeply to read")
            data = json.loads(text)
        else:
            fields = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
            data = {key: values[0] for key, values in fields.items()}
        submission = intake.from_mapping(data)
    except (ValueError, RecursionError) as error:
        message = (
            str(error) if isinstance(error, intake.NotAnObject) else "The request body is not valid JSON."
        )
        if wants_json:
            return json_error(400, message)
        return service.page(
            "service/message.html", status=400, heading=_("We could not read that"), message=message
        )

    essay = service.site.essay(submission.essay)
    _ = service.words(essay)
    if foreign:
        # Another site's page posting readers' browsers into the queue: refused, the words shown back
        # on the service's own page, where sending them is the reader's own act.
        if wants_json:
            return json_error(403, _(FOREIGN))
        return service.form_page(essay, submission, 403, _("Send this reflection?"), message=_(FOREIGN))
    resting = rest.until(service.settings)
    if resting is not None:
        # The author's rest: the reader's words come back to them with a kind word, nothing kept.
        message = _(
            "The author is taking a rest, and reflections are paused until %(day)s. Your words are "
            "still here: keep them, and send them then.",
            day=i18n.long_date(resting, service.language(essay)),
        )
        if wants_json:
            return JSONResponse({"errors": {"body": message}}, status_code=503)
        return service.form_page(essay, submission, 503, _("The author is resting"), message=message)
    address_hash = service.guard.address_hash(address)
    # The honeypot is looked at last: a bot that fills it meets every check and limit first.
    problems = intake.verify(submission, service.site, _, datetime.now(service.site.zone).date())
    if not problems and service.guard.too_many_links(submission.body):
        problems["body"] = _(
            "Please keep to %(max)s links at most; it helps us keep spam out. "
            "Everything you wrote is still here.",
            max=service.config.max_links,
        )
    if problems:
        if wants_json:
            return JSONResponse({"errors": problems}, status_code=422)
        return service.form_page(
            essay,
            submission,
            422,
            _("Your reflection"),
            errors=problems,
        )

    problem, left = service.guard.token_verdict(submission.token, submission.essay)
    if problem == "too fast" and not held and left + 0.01 <= MAX_HOLD_SECONDS:
        return Hold(left + 0.01)
    if problem:
        return _confirm_again(service, essay, submission, wants_json, too_soon=problem == "too fast")

    if service.guard.over_rate_limit(address_hash):
        message = _(
            "You have sent several reflections in a short while. Please wait a little, then send again."
        )
        if wants_json:
            return JSONResponse({"errors": {"body": message}}, status_code=429)
        return service.form_page(essay, submission, 429, _("Please wait a moment"), message=message)

    if submission.website:
        # Only a program fills the hidden field. Keep it (as spam, never lost) and answer as usual.
        return _accepted(service, submission, essay, address_hash, wants_json, state="spam", flags="honeypot")
    # A reader the author blocked is found where the submission is written (the store's batch
    # transaction): kept, out of sight, as spam, and answered as anyone is.
    flags = service.flags_of(
        [submission.body, submission.name, submission.content_note], service.language(essay)
    )
    trusted = not flags and readers.trusted_reader(service, submission.email, submission.visibility, reader)
    return _accepted(service, submission, essay, address_hash, wants_json, flags=flags, trusted=trusted)


AS_WRITTEN = N_("Here is what you wrote, as it will read. If it says what you want it to, send it.")
USED_TOKEN = N_(
    "This form has already sent one reflection. If you meant to send another, here it is as you "
    "wrote it: send it again."
)
TOO_SOON = N_("That was sent a moment too soon for us to tell it from a program. Please send it again.")


def _confirm_again(
    service: Service,
    essay: EssayInfo | None,
    submission: intake.Submission,
    wants_json: bool,
    used: bool = False,
    too_soon: bool = False,
) -> Response:
    """A submission whose form token is missing, expired or used: the same words back, with a fresh
    token (a person sends again; a program that posts the essay page's form as it is does not)."""
    message = service.words(essay)(USED_TOKEN if used else TOO_SOON if too_soon else AS_WRITTEN)
    if wants_json:
        fresh = service.guard.form_token(submission.essay)
        if not (used or too_soon):
            message = "Please send again with this form token (ask /reflections/token)."
        return JSONResponse({"errors": {"token": message}, "token": fresh}, status_code=422)
    return service.send_page(essay, submission, message)


@dataclass(frozen=True)
class Accepted:
    """A submission through every check, made into the row the store is to keep."""

    submission: intake.Submission
    essay: EssayInfo | None
    address_hash: str
    wants_json: bool
    row: Reflection
    trusted: bool


def _accepted(
    service: Service,
    submission: intake.Submission,
    essay: EssayInfo | None,
    address_hash: str,
    wants_json: bool,
    state: str = "pending",
    flags: str = "",
    trusted: bool = False,
) -> Accepted:
    moment = now()
    row = Reflection(
        id=published.new_id(moment),
        essay=submission.essay[: lengths.MAX_ESSAY],
        parent=submission.parent[: lengths.MAX_ID],
        kind="comment" if submission.parent else "reflection",
        visibility=submission.visibility if submission.visibility in ("public", "private") else "private",
        state=state,
        name=submission.name[: lengths.MAX_NAME],
        email=submission.email[: lengths.MAX_EMAIL],
        notify=submission.notify and bool(submission.email),
        name_shown=submission.name_shown,
        quote_ok=submission.quote_ok,
        # A passage the essay no longer has: the reflection answers the essay, its quote kept.
        passage=submission.passage if essay and submission.passage in essay.reflection_anchors else "",
        quote=submission.quote[: lengths.MAX_QUOTE],
        body=submission.body[: lengths.MAX_BODY],
        content_note=submission.content_note[: lengths.MAX_CONTENT_NOTE],
        address_hash=address_hash,
        body_hash=body_hash(submission.body),
        flags=",".join(filter(None, [flags, "trusted" if trusted else ""])),
        created=moment,
    )
    return Accepted(submission, essay, address_hash, wants_json, row, trusted)


async def _accept(service: Service, accepted: Accepted) -> Response:
    """The accepted submission written (awaiting the store's commit, as the store allows), then
    its answer."""
    guard, submission = service.guard, accepted.submission
    try:
        refused = await service.store.queue_submission(
            accepted.row,
            guard.duplicate_since(),
            token=guard.token_nonce(submission.token),
            token_since=guard.tokens_issued_since(),
            reader_key=guard.reader_key(submission.email) if submission.email else "",
        )
    except StoreUnavailable:
        logger.exception("Could not store a submission")
        refused = "unavailable"
    if refused == "blocked":
        accepted = replace(accepted, row=replace(accepted.row, state="spam"), trusted=False)
        refused = None
    # What follows a kept submission waits for nothing on the loop, unless the limits are
    # counted elsewhere, the reader is published at once or mail is to be queued.
    if refused or (
        guard.counts_here
        and not accepted.trusted
        and not (accepted.row.state == "pending" and service.mailer.enabled)
    ):
        return _answer(service, accepted, refused)
    return await run_in_threadpool(_answer, service, accepted, refused)


def _answer(service: Service, accepted: Accepted, refused: str | None) -> Response:
    """The reader's answer to a written submission (`refused`: why it was not kept, or None)."""
    submission, essay, wants_json, row = (
        accepted.submission,
        accepted.essay,
        accepted.wants_json,
        accepted.row,
    )
    _ = service.words(essay)
    if refused == "token used":
        return _confirm_again(service, essay, submission, wants_json, used=True)
    if refused == "duplicate":
        problems = {"body": _(DUPLICATE)}
        if wants_json:
            return JSONResponse({"errors": problems}, status_code=422)
        return service.form_page(
            essay, submission, 422, _("Your reflection"), errors=problems, message=_(DUPLICATE)
        )
    if refused == "unavailable":
        if wants_json:
            return JSONResponse({"errors": {"body": _(UNAVAILABLE)}}, status_code=503)
        return service.form_page(
            essay, submission, 503, _("Please try again in a moment"), message=_(UNAVAILABLE)
        )
    service.guard.count_submission(accepted.address_hash)
    if accepted.trusted:
        # A returning reader the author trusts: published without waiting; the author is told
        # (the notice below) and may unpublish it with one click.
        service.moderation.approve(row.id, actor="trusted reader")
    if row.state == "pending":
        try:
            service.mailer.submitted(row)
        except StoreUnavailable:
            # The reflection is safe; only its notification could not be queued.
            logger.exception("Could not queue the mail for %s", row.id)
    withdraw = service.guard.withdraw_token(row.id)
    if wants_json:
        return JSONResponse(
            {"id": row.id, "state": "pending", "visibility": row.visibility, "withdraw_token": withdraw},
            status_code=202,
        )
    return RedirectResponse(f"{service.root}/reflections/received/{withdraw}", status_code=303)
