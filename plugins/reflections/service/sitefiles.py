"""The built site, as `reflections serve` serves it: Starlette's StaticFiles, each answer one
version of its file.

Starlette looks at a file (its length, its validators), sends the headers, then opens the file by
name to send its bytes. The publisher replaces a page by renaming a new file into place, so a page
republished in between was answered with the old length and the new bytes: cut off, or refused by
the server part way (139 of 300 reads of a page being republished, before). Here a page is opened
once, and its length, validators and bytes all come from that one opened file.
"""

import os

import anyio
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

#: Files up to this size (every page and feed) are read whole from the file that was opened; a
#: larger one (a photograph, say) is streamed as Starlette streams it.
WHOLE_MAX = 4 * 1024 * 1024


class SiteFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if type(response) is FileResponse and scope["method"] in ("GET", "HEAD"):
            return await anyio.to_thread.run_sync(_one_version, response)
        return response


def _one_version(response: FileResponse) -> Response:
    """`response`'s file read whole from one opened file, with that file's headers; `response`
    itself when the file is large or cannot be opened now (Starlette then says why)."""
    try:
        with open(response.path, "rb") as file:
            opened = os.fstat(file.fileno())
            if opened.st_size > WHOLE_MAX:
                return response
            body = file.read()
    except OSError:
        return response
    # The same headers as Starlette makes them (type, validators), from the file that was read.
    headers = FileResponse(response.path, status_code=response.status_code, stat_result=opened).headers
    fresh = Response(body, status_code=response.status_code, headers=dict(headers))
    fresh.headers["content-length"] = str(len(body))
    return fresh
