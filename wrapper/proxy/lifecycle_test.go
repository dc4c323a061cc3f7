package proxy

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coldprof/coldprof/wrapper/internal/fakeapi"
	"github.com/coldprof/coldprof/wrapper/marker"
	"github.com/coldprof/coldprof/wrapper/runtimeapi"
	"github.com/google/go-cmp/cmp"
)

// An ev is a marker reduced to what order tests compare.
type ev struct{ Kind, Via, ID, Status string }

func reduce(evs []marker.Event) []ev {
	var out []ev
	for _, e := range evs {
		out = append(out, ev{string(e.Kind), e.Via, e.RequestID, e.Status})
	}
	return out
}

// runtimeClient plays a runtime client over one keep-alive connection.
type runtimeClient struct {
	t    *testing.T
	c    *http.Client
	base string
}

func newClient(t *testing.T, addr string) *runtimeClient {
	c := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(c.CloseIdleConnections)
	return &runtimeClient{t, c, "http://" + addr + fakeapi.Prefix + "/runtime"}
}

func (r *runtimeClient) get(path string) *http.Response {
	r.t.Helper()
	resp, err := r.c.Get(r.base + path)
	if err != nil {
		r.t.Fatalf("GET %s: %v", path, err)
	}
	drainBody(resp)
	return resp
}

func (r *runtimeClient) post(path string) {
	r.t.Helper()
	resp, err := r.c.Post(r.base+path, "application/json", strings.NewReader(`{"ok":true}`))
	if err != nil {
		r.t.Fatalf("POST %s: %v", path, err)
	}
	drainBody(resp)
	if resp.StatusCode != 202 {
		r.t.Errorf("POST %s: status %d", path, resp.StatusCode)
	}
}

func drainBody(resp *http.Response) {
	buf := make([]byte, 4096)
	for {
		if _, err := resp.Body.Read(buf); err != nil {
			break
		}
	}
	resp.Body.Close()
}

// invoke runs one invocation: next (the event queued first), response.
func (r *runtimeClient) invoke(api *fakeapi.API, id string) {
	r.t.Helper()
	api.Events <- fakeapi.Event{ID: id, Body: `{}`}
	if got := r.get("/invocation/next").Header.Get(runtimeapi.HeaderRequestID); got != id {
		r.t.Fatalf("next handed over %q, want %q", got, id)
	}
	r.post("/invocation/" + id + "/response")
}

