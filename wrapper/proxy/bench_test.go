package proxy

import (
	"testing"

	"github.com/coldprof/coldprof/wrapper/internal/fakeapi"
)

// BenchmarkInvoke measures one invocation (GET next, POST response) on
// loopback against the fake Runtime API, directly and through a Proxy
// served in this process, interleaved. The deployed shape (the proxy in a
// process of its own, GOMAXPROCS=1) is package wrapper's
// BenchmarkInvokeDeployed.
func BenchmarkInvoke(b *testing.B) {
	direct := fakeapi.New(b)
	proxied := fakeapi.New(b)
	addr, _ := startProxy(b, proxied.Addr(), 1)
	fakeapi.BenchInvoke(b, []fakeapi.Target{
		{Name: "direct", API: direct, Base: "http://" + direct.Addr()},
		{Name: "proxy", API: proxied, Base: "http://" + addr},
	})
}
