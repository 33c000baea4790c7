# Helpers shared by the shell scripts in scripts/, sourced (never run):
#     . "$(dirname "$0")/lib.sh"
# The bench scripts get it through bench-common.sh. Only functions live here:
# sourcing it sets no shell options, variables or traps, so each script keeps
# its own `set` line and exit paths.

# free_port: prints a loopback TCP port that was free a moment ago.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# median "VALUES" [SPEC]: the median of the space-separated numbers in VALUES,
# truncated to an integer, or formatted with the Python format SPEC (.3f, .0f).
# VALUES is split on spaces on purpose.
# shellcheck disable=SC2086
median() { python3 -c "import statistics, sys; m = statistics.median(float(x) for x in sys.argv[2:]); print(format(m, sys.argv[1]) if sys.argv[1] else int(m))" "${2:-}" $1; }

# wrk_errors: repeats on standard error the error lines (non-2xx answers,
# socket errors) of the last wrk run, whose output is in $WORK/wrk.out.
wrk_errors() {
    local errors; errors=$(grep -E "Non-2xx|Socket errors" "$WORK/wrk.out" || true)
    [ -z "$errors" ] || echo "  wrk: $errors" >&2
}

# p99: the 99th-percentile latency of the last wrk --latency run, as wrk
# prints it (2.10ms, 950.00us), from $WORK/wrk.out.
p99() { awk '/ 99%/ {print $2}' "$WORK/wrk.out"; }

# The checks' reporting, for scripts that set passed=0, failed=0 and WORK (a
# scratch folder) first.
# check NAME COMMAND...: runs COMMAND; prints "ok   NAME", or "FAIL NAME" and
# the first lines of its output; counts either.
check() {
    local name=$1; shift
    if "$@" >"$WORK/out" 2>&1; then
        passed=$((passed + 1)); echo "ok   $name"
    else
        failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/     /' "$WORK/out" | head -30
    fi
}

# exit_is CODE COMMAND...: COMMAND exits with CODE.
exit_is() {
    local want=$1; shift
    "$@"; local got=$?
    [ "$got" -eq "$want" ] || { echo "exit status $got, wanted $want"; return 1; }
}

# contains TEXT COMMAND...: COMMAND's output (standard output and error) holds TEXT.
contains() {
    local text=$1; shift
    local output; output=$("$@" 2>&1)
    grep -qF -- "$text" <<<"$output" || { echo "output lacks: $text"; echo "$output"; return 1; }
}
