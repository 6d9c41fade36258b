# palette: see README.md. Every target installs what it needs through the Go
# module proxy; nothing else has to be on the machine but Go (and a C
# compiler for the race detector, used when cgo is available).
GO      ?= go
BIN     := $(CURDIR)/bin
EVAL    ?= ../shared/eval/dev/labels.csv
BENCH   ?= ../shared/bench/images

.PHONY: all build run swatches test fuzz bench bench-im imagemagick eval generate clean image podman

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

# The main job on the embedded defaults: palette-worker with an in-process
# Kafka-protocol broker, the sample jobs of testdata/images, swatches into
# out/, health and metrics on 127.0.0.1:8080. Keeps running; Ctrl-C stops it.
run: build
	$(BIN)/palette-worker -dev -http 127.0.0.1:8080

# The same sample photos through palettecli, once: out/<photo>.png.
swatches: build
	$(BIN)/palettecli -manifest testdata/images/manifest.csv -o out
	@echo "swatches in out/; try: $(BIN)/palettecli explain -colors 'Red|Blue' testdata/images/myntra_14064.jpg"

# The race detector needs cgo (a C compiler); without one the tests run
# without it rather than not at all.
RACE := $(if $(filter 1,$(shell $(GO) env CGO_ENABLED)),-race,)

# apt_install PACKAGE,COMMAND,WHY installs Debian's PACKAGE when COMMAND is
# missing; apt-get runs through sudo only when not root and sudo exists.
define apt_install
@command -v $(2) >/dev/null 2>&1 || { \
	SUDO=; if [ "$$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi; \
	echo "installing $(1) (for $(3))"; \
	$$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y $(1); \
}
endef

# The S3 server the store tests run against (versitygw), installed into bin/.
include store/versitygw.mk
# Chromium for the browser test of the preview pages.
include preview/chromium.mk
# The container image (make image) and what builds and runs it: podman, runc.
include deploy/image.mk

# npm, for the check that the generated colour vocabulary is up to date
# (colormap/internal/vocab: go run ./gen -check fetches its pinned packages).
.PHONY: npm
npm:
	$(call apt_install,npm,npm,the vocabulary check)

test: bin/versitygw chromium npm podman
	gofmt -l . | (! grep .) || (echo "gofmt needed on the files above" && exit 1)
	$(GO) vet ./...
	$(GO) test $(RACE) -count=1 ./...

# A longer fuzzing pass over every entry point that takes untrusted bytes.
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s .
	$(GO) test -run '^$$' -fuzz '^FuzzProcess$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s .
	$(GO) test -run '^$$' -fuzz '^FuzzProcessDC$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s .
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./colormap
	$(GO) test -run '^$$' -fuzz '^FuzzResolve$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./colormap
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./internal/jpegdc
	$(GO) test -run '^$$' -fuzz '^FuzzEncode$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./render

# Benchmarks on the catalog-size photos in ../shared/bench, on one core,
# with the original ImageMagick pipeline on the same photos for the ratio.
bench: imagemagick
	PALETTE_BENCH_IMAGES=$(BENCH) $(GO) test -run '^$$' -bench . -benchmem -cpu 1 ./...

# The ImageMagick comparison alone.
bench-im: imagemagick
	PALETTE_BENCH_IMAGES=$(BENCH) $(GO) test -run '^$$' -bench 'ImageMagick|QuantizeQuality' -benchtime 3x -cpu 1 .

# ImageMagick from Debian's packages (the machine may ship a stand-in convert).
imagemagick:
	@convert -version 2>/dev/null | grep -q ImageMagick || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq imagemagick; }

eval: build
	$(BIN)/palettecli eval $(EVAL)

# Regenerate the open colour vocabulary (colormap/internal/vocab) from its
# pinned npm packages; make test checks that the committed table is current.
generate: npm
	cd colormap/internal/vocab && $(GO) generate

clean:
	rm -rf $(BIN) out
