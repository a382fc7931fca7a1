"""A WordPress blog's addresses in the new site: links between posts, redirects from every old
permalink (pages on any static host, 301s through the real nginx), and media fetched from a
local HTTP server (`--download-media`). Expected values are read from the exports themselves."""

import html
import re
import subprocess
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from conftest import REFLECTIONS, REPO, bare_site, build_site, corpus_file, free_port
from links import broken_links, target_file
from nginx_server import NGINX, Nginx

WP = "{http://wordpress.org/export/1.2/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


def site_at(folder: Path, settings: str = "") -> Path:
    site = bare_site(folder)
    (site / "plugins").symlink_to(REPO / "plugins")
    if settings:
        conf = site / "pelicanconf.py"
        conf.write_text(conf.read_text(encoding="utf-8") + settings, encoding="utf-8")
    return site


def run(site: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([REFLECTIONS, *arguments], cwd=site, capture_output=True, text=True, timeout=300)


def published_posts(export: Path) -> dict[str, str]:
    """Old path → title of every published post, from the file."""
    posts = {}
    for item in ET.parse(export).getroot().find("channel").findall("item"):
        if item.findtext(WP + "post_type") == "post" and item.findtext(WP + "status") == "publish":
            if not item.findtext(WP + "post_password"):
                posts["/" + unquote(urlsplit(item.findtext("link")).path).strip("/") + "/"] = item.findtext(
                    "title"
                )
    return posts


def contents(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in (site / "content").rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def moved(tmp_path_factory):
    """A real blog imported into a site whose essays live at /essays/<slug>/, and built."""
    export = corpus_file("wordpress/chrisjrob.com.xml")
    site = site_at(tmp_path_factory.mktemp("moved") / "site")
    result = run(site, "import", "wordpress", str(export))
    assert result.returncode == 0, result.stderr
    built = build_site(site / "pelicanconf.py", site / "output", site / "cache", cwd=site)
    assert built.returncode == 0, built.stderr
    return export, site, result


def test_every_old_permalink_leads_to_its_essay(moved):
    export, site, _ = moved
    posts = published_posts(export)
    assert len(posts) > 80
    output = site / "output"
    for old, title in posts.items():
        page = output / old.strip("/") / "index.html"
        text = page.read_text(encoding="utf-8")
        [refresh] = re.findall(r'http-equiv="refresh" content="0; url=([^"]+)"', text)
        essay, _ = target_file(output, page, html.unescape(refresh))
        assert essay.is_file(), old
        [heading] = re.findall(r'<h1 id="essay-title">(.*?)</h1>', essay.read_text(encoding="utf-8"))
        assert html.unescape(heading) == " ".join(title.split()), old
        assert "noindex" in text and 'rel="canonical"' not in text  # a relative site: no canonical
    assert broken_links(output, other_hosts=True) == []


def test_links_between_posts_follow_the_new_site(moved):
    export, site, result = moved
    posts = published_posts(export)
    written = "".join(item.findtext(CONTENT) or "" for item in ET.parse(export).getroot().iter("item"))
    old_links = [
        path
        for address in re.findall(r'href="(http://(?:www\.)?chrisjrob\.com/[^"#?]*)', written)
        if (path := "/" + unquote(urlsplit(address).path).strip("/") + "/") in posts
    ]
    assert old_links  # the blog links to itself
    assert "links between posts rewritten: " in result.stdout
    # The essays' own words link to the new pages (readers' comments keep what they wrote).
    for page in (site / "output" / "essays").rglob("index.html"):
        words = page.read_text(encoding="utf-8").split('class="reflections"', 1)[0]
        for url in re.findall(r'href="([^"]+)"', words):
            path = "/" + unquote(urlsplit(url).path).strip("/") + "/"
            assert not (urlsplit(url).hostname or "").endswith("chrisjrob.com") or path not in posts, url
    assert f"old addresses added to the redirect map: {len(posts)}" in result.stdout


def test_importing_again_changes_nothing_and_keeps_the_map(moved):
    export, site, _ = moved
    before = contents(site)
    again = run(site, "import", "wordpress", str(export))
    assert again.returncode == 0, again.stderr
    assert "old addresses added to the redirect map" not in again.stdout
    assert contents(site) == before


def test_a_site_with_the_old_date_based_addresses_needs_no_redirect_pages(tmp_path):
    export = corpus_file("wordpress/chrisjrob.com.xml")
    dated = (
        '\nARTICLE_URL = "{date:%Y}/{date:%m}/{date:%d}/{slug}/"'
        '\nARTICLE_SAVE_AS = "{date:%Y}/{date:%m}/{date:%d}/{slug}/index.html"\n'
    )
    site = site_at(tmp_path / "site", dated)
    assert run(site, "import", "wordpress", str(export)).returncode == 0
    built = build_site(site / "pelicanconf.py", site / "output", site / "cache", cwd=site)
    assert built.returncode == 0, built.stderr
    redirect_pages = [
        p for p in (site / "output").rglob("*.html") if "Withness redirect" in p.read_text("utf-8")
    ]
    assert redirect_pages == []  # each old address is the essay's own again
    assert (site / "output" / "2011" / "02" / "23" / "drupal-7" / "index.html").is_file()


def test_a_bad_line_in_the_map_is_named_and_the_build_goes_on(tmp_path):
    site = site_at(tmp_path / "site")
    (site / "content" / "essays" / "here.md").write_text("Title: Here\nDate: 2020-01-01\n\nWords.\n")
    (site / "content" / "redirects.txt").write_text(
        "/old/ essays/here.md\n/gone/ essays/nothing.md\n../escape essays/here.md\n/elsewhere https://example.org/x\n"
    )
    built = build_site(site / "pelicanconf.py", site / "output", site / "cache", cwd=site)
    assert built.returncode == 0, built.stderr
    log = " ".join(built.stdout.split() + built.stderr.split())
    assert "redirects.txt, line 2: essays/nothing.md is no essay or page of this site" in log
    assert "redirects.txt, line 3:" in log
    assert (site / "output" / "old" / "index.html").is_file()
    assert 'url=https://example.org/x"' in (site / "output" / "elsewhere" / "index.html").read_text()
    assert not (tmp_path / "escape").exists()


@pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (apt-get install nginx; .ci/run installs it)"
)
def test_nginx_answers_each_old_address_with_a_301(moved, tmp_path):
    export, site, _ = moved
    port = free_port()
    recipe = run(site, "recipe", "nginx", "--listen", f"127.0.0.1:{port}")
    assert recipe.returncode == 0, recipe.stderr
    nginx = Nginx(tmp_path / "nginx", recipe.stdout).start(port)
    try:
        for old, title in list(published_posts(export).items())[:10]:
            for asked in (old, old.rstrip("/")):
                answer = httpx.get(f"http://127.0.0.1:{port}{asked}", follow_redirects=False)
                assert answer.status_code == 301, asked
                assert "/essays/" in answer.headers["location"]
                page = httpx.get(f"http://127.0.0.1:{port}{asked}", follow_redirects=True)
                assert (
                    page.status_code == 200 and html.escape(" ".join(title.split()), quote=False) in page.text
                )
    finally:
        nginx.stop()


class OldMediaHost(BaseHTTPRequestHandler):
    """The old blog's media host: a file for every path, but one that is gone."""

    gone = "/2009/02/waterfall.png"
    asked: list[str] = []

    def do_GET(self):  # noqa: N802 (the standard library's name)
        OldMediaHost.asked.append(self.path)
        if urlsplit(self.path).path == self.gone:
            self.send_error(404)
            return
        body = b"\x89PNG fake image for " + self.path.encode()
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *arguments):
        pass


