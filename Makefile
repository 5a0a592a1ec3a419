# Conveniences for C users; the logic lives in scripts/.
PREFIX ?= /usr/local

.PHONY: all install demo test
all:
	cargo build --release
install:
	scripts/install-c "$(PREFIX)"
demo:
	scripts/demo
test:
	scripts/test
