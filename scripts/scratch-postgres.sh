#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests, on a free port on 127.0.0.1, with password (SCRAM) logins, and
# TLS with a certificate for 127.0.0.1 from a throwaway CA (a second CA signs nothing it serves).
#   scripts/scratch-postgres.sh start DIR   creates DIR, starts the cluster there, prints the exports the tests read
#   scripts/scratch-postgres.sh stop DIR    stops it and removes DIR
# PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` user the Debian package creates.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
start)
    dir=$2
    mkdir -p "$dir"
    chmod 700 "$dir"
    head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$dir/password"
    [ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$dir/data" -U coalmine --pwfile="$dir/password" --auth-host=scram-sha-256 \
        --auth-local=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    mkdir -p "$dir/tls"
    (
        cd "$dir/tls"
        ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        openssl req -x509 $ec -keyout ca.key -out ca.crt -days 2 -subj "/CN=Coalmine Test PostgreSQL CA" 2>/dev/null
        openssl req -x509 $ec -keyout other-ca.key -out other-ca.crt -days 2 -subj "/CN=Someone Else" 2>/dev/null
        openssl req $ec -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > san.ext
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 \
            -extfile san.ext 2>/dev/null
        chmod 600 server.key
    )
    [ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir/tls"
    # fsync stays on: the benchmarks' figures must be those of a durable commit.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir -p $port -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=on -c ssl=on \
            -c ssl_cert_file=$dir/tls/server.crt -c ssl_key_file=$dir/tls/server.key" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    echo "export COALMINE_TEST_POSTGRES_URL='postgres://coalmine@127.0.0.1:$port/postgres?sslmode=disable'"
    echo "export COALMINE_TEST_POSTGRES_PASSWORD_FILE='$dir/password'"
    echo "export COALMINE_TEST_POSTGRES_CA_FILE='$dir/tls/ca.crt'"
    echo "export COALMINE_TEST_POSTGRES_OTHER_CA_FILE='$dir/tls/other-ca.crt'"
    ;;
stop)
    dir=$2
    if [ -d "$dir/data" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start DIR | stop DIR" >&2
    exit 2
    ;;
esac
