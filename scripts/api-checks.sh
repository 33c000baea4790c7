#!/usr/bin/env bash
# Checks the management API as its clients use it: curl (paths sent as
# written), openssl-made certificates for HTTPS and mTLS, the kiln CLI
# against a running server, SIGHUP re-reading the tokens file, and
# schemathesis against the served OpenAPI document. Loopback only.
set -uo pipefail
KILN=${1:?usage: api-checks.sh path/to/kiln}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/lib.sh"  # free_port, check, exit_is, contains
WORK=$(mktemp -d)
PIDS=()
passed=0
failed=0

cleanup() {
    # sushy-emulator's web server ignores SIGTERM.
    [ -n "${SUSHY_PID:-}" ] && kill -9 "$SUSHY_PID" 2>/dev/null
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT

status_is() {  # status_is CODE CURL-ARGS...: curl answers with this HTTP status
    local want=$1; shift
    local got; got=$(curl -s -o "$WORK/body" -w '%{http_code}' --max-time 20 "$@")
    [ "$got" = "$want" ] || { echo "status $got, wanted $want"; cat "$WORK/body"; return 1; }
}

wait_for() {  # wait_for URL [CURL-ARGS...]: the listener answers within 10 s
    local url=$1; shift
    for _ in $(seq 1 100); do curl -s -o /dev/null --max-time 1 "$@" "$url" && return 0; sleep 0.1; done
    echo "nothing answers at $url"; return 1
}

# --- A server with the API over HTTP --------------------------------------------
cp -r "$ROOT/profiles" "$WORK/data"
rm -rf "$WORK/data/state"
TOKENS="$WORK/tokens"
check "kiln token add prints a token and writes its hash" bash -c "'$KILN' token add admin --scope write --tokens-file '$TOKENS' >'$WORK/admin.token' && grep -q '^admin write sha256:' '$TOKENS' && ! grep -qF \"\$(cat '$WORK/admin.token')\" '$TOKENS'"
check "the tokens file is created with mode 0600" test "$(stat -c %a "$TOKENS")" = 600
"$KILN" token add viewer --tokens-file "$TOKENS" >"$WORK/viewer.token"
check "kiln token add refuses a name already used" exit_is 2 "$KILN" token add viewer --tokens-file "$TOKENS"
check "kiln token add refuses a bad scope" exit_is 64 "$KILN" token add other --scope admin --tokens-file "$TOKENS"
ADMIN=$(cat "$WORK/admin.token")
VIEWER=$(cat "$WORK/viewer.token")

HTTP_PORT=$(free_port); API_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
"$KILN" serve --data-path "$WORK/data" --address "127.0.0.1:$HTTP_PORT" --tftp-address "" --inventory on \
    --state-path "$WORK/state" --api-address "127.0.0.1:$API_PORT" --api-tokens "$TOKENS" >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
PIDS+=("$SERVE_PID")
wait_for "$API/api/v1/openapi.json"

check "no credential: 401 with WWW-Authenticate" bash -c "curl -s -i '$API/api/v1/groups' | grep -qi '^www-authenticate: Bearer'"
check "an unknown token: 401" status_is 401 -H "Authorization: Bearer kiln_wrong" "$API/api/v1/groups"
check "a read token reads" status_is 200 -H "Authorization: Bearer $VIEWER" "$API/api/v1/groups"
check "a read token cannot write: 403" status_is 403 -X PUT -H "Authorization: Bearer $VIEWER" -d '{"profile":"flatcar-live"}' "$API/api/v1/groups/x"
for name in .. ../../etc/passwd %2e%2e %2e%2e%2fsecret ..%5csecret %00 .hidden 'a%20b'; do
    check "name $name is refused (sent as written)" bash -c "code=\$(curl -s -o /dev/null -w '%{http_code}' --path-as-is -X PUT -H 'Authorization: Bearer $ADMIN' -d '{\"profile\":\"flatcar-live\"}' '$API/api/v1/groups/$name'); [ \"\$code\" = 400 ] || [ \"\$code\" = 404 ] || { echo \$code; exit 1; }"
done
check "nothing was written outside groups/" bash -c "[ ! -e '$WORK/etc' ] && [ ! -e '$WORK/secret' ] && [ \$(ls '$WORK/data/groups' | wc -l) -eq 2 ]"
head -c 2000000 /dev/zero | tr '\0' ' ' >"$WORK/big.json"
check "a 2 MB group: 413" status_is 413 -X PUT -H "Authorization: Bearer $ADMIN" --data-binary @"$WORK/big.json" "$API/api/v1/groups/big"
check "a broken group: 422 with line and column" bash -c "curl -s -X PUT -H 'Authorization: Bearer $ADMIN' --data-binary \$'{\n \"profile\": }' '$API/api/v1/groups/broken' | grep -q 'groups/broken.json:2:'"

# The CLI against the running server.
mkdir -p "$WORK/apply/groups" "$WORK/apply/profiles" "$WORK/apply/ignition"
printf 'variant: flatcar\nversion: 1.0.0\npasswd:\n  users:\n    - name: core\n' >"$WORK/apply/ignition/rack.yaml"
printf '{"id": "rack", "boot": {"kernel": "/assets/rack-vmlinuz", "args": []}, "ignition_id": "rack.yaml"}\n' >"$WORK/apply/profiles/rack.json"
printf '{"id": "rack-a", "profile": "rack", "selector": {"mac": "52:54:00:0a:0a:0a"}}\n' >"$WORK/apply/groups/rack-a.json"
export KILN_SERVER="$API" KILN_TOKEN_FILE="$WORK/admin.token"
check "kiln apply writes templates, profiles and groups in order" contains "created groups/rack-a.json" "$KILN" apply "$WORK/apply/groups/rack-a.json" "$WORK/apply/profiles/rack.json" "$WORK/apply/ignition/rack.yaml"
check "the applied group serves at once" bash -c "curl -s 'http://127.0.0.1:$HTTP_PORT/ipxe?mac=52:54:00:0a:0a:0a' | grep -q rack-vmlinuz"
check "the applied Butane renders to Ignition" bash -c "curl -s 'http://127.0.0.1:$HTTP_PORT/ignition?mac=52:54:00:0a:0a:0a' | grep -q '\"name\":\"core\"'"
printf '{"id": "rack-b", "profile": "missing"}\n' >"$WORK/apply/groups/rack-b.json"
check "kiln apply exits 1 with Kiln's reason when refused" contains "names profile \"missing\"" exit_is 1 "$KILN" apply "$WORK/apply/groups/rack-b.json"
check "kiln delete refuses a profile still in use (exit 1)" exit_is 1 "$KILN" delete profile rack
check "kiln delete removes a group" contains "deleted groups/rack-a.json" "$KILN" delete group rack-a
curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/ipxe?mac=52:54:00:0b:0b:0b&uuid=u-b"
check "kiln assign gives a machine a profile" contains "group machine-5254000b0b0b" "$KILN" assign 52:54:00:0b:0b:0b --profile rack --metadata '{"rack": "b"}'
check "the assigned machine boots its profile" bash -c "curl -s 'http://127.0.0.1:$HTTP_PORT/ipxe?mac=52:54:00:0b:0b:0b' | grep -q rack-vmlinuz"
sleep 1  # the recorder writes every 500 ms
check "kiln machines --server lists the machine" contains "52:54:00:0b:0b:0b" "$KILN" machines
check "kiln machine --server shows its events" contains "ipxe" "$KILN" machine 52:54:00:0b:0b:0b
check "kiln apply without a reachable server exits 3" exit_is 3 env KILN_SERVER="http://127.0.0.1:$(free_port)" "$KILN" apply "$WORK/apply/groups/rack-a.json"
check "kiln apply with a read token exits 1" exit_is 1 env KILN_TOKEN_FILE="$WORK/viewer.token" "$KILN" apply "$WORK/apply/groups/rack-a.json"

# --- BMC control through the CLI, against sushy-tools' Redfish emulator (fake driver) ---
SUSHY=$(command -v sushy-emulator || echo /root/.pyenv/shims/sushy-emulator)
if [ -x "$SUSHY" ]; then
    SUSHY_PORT=$(free_port)
    printf "SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'\n" >"$WORK/sushy.conf"
    "$SUSHY" --fake -i 127.0.0.1 -p "$SUSHY_PORT" --config "$WORK/sushy.conf" >"$WORK/sushy.log" 2>&1 &
    SUSHY_PID=$!
    wait_for "http://127.0.0.1:$SUSHY_PORT/redfish/v1/"
    BMC_MAC=52:54:00:0d:0d:0d
    BMC_SECRET="bmc-secret-$RANDOM$RANDOM"
    printf '%s\n' "$BMC_SECRET" >"$WORK/bmc.password"
    check "kiln bmc add enrolls a machine Kiln has not seen" contains "added: the BMC of $BMC_MAC" "$KILN" bmc add "$BMC_MAC" \
        --url "http://127.0.0.1:$SUSHY_PORT" --username bmc-operator --password-file "$WORK/bmc.password"
    check "the BMC records file is 0600" test "$(stat -c %a "$WORK/state/bmcs.json")" = 600
    check "kiln bmc add with a read token exits 1" exit_is 1 env KILN_TOKEN_FILE="$WORK/viewer.token" "$KILN" bmc add "$BMC_MAC" \
        --url "http://127.0.0.1:$SUSHY_PORT" --username u --password-file "$WORK/bmc.password"
    check "kiln bmc add refuses --ca-file with --insecure (exit 64)" exit_is 64 "$KILN" bmc add "$BMC_MAC" --url https://bmc --username u \
        --password-file "$WORK/bmc.password" --ca-file "$WORK/bmc.password" --insecure
    check "kiln bmc facts reads the hardware" contains "Sushy Emulator" "$KILN" bmc facts "$BMC_MAC"
    check "kiln bmc power status" contains "power status:" "$KILN" bmc power "$BMC_MAC" status
    check "kiln bmc power refuses an unknown action (exit 64)" exit_is 64 "$KILN" bmc power "$BMC_MAC" reboot
    check "kiln bmc netboot: PXE once, then on or cycled" contains "next boot from Pxe" "$KILN" bmc netboot "$BMC_MAC"
    check "kiln bmc install-iso --netboot-cd mounts Kiln's CD, fetched by the BMC" contains "127.0.0.1:$HTTP_PORT/netboot.iso" \
        "$KILN" bmc install-iso "$BMC_MAC" --netboot-cd
    check "kiln bmc show: the eject is owed, the account is not shown" bash -c "out=\$('$KILN' bmc show '$BMC_MAC') && echo \"\$out\" | grep -q 'to eject' && ! echo \"\$out\" | grep -q bmc-operator"
    check "kiln bmc eject" contains "ejected" "$KILN" bmc eject "$BMC_MAC"
    check "the machine's timeline has the BMC's answers" contains "bmc  bmc" "$KILN" machine "$BMC_MAC"
    check "the machine's API answer shows its hardware" bash -c "curl -s -H 'Authorization: Bearer $ADMIN' '$API/api/v1/machines/$BMC_MAC' | grep -q 'Sushy Emulator'"
    check "the dashboard's machine page shows the BMC" bash -c "curl -s -H 'Authorization: Bearer $ADMIN' '$API/ui/machines/$BMC_MAC' | grep -q 'Sushy Emulator'"
    check "the password is in no API answer, page or log" bash -c "! { curl -s -H 'Authorization: Bearer $ADMIN' '$API/api/v1/machines/$BMC_MAC'; \
        curl -s -H 'Authorization: Bearer $ADMIN' '$API/api/v1/machines/$BMC_MAC/bmc'; curl -s -H 'Authorization: Bearer $ADMIN' '$API/api/v1/machines/$BMC_MAC/events'; \
        curl -s -H 'Authorization: Bearer $ADMIN' '$API/ui/machines/$BMC_MAC'; cat '$WORK/serve.log'; } | grep -qF '$BMC_SECRET'"
    check "the dashboard's Power state button answers with the BMC's answer" bash -c "curl -s -H 'Authorization: Bearer $ADMIN' \
        --data 'action=power-status' '$API/ui/machines/$BMC_MAC/bmc' | grep -q 'id=\"bmc-result\">power status: '"
    check "the dashboard's BMC buttons need a write token: 403" status_is 403 -H "Authorization: Bearer $VIEWER" --data 'action=power-on' "$API/ui/machines/$BMC_MAC/bmc"
    check "kiln bmc remove forgets the account" bash -c "'$KILN' bmc remove '$BMC_MAC' && ! grep -qF '$BMC_SECRET' '$WORK/state/bmcs.json'"
    check "kiln bmc show after remove exits 1" exit_is 1 "$KILN" bmc show "$BMC_MAC"
    kill -9 "$SUSHY_PID" 2>/dev/null; wait "$SUSHY_PID" 2>/dev/null; SUSHY_PID=
else
    failed=$((failed + 1)); echo "FAIL sushy-emulator is not installed (make test installs sushy-tools with pip)"
fi
unset KILN_SERVER KILN_TOKEN_FILE
check "every write is logged with its credential" bash -c "sleep 0.3; grep -q 'credential=admin.*put groups/machine-5254000b0b0b.json' '$WORK/serve.log'"

# Revoking a token: delete its line, SIGHUP.
sed -i '/^viewer /d' "$TOKENS"
kill -HUP "$SERVE_PID"
check "after SIGHUP a revoked token is refused" bash -c "for i in \$(seq 1 30); do c=\$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer $VIEWER' '$API/api/v1/groups'); [ \"\$c\" = 401 ] && exit 0; sleep 0.1; done; exit 1"

# --- schemathesis against the served document ----------------------------------------
if python3 -c 'import schemathesis' 2>/dev/null; then
    # Its report is long: a failure prints its FAILURES section whole (check keeps 30 lines).
    timeout 600 python3 -m schemathesis.cli run "$API/api/v1/openapi.json" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,unsupported_method --header "Authorization: Bearer $ADMIN" --max-examples 25 --workers 1 --request-timeout 10 --suppress-health-check all \
        >"$WORK/schemathesis.log" 2>&1
    schemathesis_status=$?
    [ "$schemathesis_status" -eq 0 ] || sed -n '/FAILURES/,/SUMMARY/p' "$WORK/schemathesis.log" | head -150
    check "schemathesis: no 5xx, every answer as documented" test "$schemathesis_status" -eq 0
else
    failed=$((failed + 1)); echo "FAIL schemathesis is not installed (make test installs it with pip)"
fi
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null

# --- HTTPS and mTLS -----------------------------------------------------------------
(
    cd "$WORK" || exit 1
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kiln test CA" -keyout ca.key -out ca.pem
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" -keyout other.key -out other.pem
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" -keyout server.key -out server.csr
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -copy_extensions copy -out server.pem
    openssl req -newkey rsa:2048 -nodes -subj "/CN=terraform" -keyout client.key -out client.csr
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out client.pem
    openssl req -newkey rsa:2048 -nodes -subj "/CN=intruder" -keyout intruder.key -out intruder.csr
    openssl x509 -req -in intruder.csr -CA other.pem -CAkey other.key -CAcreateserial -days 2 -out intruder.pem
) >"$WORK/openssl.log" 2>&1 || { cat "$WORK/openssl.log"; failed=$((failed + 1)); }
API_PORT=$(free_port); HTTP_PORT=$(free_port)
API="https://127.0.0.1:$API_PORT"
# A fresh copy of the example data: schemathesis has written whatever it liked to the first.
cp -r "$ROOT/profiles" "$WORK/data-tls"
rm -rf "$WORK/data-tls/state"
"$KILN" serve --data-path "$WORK/data-tls" --address "127.0.0.1:$HTTP_PORT" --tftp-address "" --api-address "127.0.0.1:$API_PORT" \
    --api-tokens "$TOKENS" --api-cert "$WORK/server.pem" --api-key "$WORK/server.key" --api-client-ca "$WORK/ca.pem" >"$WORK/tls.log" 2>&1 &
PIDS+=($!)
wait_for "$API/api/v1/openapi.json" --cacert "$WORK/ca.pem"
check "HTTPS: a bearer token works without a client certificate" status_is 200 --cacert "$WORK/ca.pem" -H "Authorization: Bearer $ADMIN" "$API/api/v1/groups"
check "HTTPS: no credential at all is 401" status_is 401 --cacert "$WORK/ca.pem" "$API/api/v1/groups"
check "HTTPS: the dashboard's cookies are Secure" bash -c "curl -s -i --cacert '$WORK/ca.pem' '$API/ui/login' | grep -i '^set-cookie: kiln_login=' | grep -q 'Secure'"
check "HTTPS: the dashboard opens with a bearer token" status_is 200 --cacert "$WORK/ca.pem" -H "Authorization: Bearer $ADMIN" "$API/ui/catalog"
check "mTLS: a client certificate from the CA may write" status_is 201 --cacert "$WORK/ca.pem" --cert "$WORK/client.pem" --key "$WORK/client.key" \
    -X PUT -d '{"profile": "flatcar-live", "selector": {"mac": "52:54:00:0c:0c:0c"}}' "$API/api/v1/groups/by-cert"
check "mTLS: the write is logged with the certificate's name" bash -c "sleep 0.3; grep -q 'credential=cert:terraform' '$WORK/tls.log'"
check "mTLS: a certificate from another CA is refused in the handshake" bash -c "! curl -s -o /dev/null --max-time 10 --cacert '$WORK/ca.pem' --cert '$WORK/intruder.pem' --key '$WORK/intruder.key' '$API/api/v1/groups'"
check "plain HTTP to the HTTPS listener gets nothing" bash -c "! curl -s -o /dev/null --max-time 5 'http://127.0.0.1:$API_PORT/api/v1/groups' || [ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 'http://127.0.0.1:$API_PORT/api/v1/groups')\" = 000 ]"
check "serve refuses --api-client-ca without HTTPS" exit_is 64 "$KILN" serve --data-path "$WORK/data" --api-address 127.0.0.1:0 --api-client-ca "$WORK/ca.pem"
check "serve refuses --dashboard with a value other than on or off" exit_is 64 "$KILN" serve --data-path "$WORK/data" --tftp-address "" --api-address 127.0.0.1:0 --api-tokens "$TOKENS" --dashboard maybe
check "serve refuses an API without any credential source" contains "never open" "$KILN" serve --data-path "$WORK/data" --api-address 127.0.0.1:0

echo
echo "api checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
