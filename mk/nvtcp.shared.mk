# The combined shared library libnvtcp.so and its pkg-config file. Only nvtcp_* symbols are
# exported (mk/libnvtcp.map), so the static internals stay private.

SONAME_MAJOR := 0
SHARED_DEPS := $(call nvtcp_lib_files,$(NVTCP_ALL_LIBS))

# The archives are made by "make libs" (a sub-make); this rule only orders them after it.
$(SHARED_DEPS): libs ;

$(SHARED_LIB): $(SHARED_LIB).$(VERSION)
	$(Q)ln -sf libnvtcp.so.$(VERSION) $@

$(SHARED_LIB).$(VERSION): $(SHARED_DEPS) mk/libnvtcp.map
	$(if $(Q),@echo "  LINK libnvtcp.so")
	$(Q)$(CC) -shared $(COMMON_LDFLAGS) -Wl,-soname,libnvtcp.so.$(SONAME_MAJOR) \
		-Wl,--version-script=mk/libnvtcp.map -o $@ \
		-Wl,--whole-archive $(SHARED_DEPS) -Wl,--no-whole-archive $(DPDK_LIBS) $(SYS_LIBS) -lm -ldl

# nvtcp_pc_gen(libdir, includedir): the pkg-config file for an installed or an in-tree build.
nvtcp_pc_gen = sed -e 's|@VERSION@|$(VERSION)|' -e 's|@LIBDIR@|$(1)|' -e 's|@INCLUDEDIR@|$(2)|' \
	-e 's|@PRIVATE_LIBS@|$(DPDK_LIBS) $(SYS_LIBS)|' mk/nvtcp.pc.in

$(PC_FILE): mk/nvtcp.pc.in
	@mkdir -p $(@D)
	$(Q)$(call nvtcp_pc_gen,$(LIB_DIR),$(NVTCP_ROOT)/include) > $@
