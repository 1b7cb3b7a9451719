#!/usr/bin/env bash
# Webhook ingest benchmark: connectord against a reference receiver on the same machine, in the
# same run, both durable (SQLite in WAL mode with synchronous=FULL, each 200 sent after the
# commit that holds the webhook).
#
#   connectord   POST /api/payment-import/stripe/<token>   the optimized binary, group commit
#   reference    POST /webhooks/stripe                     bench/reference: Node.js, Fastify, the
#                                                          official stripe SDK, better-sqlite3, one
#                                                          transaction per request, one process
#
# wrk (bench/ingest.lua) sends signed Stripe invoice.payment_succeeded events, each one distinct
# (its own event id and externalId), so every webhook books a supplier lookup, an invoice, a
# two-line journal entry and a webhook log row. The events are signed by bench/ingest-sign.js
# with Stripe's scheme right before each run (Stripe's tolerance is 300 s). Each target is
# measured REPEATS times, alternating targets so drift hits both alike; the table shows the
# median webhooks/s, p50 and p99, the peak RSS (VmHWM) at the end, and whether the store holds
# exactly one invoice per 200 answered. The HTTP ceiling is measured in the same run with the
# same wrk script and the same kind of distinct signed requests: nginx (one worker, access log
# on) answering `return 200` to them. Targets: connectord >= 25 % of that ceiling and >= 12x
# the reference's webhooks/s, p99 <= 5 ms at 64 connections, peak RSS < 30 MB.
#
#   bench/ingest.sh
#   DURATION=10s REPEATS=1 bench/ingest.sh
#   EVENTS=2000000 bench/ingest.sh      # events signed per run (default: sized from the warm-up)
#
# Everything listens on 127.0.0.1 only; all processes started here stop on exit. Exits 1 when
# a store check fails (a webhook answered 200 but not stored, or a non-200 answer).
set -euo pipefail

DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
REPEATS=${REPEATS:-3}
WARMUP=${WARMUP:-3s}
EVENTS=${EVENTS:-}
PG=${PG:-auto}                  # 1: also on PostgreSQL, 0: not; auto: when it is installed
PG_PROCESSES=${PG_PROCESSES:-1 2} # a PostgreSQL target per entry, with that many processes
TENANTS=${TENANTS:-1}           # connectord's webhooks go to this many tenants in turn
RATIO_TARGET=12
CEILING_TARGET_PCT=25
P99_TARGET_MS=5
RSS_TARGET_MB=30

cd "$(dirname "$0")/.."
root=$PWD

scripts/setup bench
ref_dir=$root/bench/reference
if [[ ! -d $ref_dir/node_modules ]]; then
    echo "bench/ingest.sh: installing the reference receiver's packages (npm ci)" >&2
    (cd "$ref_dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi

bench_name=bench/ingest.sh
. "$root/bench/lib.sh"
bin=$(bench_binary)
if [[ -n ${PERF:-} ]]; then
    command -v perf >/dev/null || die "PERF is set but perf is missing (apt-get install linux-perf)"
    mkdir -p "$PERF"
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/connectord-ingest.XXXXXX")
# The signed events (up to about a GB per run) go to memory where /dev/shm exists, so writing
# them does not compete for the disk with the servers' fsyncs. The stores stay on disk.
if [[ -d /dev/shm && -w /dev/shm ]]; then
    evdir=$(mktemp -d /dev/shm/connectord-ingest.XXXXXX)
else
    evdir=$tmp/events
    mkdir "$evdir"
fi
cleanup_dirs+=("$tmp" "$evdir")

# "20s" -> 20, "1m" -> 60
seconds_of() {
    awk -v d="$1" 'BEGIN {
        n = d + 0; u = d; sub(/^[0-9.]+/, "", u)
        f = (u == "" || u == "s") ? 1 : (u == "m") ? 60 : (u == "h") ? 3600 : -1
        if (f < 0 || n <= 0) exit 1
        printf "%d\n", n * f + 0.5
    }' || die "cannot read the duration '$1'"
}
duration_s=$(seconds_of "$DURATION")
warmup_s=$(seconds_of "$WARMUP")
# The events of a run are signed right before it; Stripe accepts them for 300 s.
((duration_s <= 240)) || die "DURATION must be 240 s at most (signed events expire after 300 s)"

