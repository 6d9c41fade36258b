package store

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func newHTTP(t *testing.T, cfg HTTPConfig) *HTTP {
	t.Helper()
	h, err := NewHTTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHTTPLoopbackAllowPrivate(t *testing.T) {
	photo := bytes.Repeat([]byte{0xff, 0xd8}, 500)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/photo.jpg":
			w.Write(photo)
		case "/chunked":
			w.Header().Set("Content-Type", "image/jpeg")
			for range 20 {
				w.Write(photo) // no Content-Length: the cap is enforced while reading
				w.(http.Flusher).Flush()
			}
		case "/slow":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/broken":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/denied":
			http.Error(w, "no", http.StatusForbidden)
		case "/redirect":
			http.Redirect(w, r, "/photo.jpg", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	host := strings.TrimPrefix(srv.URL, "http://")
	h := newHTTP(t, HTTPConfig{AllowHosts: []string{"127.0.0.1"}, AllowPrivate: true, Timeout: 300 * time.Millisecond})
	ctx := context.Background()

	for _, p := range []string{"/photo.jpg", "/redirect"} {
		got, err := h.Get(ctx, srv.URL+p, 1000)
		if err != nil || !bytes.Equal(got, photo) {
			t.Errorf("Get %s = %d bytes, %v", p, len(got), err)
		}
	}
	for _, tc := range []struct {
		path      string
		max       int64
		want      error
		transient bool
	}{
		{"/photo.jpg", 999, ErrTooLarge, false},
		{"/chunked", 5000, ErrTooLarge, false},
		{"/missing", 1000, ErrNotFound, false},
		{"/broken", 1000, nil, true},
		{"/denied", 1000, nil, false},
		{"/slow", 1000, context.DeadlineExceeded, true},
	} {
		_, err := h.Get(ctx, srv.URL+tc.path, tc.max)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || IsTransient(err) != tc.transient {
			t.Errorf("Get %s: %v (transient %v), want %v (transient %v)", tc.path, err, IsTransient(err), tc.want, tc.transient)
		}
	}
	// The caller cancelling is not transient.
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := h.Get(cctx, srv.URL+"/slow", 1000); !errors.Is(err, context.Canceled) || IsTransient(err) {
		t.Errorf("cancelled Get: %v, want context.Canceled, not transient", err)
	}
	// A different host on the same server is still refused by the allow-list.
	if _, err := h.Get(ctx, "http://localhost:"+strings.Split(host, ":")[1]+"/photo.jpg", 1000); !errors.Is(err, ErrForbidden) {
		t.Errorf("host not allowed: %v, want ErrForbidden", err)
	}
}

// tlsHTTP returns an HTTP without AllowPrivate that trusts srv's certificate
// and may connect to srv itself (standing in for a public allowed host),
// but to no other private address.
func tlsHTTP(t *testing.T, srv *httptest.Server, cfg HTTPConfig) *HTTP {
	h := newHTTP(t, cfg)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	h.client.Transport.(*http.Transport).TLSClientConfig.RootCAs = pool
	srvAddr := netip.MustParseAddrPort(srv.Listener.Addr().String())
	h.exempt = func(ap netip.AddrPort) bool { return ap == srvAddr }
	return h
}

func TestHTTPRefusesPrivate(t *testing.T) {
	var internalHits atomic.Int32
	internal := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		internalHits.Add(1)
		w.Write([]byte("secret"))
	}))
	t.Cleanup(internal.Close)
	internalURL, _ := url.Parse(internal.URL)

	public := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte("photo"))
		case "/to-internal": // allowed host, internal address
			http.Redirect(w, r, internal.URL+"/", http.StatusFound)
		case "/to-internal-name": // allowed name that resolves to loopback
			http.Redirect(w, r, "https://localhost:"+internalURL.Port()+"/", http.StatusFound)
		case "/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/to-other":
			http.Redirect(w, r, "https://evil.example.net/", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		}
	}))
	t.Cleanup(public.Close)

	h := tlsHTTP(t, public, HTTPConfig{
		AllowHosts: []string{"127.0.0.1", "localhost", "169.254.169.254", "*.example.com"},
		Timeout:    5 * time.Second,
	})
	ctx := context.Background()
	if got, err := h.Get(ctx, public.URL+"/ok", 100); err != nil || string(got) != "photo" {
		t.Fatalf("Get allowed host = %q, %v", got, err)
	}
	for _, u := range []string{
		internal.URL + "/",                        // loopback literal
		"https://localhost:" + internalURL.Port(), // name resolving to loopback, refused at dial
		"https://[::1]:" + internalURL.Port(),
		"https://169.254.169.254/latest/meta-data/",
		"https://10.1.2.3/x",
		"https://[fe80::1]/x",
		"https://[::ffff:127.0.0.1]:" + internalURL.Port(),
		"http://" + public.Listener.Addr().String() + "/ok", // plain http
		"https://evil.example.net/",                         // not on the allow-list
		"https://example.com/",                              // wildcard is for subdomains only
		public.URL + "/to-internal",
		public.URL + "/to-internal-name",
		public.URL + "/to-metadata",
		public.URL + "/to-other",
		public.URL + "/loop",
	} {
		_, err := h.Get(ctx, u, 100)
		if !errors.Is(err, ErrForbidden) || IsTransient(err) {
			t.Errorf("Get %s: %v, want ErrForbidden", u, err)
		}
	}
	if n := internalHits.Load(); n != 0 {
		t.Errorf("internal server was reached %d times", n)
	}

	// Without the exemption the "public" server is just loopback.
	plain := newHTTP(t, HTTPConfig{AllowHosts: []string{"127.0.0.1"}})
	if _, err := plain.Get(ctx, public.URL+"/ok", 100); !errors.Is(err, ErrForbidden) {
		t.Errorf("loopback without AllowPrivate: %v, want ErrForbidden", err)
	}
}

