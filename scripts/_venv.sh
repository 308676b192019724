# Sourced by scripts/run and scripts/test: create or reuse .venv and install the project into it
# (again when pyproject.toml, setup.py or a module it compiles changed). $1: the extra to install ("" or "dev").
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MONITOR_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
extra="${1:-}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
# reinstall when the project's metadata or a module that setup.py compiles changed (the compiled
# modules are used only while they match their sources: monitor/_native.py)
stamp="$VENV/.monitor-installed-$(cat "$ROOT/pyproject.toml" "$ROOT/setup.py" "$ROOT/monitor/_native.py" \
  "$ROOT"/monitor/match/{text,money,termset,_values,engine}.py \
  "$ROOT"/monitor/stories/{text,money,decide,cluster}.py | sha256sum | cut -c1-16)${extra:+-$extra}"
# an install with the dev extra holds everything the plain one needs: scripts/run after scripts/test reuses it
if [ ! -f "$stamp" ] && ! { [ -z "$extra" ] && [ -f "$stamp-dev" ]; }; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
  spec="$ROOT"
  [ -n "$extra" ] && spec="$ROOT[$extra]"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec"
  rm -f "$VENV"/.monitor-installed-* && touch "$stamp"
fi
