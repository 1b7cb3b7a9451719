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
# exactly one invoice per 200 answered. Targets: connectord >= 5x the reference's webhooks/s,
# p99 < 10 ms at 64 connections, peak RSS < 30 MB.
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
RATIO_TARGET=5
P99_TARGET_MS=10
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
cd_port=$(free_port)
cd_db=$tmp/c.db
master_key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
created=$("$bin" tenant create --name Bench --plan pro --db "sqlite:$cd_db" 2>>"$tmp/connectord.log")
token=$(printf '%s' "$created" | sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
[[ -n "$token" ]] || die "cannot read the token from: $created"

# Not --dev: the webhook route's HTTPS check runs as in production. The requests come from
# 127.0.0.1, declared a trusted proxy, with X-Forwarded-Proto: https (bench/ingest.lua sends
# it), as behind a TLS-terminating proxy. The access log (one line per request, stderr) goes
# to a file; the reference writes one line per request to a file too.
CONNECTORD_MASTER_KEY=$master_key "$bin" serve --listen "127.0.0.1:$cd_port" --db "sqlite:$cd_db" \
    --trusted-proxy 127.0.0.1/32 >"$tmp/connectord.log" 2>&1 &
cd_pid=$!
pids+=("$cd_pid")
wait_ready "http://127.0.0.1:$cd_port/healthz" "$tmp/connectord.log"

installed=$(curl -fsS -X POST -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
    -d "{\"config\":{\"webhookSecret\":\"$secret\",\"autoPost\":true}}" \
    "http://127.0.0.1:$cd_port/api/connectors/stripe/install") || die "cannot install stripe"
cd_url=$(printf '%s' "$installed" | sed -n 's/.*"webhookUrl": *"\([^"]*\)".*/\1/p')
[[ $cd_url == "http://127.0.0.1:$cd_port/api/payment-import/stripe/"* ]] ||
    die "unexpected webhookUrl in: $installed"

# ---- reference ---------------------------------------------------------------------------
ref_port=$(free_port)
while [[ $ref_port == "$cd_port" ]]; do ref_port=$(free_port); done
ref_db=$tmp/reference.db
PORT=$ref_port DB_PATH=$ref_db STRIPE_WEBHOOK_SECRET=$secret \
    node "$ref_dir/server.js" >"$tmp/reference.log" 2>&1 &
ref_pid=$!
pids+=("$ref_pid")
wait_ready "http://127.0.0.1:$ref_port/healthz" "$tmp/reference.log"

# ---- measurement -------------------------------------------------------------------------
targets=(connectord reference)
declare -A url=([connectord]=$cd_url [reference]="http://127.0.0.1:$ref_port/webhooks/stripe")
declare -A db=([connectord]=$cd_db [reference]=$ref_db)
declare -A pid=([connectord]=$cd_pid [reference]=$ref_pid)
declare -A log=([connectord]=$tmp/connectord.log [reference]=$tmp/reference.log)

count_invoices() {
    sqlite3 -cmd ".timeout 10000" "${db[$1]}" "SELECT COUNT(*) FROM invoices" ||
        die "cannot count the invoices of $1"
}

# settle TARGET: waits (10 s at most) until the requests wrk left in flight are done: the
# invoice count and the log stop growing.
settle() {
    local t=$1 before after
    before="$(count_invoices "$t") $(stat -c %s "${log[$t]}")"
    for _ in $(seq 1 20); do
        sleep 0.5
        after="$(count_invoices "$t") $(stat -c %s "${log[$t]}")"
        [[ $after == "$before" ]] && return 0
        before=$after
    done
    die "$t is still busy 10 s after the load stopped"
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
run_wrk() {
    local t=$1 duration=$2 tag=$3 out inv0 counts sent
    inv0=$(count_invoices "$t")
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --latency --timeout 5s \
        -s "$root/bench/ingest.lua" "${url[$t]}" -- "$evdir/$tag" 2>&1) ||
        die "wrk failed against $t: $out"
    settle "$t"
    kill -0 "${pid[$t]}" 2>/dev/null || die "$t stopped during the run (logs in ${log[$t]})"
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
    elif ((invoices < wrk_ok || invoices > wrk_ok + unanswered)); then
        check="$invoices invoices stored, wrk counted $wrk_ok 200s and $unanswered unanswered"
    fi
}

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $REPEATS runs per target, $(nproc) cores" \
    "shared by wrk and the server under test, load average $(cut -d' ' -f1-3 /proc/loadavg)" \
    "(other work on the machine skews the figures)" >&2

# Warm-up: both servers see load once (JIT, caches, store growth); its rate sizes the runs.
declare -A events=()
for t in "${targets[@]}"; do
    sign "w${t:0:1}" $((warmup_s * 50000 > 100000 ? warmup_s * 50000 : 100000))
    run_wrk "$t" "$WARMUP" "w${t:0:1}"
    [[ $check == ok ]] || die "warm-up of $t: $check"
    # Twice the warm-up rate for the whole run, so no thread runs out of distinct events.
    events[$t]=${EVENTS:-$(awk -v r="$rps" -v d="$duration_s" \
        'BEGIN { n = int(2 * r * d) + 20000; print (n < 50000) ? 50000 : n }')}
    printf '  warm-up   %-10s %10.0f webhooks/s  (signing %d events per run)\n' "$t" "$rps" \
        "${events[$t]}" >&2
done

declare -A rps_all=() p50_all=() p99_all=() failures=() stored=() acked=()
for r in $(seq 1 "$REPEATS"); do
    for t in "${targets[@]}"; do
        sign "r${r}${t:0:1}" "${events[$t]}"
        run_wrk "$t" "$DURATION" "r${r}${t:0:1}"
        ((exhausted == 0)) || die "$t ran out of signed events in run $r; set EVENTS higher"
        rps_all[$t]+="$rps "
        p50_all[$t]+="$p50 "
        p99_all[$t]+="$p99 "
        stored[$t]=$((${stored[$t]:-0} + invoices))
        acked[$t]=$((${acked[$t]:-0} + wrk_ok))
        [[ $check == ok ]] || failures[$t]+="run $r: $check; "
        printf '  run %d/%d  %-10s %10.0f webhooks/s  p50 %7.2f ms  p99 %7.2f ms  load %s  %s\n' \
            "$r" "$REPEATS" "$t" "$rps" "$p50" "$p99" "$(cut -d' ' -f1 /proc/loadavg)" \
            "$invoices invoices = $wrk_ok 200s + $((invoices - wrk_ok)) in flight at the stop" >&2
    done
done

declare -A rps_med=() p50_med=() p99_med=() rss_mb=()
for t in "${targets[@]}"; do
    rps_med[$t]=$(tr ' ' '\n' <<<"${rps_all[$t]}" | grep . | median)
    p50_med[$t]=$(tr ' ' '\n' <<<"${p50_all[$t]}" | grep . | median)
    p99_med[$t]=$(tr ' ' '\n' <<<"${p99_all[$t]}" | grep . | median)
    kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/${pid[$t]}/status")
    rss_mb[$t]=$(awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }')
done
ratio=$(awk -v a="${rps_med[connectord]}" -v b="${rps_med[reference]}" \
    'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')

verdict() { awk -v ok="$1" 'BEGIN { print ok ? "PASS" : "MISS" }'; }

echo
printf '%-34s %12s %9s %9s %13s  %s\n' "target" "webhooks/s" "p50 ms" "p99 ms" "peak RSS MB" \
    "invoices == 200s"
for t in "${targets[@]}"; do
    case $t in
    connectord) name="connectord (C, group commit)" ;;
    reference) name="reference (Fastify+stripe+bsqlite)" ;;
    esac
    store_ok="PASS (${stored[$t]} = ${acked[$t]} + $((${stored[$t]} - ${acked[$t]})) in flight)"
    [[ -z ${failures[$t]:-} ]] || store_ok="FAIL: ${failures[$t]}"
    printf '%-34s %12.0f %9.2f %9.2f %13s  %s\n' "$name" "${rps_med[$t]}" "${p50_med[$t]}" \
        "${p99_med[$t]}" "${rss_mb[$t]}" "$store_ok"
