# bench/lib.sh - what the benchmark scripts share, sourced by each (bash):
#
#   bench_name     the script's name, for messages (set before sourcing)
#   pids           processes the script started: stopped and waited for on exit
#   cleanup_dirs   directories removed on exit
#   cleanup_cmds   commands run on exit, after the processes stopped (a cluster's pg_ctl stop)
#   die MSG        prints "bench/x.sh: MSG" and exits 1
#   free_port      a TCP port on 127.0.0.1 that nothing answers on
#   wait_ready     waits for a server's URL to answer 2xx (see below)
#   forget PID     a process that has ended leaves pids
#   stop PID       stops a process started here and waits for it
#   median         the median of numbers on stdin, one a line
#   bench_binary   the connectord to measure: $CONNECTORD_BIN (another build, an earlier
#                  commit's, to compare before and after a change on the same machine), or
#                  the tree's optimized build, made here (run from the repository's root)
#   nginx_start DIR PORT HTTP LOCATION   nginx with one worker on 127.0.0.1:PORT, its files
#                  in DIR; HTTP: more of the http block's directives (its access log among
#                  them), LOCATION: what `location /` does; sets ng_pid (and adds it to pids)
#   pg_start       a throwaway PostgreSQL cluster in a temp directory on a free port (synchronous_commit
#                  and fsync on, as in production), stopped on exit; sets pg_host pg_port
#                  pg_pid; pg_createdb NAME prints the URL of a new database, pg_sql URL SQL
#                  runs a query
#   install_stripe BASE TOKEN   installs the Stripe connector (a fresh whsec_ secret, autoPost
#                  on) for the tenant of TOKEN on the connectord at BASE; sets secret and url
#                  (the install's webhook URL)
#   cpu_ticks PID...   user+system CPU ticks of the processes so far; pg_ticks those of the
#                  cluster (the postmaster, its live children, and the children it reaped);
#                  wrk_ticks those of this shell's reaped children (wrk, run in the
#                  foreground); ticks_s N converts ticks to seconds
#   callgrind_read OUT UNITS   annotates the first callgrind dump in OUT (inclusive) and
#                  sets dump, annotated and total; callgrind_totals WHAT prints the
#                  instructions per WHAT in all and without the WAL checkpoints, and
#                  callgrind_part LABEL REGEX the inclusive count per unit of the first
#                  function matching REGEX (callgrind's "file:function" names), UNITS apart
#
# Everything the benchmarks start listens on 127.0.0.1 only.

pids=()
cleanup_dirs=()
cleanup_cmds=()

