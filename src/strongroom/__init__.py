"""Strongroom: a security-first, S3-compatible object store."""
