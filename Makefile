# fairreg: one binary, built from server/ and importers/, with the schema,
# templates, XML Schema and OpenAPI document embedded so that an installed
# `fairreg` needs no data files beside it.
#
#   make run     install what is missing, start a local PostgreSQL in ./var, serve
#   make test    install what is missing, run every kind of test, throwaway cluster
#   make SAN=1   the same build under AddressSanitizer and UBSan (into build-san/)

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
PKGS    := libmicrohttpd libpq jansson libxml-2.0 libsodium libqrencode

ifeq ($(SAN),1)
BUILD   := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT     := -O1 -g
else
BUILD   := build
SANFLAGS :=
OPT     := -O2 -g
endif

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wno-format-nonliteral
CPPFLAGS += -D_GNU_SOURCE -Iserver -Iimporters -I$(BUILD)
CFLAGS  += -std=c11 $(OPT) $(WARN) $(SANFLAGS) -fPIE \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS += $(SANFLAGS) -pie
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

SERVER_SRC    := $(filter-out server/main.c,$(wildcard server/*.c server/db/*.c)) \
                 $(wildcard importers/*.c)
SERVER_OBJ    := $(SERVER_SRC:%.c=$(BUILD)/%.o) $(BUILD)/embedded.o
EMBEDDED      := $(sort $(wildcard schema/*.sql templates/*.mustache templates/*/*.mustache \
                   importers/*.xsd importers/profiles/*.xml importers/samples/*.xml \
                   server/openapi.json))
UNIT_SRC      := $(wildcard tests/unit/test_*.c)
UNIT_BIN      := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
CMOCKA_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null)

.PHONY: all run stop test lint bench bench-api bench-import fuzz install clean deps unit
.DELETE_ON_ERROR:

all: $(BUILD)/fairreg

$(BUILD)/fairreg: $(BUILD)/server/main.o $(BUILD)/libfairreg.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libfairreg.a: $(SERVER_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# The embedder is a build tool: built without sanitizers, run on the build host.
$(BUILD)/embed: build-aux/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -Wall -Wextra -Werror -o $@ $<

$(BUILD)/embedded.c: $(BUILD)/embed $(EMBEDDED) Makefile
	$(BUILD)/embed $(EMBEDDED) > $@

$(BUILD)/embedded.o: $(BUILD)/embedded.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-overlength-strings -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libfairreg.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CMOCKA_LIBS)

unit: $(UNIT_BIN)

deps:
	@build-aux/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@build-aux/run-local.sh start

stop:
	@build-aux/run-local.sh stop

test: deps
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory SAN=1 all unit
	@tests/run.sh

lint:
	@build-aux/lint.sh

bench: deps all
	@bench/run.sh

bench-api: deps all
	@bench/api.sh

# The importer alone: 100k and 1M licences against xmllint + COPY (bench/import.sh).
bench-import: deps all
	@bench/import.sh

fuzz: deps
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

install: all
	install -D -m 0755 $(BUILD)/fairreg $(DESTDIR)$(PREFIX)/bin/fairreg

clean:
	rm -rf build build-san

-include $(shell find build build-san -name '*.d' 2>/dev/null)
