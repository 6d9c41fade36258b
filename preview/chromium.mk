# Headless Chromium for the browser test of package preview
# (TestBrowser, driven by chromedp). Debian's chromium package; apt-get
# runs through sudo only when not root and sudo exists.
.PHONY: chromium
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=; if [ "$$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi; \
		echo "installing chromium (for the browser test of preview)"; \
		$$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y chromium; \
	}
