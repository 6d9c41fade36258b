# Headless Chromium for the browser test of package preview
# (TestBrowser, driven by chromedp): Debian's chromium package.
.PHONY: chromium
chromium:
	$(call apt_install,chromium,chromium,the browser test of preview)
