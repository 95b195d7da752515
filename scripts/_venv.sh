# Shared by scripts/run and scripts/test: a virtualenv in .venv with the project installed.
ensure_venv() {
  local extras="$1"
  if [ ! -x .venv/bin/python ]; then
    if ! python3 -m venv .venv 2>/dev/null; then
      rm -rf .venv
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "python3-venv is missing: installing it with apt-get" >&2
        apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv .venv
      else
        echo "error: python3 -m venv failed; install python3-venv (Debian) and re-run" >&2
        exit 1
      fi
    fi
  fi
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}"
}
