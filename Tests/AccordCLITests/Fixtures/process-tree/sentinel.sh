# Appends each signal that reaches it to $SENTINEL_LOG, then exits: 0 after SIGTERM, 3 after
# SIGINT (which should never come: it runs in a process group of its own). It waits on a child,
# as a shell wrapping a server does; the child goes with it.
trap 'echo SIGTERM >> "$SENTINEL_LOG"; kill "$child" 2>/dev/null; exit 0' TERM
trap 'echo SIGINT >> "$SENTINEL_LOG"; kill "$child" 2>/dev/null; exit 3' INT
echo READY
sleep 300 &
child=$!
wait
