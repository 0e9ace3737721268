"""The plain web page at `/`: open incidents and the console outbox, refreshed every few seconds."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlmodel import col, select

from app.models import ConsoleMessage, Incident, IncidentStatus
from app.web.api_docs import documented
from app.web.context import db, runtime

bp = Blueprint("web", __name__)


@bp.get("/")
@documented(bearer=False, errors=(), tag="web")
def index() -> str:
    """Open incidents, newest first, and the latest console outbox messages."""
    session = db()
    open_incidents = session.exec(
        select(Incident).where(col(Incident.status) != IncidentStatus.RESOLVED)
        .order_by(col(Incident.id).desc()).limit(50)
    ).all()
    recent = session.exec(select(Incident).where(col(Incident.status) == IncidentStatus.RESOLVED)
                          .order_by(col(Incident.id).desc()).limit(10)).all()
    outbox = session.exec(select(ConsoleMessage).order_by(col(ConsoleMessage.id).desc()).limit(50)).all()
    return render_template("index.html", incidents=open_incidents, resolved=recent, outbox=outbox,
                           public_url=runtime().settings.public_url)
