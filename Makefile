# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Build: BPF objects -> skeletons -> sttctl. `make V=1` shows the commands.

CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
PREFIX ?= /usr/local
DESTDIR ?=

OUT := build
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -mcpu=v3 -Wall -Werror \
	-Iinclude -Ibpf -I.
CFLAGS ?= -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS += -Iinclude -I$(OUT) -D_GNU_SOURCE
LDLIBS := -lbpf -lxdp -ljson-c -lmnl -lelf -lz
# sttd's metrics endpoint (user/daemon/metrics.c) is served by libmicrohttpd.
MHD_CFLAGS := $(shell pkg-config --cflags libmicrohttpd 2>/dev/null)
MHD_LIBS := $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
# sttctl fleet talks to etcd's JSON gateway through libcurl (base64 from OpenSSL's libcrypto).
ETCD_LIBS := -lcurl -lcrypto

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
BPF_HDRS := $(wildcard bpf/lib/*.h) $(wildcard include/*.h)

# user/cli: sttctl; user/daemon: sttd; user/lib: the code both (and later tools) share,
# linked into each program as a static library, which takes only the objects a program uses.
CLI_SRCS := $(wildcard user/cli/*.c)
DAEMON_SRCS := $(wildcard user/daemon/*.c)
LIB_SRCS := $(wildcard user/lib/*.c)
USER_SRCS := $(CLI_SRCS) $(DAEMON_SRCS) $(LIB_SRCS)
CLI_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(CLI_SRCS))
DAEMON_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(DAEMON_SRCS))
LIB_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(LIB_SRCS))
USER_LIB := $(OUT)/user/libstt.a
USER_HDRS := $(wildcard user/*/*.h) $(wildcard include/*.h)

UNIT_SRCS := $(filter-out tests/unit/reasm_test.c tests/unit/fleet_test.c tests/unit/etcd_test.c,\
                           $(wildcard tests/unit/*.c))

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.PHONY: all clean test demo demo-fleet deps vmlinux format format-check install bench bench-gro bench-fleet test-tools test-vm test-kernels \
	test-interop etcd-test

all: $(OUT)/sttctl $(OUT)/sttd $(OUT)/stt_unit $(OUT)/reasm_test $(OUT)/fleet_test \
     $(OUT)/etcd_test $(OUT)/stt_bpf_fuzz

$(OUT) $(OUT)/user/cli $(OUT)/user/daemon $(OUT)/user/lib:
	$(Q)mkdir -p $@

define bpf_compile
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp.o
	$(Q)$(BPFTOOL) gen object $@ $@.tmp.o
	$(Q)rm -f $@.tmp.o
endef

# The product programs (bpf/), then the test tools' programs (tests/tools/), which no
# product target builds: `make build/stt_fault`, `make build/stt_foreign`.
$(OUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) vmlinux.h | $(OUT)
	$(bpf_compile)

$(OUT)/%.bpf.o: tests/tools/%.bpf.c $(BPF_HDRS) vmlinux.h | $(OUT)
	$(bpf_compile)

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(OUT)/user/cli/%.o: user/cli/%.c $(USER_HDRS) $(SKELS) | $(OUT)/user/cli
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser/lib -c $< -o $@

$(OUT)/user/daemon/%.o: user/daemon/%.c $(USER_HDRS) $(SKELS) | $(OUT)/user/daemon
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser/lib -c $< -o $@

$(OUT)/user/lib/%.o: user/lib/%.c $(USER_HDRS) $(SKELS) | $(OUT)/user/lib
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser/lib -c $< -o $@

$(OUT)/user/daemon/metrics.o: CFLAGS += $(MHD_CFLAGS)

$(USER_LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(OUT)/sttctl: $(CLI_OBJS) $(USER_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS) $(ETCD_LIBS)

$(OUT)/sttd: $(DAEMON_OBJS) $(USER_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS) $(MHD_LIBS)

# Test tool: the STT fault injector (tests/tools/stt_fault.bpf.c) and its loader
# (tests/netns/test_faults.sh builds it on demand).
$(OUT)/stt_fault: tests/tools/stt_fault.c $(OUT)/stt_fault.skel.h include/stt_proto.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ $(LDLIBS)

# Test tool: raw-socket flood of crafted underlay packets (tests/netns/test_exhaust.sh).
$(OUT)/stt_flood: tests/tools/stt_flood.c include/stt_proto.h | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

# Test tool: a foreign TC program for the coexistence tests (tests/netns/test_ops.sh builds
# it on demand with `make build/stt_foreign`).
$(OUT)/stt_foreign: tests/tools/stt_foreign.c $(OUT)/foreign.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ $(LDLIBS)

# Test tool: loads each BPF program of build/*.bpf.o on its own through the running kernel's
# verifier (tests/vm/guest.sh). The objects stay after a build for it (.SECONDARY).
.SECONDARY: $(BPF_OBJS) $(OUT)/foreign.bpf.o

$(OUT)/stt_progcheck: tests/tools/stt_progcheck.c | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ $(LDLIBS)

$(OUT)/reasm_test: tests/unit/reasm_test.c tests/unit/test.h user/lib/reasm.c user/lib/reasm.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Iuser/lib tests/unit/reasm_test.c user/lib/reasm.c -o $@

# The etcd client (user/lib/etcd.c): libcurl, OpenSSL's libcrypto (base64) and json-c, which
# LDLIBS has. Its test starts its own etcd servers (Debian's etcd-server package, /usr/bin/etcd).
$(OUT)/etcd_test: tests/unit/etcd_test.c tests/unit/test.h user/lib/etcd.c user/lib/etcd.h | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Iuser/lib tests/unit/etcd_test.c user/lib/etcd.c -o $@ \
		$(ETCD_LIBS) -ljson-c

etcd-test: $(OUT)/etcd_test
	$(Q)$(OUT)/etcd_test

# The fleet schema alone (pure: no etcd, no system).
FLEET_TEST_SRCS := user/lib/fleet.c user/lib/apply_doc.c user/lib/encap.c user/lib/mac.c
$(OUT)/fleet_test: tests/unit/fleet_test.c tests/unit/test.h $(FLEET_TEST_SRCS) user/lib/fleet.h \
		user/lib/apply.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Iuser/lib tests/unit/fleet_test.c $(FLEET_TEST_SRCS) -o $@ \
		-ljson-c

$(OUT)/stt_unit: $(UNIT_SRCS) $(wildcard tests/unit/*.h) $(SKELS) $(BPF_HDRS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $(UNIT_SRCS) -o $@ $(LDLIBS)

# Fuzz harness of the BPF programs through BPF_PROG_TEST_RUN (tests/fuzz/README.md).
$(OUT)/stt_bpf_fuzz: tests/fuzz/bpf_fuzz.c tests/unit/test.h tests/unit/pins.h tests/unit/lo_capture.h $(SKELS) $(BPF_HDRS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< -o $@ $(LDLIBS)

# Fuzzing and sanitizer builds (clang + libFuzzer; see tests/fuzz/README.md).
# fuzz-build: the libFuzzer targets and the ASan+UBSan build of the reassembly unit tests.
# fuzz: every target for FUZZ_TIME seconds each (default 600), extra libFuzzer flags in FUZZ_FLAGS.
FUZZ_CC ?= clang
FUZZ_TIME ?= 600
FUZZ_FLAGS ?=
SAN_CFLAGS := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -Wall -Wextra -Werror -Wno-unused-parameter \
	-Iinclude -Iuser/lib -Iuser/daemon -D_GNU_SOURCE
FUZZ_CFLAGS := -fsanitize=fuzzer $(SAN_CFLAGS)
FUZZ_TARGETS := fuzz_reasm fuzz_parsers fuzz_piece fuzz_apply fuzz_fleet
FUZZ_BINS := $(patsubst %,$(OUT)/fuzz/%,$(FUZZ_TARGETS))

.PHONY: fuzz fuzz-build

$(OUT)/fuzz:
	$(Q)mkdir -p $@

# The engine linked in; its private structures (reasm_impl.h) let the checks walk it.
$(OUT)/fuzz/fuzz_reasm: tests/fuzz/fuzz_reasm.c user/lib/reasm.c user/lib/reasm.h \
		user/lib/reasm_impl.h | $(OUT)/fuzz
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $< user/lib/reasm.c -o $@

# The option parsers of sttctl and sttd (user/lib/common.c, user/cli/cmd.c).
PARSER_SRCS := user/lib/common.c user/lib/mac.c user/cli/cmd.c
$(OUT)/fuzz/fuzz_parsers: tests/fuzz/fuzz_parsers.c $(PARSER_SRCS) $(USER_HDRS) | $(OUT)/fuzz
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Iuser/cli $< $(PARSER_SRCS) -o $@ -lbpf -ljson-c

# sttd's piece path (user/daemon/sttd_piece.c), its two calls out of the process (the map
# lookup, the AF_PACKET send) replaced at link time by the target's stubs.
PIECE_SRCS := user/daemon/sttd_piece.c user/lib/reasm.c user/lib/common.c user/lib/mac.c
$(OUT)/fuzz/fuzz_piece: tests/fuzz/fuzz_piece.c $(PIECE_SRCS) $(USER_HDRS) | $(OUT)/fuzz
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $< $(PIECE_SRCS) -o $@ \
		-Wl,--wrap=bpf_map_lookup_elem,--wrap=sendmsg -lbpf -ljson-c

# The desired-state document parser of sttctl apply: pure, no system access.
APPLY_DOC_SRCS := user/lib/apply_doc.c user/lib/encap.c user/lib/mac.c
$(OUT)/fuzz/fuzz_apply: tests/fuzz/fuzz_apply.c $(APPLY_DOC_SRCS) user/lib/apply.h user/lib/mac.h \
		include/stt_maps.h include/stt_proto.h | $(OUT)/fuzz
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $< $(APPLY_DOC_SRCS) -o $@ -ljson-c

# The fleet schema on what etcd may hold: pure too.
$(OUT)/fuzz/fuzz_fleet: tests/fuzz/fuzz_fleet.c $(FLEET_TEST_SRCS) user/lib/fleet.h user/lib/apply.h \
		| $(OUT)/fuzz
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $< $(FLEET_TEST_SRCS) -o $@ -ljson-c

$(OUT)/reasm_test_asan: tests/unit/reasm_test.c tests/unit/test.h user/lib/reasm.c \
		user/lib/reasm.h | $(OUT)
	$(call msg,SAN-CC,$@)
	$(Q)$(FUZZ_CC) $(SAN_CFLAGS) -Itests/unit tests/unit/reasm_test.c user/lib/reasm.c -o $@

# The BPF_PROG_TEST_RUN unit tests with ASan+UBSan: the test's own packet building, checksum
# and counter code (the BPF programs run in the kernel either way).
$(OUT)/stt_unit_asan: $(UNIT_SRCS) $(wildcard tests/unit/*.h) $(SKELS) $(BPF_HDRS) | $(OUT)
	$(call msg,SAN-CC,$@)
	$(Q)$(FUZZ_CC) $(SAN_CFLAGS) -I$(OUT) -Itests/unit $(UNIT_SRCS) -o $@ $(LDLIBS)

fuzz-build: $(FUZZ_BINS) $(OUT)/reasm_test_asan $(OUT)/stt_unit_asan

fuzz: fuzz-build
	$(Q)rc=0; for t in $(FUZZ_TARGETS); do \
		tests/fuzz/run_short.sh $$t $(FUZZ_TIME) $(FUZZ_FLAGS) || rc=1; done; exit $$rc

# The test tools that the tests would otherwise build on demand, and the BPF objects for
# stt_progcheck: built on the host, since building them in the VM (emulated) is slow.
TEST_TOOLS := $(OUT)/stt_progcheck $(OUT)/stt_fault $(OUT)/stt_flood $(OUT)/stt_foreign \
	$(BPF_OBJS) $(OUT)/foreign.bpf.o
test-tools: $(TEST_TOOLS)

# Tests in a VM on a Debian kernel package under qemu, no KVM needed (tests/vm/vm.sh).
# test-vm: on Debian 12's kernel (the package linux-image-amd64 depends on, Linux 6.1), the
# BPF program load check, the unit tests and the CI subset of the namespace suites
# (tests/vm/guest.sh); tests/run.sh runs it too. VM_TIMEOUT: seconds for the whole run;
# KPKG: another kernel package (make test-vm KPKG=linux-image-6.12-amd64); VM_SUITES: other
# namespace suites than the CI subset (make test-vm VM_SUITES="test_qos test_mcast").
VM_TIMEOUT ?= 2100
KPKG ?= default
VM_SUITES ?=
test-vm: all test-tools
	$(Q)tests/vm/vm.sh --kpkg "$(KPKG)" --timeout $(VM_TIMEOUT) -- tests/vm/guest.sh $(VM_SUITES)

# test-kernels: every namespace suite on each Debian kernel package of KERNELS, with a line of
# totals per kernel and one for all. "default" is test-vm's kernel. For the next LTS, add its
# package (a meta-package is followed to the image), e.g.
#   make test-kernels KERNELS="default linux-image-6.12-amd64"
KERNELS ?= default
KERNEL_TIMEOUT ?= 5400
test-kernels: all test-tools
	$(Q)bash -c 'source tests/suite.sh; for k in $(KERNELS); do \
		run_suite "kernel package $$k" $$(($(KERNEL_TIMEOUT) + 60)) \
			tests/vm/vm.sh --kpkg "$$k" --timeout $(KERNEL_TIMEOUT) -- tests/vm/guest.sh all; \
		done; suite_totals'

# test-interop: Linux's own GUE (ip fou ... gue + gretap/ip6gretap encap gue) in the VM, on
# KPKG (default: Debian 12's 6.1, which builds fou): ping and iperf3 across it, its wire
# format, what it drops of hand-made malformed GUE (tests/vm/interop_gue.sh, docs/GUE.md).
# Then stt's GUE against that gretap (tests/vm/interop_stt.sh: build/sttctl and the BPF
# objects as built here). The captures come back to build/interop/. INTEROP_PARTS: "linux",
# "stt" or both (default). A few minutes; not part of make test or CI.
INTEROP_TIMEOUT ?= 900
INTEROP_PARTS ?= linux stt
test-interop: all
	$(Q)tests/vm/interop_gue.sh --kpkg "$(KPKG)" --timeout $(INTEROP_TIMEOUT) --parts "$(INTEROP_PARTS)"

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h

deps:
	$(Q)scripts/deps.sh

test: deps
	$(Q)$(MAKE) --no-print-directory all fuzz-build
	$(Q)tests/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

demo-fleet: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo_fleet.sh

# STT, VXLAN, no tunnel and the others in interleaved rounds (scripts/bench.sh; docs/BENCH.md),
# under the lock timed runs share; BENCH_ARGS="ROUNDS SECONDS" (default 3 3).
bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)flock /tmp/stt-bench.lock scripts/bench.sh $(BENCH_ARGS)

# How often GRO splits STT frames in wire mode, and why (scripts/bench_gro_split.sh; docs/BENCH.md,
# "GRO splits"), under the same lock; BENCH_GRO_ARGS="ROUNDS SECONDS" (default 3 3).
bench-gro: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)flock /tmp/stt-bench.lock scripts/bench_gro_split.sh $(BENCH_GRO_ARGS)

# The fleet control plane on etcd (scripts/bench_fleet.sh; docs/BENCH.md, "Fleet"), under the
# namespace tests' lock.
bench-fleet: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)flock /tmp/stt-netns.lock scripts/bench_fleet.sh

# The product code's style: clang-format (.clang-format, 100 columns) and functions of at
# most 100 lines (tests/tools/style_check.py). `make format` rewrites what clang-format can.
STYLE_SRCS := $(BPF_SRCS) $(wildcard bpf/lib/*.h include/*.h user/*/*.c user/*/*.h)

format:
	clang-format -i $(STYLE_SRCS)

format-check:
	$(Q)python3 tests/tools/style_check.py $(STYLE_SRCS)

# `make install [PREFIX=/usr/local] [DESTDIR=]`: binaries in $(SBINDIR), man pages in
# $(MANDIR)/man8, systemd units (sttd.service, sttd@NETNS.service) in $(UNITDIR).
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system

install: $(OUT)/sttctl $(OUT)/sttd
	install -D -m 0755 $(OUT)/sttctl $(DESTDIR)$(SBINDIR)/sttctl
	install -D -m 0755 $(OUT)/sttd $(DESTDIR)$(SBINDIR)/sttd
	install -D -m 0644 docs/sttctl.8 $(DESTDIR)$(MANDIR)/man8/sttctl.8
	install -D -m 0644 docs/sttd.8 $(DESTDIR)$(MANDIR)/man8/sttd.8
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' scripts/sttd.service > $(DESTDIR)$(UNITDIR)/sttd.service
	sed 's|@SBINDIR@|$(SBINDIR)|g' scripts/sttd@.service > $(DESTDIR)$(UNITDIR)/sttd@.service
	sed 's|@SBINDIR@|$(SBINDIR)|g' scripts/stt-agent@.service > \
		$(DESTDIR)$(UNITDIR)/stt-agent@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/sttd.service $(DESTDIR)$(UNITDIR)/sttd@.service \
		$(DESTDIR)$(UNITDIR)/stt-agent@.service

clean:
	rm -rf $(OUT)
