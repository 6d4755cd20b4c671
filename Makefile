# SPDX-License-Identifier: Apache-2.0
#
# Drover's one, non-recursive Makefile. Everything it builds lands under $(BUILD)
# (build/, or build-asan/ when the goal list holds "asan").
#
#   make                 build the three binaries, the tools and the BPF skeletons
#   make asan check-unit same, with ASan+UBSan, into build-asan/, then the unit tier
#   make check           deps + build + unit, integration and VM tiers + one summary line
#   make deps            install the Debian packages everything needs (idempotent)
#   make vmlinux         regenerate vmlinux.h from this host's BTF
#   make install PREFIX=/usr/local DESTDIR=   the product: three binaries, man pages,
#                        bash completion, systemd units (not the benchmarks or simulators)
#   make deb             Debian packages drover-master, drover-agent, drover into build-deb/
#   make format-check    clang-format over the files of .clang-format-files (must stay clean)
#   V=1                  show the commands

VERSION := $(shell cat VERSION)
# "-dirty" when the work tree differs from HEAD; a source tree without git (or a packager)
# may set GIT_REV on the command line
ifeq ($(origin GIT_REV),undefined)
GIT_REV := $(shell r=$$(git rev-parse --short=12 HEAD 2>/dev/null) || r=unknown; \
	[ $$r = unknown ] || git diff --quiet HEAD -- 2>/dev/null || r=$$r-dirty; echo $$r)
endif
NPROC := $(shell nproc 2>/dev/null || echo 2)

# (a build directory named build-asan is always the sanitizer build, whatever the goals)
ifneq ($(filter asan,$(MAKECMDGOALS))$(filter build-asan %/build-asan,$(BUILD)),)
BUILD ?= build-asan
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else ifneq ($(filter fuzz fuzz-build,$(MAKECMDGOALS)),)
# Fuzzing: every object built by clang with libFuzzer's coverage, ASan and UBSan into
# build-fuzz/, so a fuzz target links the same archives the daemons do.
BUILD ?= build-fuzz
# (clang, unlike gcc, also flags the v*printf inside our printf-like wrappers)
SANITIZE := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Wno-format-nonliteral
CC := clang
CFLAGS ?= -O1 -g
else
BUILD ?= build
SANITIZE :=
endif

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local
DESTDIR ?=

NL_CFLAGS = $(shell $(PKG_CONFIG) --cflags libnl-genl-3.0 2>/dev/null || echo -I/usr/include/libnl3)

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wstrict-prototypes -Wmissing-prototypes -Wvla
CPPFLAGS_ALL = -D_GNU_SOURCE -I. -Ilib -Ialloc -Ibpf -I$(BUILD)/bpf -I$(BUILD)/gen $(NL_CFLAGS)
# -ffile-prefix-map: no trace of the build directory in the objects (reproducible builds)
ALL_CFLAGS = -std=gnu11 $(CFLAGS) $(WARN) $(SANITIZE) -fstack-protector-strong \
	-ffile-prefix-map=$(CURDIR)=. -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANITIZE) -Wl,--as-needed
LDLIBS := -lbpf -lelf -lz -lmicrohttpd -lcurl -ljansson -lsqlite3 -lzookeeper_mt -lnl-genl-3 -lnl-3 -lseccomp \
	-lpthread -lm -lprotobuf-c -lcrypto

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Wall -Werror -I. -Ibpf \
	-ffile-prefix-map=$(CURDIR)=.

.DELETE_ON_ERROR:
.SUFFIXES:
.SECONDARY:
.DEFAULT_GOAL := all

