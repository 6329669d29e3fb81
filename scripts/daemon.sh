# Sourced by the scripts that run their own settingd (demo.sh, screenshots.sh).

# wait_for_settingd SETTING_BIN PID LOG: waits until the daemon answers on $SETTING_SOCKET, or
# shows its log and exits when it died during start-up.
wait_for_settingd() {
  local setting_bin=$1 pid=$2 log=$3
  for _ in $(seq 100); do
    if "$setting_bin" status >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "settingd exited during start-up:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "settingd did not answer within 10 s; its log: $log" >&2
  exit 1
}
