// properties5: five Envoy attributes read per request.
package main

import (
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

var paths = [][]string{
	{"request", "path"},
	{"request", "method"},
	{"request", "host"},
	{"request", "protocol"},
	{"source", "address"},
}

func init() { proxywasm.SetVMContext(&vm{}) }

func main() {}

type vm struct{ types.DefaultVMContext }

func (*vm) NewPluginContext(uint32) types.PluginContext { return &plugin{} }

type plugin struct{ types.DefaultPluginContext }

func (*plugin) NewHttpContext(uint32) types.HttpContext { return &properties5{} }

type properties5 struct{ types.DefaultHttpContext }

func (*properties5) OnHttpRequestHeaders(int, bool) types.Action {
	total := 0
	for _, path := range paths {
		if value, err := proxywasm.GetProperty(path); err == nil {
			total += len(value)
		}
	}
	_ = total
	return types.ActionContinue
}
