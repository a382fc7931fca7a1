"""Settings for publishing: absolute URLs and every feed. Set WITHNESS_SITEURL to your address."""

import os
import sys

sys.path.append(os.path.dirname(os.path.abspath(__file__)))

from pelicanconf import *  # noqa: E402,F403

SITEURL = os.environ.get("WITHNESS_SITEURL", "https://withness.example")
RELATIVE_URLS = False
FEED_DOMAIN = SITEURL

FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
CATEGORY_FEED_ATOM = "feeds/category/{slug}.atom.xml"
CATEGORY_FEED_RSS = "feeds/category/{slug}.rss.xml"
TAG_FEED_ATOM = "feeds/tag/{slug}.atom.xml"
TAG_FEED_RSS = "feeds/tag/{slug}.rss.xml"

DELETE_OUTPUT_DIRECTORY = True
# The content cache belongs to local work; a publish build always reads everything afresh.
LOAD_CONTENT_CACHE = False

# A static host with the reflections service elsewhere: the service's public address (README,
# "Going live"). Empty: the service answers under /reflections/ on the site's own address.
REFLECTIONS_SERVICE_URL = os.environ.get("WITHNESS_SERVICE_URL", "")
