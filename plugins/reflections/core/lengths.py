"""Every length limit on what readers send, in one place: the form's checks, the published format,
the sanitizer, the database columns and the importers all take them from here."""

#: An item's id (new ones are 26-character ULIDs) and the ids it is stored under.
MAX_ID = 64
#: An essay's slug, as the queue stores it.
MAX_ESSAY = 200
#: The name a reader chooses.
MAX_NAME = 80
#: An email address (RFC 5321).
MAX_EMAIL = 254
#: A commenter's website, as an imported comment keeps it.
MAX_WEBSITE = 300
#: A content note ("grief", "self-harm"…).
MAX_CONTENT_NOTE = 120
#: The passage a reflection answers (an anchor: core/passages.py) and the words it quotes.
MAX_PASSAGE = 64
MAX_QUOTE = 300
#: What a reader may send as a body.
MIN_BODY = 2
MAX_BODY = 10_000
#: What the sanitizer renders: room for an author's hand edits over MAX_BODY, while keeping the
#: worst case of one render small.
MAX_SOURCE_CHARS = 20_000

#: The form's fields and their limits, for the templates (the form's live counts).
FORM_LIMITS = {
    "body": MAX_BODY,
    "name": MAX_NAME,
    "content_note": MAX_CONTENT_NOTE,
    "email": MAX_EMAIL,
    "quote": MAX_QUOTE,
}

#: An address from elsewhere (a webmention's source and target, a remote reply's address).
MAX_ADDRESS = 2000
#: What is fetched from another site at most: its bytes, its seconds, its redirects.
MAX_FETCH_BYTES = 1_000_000
MAX_FETCH_SECONDS = 10.0
MAX_REDIRECTS = 5
