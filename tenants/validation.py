"""Input rules for agency, tenant and user fields, with messages a shop owner understands."""

from __future__ import annotations

import re
import unicodedata
import zoneinfo

from email_validator import EmailNotValidError, validate_email

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class InvalidInput(ValueError):
    """A value a person typed is not acceptable; ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def clean_email(value: str, *, field: str = "email") -> str:
    """Normalise an address (lower-case) after checking its syntax (no DNS look-up)."""
    value = (value or "").strip()
    if not value:
        raise InvalidInput(field, "Enter an email address.")
    try:
        # test_environment admits the reserved ``.test`` domain (demo and test accounts).
        checked = validate_email(value, check_deliverability=False, test_environment=True)
        return checked.normalized.lower()
    except EmailNotValidError:
        raise InvalidInput(
            field, f'"{value}" is not a valid email address, e.g. name@example.com.'
        ) from None


def clean_name(value: str, *, field: str = "name", what: str = "name") -> str:
    value = " ".join((value or "").split())
    if not value:
        raise InvalidInput(field, f"Enter a {what}.")
    if len(value) > 120:
        raise InvalidInput(field, f"Keep the {what} under 120 characters.")
    return value


def clean_colour(value: str) -> str:
    value = (value or "").strip()
    if not HEX_COLOUR.match(value):
        raise InvalidInput("primary_color", "Pick a colour as a hex code such as #4f46e5.")
    return value.lower()


def clean_timezone(value: str) -> str:
    if value not in zoneinfo.available_timezones():
        raise InvalidInput("timezone", f'"{value}" is not a time zone we know, e.g. Europe/London.')
    return value


def clean_currency(value: str) -> str:
    value = (value or "").strip().upper()
    if not CURRENCY.match(value):
        raise InvalidInput("currency", "Use a three-letter currency code such as GBP or EUR.")
    return value


def clean_locale(value: str) -> str:
    value = (value or "").strip()
    if not LOCALE.match(value):
        raise InvalidInput("locale", "Use a language code such as en-GB or fr-FR.")
    return value


def clean_domain(value: str | None) -> str | None:
    value = (value or "").strip().lower().rstrip(".")
    if not value:
        return None
    if not DOMAIN.match(value):
        raise InvalidInput("custom_domain", f'"{value}" is not a valid domain name.')
    return value


def clean_url(value: str | None, *, field: str = "logo_url") -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if not (value.startswith("https://") or value.startswith("/")) or len(value) > 2048:
        raise InvalidInput(field, "Give the logo as an https:// address.")
    return value


def slugify(value: str) -> str:
    """ASCII slug for URLs: 'Café Rosa Ltd' → 'cafe-rosa-ltd', "Rosa's Bakery" → 'rosas-bakery'."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    ascii_text = re.sub(r"['\u2019]", "", ascii_text)  # "Rosa's" → "rosas", not "rosa-s"
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:48] or "client"
