# Shared by scripts/run: the port it serves on (PORT, default 5000) is also the port of the
# tracking links its worker e-mails (OMNIORDER_PUBLIC_PORT), unless the environment sets
# OMNIORDER_PUBLIC_PORT itself (an empty value: links without a port, as behind a proxy on 80/443).
PORT="${PORT:-5000}"
export PORT
if [ -z "${OMNIORDER_PUBLIC_PORT+set}" ]; then
  OMNIORDER_PUBLIC_PORT="$PORT"
  export OMNIORDER_PUBLIC_PORT
fi