secret="whsec_$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"

# ---- connectord --------------------------------------------------------------------------
# Per target: the webhook URL, the store (a file for SQLite, a URL for PostgreSQL), the
# processes, their logs and ports (space-separated lists).
declare -A url=() db=() pids_of=() log=() ports_of=() paths_of=()
master_key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')

# start_serve TARGET DSN: one more connectord process of TARGET on DSN, on a free port.
# Not --dev: the webhook route's HTTPS check runs as in production. The requests come from
# 127.0.0.1, declared a trusted proxy, with X-Forwarded-Proto: https (bench/ingest.lua sends
# it), as behind a TLS-terminating proxy. The access log (one line per request, stderr) goes
# to a file; the reference writes one line per request to a file too.
start_serve() {
    local t=$1 dsn=$2 port logf
    port=$(free_port)
    logf=$tmp/$t.$port.log
    CONNECTORD_MASTER_KEY=$master_key "$bin" serve --listen "127.0.0.1:$port" --db "$dsn" \
        --trusted-proxy 127.0.0.1/32 >"$logf" 2>&1 &
    pids+=("$!")
    pids_of[$t]+="$! "
    log[$t]+="$logf "
    ports_of[$t]+="$port "
    wait_ready "http://127.0.0.1:$port/healthz" "$logf"
}

