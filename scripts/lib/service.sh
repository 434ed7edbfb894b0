# Shared by scripts/kafka.sh and scripts/registry.sh: waiting for a service started in the
# background, and stopping it by its pid file. Sourced; the caller defines `log` and
# `answers` (exit 0 when the service answers).

# wait_answers NAME PIDFILE LOG...: waits up to 60 s until `answers`; on failure shows the
# last lines of the LOG files and returns 1.
wait_answers() {
  local name=$1 pidfile=$2
  shift 2
  for _ in $(seq 1 120); do
    if answers; then
      return 0
    fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      log "$name exited; last lines of its logs:"
      tail -n 30 "$@" >&2 || true
      return 1
    fi
    sleep 0.5
  done
  log "$name did not answer within 60 s"
  tail -n 30 "$@" >&2 || true
  return 1
}

# stop_pidfile NAME PIDFILE: SIGTERM, up to 30 s, then SIGKILL.
stop_pidfile() {
  local name=$1 pidfile=$2
  if [ -f "$pidfile" ]; then
    local pid
    pid=$(cat "$pidfile")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
    log "$name stopped"
  fi
}
