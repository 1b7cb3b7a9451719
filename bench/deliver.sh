#!/usr/bin/env bash
# Outbound delivery benchmark: EVENTS payment.settled events published through the API, each
# fanned out to 2 generic webhook destinations (Standard Webhooks signed) that point at a local
# nginx sink, in two runs:
#
#   sink 200         nginx answers every delivery 200
#   sink 500 10 %    nginx answers 500 to about 10 % of the requests (each attempt drawn on its
#                    own), so deliveries retry on a short schedule until they get their 200
#
# Per run: a fresh store and connectord (the optimized binary, --allow-private-destinations to
# reach 127.0.0.1), an enterprise tenant, two zapier destinations with eventTypes ["*"], and an
# nginx with one worker. wrk (bench/deliver.lua) publishes exactly EVENTS events as fast as the
# API takes them; the run ends when no delivery is pending any more. Then:
#
#   deliveries/s   deliveries delivered / (last delivery recorded - first event created)
#   steady/s       the sink's rate of first 2xx answers between 10 % and 90 % of them
#   p50/p99 delay  first 2xx received by the sink ($msec in its access log) - the event's
#                  createdAt (from the store), over every (event, destination) pair
#   peak RSS       connectord's VmHWM at the end of the run
#   lost           (event, destination) pairs the sink never answered 2xx, or deliveries the
#                  store does not hold as delivered, whichever is more (at least once:
#                  repeated deliveries are counted, not failed)
#
# Each run is made on each store of STORES: sqlite (the default), pg1 and pg2 (a throwaway
# PostgreSQL on the same machine, synchronous_commit on, with one and with two connectord
# processes; wrk's threads take turns over the processes' ports, and each process's engine
# delivers from the shared outbox). A PostgreSQL run's store is copied into SQLite with
# `connectord store copy` once the processes stopped, so the figures come from the same
# queries. Each run also reports the CPU seconds of connectord, PostgreSQL and wrk.
#
# Each run is repeated REPEATS times, alternating runs; the table shows medians.
# Targets: >= 5,000 deliveries/s, peak RSS < 100 MB, no delivery lost.
#
#   bench/deliver.sh
#   REPEATS=1 EVENTS=20000 bench/deliver.sh
#   MODES=flaky BREAKER_FAILURES=5 bench/deliver.sh         # the 500 run with the default breaker
#   CONNECTORD_DELIVERY_CONCURRENCY=128 bench/deliver.sh   # connectord settings apply as usual
#   STORES="sqlite pg1 pg2" MODES=ok bench/deliver.sh       # also on PostgreSQL
#
# Everything listens on 127.0.0.1 only; all processes started here stop on exit. Exits 1 when
# a delivery is lost.
set -euo pipefail

EVENTS=${EVENTS:-100000}
REPEATS=${REPEATS:-3}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
DEST_TYPE=${DEST_TYPE:-zapier}
# ok: the sink answers 200; flaky: 500 to FAIL_PERCENT % of requests; backlog: the events are
# all written while the sink is held (SIGSTOP), then it is let go and the drain of that
# backlog is timed; steady: published at STEADY_RATE events/s (below saturation), the delay
# from commit to delivery is the figure
MODES=${MODES:-backlog steady ok flaky}
STEADY_RATE=${STEADY_RATE:-500}     # events/s published in the steady run
STEADY_EVENTS=${STEADY_EVENTS:-15000} # events of the steady run (30 s at 500/s)
STORES=${STORES:-sqlite} # sqlite, pgN: PostgreSQL with N connectord processes
FAIL_PERCENT=${FAIL_PERCENT:-10}
# The failing run's retry schedule: 9 attempts a second apart, so a delivery dies only when
# all of them draw a 500 (0.1^9 per delivery), and the last retries end within seconds.
RETRY_SCHEDULE=${RETRY_SCHEDULE:-1s,1s,1s,1s,1s,1s,1s,1s}
# The breaker opens on consecutive failures of a destination. With independent 10 % failures,
# 5 in a row (the default) come about once per 100,000 requests and would pause the destination
# for 30 s; the failing run raises the threshold so the figure measures retries, not pauses.
# BREAKER_FAILURES=5 shows what the default does.
BREAKER_FAILURES=${BREAKER_FAILURES:-50}
PUBLISH_LIMIT=${PUBLISH_LIMIT:-600} # seconds wrk may take to publish the events
DRAIN_LIMIT=${DRAIN_LIMIT:-600}     # seconds the deliveries may take after the last event
RATE_TARGET=5000
RSS_TARGET_MB=100
DRAIN_TARGET=20000     # deliveries/s draining a backlog written beforehand
DELAY_TARGET_MS=250    # p99 commit-to-delivery delay at a steady load below saturation

