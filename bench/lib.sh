# bench/lib.sh - what the benchmark scripts share, sourced by each (bash):
#
#   bench_name     the script's name, for messages (set before sourcing)
#   pids           processes the script started: stopped and waited for on exit
#   cleanup_dirs   directories removed on exit
#   die MSG        prints "bench/x.sh: MSG" and exits 1
#   free_port      a TCP port on 127.0.0.1 that nothing answers on
#   wait_ready     waits for a server's URL to answer 2xx (see below)
#   forget PID     a process that has ended leaves pids
#   stop PID       stops a process started here and waits for it
#   median         the median of numbers on stdin, one a line
#   bench_binary   the connectord to measure: $CONNECTORD_BIN (another build, an earlier
#                  commit's, to compare before and after a change on the same machine), or
#                  the tree's optimized build, made here (run from the repository's root)
#
# Everything the benchmarks start listens on 127.0.0.1 only.

pids=()
cleanup_dirs=()

bench_cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if ((${#cleanup_dirs[@]} > 0)); then
        rm -rf "${cleanup_dirs[@]}"
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
