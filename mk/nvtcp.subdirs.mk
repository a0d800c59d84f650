# Recurses into DIRS (in order; a directory may name its prerequisites with DEPS_<dir>).

all: $(DIRS)
$(DIRS):
	$(Q)$(MAKE) -C $@ $(MAKECMDGOALS_SUB)

MAKECMDGOALS_SUB = $(if $(filter clean,$(MAKECMDGOALS)),clean,all)

clean: $(DIRS)

.PHONY: all clean $(DIRS)