def test_download_media_fetches_the_posts_files_and_keeps_links_whole(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), OldMediaHost)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"127.0.0.1:{server.server_address[1]}"
    try:
        text = corpus_file("wordpress/timothyfitz.wordpress-com.xml").read_text(encoding="utf-8")
        export = tmp_path / "blog.xml"
        export.write_text(text.replace("timothyfitz.files.wordpress.com", host), encoding="utf-8")
        # Every image or file the posts show or link to on the media host.
        shown = html.unescape(export.read_text(encoding="utf-8"))
        media = r"(/[^\"?#]+\.(?:png|jpe?g|gif|pdf|mp3|mp4))"
        used = set(re.findall(rf'(?:src|href)="https?://{re.escape(host)}{media}', shown, re.I))
        assert OldMediaHost.gone in used and len(used) > 3
        site = site_at(tmp_path / "site")

        dry = run(site, "import", "wordpress", str(export), "--download-media", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert OldMediaHost.asked == [] and not (site / "content" / "images").exists()

        result = run(site, "import", "wordpress", str(export), "--download-media")
        assert result.returncode == 0, result.stderr
        images = site / "content" / "images"
        fetched = {"/" + p.relative_to(images).as_posix() for p in images.rglob("*") if p.is_file()}
        assert fetched == used - {OldMediaHost.gone}
        assert f"media files downloaded: {len(used) - 1}" in result.stdout
        assert f"http://{host}{OldMediaHost.gone}: not downloaded (HTTP 404)" in result.stdout
        essays = "".join(p.read_text(encoding="utf-8") for p in (site / "content" / "essays").glob("*.md"))
        assert f"http://{host}{OldMediaHost.gone}" in essays  # the gone file keeps its old address
        assert "{static}/images/2009/02/waterfall.png" not in essays

        built = build_site(site / "pelicanconf.py", site / "output", site / "cache", cwd=site)
        assert built.returncode == 0, built.stderr
        assert broken_links(site / "output", other_hosts=True) == []
        pages = "".join(p.read_text(encoding="utf-8") for p in (site / "output" / "essays").rglob("*.html"))
        hot = set(re.findall(rf'src="http://{re.escape(host)}([^"]+)"', pages))
        assert hot == {OldMediaHost.gone}  # every other image is the site's own now
        for path in fetched:
            assert (site / "output" / "images" / path.lstrip("/")).is_file()

        asked = len(OldMediaHost.asked)
        again = run(site, "import", "wordpress", str(export), "--download-media")
        assert again.returncode == 0 and f"media files already there: {len(used) - 1}" in again.stdout
        assert OldMediaHost.asked[asked:] == [OldMediaHost.gone]  # only what is missing is asked again
    finally:
        server.shutdown()


def test_links_as_wordpress_writers_wrote_them_find_their_posts():
    from collections import Counter

    from pelican.plugins.reflections.importers.addresses import OldBlog

    blog = OldBlog.of("http://blog.example.org")
    blog.add(
        "http://blog.example.org/2007/04/14/the-add-in/", "http://blog.example.org/?p=7", "7", "essays/a.md"
    )
    blog.comments = {"15878": "r-01ABC"}
    counts = Counter()
    base = "http://blog.example.org/2008/06/01/later/"
    cases = {
        # no post at the root-meant address: what the old page's link led to
        "../2007/04/15/gone/": "http://blog.example.org/2008/06/01/2007/04/15/gone/",
        "../2007/04/14/the-add-in/": "{filename}/essays/a.md",
        "2007/04/14/the-add-in/#comment-15878": "{filename}/essays/a.md#r-01ABC",
        "/2007/04/14/the-add-in/#comment-999": "{filename}/essays/a.md",  # a comment not published
        "http://techblog.example.org/2007/04/14/the-add-in/": "{filename}/essays/a.md",  # another name
        "http://blog.example.org/?p=7#more": "{filename}/essays/a.md#more",
        "www.elsewhere.org/page": "http://www.elsewhere.org/page",
        "../metrics/dump.sql.gz": "http://blog.example.org/2008/06/01/metrics/dump.sql.gz",
        "irc://chat.example.net/#room": "irc://chat.example.net/#room",
        "https://other.example.com/about/": "https://other.example.com/about/",
        "#top": "#top",
    }
    for written, expected in cases.items():
        assert blog.target(written, counts, base) == expected, written
    # Curly quotes WordPress left out of the slug.
    curly = OldBlog.of("http://blog.example.org")
    curly.add("http://blog.example.org/2007/04/14/summer-the-add-in/", "", "8", "essays/b.md")
    assert (
        curly.target("/2007/04/14/summer-%E2%80%9Cthe-add-in%E2%80%9D/", counts) == "{filename}/essays/b.md"
    )
    # Inside a code block nothing changes; an autolink becomes a link that still shows its address.
    markdown = 'See <http://blog.example.org/?p=7>.\n\n```\n<a href="/2007/04/14/the-add-in/">\n```\n'
    assert blog.rewrite(markdown, counts) == (
        "See [http://blog.example.org/?p=7]({filename}/essays/a.md).\n\n"
        '```\n<a href="/2007/04/14/the-add-in/">\n```\n'
    )
