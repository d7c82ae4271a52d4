#!/usr/bin/env bash
# Start the external SPARQL servers the remote-store tests run against, on loopback, and write the
# environment that points the tests at them to a file:
#     bash tools/start-test-servers.sh servers.env && source servers.env
# Virtuoso (Debian's virtuoso-opensource) and Oxigraph server (PyPI's oxigraph) each get a fresh
# database in a temporary folder. The file also names their process ids: stop them (and only them,
# never others' servers of the same name) with `source ENV_FILE && kill $MAPPA_KB_TEST_SERVER_PIDS`.
set -euo pipefail
env_file=${1:?usage: start-test-servers.sh ENV_FILE}
work=$(mktemp -d)
python=${PYTHON:-python3}

free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_for() {  # url
    for _ in $(seq 1 120); do
        if curl -fs -o /dev/null "$1"; then return 0; fi
        sleep 0.5
    done
    echo "server at $1 did not start" >&2
    return 1
}

# Oxigraph server
ox_port=$(free_port)
oxigraph=$(dirname "$python")/oxigraph
[ -x "$oxigraph" ] || oxigraph=oxigraph
setsid "$oxigraph" serve --location "$work/oxigraph" --bind "127.0.0.1:$ox_port" \
    </dev/null >"$work/oxigraph.log" 2>&1 &
ox_pid=$!
wait_for "http://127.0.0.1:$ox_port/query?query=ASK%7B%7D"

# Virtuoso, with SPARQL Update allowed for the anonymous SPARQL user on this throw-away database
sql_port=$(free_port)
http_port=$(free_port)
mkdir -p "$work/virtuoso"
sed -e "s#/var/lib/virtuoso-opensource-7/db/#$work/virtuoso/#g" \
    -e "s/^ServerPort *= *1111/ServerPort = $sql_port/" \
    -e "s/^ServerPort *= *8890/ServerPort = $http_port/" \
    /etc/virtuoso-opensource-7/virtuoso.ini >"$work/virtuoso/virtuoso.ini"
# (exec: setsid, not a group leader here, runs Virtuoso in the process whose id $! gives)
(cd "$work/virtuoso" && exec setsid virtuoso-t +foreground +configfile "$work/virtuoso/virtuoso.ini" \
    </dev/null >"$work/virtuoso.log" 2>&1) &
virtuoso_pid=$!
wait_for "http://127.0.0.1:$http_port/sparql?query=ASK%7B%7D"
isql-vt "$sql_port" dba dba exec='grant SPARQL_UPDATE to "SPARQL";' >/dev/null

cat >"$env_file" <<ENV
export MAPPA_KB_TEST_OXIGRAPH_QUERY=http://127.0.0.1:$ox_port/query
export MAPPA_KB_TEST_OXIGRAPH_UPDATE=http://127.0.0.1:$ox_port/update
export MAPPA_KB_TEST_VIRTUOSO_QUERY=http://127.0.0.1:$http_port/sparql
export MAPPA_KB_TEST_VIRTUOSO_UPDATE=http://127.0.0.1:$http_port/sparql
export MAPPA_KB_TEST_VIRTUOSO_ISQL_PORT=$sql_port
export MAPPA_KB_TEST_VIRTUOSO_DIR=$work/virtuoso
export MAPPA_KB_TEST_SERVER_PIDS="$ox_pid $virtuoso_pid"
ENV
echo "started Oxigraph server on port $ox_port and Virtuoso on port $http_port (data in $work)"