cd "$(dirname "$0")/.."
root=$PWD

scripts/setup bench

bench_name=bench/deliver.sh
. "$root/bench/lib.sh"
bin=$(bench_binary)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/connectord-deliver.XXXXXX")
cleanup_dirs+=("$tmp")

[[ $EVENTS =~ ^[0-9]+$ ]] && ((EVENTS >= THREADS && EVENTS % THREADS == 0)) ||
    die "EVENTS must be a multiple of THREADS ($THREADS)"
((CONNECTIONS >= THREADS)) || die "CONNECTIONS must be at least THREADS"
[[ $FAIL_PERCENT =~ ^[0-9]+$ ]] && ((FAIL_PERCENT > 0 && FAIL_PERCENT < 100)) ||
    die "FAIL_PERCENT must be 1 to 99"

# per_s N FROM_MS TO_MS: N per second over the span; 0 when it is empty.
per_s() {
    awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", (b > a) ? 1000 * n / (b - a) : 0 }'
}

# start_sink DIR MODE: nginx with one worker on a free port, answering POST /hook/<n>; MODE
# "ok" answers 200, "flaky" answers 500 to FAIL_PERCENT % of the requests, chosen by a hash
# of nginx's random per-request id, so every attempt (first or retry) is drawn on its own.
# The access log has one line per request: $msec (the time the answer went out), the
# webhook-id header (the event id), the path (the destination) and the status. Sets sink_port
# and sink_pid.
start_sink() {
    local dir=$1 mode=$2 fail_conf="" fail_if="" try
    if [[ $mode == flaky ]]; then
        fail_conf="split_clients \"\${request_id}\" \$sink_fail { $FAIL_PERCENT% 1; * 0; }"
        fail_if="if (\$sink_fail) { return 500 '{\"error\":\"bench\"}'; }"
    fi
    for try in 1 2 3; do
        sink_port=$(free_port)
        nginx_start "$dir" "$sink_port" \
            "log_format sink '\$msec\t\$http_webhook_id\t\$uri\t\$status';
    access_log $dir/sink.log sink;
    client_body_buffer_size 16k;
    $fail_conf" "$fail_if
            return 200 '{\"ok\":true}';"
        sink_pid=$ng_pid
        wait_ready "http://127.0.0.1:$sink_port/ready" "$dir/nginx-stderr.log" "$sink_pid" &&
            return 0
    done
    die "nginx found no free port"
}

# sq DB SQL...: one sqlite3 call that waits for the server's write lock instead of failing.
sq() {
    local db=$1
    shift
    sqlite3 -cmd ".timeout 10000" "$db" "$@"
}

# open_count DSN: the deliveries still pending or in flight.
open_count() {
    local q="SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'delivering')"
    case $1 in
    sqlite:*) sq "${1#sqlite:}" "$q" ;;
    *) pg_sql "$1" "$q" ;;
    esac
}

pg_or_zero() {
    if [[ -n ${pg_pid:-} ]]; then pg_ticks; else echo 0; fi
}

