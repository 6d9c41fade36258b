package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// HTTPConfig configures an HTTP reader. The zero value refuses every host.
type HTTPConfig struct {
	// AllowHosts lists the hosts that may be fetched from, including on
	// every redirect hop: an exact name ("images.example.com", or an IP
	// literal) or a wildcard "*.example.com", which matches any subdomain
	// but not example.com itself. Case-insensitive; ports are not matched.
	AllowHosts []string
	// AllowPrivate permits loopback, private, link-local (including the
	// 169.254.169.254 metadata address), unique-local and unspecified
	// addresses, and plain http. For tests and trusted networks only.
	AllowPrivate bool
	// AllowAddrs are addresses that may be connected to although private,
	// loopback or link-local: an image server on an internal network.
	// Every other private address stays refused, after redirects too, and
	// the host still has to be on AllowHosts.
	AllowAddrs []netip.Prefix
	// Timeout bounds each Get, redirects and body included; 0 means 10s.
	Timeout time.Duration
	// MaxRedirects bounds the redirects followed; 0 means 3, negative
	// means none.
	MaxRedirects int
}

// Validate reports whether the configuration can be used.
func (c HTTPConfig) Validate() error {
	for _, h := range c.AllowHosts {
		rest := strings.TrimPrefix(h, "*.")
		if rest == "" || strings.ContainsAny(rest, "*/:@ ") {
			return fmt.Errorf("store: allowed host %q: want a host name or *.domain", h)
		}
	}
	for _, p := range c.AllowAddrs {
		if !p.IsValid() {
			return fmt.Errorf("store: allowed address prefix %v is not valid", p)
		}
	}
	if c.Timeout < 0 {
		return fmt.Errorf("store: http Timeout %v: must be >= 0", c.Timeout)
	}
	return nil
}

// HTTP reads photos from allow-listed https URLs. It checks the host of the
// URL and of every redirect against AllowHosts, and the address of every
// connection, after DNS resolution, against the private ranges, so DNS
// rebinding cannot reach internal services. Environment proxies are not
// used. HTTP is safe for concurrent use.
type HTTP struct {
	allow        []string
	allowPrivate bool
	allowAddrs   []netip.Prefix
	timeout      time.Duration
	client       *http.Client
	// exempt, for tests only, lets a dial to the given addresses through
	// the private-address check.
	exempt func(netip.AddrPort) bool
}

// NewHTTP returns an HTTP reader.
func NewHTTP(cfg HTTPConfig) (*HTTP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h := &HTTP{allowPrivate: cfg.AllowPrivate, allowAddrs: cfg.AllowAddrs, timeout: cfg.Timeout}
	for _, a := range cfg.AllowHosts {
		h.allow = append(h.allow, normHost(a))
	}
	if h.timeout == 0 {
		h.timeout = 10 * time.Second
	}
	maxRedirects := cfg.MaxRedirects
	if maxRedirects == 0 {
		maxRedirects = 3
	}
	dialer := &net.Dialer{Timeout: h.timeout, Control: h.control}
	transport := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    h.timeout,
		ResponseHeaderTimeout:  h.timeout,
		MaxResponseHeaderBytes: 64 << 10,
		MaxIdleConns:           16,
		IdleConnTimeout:        90 * time.Second,
	}
	h.client = &http.Client{
		Transport: transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("%w: more than %d redirects", ErrForbidden, max(maxRedirects, 0))
			}
			return h.checkURL(req.URL)
		},
	}
	return h, nil
}

