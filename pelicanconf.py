"""Settings for local work: relative URLs, content cache on. `publishconf.py` builds on these."""

import logging

AUTHOR = "Ana Lindqvist"
SITENAME = "Withness"
SITESUBTITLE = "Essays on healing, belonging and being with one another"
SITEURL = ""
RELATIVE_URLS = True

PATH = "content"
ARTICLE_PATHS = ["essays"]
PAGE_PATHS = ["pages"]
# Published reflections are read by the reflections plugin, never as articles or pages.
ARTICLE_EXCLUDES = ["reflections", "pages"]
PAGE_EXCLUDES = ["reflections", "essays"]
STATIC_PATHS = ["images"]

TIMEZONE = "Europe/Stockholm"
DEFAULT_LANG = "en"
DEFAULT_DATE_FORMAT = "%-d %B %Y"

THEME = "theme"
# The plugin is installed (pip install -e .) in Pelican's plugin namespace. Its full name works in an
# editable install too, where Pelican's discovery of installed plugins cannot see it.
PLUGINS = ["pelican.plugins.reflections"]
# This site wants every essay checked: a missing Title or Date stops the build with one line.
REFLECTIONS_STRICT_ESSAYS = True
# The theme styles the reflections itself (theme/static/css/withness.css).
REFLECTIONS_STYLESHEET = False

# Reader fields are escaped by Jinja2; the essay's own HTML is marked safe in the templates.
JINJA_ENVIRONMENT = {"trim_blocks": True, "lstrip_blocks": True, "autoescape": True}

ARTICLE_URL = "essays/{slug}/"
ARTICLE_SAVE_AS = "essays/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
CATEGORY_URL = "category/{slug}/"
CATEGORY_SAVE_AS = "category/{slug}/index.html"
TAG_URL = "tag/{slug}/"
TAG_SAVE_AS = "tag/{slug}/index.html"
CATEGORIES_URL = "categories/"
CATEGORIES_SAVE_AS = "categories/index.html"
TAGS_URL = "tags/"
TAGS_SAVE_AS = "tags/index.html"
ARCHIVES_URL = "archives/"
ARCHIVES_SAVE_AS = "archives/index.html"
# A page for each year, listing its essays with their reflection counts; archives/ lists the years.
# Publishing a reflection rewrites its essay's year page only, however many years the site has.
YEAR_ARCHIVE_URL = "archives/{date:%Y}/"
YEAR_ARCHIVE_SAVE_AS = "archives/{date:%Y}/index.html"
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
SITEMAP_SAVE_AS = "sitemap.xml"
ROBOTS_SAVE_AS = "robots.txt"
DIRECT_TEMPLATES = ["index", "tags", "categories", "archives", "sitemap", "robots", "404"]
DEFAULT_PAGINATION = 8
# Only the index pages through essays; tag and category pages are one dated list each.
PAGINATED_TEMPLATES = {"index": None}
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)

FEED_DOMAIN = SITEURL
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/category/{slug}.atom.xml"
TAG_FEED_ATOM = "feeds/tag/{slug}.atom.xml"
FEED_ALL_RSS = None
CATEGORY_FEED_RSS = None
TAG_FEED_RSS = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
# Feed readers want what is new, not the whole archive in full text.
FEED_MAX_ITEMS = 20
# Local feeds carry relative links on purpose; publishconf.py sets the absolute address.
LOG_FILTER = [(logging.WARN, "Feeds generated without SITEURL or FEED_DOMAIN set properly may not be valid")]

CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CACHE_PATH = "cache"

MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.codehilite": {"css_class": "highlight", "guess_lang": False},
        "markdown.extensions.fenced_code": {},
        "markdown.extensions.footnotes": {},
        "markdown.extensions.smarty": {},
        "markdown.extensions.tables": {},
        "markdown.extensions.toc": {
            "permalink": "#",
            "permalink_class": "anchor",
            "permalink_title": "Link to this section",
        },
        "markdown.extensions.meta": {},
    },
    "output_format": "html5",
}

SUMMARY_MAX_LENGTH = 40
READING_WORDS_PER_MINUTE = 230