# setup_target TARGET DSN PROCESSES: TENANTS tenants with the Stripe connector (one secret)
# on DSN, served by PROCESSES connectord processes (the installs made through the first).
setup_target() {
    local t=$1 dsn=$2 n=$3 created token installed first i u
    for _ in $(seq 1 "$n"); do start_serve "$t" "$dsn"; done
    first=${ports_of[$t]%% *}
    for i in $(seq 1 "$TENANTS"); do
        created=$("$bin" tenant create --name "Bench $i" --plan pro --db "$dsn" \
            2>>"$tmp/$t.cli.log")
        token=$(printf '%s' "$created" | sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
        [[ -n "$token" ]] || die "cannot read the token from: $created"
        installed=$(curl -fsS -X POST -H "Authorization: Bearer $token" \
            -H "Content-Type: application/json" \
            -d "{\"config\":{\"webhookSecret\":\"$secret\",\"autoPost\":true}}" \
            "http://127.0.0.1:$first/api/connectors/stripe/install") ||
            die "cannot install stripe"
        u=$(printf '%s' "$installed" | sed -n 's/.*"webhookUrl": *"\([^"]*\)".*/\1/p')
        [[ $u == "http://127.0.0.1:$first/api/payment-import/stripe/"* ]] ||
            die "unexpected webhookUrl in: $installed"
        url[$t]=${url[$t]:-$u}
        paths_of[$t]+="/${u#http://*/} "
    done
    db[$t]=${dsn#sqlite:}
}

targets=(connectord)
setup_target connectord "sqlite:$tmp/c.db" 1

# PostgreSQL on the same machine (a throwaway cluster, synchronous_commit on): one target
# per entry of PG_PROCESSES, each on a database of its own, with that many processes.
if [[ $PG == auto ]]; then
    PG=0
    ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || PG=1
fi
if ((PG)); then
    pg_start
    for n in $PG_PROCESSES; do
        setup_target "pg$n" "$(pg_createdb "bench_pg$n")" "$n"
        targets+=("pg$n")
    done
fi

# ---- reference ---------------------------------------------------------------------------
ref_port=$(free_port)
ref_db=$tmp/reference.db
PORT=$ref_port DB_PATH=$ref_db STRIPE_WEBHOOK_SECRET=$secret \
    node "$ref_dir/server.js" >"$tmp/reference.log" 2>&1 &
ref_pid=$!
pids+=("$ref_pid")
wait_ready "http://127.0.0.1:$ref_port/healthz" "$tmp/reference.log"

# ---- the HTTP ceiling: nginx ---------------------------------------------------------------
# One worker answering `return 200` to every request, with an access-log line per request as
# the receivers write; wrk sends it the very same signed requests (bench/ingest.lua, same
# threads and connections), so the ceiling is what this generator of distinct requests can
# drive on this machine at this moment, not what one constant request could.
ng_port=$(free_port)
nginx_start "$tmp" "$ng_port" "access_log $tmp/nginx-access.log;
    client_max_body_size 1m;" "return 200 '{\"status\":\"ok\"}';"
wait_ready "http://127.0.0.1:$ng_port/" "$tmp/nginx-stderr.log"

# ---- measurement -------------------------------------------------------------------------
# BASELINES=0 leaves the ceiling and the reference out (a quick look at connectord alone,
# e.g. between two builds; the verdicts that need them then say MISS).
((${BASELINES:-1})) && targets+=(nginx)
url[nginx]="http://127.0.0.1:$ng_port${paths_of[connectord]%% *}"
db[nginx]=""
pids_of[nginx]="$ng_pid $(pgrep -P "$ng_pid" | tr '\n' ' ')" # the master and its worker
log[nginx]=$tmp/nginx-access.log
((${BASELINES:-1})) && targets+=(reference)
url[reference]="http://127.0.0.1:$ref_port/webhooks/stripe"
db[reference]=$ref_db
pids_of[reference]=$ref_pid
log[reference]=$tmp/reference.log

count_invoices() {
    case ${db[$1]} in
    "") echo 0 ; return 0 ;; # nginx stores nothing
    postgresql://*) pg_sql "${db[$1]}" "SELECT COUNT(*) FROM invoices" ;;
    *) sqlite3 -cmd ".timeout 10000" "${db[$1]}" "SELECT COUNT(*) FROM invoices" ;;
    esac || die "cannot count the invoices of $1"
}

# The size of a target's logs together.
log_bytes() {
    # shellcheck disable=SC2086 # a list of files
    stat -c %s ${log[$1]} | awk '{ s += $1 } END { print s }'
}

# settle TARGET: waits (10 s at most) until the requests wrk left in flight are done: the
# invoice count and the log stop growing.
settle() {
    local t=$1 before after
    before="$(count_invoices "$t") $(log_bytes "$t")"
    for _ in $(seq 1 20); do
        sleep 0.5
        after="$(count_invoices "$t") $(log_bytes "$t")"
        [[ $after == "$before" ]] && return 0
        before=$after
    done
    die "$t is still busy 10 s after the load stopped"
}

# The CPU ticks of a target's processes, and of PostgreSQL (0 without it).
target_ticks() {
    # shellcheck disable=SC2086 # a list of pids
    cpu_ticks ${pids_of[$1]}
}
cluster_ticks() {
    if ((PG)); then pg_ticks; else echo 0; fi
}

