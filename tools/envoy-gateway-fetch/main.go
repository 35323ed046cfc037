// envoy-gateway-fetch pulls a Wasm module from an OCI registry with Envoy Gateway's own image
// fetcher (internal/wasm of the github.com/envoyproxy/gateway module, the code Envoy Gateway
// runs before it serves a module to its Envoys) and writes the extracted module to a file.
// meshwasm's tests use it beside tools/istio-fetch.
//
//	envoy-gateway-fetch [-sha256 HEX] <registry/repository:tag|@sha256:digest> <out.wasm>
//
// Go lets only code under github.com/envoyproxy/gateway import that module's internal
// packages, so this tool's module path sits under it; it is not part of Envoy Gateway.
// On success it prints one JSON line: {"digest": <image digest hex>, "sha256": <module hex>,
// "bytes": <size>}. With -sha256, the image digest must equal HEX, the check Envoy Gateway
// makes for an EnvoyExtensionPolicy's image sha256. Exit status 1 and a message otherwise.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	"github.com/envoyproxy/gateway/internal/logging"
	"github.com/envoyproxy/gateway/internal/wasm"
)

func main() {
	expected := flag.String("sha256", "", "expected image digest (hex), as in EnvoyExtensionPolicy code.image.sha256")
	insecure := flag.Bool("insecure", false, "skip TLS verification (a registry with a self-signed certificate)")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: envoy-gateway-fetch [-sha256 HEX] [-insecure] <image reference> <out.wasm>")
		os.Exit(2)
	}
	ref, out := flag.Arg(0), flag.Arg(1)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Envoy Gateway's log lines go to stderr: stdout carries only the result line.
	logger := logging.DefaultLogger(os.Stderr, egv1a1.LogLevelInfo)
	fetcher, err := wasm.NewImageFetcher(ctx, wasm.ImageFetcherOption{Insecure: *insecure}, logger)
	if err != nil {
		fail("create fetcher: %v", err)
	}
	fetch, digest, err := fetcher.PrepareFetch(ref)
	if err != nil {
		fail("prepare fetch of %s: %v", ref, err)
	}
	if *expected != "" && digest != *expected {
		fail("image %s has digest %s, which does not match sha256 %s", ref, digest, *expected)
	}
	module, err := fetch()
	if err != nil {
		fail("fetch of %s: %v", ref, err)
	}
	if err := os.WriteFile(out, module, 0o644); err != nil {
		fail("write %s: %v", out, err)
	}
	sum := sha256.Sum256(module)
	line, _ := json.Marshal(map[string]any{
		"digest": digest,
		"sha256": hex.EncodeToString(sum[:]),
		"bytes":  len(module),
	})
	fmt.Println(string(line))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "envoy-gateway-fetch: "+format+"\n", args...)
	os.Exit(1)
}
