#!/bin/sh
# A Redis server's config for the compose set (deploy/compose.yaml), written on its first start:
# deploy/redis.conf less the lines a container sets otherwise (its addresses, paths, replication),
# then those. Kept on the data volume after
# that, because the Sentinels rewrite it on a failover (CONFIG REWRITE): a restarted server keeps the
# role they gave it. tests/test_deploy_sentinel.py runs this script too.
#
# Usage: redis-conf.sh TEMPLATE OUT
# Environment: BASIRA_ACL_PASSWORD_REPLICATION (basira-replication's password), ANNOUNCE_HOST (this
# server's name as the others reach it); PRIMARY_HOST (set: this server starts as its replica),
# PRIMARY_PORT (6379), LISTEN_ADDR ("* -::*"), LISTEN_PORT (6379), DATA_DIR (/data), ACL_PATH
# (/acl/users.acl). Passwords: letters and digits (openssl rand -hex 24).
set -eu
template=$1
out=$2
[ -s "$out" ] && exit 0
: "${BASIRA_ACL_PASSWORD_REPLICATION:?the password of basira-replication (deploy/.env)}"
: "${ANNOUNCE_HOST:?this server's host name}"
umask 077
{
    grep -Ev '^(bind|port|dir|logfile|aclfile|masterauth|replicaof|replica-announce-ip) ' "$template"
    echo
    echo "# --- the compose set's own (deploy/compose/redis-conf.sh) ---"
    echo "bind ${LISTEN_ADDR:-* -::*}"
    echo "port ${LISTEN_PORT:-6379}"
    echo "dir ${DATA_DIR:-/data}"
    echo 'logfile ""'
    echo "aclfile ${ACL_PATH:-/acl/users.acl}"
    echo "replica-announce-ip $ANNOUNCE_HOST"
    echo "masterauth $BASIRA_ACL_PASSWORD_REPLICATION"
    if [ -n "${PRIMARY_HOST:-}" ]; then
        echo "replicaof $PRIMARY_HOST ${PRIMARY_PORT:-6379}"
    fi
} >"$out.tmp"
mv "$out.tmp" "$out"
