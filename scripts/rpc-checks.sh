#!/usr/bin/env bash
# Checks matchbox's gRPC API as terraform-provider-matchbox uses it: Python's
# grpcio with stubs generated at test time from Kiln's own .proto files, and
# certificates made here with openssl (a CA, the server's, a client's, one
# from another CA, an expired one). Loopback only.
set -uo pipefail
KILN=${1:?usage: rpc-checks.sh path/to/kiln}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/lib.sh"  # free_port, check, exit_is, contains
WORK=$(mktemp -d)
PIDS=()
passed=0
failed=0

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT

python3 -c 'import grpc, grpc_tools' 2>/dev/null || { echo "FAIL grpcio and grpcio-tools are not installed (make test installs them with pip)"; exit 1; }

# --- Certificates -------------------------------------------------------------------
(
    cd "$WORK" || exit 1
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kiln rpc CA" -keyout ca.key -out ca.pem
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" -keyout other.key -out other.pem
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout server.key -out server.csr
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -copy_extensions copy -out server.pem
    openssl req -newkey rsa:2048 -nodes -subj "/CN=terraform" -keyout client.key -out client.csr
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out client.pem
    openssl req -newkey rsa:2048 -nodes -subj "/CN=intruder" -keyout intruder.key -out intruder.csr
    openssl x509 -req -in intruder.csr -CA other.pem -CAkey other.key -CAcreateserial -days 2 -out intruder.pem
    # Expired: signed by the right CA, valid for a day in 2020 (openssl ca sets both dates).
    mkdir -p ca/newcerts && : >ca/index.txt && echo 01 >ca/serial
    printf '[ca]\ndefault_ca=test\n[test]\ndir=./ca\ndatabase=$dir/index.txt\nnew_certs_dir=$dir/newcerts\nserial=$dir/serial\ndefault_md=sha256\npolicy=any\n[any]\ncommonName=supplied\n' >ca.cnf
    openssl req -newkey rsa:2048 -nodes -subj "/CN=expired" -keyout expired.key -out expired.csr
    openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem -startdate 20200101000000Z -enddate 20200102000000Z -notext
) >"$WORK/openssl.log" 2>&1 || { cat "$WORK/openssl.log"; echo "FAIL openssl could not make the test certificates"; exit 1; }

# --- The server -------------------------------------------------------------------------
mkdir -p "$WORK/data"/{groups,profiles,ignition,generic,cloud,assets}
HTTP_PORT=$(free_port); RPC_PORT=$(free_port)
check "serve refuses --rpc-address without the TLS files (exit 64)" contains "--rpc-address needs --rpc-cert, --rpc-key, --rpc-ca" \
    exit_is 64 "$KILN" serve --data-path "$WORK/data" --address "127.0.0.1:$HTTP_PORT" --tftp-address "" --rpc-address "127.0.0.1:$RPC_PORT"
check "serve refuses a --rpc-ca that is not a certificate (exit 64)" contains "--rpc-ca" \
    exit_is 64 "$KILN" serve --data-path "$WORK/data" --address "127.0.0.1:$HTTP_PORT" --tftp-address "" --rpc-address "127.0.0.1:$RPC_PORT" \
    --rpc-cert "$WORK/server.pem" --rpc-key "$WORK/server.key" --rpc-ca "$WORK/server.key"
"$KILN" serve --data-path "$WORK/data" --address "127.0.0.1:$HTTP_PORT" --tftp-address "" --inventory off \
    --rpc-address "127.0.0.1:$RPC_PORT" --rpc-cert "$WORK/server.pem" --rpc-key "$WORK/server.key" --rpc-ca "$WORK/ca.pem" >"$WORK/serve.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q "rpc listening" "$WORK/serve.log" && break; sleep 0.1; done
check "the gRPC listener starts" grep -q "rpc listening" "$WORK/serve.log"

# --- TLS before any call ---------------------------------------------------------------
# Refused with alert 70 (protocol_version); s_client still prints the version it tried.
check "a TLS 1.1 client is refused in the handshake" bash -c "openssl s_client -connect 127.0.0.1:$RPC_PORT -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' \
    -cert '$WORK/client.pem' -key '$WORK/client.key' -CAfile '$WORK/ca.pem' </dev/null 2>&1 | grep -q 'alert protocol version'"
check "a TLS 1.2 client with the CA's certificate completes the handshake" bash -c "openssl s_client -connect 127.0.0.1:$RPC_PORT -tls1_2 \
    -cert '$WORK/client.pem' -key '$WORK/client.key' -CAfile '$WORK/ca.pem' -alpn h2 </dev/null 2>&1 | grep -q 'Verify return code: 0'"

# --- The provider's calls, in Python ----------------------------------------------------------
mkdir -p "$WORK/stubs"
check "grpc_tools generates Python stubs from Kiln's .proto files" python3 -m grpc_tools.protoc -I "$ROOT/Sources/KilnRPC/proto" \
    --python_out="$WORK/stubs" --grpc_python_out="$WORK/stubs" matchbox/storage/storagepb/storage.proto \
    matchbox/server/serverpb/messages.proto matchbox/rpc/rpcpb/rpc.proto
RPC_ADDRESS="127.0.0.1:$RPC_PORT" HTTP_BASE="http://127.0.0.1:$HTTP_PORT" CERTS="$WORK" DATA="$WORK/data" KILN="$KILN" SERVE_LOG="$WORK/serve.log" \
    PASSED_FILE="$WORK/python-passed" PYTHONPATH="$WORK/stubs" python3 "$ROOT/scripts/rpc_checks.py"
status=$?
python_passed=$(cat "$WORK/python-passed" 2>/dev/null || echo 0)
passed=$((passed + python_passed))
[ "$status" -eq 0 ] || failed=$((failed + 1))

echo
echo "rpc checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
