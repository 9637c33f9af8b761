# mpc.mk: make rules for .mp programs.
#
# In your Makefile:
#
#     include $(PREFIX)/share/mpc/mpc.mk     # wherever mpc is installed
#     all: hello
#     hello: hello.mp
#
# gives `hello` from `hello.mp` (through `mpc build`), and `%.c` from
# `%.mp` (through `mpc compile`). Honoured: MPC, MPCFLAGS, CC, CFLAGS,
# LDFLAGS. To compile generated C yourself, add $(MPR_CFLAGS) to CFLAGS
# and $(MPR_LIBS) to the link.

MPC_MK_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
MPC_PREFIX := $(abspath $(MPC_MK_DIR)/../..)

MPC ?= $(MPC_PREFIX)/bin/mpc
MPCFLAGS ?=
MPR_CFLAGS = -I$(MPC_PREFIX)/include
MPR_LIBS = $(MPC_PREFIX)/lib/libmpr.a -lm

%.c: %.mp
	$(MPC) compile $(MPCFLAGS) $< -o $@

%: %.mp
	CC='$(CC)' CFLAGS='$(CFLAGS)' LDFLAGS='$(LDFLAGS)' $(MPC) build $(MPCFLAGS) $< -o $@
