#!/usr/bin/env bash
# HTTP benchmark: connectord against nginx on the same machine, in the same run.
#
# Builds the optimized binary, starts connectord on a fresh SQLite store and nginx (one
# worker, `return 200`) as the ceiling, then drives each with wrk using identical settings:
#
#   nginx       GET /              a static `return 200` with a JSON body: the ceiling
#   healthz     GET /healthz       connectord's routing, response and access log, no store
#   tenant      GET /api/tenant    ... plus the bearer-token check and a tenant read (SQLite)
#
# Each target is measured REPEATS times, alternating targets so drift hits all of them alike;
# the table shows the median req/s and the median p99 latency. Targets: healthz >= 60 % and
# tenant >= 50 % of nginx's req/s.
#
#   bench/http.sh
#   DURATION=20s CONNECTIONS=128 THREADS=2 REPEATS=5 bench/http.sh
#
# Everything listens on 127.0.0.1 only; all processes started here stop on exit.
set -euo pipefail

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
REPEATS=${REPEATS:-3}
WARMUP=${WARMUP:-2s}
HEALTH_TARGET=60
TENANT_TARGET=50

cd "$(dirname "$0")/.."
root=$PWD

scripts/setup bench

bench_name=bench/http.sh
. "$root/bench/lib.sh"
bin=$(bench_binary)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/connectord-bench.XXXXXX")
cleanup_dirs+=("$tmp")

# ---- connectord --------------------------------------------------------------------------
cd_port=$(free_port)
db="sqlite:$tmp/c.db"
master_key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
created=$("$bin" tenant create --name Bench --plan pro --db "$db" 2>>"$tmp/connectord.log")
token=$(printf '%s' "$created" | sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
[[ -n "$token" ]] || die "cannot read the token from: $created"

# connectord writes one access-log line per request to stderr; it goes to a file here, as
# nginx's access_log below does, so both servers do the same logging work per request.
CONNECTORD_MASTER_KEY=$master_key "$bin" serve --listen "127.0.0.1:$cd_port" --db "$db" \
    >"$tmp/connectord.log" 2>&1 &
pids+=($!)

# ---- nginx -------------------------------------------------------------------------------
ng_port=$(free_port)
while [[ $ng_port == "$cd_port" ]]; do ng_port=$(free_port); done
nginx_start "$tmp" "$ng_port" "access_log $tmp/nginx-access.log;" \
    "return 200 '{\"status\":\"ok\"}';"

auth=(-H "Authorization: Bearer $token")
wait_ready "http://127.0.0.1:$ng_port/" "$tmp/nginx-stderr.log"
wait_ready "http://127.0.0.1:$cd_port/healthz" "$tmp/connectord.log"
wait_ready "http://127.0.0.1:$cd_port/api/tenant" "$tmp/connectord.log" "" "${auth[@]}"

# ---- measurement -------------------------------------------------------------------------
targets=(nginx healthz tenant)
declare -A url=(
    [nginx]="http://127.0.0.1:$ng_port/"
    [healthz]="http://127.0.0.1:$cd_port/healthz"
    [tenant]="http://127.0.0.1:$cd_port/api/tenant"
)

# run_wrk TARGET DURATION: prints wrk's output; fails on non-2xx answers or socket errors.
run_wrk() {
    local target=$1 duration=$2 out
    local args=(-t"$THREADS" -c"$CONNECTIONS" -d"$duration" --latency --timeout 5s)
    [[ $target == tenant ]] && args+=("${auth[@]}")
    out=$(wrk "${args[@]}" "${url[$target]}")
    if grep -q "Non-2xx or 3xx responses" <<<"$out"; then
        printf '%s\n' "$out" >&2
        die "$target answered with errors"
    fi
    if grep -q "Socket errors:.*timeout [1-9]" <<<"$out"; then
        printf '%s\n' "$out" >&2
        die "$target timed out"
    fi
    printf '%s\n' "$out"
}

# "Requests/sec:  12345.67" -> 12345.67
parse_rps() {
    awk '/^Requests\/sec:/ { print $2 }'
}

# "     99%    1.23ms" -> 1.23 (milliseconds; wrk prints us, ms, s or m)
parse_p99_ms() {
    awk '$1 == "99%" {
        v = $2; unit = v; sub(/^[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
        f = (unit == "us") ? 0.001 : (unit == "ms") ? 1 : (unit == "s") ? 1000 : (unit == "m") ? 60000 : -1
        if (f < 0) { print "?"; exit }
        printf "%.3f\n", v * f
    }'
}

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $REPEATS runs per target, $(nproc) cores," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the figures)" >&2
for t in "${targets[@]}"; do
    run_wrk "$t" "$WARMUP" >/dev/null
done

declare -A rps_all=() p99_all=()
for r in $(seq 1 "$REPEATS"); do
    for t in "${targets[@]}"; do
        out=$(run_wrk "$t" "$DURATION")
        rps=$(parse_rps <<<"$out")
        p99=$(parse_p99_ms <<<"$out")
        [[ -n "$rps" && -n "$p99" ]] || die "cannot parse wrk output for $t: $out"
        rps_all[$t]+="$rps "
        p99_all[$t]+="$p99 "
        printf '  run %d/%d  %-8s %10.0f req/s  p99 %8.2f ms\n' "$r" "$REPEATS" "$t" "$rps" "$p99" >&2
    done
done

# Both servers must still be running: a crash mid-run would make the figures meaningless.
for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || die "a server stopped during the run (logs were in $tmp)"
done

declare -A rps_med=() p99_med=()
for t in "${targets[@]}"; do
    rps_med[$t]=$(tr ' ' '\n' <<<"${rps_all[$t]}" | grep . | median)
    p99_med[$t]=$(tr ' ' '\n' <<<"${p99_all[$t]}" | grep . | median)
done

ceiling=${rps_med[nginx]}
echo
printf '%-22s %12s %10s %9s  %s\n' "target" "req/s" "p99 ms" "vs nginx" "goal"
for t in "${targets[@]}"; do
    case $t in
    nginx) name="nginx GET /"; goal="" ;;
    healthz) name="GET /healthz"; goal=$HEALTH_TARGET ;;
    tenant) name="GET /api/tenant (auth)"; goal=$TENANT_TARGET ;;
    esac
    ratio=$(awk -v a="${rps_med[$t]}" -v b="$ceiling" 'BEGIN { printf "%.1f", (b > 0) ? 100 * a / b : 0 }')
    verdict="ceiling"
    if [[ -n $goal ]]; then
        verdict=$(awk -v r="$ratio" -v g="$goal" 'BEGIN { print (r >= g) ? "PASS" : "MISS" }')
        verdict=">= $goal %  $verdict"
    fi
    printf '%-22s %12.0f %10.2f %8s%%  %s\n' "$name" "${rps_med[$t]}" "${p99_med[$t]}" "$ratio" "$verdict"
done
