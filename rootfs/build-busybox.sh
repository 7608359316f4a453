#!/bin/sh
# Build busybox as a NOMMU static-pie musl binary and install it, with all
# its applet links, into rootfs/.
#
#   rootfs/build-busybox.sh          build if rootfs/bin/busybox is missing
#   rootfs/build-busybox.sh --force  reconfigure, rebuild and reinstall
#
# Steps (each is skipped when already done):
#   1. the rootfs skeleton (proc dev tmp root etc; etc/passwd group hostname)
#   2. Debian packages: musl-tools dpkg-dev gcc make libc6-dev linux-libc-dev
#   3. deb-src lines for apt (a deb-src copy of the deb entries) + apt update
#   4. `apt-get source busybox` into build/busybox/
#   5. defconfig + the deltas below, `yes "" | make oldconfig`
#   6. `make -j2` with gcc + guest-tests/musl-static-pie.specs and
#      CFLAGS_busybox=-static-pie  -> ET_DYN, no PT_INTERP
#   7. `make install` into rootfs/ (relative symlinks: bin/sh -> busybox,
#      sbin/x -> ../bin/busybox, usr/bin/x -> ../../bin/busybox)
#
# Steps 2 and 3 need root; as a normal user the script prints the exact
# command to run instead.
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
ROOTFS=$REPO/rootfs
BUILD=$REPO/build/busybox
SPECS=$REPO/guest-tests/musl-static-pie.specs
JOBS=${JOBS:-2}
FORCE=0
[ "${1:-}" = --force ] && FORCE=1