# sign TAG COUNT: signs COUNT fresh events into $evdir/TAG.<thread> (and drops older ones).
sign() {
    rm -f "$evdir"/*
    node "$root/bench/ingest-sign.js" "$secret" "$2" "$1" "$evdir/$1" "$THREADS" ||
        die "cannot sign events"
}

# "     99%    1.23ms" -> 1.23 (milliseconds; wrk prints us, ms, s or m)
parse_latency_ms() {
    awk -v q="$1%" '$1 == q {
        v = $2; unit = v; sub(/^[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
        f = (unit == "us") ? 0.001 : (unit == "ms") ? 1 : (unit == "s") ? 1000 : (unit == "m") ? 60000 : -1
        if (f < 0) { print "?"; exit }
        printf "%.3f\n", v * f
    }'
}

# run_wrk TARGET DURATION TAG: one wrk run over the events signed as TAG, then the store
# check. Sets: rps p50 p99 wrk_ok wrk_other unanswered exhausted invoices check.
#
# The check: every webhook answered 200 is in the store, and nothing else is. wrk stops
# reading when its time is up, so the requests then in flight (at most one per connection)
# may be booked without wrk seeing their 200: the invoices stored in a run must number the
# 200s wrk counted, plus at most those unanswered requests. Any answer other than 200 fails.
#
# Also sets cpu_t cpu_pg cpu_wrk: the CPU seconds the target's processes, PostgreSQL and wrk
# used during the run (until the target settled). Several processes of a target share the
# load by port: wrk's threads take turns over INGEST_PORTS (bench/ingest.lua).
run_wrk() {
    local t=$1 duration=$2 tag=$3 out inv0 counts sent p ports t0 pg0 w0 t1 pg1 w1
    inv0=$(count_invoices "$t")
    ports=${ports_of[$t]:-}
    t0=$(target_ticks "$t") pg0=$(cluster_ticks) w0=$(wrk_ticks)
    local perf_pid=
    if [[ -n ${PERF:-} && $t != nginx && $t != reference && $tag == r* ]]; then
        # A profile of the middle of the run: call graphs of the target's processes.
        perf record -F 999 -g -o "$PERF/perf-$tag.data" -p "$(tr ' ' ',' <<<"${pids_of[$t]% }")" \
            -- sleep $(($(seconds_of "$duration") - 2)) >/dev/null 2>&1 &
        perf_pid=$!
    fi
    out=$(INGEST_PORTS=$ports INGEST_PATHS=${paths_of[$t]:-} wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --latency \
        --timeout 5s -s "$root/bench/ingest.lua" "${url[$t]}" -- "$evdir/$tag" 2>&1) ||
        die "wrk failed against $t: $out"
    w1=$(wrk_ticks)
    [[ -z $perf_pid ]] || wait "$perf_pid" ||
        die "perf record failed (PERF=$PERF; is kernel.perf_event_paranoid low enough?)"
    settle "$t"
    t1=$(target_ticks "$t") pg1=$(cluster_ticks)
    cpu_t=$(ticks_s $((t1 - t0))) cpu_pg=$(ticks_s $((pg1 - pg0))) cpu_wrk=$(ticks_s $((w1 - w0)))
    for p in ${pids_of[$t]}; do
        kill -0 "$p" 2>/dev/null || die "$t stopped during the run (logs in ${log[$t]})"
    done
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    p50=$(parse_latency_ms 50 <<<"$out")
    p99=$(parse_latency_ms 99 <<<"$out")
    counts=$(sed -n 's/^ingest: //p' <<<"$out")
    [[ -n "$rps" && -n "$p50" && -n "$p99" && -n "$counts" ]] ||
        die "cannot parse wrk output for $t: $out"
    wrk_ok=$(sed -n 's/.*\bok=\([0-9]*\).*/\1/p' <<<"$counts")
    wrk_other=$(sed -n 's/.*\bother=\([0-9]*\).*/\1/p' <<<"$counts")
    exhausted=$(sed -n 's/.*\bexhausted=\([0-9]*\).*/\1/p' <<<"$counts")
    sent=$(sed -n 's/.*\bsent=\([0-9]*\).*/\1/p' <<<"$counts")
    unanswered=$((sent - wrk_ok - wrk_other))
    invoices=$(($(count_invoices "$t") - inv0))
    check=ok
    if ((wrk_other > 0)); then
        check="$wrk_other answers were 4xx or 5xx; see ${log[$t]}"
    elif [[ $t != nginx ]] && ((invoices < wrk_ok || invoices > wrk_ok + unanswered)); then
        check="$invoices invoices stored, wrk counted $wrk_ok 200s and $unanswered unanswered"
    fi
}

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $REPEATS runs per target, $(nproc) cores" \
    "shared by wrk and the server under test, load average $(cut -d' ' -f1-3 /proc/loadavg)" \
    "(other work on the machine skews the figures)" >&2

