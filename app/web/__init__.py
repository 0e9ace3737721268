"""HTTP surface: the app factory, alerts in, the REST API, provider webhooks, health, the web page, tokens."""
