#!/usr/bin/env bash
# The exit path from MkDocs: build the site under ProperDocs (the maintained drop-in fork of
# MkDocs 1.6) with the same mkdocs.yml, hooks and Material theme, strictly, into a temp dir.
#
# ProperDocs 1.6.7 reads mkdocs.yml when there is no properdocs.yml, runs `hooks:`, loads plugins
# and themes registered for MkDocs, and redirects `import mkdocs.*` to `properdocs.*`. To prove
# the build needs nothing of MkDocs itself, the `mkdocs` package (pulled in by Material and by
# tanping's own pins) is uninstalled from this venv before the build.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-properdocs
stamp=$venv/.installed
PROPERDOCS=${PROPERDOCS_VERSION:-1.6.7}
MATERIAL=$(sed -n 's/.*"mkdocs-material==\([^"]*\)".*/\1/p' pyproject.toml)

if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ "$0" -nt "$stamp" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  printf '*\n' >"$venv/.gitignore" # keep the venv out of git status
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q "properdocs==$PROPERDOCS" "mkdocs-material==$MATERIAL" -e .
  "$venv/bin/python" -m pip uninstall -q -y mkdocs
  touch "$stamp"
fi
if "$venv/bin/python" -c 'import importlib.util as u, sys; sys.exit(u.find_spec("mkdocs") is None)'; then
  echo "properdocs-smoke: the mkdocs package is still installed in $venv" >&2
  exit 1
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$venv/bin/properdocs" --version
start=$(date +%s)
"$venv/bin/properdocs" build --strict --config-file mkdocs.yml --site-dir "$out/site"

# the same site: every report's pages, 计算过程, PDF and the subset fonts, and nothing remote
fail=0
for report in content/*/report.yml; do
  slug=$(basename "$(dirname "$report")")
  [ -s "$out/site/$slug/derivations.html" ] || { echo "properdocs-smoke: missing $slug/derivations.html" >&2; fail=1; }
  # the PDF of a report that passes `tanping check --filing` is <slug>.pdf, of a draft <slug>-草稿.pdf
  [ -s "$out/site/$slug/$slug.pdf" ] || [ -s "$out/site/$slug/$slug-草稿.pdf" ] \
    || { echo "properdocs-smoke: missing $slug/$slug.pdf (or $slug-草稿.pdf)" >&2; fail=1; }
done
for f in assets/fonts/noto-serif-cjk-sc-400.woff2 assets/fonts/noto-sans-cjk-sc-400.woff2 \
  search/search_index.json; do
  [ -s "$out/site/$f" ] || { echo "properdocs-smoke: missing $f" >&2; fail=1; }
done
if grep -rlE '<(script|link)[^>]+(src|href)="https?://' "$out/site" --include='*.html'; then
  echo "properdocs-smoke: pages above load something over the network" >&2
  fail=1
fi
[ "$fail" -eq 0 ] || exit 1
echo "properdocs-smoke: strict build passed in $(($(date +%s) - start)) s"
