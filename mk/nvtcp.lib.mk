# Builds one component library: build/lib/libnvtcp_$(LIBNAME).a from $(C_SRCS).
# Set LIBNAME, C_SRCS and optionally LOCAL_CFLAGS before including.

OBJS := $(patsubst %.c,$(OBJ_DIR)/lib/$(LIBNAME)/%.o,$(C_SRCS))
LIB := $(LIB_DIR)/libnvtcp_$(LIBNAME).a

all: $(LIB)

$(LIB): $(OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	$(if $(Q),@echo "  AR $(notdir $@)")
	$(Q)$(AR) rcs $@ $^

$(OBJ_DIR)/lib/$(LIBNAME)/%.o: %.c
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC lib/$(LIBNAME)/$<")
	$(Q)$(CC) $(COMMON_CFLAGS) $(LOCAL_CFLAGS) $(CFLAGS) -c $< -o $@

clean:
	rm -f $(OBJS) $(OBJS:.o=.d) $(LIB)

.PHONY: all clean

-include $(OBJS:.o=.d)
