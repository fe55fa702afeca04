#!/usr/bin/env bash
# Builds real third-party programs from Debian's source packages, for wasm32-wasi and natively, so
# tests can compare a guest's output with the same program built for the host:
#   lua.wasm / lua            the Lua 5.4 interpreter (source package lua5.4)
#   minigzip.wasm / minigzip  zlib's test/minigzip.c plus the library (source package zlib)
#
# Output: test/fixtures/.build/third-party/<key>/ where <key> names both source package versions and
# a hash of this script and test/fixtures/third-party/wasi-port/*, so a rerun with nothing changed is
# a no-op. On success the last line on stdout is the path of <key>/manifest.json (JSON: luaWasm,
# luaNative, minigzipWasm, minigzipNative, luaVersion, zlibVersion, key, scriptHash). A lock makes
# concurrent runs safe. Needs: apt-get with deb-src entries, dpkg-dev, clang + wasi-libc, cc.
#
# How Lua is ported (the choices, since wasi-libc has no setjmp/longjmp, signals, system, tmpfile):
# - Errors: Lua raises errors with setjmp/longjmp (ldo.c, built as C). clang 14's Wasm SjLj lowering
#   (-mllvm -wasm-enable-sjlj -mexception-handling) turns them into Wasm exception handling; the small
#   runtime it calls is wasi-port/sjlj-runtime.c and the declarations are wasi-port/setjmp.h. So pcall
#   and error() behave exactly as in native Lua (no abort-on-error shim).
# - Lua's "generic" ANSI build (and wasi-port.h, force-included in both) (no LUA_USE_POSIX/LUA_USE_LINUX) on both sides, so the two builds behave
#   alike: io.popen raises "'popen' not supported", os.execute() returns false (wasi-port.c's system()),
#   io.tmpfile() returns nil + error, os.tmpname raises (wasi-port.h). signal() and clock() come from
#   wasi-libc's emulation libraries (-lwasi-emulated-signal, -lwasi-emulated-process-clocks).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
port="$root/test/fixtures/third-party/wasi-port"
out_root="$root/test/fixtures/.build/third-party"
mkdir -p "$out_root"

die() { echo "build-third-party: $*" >&2; exit 1; }
for tool in clang cc apt-get apt-cache flock sha256sum; do
  command -v "$tool" >/dev/null || die "'$tool' is not installed; run scripts/install-deps.sh (as root) first"
done
[ -f /usr/lib/wasm32-wasi/libc.a ] || die "wasi-libc is missing (/usr/lib/wasm32-wasi/libc.a); run scripts/install-deps.sh first"

exec 9>"$out_root/.lock"
flock 9

# Pinned source versions: `apt-get source PKG` alone picks the newest version of any suite, which moves
# (a security update) and may not be served by the mirror reachable here (bookworm-security's pool
# answered 404 for zlib 1:1.2.13.dfsg-1+deb12u1). Each package lists exact versions, tried in order; a
# version is used only when every file of it downloads and apt verifies it against the signed index.
# To move to a newer version: add it at the front of its list (the output key names it).
lua_pins=("5.4.4-3+deb12u1" "5.4.4-3")
zlib_pins=("1:1.2.13.dfsg-1")

# Prints the first pinned version of $1 that apt knows (any configured deb-src suite), or nothing.
known_pin() {
  local pkg=$1; shift
  local ver
  for ver in "$@"; do
    if apt-get source --print-uris -qq "$pkg=$ver" 2>/dev/null | grep -q '\.dsc'; then echo "$ver"; return 0; fi
  done
  return 1
}
if ! known_pin lua5.4 "${lua_pins[@]}" >/dev/null || ! known_pin zlib "${zlib_pins[@]}" >/dev/null; then
  echo "build-third-party: apt's source lists lack a pinned version; adding deb-src entries and updating" >&2
  bash "$root/scripts/install-deps.sh"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq; else sudo apt-get update -qq; fi
fi

