"""Import Staticman's comment files: a Jekyll or Hugo site's `_data/comments/<slug>/*.yml` (or
`.json`, or Markdown with front matter), with the site's `staticman.yml`.

Staticman writes one file per approved comment (moderation is a merged pull request), into the
folder its configuration's `path` names, usually one folder per page (`{options.slug}`). The
configuration says where that is and which fields a comment has; the field names differ from site
to site (`message` or `comment`, `url` or `link`), so the usual ones are each looked for.

A folder is matched to an essay by `--map`, by its name being a slug, or by the page address the
comments carry (`_parent`, `post_id`). Threads: `replying_to_uid` (or a `replying_to` holding an
`_id`) names the comment answered; a number in `replying_to` is, as Jekyll themes that thread
Staticman comments read it, the place of the answered comment among the thread's top-level ones
in file-name order, from 1. Emails (often an md5 hash) are only compared with `--author`.
"""

import hashlib
import json
import os
import re
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path

import yaml

from ..core.essay_header import EssayInfo
from .plan import ImportFailed, Plan, Unmatched, comment_id, essay_matcher, kept_website, read_text

SOURCE = "staticman"
CONFIG_NAMES = ("staticman.yml", "staticman.yaml", "staticman.json")
SUFFIXES = {".yml", ".yaml", ".json", ".md", ".markdown"}
#: The names sites give each field, the most usual first.
BODY_FIELDS = ("message", "comment", "body", "content", "text")
NAME_FIELDS = ("name", "author")
WEBSITE_FIELDS = ("url", "website", "link", "web", "homepage")
PAGE_FIELDS = ("_parent", "post_id", "parent_url", "permalink", "page")
ANSWER_FIELDS = ("replying_to_uid", "parent_id", "replying_to", "reply_to")
ID_FIELDS = ("_id", "id")
#: Staticman's file names end in the moment it took the comment, in milliseconds (`{@timestamp}`).
TIMESTAMP = re.compile(r"(\d{10,13})$")
#: A Jekyll post's file name (`2019-04-02-learning-to-stay`): the slug after the day.
JEKYLL_POST = re.compile(r"^\d{4}-\d{2}-\d{2}-(.+)$")


class StaticmanError(ImportFailed):
    """Files that cannot be imported: one line saying which and why."""


class _CommentLoader(yaml.SafeLoader):
    """Safe loading, and the two string tags a Python 2 migration script writes
    (`!!python/unicode 'Renée'`, `!!python/str`) read as the plain strings they are. No other
    Python tag: those build objects, and this reads other people's files."""


for _tag in ("tag:yaml.org,2002:python/unicode", "tag:yaml.org,2002:python/str"):
    _CommentLoader.add_constructor(_tag, yaml.SafeLoader.construct_yaml_str)


def _load_yaml(text: str, path: Path) -> list:
    try:
        # A `---`-wrapped file is two documents, one empty.
        return [doc for doc in yaml.load_all(text, Loader=_CommentLoader) if doc not in (None, "")]
    except yaml.YAMLError as error:
        problem = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise StaticmanError(f"{path}: not readable YAML ({problem})") from None


