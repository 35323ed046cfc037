// shared-cas: a u64 little-endian counter under "bench_counter" incremented with
// compare-and-swap on every request (up to 8 attempts).
package main

import (
	"encoding/binary"
	"errors"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

func init() { proxywasm.SetVMContext(&vm{}) }

func main() {}

type vm struct{ types.DefaultVMContext }

func (*vm) NewPluginContext(uint32) types.PluginContext { return &plugin{} }

type plugin struct{ types.DefaultPluginContext }

func (*plugin) NewHttpContext(uint32) types.HttpContext { return &sharedCas{} }

type sharedCas struct{ types.DefaultHttpContext }

func (*sharedCas) OnHttpRequestHeaders(int, bool) types.Action {
	next := make([]byte, 8)
	for attempt := 0; attempt < 8; attempt++ {
		value, cas, err := proxywasm.GetSharedData("bench_counter")
		var current uint64
		if err == nil && len(value) == 8 {
			current = binary.LittleEndian.Uint64(value)
		}
		binary.LittleEndian.PutUint64(next, current+1)
		err = proxywasm.SetSharedData("bench_counter", next, cas)
		if !errors.Is(err, types.ErrorStatusCasMismatch) {
			break
		}
	}
	return types.ActionContinue
}
