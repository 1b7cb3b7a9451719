#!/usr/bin/env bash
# Instructions per delivered event, counted by valgrind's callgrind: a bounded, identical
# workload, so that two builds can be compared on a machine too busy for wall-clock figures.
#
#   bench/deliver-callgrind.sh                                  the tree's optimized build
#   CONNECTORD_BIN=/tmp/before/connectord bench/deliver-callgrind.sh
#   EVENTS=500 FAIL_EVERY=0 bench/deliver-callgrind.sh          the sink answers 200 to all
#   BACKLOG=1 FAIL_EVERY=0 bench/deliver-callgrind.sh           only the drain of a backlog: the
#                                                               sink is held while publishing
#
# The workload (bench/deliver-callgrind.js): a Node sink on 127.0.0.1 that answers 500 to every
# FAIL_EVERY-th (10th) request it gets, first attempts and retries alike, and 200 to the rest;
# connectord serve under callgrind with an enterprise tenant and two zapier destinations with
# eventTypes ["*"] pointing at the sink (as in bench/deliver.sh, whose failing run this is,
# with its retry schedule and breaker threshold); then EVENTS (2000) payment.settled events
# published through POST /api/projects/:projectId/events, CONCURRENCY (8) at a time, and the
# wait until the sink has answered 200 for every (event, destination) pair.
#
# The counters are zeroed once the destinations exist and dumped once the last pair is
# delivered, so start-up and shutdown are not counted. Printed: the instructions per event
# in all and without the WAL checkpoints, and the inclusive cost per event of the parts of
# the path (publishing on the HTTP threads and in the group commit, the engine's rounds,
# the event read, rendering, the recorded request, the answers). The dump is kept in OUT (a
# new temp directory unless given) for callgrind_annotate; bench/README.md reads it.
#
# What does not repeat exactly from run to run: above all the WAL checkpoints (their own
# thread copies the log into the database when it has grown, so how much it copies depends
# on timing: 7,000 to 50,000 instructions per event in runs of one build), then how many
# requests share a group commit, how many deliveries an engine round claims, and the
# engine's idle polls while retries wait. Runs of one build differ by about 1.5 % in all and
# by about 0.3 % without the checkpoints (the second line); the parts repeat to within 1 %.
set -euo pipefail

EVENTS=${EVENTS:-2000}
CONCURRENCY=${CONCURRENCY:-8}
FAIL_EVERY=${FAIL_EVERY:-10} # 0: the sink answers 200 to every request
BACKLOG=${BACKLOG:-0}       # 1: count only the drain of events published beforehand
RETRY_SCHEDULE=${RETRY_SCHEDULE:-1s,1s,1s,1s,1s,1s,1s,1s}
BREAKER_FAILURES=${BREAKER_FAILURES:-50}
READY_LIMIT=${READY_LIMIT:-120} # seconds connectord may take to start under valgrind

cd "$(dirname "$0")/.."
root=$PWD
bench_name=bench/deliver-callgrind.sh
. "$root/bench/lib.sh"

command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null ||
    die "needs valgrind (apt-get install valgrind)"
command -v node >/dev/null || die "needs node"
[[ $EVENTS =~ ^[1-9][0-9]*$ ]] || die "EVENTS must be a positive number"
[[ $FAIL_EVERY =~ ^[0-9]+$ ]] && ((FAIL_EVERY != 1)) || die "FAIL_EVERY must be 0 or 2 and more"

bin=$(bench_binary)
if [[ -n ${OUT:-} ]]; then
    mkdir -p "$OUT"
    out=$(realpath "$OUT")
else
    out=$(mktemp -d "${TMPDIR:-/tmp}/connectord-callgrind.XXXXXX")
fi
driver=$root/bench/deliver-callgrind.js

# The sink.
rm -f "$out/sink.port"
node "$driver" sink "$out/sink.port" "$FAIL_EVERY" >"$out/sink.log" 2>&1 &
sink_pid=$!
pids+=("$sink_pid")
for _ in $(seq 1 100); do
    [[ -s $out/sink.port ]] && break
    sleep 0.1
done
[[ -s $out/sink.port ]] || die "the sink did not start: $(cat "$out/sink.log")"
sink_port=$(cat "$out/sink.port")

