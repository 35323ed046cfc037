// Go peer: the bench modules written with proxy-wasm-go-sdk, built with upstream Go (1.24 or
// newer) for wasip1 as a reactor:
//   GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o <out>.wasm ./<work>
// The bench script resolves the SDK from the Go module proxy at build time (-mod=mod).
module meshwasm.local/bench-go

go 1.24