say() { echo "build-busybox: $*" >&2; }
die() { say "$*"; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

# ---------------------------------------------------------------- 1. skeleton
skeleton() {
	for d in proc dev tmp root etc; do
		mkdir -p "$ROOTFS/$d"
	done
	for d in proc dev tmp root; do
		[ -e "$ROOTFS/$d/.keep" ] || : > "$ROOTFS/$d/.keep"
	done
	# git does not keep directory modes; best effort.
	chmod 1777 "$ROOTFS/tmp" 2>/dev/null || true
	chmod 0700 "$ROOTFS/root" 2>/dev/null || true
	[ -e "$ROOTFS/etc/passwd" ] || echo 'root:x:0:0:root:/root:/bin/sh' > "$ROOTFS/etc/passwd"
	[ -e "$ROOTFS/etc/group" ] || echo 'root:x:0:' > "$ROOTFS/etc/group"
	[ -e "$ROOTFS/etc/hostname" ] || echo 'nommu' > "$ROOTFS/etc/hostname"
}

# ---------------------------------------------------------------- 2. packages
PKGS="musl-tools dpkg-dev gcc make libc6-dev linux-libc-dev"
packages() {
	missing=""
	for p in $PKGS; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	is_root || die "missing packages:$missing — run: sudo apt-get install$missing"
	say "installing$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
}

# ---------------------------------------------------------------- 3. deb-src
DEBSRC=/etc/apt/sources.list.d/deb-src.sources
have_debsrc() {
	# One-line style (sources.list, *.list) or deb822 (*.sources).
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	    /etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -Eq '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)'
}
# The shell command that adds deb-src entries mirroring the deb ones.
debsrc_cmd() {
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		# deb822 (Debian 12's default): the same entries, Types: deb-src.
		echo "sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > $DEBSRC && apt-get update"
	elif grep -Eq '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list 2>/dev/null; then
		# Classic one-line sources.list: deb -> deb-src.
		echo "sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' /etc/apt/sources.list > ${DEBSRC%.sources}.list && apt-get update"
	fi
}
debsrc() {
	if ! have_debsrc; then
		cmd=$(debsrc_cmd)
		[ -n "$cmd" ] || die "cannot find Debian's apt sources to derive deb-src lines from"
		is_root || die "apt has no deb-src lines — run: sudo sh -c \"$cmd\""
		say "adding deb-src entries: $cmd"
		sh -c "$cmd" >/dev/null
	fi
	# deb-src configured but its index never fetched.
	if ! apt-cache showsrc busybox 2>/dev/null | grep -q '^Package: busybox'; then
		is_root || die "apt has no source index for busybox — run: sudo apt-get update"
		apt-get update -qq
	fi
}

# ---------------------------------------------------------------- 4. source
srcdir() {
	# The unpacked tree, e.g. build/busybox/busybox-1.35.0 (newest if several).
	for d in "$BUILD"/busybox-[0-9]*/; do
		[ -f "$d/Makefile" ] && s=${d%/}
	done
	echo "${s:-}"
}
source_tree() {
	SRC=$(srcdir)
	[ -n "$SRC" ] && return 0
	debsrc
	mkdir -p "$BUILD"
	say "apt-get source busybox -> $BUILD"
	# As root apt fetches as _apt, which cannot write here: fetch unsandboxed.
	(cd "$BUILD" && apt-get source -qq -o APT::Sandbox::User=root busybox >/dev/null)
	SRC=$(srcdir)
	[ -n "$SRC" ] || die "apt-get source busybox left no busybox-*/ in $BUILD"
}

# ---------------------------------------------------------------- 5. config
# Kernel headers musl's include dir lacks, reachable via -isystem.
kheaders() {
	KH=$BUILD/kheaders
	mkdir -p "$KH"
	ln -sfn /usr/include/linux "$KH/linux"
	ln -sfn /usr/include/x86_64-linux-gnu/asm "$KH/asm"
	ln -sfn /usr/include/asm-generic "$KH/asm-generic"
	ln -sfn /usr/include/mtd "$KH/mtd"
}

# set NAME VALUE  (VALUE: y | n | "string")
set_opt() {
	sed -i -e "/^CONFIG_$1=/d" -e "/^# CONFIG_$1 is not set/d" .config
	if [ "$2" = n ]; then
		echo "# CONFIG_$1 is not set" >> .config
	else
		echo "CONFIG_$1=$2" >> .config
	fi
}

# Applets to switch off (NAME without CONFIG_), for ones that do not build
# against musl + the Linux UAPI headers.  With Debian 12's busybox 1.35.0
# the whole defconfig builds, so none: NOMMU itself drops ash (hush is sh)
# and unshare, and defconfig already leaves out SELinux and PAM.
DISABLE=""

configure() {
	kheaders
	cd "$SRC"
	say "configuring $SRC"
	make -s defconfig >/dev/null
	set_opt STATIC y
	set_opt PIE n                        # "depends on !STATIC": we link -static-pie ourselves
	set_opt NOMMU y
	set_opt EXTRA_CFLAGS "\"-fPIE -isystem $KH\""
	set_opt SH_IS_ASH n                  # ash refuses NOMMU
	set_opt SH_IS_HUSH y
	set_opt BASH_IS_NONE y
	set_opt HUSH y
	set_opt SHELL_HUSH y
	set_opt INSTALL_APPLET_SYMLINKS y
	for o in $DISABLE; do
		set_opt "$o" n
	done
	yes "" | make oldconfig >/dev/null 2>&1
	# Check what oldconfig kept.
	for o in STATIC NOMMU HUSH SH_IS_HUSH INSTALL_APPLET_SYMLINKS; do
		grep -q "^CONFIG_$o=y" .config || die "CONFIG_$o did not stick in .config"
	done
	cd - >/dev/null
}

# ---------------------------------------------------------------- 6. build
LOG=$BUILD/build.log
build() {
	cd "$SRC"
	say "make -j$JOBS (about a minute; log: $LOG)"
	if ! make -j"$JOBS" CC="gcc -specs=$SPECS" CFLAGS_busybox=-static-pie busybox > "$LOG" 2>&1; then
		tail -n 40 "$LOG" >&2
		die "busybox build failed; full log: $LOG"
	fi
	cd - >/dev/null
}

# ---------------------------------------------------------------- 7. install
install_rootfs() {
	cd "$SRC"
	make CC="gcc -specs=$SPECS" CFLAGS_busybox=-static-pie \
		CONFIG_PREFIX="$ROOTFS" install > "$BUILD/install.log" 2>&1 ||
		die "make install failed; log: $BUILD/install.log"
	cd - >/dev/null
}

check_binary() {
	h=$(readelf -lh "$1" 2>/dev/null) || die "$1: not an ELF file"
	echo "$h" | grep -q 'Type:[[:space:]]*DYN' || die "$1 is not ET_DYN (static-pie); rebuild: $0 --force"
	if echo "$h" | grep -q INTERP; then die "$1 has a PT_INTERP (not static); rebuild: $0 --force"; fi
}

skeleton
if [ "$FORCE" = 0 ] && [ -x "$ROOTFS/bin/busybox" ]; then
	check_binary "$ROOTFS/bin/busybox"
else
	packages
	source_tree
	if [ "$FORCE" = 1 ] || [ ! -f "$SRC/.config" ]; then
		configure
	fi
	if [ "$FORCE" = 1 ] || [ ! -x "$SRC/busybox" ]; then
		build
	fi
	check_binary "$SRC/busybox"
	if [ "$FORCE" = 1 ]; then
		rm -rf "$ROOTFS/bin" "$ROOTFS/sbin" "$ROOTFS/usr" "$ROOTFS/linuxrc"
	fi
	install_rootfs
fi
n=$(find "$ROOTFS/bin" "$ROOTFS/sbin" "$ROOTFS/usr" "$ROOTFS/linuxrc" -type l 2>/dev/null | wc -l)
v=$("$ROOTFS/bin/busybox" 2>/dev/null | sed -n '1s/^\(BusyBox v[^ ]*\).*/\1/p' || true)
echo "${v:-busybox}: NOMMU static-pie musl, $n applet links -> $ROOTFS/bin/busybox"
