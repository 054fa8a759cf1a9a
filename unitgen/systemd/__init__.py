"""What systemd 252 and fleet v1.0.0 accept: directives, values, names, quoting, the unit-file reader."""
