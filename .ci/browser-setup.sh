#!/usr/bin/env bash
# What the browser and print tests need beyond pip: Debian's chromium (driven by Playwright,
# which never downloads a browser here) and LibreOffice Calc (workbook -> PDF). Installs
# only what is missing; the tests skip, saying why, where these are absent.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
if ((${#need[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-liberation >/dev/null
fi
command -v chromium && chromium --version || true
command -v soffice || true
