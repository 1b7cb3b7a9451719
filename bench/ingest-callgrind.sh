#!/usr/bin/env bash
# Instructions per booked webhook, counted by valgrind's callgrind: the ingest counterpart of
# bench/deliver-callgrind.sh, for comparing two builds on a machine too busy for wall-clock
# figures.
#
#   bench/ingest-callgrind.sh                                   the tree's optimized build
#   CONNECTORD_BIN=/tmp/before/connectord bench/ingest-callgrind.sh
#   EVENTS=1000 CONCURRENCY=16 bench/ingest-callgrind.sh
#
# The workload is bench/ingest.sh's: a pro tenant with the Stripe connector installed over
# the API (a fresh whsec_ secret, autoPost on), connectord serve under callgrind with
# --trusted-proxy 127.0.0.1/32 (not --dev), then EVENTS (3000) distinct Stripe
# invoice.payment_succeeded events signed by bench/ingest-sign.js, POSTed CONCURRENCY (16) at
# a time by bench/ingest-callgrind.js; every answer must be 200 and the store must hold one
# invoice per event. The counters are zeroed before the first event and dumped after the
# last answer, so start-up and shutdown are not counted.
#
# Printed: the instructions per webhook in all and without the WAL checkpoints, per thread
# (the committer, the HTTP threads, the fsync thread) and the inclusive cost per webhook of
# the parts of the path. The dump stays in OUT (a new temp directory unless given).
#
# What does not repeat exactly: the WAL checkpoints (timing decides how much their thread
# copies) and how many webhooks share a group commit; compare builds by the lines without
# the checkpoints, over runs of the same EVENTS and CONCURRENCY.
set -euo pipefail

EVENTS=${EVENTS:-3000}
CONCURRENCY=${CONCURRENCY:-16}
READY_LIMIT=${READY_LIMIT:-120} # seconds connectord may take to start under valgrind

cd "$(dirname "$0")/.."
root=$PWD
bench_name=bench/ingest-callgrind.sh
. "$root/bench/lib.sh"

command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null ||
    die "needs valgrind (apt-get install valgrind)"
command -v node >/dev/null || die "needs node"
command -v sqlite3 >/dev/null || die "needs sqlite3"
[[ $EVENTS =~ ^[1-9][0-9]*$ ]] || die "EVENTS must be a positive number"
[[ $CONCURRENCY =~ ^[1-9][0-9]*$ ]] || die "CONCURRENCY must be a positive number"

bin=$(bench_binary)
if [[ -n ${OUT:-} ]]; then
    mkdir -p "$OUT"
    out=$(realpath "$OUT")
else
    out=$(mktemp -d "${TMPDIR:-/tmp}/connectord-ingest-callgrind.XXXXXX")
fi

db=$out/c.db
rm -f "$db" "$db-wal" "$db-shm" "$out"/callgrind.out* "$out"/events.*
created=$("$bin" tenant create --name Bench --plan pro --db "sqlite:$db" 2>>"$out/connectord.log")
token=$(printf '%s' "$created" | sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
[[ -n $token ]] || die "cannot read the token from: $created"

port=$(free_port)
CONNECTORD_MASTER_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n') \
    valgrind --tool=callgrind --fair-sched=yes --callgrind-out-file="$out/callgrind.out" \
    "$bin" serve --listen "127.0.0.1:$port" --db "sqlite:$db" --trusted-proxy 127.0.0.1/32 \
    >"$out/connectord.log" 2>&1 &
cd_pid=$!
pids+=("$cd_pid")
for ((i = 0; i < READY_LIMIT * 2; i++)); do
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz" 2>/dev/null && break
    kill -0 "$cd_pid" 2>/dev/null || die "connectord stopped: $(tail -n 20 "$out/connectord.log")"
    sleep 0.5
done
curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" || die "connectord did not come up"

install_stripe "http://127.0.0.1:$port" "$token"

# A few webhooks first (the first booking's lookups, the statements' preparation), then
# the measured ones.
node "$root/bench/ingest-sign.js" "$secret" 20 warm "$out/events.warm" 1 >/dev/null
node "$root/bench/ingest-callgrind.js" "$url" "$out/events.warm.0" 4 >"$out/load.log" 2>&1 ||
    die "the warm-up failed: $(cat "$out/load.log")"
node "$root/bench/ingest-sign.js" "$secret" "$EVENTS" run "$out/events.run" 1 >/dev/null
callgrind_control -z "$cd_pid" >/dev/null 2>&1 || die "callgrind_control cannot reach connectord"
node "$root/bench/ingest-callgrind.js" "$url" "$out/events.run.0" "$CONCURRENCY" >"$out/load.log" 2>&1 ||
    die "the load failed: $(cat "$out/load.log")"
callgrind_control -d "$cd_pid" >/dev/null 2>&1 || die "callgrind_control could not dump"
stop "$cd_pid"

invoices=$(sqlite3 -cmd ".timeout 10000" "$db" "SELECT COUNT(*) FROM invoices")
((invoices == EVENTS + 20)) || die "the store holds $invoices invoices, expected $((EVENTS + 20))"

callgrind_read "$out" "$EVENTS"

echo "binary:     $bin"
echo "workload:   $EVENTS Stripe invoice.payment_succeeded webhooks, $CONCURRENCY at a time, all booked"
echo "dump:       $dump"
callgrind_totals webhook
callgrind_part "the committer's thread (committer_main)" ':committer_main '
callgrind_part "  the booking (job_work)" ':job_work '
callgrind_part "  the statements (sqlite3_step)" ':sqlite3_step '
callgrind_part "the HTTP side (on_request, the answers excluded)" 'http/server\.c:on_request '
callgrind_part "  the request's handler (api_webhook_receive)" ':api_webhook_receive '
callgrind_part "  the pipeline on the HTTP thread (pipeline_submit)" ':pipeline_submit '
callgrind_part "  the body's fields (sig_fields_read)" ':sig_fields_read '
callgrind_part "  the answer after the commit (webhook_finish)" ':webhook_finish '
callgrind_part "the fsync thread (syncer_main)" ':syncer_main '
callgrind_part "the WAL checkpoints (checkpointer_main)" ':checkpointer_main '
