"""API errors: one JSON shape for every failure, with field-level messages where they apply."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.responses import JSONResponse


class FieldError(BaseModel):
    field: str
    message: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: list[FieldError] = []


class ErrorBody(BaseModel):
    """What every 4xx answer carries."""

    error: ErrorDetail


class ApiError(Exception):
    """Raised by handlers; becomes a JSON error response."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields = fields or []
        self.headers = headers or {}

    def response(self, extra_headers: dict[str, str] | None = None) -> JSONResponse:
        body = ErrorBody(error=ErrorDetail(code=self.code, message=self.message,
                                           fields=self.fields))  # fmt: skip
        return JSONResponse(
            body.model_dump(mode="json"),
            status_code=self.status,
            headers={**(extra_headers or {}), **self.headers},
        )


def not_found(what: str = "That record") -> ApiError:
    return ApiError(404, "not_found", f"{what} was not found (or belongs to another account).")


def invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid", message, [FieldError(field=field, message=message)])


def from_validation(error: ValidationError, prefix: str = "body") -> ApiError:
    """Pydantic's errors as ``{field, message}`` pairs a person can act on."""
    fields = []
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in (prefix, *item.get("loc", ())))
        fields.append(FieldError(field=location, message=_message(item)))
    summary = fields[0].message if len(fields) == 1 else f"{len(fields)} fields need attention."
    return ApiError(422, "invalid", summary, fields)


def _message(item: dict[str, Any]) -> str:
    kind, msg = item.get("type", ""), item.get("msg", "Invalid value")
    if kind == "missing":
        return "This field is required."
    if kind == "extra_forbidden":
        return "This field is not accepted here."
    return str(msg)
