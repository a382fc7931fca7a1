"""A privacy page at /privacy/ (REFLECTIONS_PRIVACY_PAGE): what the reflections keep and for how
long, written from the settings of the build that makes it, in the site's language, with the
site's own page template (so any theme shows it as one of its pages, hidden from its menu)."""

import os

from markupsafe import Markup
from pelican.contents import Page

from ..core import i18n

SLUG = "privacy"


def add_page(generator) -> None:
    settings = generator.settings
    if not settings.get("REFLECTIONS_PRIVACY_PAGE"):
        return
    every = [*generator.pages, *generator.hidden_pages, *getattr(generator, "draft_pages", [])]
    if any(page.slug == SLUG for page in every):
        return  # the site has its own
    lang = str(settings.get("DEFAULT_LANG") or i18n.SOURCE)
    context = {**generator.context, "lang": lang}
    content = generator.env.get_template("reflections/privacy.html").render(context)
    _ = i18n.Words(lang, i18n.overrides_folder(settings))
    page = Page(
        Markup(content),
        metadata={
            "title": _("How your words are kept"),
            "slug": SLUG,
            "lang": lang,
            "url": f"{SLUG}/",
            "save_as": f"{SLUG}/index.html",
            "status": "hidden",
        },
        settings=settings,
        source_path=os.path.join(os.path.abspath(settings["PATH"]), f"{SLUG}.withness"),
        context=generator.context,
    )
    generator.hidden_pages.append(page)
