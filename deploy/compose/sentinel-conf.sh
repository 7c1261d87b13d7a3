#!/bin/sh
# A Sentinel's config for the compose set (deploy/compose.yaml), written on its first start:
# deploy/sentinel.conf with the primary's address, less the lines a container sets otherwise (its
# addresses, paths), then those. Kept on the data
# volume after that: the Sentinel rewrites it as it learns the set and after each failover.
# tests/test_deploy_sentinel.py runs this script too.
#
# Usage: sentinel-conf.sh TEMPLATE OUT
# Environment: BASIRA_ACL_PASSWORD_SENTINEL (basira-sentinel's password on the Redis servers),
# BASIRA_REDIS_SENTINEL_PASSWORD (the Sentinels' own), PRIMARY_HOST, ANNOUNCE_HOST (this Sentinel's
# name as the others reach it); PRIMARY_PORT (6379), QUORUM (2), LISTEN_ADDR ("* -::*"), LISTEN_PORT
# (26379), DATA_DIR (/data). Passwords: letters and digits (openssl rand -hex 24).
set -eu
template=$1
out=$2
[ -s "$out" ] && exit 0
: "${BASIRA_ACL_PASSWORD_SENTINEL:?the password of basira-sentinel (deploy/.env)}"
: "${BASIRA_REDIS_SENTINEL_PASSWORD:?the Sentinels own password (deploy/.env)}"
: "${PRIMARY_HOST:?the primary's host name}"
: "${ANNOUNCE_HOST:?this Sentinel's host name}"
umask 077
monitor="sentinel monitor basira $PRIMARY_HOST ${PRIMARY_PORT:-6379} ${QUORUM:-2}"
grep -Ev '^(bind|port|dir|logfile) ' "$template" | sed -e "s/^sentinel monitor basira .*/$monitor/" >"$out.tmp"
grep -qx "$monitor" "$out.tmp" || { echo "no 'sentinel monitor basira' line in $template" >&2; exit 1; }
{
    echo
    echo "# --- the compose set's own (deploy/compose/sentinel-conf.sh) ---"
    echo "bind ${LISTEN_ADDR:-* -::*}"
    echo "port ${LISTEN_PORT:-26379}"
    echo "dir ${DATA_DIR:-/data}"
    echo 'logfile ""'
    echo "sentinel announce-ip $ANNOUNCE_HOST"
    echo "sentinel announce-hostnames yes"
    echo "sentinel auth-pass basira $BASIRA_ACL_PASSWORD_SENTINEL"
    echo "requirepass $BASIRA_REDIS_SENTINEL_PASSWORD"
    echo "sentinel sentinel-pass $BASIRA_REDIS_SENTINEL_PASSWORD"
} >>"$out.tmp"
mv "$out.tmp" "$out"
