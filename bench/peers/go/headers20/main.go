// headers20: read 20 request headers (x-bench-in-0..19), add 20 (x-bench-out-0..19),
// remove the 20 read.
package main

import (
	"strconv"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

const count = 20

var inNames, outNames, outValues [count]string

func init() {
	for i := 0; i < count; i++ {
		inNames[i] = "x-bench-in-" + strconv.Itoa(i)
		outNames[i] = "x-bench-out-" + strconv.Itoa(i)
		outValues[i] = "value-" + strconv.Itoa(i)
	}
	proxywasm.SetVMContext(&vm{})
}

func main() {}

type vm struct{ types.DefaultVMContext }

func (*vm) NewPluginContext(uint32) types.PluginContext { return &plugin{} }

type plugin struct{ types.DefaultPluginContext }

func (*plugin) NewHttpContext(uint32) types.HttpContext { return &headers20{} }

type headers20 struct{ types.DefaultHttpContext }

func (*headers20) OnHttpRequestHeaders(int, bool) types.Action {
	seen := 0
	for i := 0; i < count; i++ {
		if _, err := proxywasm.GetHttpRequestHeader(inNames[i]); err == nil {
			seen++
		}
	}
	for i := 0; i < count; i++ {
		_ = proxywasm.AddHttpRequestHeader(outNames[i], outValues[i])
	}
	for i := 0; i < count; i++ {
		_ = proxywasm.RemoveHttpRequestHeader(inNames[i])
	}
	_ = seen
	return types.ActionContinue
}