done
printf '%-34s %12s\n' "ratio connectord/reference" "${ratio}x"
echo
printf '%-40s %12s  %s\n' "target" "measured" "verdict"
printf '%-40s %12s  %s\n' ">= ${RATIO_TARGET}x the reference's webhooks/s" "${ratio}x" \
    "$(verdict "$(awk -v r="$ratio" -v g="$RATIO_TARGET" 'BEGIN { print (r >= g) }')")"
printf '%-40s %12s  %s\n' "p99 < ${P99_TARGET_MS} ms at $CONNECTIONS connections" \
    "${p99_med[connectord]} ms" \
    "$(verdict "$(awk -v p="${p99_med[connectord]}" -v g="$P99_TARGET_MS" 'BEGIN { print (p < g) }')")"
printf '%-40s %12s  %s\n' "peak RSS < ${RSS_TARGET_MB} MB" "${rss_mb[connectord]} MB" \
    "$(verdict "$(awk -v m="${rss_mb[connectord]}" -v g="$RSS_TARGET_MB" 'BEGIN { print (m < g) }')")"
printf '%-40s %12s  %s\n' "every acknowledged webhook stored" "" \
    "$([[ -z ${failures[connectord]:-} ]] && echo PASS || echo FAIL)"

[[ -z ${failures[connectord]:-}${failures[reference]:-} ]] || exit 1
