#!/usr/bin/env bash
# Installs the Debian packages tanping needs when they are missing (Debian 12 or later).
#   python3 python3-venv        the interpreter and `python3 -m venv` for .venv
#   fonts-noto-cjk              Noto Serif/Sans CJK SC, embedded in every PDF and served by the site
#   fontconfig                  fc-match finds those fonts for the site's subset web fonts
#   libpango-1.0-0 libpangoft2-1.0-0  WeasyPrint's text layout
#   poppler-utils               pdftotext/pdffonts/pdftoppm used by the PDF tests
#   chromium                    the real browser of the browser tests (driven by Playwright)
#   git                         `tanping diff` and reproducible PDF dates
#   libreoffice-writer-nogui libreoffice-calc-nogui  a real client of the Word and Excel copies
#                               in the tests (converted headless to PDF, recalculated)
set -euo pipefail
packages=(python3 python3-venv fonts-noto-cjk fontconfig libpango-1.0-0 libpangoft2-1.0-0
  poppler-utils chromium git libreoffice-writer-nogui libreoffice-calc-nogui)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "tanping: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "tanping: missing Debian packages: ${missing[*]}" >&2
  echo "run once as root:  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
