"""One simulated Asana workspace: a team, project templates, projects, tasks and jobs.

Objects keep Asana's shape (string gids, ``resource_type``, compact references); errors are
raised as :class:`AsanaError` and answered ``{"errors": [{"message": …}]}``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.sandbox_kit import Clock


class AsanaError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


Emit = Callable[[str, dict[str, Any], dict[str, Any] | None, dict[str, Any] | None], None]
"""(action, resource, parent, change) of an Asana event."""


def ref(record: Mapping[str, Any]) -> dict[str, Any]:
    """Asana's compact representation."""
    return {"gid": record["gid"], "resource_type": record["resource_type"], "name": record["name"]}


@dataclass
class Workspace:
    clock: Clock
    emit: Emit = lambda _a, _r, _p, _c: None
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    _gids: itertools.count = field(default_factory=lambda: itertools.count(1_200_000_000_000_001))

    def __post_init__(self) -> None:
        self.workspace = self._add("workspace", name="Sandbox Org", is_organization=True)
        self.team = self._add("team", name="Delivery")
        self.user = self._add("user", name="Sandbox User", email="user@sandbox.test")

    def _now(self) -> str:
        when = dt.datetime.fromtimestamp(self.clock.now(), tz=dt.UTC)
        return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _add(self, resource_type: str, **fields: Any) -> dict[str, Any]:
        record = {"gid": str(next(self._gids)), "resource_type": resource_type, **fields}
        self.objects[record["gid"]] = record
        return record

    def get(self, resource_type: str, gid: str) -> dict[str, Any]:
        found = self.objects.get(gid)
        if found is None or found["resource_type"] != resource_type:
            raise AsanaError(404, f"{resource_type}: Unknown object: {gid}")
        return found

    # -- templates and projects ----------------------------------------------------------------
    def add_template(self, name: str, task_names: list[str], date_variables: list[str]) -> dict:
        dates = [
            {"gid": str(n + 1), "name": v, "description": f"{v} of the project"}
            for n, v in enumerate(date_variables)
        ]
        return self._add(
            "project_template",
            name=name,
            team=ref(self.team),
            requested_dates=dates,
            task_names=list(task_names),
        )

    def instantiate(self, template_gid: str, data: Mapping[str, Any]) -> dict[str, Any]:
        template = self.get("project_template", template_gid)
        if not data.get("name"):
            raise AsanaError(400, "name: Missing input")
        given = {d.get("gid"): d.get("value") for d in data.get("requested_dates") or []}
        unknown = set(given) - {d["gid"] for d in template["requested_dates"]}
        if unknown:
            raise AsanaError(400, f"requested_dates: Unknown date variable {sorted(unknown)[0]}")
        if data.get("is_strict") and len(given) < len(template["requested_dates"]):
            raise AsanaError(422, "requested_dates: Every date variable needs a value")
        team = self.get("team", data["team"]) if data.get("team") else self.team
        project = self._add(
            "project",
            name=data["name"],
            team=ref(team),
            public=bool(data.get("public")),
            workspace=ref(self.workspace),
            created_at=self._now(),
            archived=False,
        )
        for task_name in template["task_names"]:
            self.create_task({"name": task_name, "projects": [project["gid"]]})
        return self._add(
            "job",
            name="",
            resource_subtype="instantiate_project",
            status="in_progress",
            new_project=ref(project),
            new_task=None,
            new_project_template=None,
        )

    def poll_job(self, gid: str) -> dict[str, Any]:
        """Jobs finish on their first poll: enough to exercise a client's polling loop."""
        job = self.get("job", gid)
        job["status"] = "succeeded"
        return job

    # -- tasks ---------------------------------------------------------------------------------
    def by_external(self, external_gid: str) -> dict[str, Any]:
        for record in self.objects.values():
            if (
                record["resource_type"] == "task"
                and (record.get("external") or {}).get("gid") == external_gid
            ):
                return record
        raise AsanaError(404, f"task: Unknown object: external:{external_gid}")

    def create_task(self, data: Mapping[str, Any]) -> dict[str, Any]:
        if not data.get("name"):
            raise AsanaError(400, "name: Missing input")
        projects = [self.get("project", str(gid)) for gid in data.get("projects") or []]
        if not projects and not data.get("workspace"):
            raise AsanaError(400, "You should specify one of workspace, parent, projects")
        if data.get("workspace") and data["workspace"] != self.workspace["gid"]:
            raise AsanaError(404, f"workspace: Unknown object: {data['workspace']}")
        assignee = data.get("assignee")
        if assignee and assignee not in ("me", self.user["gid"], self.user["email"]):
            raise AsanaError(400, f"assignee: Not a recognized ID: {assignee}")
        now = self._now()
        task = self._add(
            "task",
            resource_subtype="default_task",
            name=data["name"],
            notes=data.get("notes", ""),
            completed=False,
            completed_at=None,
            due_on=data.get("due_on"),
            assignee={"gid": self.user["gid"], "resource_type": "user"} if assignee else None,
            projects=[ref(p) for p in projects],
            workspace=ref(self.workspace),
            external=data.get("external"),
            created_at=now,
            modified_at=now,
        )
        task["permalink_url"] = f"https://app.asana.com/0/0/{task['gid']}"
        parent = projects[0] if projects else None
        self.emit("added", task, parent, None)
        return task

    def update_task(self, gid: str, data: Mapping[str, Any]) -> dict[str, Any]:
        task = self.get("task", gid)
        for name in ("name", "notes", "due_on", "completed"):
            if name in data and task.get(name) != data[name]:
                task[name] = data[name]
                if name == "completed":
                    task["completed_at"] = self._now() if data[name] else None
                self.emit("changed", task, None, {"field": name, "action": "changed"})
        task["modified_at"] = self._now()
        return task
