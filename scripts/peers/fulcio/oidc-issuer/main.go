// Command oidc-issuer is a test-only stand-in for a CI's OpenID Connect identity provider (what
// GitHub Actions' token service is to a keyless signer): on a loopback port it serves the
// discovery document and the JWKS of an ephemeral ES256 key, mints one ID token for the
// identity given, so that a real Fulcio can check it, and hands it out as GitHub Actions' token
// service does (/actions-token). gate's keyless tests start it beside
// Fulcio; it is never part of the product. Standard library only.
//
//	oidc-issuer -addr 127.0.0.1:PORT -email ci@example.test -audience sigstore -token FILE
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"time"
)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func pad32(n *big.Int) []byte {
	out := make([]byte, 32)
	n.FillBytes(out)
	return out
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	email := flag.String("email", "ci@example.test", "the token's subject and email")
	audience := flag.String("audience", "sigstore", "the token's audience")
	tokenFile := flag.String("token", "token", "where to write the minted ID token")
	ttl := flag.Duration("ttl", 10*time.Minute, "the token's lifetime")
	requestToken := flag.String("request-token", "gate-test-request", "the bearer /actions-token wants")
	flag.Parse()

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	const kid = "gate-test"

	header, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT", "kid": kid})
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{
		"iss":            issuer,
		"sub":            *email,
		"aud":            *audience,
		"email":          *email,
		"email_verified": true,
		"iat":            now.Unix(),
		"nbf":            now.Unix(),
		"exp":            now.Add(*ttl).Unix(),
	})
	signing := b64(header) + "." + b64(claims)
	digest := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		log.Fatal(err)
	}
	token := signing + "." + b64(append(pad32(r), pad32(s)...))
	if err := os.WriteFile(*tokenFile, []byte(token), 0o600); err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                issuer,
			"jwks_uri":                              issuer + "/keys",
			"authorization_endpoint":                issuer + "/auth",
			"token_endpoint":                        issuer + "/token",
			"response_types_supported":              []string{"id_token"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"ES256"},
		})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
			"x": b64(pad32(key.PublicKey.X)), "y": b64(pad32(key.PublicKey.Y)),
		}}})
	})
	// GitHub Actions' token service as a job sees it (ACTIONS_ID_TOKEN_REQUEST_URL, with
	// ACTIONS_ID_TOKEN_REQUEST_TOKEN as the bearer): the token, for the sigstore audience only.
	mux.HandleFunc("/actions-token", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+*requestToken || r.URL.Query().Get("audience") != *audience {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"value": token})
	})
	// The listening address on stdout's first line: the test reads the issuer URL from it.
	os.Stdout.WriteString(issuer + "\n")
	log.Fatal(http.Serve(ln, mux))
}
