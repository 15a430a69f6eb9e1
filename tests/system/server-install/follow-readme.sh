#!/usr/bin/env bash
# Follows server/README.md ("Production install (Debian 12)", "External broker (Mosquitto)",
# then "Several servers": PostgreSQL, and a second and third server on the same machine) as a
# newcomer would, then has a terminal tap through it (firmware/README.md, steps 2 and 6). As
# root, inside private mount, network and PID namespaces (run by
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
# Signed by the CA the config names as broker.caFile: terminals get that CA in their bundles.
openssl req -newkey rsa:2048 -nodes -subj /CN=gate.example.jp \
  -keyout /etc/mosquitto/certs/broker.key -out "$WORK/broker.csr" 2>/dev/null
printf 'subjectAltName=DNS:gate.example.jp\n' >"$WORK/broker.ext"
openssl x509 -req -in "$WORK/broker.csr" -CA /etc/ccus-gate/tls/ca.crt -CAkey /etc/ccus-gate/tls/ca.key \
  -CAcreateserial -days 30 -extfile "$WORK/broker.ext" -out /etc/mosquitto/certs/broker.crt 2>/dev/null
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
echo "step a terminal (firmware/README.md, steps 2 and 6)"
# The operator creates a contractor and the terminal on one server, the contractor its site and
# worker on another; the terminal sends through Mosquitto, and the third server shows the tap.
echo '127.0.0.1 gate.example.jp' >>/etc/hosts
api() { # METHOD PORT PATH TOKEN [BODY]: the answer's body; fails on an error status
  curl -sk --fail-with-body -X "$1" -H "authorization: Bearer $4" -H 'content-type: application/json' \
    ${5:+--data "$5"} "https://127.0.0.1:$2/api/v1$3"
}
field() { # PATH: that part of the JSON on stdin, e.g. .token or .store.counts (objects as JSON)
  node -e 'const v = new Function("v", `return v${process.argv[1]}`)(JSON.parse(require("fs").readFileSync(0, "utf8")));
    console.log(typeof v === "object" ? JSON.stringify(v) : v)' "$1"
}
api POST 8443 /tenants "$token" '{"tenantId":"kensetsu","companyId":"1234","name":"建設"}' >/dev/null
tenant=$(api POST 8443 /tenants/kensetsu/tokens "$token" '{"role":"admin","label":"office"}' | field .token)
api POST 8444 /sites "$tenant" '{"siteId":"5678","name":"現場"}' >/dev/null
api POST 8444 /workers "$tenant" '{"workerId":"12345678901234","name":"山田","trades":["とび"]}' >/dev/null
api POST 8444 /workers/12345678901234/cards "$tenant" '{"card":"04A2B3C4D5E6F7"}' >/dev/null
api PUT 8444 /sites/5678/roster/12345678901234 "$tenant" '{}' >/dev/null
api POST 8443 /fleet/terminals "$token" '{"terminalId":"gate-install","hardwareProfile":"simulated"}' >/dev/null
api PUT 8443 /fleet/terminals/gate-install/lease "$token" '{"tenantId":"kensetsu","siteId":"5678"}' >/dev/null
api POST 8443 /fleet/terminals/gate-install/provisioning "$token" >"$WORK/bundle.json"
# What ccus-gate-mosquitto-reload.path does when the server has rewritten the password file.
path_unit=$(cat "$CHECKOUT/server/deploy/systemd/ccus-gate-mosquitto-reload.path")
watched=$(sed -n 's/^PathChanged=//p' <<<"$path_unit")
for _ in $(seq 100); do grep -q '^gate-install:' "$watched" && break; sleep 0.1; done
kill -HUP "$(cat /run/mosquitto/mosquitto.pid)" # systemctl reload mosquitto (Debian's ExecReload)
# The terminal, its cards read from stdin instead of a reader: the bundle applied as a
# technician applies it, then run.
terminal=/opt/ccus-gate/firmware/dist/cli/main.js
mkdir -p "$WORK/terminal"
: >"$WORK/terminal/synchronized"
printf '{"terminalId":"gate-install","broker":{"url":"mqtts://gate.example.jp:8883","passwordFile":"%s"},
  "store":{"path":"%s"},"clock":{"syncMarker":"%s"},"hardware":{"profile":"simulated","cards":"stdin"}}\n' \
  "$WORK/terminal/terminal.password" "$WORK/terminal/terminal.db" "$WORK/terminal/synchronized" \
  >"$WORK/terminal/terminal.json"
node "$terminal" provision "$WORK/bundle.json" --config "$WORK/terminal/terminal.json" >/dev/null
mkfifo "$WORK/terminal/cards"
node "$terminal" run --config "$WORK/terminal/terminal.json" <"$WORK/terminal/cards" >"$WORK/terminal.log" 2>&1 &
exec 3>"$WORK/terminal/cards"
for _ in $(seq 300); do grep -q '"msg":"roster applied"' "$WORK/terminal.log" && break; sleep 0.1; done
echo 04A2B3C4D5E6F7 >&3
queue() { node "$terminal" status --config "$WORK/terminal/terminal.json" --json | field .store.counts; }
for _ in $(seq 300); do queue | grep -q '"delivered":1' && break; sleep 0.1; done
echo "check terminal-queue $(queue)"
echo "check tap $(api GET 8445 '/taps?limit=10' "$tenant" | field '.taps.map((t) => `${t.workerId}@${t.siteId}`).join()')"
echo "check tap-rows $(psql "$(sed -n 's/^CCUS_GATE_DATABASE_URL=//p' /etc/ccus-gate/database.env)" -tAc 'SELECT count(*) FROM taps')"

echo "check mosquitto-accounts $(cut -d: -f1 /etc/mosquitto/ccus-gate/passwd | sort | tr '\n' ' ')"
echo "check modes $(stat -c '%n=%a:%U:%G' /etc/ccus-gate /etc/ccus-gate/database.env /etc/mosquitto/ccus-gate /etc/mosquitto/ccus-gate/passwd /var/lib/ccus-gate | tr '\n' ' ')"
echo "check sqlite-files $(find /var/lib/ccus-gate -name '*.db' | wc -l)"
echo "check mosquitto-log $(grep -c 'Error' /var/log/mosquitto/mosquitto.log || true)"
echo "done"
