"""The intake service as an ASGI application, for any ASGI server:

    uvicorn pelican.plugins.reflections.asgi:app --host 127.0.0.1 --port 8001

Its settings come from the environment (REFLECTIONS_SITE, REFLECTIONS_DATABASE_URL, …), read when
this module is imported. It runs intake, moderation and mail; one `reflections publish --watch`
per site publishes, and the web server serves output/.
"""

from .serve import intake_app

app = intake_app()