# run_one MODE R STORE: one run. Sets: ev_rate rate steady p50 p99 rss_mb retries fails_seen
# lost cpu_cd cpu_pg cpu_wrk and detail (a line for the log).
run_one() {
    local mode=$1 r=$2 store=$3 dir=$tmp/$1-$2-$3 port db dsn token created tenant cd_pid
    local nproc_cd=1 cd_pids=() cd_ports=() k
    mkdir -p "$dir"
    start_sink "$dir" "$mode"
    # readiness probes are not deliveries
    : >"$dir/sink.log"

    db=$dir/c.db
    dsn="sqlite:$db"
    if [[ $store == pg* ]]; then
        nproc_cd=${store#pg}
        dsn=$(pg_createdb "deliver_${mode}_${r}_$store")
    fi
    created=$("$bin" tenant create --name Bench --plan enterprise --db "$dsn" \
        2>>"$dir/connectord.log")
    token=$(printf '%s' "$created" | sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
    tenant=$(printf '%s' "$created" | sed -n 's/.*"tenantId": *"\([^"]*\)".*/\1/p')
    [[ -n "$token" && -n "$tenant" ]] || die "cannot read the tenant from: $created"

    local extra=() try
    if [[ $mode == backlog ]]; then
        # The held sink answers nothing while the backlog is written: the engine's first
        # requests wait for it (they must not time out and turn into retries), the rest of
        # the deliveries stay pending.
        extra+=(--delivery-timeout 600000 --delivery-lease 900000)
    fi
    if [[ $mode == flaky ]]; then
        extra+=(--retry-schedule "$RETRY_SCHEDULE" --breaker-failures "$BREAKER_FAILURES")
    fi
    local key
    key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    for k in $(seq 1 "$nproc_cd"); do
        for try in 1 2 3 4; do
            ((try < 4)) || die "connectord found no free port"
            port=$(free_port)
            [[ $port != "$sink_port" ]] || continue
            CONNECTORD_MASTER_KEY=$key "$bin" serve \
                --listen "127.0.0.1:$port" --db "$dsn" --allow-private-destinations \
                "${extra[@]}" >"$dir/connectord.$k.log" 2>&1 &
            cd_pid=$!
            pids+=("$cd_pid")
            wait_ready "http://127.0.0.1:$port/healthz" "$dir/connectord.$k.log" "$cd_pid" &&
                break
        done
        cd_pids+=("$cd_pid")
        cd_ports+=("$port")
    done
    port=${cd_ports[0]}

    local api="http://127.0.0.1:$port/api/projects/$tenant" hook
    for n in 1 2; do
        hook="http://127.0.0.1:$sink_port/hook/$n"
        curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $token" \
            -H "Content-Type: application/json" \
            -d "{\"type\":\"$DEST_TYPE\",\"eventTypes\":[\"*\"],
                 \"config\":{\"webhookUrl\":\"$hook\"}}" \
            "$api/connectors" || die "cannot create destination $n"
    done

    # Publish. Each wrk thread stops once its quota is sent and answered and says so with a
    # file; wrk's own -d would keep the process waiting, so it is interrupted (it reports at
    # once) when every thread is done, 15 s after every thread has sent its quota (an answer
    # lost to a broken connection never comes), or when PUBLISH_LIMIT is up.
    local wrk_pid counts ok other sent n_sent n_done all_sent_at=0 cd0 pg0 wrk_t=0
    local n_events=$EVENTS pace_ms=0
    if [[ $mode == steady ]]; then
        # Each connection waits CONNECTIONS / STEADY_RATE s between its requests.
        n_events=$STEADY_EVENTS
        pace_ms=$((CONNECTIONS * 1000 / STEADY_RATE))
    fi
    # Held: nginx's master and its worker (the worker serves; the master alone would not do).
    # The worker joins pids meanwhile, so an exit before the release still lets it go.
    local held=()
    if [[ $mode == backlog ]]; then
        held=("$sink_pid" $(pgrep -P "$sink_pid"))
        ((${#held[@]} > 1)) || die "cannot find the sink's worker process"
        pids+=("${held[@]:1}")
        kill -STOP "${held[@]}"
    fi
    cd0=$(cpu_ticks "${cd_pids[@]}")
    pg0=$(pg_or_zero)
    DELIVER_PACE_MS=$pace_ms DELIVER_PORTS="${cd_ports[*]}" wrk -t"$THREADS" -c"$CONNECTIONS" \
        -d"$((PUBLISH_LIMIT + 60))s" --timeout 10s \
        -s "$root/bench/deliver.lua" "$api/events" -- "$token" $((n_events / THREADS)) \
        "$dir/published" >"$dir/wrk.out" 2>&1 &
    wrk_pid=$!
    pids+=("$wrk_pid")
    local publish_deadline=$((SECONDS + PUBLISH_LIMIT))
    while kill -0 "$wrk_pid" 2>/dev/null; do
        n_sent=$(find "$dir" -maxdepth 1 -name 'published.sent.*' | wc -l)
        n_done=$(find "$dir" -maxdepth 1 -name 'published.done.*' | wc -l)
        ((n_done >= THREADS || SECONDS >= publish_deadline)) && break
        if ((n_sent >= THREADS)); then
            ((all_sent_at > 0)) || all_sent_at=$SECONDS
            ((SECONDS - all_sent_at < 15)) || break
        fi
        sleep 0.1
    done
    wrk_t=$(cpu_ticks "$wrk_pid")
    kill -INT "$wrk_pid" 2>/dev/null || true
    wait "$wrk_pid" 2>/dev/null || true
    forget "$wrk_pid"
    counts=$(sed -n 's/^publish: //p' "$dir/wrk.out")
    ok=$(sed -n 's/.*\bok=\([0-9]*\).*/\1/p' <<<"$counts")
    other=$(sed -n 's/.*\bother=\([0-9]*\).*/\1/p' <<<"$counts")
    sent=$(sed -n 's/.*\bsent=\([0-9]*\).*/\1/p' <<<"$counts")
    [[ -n $ok && -n $other && -n $sent ]] || die "cannot parse wrk output: $(cat "$dir/wrk.out")"
    ((other == 0)) || die "$other events were not accepted ($counts); see $dir/connectord.log"
    ((sent == n_events)) ||
        die "only $sent of $n_events events sent within ${PUBLISH_LIMIT}s: $(cat "$dir/wrk.out")"
    local released_ms=0
    if [[ $mode == backlog ]]; then
        # Every event and its deliveries are committed: the backlog is complete. Let the sink go.
        released_ms=$(date +%s%3N)
        kill -CONT "${held[@]}"
        for k in "${held[@]:1}"; do forget "$k"; done
    fi

    # Wait until nothing is pending or in flight any more.
    local open deadline=$((SECONDS + DRAIN_LIMIT))
    while :; do
        open=$(open_count "$dsn")
        ((open == 0)) && break
        for k in "${cd_pids[@]}"; do
            kill -0 "$k" 2>/dev/null || die "connectord stopped (see $dir/connectord.*.log)"
        done
        if ((SECONDS >= deadline)); then
            echo "bench/deliver.sh: $open deliveries still open ${DRAIN_LIMIT}s after the" \
                "last event" >&2
            break
        fi
        sleep 0.2
    done
    cpu_cd=$(ticks_s $(($(cpu_ticks "${cd_pids[@]}") - cd0)))
    cpu_pg=$(ticks_s $(($(pg_or_zero) - pg0)))
    cpu_wrk=$(ticks_s "$wrk_t")
    local kb=0 one
    for k in "${cd_pids[@]}"; do # the largest process
        one=$(awk '/^VmHWM:/ { print $2 }' "/proc/$k/status")
        ((one > kb)) && kb=$one
    done
    rss_mb=$(awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }')
    for k in "${cd_pids[@]}"; do stop "$k"; done
    stop "$sink_pid" # its log is complete once it has stopped
    if [[ $dsn != sqlite:* ]]; then # the figures' queries read SQLite: a copy of the store
        "$bin" store copy --from "$dsn" --to "sqlite:$db" >"$dir/copy.out" 2>&1 ||
            die "cannot copy the PostgreSQL store: $(cat "$dir/copy.out")"
    fi

    # The figures, from the store and the sink's log, in a scratch database.
    local fig
    fig=$(sqlite3 "$dir/analysis.db" <<EOF
ATTACH '$db' AS s;
CREATE TABLE sink (t REAL, event_id TEXT, path TEXT, status INTEGER);
.mode tabs
.import $dir/sink.log sink
CREATE TABLE ev AS SELECT id, CAST(strftime('%s', created_at) AS INTEGER) * 1000
    + CAST(substr(created_at, 21, 3) AS INTEGER) AS ms FROM s.events
    WHERE type = 'payment.settled';
CREATE TABLE dl AS SELECT * FROM s.deliveries WHERE event_type = 'payment.settled';
CREATE TABLE got AS SELECT event_id, path, MIN(CAST(round(t * 1000) AS INTEGER)) AS ms
    FROM sink WHERE status BETWEEN 200 AND 299 GROUP BY event_id, path;
CREATE TABLE delay AS SELECT got.ms - ev.ms AS d FROM got JOIN ev ON ev.id = got.event_id
    WHERE got.path IN ('/hook/1', '/hook/2') ORDER BY d;
CREATE TABLE fin AS SELECT ms FROM got ORDER BY ms;
.mode list
.separator ' '
SELECT
  (SELECT COUNT(*) FROM ev),
  (SELECT COUNT(*) FROM dl),
  (SELECT COUNT(*) FROM dl WHERE status = 'delivered'),
  (SELECT COALESCE(SUM(attempts), 0) FROM dl),
  (SELECT COUNT(*) FROM s.delivery_attempts WHERE delivery_id IN (SELECT id FROM dl)),
  (SELECT MIN(ms) FROM ev),
  (SELECT MAX(ms) FROM ev),
  (SELECT MAX(CAST(strftime('%s', delivered_at) AS INTEGER) * 1000
       + CAST(substr(delivered_at, 21, 3) AS INTEGER)) FROM dl),
  (SELECT COUNT(*) FROM delay),
  (SELECT COUNT(*) FROM sink),
  (SELECT COUNT(*) FROM sink WHERE status BETWEEN 200 AND 299),
  (SELECT COUNT(*) FROM sink WHERE status = 500),
  (SELECT d FROM delay LIMIT 1 OFFSET (SELECT COUNT(*) * 50 / 100 FROM delay)),
  (SELECT d FROM delay LIMIT 1 OFFSET (SELECT COUNT(*) * 99 / 100 FROM delay)),
  (SELECT MAX(d) FROM delay),
  (SELECT ms FROM fin LIMIT 1 OFFSET (SELECT COUNT(*) / 10 FROM fin)),
  (SELECT ms FROM fin LIMIT 1 OFFSET (SELECT COUNT(*) * 9 / 10 FROM fin)),
  (SELECT COUNT(*) FROM fin),
  (SELECT group_concat(status || '=' || n, ',') FROM
      (SELECT status, COUNT(*) AS n FROM dl GROUP BY status ORDER BY status));
EOF
    ) || die "cannot read the figures of run $mode $r"
    local n_ev n_dl n_ok attempts n_att first_ms last_ev_ms last_dl_ms n_pairs sink_all sink_2xx \
        sink_500 p50_ms p99_ms max_ms t10 t90 n_fin statuses
    read -r n_ev n_dl n_ok attempts n_att first_ms last_ev_ms last_dl_ms n_pairs sink_all sink_2xx \
        sink_500 p50_ms p99_ms max_ms t10 t90 n_fin statuses <<<"$fig"
    [[ -n ${statuses:-} ]] || die "unexpected figures of run $mode $r: $fig"

    # Every event in the store must reach both destinations; the store must hold every event
    # that was answered 201.
    local expected=$((2 * n_ev))
    # lost: the larger of the pairs the sink never answered 2xx and the deliveries the store
    # does not hold as delivered (rows missing from the fan-out count too)
    lost=$((expected - n_pairs > expected - n_ok ? expected - n_pairs : expected - n_ok))
    ((n_ev >= ok)) || lost=$((lost + 2 * (ok - n_ev)))
    retries=$((attempts - n_dl))
    ev_rate=$(per_s "$n_ev" "$first_ms" "$last_ev_ms")
    rate=$(per_s "$n_ok" "$first_ms" "$last_dl_ms")
    # The backlog's drain: from the sink's release to the last delivery recorded.
    [[ $mode != backlog ]] || rate=$(per_s "$n_ok" "$released_ms" "$last_dl_ms")
    steady=$(per_s $((n_fin * 8 / 10)) "$t10" "$t90")
    p50=$p50_ms
    p99=$p99_ms
    fails_seen=$(awk -v f="$sink_500" -v a="$sink_all" \
        'BEGIN { printf "%.2f", (a > 0) ? 100 * f / a : 0 }')
    local pauses
    pauses=$(cat "$dir"/connectord.*.log | grep -c 'times in a row; pausing it' || true)
    detail=$(printf '%s; %s; %s; %s; breaker opened %d times' \
        "$(printf 'events %d (%d/s published; %d 201 answers read)' "$n_ev" "$ev_rate" "$ok")" \
        "$(printf 'deliveries %s, attempts %d (%d recorded)' "$statuses" "$attempts" "$n_att")" \
        "$(printf 'sink %d requests: %d 2xx, %d 500 (%s %%), %d repeated 2xx' "$sink_all" \
            "$sink_2xx" "$sink_500" "$fails_seen" $((sink_2xx - n_fin)))" \
        "$(printf 'span %.1f s, largest delay %d ms' \
            "$(awk -v a="$first_ms" -v b="$last_dl_ms" 'BEGIN { print (b - a) / 1000 }')" \
            "$max_ms")" "$pauses")
    rm -f "$dir/c.db" "$dir/c.db-wal" "$dir/c.db-shm" "$dir/analysis.db" "$dir/sink.log"
}

echo "$EVENTS payment.settled events x 2 $DEST_TYPE destinations, published by wrk" \
    "-t$THREADS -c$CONNECTIONS; $REPEATS runs per sink mode; sink 500 runs with" \
    "--retry-schedule $RETRY_SCHEDULE --breaker-failures $BREAKER_FAILURES; $(nproc) cores" \
    "shared by wrk, nginx and connectord, load average $(cut -d' ' -f1-3 /proc/loadavg)" \
    "(other work on the machine skews the figures)" >&2

read -ra modes_in <<<"$MODES"
read -ra stores <<<"$STORES"
for m in "${modes_in[@]}"; do
    [[ $m =~ ^(ok|flaky|backlog|steady)$ ]] ||
        die "MODES holds ok, flaky, backlog and steady, not '$m'"
done
declare -A name=()
modes=() # mode/store pairs
for st in "${stores[@]}"; do
    [[ $st == sqlite || $st =~ ^pg[1-9]$ ]] || die "STORES holds sqlite and pgN, not '$st'"
    [[ $st == sqlite ]] || [[ -n ${pg_pid:-} ]] || pg_start
    for m in "${modes_in[@]}"; do
        modes+=("$m/$st")
        case $m in
        ok) name[$m/$st]="sink 200" ;;
        flaky) name[$m/$st]="sink 500 for $FAIL_PERCENT %" ;;
        backlog) name[$m/$st]="backlog drain, sink 200" ;;
        steady) name[$m/$st]="steady $STEADY_RATE/s, sink 200" ;;
        esac
        case $st in
        sqlite) ;;
        pg1) name[$m/$st]+=", pg 1 proc" ;;
        *) name[$m/$st]+=", pg ${st#pg} procs" ;;
        esac
    done
