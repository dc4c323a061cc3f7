package proxy

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/coldprof/coldprof/wrapper/internal/fakeapi"
)

// The relay paths without Go's network poller (fdConn, serveUntilExit's
// ppoll), which the proxy falls back to when the poller cannot be had.
func TestProxyWithoutPoller(t *testing.T) {
	withoutPoller = true
	defer func() { withoutPoller = false }()
	for name, test := range map[string]func(*testing.T){
		"SameAsDirect":     TestProxySameAsDirect,
		"LongPoll":         TestProxyLongPoll,
		"StreamedResponse": TestProxyStreamedResponse,
		"BytesUnchanged":   TestProxyBytesUnchanged,
		"NotHTTP":          TestProxyNotHTTP,
		"UpstreamDown":     TestProxyUpstreamDown,
		"RawAfterBudget":   TestProxyRawAfterBudget,
		"LifecycleOrder":   TestProxyLifecycleOrder,
	} {
		t.Run(name, test)
	}
}

// A connection waiting for bytes parks in Go's network poller and holds no
// thread: a proxy process (GOMAXPROCS=1, as deployed) with eight
// connections each waiting on a long poll runs on a handful of threads,
// where blocking reads (without the poller) hold two threads per
// connection, one per direction.
func TestProxyIdleConnectionsHoldNoThreads(t *testing.T) {
	const conns = 8
	for _, tt := range []struct {
		withoutPoller bool
		check         func(threads int) bool
		want          string
	}{
		{false, func(n int) bool { return n < conns }, fmt.Sprintf("< %d", conns)},
		{true, func(n int) bool { return n >= 2*conns }, fmt.Sprintf(">= %d", 2*conns)},
	} {
		t.Run("withoutPoller="+strconv.FormatBool(tt.withoutPoller), func(t *testing.T) {
			api := fakeapi.New(t)
			ln, addr := testListener(t)
			exitR, exitW, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestProxyProcess$")
			cmd.Env = []string{envHelperSpare + "=64", "GOMAXPROCS=1",
				EnvUpstream + "=" + api.Addr(), EnvExit + "=" + ExitPipe}
			if tt.withoutPoller {
				cmd.Env = append(cmd.Env, envHelperWithoutPoller+"=1")
			}
			cmd.ExtraFiles = []*os.File{ln, exitR}
			var stderr fakeapi.LockedBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			ln.Close()
			exitR.Close()
			defer func() {
				exitW.Close()
				if err := cmd.Wait(); err != nil {
					t.Errorf("proxy process: %v; stderr:\n%s", err, stderr.String())
				}
			}()
			var cs []net.Conn
			defer func() {
				for _, c := range cs {
					c.Close()
				}
			}()
			for range conns {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				cs = append(cs, c)
				io.WriteString(c, "GET "+fakeapi.Prefix+"/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
			}
			for end := time.Now().Add(10 * time.Second); len(api.Requests()) < conns; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(end) { // hang guard only
					t.Fatalf("the API got %d of %d long polls; stderr:\n%s", len(api.Requests()), conns, stderr.String())
				}
			}
			tasks, err := os.ReadDir("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/task")
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d threads with %d connections waiting", len(tasks), conns)
			if !tt.check(len(tasks)) {
				t.Errorf("%d threads with %d connections waiting, want %s", len(tasks), conns, tt.want)
			}
			for i := range conns {
				api.Events <- fakeapi.Event{ID: "id-" + strconv.Itoa(i), Body: "{}"}
			}
		})
	}
}
