# Shared settings for every Makefile in the tree.
#
# Every directory Makefile sets NVTCP_ROOT to the top of the tree (relative path) and includes
# this file, then one of nvtcp.lib.mk, nvtcp.app.mk, nvtcp.unittest.mk or nvtcp.subdirs.mk.

NVTCP_ROOT := $(abspath $(NVTCP_ROOT))
BUILD_DIR ?= $(NVTCP_ROOT)/build
LIB_DIR := $(BUILD_DIR)/lib
BIN_DIR := $(BUILD_DIR)/bin
OBJ_DIR := $(BUILD_DIR)/obj
UT_DIR := $(BUILD_DIR)/test

# Build options (see README.md): DEBUG=1, SAN=1, V=1.
DEBUG ?= 0
SAN ?= 0
V ?= 0

# A SAN build goes to its own tree so that switching between normal and SAN builds never mixes
# objects compiled with different instrumentation.
ifeq ($(SAN),1)
BUILD_DIR := $(NVTCP_ROOT)/build-san
LIB_DIR := $(BUILD_DIR)/lib
BIN_DIR := $(BUILD_DIR)/bin
OBJ_DIR := $(BUILD_DIR)/obj
UT_DIR := $(BUILD_DIR)/test
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

CC ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif
AR ?= ar
PKG_CONFIG ?= pkg-config

# External dependencies. DPDK is only used by lib/env, but its link flags are needed by
# anything that links lib/env.
DPDK_CFLAGS := $(shell $(PKG_CONFIG) --cflags libdpdk 2>/dev/null)
DPDK_LIBS := $(shell $(PKG_CONFIG) --libs libdpdk 2>/dev/null)
SYS_PKGS := libisal uuid numa json-c liburing openssl
SYS_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(SYS_PKGS) 2>/dev/null)
SYS_LIBS := $(shell $(PKG_CONFIG) --libs $(SYS_PKGS) 2>/dev/null)
# libnuma ships no .pc file on Debian 12.
ifeq ($(findstring -lnuma,$(SYS_LIBS)),)
SYS_LIBS := $(shell $(PKG_CONFIG) --libs libisal uuid json-c liburing openssl 2>/dev/null) -lnuma
SYS_CFLAGS := $(shell $(PKG_CONFIG) --cflags libisal uuid json-c liburing openssl 2>/dev/null)
endif
CUNIT_LIBS := $(shell $(PKG_CONFIG) --libs cunit 2>/dev/null)

WARN_CFLAGS := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wmissing-declarations -Wstrict-prototypes -Wformat=2 -Wformat-security -Wshadow=local \
	-Wpointer-arith -Wvla

COMMON_CFLAGS := -std=gnu11 -D_GNU_SOURCE -fPIC -pthread -fno-strict-aliasing -march=corei7 \
	-msse4.2 -I$(NVTCP_ROOT)/include $(WARN_CFLAGS) -MMD -MP

ifeq ($(DEBUG),1)
COMMON_CFLAGS += -O0 -g3 -DDEBUG
else
COMMON_CFLAGS += -O2 -g -DNDEBUG
endif

ifeq ($(SAN),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
COMMON_CFLAGS += $(SAN_FLAGS)
COMMON_LDFLAGS += $(SAN_FLAGS)
endif

COMMON_LDFLAGS += -pthread -Wl,-z,relro,-z,now -Wl,-z,noexecstack

# Link order of the component libraries: users before what they use. Only components that
# exist in the tree are linked, so the tree builds while a component is being added.
NVTCP_ALL_LIBS := $(foreach l,target mpath nvme auth fabrics tcp sock jsonrpc reactor env util,\
	$(if $(wildcard $(NVTCP_ROOT)/lib/$(l)/Makefile),$(l)))

nvtcp_lib_files = $(foreach l,$(1),$(LIB_DIR)/libnvtcp_$(l).a)
nvtcp_link_libs = -L$(LIB_DIR) -Wl,--start-group $(foreach l,$(1),-lnvtcp_$(l)) -Wl,--end-group \
	$(DPDK_LIBS) $(SYS_LIBS) -lm -ldl

.DEFAULT_GOAL := all
