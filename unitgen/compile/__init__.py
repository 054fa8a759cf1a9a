"""Spec model → unit IR → IR lint → deterministic unit-file text."""
