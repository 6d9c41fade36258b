# The container image localhost/palette:dev (deploy/Containerfile): a static
# palette-worker built here on the host (no base image can be pulled, so no
# build stage FROM a Go image), with /palettecli a symlink to it (run under
# that name it is palettecli: one binary of 30 MB instead of 30 + 14),
# FROM scratch with the host's CA certificates, a passwd entry for the
# non-root user 65532 and /tmp.
# It stays in podman's default storage, where `podman run` finds it.
GO            ?= go
IMAGE         ?= localhost/palette:dev
IMAGE_CONTEXT := $(CURDIR)/bin/image
IMAGE_SOURCE  ?= https://github.com/palette-dev/palette
# Labels and the layer timestamps come from git, so that the same commit
# gives the same image (podman build --timestamp).
IMAGE_VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
IMAGE_REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
IMAGE_EPOCH    ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
CA_CERTS       ?= /etc/ssl/certs/ca-certificates.crt

.PHONY: image podman
podman:
	$(call apt_install,podman,podman,make image)
	$(call apt_install,runc,runc,running the image in the tests of deploy/)
	$(call apt_install,ca-certificates,update-ca-certificates,the image's CA certificates)

image: podman
	@start=$$(date +%s); \
	rm -rf $(IMAGE_CONTEXT) && mkdir -p $(IMAGE_CONTEXT)/rootfs/etc/ssl/certs $(IMAGE_CONTEXT)/rootfs/tmp && \
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o $(IMAGE_CONTEXT)/rootfs/ ./cmd/palette-worker && \
	ln -s palette-worker $(IMAGE_CONTEXT)/rootfs/palettecli && \
	cp $(CA_CERTS) $(IMAGE_CONTEXT)/rootfs/etc/ssl/certs/ca-certificates.crt && \
	printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/tmp:/sbin/nologin\n' >$(IMAGE_CONTEXT)/rootfs/etc/passwd && \
	printf 'root:x:0:\nnonroot:x:65532:\n' >$(IMAGE_CONTEXT)/rootfs/etc/group && \
	chmod 0755 $(IMAGE_CONTEXT)/rootfs $(IMAGE_CONTEXT)/rootfs/etc $(IMAGE_CONTEXT)/rootfs/etc/ssl $(IMAGE_CONTEXT)/rootfs/etc/ssl/certs && \
	chmod 0644 $(IMAGE_CONTEXT)/rootfs/etc/passwd $(IMAGE_CONTEXT)/rootfs/etc/group $(IMAGE_CONTEXT)/rootfs/etc/ssl/certs/ca-certificates.crt && \
	chmod 1777 $(IMAGE_CONTEXT)/rootfs/tmp && \
	cp deploy/Containerfile $(IMAGE_CONTEXT)/Containerfile && \
	built=$$(date +%s) && \
	podman build --quiet --no-cache --timestamp $(IMAGE_EPOCH) \
		--build-arg VERSION=$(IMAGE_VERSION) --build-arg REVISION=$(IMAGE_REVISION) --build-arg SOURCE=$(IMAGE_SOURCE) \
		-t $(IMAGE) -f $(IMAGE_CONTEXT)/Containerfile $(IMAGE_CONTEXT) && \
	echo "$(IMAGE): $$(podman image inspect $(IMAGE) --format '{{.Size}}') bytes, version $(IMAGE_VERSION); go build $$((built-start)) s, podman build $$(($$(date +%s)-built)) s"
