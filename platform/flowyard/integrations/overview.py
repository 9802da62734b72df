"""What the Integrations page shows, as plain dicts: catalog cards, connection cards, sync logs.

No token ever leaves here: cards carry names, health and links only.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import urlencode

from sqlmodel import Session, col, select

from flowyard import clock
from flowyard.integrations import catalog, connections
from flowyard.integrations.models import ConnectionStatus, SyncJob, SyncRun
from marketplace import registry

STATUS = {
    ConnectionStatus.ACTIVE: ("Healthy", "green"),
    ConnectionStatus.NEEDS_RECONNECT: ("Needs reconnect", "red"),
}
RUN_STATUS = {
    "succeeded": ("Succeeded", "green"),
    "partial": ("Needs attention", "amber"),
    "failed": ("Failed", "red"),
    "running": ("Running", "blue"),
}


def ago(when: datetime | None) -> str:
    """``just now``, ``5 min ago``, ``3 h ago``, ``2 days ago`` — or ``never``."""
    if when is None:
        return "never"
    seconds = max(0, int((clock.now() - when).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def start_url(connector_key: str, slug: str, reconnect: uuid.UUID | None = None) -> str:
    query = {"tenant": slug, **({"reconnect": str(reconnect)} if reconnect else {})}
    return f"/oauth/start/{connector_key}?{urlencode(query)}"


def catalog_cards(slug: str, search: str = "", category: str = "") -> list[dict[str, str]]:
    return [
        {
            "key": entry.key,
            "name": entry.name,
            "description": entry.description,
            "categories": ", ".join(c.replace("-", " ") for c in entry.categories),
            "connectable": "yes" if entry.connectable else "",
            "connect_url": start_url(entry.key, slug),
        }
        for entry in catalog.entries(search, category)
    ]


def _app_name(key: str) -> str:
    found = registry.connectors().get(key)
    return found.name if found else key


def connection_cards(db: Session, slug: str) -> list[dict[str, str]]:
    today = clock.now().date().isoformat()
    cards = []
    for row in connections.list_active(db):
        label, tone = STATUS.get(ConnectionStatus(row.status), ("Disconnected", "gray"))
        app = _app_name(row.connector_key)
        cards.append(
            {
                "id": str(row.id),
                "key": row.connector_key,
                "app": app + (" (sandbox)" if row.sandbox else ""),
                "account": row.account_label,
                "status": label,
                "tone": tone,
                "needs_reconnect": "yes" if row.status == ConnectionStatus.NEEDS_RECONNECT else "",
                "reason": row.reconnect_reason,
                "last_success": ago(row.last_success_at),
                "last_error": row.last_error if row.status == ConnectionStatus.ACTIVE else "",
                "last_error_when": ago(row.last_error_at) if row.last_error_at else "",
                "calls_today": str(row.calls_today if row.calls_day == today else 0),
                "headroom": "—" if row.headroom_percent is None else f"{row.headroom_percent}%",
                "reconnect_url": start_url(row.connector_key, slug, row.id),
            }
        )
    return cards


def sync_logs(db: Session, limit: int = 10) -> list[dict[str, str]]:
    jobs = {j.id: j for j in db.exec(select(SyncJob)).all()}
    runs = db.exec(select(SyncRun).order_by(col(SyncRun.started_at).desc()).limit(limit)).all()
    out = []
    for run in runs:
        label, tone = RUN_STATUS.get(run.status, (run.status, "gray"))
        problems = [
            f"{(e.get('record') or {}).get('name') or (e.get('record') or {}).get('id')}: "
            f"{e.get('message')}"
            for e in run.errors[:5]
        ]
        job = jobs.get(run.job_id)
        out.append(
            {
                "job": job.name if job else "Sync",
                "status": label,
                "tone": tone,
                "when": ago(run.started_at),
                "counts": f"{run.processed} looked at · {run.created} created · "
                f"{run.updated} updated · {run.skipped} unchanged · {len(run.errors)} problems",
                "duration": f"{(run.duration_ms or 0) / 1000:.1f} s",
                "problems": "\n".join(problems),
                "message": run.message,
            }
        )
    return out
