"""One simulated HubSpot account (portal): CRM contacts and deals with HubSpot's rules.

Objects keep HubSpot's v3 shape: numeric string ids, every value a string in ``properties``,
ISO timestamps. Contacts are unique by email (409 CONFLICT with "Existing ID"), deal stages must
belong to the pipeline, and every change queues the webhook event HubSpot would send.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.sandbox_kit import Clock


class HubSpotError(Exception):
    """Answered with HubSpot's error body: ``status``/``message``/``category`` (+ context)."""

    def __init__(self, status: int, category: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.category, self.message, self.extra = status, category, message, extra


PIPELINES = {
    "default": (
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "decisionmakerboughtin",
        "contractsent",
        "closedwon",
        "closedlost",
    )
}
CONTACT_DEFAULTS = ("email", "firstname", "lastname", "createdate", "lastmodifieddate")
DEAL_DEFAULTS = ("dealname", "amount", "dealstage", "pipeline", "closedate", "createdate")
CONTACT_WRITABLE = {
    "email",
    "firstname",
    "lastname",
    "phone",
    "company",
    "website",
    "lifecyclestage",
    "jobtitle",
    "city",
    "country",
}
DEAL_WRITABLE = {"dealname", "amount", "dealstage", "pipeline", "closedate", "description"}

Emit = Callable[[str, int, str | None, str | None], None]
"""(subscriptionType, objectId, propertyName, propertyValue)."""


@dataclass
class Portal:
    portal_id: int
    clock: Clock
    emit: Emit = lambda _t, _o, _n, _v: None
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    deals: dict[str, dict[str, Any]] = field(default_factory=dict)
    associations: set[tuple[str, str]] = field(default_factory=set)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(51))

    def _now(self) -> str:
        when = dt.datetime.fromtimestamp(self.clock.now(), tz=dt.UTC)
        return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    @staticmethod
    def _check(properties: Mapping[str, Any], writable: set[str]) -> dict[str, str]:
        unknown = sorted(set(properties) - writable)
        if unknown:
            raise HubSpotError(400, "VALIDATION_ERROR", f'Property "{unknown[0]}" does not exist')
        return {k: "" if v is None else str(v) for k, v in properties.items()}

    def _new(self, store: dict[str, dict[str, Any]], properties: dict[str, str]) -> dict[str, Any]:
        object_id, now = str(next(self._ids)), self._now()
        record = {
            "id": object_id,
            "properties": {
                **properties,
                "createdate": now,
                "lastmodifieddate": now,
                "hs_object_id": object_id,
            },
            "createdAt": now,
            "updatedAt": now,
            "archived": False,
        }
        store[object_id] = record
        return record

    def _patch(self, record: dict[str, Any], properties: dict[str, str], kind: str) -> None:
        for name, value in properties.items():
            if record["properties"].get(name) != value:
                record["properties"][name] = value
                self.emit(f"{kind}.propertyChange", int(record["id"]), name, value)
        record["updatedAt"] = record["properties"]["lastmodifieddate"] = self._now()

    def get(self, kind: str, object_id: str) -> dict[str, Any]:
        store = self.contacts if kind == "contact" else self.deals
        if object_id not in store:
            raise HubSpotError(
                404,
                "OBJECT_NOT_FOUND",
                "Object not found.  objectId are usually numeric.",
                context={"id": [object_id]},
            )
        return store[object_id]

    # -- contacts ------------------------------------------------------------------------------
    def by_email(self, email: str) -> dict[str, Any] | None:
        wanted = email.strip().lower()
        return next(
            (
                c
                for c in self.contacts.values()
                if c["properties"].get("email", "").lower() == wanted
            ),
            None,
        )

    def _email_ok(self, properties: Mapping[str, str], ignore: str | None = None) -> None:
        email = properties.get("email")
        if email is None:
            return
        if "@" not in email:
            raise HubSpotError(
                400,
                "VALIDATION_ERROR",
                f'Property values were not valid: email "{email}" is not a valid email address.',
            )
        existing = self.by_email(email)
        if existing is not None and existing["id"] != ignore:
            raise HubSpotError(
                409, "CONFLICT", f"Contact already exists. Existing ID: {existing['id']}"
            )

    def create_contact(self, properties: Mapping[str, Any]) -> dict[str, Any]:
        clean = self._check(properties, CONTACT_WRITABLE)
        self._email_ok(clean)
        record = self._new(self.contacts, clean)
        self.emit("contact.creation", int(record["id"]), None, None)
        return record

    def update_contact(self, object_id: str, properties: Mapping[str, Any]) -> dict[str, Any]:
        record = self.get("contact", object_id)
        clean = self._check(properties, CONTACT_WRITABLE)
        self._email_ok(clean, ignore=object_id)
        self._patch(record, clean, "contact")
        return record

    # -- deals ---------------------------------------------------------------------------------
    def _stage_ok(self, properties: Mapping[str, str], current: Mapping[str, str]) -> None:
        pipeline = properties.get("pipeline", current.get("pipeline", "default"))
        stage = properties.get("dealstage", current.get("dealstage"))
        if pipeline not in PIPELINES:
            raise HubSpotError(400, "VALIDATION_ERROR", f"Pipeline {pipeline} does not exist.")
        if stage is not None and stage not in PIPELINES[pipeline]:
            allowed = ", ".join(PIPELINES[pipeline])
            raise HubSpotError(
                400,
                "VALIDATION_ERROR",
                "Property values were not valid: "
                f"{stage} was not one of the allowed options: [{allowed}]",
            )

    def create_deal(
        self, properties: Mapping[str, Any], associations: list[Mapping[str, Any]]
    ) -> dict[str, Any]:
        clean = self._check(properties, DEAL_WRITABLE)
        clean.setdefault("pipeline", "default")
        self._stage_ok(clean, {})
        contact_ids = [str((a.get("to") or {}).get("id")) for a in associations]
        for contact_id in contact_ids:
            if contact_id not in self.contacts:
                raise HubSpotError(
                    400,
                    "VALIDATION_ERROR",
                    f"Association target contact {contact_id} does not exist.",
                )
        record = self._new(self.deals, clean)
        self.associations.update((record["id"], c) for c in contact_ids)
        self.emit("deal.creation", int(record["id"]), None, None)
        return record

    def update_deal(self, object_id: str, properties: Mapping[str, Any]) -> dict[str, Any]:
        record = self.get("deal", object_id)
        clean = self._check(properties, DEAL_WRITABLE)
        self._stage_ok(clean, record["properties"])
        self._patch(record, clean, "deal")
        return record
