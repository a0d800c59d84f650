# Builds the CUnit unit tests of one directory: each file in UT_SRCS (foo_ut.c) becomes the
# binary build/test/<dir>/foo_ut. UT_COMMON_SRCS are linked into every test of the directory
# (test helpers such as the fake socket); NVTCP_LIBS names the component libraries to link.
#
# A test may #include the .c file it tests to reach its static functions; the archive member of
# that file is then not pulled in, because the test object already defines its symbols.

NVTCP_LIBS ?= $(NVTCP_ALL_LIBS)
UT_REL := $(patsubst $(NVTCP_ROOT)/%,%,$(CURDIR))
UT_OBJ_DIR := $(OBJ_DIR)/$(UT_REL)
UT_BIN_DIR := $(BUILD_DIR)/$(UT_REL)
UT_BINS := $(patsubst %.c,$(UT_BIN_DIR)/%,$(UT_SRCS))
UT_COMMON_OBJS := $(patsubst %.c,$(UT_OBJ_DIR)/common/%.o,$(notdir $(UT_COMMON_SRCS)))

all: $(UT_BINS)

$(UT_BIN_DIR)/%: $(UT_OBJ_DIR)/%.o $(UT_COMMON_OBJS) $(call nvtcp_lib_files,$(NVTCP_LIBS))
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LINK $(UT_REL)/$(notdir $@)")
	$(Q)$(CC) $(COMMON_LDFLAGS) $(LDFLAGS) -o $@ $< $(UT_COMMON_OBJS) \
		$(call nvtcp_link_libs,$(NVTCP_LIBS)) $(CUNIT_LIBS) $(LOCAL_LIBS)

$(UT_OBJ_DIR)/%.o: %.c
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC $(UT_REL)/$<")
	$(Q)$(CC) $(COMMON_CFLAGS) -I$(NVTCP_ROOT)/lib -I$(NVTCP_ROOT)/test/common \
		$(LOCAL_CFLAGS) $(CFLAGS) -c $< -o $@

$(UT_OBJ_DIR)/common/%.o: $(NVTCP_ROOT)/test/common/%.c
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC test/common/$(notdir $<)")
	$(Q)$(CC) $(COMMON_CFLAGS) -I$(NVTCP_ROOT)/lib -I$(NVTCP_ROOT)/test/common \
		$(LOCAL_CFLAGS) $(CFLAGS) -c $< -o $@

# From the top-level Makefile the libraries are already built (and must not be rebuilt by
# several directories at once); on its own, a directory builds what it links.
ifneq ($(NVTCP_FROM_TOP),1)
$(LIB_DIR)/libnvtcp_%.a: FORCE
	$(Q)$(MAKE) -s -C $(NVTCP_ROOT)/lib/$* all
endif

# Prints the test binaries of this directory, for the test runner.
list:
	@for t in $(UT_BINS); do echo $$t; done

clean:
	rm -rf $(UT_OBJ_DIR) $(UT_BINS)

FORCE:
.PHONY: all clean list FORCE
.SECONDARY:

-include $(UT_OBJ_DIR)/*.d $(UT_OBJ_DIR)/common/*.d
