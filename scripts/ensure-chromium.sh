#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (Playwright must not download a browser here).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
else
  echo "chromium is missing and cannot be installed here; browser tests will be skipped" >&2
fi
