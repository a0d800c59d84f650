# Builds one application: build/bin/$(APP) from $(C_SRCS), linked with the component
# libraries named in NVTCP_LIBS (default: all of them).

NVTCP_LIBS ?= $(NVTCP_ALL_LIBS)
APP_OBJ_DIR := $(OBJ_DIR)/app/$(APP)
OBJS := $(patsubst %.c,$(APP_OBJ_DIR)/%.o,$(C_SRCS))
APP_BIN := $(BIN_DIR)/$(APP)

all: $(APP_BIN)

$(APP_BIN): $(OBJS) $(call nvtcp_lib_files,$(NVTCP_LIBS))
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LINK $(notdir $@)")
	$(Q)$(CC) $(COMMON_LDFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(call nvtcp_link_libs,$(NVTCP_LIBS)) $(LOCAL_LIBS)

$(APP_OBJ_DIR)/%.o: %.c
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC $(APP)/$<")
	$(Q)$(CC) $(COMMON_CFLAGS) $(LOCAL_CFLAGS) $(CFLAGS) -c $< -o $@

# The component libraries are built by their own Makefiles; this rule lets an app directory
# be built on its own ("make -C app/perf").
# From the top-level Makefile the libraries are already built (and must not be rebuilt by
# several directories at once); on its own, a directory builds what it links.
ifneq ($(NVTCP_FROM_TOP),1)
$(LIB_DIR)/libnvtcp_%.a: FORCE
	$(Q)$(MAKE) -s -C $(NVTCP_ROOT)/lib/$* all
endif

clean:
	rm -f $(OBJS) $(OBJS:.o=.d) $(APP_BIN)

FORCE:
.PHONY: all clean FORCE

-include $(OBJS:.o=.d)
