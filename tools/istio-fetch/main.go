// istio-fetch pulls a Wasm module from an OCI registry with Istio's own image fetcher (the
// pkg/wasm package of the istio.io/istio module, the code istio-agent runs in every sidecar), and
// writes the extracted module to a file. meshwasm's tests use it to prove that what
// `meshwasm package` and `meshwasm push` produce is what Istio accepts.
//
//	istio-fetch [-sha256 HEX] <registry/repository:tag|@sha256:digest> <out.wasm>
//
// On success it prints one JSON line: {"digest": <image digest hex>, "sha256": <module hex>,
// "bytes": <size>}. With -sha256, the image digest must equal HEX, the check istio-agent makes
// for a WasmPlugin's sha256 on an oci:// URL. Exit status 1 and a message on stderr otherwise.
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

	"istio.io/istio/pkg/log"
	"istio.io/istio/pkg/wasm"
)

func main() {
	expected := flag.String("sha256", "", "expected image digest (hex), as in WasmPlugin.sha256")
	insecure := flag.Bool("insecure", false, "skip TLS verification (a registry with a self-signed certificate)")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: istio-fetch [-sha256 HEX] [-insecure] <image reference> <out.wasm>")
		os.Exit(2)
	}
	ref, out := flag.Arg(0), flag.Arg(1)

	// Istio's log lines go to stderr: stdout carries only the result line.
	logOptions := log.DefaultOptions()
	logOptions.OutputPaths = []string{"stderr"}
	logOptions.ErrorOutputPaths = []string{"stderr"}
	if err := log.Configure(logOptions); err != nil {
		fail("configure logging: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	fetcher := wasm.NewImageFetcher(ctx, wasm.ImageFetcherOption{Insecure: *insecure})
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
	fmt.Fprintf(os.Stderr, "istio-fetch: "+format+"\n", args...)
	os.Exit(1)
}
