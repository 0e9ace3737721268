"""examples/slack-app-manifest.yaml points Slack at the endpoints this app serves, with the scopes it uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

MANIFEST = Path(__file__).resolve().parents[3] / "examples" / "slack-app-manifest.yaml"


def test_manifest_urls_are_our_slack_endpoints_and_scopes_cover_our_calls(flask_app: Any) -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    routes = {(rule.rule, method) for rule in flask_app.url_map.iter_rules() for method in rule.methods or ()}

    interactivity = manifest["settings"]["interactivity"]
    assert interactivity["is_enabled"] is True
    assert (urlparse(interactivity["request_url"]).path, "POST") in routes
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) == {"/oncall", "/incident"}
    assert all((urlparse(c["url"]).path, "POST") in routes for c in commands.values())
    assert commands["/incident"]["should_escape"] is True  # mentions arrive as <@U123|name>
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "chat:write", "im:write", "channels:manage", "channels:join", "pins:write", "users:read", "commands"}