def read_config(path: Path) -> dict:
    """The comment property of a `staticman.yml` (the one named `comments`, else the first)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise StaticmanError(f"{path}: cannot be read ({error})") from None
    documents = [json.loads(text)] if path.suffix == ".json" else _load_yaml(text, path)
    properties = documents[0] if documents and isinstance(documents[0], dict) else {}
    chosen = properties.get("comments") or next(
        (value for value in properties.values() if isinstance(value, dict) and "path" in value), None
    )
    if not isinstance(chosen, dict):
        raise StaticmanError(f"{path}: not a Staticman configuration (no property with a `path`)")
    return chosen


def _find_config(folder: Path) -> Path | None:
    for place in (folder, *list(folder.parents)[:4]):
        for name in CONFIG_NAMES:
            if (place / name).is_file():
                return place / name
    return None


def _comments_folder(given: Path, config_file: Path | None, config: dict) -> Path:
    """The folder the comments are in: the one given, or, given the site, the config's `path`
    up to its first placeholder."""
    if config_file is not None and given.resolve() == config_file.parent.resolve():
        fixed = str(config.get("path", "")).split("{", 1)[0].strip("/")
        if fixed and (given / fixed).is_dir():
            return given / fixed
    return given


def _read_file(path: Path) -> dict:
    text = read_text(path)
    if path.suffix == ".json":
        try:
            documents = [json.loads(text)]
        except ValueError as error:
            raise StaticmanError(f"{path}: not readable JSON ({error})") from None
    elif path.suffix in (".md", ".markdown"):
        _, front, body = (text.split("---", 2) + ["", ""])[:3]
        documents = _load_yaml(front, path)
        if documents and isinstance(documents[0], dict) and body.strip():
            documents[0].setdefault("message", body.strip("\n"))
    else:
        documents = _load_yaml(text, path)
    if len(documents) != 1 or not isinstance(documents[0], dict):
        raise StaticmanError(f"{path}: not a Staticman comment (one mapping of fields expected)")
    return documents[0]


def _field(fields: dict, names: tuple[str, ...]) -> str:
    for name in names:
        value = fields.get(name)
        if isinstance(value, str | int | float) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return ""


def _moment(fields: dict, path: Path, zone: tzinfo) -> datetime | None:
    value = fields.get("date") or fields.get("timestamp")
    moment = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):  # YAML reads an unquoted day as one
        moment = datetime.combine(value, time())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            moment = None
    if moment is None and (found := TIMESTAMP.search(path.stem)):
        number = int(found.group(1))
        moment = datetime.fromtimestamp(number / 1000 if number > 1e11 else number, UTC)
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def read_folder(
    folder: str | os.PathLike,
    essays: dict[str, EssayInfo],
    zone: tzinfo,
    mapping: dict | None = None,
    author: str = "",
    config_file: str | os.PathLike | None = None,
    pages: dict[str, str] | None = None,
) -> tuple[Plan, list[str]]:
    """The plan of a Staticman comments folder (or the site holding it) for these essays, and one
    line per thread that matches none (a thread on one of the site's `pages`, slug → address, is
    counted as such). `zone` is the site's, for a date written without one."""
    given = Path(folder)
    if not given.is_dir():
        raise StaticmanError(f"{given}: not a folder (give the site, or its _data/comments/)")
    found = Path(config_file) if config_file else _find_config(given.resolve())
    config = read_config(found) if found else {}
    root = _comments_folder(given, found, config)
    name = str(config.get("name") or root.resolve().parent.parent.name or root.name)
    plan = Plan(site=f"staticman:{name}", version="Staticman files", source=SOURCE)
    threads: dict[str, list[tuple[Path, dict]]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in SUFFIXES and not path.name.startswith("."):
            try:
                fields = _read_file(path)
            except ImportFailed as error:  # one bad file does not hide the others: all are listed
                plan.unreadable.append((str(path.relative_to(root)), str(error).removeprefix(f"{path}: ")))
                continue
            # Files in one folder per page; files all in one folder say their page.
            key = path.parent.name if path.parent != root else _field(fields, PAGE_FIELDS) or "(no page)"
            threads.setdefault(key, []).append((path, fields))
    if not threads and not plan.unreadable:
        raise StaticmanError(f"{root}: no Staticman comment files (.yml, .json or .md) in it")
    essay_of = essay_matcher(essays, mapping or {})
    unmatched = Unmatched(plan, pages)
    for key, files in sorted(threads.items()):
        page = next((_field(fields, PAGE_FIELDS) for _, fields in files if _field(fields, PAGE_FIELDS)), "")
        essay = essay_of(key, page) if page.startswith(("/", "http")) else essay_of(key, "")
        if essay is None and (jekyll := JEKYLL_POST.match(key)):
            essay = essay_of(jekyll.group(1), "")  # a folder named like its Jekyll post
        if essay is None:
            unmatched.add(key, len(files), key, page if page.startswith(("/", "http")) else "")
            continue
        _read_thread(key, files, essay, zone, author, plan)
    return plan, unmatched.notes()


def _is_author(author: str, name: str, email: str) -> bool:
    if not author:
        return False
    wanted = author.strip().lower()
    hashed = hashlib.md5(wanted.encode(), usedforsecurity=False).hexdigest()
    return wanted in (name.lower(), email.lower()) or email.lower() == hashed


def _read_thread(key: str, files: list, essay: str, zone: tzinfo, author: str, plan: Plan) -> None:
    read = []
    for path, fields in files:
        moment = _moment(fields, path, zone)
        if moment is None:
            plan.counts["comments without a date skipped"] += 1
            continue
        read.append((path, fields, moment, comment_id(plan.site, f"{key}/{path.name}", moment)))
    by_id = {_field(f, (name,)): item for _, f, _, item in read for name in ID_FIELDS if _field(f, (name,))}
    # Jekyll sorts a data folder by file name; a numbered answer counts the top-level ones from 1.
    top = [item for path, fields, _, item in sorted(read, key=lambda r: r[0].stem) if not _answers(fields)]
    for _path, fields, moment, item_id in read:
        body = _field(fields, BODY_FIELDS).replace("\r\n", "\n")
        if not body:
            plan.counts["empty comments skipped"] += 1
            continue
        answers = _answers(fields)
        parent = by_id.get(answers, "")
        if not parent and answers.isdigit() and 1 <= int(answers) <= len(top):
            parent = top[int(answers) - 1]
        if answers and not parent:
            plan.counts["replies whose comment is not there, imported as comments"] += 1
        name = _field(fields, NAME_FIELDS)
        response = bool(parent) and _is_author(author, name, _field(fields, ("email",)))
        website = kept_website(_field(fields, WEBSITE_FIELDS), plan.counts)
        plan.publish(item_id, essay, moment, body, name, parent=parent, website=website, response=response)


def _answers(fields: dict) -> str:
    return _field(fields, ANSWER_FIELDS)