bench_cleanup() {
    local pid cmd
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        kill -CONT "$pid" 2>/dev/null || true # a process held with SIGSTOP takes its TERM
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    for cmd in "${cleanup_cmds[@]}"; do # after the processes that use what they stop
        eval "$cmd" >/dev/null 2>&1 || true
    done
    if ((${#cleanup_dirs[@]} > 0)); then
        [[ -n ${BENCH_KEEP:-} ]] || rm -rf "${cleanup_dirs[@]}"
    fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

die() {
    echo "$bench_name: $*" >&2
    exit 1
}

bench_binary() {
    if [[ -n ${CONNECTORD_BIN:-} ]]; then
        [[ -x $CONNECTORD_BIN ]] || die "CONNECTORD_BIN=$CONNECTORD_BIN is not an executable"
        realpath "$CONNECTORD_BIN"
    else
        make --no-print-directory build/connectord >&2 || die "cannot build build/connectord"
        echo "$PWD/build/connectord"
    fi
}

free_port() {
    local port
    for _ in $(seq 1 200); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    die "no free port found"
}

# wait_ready URL LOG [PID [CURL ARGS...]]: waits until URL answers with a 2xx status (20 s at
# most). With a PID (may be ""), returns 1 when that process ends first because its port was
# taken meanwhile (its LOG says "in use"; the caller tries another port). Otherwise shows the
# end of LOG and stops the benchmark when the URL does not come up.
wait_ready() {
    local url=$1 log=$2 pid=${3:-}
    shift $(($# < 3 ? $# : 3))
    for _ in $(seq 1 200); do
        if curl -fsS -o /dev/null --max-time 1 "$@" "$url" 2>/dev/null; then
            return 0
        fi
        if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || true
            forget "$pid"
            grep -qi "in use" "$log" && return 1
            break
        fi
        sleep 0.1
    done
    tail -n 20 "$log" >&2 || true
    die "$url did not come up"
}

forget() {
    local pid kept=()
    for pid in "${pids[@]}"; do
        [[ $pid == "$1" ]] || kept+=("$pid")
    done
    pids=("${kept[@]}")
}

# nginx_start DIR PORT HTTP LOCATION: keepalive_requests is raised so nginx, like connectord,
# keeps each wrk connection open for the whole run instead of closing it every 1000 requests.
nginx_start() {
    local dir=$1 port=$2 http=$3 location=$4
    mkdir -p "$dir/nginx-temp"
    cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log warn;
events {
    worker_connections 4096;
}
http {
    client_body_temp_path $dir/nginx-temp/body;
    proxy_temp_path $dir/nginx-temp/proxy;
    fastcgi_temp_path $dir/nginx-temp/fastcgi;
    uwsgi_temp_path $dir/nginx-temp/uwsgi;
    scgi_temp_path $dir/nginx-temp/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    $http
    server {
        listen 127.0.0.1:$port;
        default_type application/json;
        location / {
            $location
        }
    }
}
EOF
    nginx -c "$dir/nginx.conf" -p "$dir" 2>"$dir/nginx-stderr.log" &
    ng_pid=$!
    pids+=("$ng_pid")
}

stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    forget "$1"
}

median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "0"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
    }'
}

# ---- a throwaway PostgreSQL ------------------------------------------------------------------

# Runs a PostgreSQL program as the postgres user when this is root (initdb refuses root).
pg_as() {
    if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
    local dir bindir
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [[ -x $bindir/initdb ]] || die "no PostgreSQL server found (scripts/setup installs it)"
    # A directory of its own: the postgres user must reach it (the benchmark's is private)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/connectord-pg.XXXXXX")
    cleanup_dirs+=("$dir")
    ((EUID != 0)) || chown postgres "$dir"
    pg_as "$bindir/initdb" -D "$dir/data" -A trust -U postgres >"$dir/initdb.log" 2>&1 ||
        die "initdb failed: $(tail -n 5 "$dir/initdb.log")"
    pg_port=$(free_port)
    pg_host=$dir
    pg_as "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "-p $pg_port -k $dir \
        -c listen_addresses='' -c synchronous_commit=on -c fsync=on -c max_connections=200" \
        start >/dev/null || die "PostgreSQL did not start: $(tail -n 5 "$dir/log")"
    cleanup_cmds+=("pg_as '$bindir/pg_ctl' -D '$dir/data' -m immediate stop")
    pg_pid=$(head -n 1 "$dir/data/postmaster.pid")
}

pg_sql() {
    psql -X -q -t -A -v ON_ERROR_STOP=1 "$1" -c "$2"
}

pg_createdb() {
    local base="postgresql://postgres@/postgres?host=$pg_host&port=$pg_port"
    pg_sql "$base" "CREATE DATABASE $1" >/dev/null || die "cannot create database $1"
    echo "postgresql://postgres@/$1?host=$pg_host&port=$pg_port"
}

# ---- CPU time --------------------------------------------------------------------------------

# Field n of /proc/PID/stat (after the command name, which may hold spaces).
stat_fields() {
    sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk -v a="$2" -v b="$3" '{ s = 0; for (i = a; i <= b; i++) s += $(i - 2); print s }'
}

cpu_ticks() {
    local pid total=0 t
    for pid in "$@"; do
        t=$(stat_fields "$pid" 14 15)
        total=$((total + ${t:-0}))
    done
    echo "$total"
}

pg_ticks() {
    local total child
    total=$(stat_fields "$pg_pid" 14 17)
    for child in $(pgrep -P "$pg_pid"); do
        total=$((total + $(cpu_ticks "$child")))
    done
    echo "$total"
}

wrk_ticks() {
    stat_fields $$ 16 17
}

ticks_s() {
    awk -v t="$1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz }'
}

install_stripe() {
    local installed
    secret="whsec_$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
    installed=$(curl -fsS -X POST -H "Authorization: Bearer $2" -H "Content-Type: application/json" \
        -d "{\"config\":{\"webhookSecret\":\"$secret\",\"autoPost\":true}}" \
        "$1/api/connectors/stripe/install") || die "cannot install stripe"
    url=$(printf '%s' "$installed" | sed -n 's/.*"webhookUrl": *"\([^"]*\)".*/\1/p')
    [[ -n $url ]] || die "no webhookUrl in: $installed"
}

callgrind_read() {
    callgrind_units=$2
    dump=$(ls "$1"/callgrind.out.* 2>/dev/null | grep -v '\.[0-9]*\.tmp$' | sort -V | head -n 1)
    [[ -n $dump ]] || die "no callgrind dump in $1"
    annotated=$1/annotate-inclusive.txt
    callgrind_annotate --inclusive=yes --threshold=100 "$dump" >"$annotated"
    total=$(awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }' "$annotated")
    [[ -n $total ]] || die "cannot read the totals of $dump"
}

callgrind_totals() {
    local checkpoints
    checkpoints=$(awk '/:checkpointer_main / { gsub(",", "", $1); print $1; exit }' "$annotated")
    printf 'instructions per %s: %.0f\n' "$1" \
        "$(awk -v t="$total" -v n="$callgrind_units" 'BEGIN { print t / n }')"
    printf 'without the WAL checkpoints: %.0f\n' \
        "$(awk -v t="$total" -v c="${checkpoints:-0}" -v n="$callgrind_units" \
            'BEGIN { print (t - c) / n }')"
    echo "of which (inclusive, per $1; parts overlap where one calls the other):"
}

callgrind_part() {
    awk -v label="$1" -v re="$2" -v n="$callgrind_units" '
        $0 ~ re { gsub(",", "", $1); printf "  %-56s %10.0f\n", label, $1 / n; found = 1; exit }
        END { if (!found) printf "  %-56s %10s\n", label, "-" }' "$annotated"
}