done
declare -A all_ev=() all_rate=() all_steady=() all_p50=() all_p99=() all_rss=() all_retries=() \
    all_fails=() lost_total=() all_cpu_cd=() all_cpu_pg=() all_cpu_wrk=()
for r in $(seq 1 "$REPEATS"); do
    for m in "${modes[@]}"; do
        run_one "${m%/*}" "$r" "${m#*/}"
        all_cpu_cd[$m]+="$cpu_cd "
        all_cpu_pg[$m]+="$cpu_pg "
        all_cpu_wrk[$m]+="$cpu_wrk "
        all_ev[$m]+="$ev_rate "
        all_rate[$m]+="$rate "
        all_steady[$m]+="$steady "
        all_p50[$m]+="$p50 "
        all_p99[$m]+="$p99 "
        all_rss[$m]+="$rss_mb "
        all_retries[$m]+="$retries "
        all_fails[$m]+="$fails_seen "
        lost_total[$m]=$((${lost_total[$m]:-0} + lost))
        printf '  run %d/%d  %-16s %6d deliveries/s  steady %6d/s  delay p50 %6d ms  p99 %6d ms' \
            "$r" "$REPEATS" "${name[$m]}" "$rate" "$steady" "$p50" "$p99" >&2
        printf '  RSS %5.1f MB  retries %d  lost %d  cpu s: connectord %s postgres %s wrk %s\n' \
            "$rss_mb" "$retries" "$lost" "$cpu_cd" "$cpu_pg" "$cpu_wrk" >&2
        printf '            %s\n' "$detail" >&2
    done
