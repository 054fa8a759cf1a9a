"""Hand-written unit files → specs (``unitgen import``): the compiler's reverse direction.

``reader`` reads a unit file (systemd's reading, fleet's for ``[X-Fleet]``); ``shellcmd``
unwraps ``sh -c`` around one simple command; ``dockerrun`` parses ``docker run``'s
options; ``spectext`` turns systemd text into spec text; ``recognise`` turns one unit into
spec data; ``sidekicks`` attaches presence sidekicks and instance files to their service;
``factor`` moves what repeats into ``[defaults]`` and ``extends``; ``toml_writer`` writes
the result; ``session`` runs an import from paths to files.
"""
