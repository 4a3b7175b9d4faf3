// authn.go: authenticate client certificates exactly like kube-apiserver's
// x509 request authenticator (k8s.io/apiserver/pkg/authentication/request/x509)
// configured with --client-ca-file.
//
// Usage: go run authn.go --ca BUNDLE.pem [--at RFC3339] CERT.pem...
// (stdlib only, no go.mod needed). Note that `go run` reports every non-zero
// exit as 1; build it (go build -o DIR/authn authn.go) to see exit code 2.
//
// For each CERT.pem the first CERTIFICATE block is the client (leaf) cert;
// any further blocks act as the intermediates a TLS client would send
// (kube uses PeerCertificates[1:]), so a single-cert file verifies with an
// empty intermediate pool. The leaf is verified with crypto/x509 against the
// bundle as roots, requiring ExtKeyUsageClientAuth, at --at (default: now).
// On success user = Subject.CommonName (empty CN does not authenticate),
// groups = Subject.Organization in order, and the credential id is
// X509SHA256=<hex sha256 of the leaf DER>, as CommonNameUserConversion does.
//
// Prints one JSON object per cert on stdout. Exit 0 if every cert
// authenticates, 1 if any fails, 2 on usage errors or unreadable files.
package main

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"
)

type success struct {
	File         string   `json:"file"`
	OK           bool     `json:"ok"`
	User         string   `json:"user"`
	Groups       []string `json:"groups"`
	CredentialID string   `json:"credential_id"`
}

type failure struct {
	File  string `json:"file"`
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

func usage(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "authn: "+format+"\n", args...)
	os.Exit(2)
}

// parseCerts mirrors client-go's cert.ParseCertsPEM: only CERTIFICATE blocks
// count, any parse error is fatal, and at least one certificate is required.
func parseCerts(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" || len(block.Headers) != 0 {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM CERTIFICATE blocks found")
	}
	return certs, nil
}

func authenticate(data []byte, roots *x509.CertPool, at time.Time) (*success, error) {
	certs, err := parseCerts(data)
	if err != nil {
		return nil, err
	}
	intermediates := x509.NewCertPool()
	for _, c := range certs[1:] {
		intermediates.AddCert(c)
	}
	leaf := certs[0]
	if _, err := leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: intermediates,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		CurrentTime:   at,
	}); err != nil {
		return nil, err
	}
	if leaf.Subject.CommonName == "" {
		return nil, errors.New("empty common name")
	}
	groups := leaf.Subject.Organization
	if groups == nil {
		groups = []string{}
	}
	fp := sha256.Sum256(leaf.Raw)
	return &success{
		OK:           true,
		User:         leaf.Subject.CommonName,
		Groups:       groups,
		CredentialID: "X509SHA256=" + hex.EncodeToString(fp[:]),
	}, nil
}

func main() {
	caFile := flag.String("ca", "", "CA bundle (PEM, one or more CERTIFICATE blocks)")
	atFlag := flag.String("at", "", "verification time, RFC 3339 (default: now)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: authn --ca BUNDLE.pem [--at RFC3339] CERT.pem...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *caFile == "" || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	at := time.Now()
	if *atFlag != "" {
		t, err := time.Parse(time.RFC3339, *atFlag)
		if err != nil {
			usage("bad --at: %v", err)
		}
		at = t
	}
	caPEM, err := os.ReadFile(*caFile)
	if err != nil {
		usage("%v", err)
	}
	caCerts, err := parseCerts(caPEM)
	if err != nil {
		usage("CA bundle %s: %v", *caFile, err)
	}
	roots := x509.NewCertPool()
	for _, c := range caCerts {
		roots.AddCert(c)
	}

	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	exit := 0
	for _, file := range flag.Args() {
		data, err := os.ReadFile(file)
		if err != nil {
			usage("%v", err)
		}
		var out interface{}
		if res, err := authenticate(data, roots, at); err != nil {
			out, exit = failure{File: file, Error: err.Error()}, 1
		} else {
			res.File = file
			out = res
		}
		if err := enc.Encode(out); err != nil {
			usage("writing output: %v", err)
		}
	}
	os.Exit(exit)
}
