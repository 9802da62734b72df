"""Data protection: GDPR export and erasure, and the compliance report."""
