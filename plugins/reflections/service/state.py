"""The service's state: everything a request needs, made once at start (the site as the service
knows it, the store, the guard, the mailer, the moderation, the page templates), and the pages
every route answers with."""

from pathlib import Path
from urllib.parse import quote, urlsplit

from email_validator import EmailNotValidError, validate_email
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, JSONResponse

from ..core import i18n, lengths, published
from ..core.essay_header import EssayInfo, SiteView
from ..store import Store
from . import care, intake, mail, origins, readers
from . import config as service_config
from .afterwards import shown
from .guard import Guard
from .moderation import Moderation

TEMPLATES = Path(__file__).parent.parent / "templates"


class Service:
    """Everything a request needs, made once at start."""

    def __init__(
        self, config: service_config.ServiceConfig, site: SiteView, store: Store | None = None
    ) -> None:
        self.config = config
        self.site = site
        self.settings = site.settings
        site_url = str(self.settings.get("SITEURL") or "")
        #: The site's address when the service's pages must link to it absolutely (else "": the
        #: site is on the service's own origin).
        self.site_url = site_url.rstrip("/") if origins.origin_of(site_url) else ""
        #: The path the service's addresses start with for a browser: "" unless the site (or the
        #: service) is served under a sub-path, such as https://example.org/blog (the web server
        #: passes /blog/reflections/ to the service's /reflections/).
        self.root = urlsplit(service_config.public_url(config, self.settings)).path.rstrip("/")
        #: The origins a reader's form may be posted from (besides the service's own).
        self.origins = origins.site_origins(
            site_url, str(self.settings.get("REFLECTIONS_SERVICE_URL") or ""), config.public_url
        )
        #: The origins the moderation forms may be posted from: the service's own pages, never the
        #: site's (a static host's page has no business posting an author's form).
        self.own_origins = origins.site_origins(
            str(self.settings.get("REFLECTIONS_SERVICE_URL") or ""), config.public_url
        )
        self.store = store or Store(config.database_url, config.database_timeout)
        self.guard = Guard(config, self.store)
        self.mailer = mail.for_site(config, self.store, self.guard.secret, self.site)
        zone = site.zone
        self.moderation = Moderation(
            self.store,
            self.settings.get("AUTHOR", ""),
            on_response=self.mailer.responded,
            title=site.title,
            words=i18n.Words(self.settings.get("DEFAULT_LANG"), i18n.overrides_folder(self.settings)),
            isolated=i18n.isolated,
            identities=lambda row: readers.identities(row, self.store, self.guard.reader_key),
        )
        self.pages = Environment(
            loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True)
        )
        self.overrides = i18n.overrides_folder(self.settings)
        i18n.install(self.pages)
        self.pages.filters["local"] = lambda moment: moment.astimezone(zone)
        self.pages.filters["mailto"] = mailto
        self.pages.globals.update(
            {
                key: self.settings.get(key)
                for key in ("SITENAME", "DEFAULT_LANG", "THEME_STATIC_DIR", "AUTHOR")
            }
            | {key: value for key, value in self.settings.items() if key.startswith("REFLECTIONS_")}
            # The service's own pages are already where the form posts: no "sending takes you to".
            | {
                "SITEURL": self.site_url,
                "ANONYMOUS": published.ANONYMOUS,
                "REFLECTIONS_SERVICE_URL": "",
                "reflections_static": f"{self.root}/reflections/static",
                "ROOT": self.root,
                "LIMITS": lengths.FORM_LIMITS,
                "AUTHOR_NAME": "the author",
                "withness_translations": self.overrides,
            }
        )

    def flags_of(self, texts: list[str], lang: str) -> str:
        """The flags reader text is queued with: `care` first when it may need care (the reader is
        shown where to find help, the author told at once), then each held word."""
        flags = [f"held:{word}" for word in self.guard.held_words(*texts)]
        lists = care.lists_folder(self.settings)
        if care.needs_care(texts, lang or self.language(), care.extra_words(self.settings), lists):
            flags.insert(0, care.FLAG)
        return ",".join(flags)

    def language(self, essay: EssayInfo | str | None = None) -> str:
        """The language a reader is answered in: the essay's they write to, else the site's."""
        if isinstance(essay, str):
            essay = self.site.essay(essay)
        lang = essay.lang if essay is not None else ""
        return lang or str(self.settings.get("DEFAULT_LANG") or i18n.SOURCE)

    def words(self, essay: EssayInfo | str | None = None) -> i18n.Words:
        """The messages in the language of `essay` (see language)."""
        return i18n.Words(self.language(essay), self.overrides)

    def page(self, template: str, status: int = 200, lang: str = "", **context) -> HTMLResponse:
        """A page in `lang` (else the language of its `article`, else the site's)."""
        article = context.get("article")
        lang = lang or self.language(article if isinstance(article, EssayInfo) and article.lang else None)
        html = self.pages.get_template(template).render(lang=lang, **context)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def form_page(
        self,
        essay: EssayInfo | None,
        submission: intake.Submission,
        status: int,
        heading: str,
        message: str = "",
        errors: dict | None = None,
        replying_to: published.PublishedItem | None = None,
    ) -> HTMLResponse:
        return self.page(
            "service/form_page.html",
            status=status,
            heading=heading,
            message=message,
            errors=errors or {},
            **self._submission_context(essay, submission, replying_to),
        )

    def send_page(self, essay: EssayInfo | None, submission: intake.Submission, message: str) -> HTMLResponse:
        """The one extra step without JavaScript: the words as they will read and a Send button in
        view, the whole form folded away for a change."""
        return self.page(
            "service/send.html",
            message=message,
            body_html=shown(submission.body),
            **self._submission_context(essay, submission),
        )

    def _submission_context(
        self,
        essay: EssayInfo | None,
        submission: intake.Submission,
        replying_to: published.PublishedItem | None = None,
    ) -> dict:
        """What every page of a reader's path shows of their submission: the words typed, the essay,
        a fresh form token, and what a reply answers (every page keeps saying it)."""
        article = essay or EssayInfo(submission.essay, "", "", True, "")
        if replying_to is None and submission.parent and essay is not None:
            replying_to = self.site.published_item(essay.slug, submission.parent)
        return {
            "values": submission.values(),
            "public_name": published.shown_as(submission.name, submission.name_shown),
            "article": article,
            "form_token": self.guard.form_token(article.slug),
            "replying_to": replying_to.shown_name if replying_to else "",
            "replying_to_html": shown(replying_to.body) if replying_to else "",
        }


def mailto(address: str, subject: str = "") -> str:
    """A mailto: link to a plain, valid address, every special character encoded (so an address such
    as `x?cc=…@example.org` cannot add a Cc or a body); "" when the address is not valid."""
    try:
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return ""
    if valid.normalized != address.strip() and valid.normalized.lower() != address.strip().lower():
        return ""
    link = "mailto:" + quote(valid.normalized, safe="@")
    return f"{link}?subject={quote(subject, safe='')}" if subject else link


def json_error(status: int, message: str, **extra) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)