# ---------------------------------------------------------------- sources
LIB_SRCS := $(wildcard lib/*.c)
ALLOC_SRCS := $(wildcard alloc/*.c)
MASTER_SRCS := $(filter-out masterd/main.c,$(wildcard masterd/*.c))
AGENT_SRCS := $(filter-out agentd/main.c,$(wildcard agentd/*.c))
CLI_SRCS := $(wildcard tools/drover/*.c)
TOOL_SRCS := $(wildcard tools/*.c)
BPF_SRCS := $(wildcard bpf/*.bpf.c)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
VMTEST_SRCS := $(wildcard tests/vm/helpers/*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

LIBDROVER := $(BUILD)/lib/libdrover.a
LIBALLOC := $(BUILD)/alloc/libdroveralloc.a
LIBMASTER := $(BUILD)/masterd/libmasterd.a
LIBAGENT := $(BUILD)/agentd/libagentd.a
ARCHIVES := $(LIBMASTER) $(LIBAGENT) $(LIBALLOC) $(LIBDROVER)
VERSION_H := $(BUILD)/gen/version_gen.h

SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.skel.h,$(BPF_SRCS))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))

# the product (what `make install` and the Debian packages ship), then the benchmarks and
# simulators
PRODUCT_BINS := $(BUILD)/bin/drover-master $(BUILD)/bin/drover-agent $(BUILD)/bin/drover \
	$(BUILD)/bin/drover-health-probe
BINS := $(PRODUCT_BINS) $(patsubst tools/%.c,$(BUILD)/bin/drover-%,$(TOOL_SRCS))
UNIT_BINS := $(patsubst %.c,$(BUILD)/%,$(UNIT_SRCS))
VMTEST_BINS := $(patsubst %.c,$(BUILD)/%,$(VMTEST_SRCS))

ALL_OBJS := $(call obj,$(LIB_SRCS) $(ALLOC_SRCS) $(MASTER_SRCS) $(AGENT_SRCS) $(CLI_SRCS) \
	$(TOOL_SRCS) masterd/main.c agentd/main.c $(UNIT_SRCS) $(VMTEST_SRCS))

# ---------------------------------------------------------------- top-level goals
.PHONY: all asan bins tests clean deps vmlinux install check check-unit check-integration \
	check-vm run-unit run-integration run-vm fuzz bench plots plots-render demo check-fault \
	run-fault check-fuzz run-fuzz
.PHONY: product format-check format-candidates deb check-packaging run-packaging
all: $(BINS) $(UNIT_BINS) $(VMTEST_BINS) $(SKELS)
asan: all
bins: $(BINS)
product: $(PRODUCT_BINS)

# ---------------------------------------------------------------- compile rules
$(BUILD)/%.o: %.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

# Generated skeletons and the version header must exist before anything that may include
# them is compiled; after the first build the .d files track them precisely.
$(ALL_OBJS): | $(SKELS) $(VERSION_H)

# --version is never stale: the version header is written on every make but replaced only
# when its text changes (a new commit, a dirty tree, a new VERSION), so only the few objects
# that include lib/version.h rebuild, and nothing at all when nothing changed.
.PHONY: FORCE
$(VERSION_H): FORCE
	$(Q)mkdir -p $(@D)
	$(Q)printf '/* generated by the Makefile */\n#define DROVER_VERSION "%s"\n#define DROVER_GIT_REV "%s"\n' \
		'$(VERSION)' '$(GIT_REV)' >$@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; \
		printf '  %-8s %s\n' GEN "$@ ($(VERSION), git $(GIT_REV))"; fi

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c vmlinux.h $(wildcard bpf/*.h)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(LIBDROVER): $(call obj,$(LIB_SRCS))
$(LIBALLOC): $(call obj,$(ALLOC_SRCS))
$(LIBMASTER): $(call obj,$(MASTER_SRCS))
$(LIBAGENT): $(call obj,$(AGENT_SRCS))
$(ARCHIVES):
	$(call msg,AR,$@)
	$(Q)mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

# Layering, enforced by the linker: each binary links only the archives of its layer, so a
# call across layers (the CLI calling into agentd/, the agent into masterd/, alloc/ into
# either daemon) fails to link (tests/integration/test_build.sh shows it does).
#   lib/      libdrover       everything may use it; it uses nothing else
#   alloc/    libdroveralloc  lib only
#   masterd/  libmasterd      alloc + lib
#   agentd/   libagentd       alloc + lib
# The benchmarks and simulators (tools/*.c) link what they measure: allocbench the
# allocator, bpfbench and launchbench the agent's BPF loaders and launch path, regfill the
# master's registry; simagent and simframework speak the wire only (lib).
MASTER_LIBS := $(LIBMASTER) $(LIBALLOC) $(LIBDROVER)
AGENT_LIBS := $(LIBAGENT) $(LIBALLOC) $(LIBDROVER)
CLI_LIBS := $(LIBALLOC) $(LIBDROVER)
TOOL_LIBS_allocbench := $(LIBALLOC) $(LIBDROVER)
TOOL_LIBS_bpfbench := $(AGENT_LIBS)
TOOL_LIBS_launchbench := $(AGENT_LIBS)
TOOL_LIBS_regfill := $(MASTER_LIBS)
TOOL_LIBS_offerbench := $(MASTER_LIBS)
TOOL_LIBS_simagent := $(LIBDROVER)
TOOL_LIBS_simframework := $(LIBDROVER)
TOOL_LIBS_streambench := $(LIBDROVER)

$(BUILD)/bin/drover-master: $(BUILD)/masterd/main.o $(MASTER_LIBS)
$(BUILD)/bin/drover-agent: $(BUILD)/agentd/main.o $(AGENT_LIBS)
$(BUILD)/bin/drover: $(call obj,$(CLI_SRCS)) $(CLI_LIBS)
# the HTTP/TCP health checks' probe, exec'd by task supervisors (agentd/health.h): libcurl only
$(BUILD)/bin/drover-health-probe: $(BUILD)/agentd/probe/health_probe.o
-include $(BUILD)/agentd/probe/health_probe.d
$(foreach t,$(TOOL_SRCS:tools/%.c=%),$(eval $(BUILD)/bin/drover-$(t): $(BUILD)/tools/$(t).o \
	$$(or $$(TOOL_LIBS_$(t)),$$(error tools/$(t).c: name its archives in TOOL_LIBS_$(t)))))
$(BINS):
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(LDLIBS)

# The layering's proof (tests/integration/test_build.sh): compile PROBE (a C file) and link
# it exactly as LAYER's binary is linked (LAYER: MASTER, AGENT or CLI), into PROBE_OUT.
PROBE_OUT ?= $(BUILD)/probe
.PHONY: layering-probe
layering-probe:
	$(Q)mkdir -p $(PROBE_OUT)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CPPFLAGS) $(ALL_CFLAGS) -c $(PROBE) -o $(PROBE_OUT)/probe.o
	$(Q)$(CC) $(ALL_LDFLAGS) -o $(PROBE_OUT)/probe $(PROBE_OUT)/probe.o \
		$(or $($(LAYER)_LIBS),$(error LAYER=MASTER, AGENT or CLI)) $(LDLIBS)

$(BUILD)/tests/unit/test_%: $(BUILD)/tests/unit/test_%.o $(ARCHIVES)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(ARCHIVES) $(LDLIBS) -lcmocka

# Guest helpers run inside the VM's busybox userland: static, no sanitizers. A helper may
# include a BPF skeleton, so all of them see the skeletons and link libbpf, libelf and libz
# from their static archives (the linker takes only the members a helper uses).
VMTEST_CFLAGS = -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -I. -Ibpf -I$(BUILD)/bpf
VMTEST_LDLIBS := -lbpf -lelf -lz
# the few lib/ files a helper may use, compiled in (they depend on nothing else of lib/)
VMTEST_LIB_SRCS := lib/runq.c
$(BUILD)/tests/vm/helpers/%: tests/vm/helpers/%.c $(VMTEST_LIB_SRCS) | $(SKELS)
	$(call msg,CC-VM,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(VMTEST_CFLAGS) -MMD -MP -MF $@.d -static -o $@ $< $(VMTEST_LIB_SRCS) $(VMTEST_LDLIBS)
-include $(VMTEST_BINS:=.d)

-include $(ALL_OBJS:.o=.d)

# ---------------------------------------------------------------- protobuf schema
# proto/ holds the Mesos v1 schema (Mesos's package, message and field names and numbers);
# protoc-c turns each .proto into $(BUILD)/proto/<path>.pb-c.{c,h} (never committed), and
# the objects go into libdrover.a beside lib/pbjson.c, which converts them to and from JSON.
PROTOC_C ?= protoc-c
PROTO_SRCS := $(sort $(shell find proto -name '*.proto'))
PROTO_GEN_C := $(patsubst proto/%.proto,$(BUILD)/proto/%.pb-c.c,$(PROTO_SRCS))
PROTO_GEN_H := $(PROTO_GEN_C:.c=.h)
PROTO_OBJS := $(PROTO_GEN_C:.c=.o)
CPPFLAGS_ALL += -I$(BUILD)/proto
$(BUILD)/proto/%.pb-c.c $(BUILD)/proto/%.pb-c.h: proto/%.proto
	$(call msg,PROTOC,$@)
	$(Q)mkdir -p $(BUILD)/proto
	$(Q)$(PROTOC_C) -Iproto --c_out=$(BUILD)/proto $<
$(BUILD)/proto/%.pb-c.o: $(BUILD)/proto/%.pb-c.c | $(PROTO_GEN_H)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@
$(LIBDROVER): $(PROTO_OBJS)
$(ALL_OBJS) $(call obj,$(FUZZ_SRCS)): | $(PROTO_GEN_H)
-include $(PROTO_OBJS:.o=.d)

# ---------------------------------------------------------------- tests
# Each tier writes one line per test to $(BUILD)/results/<tier>.txt
# ("PASS name", "FAIL name", "SKIP name: reason"); tests/summary.sh counts them.
RESULTS := $(BUILD)/results

run-unit: $(UNIT_BINS)
	$(Q)tests/unit/run.sh $(BUILD) $(RESULTS)/unit.txt
run-integration: $(BINS)
	$(Q)tests/integration/run.sh $(BUILD) $(RESULTS)/integration.txt
run-fault: $(BINS)
	$(Q)tests/integration/run.sh $(BUILD) $(RESULTS)/fault.txt tests/fault
run-vm: $(BINS) $(VMTEST_BINS) $(SKELS)
	$(Q)tests/vm/run.sh $(BUILD) $(RESULTS)/vm.txt

check-unit: run-unit
	$(Q)tests/summary.sh $(RESULTS)/unit.txt
check-integration: run-integration
	$(Q)tests/summary.sh $(RESULTS)/integration.txt
check-fault: run-fault
	$(Q)tests/summary.sh $(RESULTS)/fault.txt
check-vm: run-vm
	$(Q)tests/summary.sh $(RESULTS)/vm.txt
# The Debian packages (make deb, lintian, their contents): minutes, so not part of `make check`.
run-packaging:
	$(Q)mkdir -p $(BUILD)
	$(Q)tests/integration/run.sh $(BUILD) $(RESULTS)/packaging.txt tests/packaging
check-packaging: run-packaging
	$(Q)tests/summary.sh $(RESULTS)/packaging.txt
# Each fuzz target briefly (FUZZ_CHECK_SECONDS each), as a tier of `make check`.
FUZZ_CHECK_SECONDS ?= 20
# A target that does not build is a failure of this tier; the tiers after it still run.
run-fuzz:
	$(Q)mkdir -p $(RESULTS)
	$(Q)if $(MAKE) --no-print-directory -j$(NPROC) fuzz-build; then \
		FUZZ_RESULTS=$(RESULTS)/fuzz.txt $(MAKE) --no-print-directory fuzz \
			FUZZ_SECONDS=$(FUZZ_CHECK_SECONDS) || true; \
	else \
		echo "FAIL fuzz-build: the fuzz targets do not build (make fuzz-build)" \
			>$(RESULTS)/fuzz.txt; \
	fi
check-fuzz: run-fuzz
	$(Q)tests/summary.sh $(RESULTS)/fuzz.txt

# The whole suite: packages first, then a parallel build, then the tiers in turn (each one
# runs even when an earlier one failed), then one summary line. The fuzz tier runs each
# libFuzzer target for FUZZ_CHECK_SECONDS (20 s; 7 targets ≈ 2.5 min after their build).
check:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) all
	$(Q)rm -f $(RESULTS)/unit.txt $(RESULTS)/integration.txt $(RESULTS)/fault.txt \
		$(RESULTS)/fuzz.txt $(RESULTS)/vm.txt
	$(Q)$(MAKE) --no-print-directory run-unit
	$(Q)$(MAKE) --no-print-directory run-integration
	$(Q)$(MAKE) --no-print-directory run-fault
	$(Q)$(MAKE) --no-print-directory run-fuzz
	$(Q)$(MAKE) --no-print-directory run-vm
	$(Q)tests/summary.sh $(RESULTS)/unit.txt $(RESULTS)/integration.txt $(RESULTS)/fault.txt \
		$(RESULTS)/fuzz.txt $(RESULTS)/vm.txt

deps:
	$(Q)tools/install-deps.sh

# clang-format over the files of .clang-format-files (a ratchet: the list only grows);
# format-candidates names the C files outside it that are already clean, to be added.
CLANG_FORMAT ?= clang-format
FORMAT_FILES = $(shell grep -v '^\#' .clang-format-files)
format-check:
	$(Q)$(CLANG_FORMAT) --dry-run -Werror $(FORMAT_FILES)
	$(Q)echo "format-check: $(words $(FORMAT_FILES)) files clean"
format-candidates:
	$(Q)for f in $(filter-out $(FORMAT_FILES) vmlinux.h,$(shell git ls-files '*.c' '*.h')); do \
		$(CLANG_FORMAT) --dry-run -Werror $$f >/dev/null 2>&1 && echo "$$f"; \
	done; true

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h.tmp
	mv vmlinux.h.tmp vmlinux.h

MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDDIR ?= /lib/systemd/system
install: $(PRODUCT_BINS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(SYSTEMDDIR)
	install -m 0755 $(filter-out %/drover-health-probe,$(PRODUCT_BINS)) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/libexec/drover
	install -m 0755 $(BUILD)/bin/drover-health-probe $(DESTDIR)$(PREFIX)/libexec/drover/
	install -m 0644 docs/man/drover.8 docs/man/drover-master.8 docs/man/drover-agent.8 \
		$(DESTDIR)$(MANDIR)/man8/
	install -m 0644 tools/completion/drover.bash $(DESTDIR)$(BASHCOMPDIR)/drover
	ln -sf drover $(DESTDIR)$(BASHCOMPDIR)/drover-master
	ln -sf drover $(DESTDIR)$(BASHCOMPDIR)/drover-agent
	for u in drover-master drover-agent; do \
		sed 's|/usr/local/bin|$(PREFIX)/bin|' docs/systemd/$$u.service \
			>$(DESTDIR)$(SYSTEMDDIR)/$$u.service; \
		chmod 0644 $(DESTDIR)$(SYSTEMDDIR)/$$u.service; \
	done

# Debian packages of the product (debian/): drover-master, drover-agent and drover, built by
# dpkg-buildpackage with the distribution's hardening flags in a copy of the tree (so the
# work tree gets none of debhelper's files), then checked by lintian (any error or warning
# fails). The .debs land in build-deb/: `apt install ./build-deb/drover*.deb`.
DEB_DIR ?= build-deb
deb:
	$(Q)tools/install-deps.sh packaging
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src/drover
	$(Q)git ls-files -co --exclude-standard -z | tar --null -T - -cf - | \
		tar -xf - -C $(DEB_DIR)/src/drover
	$(call msg,DEB,$(DEB_DIR)/src/drover)
	$(Q)cd $(DEB_DIR)/src/drover && GIT_REV=$(GIT_REV) dpkg-buildpackage -b -us -uc \
		-j$(NPROC) >../build.log 2>&1 || { tail -40 ../build.log; exit 1; }
	$(Q)mv $(DEB_DIR)/src/*.deb $(DEB_DIR)/src/*.changes $(DEB_DIR)/src/*.buildinfo $(DEB_DIR)/
	$(Q)rm -rf $(DEB_DIR)/src
	$(Q)ls $(DEB_DIR)/*.deb
	$(Q)lintian --fail-on error,warning --info $(DEB_DIR)/*.changes

# The README's first command: a single-node cluster and a demo story, end to end.
demo:
	$(Q)tools/demo.sh

# A small set of benchmarks (larger runs: docs/benchmarks.md).
bench: bins
	$(Q)tools/bench.sh $(BUILD)

# The scale charts of docs/benchmarks.md: run the sweep (minutes), then draw them.
plots: bins
	$(Q)tools/bench-sweep.sh $(BUILD) docs/data/scale.csv
	$(Q)$(MAKE) --no-print-directory plots-render

plots-render:
	$(Q)gnuplot -e "csv='docs/data/scale.csv'; out='docs/img'" tools/plots.gp

clean:
	rm -rf build build-asan build-fuzz build-deb

# ---------------------------------------------------------------- fuzzing
# libFuzzer targets (tests/fuzz/fuzz_*.c), each linked with the project's archives built
# for fuzzing (see the top), run for FUZZ_SECONDS each from the checked-in seed corpora
# (tests/fuzz/corpus/<target>/) plus what earlier runs found (build-fuzz/corpus-<target>/).
# Any crash, leak, UB or a unit slower than FUZZ_TIMEOUT seconds fails. `make check` runs
# each target for FUZZ_CHECK_SECONDS (20 s); `make fuzz` defaults to a minute each.
FUZZ_SECONDS ?= 60
FUZZ_TIMEOUT ?= 10
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(FUZZ_SRCS))
FUZZ_HARNESS := $(call obj,$(wildcard tests/fuzz/harness_*.c))
.PHONY: fuzz-build
fuzz-build: $(FUZZ_BINS)
build-fuzz/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_HARNESS) $(ARCHIVES)
	$(call msg,FUZZ-LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_HARNESS) $(ARCHIVES) $(LDLIBS)
$(call obj,$(FUZZ_SRCS)) $(FUZZ_HARNESS): | $(SKELS) $(VERSION_H)
-include $(patsubst %.o,%.d,$(call obj,$(FUZZ_SRCS)) $(FUZZ_HARNESS))

fuzz: $(FUZZ_BINS)
	$(Q)tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_TIMEOUT) $(FUZZ_BINS)
