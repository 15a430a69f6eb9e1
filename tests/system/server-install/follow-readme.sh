#!/usr/bin/env bash
# Follows server/README.md ("Production install (Debian 12)", "External broker (Mosquitto)",
# then "Several servers": PostgreSQL, and a second and third server on the same machine) as a
# newcomer would, as root, inside private mount, network and PID namespaces (run by
# tests/system/server-install.test.ts under `unshare`): /etc, /var and /opt are overlays, so
# this machine's own files are never changed, and every process started here ends with the
# script. The checkout stands for `git clone … && npm ci && npm run build` in /opt/ccus-gate;
# systemd is not running here, so each unit's ExecStart is run as the unit would run it.
# Prints `check <name> <value>` lines for the test.
set -euo pipefail
: "${CHECKOUT:?}" "${WORK:?}" "${MOSQUITTO_MAIN_CONFIG:?}"
README="$CHECKOUT/server/README.md"
CLI=/opt/ccus-gate/server/dist/cli/main.js

# --- a blank Debian 12, as far as this walk looks
for d in etc var opt; do
  mkdir -p "$WORK/$d-upper" "$WORK/$d-work"
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$WORK/$d-upper,workdir=$WORK/$d-work" "/$d"
done
mount -t tmpfs tmpfs /run
ip link set lo up
install -d -o mosquitto -g mosquitto /run/mosquitto /var/log/mosquitto
# Mosquitto's config as the package ships it (this machine's may have been changed).
rm -rf /etc/mosquitto/*
printf '%s' "$MOSQUITTO_MAIN_CONFIG" > /etc/mosquitto/mosquitto.conf
mkdir -p /etc/mosquitto/conf.d
# No cluster of this machine's: PostgreSQL as freshly installed makes its own below.
pg_version=$(ls /usr/lib/postgresql | sort -n | tail -1)
rm -rf /etc/postgresql/* /var/lib/postgresql/*
install -d -o postgres -g postgres /run/postgresql
mkdir -p /opt/ccus-gate && mount --bind "$CHECKOUT" /opt/ccus-gate

# What systemd would run for ccus-gate-server@$1 (ccus-gate-server.service: User, Group,
# SupplementaryGroups, UMask, StateDirectory, every EnvironmentFile line, ExecStart).
unit=$(cat "$CHECKOUT/server/deploy/systemd/ccus-gate-server.service")
start_unit() {
  local instance=$1
  install -d -m 700 -o ccus-gate-server -g ccus-gate-server /var/lib/ccus-gate
  (
    set -a
    while read -r file; do
      file=${file//%i/$instance}
      if [ -f "${file#-}" ]; then . "${file#-}"; fi
    done < <(sed -n 's/^EnvironmentFile=//p' <<<"$unit")
    set +a
    umask 077
    exec env NODE_ENV=production setpriv --reuid ccus-gate-server --regid ccus-gate-server \
      --groups mosquitto $(sed -n 's/^ExecStart=//p' <<<"$unit" | sed "s/%i/$instance/g")
  ) >"$WORK/serve$instance.log" 2>&1 &
}
# The README's fenced shell block under the heading line that matches $1.
readme_block() {
  awk -v step="$1" 'index($0, step) { found = 1 } found && /```sh/ { inside = 1; next }
    inside && /```/ { exit } inside { sub(/^   /, ""); print }' "$README"
}

echo "step production install 2"
eval "$(readme_block '2. The user and the folders')"
echo "step production install 3"
cp /opt/ccus-gate/server/deploy/server.example.json /etc/ccus-gate/server.json
openssl rand -base64 32 >/etc/ccus-gate/broker.password
chmod 640 /etc/ccus-gate/server.json /etc/ccus-gate/broker.password
chgrp ccus-gate-server /etc/ccus-gate/server.json /etc/ccus-gate/broker.password
# The files the example names: a CA, the HTTPS certificate, the operator's release key.
install -d -m 750 -o root -g ccus-gate-server /etc/ccus-gate/tls
(
  cd /etc/ccus-gate/tls
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=ccus-gate-ca -keyout ca.key -out ca.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=gate.example.jp -keyout server.key -out server.csr 2>/dev/null
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -out server.crt 2>/dev/null
  chgrp ccus-gate-server server.key server.crt ca.crt
  chmod 640 server.key server.crt ca.crt
)
node "$CLI" release-key --out "$WORK/ccus-release" >/dev/null  # the operator's own machine
install -m 640 -g ccus-gate-server "$WORK/ccus-release/release-signing.pub" /etc/ccus-gate/

echo "step external broker (Mosquitto)"
cp /opt/ccus-gate/server/deploy/mosquitto/mosquitto.conf /etc/mosquitto/conf.d/ccus-gate.conf
install -d /etc/mosquitto/certs
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=gate.example.jp \
  -keyout /etc/mosquitto/certs/broker.key -out /etc/mosquitto/certs/broker.crt 2>/dev/null
chown mosquitto /etc/mosquitto/certs/broker.key

echo "step several servers: PostgreSQL 1"
pg_createcluster "$pg_version" main --start >/dev/null
# --pwprompt asks twice.
printf 'install-test-password\ninstall-test-password\n' | eval "$(readme_block '1. PostgreSQL, on its own machine' | sed -n 1p)"
eval "$(readme_block '1. PostgreSQL, on its own machine' | sed -n 2p)"
echo "step several servers: PostgreSQL 2"
eval "$(readme_block '2. On each server machine' | sed 's/<password>/install-test-password/; s/<host>/127.0.0.1/')"
echo "step several servers: PostgreSQL 3"
runuser -u ccus-gate-server -- env "$(cat /etc/ccus-gate/database.env)" node "$CLI" migrate

echo "step second and third server 1"
for n in 2 3; do
  openssl rand -base64 32 >"/etc/ccus-gate/broker-$n.password"
  chmod 640 "/etc/ccus-gate/broker-$n.password"
  chgrp ccus-gate-server "/etc/ccus-gate/broker-$n.password"
done
node - <<'JS'
const fs = require('node:fs');
const first = JSON.parse(fs.readFileSync('/etc/ccus-gate/server.json', 'utf8'));
const users = ['ccus-gate-server', 'ccus-gate-server-2', 'ccus-gate-server-3'];
['', '-2', '-3'].forEach((suffix, i) => {
  const config = structuredClone(first);
  config.serverId = `gate-host${suffix}`;
  config.http.port = 8443 + i;
  config.broker.username = users[i];
  config.broker.passwordFile = `/etc/ccus-gate/broker${suffix}.password`;
  config.broker.sharedGroup = 'ingest';
  config.broker.mosquitto.otherServices = users.filter((user) => user !== users[i]);
  fs.writeFileSync(`/etc/ccus-gate/server${suffix}.json`, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o640 });
});
JS
chgrp ccus-gate-server /etc/ccus-gate/server*.json
echo "step second and third server 2 (Mosquitto's files, production install 4)"
for suffix in "" -2 -3; do
  runuser -u ccus-gate-server -- env "$(cat /etc/ccus-gate/database.env)" \
    node "$CLI" mosquitto-files --config "/etc/ccus-gate/server$suffix.json" --out /etc/mosquitto/ccus-gate >/dev/null
done
mosquitto -c /etc/mosquitto/mosquitto.conf -d
for _ in $(seq 50); do [ -f /run/mosquitto/mosquitto.pid ] && break; sleep 0.1; done
echo "step units (production install 5, second server 3)"
start_unit ""
start_unit -2
start_unit -3
echo "step operator token (production install 6)"
token=$(runuser -u ccus-gate-server -- env "$(cat /etc/ccus-gate/database.env)" node "$CLI" operator-token)

for suffix in "" -2 -3; do
  for _ in $(seq 300); do grep -q '"msg":"sync server started"' "$WORK/serve$suffix.log" && break; sleep 0.1; done
  echo "check started$suffix $(grep -o '"database":"[^"]*","msg":"sync server started"' "$WORK/serve$suffix.log" | cut -d'"' -f4)"
done
for port in 8443 8444 8445; do
  echo "check terminals-api-$port $(curl -sk \
    -H "authorization: Bearer $token" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$port/api/v1/fleet/terminals")"
done
echo "check mosquitto-accounts $(cut -d: -f1 /etc/mosquitto/ccus-gate/passwd | sort | tr '\n' ' ')"
echo "check modes $(stat -c '%n=%a:%U:%G' /etc/ccus-gate /etc/ccus-gate/database.env /etc/mosquitto/ccus-gate /etc/mosquitto/ccus-gate/passwd /var/lib/ccus-gate | tr '\n' ' ')"
echo "check sqlite-files $(find /var/lib/ccus-gate -name '*.db' | wc -l)"
echo "check mosquitto-log $(grep -c 'Error' /var/log/mosquitto/mosquitto.log || true)"
echo "done"
