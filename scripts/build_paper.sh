#!/usr/bin/env bash
# Build the paper: results/*.json -> figures/, paper/numbers.tex, paper/tables/ -> hand-number check -> paper/main.pdf
#
#   scripts/build_paper.sh                 # everything; installs LaTeX from Debian if it is missing (needs root)
#   scripts/build_paper.sh --no-install    # fail instead of installing LaTeX
#   RENDER=/tmp/pages scripts/build_paper.sh   # also render the pages as PNG (pdftoppm -r 60) into $RENDER
#
# The report stage and the check need only the project's Python environment (scripts/env.sh); LaTeX is needed
# only for the last step.
set -euo pipefail
cd "$(dirname "$0")/.."

INSTALL=1
for a in "$@"; do
  case "$a" in
    --no-install) INSTALL=0 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "build_paper.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

# Debian packages of the LaTeX toolchain: every file paper/main.fls reads comes from these (texlive-latex-extra
# and texlive-bibtex-extra are not needed). poppler-utils gives pdftoppm/pdfinfo.
TEX_PKGS=(latexmk texlive-latex-base texlive-latex-recommended texlive-fonts-recommended)
need_tex() { ! command -v latexmk >/dev/null || ! command -v pdflatex >/dev/null || ! command -v bibtex >/dev/null \
             || ! kpsewhich microtype.sty >/dev/null || ! kpsewhich ptmr8t.tfm >/dev/null; }
if need_tex; then
  if [ "$INSTALL" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "[build_paper] installing LaTeX: ${TEX_PKGS[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${TEX_PKGS[@]}" poppler-utils >/dev/null
  else
    echo "[build_paper] LaTeX is missing: install ${TEX_PKGS[*]} (apt-get, as root) or drop --no-install" >&2
    exit 1
  fi
fi

# shellcheck disable=SC1091
source scripts/env.sh      # the project's venv (env.sh ends with `set +e`: turn strict mode back on)
set -euo pipefail

python -m cascade.report build --results results --figures figures --paper paper
python -m cascade.report check paper/main.tex

( cd paper && latexmk -pdf -interaction=nonstopmode -halt-on-error -file-line-error main.tex >/dev/null ) || {
  echo "[build_paper] latexmk failed; the end of paper/main.log:" >&2; tail -40 paper/main.log >&2; exit 1; }
# Undefined references or citations are errors for us, not warnings.
if grep -E "LaTeX Warning: (Reference|Citation) .* undefined|There were undefined references" paper/main.log >&2; then
  echo "[build_paper] undefined references or citations (above)" >&2; exit 1
fi
echo "[build_paper] wrote paper/main.pdf ($(pdfinfo paper/main.pdf 2>/dev/null | awk '/^Pages:/{print $2}') pages)"

if [ -n "${RENDER:-}" ]; then
  command -v pdftoppm >/dev/null || { echo "[build_paper] RENDER needs pdftoppm (apt-get install poppler-utils)" >&2; exit 1; }
  mkdir -p "$RENDER"
  pdftoppm -png -r 60 paper/main.pdf "$RENDER/page"
  echo "[build_paper] rendered pages into $RENDER"
fi