// The marker order of both lifecycles against the fake Runtime API: on
// demand, init ends at the first invocation/next; under SnapStart it ends at
// restore/next (init_done via restore), and the first invocation/next after
// it says the restored runtime is ready (restored, not a second init_done).
// Each request's markers are written before the request reaches the API.
func TestProxyLifecycleOrder(t *testing.T) {
	tests := []struct {
		name    string
		restore bool
		want    []ev
	}{
		{"on demand", false, []ev{
			{"init_done", "", "", ""},
			{"invoke_start", "", "id-1", ""}, {"invoke_end", "", "id-1", "response"},
			{"invoke_start", "", "id-2", ""}, {"invoke_end", "", "id-2", "response"},
		}},
		{"snapstart", true, []ev{
			{"init_done", "restore", "", ""},
			{"restored", "", "", ""},
			{"invoke_start", "", "id-1", ""}, {"invoke_end", "", "id-1", "response"},
			{"invoke_start", "", "id-2", ""}, {"invoke_end", "", "id-2", "response"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := fakeapi.New(t)
			addr, markers := startProxy(t, api.Addr(), defaultInvokeMarkers)
			api.WatchMarkers(markers)
			rc := newClient(t, addr)
			if tt.restore {
				api.Restores <- fakeapi.Event{Body: "{}"}
				if resp := rc.get("/restore/next"); resp.StatusCode != 200 {
					t.Fatalf("restore/next: status %d", resp.StatusCode)
				}
			}
			rc.invoke(api, "id-1")
			rc.invoke(api, "id-2")
			if diff := cmp.Diff(tt.want, reduce(events(t, markers.String()))); diff != "" {
				t.Errorf("markers (-want +got):\n%s", diff)
			}
			// restore/next and the first invocation/next each reached the
			// API after their marker.
			at := api.MarkersAt()
			reqs := api.Requests()
			mustHave := map[int]string{0: `"ev":"init_done"`}
			if tt.restore {
				mustHave[1] = `"ev":"restored"`
			}
			for i, want := range mustHave {
				if i >= len(reqs) || !strings.Contains(at[i], want) {
					t.Errorf("request %d reached the API before its marker %s", i, want)
				}
			}
		})
	}
}

// A pipe whose read end the test holds, as the runtime's sampler would.
func testSamplerPipe(t *testing.T) (r *os.File, w io.WriteCloser) {
	t.Helper()
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	s, err := NewSamplerPipe(p[1])
	if err != nil {
		t.Fatal(err)
	}
	return os.NewFile(uintptr(p[0]), "sampler"), s
}

// The sampler gets "init_done <t>" when the runtime first asks for an
// event (restore/next under SnapStart) and "invoke_end <t>" when the first
// invocation's response is posted, each with its marker's time, then EOF:
// the proxy closed its end.
func TestProxySamplerLines(t *testing.T) {
	for _, restore := range []bool{false, true} {
		t.Run("restore="+strconv.FormatBool(restore), func(t *testing.T) {
			api := fakeapi.New(t)
			r, w := testSamplerPipe(t)
			defer r.Close()
			p := &Proxy{InvokeMarkers: 1, Markers: &fakeapi.LockedBuffer{}, Sampler: w, Now: time.Now}
			rc := newClient(t, serve(t, p, api.Addr()))
			if restore {
				api.Restores <- fakeapi.Event{Body: "{}"}
				rc.get("/restore/next")
			}
			rc.invoke(api, "id-1")
			rc.invoke(api, "id-2")
			var got []string
			sc := bufio.NewScanner(r) // ends at EOF: the proxy must have closed its end
			for sc.Scan() {
				got = append(got, sc.Text())
			}
			var want []string
			for _, e := range events(t, p.Markers.(*fakeapi.LockedBuffer).String()) {
				if e.Kind == marker.InitDone || e.Kind == marker.InvokeEnd && e.RequestID == "id-1" {
					want = append(want, string(e.Kind)+" "+strconv.FormatInt(e.TimeUs, 10))
				}
			}
			if len(want) != 2 {
				t.Fatalf("want an init_done and a first invoke_end marker, got %v", want)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("sampler lines (-want the markers' times +got):\n%s", diff)
			}
		})
	}
}

// A countingSampler records each write to the sampler's pipe and its error.
type countingSampler struct {
	io.WriteCloser
	mu     sync.Mutex
	writes int
	errs   []error
}

func (c *countingSampler) Write(b []byte) (int, error) {
	n, err := c.WriteCloser.Write(b)
	c.mu.Lock()
	c.writes++
	c.errs = append(c.errs, err)
	c.mu.Unlock()
	return n, err
}

// A sampler that reads nothing (its pipe full) or has gone (its end
// closed) never holds up the runtime: every request is forwarded, each line
// is tried once (never retried) and fails at once.
func TestProxySamplerFullOrClosed(t *testing.T) {
	for _, mode := range []string{"full", "closed"} {
		t.Run(mode, func(t *testing.T) {
			api := fakeapi.New(t)
			r, w := testSamplerPipe(t)
			defer r.Close()
			want := syscall.EAGAIN
			if mode == "full" {
				fill := make([]byte, 4096)
				for {
					if _, err := w.Write(fill); err != nil {
						break
					}
				}
			} else {
				r.Close()
				want = syscall.EPIPE
			}
			counted := &countingSampler{WriteCloser: w}
			p := &Proxy{InvokeMarkers: 10, Markers: &fakeapi.LockedBuffer{}, Sampler: counted, Now: time.Now}
			rc := newClient(t, serve(t, p, api.Addr()))
			const n = 5
			done := make(chan struct{})
			go func() {
				defer close(done)
				for i := 1; i <= n; i++ {
					rc.invoke(api, fmt.Sprint("id-", i))
				}
			}()
			select {
			case <-done:
			case <-time.After(30 * time.Second): // hang guard only
				t.Fatal("invocations did not complete: a blocked sampler write held up the runtime")
			}
			if got := len(api.Requests()); got != 2*n {
				t.Errorf("the API got %d requests, want %d", got, 2*n)
			}
			counted.mu.Lock()
			defer counted.mu.Unlock()
			if counted.writes != 2 {
				t.Errorf("%d writes to the sampler's pipe, want 2 (one per line, none retried)", counted.writes)
			}
			for _, err := range counted.errs {
				if !errors.Is(err, want) {
					t.Errorf("write error %v, want %v", err, want)
				}
			}
		})
	}
}

// Once the invoke-marker budget is spent (and the sampler told), the proxy
// stops parsing: later invocations, on the same keep-alive connection and
// on new ones, are relayed without reading a single head, and still arrive
// intact.
func TestProxyRawAfterBudget(t *testing.T) {
	api := fakeapi.New(t)
	r, w := testSamplerPipe(t)
	defer r.Close()
	p := &Proxy{InvokeMarkers: 2, Markers: &fakeapi.LockedBuffer{}, Sampler: w, Now: time.Now}
	addr := serve(t, p, api.Addr())
	rc := newClient(t, addr)
	for i := 1; i <= 3; i++ { // the third starts past the budget: its warning
		rc.invoke(api, fmt.Sprint("id-", i))
	}
	rc.invoke(api, "id-4") // parsed up to its own POST, then the switch
	if !p.quiet.Load() {
		t.Fatal("still parsing after the budget was spent")
	}
	parsed := p.heads.Load()
	for i := 5; i <= 20; i++ {
		rc.invoke(api, fmt.Sprint("id-", i))
	}
	other := newClient(t, addr) // a new connection
	other.invoke(api, "id-21")
	if got := p.heads.Load(); got != parsed {
		t.Errorf("%d more heads parsed after the budget was spent, want 0", got-parsed)
	}
	if got := len(api.Requests()); got != 42 {
		t.Errorf("the API got %d requests, want 42", got)
	}
	want := []marker.Kind{"init_done", "invoke_start", "invoke_end", "invoke_start", "invoke_end", "warning"}
	if diff := cmp.Diff(want, kinds(events(t, p.Markers.(*fakeapi.LockedBuffer).String()))); diff != "" {
		t.Errorf("markers (-want +got):\n%s", diff)
	}
}
