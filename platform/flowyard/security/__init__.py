"""Identity and protection: passwords, login sessions, (later) MFA, RBAC, API keys, audit."""
