"""WSGI entry point: `granian --interface wsgi wsgi:app` (what `klaxon web` runs)."""

from app.web.factory import create_app

app = create_app()
