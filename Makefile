# nommu — build, test, benchmark.
#
#   make          build the emulator and the guest test programs
#   make test     everything a fresh machine needs, then the whole test suite
#   make bench    native vs nommu vs qemu-x86_64, side by side
#   make startup-order  re-trace which functions start-up runs (build.rs)
#
# The emulator is a static musl binary (see .cargo/config.toml); it is
# also linked as target/release/nommu.

TARGET     := x86_64-unknown-linux-musl
NOMMU      := target/$(TARGET)/release/nommu
APT_PKGS   := musl-tools gcc make qemu-user python3 util-linux strace cpio
IS_ROOT    := $(shell [ "$$(id -u)" = 0 ] && echo yes)

.PHONY: all nommu guest-tests test test-debug test-busybox fuzz bench startup-order deps rust-target mmap-min-addr rootfs rootfs.cpio.gz run run-initrd clean distclean

all: nommu guest-tests

nommu: rust-target
	cargo build --release
	@mkdir -p target/release
	@ln -sf ../$(TARGET)/release/nommu target/release/nommu

guest-tests: deps
	$(MAKE) -C guest-tests

# Debian packages the guest tests and benchmarks need.
deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$(IS_ROOT)" = yes ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "missing packages:$$missing — run: sudo apt-get install$$missing"; exit 1; fi; \
	fi

rust-target:
	@rustup target list --installed 2>/dev/null | grep -qx $(TARGET) || rustup target add $(TARGET)

# The zpoline trampoline lives at address 0. Without it nommu still works,
# with every syscall on the slower trap path.
mmap-min-addr:
	@if [ "$$(cat /proc/sys/vm/mmap_min_addr)" != 0 ]; then \
	  if [ "$(IS_ROOT)" = yes ]; then sysctl -qw vm.mmap_min_addr=0; \
	  else echo "note: vm.mmap_min_addr is not 0, so nommu cannot map its page-0 trampoline and every syscall takes the slower trap path. For the fast path run: sudo sysctl -w vm.mmap_min_addr=0"; fi; \
	fi

# busybox (NOMMU, static-pie, musl) and its applet links into rootfs/.
# A no-op when rootfs/bin/busybox exists; rootfs/build-busybox.sh --force rebuilds.
rootfs:
	rootfs/build-busybox.sh

# The busybox root as an initramfs, as a buildroot no-MMU build makes one:
# a gzip'd newc cpio archive, every file owned by root:root, with /init a
# symlink to /sbin/init (buildroot's choice when /dev is static; here /dev
# is the kernel's). `nommu boot initrd=rootfs.cpio.gz` boots it.
rootfs.cpio.gz: rootfs deps
	rm -rf build/initramfs && mkdir -p build
	cp -a rootfs build/initramfs
	rm -f build/initramfs/build-busybox.sh build/initramfs/.gitignore build/initramfs/root/.*_history
	find build/initramfs/dev build/initramfs/tmp -mindepth 1 -delete
	ln -sfn sbin/init build/initramfs/init
	cd build/initramfs && find . | LC_ALL=C sort | cpio --quiet -o -H newc --owner 0:0 --reproducible | gzip -9n > ../../$@.tmp
	mv $@.tmp $@
	@echo "$@: $$(stat -c %s $@) bytes"

# Every test twice: with the page-0 trampoline (rewritten sites, trap path
# for the rest), then with every syscall on the trap path; then the tests
# that depend on the host's capabilities under every other combination
# this host can provide; then the core suites in a debug build (overflow
# checks on). The native side of a differential test does not depend on
# how nommu runs, so it runs once per `make test`: the later passes take
# its output from NOMMU_NATIVE_RUNS (tests/common: native_reference).
NATIVE_RUNS := target/native-runs
test: all rootfs mmap-min-addr
	@echo "=== this host: $$($(NOMMU) caps --machine | tr '\n' ' ')"
	rm -rf $(NATIVE_RUNS) && mkdir -p $(NATIVE_RUNS)
	NOMMU_NATIVE_RUNS=$(CURDIR)/$(NATIVE_RUNS) cargo test --release -- --test-threads=1
	@echo "=== the same tests again, every syscall on the trap path (NOMMU_TRAP_ONLY=1) ==="
	NOMMU_NATIVE_RUNS=$(CURDIR)/$(NATIVE_RUNS) NOMMU_TRAP_ONLY=1 cargo test --release -- --test-threads=1
	NOMMU_NATIVE_RUNS=$(CURDIR)/$(NATIVE_RUNS) tests/capability-matrix.sh $(NOMMU)
	NOMMU_NATIVE_RUNS=$(CURDIR)/$(NATIVE_RUNS) $(MAKE) test-debug
	@echo "=== native reference runs: $$(ls $(NATIVE_RUNS) | grep -vc reused) run, $$(cat $(NATIVE_RUNS)/reused 2>/dev/null | awk '{n++; s+=$$1} END {printf "%d reused (%.0f s not run again)", n, s/1000}')"
	rm -rf $(NATIVE_RUNS)

# The core suites against a debug build of nommu: arithmetic that wraps on
# a guest value panics there instead of giving a wrong answer.
test-debug: all mmap-min-addr
	@echo "=== debug build: differential, files, processes, hostile ==="
	cargo test --test differential --test files --test processes --test hostile -- --test-threads=1

# The hostile-guest tests, long: 200000 random syscalls per fuzz run
# (tests/hostile.rs) and 100000 mutated ELF files (tests/hostile_elf.rs).
fuzz: all mmap-min-addr
	NOMMU_FUZZ_CALLS=200000 cargo test --release --test hostile -- --test-threads=1
	NOMMU_FUZZ_ITERS=100000 cargo test --release --test hostile_elf -- --test-threads=1

# busybox's own test suites, natively and inside nommu (COMPATIBILITY.md).
test-busybox: all rootfs mmap-min-addr
	guest-tests/busybox-suite/run.sh

# Regenerates tools/startup-order.ld from traces of nommu's start-up
# (tools/startup-order/update), then relinks nommu with it.
startup-order: all mmap-min-addr
	tools/startup-order/update
	$(MAKE) nommu

bench: all mmap-min-addr
	guest-tests/bench/run.sh $(NOMMU) 5

# Boot the busybox machine on this terminal ('poweroff' ends it).
run: nommu rootfs mmap-min-addr
	$(NOMMU) boot --root rootfs

# Boot the same machine from its initramfs (an in-memory root).
run-initrd: nommu rootfs.cpio.gz mmap-min-addr
	$(NOMMU) boot initrd=rootfs.cpio.gz

clean:
	cargo clean
	$(MAKE) -C guest-tests clean

distclean: clean
	rm -rf build rootfs/bin rootfs/sbin rootfs/usr rootfs/linuxrc rootfs.cpio.gz
