"""TOML text → located raw data → typed spec model → validation and cross-checks."""
