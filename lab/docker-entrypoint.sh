#!/bin/sh
# Entrypoint of the okapi image (lab/Dockerfile): starts the okapi daemon of each table
# present in /etc/okapi/okapi.toml ([ospf] okapi-ospfd, [vrrp] okapi-vrrpd, [bgp] okapi-bgpd,
# [testd] okapi-testd), each with -f /etc/okapi/okapi.toml, and waits for them; SIGTERM and
# SIGINT are passed on. With arguments, runs them instead. okapi-lab does the same thing for
# `image: okapi*` nodes without this script.
set -u
config=${OKAPI_CONFIG:-/etc/okapi/okapi.toml}

if [ "$#" -gt 0 ]; then
    exec "$@"
fi
if [ ! -r "$config" ]; then
    echo "okapi-entrypoint: no $config: bind one (binds: [n1/okapi.toml:/etc/okapi/okapi.toml:ro])" >&2
    exec sleep infinity
fi

pids=""
for table in ospf vrrp bgp testd; do
    if grep -Eq "^[[:space:]]*\[$table\][[:space:]]*(#.*)?$" "$config"; then
        case "$table" in
            testd) daemon=okapi-testd ;;
            *) daemon="okapi-${table}d" ;;
        esac
        if ! command -v "$daemon" >/dev/null 2>&1; then
            echo "okapi-entrypoint: [$table] is configured and $daemon is not in this image" >&2
            exit 1
        fi
        "$daemon" -f "$config" &
        pids="$pids $!"
        echo "okapi-entrypoint: started $daemon (pid $!)"
    fi
done
if [ -z "$pids" ]; then
    echo "okapi-entrypoint: $config has none of [ospf] [vrrp] [bgp] [testd]: nothing to start" >&2
    exec sleep infinity
fi

stop() {
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null
}
trap stop TERM INT

# `wait` returns early when a trapped signal arrives: wait until every daemon is gone.
for pid in $pids; do
    while kill -0 "$pid" 2>/dev/null; do
        wait "$pid"
    done
done