done

med() { tr ' ' '\n' <<<"$1" | grep . | median; }
verdict() { awk -v ok="$1" 'BEGIN { print ok ? "PASS" : "MISS" }'; }

echo
printf '%-34s %12s %10s %10s %9s %9s %12s %9s %10s  %s\n' "run" "deliveries/s" "steady/s" \
    "events/s" "p50 ms" "p99 ms" "peak RSS MB" "retries" "500s seen" "lost"
declare -A rate_med=() rss_med=()
for m in "${modes[@]}"; do
    rate_med[$m]=$(med "${all_rate[$m]}")
    rss_med[$m]=$(med "${all_rss[$m]}")
    printf '%-34s %12.0f %10.0f %10.0f %9.0f %9.0f %12.1f %9.0f %9.2f%%  %d\n' "${name[$m]}" \
        "${rate_med[$m]}" "$(med "${all_steady[$m]}")" "$(med "${all_ev[$m]}")" \
        "$(med "${all_p50[$m]}")" "$(med "${all_p99[$m]}")" "${rss_med[$m]}" \
        "$(med "${all_retries[$m]}")" "$(med "${all_fails[$m]}")" "${lost_total[$m]}"
done
echo
echo "CPU seconds per run, from the first event published to the last delivery (medians):"
printf '%-34s %12s %12s %12s\n' "run" "connectord" "postgres" "wrk"
for m in "${modes[@]}"; do
    printf '%-34s %12s %12s %12s\n' "${name[$m]}" "$(med "${all_cpu_cd[$m]}")" \
        "$(med "${all_cpu_pg[$m]}")" "$(med "${all_cpu_wrk[$m]}")"
