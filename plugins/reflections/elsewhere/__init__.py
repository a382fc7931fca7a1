"""Replies from elsewhere: webmentions from other sites, replies on Mastodon and on Bluesky. Each is
fetched as hostile (fetch.py), made into reader text (text.py) and queued pending like a reflection
sent through the form: nothing from elsewhere is shown before the author approves it."""
