package preview

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/palette-dev/palette/store"
)

// The hostile-URL test runs a real store.HTTP against real HTTPS servers.
// Their certificate is made here and trusted through SSL_CERT_FILE, which
// crypto/x509 reads once, on the first verification: so TestMain sets it
// before any test runs.
var testCert tls.Certificate

// firstHop is the loopback address the redirecting server of
// TestHostileURLs listens on, explicitly allowed (store.HTTPConfig.AllowAddrs)
// as an internal image server would be; every other private address stays
// refused.
var firstHop = netip.MustParseAddr("127.0.0.2")

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "preview-certs")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := makeCert(dir); err != nil {
		fmt.Fprintln(os.Stderr, "test certificate:", err)
		os.Exit(1)
	}
	os.Setenv("SSL_CERT_FILE", filepath.Join(dir, "ca.pem"))
	os.Setenv("SSL_CERT_DIR", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// makeCert makes a self-signed certificate for localhost, 127.0.0.1 and
// firstHop, and writes it as the only trusted root.
func makeCert(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "palette preview test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	tmpl.IPAddresses = append(tmpl.IPAddresses, firstHop.AsSlice())
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	testCert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return os.WriteFile(filepath.Join(dir, "ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// tlsServer starts an HTTPS server with the test certificate on addr.
func tlsServer(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{testCert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// TestHostileURLs: with Fetch built from a real store.HTTP and an
// allow-list that names them, references to loopback, to the link-local
// metadata address, and redirects to loopback are refused with a clear
// 403 (and nothing reaches the loopback server); references the router
// cannot serve are 400.
func TestHostileURLs(t *testing.T) {
	photo := readPhoto(t, testPhoto)
	var loopHits atomic.Int32
	loop := tlsServer(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		loopHits.Add(1)
		w.Write(photo)
	}))
	loopPort := loop.Listener.Addr().(*net.TCPAddr).Port

	allow := []string{"127.0.0.1", "localhost", "169.254.169.254", "metadata.google.internal"}
	pub := tlsServer(t, net.JoinHostPort(firstHop.String(), "0"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/photo.jpg":
			w.Write(photo)
		case "/to-loopback":
			http.Redirect(w, r, fmt.Sprintf("https://127.0.0.1:%d/photo.jpg", loopPort), http.StatusFound)
		case "/to-localhost":
			http.Redirect(w, r, fmt.Sprintf("https://localhost:%d/photo.jpg", loopPort), http.StatusMovedPermanently)
		case "/to-metadata":
			http.Redirect(w, r, "https://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/to-elsewhere":
			http.Redirect(w, r, "https://not-allowed.example/photo.jpg", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	allow = append(allow, firstHop.String())
	h, err := store.NewHTTP(store.HTTPConfig{AllowHosts: allow, Timeout: 5 * time.Second,
		AllowAddrs: []netip.Prefix{netip.PrefixFrom(firstHop, 32)}})
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, Config{Fetch: (&store.Router{HTTP: h}).Get})

	refuse := func(t *testing.T, ref string, status int, code string) {
		t.Helper()
		wantError(t, postJSON(t, s, map[string]any{"image": ref, "colors": []string{"Red", "Blue"}}), status, code)
		wantError(t, get(s, "/v1/preview?colors=Red&image="+url.QueryEscape(ref)), status, code)
	}
	loopURL := fmt.Sprintf("https://127.0.0.1:%d/photo.jpg", loopPort)
	for _, tc := range []struct {
		name, ref string
		status    int
		code      string
	}{
		{"loopback", loopURL, 403, "forbidden_address"},
		{"loopback by name", fmt.Sprintf("https://localhost:%d/photo.jpg", loopPort), 403, "forbidden_address"},
		{"loopback, plain http", fmt.Sprintf("http://127.0.0.1:%d/photo.jpg", loopPort), 403, "forbidden_address"},
		{"metadata address", "https://169.254.169.254/latest/meta-data/iam/security-credentials/", 403, "forbidden_address"},
		{"metadata, plain http", "http://169.254.169.254/latest/meta-data/", 403, "forbidden_address"},
		{"host not allowed", "https://evil.example/photo.jpg", 403, "forbidden_address"},
		{"userinfo trick", fmt.Sprintf("https://images.example@127.0.0.1:%d/photo.jpg", loopPort), 403, "forbidden_address"},
		{"file", "file:///etc/passwd", 400, "bad_reference"},
		{"s3 without a store", "s3://bucket/key.jpg", 400, "bad_reference"},
		{"other scheme", "gopher://127.0.0.1:70/", 400, "bad_reference"},
	} {
		t.Run(tc.name, func(t *testing.T) { refuse(t, tc.ref, tc.status, tc.code) })
	}

	t.Run("redirects", func(t *testing.T) {
		base := "https://" + pub.Listener.Addr().String()
		// The first hop works: the refusals below are the guard's.
		if rec := postJSON(t, s, map[string]any{"image": base + "/photo.jpg", "colors": []string{"Red", "Blue"}}); rec.Code != 200 {
			t.Fatalf("allowed host: %d %s", rec.Code, rec.Body)
		}
		refuse(t, base+"/to-loopback", 403, "forbidden_address")
		refuse(t, base+"/to-localhost", 403, "forbidden_address")
		refuse(t, base+"/to-metadata", 403, "forbidden_address")
		refuse(t, base+"/to-elsewhere", 403, "forbidden_address")
	})
	if n := loopHits.Load(); n != 0 {
		t.Errorf("the loopback server got %d requests", n)
	}
}
