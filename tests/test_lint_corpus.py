"""unitgen lint on the 166 real fleet units of ../shared/corpus/fleet-units.

EXPECTED is the exact set of (file, line, code) findings.  Every flagged file was read by
hand; the comment says why each finding is right.  A change in the linter that changes a
finding must come with a new review here, not a silent update.
"""

from __future__ import annotations

import csv
from pathlib import Path

from unitgen.diagnostics import Severity
from unitgen.lint import lint_paths

EXPECTED: set[tuple[str, int | None, str]] = {
    # KillMode=none: systemd 252 warns it is unsafe and deprecated (verify_warnings=1 in CLASSIFY).
    ("auth0__coreos-mongodb/mongo-replica-config.service", 6, "L203"),
    ("auth0__coreos-mongodb/mongo@.service", 9, "L203"),
    # [X-Fleet] X-Conflicts= / X-ConditionMachineOf=: deprecated aliases fleet v1.0.0 still reads.
    ("auth0__coreos-mongodb/mongo-data@.service", 18, "L413"),
    ("auth0__coreos-mongodb/mongo@.service", 92, "L413"),
    ("coreos__unit-examples/apache-discovery.1.service", 10, "L413"),
    ("coreos__unit-examples/apache.1.service", 11, "L413"),
    ("coreos__unit-examples/etcd-amb-redis.service", 9, "L413"),
    ("coreos__unit-examples/etcd-amb-redis2.service", 8, "L413"),
    ("coreos__unit-examples/example-v1.0.0-A.service", 14, "L413"),
    ("coreos__unit-examples/example-v2.0.0-A.service", 14, "L413"),
    ("coreos__unit-examples/mixed-register-v1.0.0-A.service", 15, "L413"),
    ("coreos__unit-examples/redis-docker-reg.service", 8, "L413"),
    ("coreos__unit-examples/redis-dyn-amb.service", 11, "L413"),
    ("coreos__unit-examples/subgun-http.1.service", 11, "L413"),
    ("coreos__unit-examples/subgun-http@.service", 11, "L413"),
    ("coreos__unit-examples/switch-register-v1.0.0-A.service", 15, "L413"),
    ("coreos__unit-examples/switch-register-v2.0.0-A.service", 14, "L413"),
    ("paulczar__docker-percona_galera/database-1-data.service", 14, "L413"),
    ("paulczar__docker-percona_galera/database-1.service", 14, "L413"),
    ("paulczar__docker-percona_galera/database-data@.service", 14, "L413"),
    ("paulczar__docker-percona_galera/database@.service", 16, "L413"),
    ("paulczar__docker-percona_galera/maxscale@.service", 15, "L413"),
    ("royvandewater__royvandewater-com-services/c3po-register.service", 17, "L413"),
    ("royvandewater__royvandewater-com-services/c3po-register@.service", 17, "L413"),
    # zk@.service: line 20 of the ExecStart= continuation lacks its trailing '\', so the
    # "..." opened on line 14 (column 28) is never closed: systemd's "Unbalanced quoting",
    # fatal (CLASSIFY verify_fatal=y).  Lines 21-22 then stand alone: "$zk_cluster \" +
    # "${DOCKER_IMAGE}"" has no '=' (systemd stops at the fatal error first; fleet's parser
    # fails there with "unexpected newline encountered while parsing option name").
    ("cgswong__docker-zookeeper/zk@.service", 14, "L301"),
    ("cgswong__docker-zookeeper/zk@.service", 21, "L104"),
    # MachineMetadata="ram>=1024": fleet v1.0.0 matches metadata exactly, so this asks for a
    # key "ram>" with value "1024" (operators were a 2016 master experiment, not v1.0.0).
    ("coreos__fleet/metadata-op.service", 5, "L406"),
    # -e SUBGUN_API_KEY=key-779ru4... : a literal Mailgun API key in ExecStart=.
    ("coreos__unit-examples/subgun-http.1.service", 7, "L501"),
    ("coreos__unit-examples/subgun-http@.service", 7, "L501"),
    # MachineID=CHANGEME: a placeholder no machine ID (32 hex digits, or 8) can ever equal.
    ("deis__deis/deis-builder-data.service", 14, "L414"),
    ("deis__deis/deis-database-data.service", 14, "L414"),
    ("deis__deis/deis-logger-data.service", 14, "L414"),
    ("deis__deis/deis-registry-data.service", 14, "L414"),
    # StandardOutput=null in [Unit]: "Unknown key 'StandardOutput' in section [Unit]" (verify),
    # the setting is lost; it belongs in [Service].
    ("deis__deis/deis-discovery.service", 5, "L201"),
    # ExecStartPre=-/usr/bin/etcdctl mkdir /deis/cache >/dev/null 2>&1: no shell runs, so
    # etcdctl receives ">/dev/null" and "2>&1" as arguments.
    ("deis__deis/deis-registry.service", 7, "L305"),
    # pulcy/j2 test outputs: MachineID=123456789 (9 characters: matches no machine) together
    # with Conflicts= (and MachineOf= in three of them): fleet's ValidateOptions refuses
    # "MachineID cannot be used with Conflicts" / "... with Peers".
    ("pulcy__j2/test-web-backup-mn@1.service", 22, "L401"),
    ("pulcy__j2/test-web-backup-mn@1.service", 22, "L414"),
    ("pulcy__j2/test-web-nginx-mn@1.service", 42, "L401"),
    ("pulcy__j2/test-web-nginx-mn@1.service", 42, "L414"),
    ("pulcy__j2/test-web-storage-mn@1.service", 30, "L401"),
    ("pulcy__j2/test-web-storage-mn@1.service", 30, "L414"),
    ("pulcy__j2/test-web-storage-pr0@1.service", 30, "L401"),
    ("pulcy__j2/test-web-storage-pr0@1.service", 30, "L414"),
    # [X-fleet] (lower-case f): fleet ignores the section, so X-Conflicts= never applies
    # (CLASSIFY xfleet_section_miscased=y).
    ("royvandewater__royvandewater-com-services/c3po.service", 17, "L405"),
    ("royvandewater__royvandewater-com-services/c3po@.service", 18, "L405"),
    # -e MYSQL_ROOT_PASSWORD=... / WORDPRESS_DB_PASSWORD=... / RABBITMQ_PASS=rabbit1: literal passwords.
    ("royvandewater__royvandewater-com-services/mysql.service", 15, "L501"),
    ("royvandewater__royvandewater-com-services/royvandewater_com.service", 20, "L501"),
    ("tleyden__open-ocr/rabbitmq.service", 9, "L501"),
    # -amqp_uri "amqp://admin:rabbit1@$RABBIT": a password inside a URL.
    ("tleyden__open-ocr/httpd.service", 9, "L502"),
    ("tleyden__open-ocr/worker.service", 9, "L502"),
}


def _relative(corpus: Path, file: str) -> str:
    return str(Path(file).relative_to(corpus))


def test_corpus_findings_are_exactly_the_reviewed_ones(corpus_dir: Path) -> None:
    findings, read = lint_paths([str(corpus_dir)])
    assert len(read) == 166
    got = {(_relative(corpus_dir, d.location.file), d.location.line, d.code) for d in findings if d.location}
    assert got == EXPECTED


def test_files_systemd_refuses_get_an_error(corpus_dir: Path) -> None:
    findings, _ = lint_paths([str(corpus_dir)])
    with_errors = {
        _relative(corpus_dir, d.location.file) for d in findings if d.location and d.severity is Severity.ERROR
    }
    with (corpus_dir / "CLASSIFY.tsv").open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    must_fail = {r["local_path"] for r in rows if r["verify_fatal"] == "y" or int(r["verify_syntax_errors"]) > 0}
    assert must_fail and must_fail <= with_errors
    miscased = {r["local_path"] for r in rows if r["xfleet_section_miscased"] == "y"}
    flagged = {_relative(corpus_dir, d.location.file) for d in findings if d.code == "L405" and d.location}
    assert miscased == flagged
