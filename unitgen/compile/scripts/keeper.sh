# unitgen keeper, the deploy's maintenance mode (docs/deploy.md): relaunches the service
# when it has failed, after a pause that doubles each time, up to a limit, and records in
# etcd what it did.  Fixed text: every value arrives as an argument.
etcdctl=$1 api=$2 me=$3 prefix=$4 unit=$5 systemctl=$6 poll=$7 limit=$8 backoff=$9
relaunches=0 pause=$backoff calm=0

record() {
    if [ "$api" = 3 ]; then
        ETCDCTL_API=3 "$etcdctl" put "$prefix/keeper/$me" "$1" >/dev/null
    else
        ETCDCTL_API=2 "$etcdctl" set "$prefix/keeper/$me" "$1" >/dev/null
    fi
    echo "unitgen keeper: $1" >&2
}

while :; do
    if "$systemctl" is-failed --quiet "$unit"; then
        calm=0
        if [ "$relaunches" -lt "$limit" ]; then
            sleep "$pause"
            relaunches=$((relaunches + 1)) pause=$((pause * 2))
            "$systemctl" reset-failed "$unit"
            if "$systemctl" start "$unit"; then result=running; else result="failed again"; fi
            record "relaunched $unit ($relaunches of $limit): $result"
        elif [ "$relaunches" -eq "$limit" ]; then
            relaunches=$((relaunches + 1))
            record "gave up on $unit after $limit relaunches"
        fi
    elif [ "$relaunches" -gt 0 ] && "$systemctl" is-active --quiet "$unit"; then
        # Ten calm looks in a row: the next failure starts with a short pause again.
        calm=$((calm + 1))
        [ "$calm" -lt 10 ] || relaunches=0 pause=$backoff calm=0
    fi
    sleep "$poll"
done
