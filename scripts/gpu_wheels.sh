#!/usr/bin/env bash
# scripts/gpu_wheels.sh [DIR] — build the GPU machine's wheelhouse (default DIR: .whl, git-ignored) from
# scripts/gpu_wheels.txt: one wheel per line, for CPython 3.12 on manylinux x86_64 (the GPU image's Python), fetched
# with `pip download --no-deps --only-binary=:all:`; a distribution with no wheel on the index (an sdist only) is built
# here with `pip wheel --no-deps --no-binary NAME` and must come out pure Python (py3-none-any). Idempotent: a wheel
# already there is kept, another version of a listed distribution is removed, and the script stops if DIR ends up with
# two versions of one distribution (the install line would refuse them). Prints every wheel and the total size.
# Carry DIR to the GPU machine (`carry: [".whl"]`); repro.sh installs it into /tmp/cascade_site (README, "Running on a
# GPU machine").
set -euo pipefail
cd "$(dirname "$0")/.."
LIST=scripts/gpu_wheels.txt
DEST="${1:-.whl}"
PY="${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}"
PLAT=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64
      --platform manylinux2014_x86_64 --platform manylinux1_x86_64)
MAX_MIB=40   # the whole carried tree must stay under 64 MiB (the tree alone is ~16 MiB)

norm() { echo "$1" | tr '[:upper:]' '[:lower:]' | sed -E 's/[-_.]+/_/g'; }    # a distribution's name as wheel files spell it
wheels_of() { local n; n=$(norm "$1"); for f in "$DEST"/*.whl; do [ -e "$f" ] || continue
  [ "$(norm "$(basename "$f" | cut -d- -f1)")" = "$n" ] && echo "$f"; done; true; }

mkdir -p "$DEST"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
want=()
while read -r spec; do
  spec="${spec%%#*}"; spec="$(echo "$spec" | tr -d '[:space:]')"; [ -n "$spec" ] || continue
  case "$spec" in *==*) ;; *) echo "gpu_wheels: '$spec' in $LIST is not NAME==VERSION" >&2; exit 2 ;; esac
  name="${spec%%==*}"; ver="${spec#*==}"; want+=("$(norm "$name")")
  have=""
  for f in $(wheels_of "$name"); do
    if [ "$(basename "$f" | cut -d- -f2)" = "$ver" ]; then have="$f"; else echo "gpu_wheels: removing $(basename "$f") (want $spec)"; rm -f "$f"; fi
  done
  [ -n "$have" ] && continue
  if "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp "${PLAT[@]}" \
       -d "$tmp/dl" "$spec" >"$tmp/log" 2>&1; then
    mv "$tmp"/dl/*.whl "$DEST"/
  else
    echo "gpu_wheels: no wheel of $spec on the index; building it from its sdist"
    if ! "$PY" -m pip wheel -q --no-deps --no-binary "$name" -w "$tmp/build" "$spec" >"$tmp/log" 2>&1; then
      cat "$tmp/log" >&2; echo "gpu_wheels: could not build $spec" >&2; exit 1; fi
    f=$(ls "$tmp"/build/*.whl)
    case "$(basename "$f")" in *-py3-none-any.whl|*-py2.py3-none-any.whl) mv "$f" "$DEST"/ ;;
      *) echo "gpu_wheels: $spec built as $(basename "$f"), not pure Python: it would not run on the GPU image" >&2; exit 1 ;; esac
  fi
  rm -rf "$tmp/dl" "$tmp/build"
done < "$LIST"

# one version per distribution, and say which wheels are not in the list (kept: the install line takes them too)
dups=$(for f in "$DEST"/*.whl; do norm "$(basename "$f" | cut -d- -f1)"; done | sort | uniq -d)
if [ -n "$dups" ]; then echo "gpu_wheels: two versions of: $dups in $DEST; remove one" >&2; exit 1; fi
for f in "$DEST"/*.whl; do
  n=$(norm "$(basename "$f" | cut -d- -f1)")
  printf '%s\n' "${want[@]}" | grep -qx "$n" || echo "gpu_wheels: note: $(basename "$f") is not in $LIST (kept; it will be installed too)"
done
ls -l "$DEST"/*.whl | awk '{printf "%9.1f KiB  %s\n", $5/1024, $NF}'
kib=$(du -sk "$DEST" | cut -f1)
echo "gpu_wheels: $(ls "$DEST"/*.whl | wc -l) wheels, $((kib / 1024)).$(( (kib % 1024) * 10 / 1024 )) MiB in $DEST"
if [ "$kib" -gt $((MAX_MIB * 1024)) ]; then echo "gpu_wheels: over $MAX_MIB MiB: the carried tree would pass 64 MiB" >&2; exit 1; fi
