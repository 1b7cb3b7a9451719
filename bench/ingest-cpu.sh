#!/usr/bin/env bash
# CPU time per booked webhook, per thread of connectord: where a webhook's cost goes, measured
# with the real clock of each thread rather than with a wall-clock rate. A machine shared with
# other work gives slow and noisy rates, but each thread's CPU seconds divided by the webhooks
# it booked moves much less; so this compares two builds, or a build against its profile,
# where bench/ingest.sh's rates cannot.
#
#   bench/ingest-cpu.sh                                     the tree's optimized build
#   CONNECTORD_BIN=/tmp/before/connectord bench/ingest-cpu.sh
#   DURATION=10s CONNECTIONS=64 bench/ingest-cpu.sh
#   DSN=postgres://USER@HOST:PORT/EMPTYDB bench/ingest-cpu.sh     on PostgreSQL (an empty database)
#
# The workload is bench/ingest.sh's: a pro tenant, the Stripe connector installed over the
# API (a fresh whsec_ secret, autoPost on), connectord serve with --trusted-proxy 127.0.0.1/32
# (not --dev), distinct signed invoice.payment_succeeded events sent by wrk with
# bench/ingest.lua for DURATION (6s) over CONNECTIONS (64). The threads' user+system time
# (/proc/PID/task/*/stat) is read before and after; the webhooks are the invoices the run
# stored (every answer must be 200). Printed per thread name (cd-committer: the bookings'
# transactions; MHD-worker: HTTP, verification, parse, the answer; cd-sync: the log's
# fdatasync and the answers' release; cd-checkpoint: copying the log into the database),
# with the bytes the process wrote per webhook (log, database, access log and sockets:
# /proc/PID/io wchar) and its peak RSS.
set -euo pipefail

DURATION=${DURATION:-6s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}

cd "$(dirname "$0")/.."
root=$PWD
bench_name=bench/ingest-cpu.sh
. "$root/bench/lib.sh"

for tool in wrk node sqlite3 curl; do
    command -v "$tool" >/dev/null || die "needs $tool (scripts/setup bench)"
done
bin=$(bench_binary)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/connectord-ingest-cpu.XXXXXX")
cleanup_dirs+=("$tmp")
db=$tmp/c.db
dsn=${DSN:-sqlite:$db}
[[ $dsn == sqlite:* ]] || command -v psql >/dev/null || die "DSN is PostgreSQL: needs psql"

created=$("$bin" tenant create --name Bench --plan pro --db "$dsn" 2>>"$tmp/connectord.log")
token=$(printf '%s' "$created" | sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
[[ -n $token ]] || die "cannot read the token from: $created"
port=$(free_port)
CONNECTORD_MASTER_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n') \
    "$bin" serve --listen "127.0.0.1:$port" --db "$dsn" --trusted-proxy 127.0.0.1/32 \
    >>"$tmp/connectord.log" 2>&1 &
cd_pid=$!
pids+=("$cd_pid")
wait_ready "http://127.0.0.1:$port/healthz" "$tmp/connectord.log"

install_stripe "http://127.0.0.1:$port" "$token"

# A warm-up (the statements' preparation, the first lookups), then enough distinct events
# for the run at 30,000 webhooks/s.
node "$root/bench/ingest-sign.js" "$secret" 200 warm "$tmp/warm" 1 >/dev/null
node "$root/bench/ingest-callgrind.js" "$url" "$tmp/warm.0" 8 >/dev/null ||
    die "the warm-up failed"
seconds=${DURATION%s}
[[ $seconds =~ ^[0-9]+$ ]] || die "DURATION must be whole seconds (6s)"
node "$root/bench/ingest-sign.js" "$secret" $((seconds * 30000)) run "$tmp/run" "$THREADS" >/dev/null

# thread name -> ticks, summed over threads of one name
thread_ticks() {
    for t in /proc/"$cd_pid"/task/*; do
        printf '%s %s\n' "$(tr ' ' '_' <"$t/comm")" "$(awk '{ print $14 + $15 }' "$t/stat")"
    done | awk '{ a[$1] += $2 } END { for (k in a) print k, a[k] }' | sort
}
invoices() {
    if [[ $dsn == sqlite:* ]]; then
        sqlite3 -cmd ".timeout 10000" "$db" "SELECT COUNT(*) FROM invoices"
    else
        psql -X -A -t -c "SELECT COUNT(*) FROM invoices" "$dsn"
    fi
}

inv0=$(invoices)
thread_ticks >"$tmp/before"
wchar0=$(awk '/^wchar/ { print $2 }' "/proc/$cd_pid/io")
out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$root/bench/ingest.lua" \
    "$url" -- "$tmp/run" 2>&1) || die "wrk failed: $out"
sleep 1 # the requests in flight when wrk stopped
thread_ticks >"$tmp/after"
wchar1=$(awk '/^wchar/ { print $2 }' "/proc/$cd_pid/io")
n=$(($(invoices) - inv0))
counts=$(sed -n 's/^ingest: //p' <<<"$out")
other=$(sed -n 's/.*\bother=\([0-9]*\).*/\1/p' <<<"$counts")
[[ ${other:-1} == 0 ]] || die "answers other than 200 ($counts); see $tmp/connectord.log"
((n > 0)) || die "nothing was booked"
hz=$(getconf CLK_TCK)

echo "binary:   $bin"
echo "workload: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $n webhooks booked" \
    "($(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")/s," \
    "p99 $(awk '$1 == "99%" { print $2 }' <<<"$out")), load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-16s %10s %14s\n' "thread" "CPU s" "us per webhook"
join "$tmp/before" "$tmp/after" | awk -v n="$n" -v hz="$hz" '
    { d = ($3 - $2) / hz; total += d; if (d > 0) printf "%-16s %10.2f %14.1f\n", $1, d, d * 1e6 / n }
    END { printf "%-16s %10.2f %14.1f\n", "all", total, total * 1e6 / n }'
printf 'bytes written per webhook: %d\n' $(((wchar1 - wchar0) / n))
printf 'peak RSS: %.1f MB\n' "$(awk '/^VmHWM:/ { print $2 / 1024 }' "/proc/$cd_pid/status")"
