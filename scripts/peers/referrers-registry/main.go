// Command referrers-registry serves go-containerregistry's registry (pkg/registry) with its OCI 1.1
// referrers API enabled, on a loopback port, for gate's interop tests. The module proxy this
// project may use does not serve zot (zotregistry.dev) and distribution v3 has no referrers API,
// so this is the registry implementation with the referrers API that can be built here; the
// registry logic is go-containerregistry's, this file only starts it.
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	// The bound address on stdout's first line, so a caller may ask for port 0.
	os.Stdout.WriteString(listener.Addr().String() + "\n")
	s := &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		Handler: registry.New(
			registry.WithReferrersSupport(true),
			registry.Logger(log.New(os.Stderr, "", log.LstdFlags)),
		),
	}
	log.Fatal(s.Serve(listener))
}