func normHost(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

// checkURL refuses schemes other than https (http too with AllowPrivate),
// hosts not on the allow-list, and private IP literals.
func (h *HTTP) checkURL(u *url.URL) error {
	switch {
	case u.Scheme == "https", u.Scheme == "http" && h.allowPrivate:
	default:
		return fmt.Errorf("%w: scheme %q", ErrForbidden, u.Scheme)
	}
	host := normHost(u.Hostname())
	if !h.allowed(host) {
		return fmt.Errorf("%w: host %q not allowed", ErrForbidden, host)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		port, _ := strconv.ParseUint(u.Port(), 10, 16)
		if port == 0 {
			port = map[string]uint64{"http": 80, "https": 443}[u.Scheme]
		}
		return h.checkAddr(netip.AddrPortFrom(ip, uint16(port)))
	}
	return nil
}

// checkAddr refuses private addresses unless AllowPrivate or AllowAddrs
// allows them.
func (h *HTTP) checkAddr(ap netip.AddrPort) error {
	if h.allowPrivate || (h.exempt != nil && h.exempt(ap)) || !private(ap.Addr()) {
		return nil
	}
	for _, p := range h.allowAddrs {
		if p.Contains(ap.Addr().Unmap()) {
			return nil
		}
	}
	return fmt.Errorf("%w: address %s", ErrForbidden, ap.Addr())
}

func (h *HTTP) allowed(host string) bool {
	if host == "" {
		return false
	}
	for _, a := range h.allow {
		if a == host {
			return true
		}
		if suffix, ok := strings.CutPrefix(a, "*"); ok && strings.HasSuffix(host, suffix) && len(host) > len(suffix) {
			return true
		}
	}
	return false
}

// control runs on every connection after DNS resolution, before connecting.
func (h *HTTP) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: address %q", ErrForbidden, address)
	}
	return h.checkAddr(ap)
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// private reports whether ip is loopback (127/8, ::1), private (10/8,
// 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16, fe80::/10),
// carrier-grade NAT (100.64/10), unspecified or multicast.
func private(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() ||
		ip.IsUnspecified() || cgnat.Contains(ip)
}

// StatusError is a non-200 HTTP response other than 404 and 410 (which are
// ErrNotFound). IsTransient is true for 5xx, 408 and 429.
type StatusError struct{ Code int }

func (e *StatusError) Error() string { return fmt.Sprintf("store: http status %d", e.Code) }

// HTTPStatusCode returns the response status.
func (e *StatusError) HTTPStatusCode() int { return e.Code }

// Get fetches rawURL with GET. It fails with ErrBadRef for an unparsable
// URL, ErrForbidden for a refused scheme, host or address, ErrNotFound for
// 404 and 410, ErrTooLarge past maxBytes (<= 0 means DefaultMaxBytes), and a
// transient error wrapping context.DeadlineExceeded after Timeout.
func (h *HTTP) Get(ctx context.Context, rawURL string, maxBytes int64) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%w: url %q", ErrBadRef, rawURL)
	}
	if err := h.checkURL(u); err != nil {
		return nil, err
	}
	maxBytes = limit(maxBytes)
	reqCtx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	data, err := h.get(reqCtx, u, maxBytes)
	if err == nil {
		return data, nil
	}
	if errors.Is(err, ErrForbidden) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrTooLarge) {
		return nil, err
	}
	// Make the cause explicit: the caller's cancellation, or our timeout.
	if cerr := ctx.Err(); cerr != nil {
		return nil, fmt.Errorf("store: get %s: %w", u.Redacted(), cerr)
	}
	if reqCtx.Err() != nil {
		return nil, fmt.Errorf("store: get %s: timeout after %v: %w", u.Redacted(), h.timeout, context.DeadlineExceeded)
	}
	return nil, fmt.Errorf("store: get %s: %w", u.Redacted(), err)
}

func (h *HTTP) get(ctx context.Context, u *url.URL, maxBytes int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRef, err)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusGone:
		return nil, fmt.Errorf("%w: %s", ErrNotFound, u.Redacted())
	default:
		return nil, &StatusError{Code: resp.StatusCode}
	}
	if resp.ContentLength > maxBytes {
		return nil, fmt.Errorf("%w: %s is %d bytes, limit %d", ErrTooLarge, u.Redacted(), resp.ContentLength, maxBytes)
	}
	data, err := readLimited(resp.Body, maxBytes)
	if errors.Is(err, ErrTooLarge) {
		return nil, fmt.Errorf("%w: %s exceeds %d bytes", ErrTooLarge, u.Redacted(), maxBytes)
	}
	return data, err
}
