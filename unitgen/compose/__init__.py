"""Compose files from the specs (``unitgen compose``): the resolved specs of one environment
→ a Compose document as plain data (``convert``) → deterministic YAML (``yaml``) → a file
written atomically, or compared with the one on disk (``files``)."""
