# nvtcp top-level Makefile. See README.md for the targets and options.

NVTCP_ROOT := .
include mk/nvtcp.common.mk

PREFIX ?= /usr/local
DESTDIR ?=
VERSION := $(shell sed -n 's/^#define NVTCP_VERSION_STRING "\(.*\)"/\1/p' include/nvtcp/version.h)

SHARED_LIB := $(LIB_DIR)/libnvtcp.so
PC_FILE := $(LIB_DIR)/pkgconfig/nvtcp.pc

all: libs apps unittests shared

deps:
	$(Q)scripts/pkgdep.sh --if-missing

libs:
	$(Q)$(MAKE) -C lib all

apps: libs
	$(Q)$(MAKE) -C app all NVTCP_FROM_TOP=1

unittests: libs
	$(Q)$(MAKE) -C test all NVTCP_FROM_TOP=1

shared: $(SHARED_LIB) $(PC_FILE)

include mk/nvtcp.shared.mk

# "make test" sets the machine up (packages, hugepages), builds, and runs every test with a
# summary; TESTS=unit|functional|interop|... narrows it (see test/run_tests.sh).
test: deps
	$(Q)$(MAKE) all
	$(Q)scripts/setup.sh || true
	$(Q)BUILD_DIR=$(BUILD_DIR) test/run_tests.sh $(TESTS)

# "make fuzz": every libFuzzer harness of test/fuzz for FUZZ_SECONDS (default 60) each, built
# with clang and the sanitizers into build-fuzz/; fails on any finding (test/fuzz/Makefile).
FUZZ_SECONDS ?= 60
fuzz:
	$(Q)$(MAKE) -C test/fuzz run FUZZ_SECONDS=$(FUZZ_SECONDS)

# "make test-hardening": builds what the hardening section needs (the normal build for the
# valgrind runs, the SAN=1 build, the fuzz harnesses) and runs it (test/hardening/*.sh:
# sanitizers, fuzzing, valgrind). .ci/run calls it after "make test".
test-hardening: deps
	$(Q)$(MAKE) all
	$(Q)$(MAKE) all SAN=1
	$(Q)$(MAKE) -C test/fuzz all
	$(Q)BUILD_DIR=$(BUILD_DIR) FUZZ_SECONDS=$(FUZZ_SECONDS) test/run_tests.sh hardening

demo: deps
	$(Q)$(MAKE) all
	$(Q)scripts/setup.sh || true
	$(Q)BUILD_DIR=$(BUILD_DIR) scripts/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/nvtcp $(DESTDIR)$(PREFIX)/bin
	install -m 0644 $(call nvtcp_lib_files,$(NVTCP_ALL_LIBS)) $(DESTDIR)$(PREFIX)/lib/
	install -m 0755 $(SHARED_LIB).$(VERSION) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libnvtcp.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libnvtcp.so.$(SONAME_MAJOR)
	ln -sf libnvtcp.so.$(SONAME_MAJOR) $(DESTDIR)$(PREFIX)/lib/libnvtcp.so
	install -m 0644 include/nvtcp/*.h $(DESTDIR)$(PREFIX)/include/nvtcp/
	$(call nvtcp_pc_gen,$(PREFIX)/lib,$(PREFIX)/include) > $(DESTDIR)$(PREFIX)/lib/pkgconfig/nvtcp.pc
	$(if $(wildcard $(BIN_DIR)/nvtcp_*),install -m 0755 $(wildcard $(BIN_DIR)/nvtcp_*) $(DESTDIR)$(PREFIX)/bin/)
	install -m 0755 scripts/nvtcp-rpc $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf build build-san build-fuzz

.PHONY: all deps libs apps unittests shared test demo install clean fuzz test-hardening
