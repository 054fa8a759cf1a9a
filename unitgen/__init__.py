"""unitgen: compile declarative TOML service specs into systemd unit files for fleet."""

__version__ = "0.1.0"
