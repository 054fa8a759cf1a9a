# unitgen deploy updater (docs/deploy.md): on every machine of a service, it pulls each
# new version of the etcd version key and reports to etcd; while it holds the leader key
# it drives the deploy: every machine pulled, maintenance once, restarts per strategy.
# Fixed text: every value arrives as an argument, and none is ever evaluated.
set -f
etcdctl=$1 api=$2 me=$3 prefix=$4 version_key=$5 ttl=$6 poll=$7 unit=$8 systemctl=$9
shift 9
docker=$1 image=$2 container=$3 strategy=$4 batch=$5 health_timeout=$6
shift 6
# Then the deploy keys of the services whose maintenance of a version comes before this
# one's restarts onto it, their count first.
after= n=$1
shift
while [ "$n" -gt 0 ]; do
    case $1 in
    *[!A-Za-z0-9/_.:-]*)
        echo "unitgen deploy: $1 cannot be an etcd key prefix here" >&2
        exit 2
        ;;
    esac
    after="$after $1"
    shift
    n=$((n - 1))
done
# "$@" now holds argument groups, each its word count first: the health check's argv,
# then one per maintenance command: the count of its docker run options, the options, the argv.
lease= leading= pulled= restarted= version= d=

e() { ETCDCTL_API=$api "$etcdctl" "$@"; }
get() {
    if [ "$api" = 3 ]; then e get "$1" --print-value-only 2>/dev/null; else e get "$1" 2>/dev/null; fi
}
put() {
    if [ "$api" = 3 ]; then e put "$1" "$2" >/dev/null; else e set "$1" "$2" >/dev/null; fi
}
# The last element of each key directly below $1, on one line.
children() {
    if [ "$api" = 3 ]; then e get "$1/" --prefix --keys-only 2>/dev/null; else e ls "$1" 2>/dev/null; fi |
        while IFS= read -r key; do [ -z "$key" ] || printf '%s ' "${key##*/}"; done
}
# create KEY VALUE [leased]: set KEY only if it does not exist (with this machine's TTL if leased).
create() {
    if [ "$api" = 3 ]; then
        with=
        [ -z "${3-}" ] || with=" --lease=$lease"
        case $(printf 'create("%s") = "0"\n\nput%s %s %s\n\n\n' "$1" "$with" "$1" "$2" | e txn 2>/dev/null) in
        SUCCESS*) return 0 ;;
        esac
        return 1
    elif [ -n "${3-}" ]; then
        e mk --ttl "$ttl" "$1" "$2" >/dev/null 2>&1
    else
        e mk "$1" "$2" >/dev/null 2>&1
    fi
}
in_list() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }

# This machine is a member while its key lives; the v3 lease carries the leader key too.
alive() {
    if [ "$api" = 3 ]; then
        if [ -z "$lease" ] || ! e lease keep-alive --once "$lease" >/dev/null 2>&1; then
            lease=$(e lease grant "$ttl" 2>/dev/null) || { lease=; return 1; }
            lease=${lease#lease }
            lease=${lease%% *}
            leading=
            e put --lease="$lease" "$prefix/machines/$me" "$me" >/dev/null
        fi
    else
        e set --ttl "$ttl" "$prefix/machines/$me" "$me" >/dev/null
        [ -z "$leading" ] || e set --ttl "$ttl" --swap-with-value "$me" "$prefix/leader" "$me" >/dev/null 2>&1 ||
            leading=
    fi
}
# A second of a long wait, keeping this machine's keys alive every poll interval.
tick() {
    sleep 1
    waited=$((waited + 1))
    [ $((waited % poll)) -ne 0 ] || alive
}
lead() {
    [ -n "$leading" ] || ! create "$prefix/leader" "$me" leased || leading=1
    [ -n "$leading" ]
}
fail() {
    put "$d/state" "failed: $*"
    echo "unitgen deploy: $version failed: $*" >&2
}

# healthy GROUPS...: the unit is active and the health check, if any, succeeds in the container.
healthy() {
    "$systemctl" is-active --quiet "$unit" || return 1
    n=$1
    shift
    [ "$n" -gt 0 ] || return 0
    rest=$(($# - n)) i=0
    while [ "$i" -lt "$n" ]; do set -- "$@" "$1"; shift; i=$((i + 1)); done
    shift "$rest"
    "$docker" exec "$container" "$@" >/dev/null 2>&1
}
restart() {
    if ! "$systemctl" restart "$unit"; then
        put "$d/failed/$me" "the restart of $unit failed"
        return
    fi
    put "$d/restarted/$me" "$version"
    waited=0
    until healthy "$@"; do
        if [ "$waited" -ge "$health_timeout" ]; then
            put "$d/failed/$me" "$unit not healthy ${health_timeout}s after its restart"
            return
        fi
        tick
    done
    put "$d/healthy/$me" "$version"
}

# maintain K GROUPS...: run maintenance command K (from 1): docker run --rm OPTIONS IMAGE:VERSION ARGV.
maintain() {
    j=$1
    shift
    n=$1
    shift
    shift "$n"
    while [ "$j" -gt 1 ]; do n=$1; shift; shift "$n"; j=$((j - 1)); done
    n=$1 options=$2
    shift 2
    words=$((n - 1 - options)) rest=$(($# - n + 1)) i=0
    while [ "$i" -lt "$options" ]; do set -- "$@" "$1"; shift; i=$((i + 1)); done
    set -- "$@" "$image:$version"
    i=0
    while [ "$i" -lt "$words" ]; do set -- "$@" "$1"; shift; i=$((i + 1)); done
    shift "$rest"
    "$docker" run --rm --name "$container-maintenance" "$@"
}
maintenance() {
    n=$1
    shift
    shift "$n"
    total=0
    while [ $# -gt 0 ]; do n=$1; shift; shift "$n"; total=$((total + 1)); done
    return "$total"
}
run_maintenance() {
    maintenance "$@"
    total=$? k=1
    while [ "$k" -le "$total" ]; do
        maintain "$k" "$@" || return 1
        k=$((k + 1))
    done
}

leader_step() {
    for m in $(children "$d/failed"); do
        fail "machine $m: $(get "$d/failed/$m")"
        return
    done
    members=$(children "$prefix/machines")
    pulled_by=$(children "$d/pulled")
    for m in $members; do in_list "$m" "$pulled_by" || return 0; done
    for p in $after; do
        case $(get "$p/versions/$version/maintenance") in
        done) ;;
        *)
            case $(get "$p/versions/$version/state") in
            failed*) fail "${p##*/} did not complete its maintenance of $version ($(get "$p/versions/$version/state"))" ;;
            *) put "$d/state" "waiting for ${p##*/}" ;;
            esac
            return
            ;;
        esac
    done
    case $(get "$d/maintenance") in
    done) ;;
    "")
        create "$d/maintenance" "started-by-$me" || return 0
        put "$d/state" maintenance
        run_maintenance "$@" &
        job=$!
        waited=0
        while kill -0 "$job" 2>/dev/null; do tick; done
        if wait "$job"; then put "$d/maintenance" done; else fail "a maintenance command failed on $me"; fi
        return
        ;;
    *)
        fail "maintenance $(get "$d/maintenance") was interrupted: check what it did, then deploy again"
        return
        ;;
    esac
    healthy_on=$(children "$d/healthy")
    going=$(children "$d/go")
    busy= todo=
    for m in $members; do
        in_list "$m" "$healthy_on" && continue
        if in_list "$m" "$going"; then busy=1; else todo="$todo $m"; fi
    done
    [ -z "$busy" ] || return 0
    if [ -z "$todo" ]; then
        put "$prefix/current" "$version"
        put "$d/state" done
        return
    fi
    size=$batch
    [ "$strategy" = rolling ] || size=0
    put "$d/state" restarting
    for m in $todo; do
        put "$d/go/$m" "$version"
        size=$((size - 1))
        [ "$size" -ne 0 ] || break
    done
}

step() {
    if [ "$pulled" != "$version" ]; then
        if [ -z "$(get "$d/pulled/$me")$(get "$d/failed/$me")" ]; then
            if "$docker" pull "$image:$version"; then
                put "$d/pulled/$me" "$version"
            else
                put "$d/failed/$me" "cannot pull $image:$version"
            fi
        fi
        pulled=$version
    fi
    if [ "$restarted" != "$version" ] && [ -n "$(get "$d/go/$me")" ]; then
        restarted=$version
        restart "$@"
    fi
    if lead; then leader_step "$@"; fi
}

case $prefix in
*[!A-Za-z0-9/_.:-]*)
    echo "unitgen deploy: $prefix cannot be an etcd key prefix here" >&2
    exit 2
    ;;
esac
while :; do
    alive
    version=$(get "$version_key")
    case $version in
    "" | *[!A-Za-z0-9_.-]*) ;;
    *)
        current=$(get "$prefix/current")
        if [ -z "$current" ]; then
            # Nothing deployed yet: the units started with the key's version.
            put "$prefix/current" "$version"
        elif [ "$version" != "$current" ]; then
            d=$prefix/versions/$version
            case $(get "$d/state") in
            failed* | done) ;;
            *) step "$@" ;;
            esac
        fi
        ;;
    esac
    sleep "$poll"
done
