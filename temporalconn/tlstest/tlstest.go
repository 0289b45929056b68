// Package tlstest makes certificates and an mTLS endpoint for tests: a
// CA, a server certificate for 127.0.0.1 and a server name, client
// certificates signed by that CA or by another, written as PEM files;
// and a TLS-terminating TCP proxy that requires a client certificate of
// the CA and forwards to a plaintext address (e.g. an embedded Temporal
// server). Failures are t.Fatal. Kept apart from temporalconn so
// production code never imports testing.
package tlstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// ServerName is the DNS name in the server certificate.
const ServerName = "temporal.tempest.test"

// PKI is a CA with a server and two client certificates, as files.
type PKI struct {
	// CA is the CA certificate (PEM).
	CA string
	// ServerCert, ServerKey: the server's pair, for 127.0.0.1 and
	// ServerName.
	ServerCert, ServerKey string
	// ClientCert, ClientKey: a client pair signed by CA.
	ClientCert, ClientKey string
	// StrangerCert, StrangerKey: a client pair signed by another CA.
	StrangerCert, StrangerKey string

	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	pool   *x509.CertPool
	server tls.Certificate
}

// New writes a PKI in a temporary directory of t.
func New(t testing.TB) *PKI {
	t.Helper()
	dir := t.TempDir()
	p := &PKI{}
	caCert, caKey := selfSigned(t, "tempest test CA")
	p.caCert, p.caKey = caCert, caKey
	p.pool = x509.NewCertPool()
	p.pool.AddCert(caCert)
	p.CA = writePEM(t, dir, "ca.pem", "CERTIFICATE", caCert.Raw)
	p.ServerCert, p.ServerKey = p.issue(t, dir, "server", caCert, caKey, true)
	p.ClientCert, p.ClientKey = p.issue(t, dir, "client", caCert, caKey, false)
	otherCA, otherKey := selfSigned(t, "another CA")
	p.StrangerCert, p.StrangerKey = p.issue(t, dir, "stranger", otherCA, otherKey, false)
	pair, err := tls.LoadX509KeyPair(p.ServerCert, p.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	p.server = pair
	return p
}

func key(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func template(cn string) *x509.Certificate {
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		panic(err)
	}
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
}

func selfSigned(t testing.TB, cn string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	k := key(t)
	tpl := template(cn)
	tpl.IsCA, tpl.BasicConstraintsValid = true, true
	tpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}

func (p *PKI) issue(t testing.TB, dir, name string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, server bool) (certPath, keyPath string) {
	t.Helper()
	k := key(t)
	tpl := template(name)
	tpl.KeyUsage = x509.KeyUsageDigitalSignature
	if server {
		tpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tpl.DNSNames = []string{ServerName}
		tpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	} else {
		tpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca, &k.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return writePEM(t, dir, name+".pem", "CERTIFICATE", der), writePEM(t, dir, name+"-key.pem", "PRIVATE KEY", kb)
}

func writePEM(t testing.TB, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Proxy listens on 127.0.0.1 with TLS, requires a client certificate
// signed by the PKI's CA, and forwards each connection to backend in
// plaintext. It returns its address; it stops at cleanup.
func (p *PKI) Proxy(t testing.TB, backend string) string {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{p.server},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    p.pool,
		NextProtos:   []string{"h2"},
		MinVersion:   tls.VersionTLS12,
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	track := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			track(in)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer in.Close()
				// The handshake, so a refused client is refused here.
				if err := in.(*tls.Conn).Handshake(); err != nil {
					return
				}
				out, err := net.Dial("tcp", backend)
				if err != nil {
					return
				}
				track(out)
				defer out.Close()
				done := make(chan struct{}, 2)
				go func() { _, _ = io.Copy(out, in); done <- struct{}{} }()
				go func() { _, _ = io.Copy(in, out); done <- struct{}{} }()
				<-done
			}()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String()
}