# The tenant, then connectord under callgrind.
db=$out/c.db
rm -f "$db" "$db-wal" "$db-shm" "$out"/callgrind.out*
created=$("$bin" tenant create --name Bench --plan enterprise --db "sqlite:$db" 2>>"$out/connectord.log")
token=$(printf '%s' "$created" | sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
tenant=$(printf '%s' "$created" | sed -n 's/.*"tenantId": *"\([^"]*\)".*/\1/p')
[[ -n $token && -n $tenant ]] || die "cannot read the tenant from: $created"

extra=()
((FAIL_EVERY == 0)) ||
    extra+=(--retry-schedule "$RETRY_SCHEDULE" --breaker-failures "$BREAKER_FAILURES")
# the sink is held while publishing: its first requests wait instead of timing out
((BACKLOG == 0)) || extra+=(--delivery-timeout 600000)
port=$(free_port)
CONNECTORD_MASTER_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n') \
    valgrind --tool=callgrind --fair-sched=yes --callgrind-out-file="$out/callgrind.out" \
    "$bin" serve --listen "127.0.0.1:$port" --db "sqlite:$db" --allow-private-destinations \
    "${extra[@]}" >"$out/connectord.log" 2>&1 &
cd_pid=$!
pids+=("$cd_pid")
for ((i = 0; i < READY_LIMIT * 2; i++)); do
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz" 2>/dev/null && break
    kill -0 "$cd_pid" 2>/dev/null || die "connectord stopped: $(tail -n 20 "$out/connectord.log")"
    sleep 0.5
done
curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" || die "connectord did not come up"

api="http://127.0.0.1:$port/api/projects/$tenant"
for n in 1 2; do
    curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $token" \
        -H "Content-Type: application/json" \
        -d "{\"type\":\"zapier\",\"eventTypes\":[\"*\"],
             \"config\":{\"webhookUrl\":\"http://127.0.0.1:$sink_port/hook/$n\"}}" \
        "$api/connectors" || die "cannot create destination $n"
done

# Count only the events' way: zero now, dump once every pair is delivered.
callgrind_control -z "$cd_pid" >/dev/null 2>&1 || die "callgrind_control cannot reach connectord"
((BACKLOG == 0)) || kill -STOP "$sink_pid"
node "$driver" publish "$api/events" "$token" "$EVENTS" "$CONCURRENCY" "$out/sink.port" \
    $((2 * EVENTS)) >"$out/publish.log" 2>&1 &
pub_pid=$!
if ((BACKLOG)); then
    # every event committed: count from here, with the sink let go
    while ! grep -qs '^publish: published' "$out/publish.log"; do
        kill -0 "$pub_pid" 2>/dev/null || break
        sleep 0.2
    done
    callgrind_control -z "$cd_pid" >/dev/null 2>&1 || die "callgrind_control cannot reach connectord"
    kill -CONT "$sink_pid"
fi
wait "$pub_pid" || die "publishing failed: $(cat "$out/publish.log")"
callgrind_control -d "$cd_pid" >/dev/null 2>&1 || die "callgrind_control could not dump"
stop "$cd_pid"
stop "$sink_pid"

callgrind_read "$out" "$EVENTS"
attempts=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' "$out/sink.log")
failed=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' "$out/sink.log")

echo "binary:     $bin"
if ((FAIL_EVERY == 0)); then
    sink_does="the sink answers 200 to all"
else
    sink_does="the sink answers 500 to every ${FAIL_EVERY}th request"
fi
echo "workload:   $EVENTS events x 2 destinations, $sink_does ($attempts requests, $failed" \
    "answered 500)"
echo "dump:       $dump"
callgrind_totals event
callgrind_part "publish, on the HTTP thread (api_events_publish)" ':api_events_publish '
callgrind_part "publish, its answer after the commit (finish)" 'api/events\.c:finish '
callgrind_part "publish, in the group commit (api/events.c insert)" 'api/events\.c:insert '
callgrind_part "engine rounds, in the group commit (write_round)" ':write_round '
callgrind_part "the engine's thread (engine_main)" ':engine_main '
callgrind_part "  rendering and signing (render_with)" ':render_with '
callgrind_part "  the attempt's request, masked (append_masked)" ':append_masked '
callgrind_part "  the answer (on_answer: classify, settle)" ':on_answer '
callgrind_part "the committer's thread (committer_main)" ':committer_main '
callgrind_part "the fsync thread (syncer_main)" ':syncer_main '
callgrind_part "the WAL checkpoints (checkpointer_main)" ':checkpointer_main '
