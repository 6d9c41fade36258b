# The S3 server the store tests run against (github.com/versity/versitygw,
# Apache-2.0; checks SigV4 signatures). About 75 s to build on a cold cache.
# store tests find it at ../bin/versitygw, or at $PALETTE_VERSITYGW.
GO ?= go
VERSITYGW_VERSION ?= v1.8.0

bin/versitygw:
	GOBIN=$(CURDIR)/bin $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)
