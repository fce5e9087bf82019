#!/bin/sh
# Debian/Ubuntu packages the toolkit uses: Chromium (PDF reports, browser tests), poppler-utils
# (pdftotext/pdftoppm in tests), fonts with Cyrillic and PostgreSQL (the ledger's tests start a
# throwaway server of their own). Installs only what is missing.
set -e
need=""
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || [ -n "$KPI_TOOLKIT_CHROMIUM" ] || need="$need chromium"
command -v pdftotext >/dev/null 2>&1 || need="$need poppler-utils"
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need="$need fonts-dejavu-core"
[ -d /usr/share/fonts/truetype/noto ] || need="$need fonts-noto-core"
[ -d /usr/share/fonts/truetype/liberation2 ] || need="$need fonts-liberation2"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || need="$need postgresql"
if [ -z "$need" ]; then
  echo "system packages: all present"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Please install:$need (with your system's package manager), or set KPI_TOOLKIT_CHROMIUM to a Chrome/Chromium binary." >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
echo "installing system packages:$need"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $need
