"""Passwords attackers try first: a small embedded list plus patterns (no network calls).

The list holds the most common leaked passwords long enough to pass the length rule; the
patterns catch their variants (a word plus digits, keyboard walks, one repeated chunk).
"""

from __future__ import annotations

import re

_COMMON_TEXT = """
    password password1 password12 password123 password1234 passw0rd123 p@ssw0rd123
    1234567890 0987654321 12345678910 1q2w3e4r5t 1qaz2wsx3edc qwertyuiop qwerty1234
    qwerty12345 qwertyuiop1 asdfghjkl1 zxcvbnm123 iloveyou123 letmein123 welcome123
    welcome1234 administrator admin12345 admin123456 abc1234567 abcdefghij football123
    baseball123 sunshine123 princess123 dragon1234 monkey1234 master1234 superman123
    trustno1234 starwars123 whatever123 computer123 changeme123 changeme! michael123
    jennifer123 charlie123 shadow1234 liverpool1 chelsea123 arsenal123 manchester
    flowyard123 flowyard2024 flowyard2025 flowyard2026 summer2024 summer2025 winter2024
    winter2025 spring2025 autumn2025 january2025 company123 business123 secret1234
    mypassword mypassword1 newpassword newpassword1 default123 guest12345 test123456
    testtest123 temp123456 hello12345 lovely1234 freedom123 whatever1 qwerty123!
"""
COMMON = frozenset(_COMMON_TEXT.split())

_WORDS = (
    "password|passw0rd|p@ssword|p@ssw0rd|qwerty|letmein|welcome|admin|iloveyou|"
    "monkey|dragon|football|sunshine|princess|flowyard|changeme|secret|master"
)
_PATTERNS = (
    re.compile(rf"^({_WORDS})[\d!@#$%^&*.]*$", re.IGNORECASE),
    re.compile(r"^[\d\W_]+$"),  # digits and punctuation only
    re.compile(r"^(.{1,4})\1+$"),  # one short chunk repeated: abcabcabcabc
    re.compile(r"^(qwerty|asdfgh|zxcvbn|1qaz2wsx|qazwsx)", re.IGNORECASE),
    re.compile(r"^[a-z]+(19|20)\d\d[!.]?$", re.IGNORECASE),  # word + year: summer2025
)


def is_breached(password: str) -> bool:
    """True for passwords on the common list or built on a well-known pattern."""
    lowered = password.lower()
    if lowered in COMMON:
        return True
    return any(pattern.search(password) for pattern in _PATTERNS)