done
echo
printf '%-40s %12s  %s\n' "target" "measured" "verdict"
for m in "${modes[@]}"; do
    case $m in
    backlog/*)
        printf '%-40s %12s  %s\n' ">= $DRAIN_TARGET deliveries/s, ${name[$m]}" \
            "${rate_med[$m]}/s" "$(verdict "$(awk -v r="${rate_med[$m]}" -v g="$DRAIN_TARGET" \
                'BEGIN { print (r >= g) }')")" ;;
    steady/*)
        p99_med=$(med "${all_p99[$m]}")
        printf '%-40s %12s  %s\n' "delay p99 < $DELAY_TARGET_MS ms, ${name[$m]}" "$p99_med ms" \
            "$(verdict "$(awk -v d="$p99_med" -v g="$DELAY_TARGET_MS" 'BEGIN { print (d < g) }')")" ;;
    *)
        printf '%-40s %12s  %s\n' ">= $RATE_TARGET deliveries/s, ${name[$m]}" "${rate_med[$m]}/s" \
            "$(verdict "$(awk -v r="${rate_med[$m]}" -v g="$RATE_TARGET" 'BEGIN { print (r >= g) }')")" ;;
    esac
done
rss_max=$(printf '%s\n' "${all_rss[@]}" | tr ' ' '\n' | grep . | sort -g | tail -n 1)
printf '%-40s %12s  %s\n' "peak RSS < $RSS_TARGET_MB MB (largest run)" "$rss_max MB" \
    "$(verdict "$(awk -v m="$rss_max" -v g="$RSS_TARGET_MB" 'BEGIN { print (m < g) }')")"
lost_all=0
for m in "${modes[@]}"; do
    lost_all=$((lost_all + ${lost_total[$m]}))
done
printf '%-40s %12s  %s\n' "no delivery lost" "$lost_all" \
    "$( ((lost_all == 0)) && echo PASS || echo FAIL)"

((lost_all == 0)) || exit 1