func TestHTTPAllowHosts(t *testing.T) {
	h := newHTTP(t, HTTPConfig{AllowHosts: []string{"img.example.com", "*.cdn.example.org", "Upper.Example.COM."}})
	for host, want := range map[string]bool{
		"img.example.com": true, "IMG.example.com": true, "img.example.com.": true,
		"a.cdn.example.org": true, "a.b.cdn.example.org": true, "cdn.example.org": false,
		"xcdn.example.org": false, "upper.example.com": true, "example.com": false, "": false,
		"img.example.com.evil.net": false,
	} {
		if got := h.allowed(normHost(host)); got != want {
			t.Errorf("allowed(%q) = %v, want %v", host, got, want)
		}
	}
	for _, bad := range []string{"", "*", "*.", "a*.b", "host:80", "http://x"} {
		if _, err := NewHTTP(HTTPConfig{AllowHosts: []string{bad}}); err == nil {
			t.Errorf("NewHTTP accepted allowed host %q", bad)
		}
	}
}

func TestPrivate(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "127.9.9.9": true, "::1": true, "10.0.0.1": true, "172.16.0.1": true,
		"172.31.255.255": true, "192.168.1.1": true, "169.254.169.254": true, "fc00::1": true,
		"fd12::1": true, "fe80::1": true, "0.0.0.0": true, "::": true, "::ffff:10.0.0.1": true,
		"100.64.0.1": true, "8.8.8.8": false, "172.32.0.1": false, "2606:4700::1111": false,
	} {
		if got := private(netip.MustParseAddr(addr)); got != want {
			t.Errorf("private(%s) = %v, want %v", addr, got, want)
		}
	}
}

// TestHTTPAllowAddrs: an address in AllowAddrs may be connected to although
// loopback; other loopback addresses stay refused.
func TestHTTPAllowAddrs(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("photo")) }))
	t.Cleanup(srv.Close)
	get := func(allow []netip.Prefix, u string) error {
		h := newHTTP(t, HTTPConfig{AllowHosts: []string{"127.0.0.1", "localhost"}, AllowAddrs: allow, Timeout: 5 * time.Second})
		pool := x509.NewCertPool()
		pool.AddCert(srv.Certificate())
		h.client.Transport.(*http.Transport).TLSClientConfig.RootCAs = pool
		got, err := h.Get(context.Background(), u, 100)
		if err == nil && string(got) != "photo" {
			t.Errorf("Get %s = %q", u, got)
		}
		return err
	}
	if err := get([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, srv.URL+"/"); err != nil {
		t.Errorf("allowed address: %v", err)
	}
	port := netip.MustParseAddrPort(srv.Listener.Addr().String()).Port()
	for _, tc := range []struct {
		allow string
		url   string
	}{
		{"127.0.0.2/32", srv.URL + "/"},
		{"127.0.0.2/32", fmt.Sprintf("https://localhost:%d/", port)},
	} {
		if err := get([]netip.Prefix{netip.MustParsePrefix(tc.allow)}, tc.url); !errors.Is(err, ErrForbidden) {
			t.Errorf("AllowAddrs %s, Get %s: %v, want ErrForbidden", tc.allow, tc.url, err)
		}
	}
	if _, err := NewHTTP(HTTPConfig{AllowAddrs: []netip.Prefix{{}}}); err == nil {
		t.Error("an invalid prefix was accepted")
	}
}
