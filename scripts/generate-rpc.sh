#!/usr/bin/env bash
# Regenerates Sources/KilnRPC/Generated/ from the .proto files in
# Sources/KilnRPC/proto/ (matchbox's API, written here): protoc from Debian's
# protobuf-compiler, with the two plugins built from the versions of
# swift-protobuf and grpc-swift-protobuf this package pins. Run it after
# changing a .proto file and commit what it writes; builds never run it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
command -v protoc >/dev/null || { echo "generate-rpc: protoc is not installed (apt-get install protobuf-compiler)" >&2; exit 1; }
swift build --product protoc-gen-swift >/dev/null
swift build --product protoc-gen-grpc-swift-2 >/dev/null
BIN=$(swift build --show-bin-path)
PROTO=Sources/KilnRPC/proto
OUT=Sources/KilnRPC/Generated
FILES=(matchbox/storage/storagepb/storage.proto matchbox/server/serverpb/messages.proto matchbox/rpc/rpcpb/rpc.proto)
rm -rf "$OUT.new"
mkdir -p "$OUT.new"
protoc --proto_path="$PROTO" \
    --plugin=protoc-gen-swift="$BIN/protoc-gen-swift" --swift_out="$OUT.new" \
    --swift_opt=Visibility=Public --swift_opt=FileNaming=PathToUnderscores \
    --plugin=protoc-gen-grpc-swift-2="$BIN/protoc-gen-grpc-swift-2" --grpc-swift-2_out="$OUT.new" \
    --grpc-swift-2_opt=Visibility=Public,Server=true,Client=true,FileNaming=PathToUnderscores \
    "${FILES[@]}"
rm -rf "$OUT"
mv "$OUT.new" "$OUT"
echo "generate-rpc: $(ls "$OUT" | wc -l) files in $OUT ($(protoc --version))"