# Warm-up: both servers see load once (JIT, caches, store growth); its rate sizes the runs.
declare -A events=()
for t in "${targets[@]}"; do
    sign "w$t" $((warmup_s * 50000 > 100000 ? warmup_s * 50000 : 100000))
    run_wrk "$t" "$WARMUP" "w$t"
    [[ $check == ok ]] || die "warm-up of $t: $check"
    # Three times the warm-up rate for the whole run, so no thread runs out of distinct
    # events (a short warm-up on a busy machine can be far slower than the runs).
    events[$t]=${EVENTS:-$(awk -v r="$rps" -v d="$duration_s" \
        'BEGIN { n = int(3 * r * d) + 20000; print (n < 100000) ? 100000 : n }')}
    printf '  warm-up   %-10s %10.0f webhooks/s  (signing %d events per run)\n' "$t" "$rps" \
        "${events[$t]}" >&2
done

declare -A rps_all=() p50_all=() p99_all=() failures=() stored=() acked=()
declare -A cpu_t_all=() cpu_pg_all=() cpu_wrk_all=()
for r in $(seq 1 "$REPEATS"); do
    for t in "${targets[@]}"; do
        sign "r${r}$t" "${events[$t]}"
        run_wrk "$t" "$DURATION" "r${r}$t"
        ((exhausted == 0)) || die "$t ran out of signed events in run $r; set EVENTS higher"
        # A faster run than the warm-up raises the events signed for the next ones.
        [[ -n $EVENTS ]] || events[$t]=$(awk -v r="$rps" -v d="$duration_s" -v n="${events[$t]}" \
            'BEGIN { m = int(3 * r * d) + 20000; print (m > n) ? m : n }')
        rps_all[$t]+="$rps "
        p50_all[$t]+="$p50 "
        p99_all[$t]+="$p99 "
        stored[$t]=$((${stored[$t]:-0} + invoices))
        acked[$t]=$((${acked[$t]:-0} + wrk_ok))
        [[ $check == ok ]] || failures[$t]+="run $r: $check; "
        cpu_t_all[$t]+="$cpu_t "
        cpu_pg_all[$t]+="$cpu_pg "
        cpu_wrk_all[$t]+="$cpu_wrk "
        printf '  run %d/%d  %-10s %10.0f webhooks/s  p50 %7.2f ms  p99 %7.2f ms  load %s  %s  cpu s: server %s postgres %s wrk %s\n' \
            "$r" "$REPEATS" "$t" "$rps" "$p50" "$p99" "$(cut -d' ' -f1 /proc/loadavg)" \
            "$([[ $t == nginx ]] && echo "$wrk_ok 200s" ||
                echo "$invoices invoices = $wrk_ok 200s + $((invoices - wrk_ok)) in flight at the stop")" \
            "$cpu_t" "$cpu_pg" "$cpu_wrk" >&2
    done
done

declare -A rps_med=() p50_med=() p99_med=() rss_mb=()
for t in "${targets[@]}"; do
    rps_med[$t]=$(tr ' ' '\n' <<<"${rps_all[$t]}" | grep . | median)
    p50_med[$t]=$(tr ' ' '\n' <<<"${p50_all[$t]}" | grep . | median)
    p99_med[$t]=$(tr ' ' '\n' <<<"${p99_all[$t]}" | grep . | median)
    kb=0 # the largest process of the target
    for p in ${pids_of[$t]}; do
        k=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status")
        ((k > kb)) && kb=$k
    done
    rss_mb[$t]=$(awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }')
done
ratio=$(awk -v a="${rps_med[connectord]}" -v b="${rps_med[reference]:-0}" \
    'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')