# Downloads and unpacks (apt-get source applies Debian's patches) the first pinned version of $1 that
# the mirror serves, into src/; prints "VERSION DIR". One line on stderr and exit 1 when none is served.
fetch() {
  local pkg=$1; shift
  local ver dir tried=()
  for ver in "$@"; do
    dir="$out_root/src/${pkg}_${ver#*:}"
    if [ -f "$dir/.unpacked" ]; then
      echo "$ver $(find "$dir" -mindepth 1 -maxdepth 1 -type d | head -1)"; return 0
    fi
    tried+=("$ver")
    rm -rf "$dir" && mkdir -p "$dir"
    if (cd "$dir" && apt-get source -qq "$pkg=$ver" >"$dir/apt-get-source.log" 2>&1); then
      local unpacked
      unpacked=$(find "$dir" -mindepth 1 -maxdepth 1 -type d | head -1)
      # Check that what was unpacked is the version asked for (debian/changelog's first line).
      if [ -n "$unpacked" ] && head -1 "$unpacked/debian/changelog" | grep -qF "($ver)"; then
        touch "$dir/.unpacked"
        echo "$ver $unpacked"; return 0
      fi
      echo "build-third-party: $pkg $ver unpacked, but its debian/changelog names another version" >&2
    fi
  done
  local why
  why=$(grep -m1 -E 'Failed to fetch|Unable to find|Can not find|E: ' "$dir/apt-get-source.log" 2>/dev/null || true)
  die "cannot download the Debian source package $pkg (tried ${tried[*]}${why:+: $why}): add a version that 'apt-get source --print-uris $pkg' shows and the mirror serves to the front of ${pkg//[.0-9]/}_pins in scripts/build-third-party.sh"
}
read -r lua_ver lua_dir < <(fetch lua5.4 "${lua_pins[@]}") || exit 1
read -r zlib_ver zlib_dir < <(fetch zlib "${zlib_pins[@]}") || exit 1
[ -n "${lua_dir:-}" ] && [ -n "${zlib_dir:-}" ] || die "fetching the source packages failed (see above)"
lua_ver=${lua_ver#*:}; zlib_ver=${zlib_ver#*:}
lua_src=$lua_dir/src
zlib_src=$zlib_dir

# Keep in step with scriptHash() in test/support/third-party.ts: this script, then wasi-port/* by name.
script_hash=$(cd "$port" && cat "$root/scripts/build-third-party.sh" $(LC_ALL=C ls) | sha256sum | cut -c1-12)
key="lua5.4_${lua_ver}+zlib_${zlib_ver}+${script_hash}"
dest="$out_root/$key"
manifest="$dest/manifest.json"
if [ -f "$manifest" ] && [ -x "$dest/lua" ] && [ -f "$dest/lua.wasm" ] && [ -x "$dest/minigzip" ] && [ -f "$dest/minigzip.wasm" ]; then
  echo "$manifest"
  exit 0
fi

tmp="$dest.tmp.$$"
rm -rf "$tmp" && mkdir -p "$tmp/inc-wasm" "$tmp/inc-native"
trap 'rm -rf "$tmp"' EXIT
# Debian's luaconf.h includes a generated header naming the multiarch triplet (for package.cpath).
echo '#define DEB_HOST_MULTIARCH "wasm32-wasi"' >"$tmp/inc-wasm/lua5.4-deb-multiarch.h"
echo "#define DEB_HOST_MULTIARCH \"$(cc -dumpmachine)\"" >"$tmp/inc-native/lua5.4-deb-multiarch.h"

lua_c=()
for f in "$lua_src"/*.c; do
  case "$(basename "$f")" in luac.c) ;; *) lua_c+=("$f") ;; esac
done
zlib_c=()
for f in adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback inffast inflate inftrees trees uncompr zutil; do
  zlib_c+=("$zlib_src/$f.c")
done
minigzip_c="$zlib_src/test/minigzip.c"
[ -f "$minigzip_c" ] || minigzip_c="$zlib_src/minigzip.c"

wasm=(clang --target=wasm32-wasi --sysroot=/usr -O2 -w)
lua_defs=(-std=gnu99 -DLUA_COMPAT_5_3)
# What zlib's ./configure finds on Linux and on WASI alike; without it gzlib.c calls an implicitly
# declared lseek with the wrong signature (a trap in Wasm).
zlib_defs=(-I"$zlib_src" -DHAVE_UNISTD_H -DHAVE_STDARG_H)

"${wasm[@]}" "${lua_defs[@]}" -I"$tmp/inc-wasm" -I"$port" -include wasi-port.h \
  -mllvm -wasm-enable-sjlj -mexception-handling \
  -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS \
  "${lua_c[@]}" "$port/sjlj-runtime.c" "$port/wasi-port.c" \
  -lwasi-emulated-signal -lwasi-emulated-process-clocks -Wl,-z,stack-size=1048576 \
  -o "$tmp/lua.wasm" &
p1=$!
cc -O2 -w "${lua_defs[@]}" -I"$tmp/inc-native" -include "$port/wasi-port.h" "${lua_c[@]}" -lm -o "$tmp/lua" &
p2=$!
wait $p1 || die "building lua.wasm failed"
wait $p2 || die "building native lua failed"
"${wasm[@]}" "${zlib_defs[@]}" "${zlib_c[@]}" "$minigzip_c" -o "$tmp/minigzip.wasm" &
p1=$!
cc -O2 -w "${zlib_defs[@]}" "${zlib_c[@]}" "$minigzip_c" -o "$tmp/minigzip" &
p2=$!
wait $p1 || die "building minigzip.wasm failed"
wait $p2 || die "building native minigzip failed"

cat >"$tmp/manifest.json" <<EOF
{
  "key": "$key",
  "scriptHash": "$script_hash",
  "luaVersion": "$lua_ver",
  "zlibVersion": "$zlib_ver",
  "luaWasm": "$dest/lua.wasm",
  "luaNative": "$dest/lua",
  "minigzipWasm": "$dest/minigzip.wasm",
  "minigzipNative": "$dest/minigzip"
}
EOF
rm -rf "$tmp/inc-wasm" "$tmp/inc-native" "$dest"
mv "$tmp" "$dest"
trap - EXIT
# Builds of older keys are stale now.
find "$out_root" -mindepth 1 -maxdepth 1 -type d -name 'lua5.4_*' ! -name "$key" -exec rm -rf {} +
echo "$manifest"
