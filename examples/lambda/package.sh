#!/usr/bin/env bash
# Builds twh-extract's Lambda deployment zip: one executable named
# `bootstrap` at the root, as the provided.al2023 runtime starts it.
#
#   examples/lambda/package.sh x86_64   # -> target/lambda/twh-extract-x86_64.zip
#   examples/lambda/package.sh arm64    # -> target/lambda/twh-extract-arm64.zip
#
# The binary is static (musl), so it does not depend on the glibc of the
# machine that built it (Amazon Linux 2023 has glibc 2.34). TLS is rustls,
# nothing to link. Targets:
#   x86_64: x86_64-unknown-linux-musl
#   arm64:  aarch64-unknown-linux-musl
# `rustup target add <triple>` once. Off an arm64 host, arm64 needs a cross
# linker: with cargo-zigbuild installed (`cargo install cargo-zigbuild`, and
# zig) this script uses it; `cargo lambda build --release --arm64
# --bin twh-extract` (cargo-lambda) builds the same binary too.
#
# PROFILE (default release) and TARGET (default the triple above; `host` for
# the machine's own) may be set; BIN=path zips a binary built elsewhere
# (a CI job's) instead of building.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

arch="${1:-x86_64}"
case "$arch" in
x86_64) triple=x86_64-unknown-linux-musl ;;
arm64) triple=aarch64-unknown-linux-musl ;;
*)
    echo "error: architecture \`$arch\` is not x86_64 or arm64 (Lambda's two)" >&2
    exit 2
    ;;
esac
triple="${TARGET:-$triple}"
profile="${PROFILE:-release}"
target_dir="${CARGO_TARGET_DIR:-target}"

build() {
    local cmd=(cargo build --locked --profile "$profile" --bin twh-extract)
    if [ "$triple" != host ]; then
        cmd+=(--target "$triple")
        if [ "$(uname -m)" != "${triple%%-*}" ] && cargo zigbuild --version >/dev/null 2>&1; then
            cmd[1]=zigbuild
        fi
    fi
    echo "+ ${cmd[*]}" >&2
    "${cmd[@]}"
}

if [ -n "${BIN:-}" ]; then
    bin="$BIN"
else
    build
    # Cargo's `dev` profile builds into `debug/`.
    dir="$profile"
    [ "$profile" = dev ] && dir=debug
    if [ "$triple" = host ]; then
        bin="$target_dir/$dir/twh-extract"
    else
        bin="$target_dir/$triple/$dir/twh-extract"
    fi
fi
mkdir -p "$target_dir/lambda"
out="$(cd "$target_dir/lambda" && pwd)/twh-extract-$arch.zip"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
install -m 0755 "$bin" "$stage/bootstrap"
rm -f "$out"
(cd "$stage" && zip -q -X "$out" bootstrap)
echo "$out"