share=$(awk -v a="${rps_med[connectord]}" -v b="${rps_med[nginx]:-0}" \
    'BEGIN { printf "%.1f", (b > 0) ? 100 * a / b : 0 }')

verdict() { awk -v ok="$1" 'BEGIN { print ok ? "PASS" : "MISS" }'; }

echo
printf '%-34s %12s %9s %9s %13s  %s\n' "target" "webhooks/s" "p50 ms" "p99 ms" "peak RSS MB" \
    "invoices == 200s"
for t in "${targets[@]}"; do
    case $t in
    connectord) name="connectord (C, group commit)" ;;
    reference) name="reference (Fastify+stripe+bsqlite)" ;;
    nginx) name="nginx return 200 (HTTP ceiling)" ;;
    pg1) name="connectord on PostgreSQL, 1 process" ;;
    pg*) name="connectord on PostgreSQL, ${t#pg} processes" ;;
    esac
    store_ok="PASS (${stored[$t]} = ${acked[$t]} + $((${stored[$t]} - ${acked[$t]})) in flight)"
    [[ $t != nginx ]] || store_ok="(stores nothing)"
    [[ -z ${failures[$t]:-} ]] || store_ok="FAIL: ${failures[$t]}"
    printf '%-34s %12.0f %9.2f %9.2f %13s  %s\n' "$name" "${rps_med[$t]}" "${p50_med[$t]}" \
        "${p99_med[$t]}" "${rss_mb[$t]}" "$store_ok"
done
printf '%-34s %12s\n' "ratio connectord/reference" "${ratio}x"
printf '%-34s %11s%%\n' "connectord share of the ceiling" "$share"
echo
echo "CPU seconds per run of $DURATION (medians; $(nproc) cores give $((duration_s * $(nproc))) s):"
printf '%-34s %12s %12s %12s\n' "target" "server" "postgres" "wrk"
for t in "${targets[@]}"; do
    printf '%-34s %12s %12s %12s\n' "$t" \
        "$(tr ' ' '\n' <<<"${cpu_t_all[$t]}" | grep . | median)" \
        "$(tr ' ' '\n' <<<"${cpu_pg_all[$t]}" | grep . | median)" \
        "$(tr ' ' '\n' <<<"${cpu_wrk_all[$t]}" | grep . | median)"
done
echo
printf '%-40s %12s  %s\n' "target" "measured" "verdict"
printf '%-40s %12s  %s\n' ">= ${CEILING_TARGET_PCT} % of the HTTP ceiling (nginx)" "${share} %" \
    "$(verdict "$(awk -v r="$share" -v g="$CEILING_TARGET_PCT" 'BEGIN { print (r >= g) }')")"
printf '%-40s %12s  %s\n' ">= ${RATIO_TARGET}x the reference's webhooks/s" "${ratio}x" \
    "$(verdict "$(awk -v r="$ratio" -v g="$RATIO_TARGET" 'BEGIN { print (r >= g) }')")"
printf '%-40s %12s  %s\n' "p99 <= ${P99_TARGET_MS} ms at $CONNECTIONS connections" \
    "${p99_med[connectord]} ms" \
    "$(verdict "$(awk -v p="${p99_med[connectord]}" -v g="$P99_TARGET_MS" 'BEGIN { print (p <= g) }')")"
printf '%-40s %12s  %s\n' "peak RSS < ${RSS_TARGET_MB} MB" "${rss_mb[connectord]} MB" \
    "$(verdict "$(awk -v m="${rss_mb[connectord]}" -v g="$RSS_TARGET_MB" 'BEGIN { print (m < g) }')")"
printf '%-40s %12s  %s\n' "every acknowledged webhook stored" "" \
    "$([[ -z ${failures[connectord]:-} ]] && echo PASS || echo FAIL)"

[[ -z ${failures[connectord]:-}${failures[reference]:-} ]] || exit 1
