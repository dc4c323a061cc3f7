// Package fakeapi is a Lambda Runtime API over real HTTP (httptest) for the
// wrapper's and the proxy's tests: GET …/invocation/next and
// …/runtime/restore/next long-poll until the test queues an event, and every
// request is recorded with the proxy's marker output as it was when the
// request's head arrived.
package fakeapi

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Prefix is the Runtime API's path prefix.
const Prefix = "/2018-06-01"

// LockedBuffer is a bytes.Buffer safe for the proxy's goroutines.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// An API is the fake Runtime API.
type API struct {
	*httptest.Server
	// Events feeds GET …/invocation/next; Restores feeds GET …/restore/next.
	Events   chan Event
	Restores chan Event
	// AutoEvents, when set before the first request, makes GET next answer
	// at once with a new request ID when no event is queued (for clients
	// that cannot queue events, such as a benchmark's Python client).
	AutoEvents bool
	// FirstChunk is closed when a streamed request body's first chunk has
	// arrived (proves the proxy does not buffer whole bodies).
	FirstChunk chan struct{}

	mu        sync.Mutex
	got       []Received
	markers   *LockedBuffer
	markersAt []string
}

// An Event is what one next returns: the request ID header and the body.
type Event struct{ ID, Body string }

// A Received is what the fake saw of one request.
type Received struct {
	Method, Path string
	Header       http.Header
	BodyLen      int
	BodySHA      [32]byte
	Trailer      http.Header
}

// New starts a fake API, closed when t ends.
func New(t testing.TB) *API {
	f := &API{Events: make(chan Event, 100), Restores: make(chan Event, 10), FirstChunk: make(chan struct{})}
	var once sync.Once
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		var markersNow string
		if f.markers != nil {
			markersNow = f.markers.String() // as the head arrives, before the body
		}
		f.mu.Unlock()
		h := sha256.New()
		n := 0
		buf := make([]byte, 32<<10)
		for {
			k, err := r.Body.Read(buf)
			if k > 0 {
				once.Do(func() { close(f.FirstChunk) })
			}
			n += k
			h.Write(buf[:k])
			if err != nil {
				break
			}
		}
		rec := Received{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), BodyLen: n, Trailer: r.Trailer}
		copy(rec.BodySHA[:], h.Sum(nil))
		f.mu.Lock()
		f.got = append(f.got, rec)
		f.markersAt = append(f.markersAt, markersNow)
		f.mu.Unlock()
		switch {
		case r.Method == "GET" && r.URL.Path == Prefix+"/runtime/invocation/next":
			var ev Event
			if f.AutoEvents {
				select {
				case ev = <-f.Events:
				default:
					f.mu.Lock()
					ev = Event{ID: fmt.Sprint("auto-", len(f.got)), Body: `{"key":"value"}`}
					f.mu.Unlock()
				}
			} else {
				select {
				case ev = <-f.Events:
				case <-r.Context().Done():
					return
				}
			}
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", ev.ID)
			w.Header().Set("Lambda-Runtime-Deadline-Ms", "1732250003000")
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:012345678912:function:f")
			w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
			w.Header().Add("X-Multi", "a")
			w.Header().Add("X-Multi", "b")
			io.WriteString(w, ev.Body)
		case r.Method == "GET" && r.URL.Path == Prefix+"/runtime/restore/next":
			var ev Event
			select {
			case ev = <-f.Restores:
			case <-r.Context().Done():
				return
			}
			io.WriteString(w, ev.Body)
		case strings.HasPrefix(r.URL.Path, Prefix+"/stream/"):
			// A chunked response with a trailer, written in pieces.
			var size int
			fmt.Sscanf(strings.TrimPrefix(r.URL.Path, Prefix+"/stream/"), "%d", &size)
			w.Header().Set("Trailer", "X-Body-Sha256")
			w.WriteHeader(200)
			h := sha256.New()
			piece := bytes.Repeat([]byte("0123456789abcdef"), 4096)
			for left := size; left > 0; {
				k := min(left, len(piece))
				w.Write(piece[:k])
				h.Write(piece[:k])
				w.(http.Flusher).Flush()
				left -= k
			}
			w.Header().Set("X-Body-Sha256", fmt.Sprintf("%x", h.Sum(nil)))
		case r.Method == "POST":
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{"status":"OK"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

// WatchMarkers makes every later Received remember what markers held when
// its head arrived (see MarkersAt).
func (f *API) WatchMarkers(markers *LockedBuffer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.markers = markers
}

// Requests returns what the fake received so far.
func (f *API) Requests() []Received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Received(nil), f.got...)
}

// MarkersAt returns, per request received, the marker output at its arrival.
func (f *API) MarkersAt() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.markersAt...)
}

// Addr is the API's host:port, as AWS_LAMBDA_RUNTIME_API holds it.
func (f *API) Addr() string { return strings.TrimPrefix(f.URL, "http://") }

// A Target is one way to reach an API for BenchInvoke: directly or through
// a proxy listening at Base.
type Target struct {
	Name string
	API  *API
	Base string // http://host:port
}

// BenchInvoke times one invocation (GET next, POST response) per target
// per iteration, interleaved in rotating order, over keep-alive connections
// as runtime clients use them. It reports each target's median µs and, for
// every target after the first, its median minus the first's.
func BenchInvoke(b *testing.B, targets []Target) {
	clients := make([]*http.Client, len(targets))
	for k := range targets {
		clients[k] = &http.Client{Transport: &http.Transport{}}
	}
	invoke := func(k int, id string) time.Duration {
		tg := targets[k]
		tg.API.Events <- Event{ID: id, Body: `{"key":"value"}`}
		start := time.Now()
		resp, err := clients[k].Get(tg.Base + Prefix + "/runtime/invocation/next")
		if err != nil {
			b.Fatal(err)
		}
		drain(resp)
		resp, err = clients[k].Post(tg.Base+Prefix+"/runtime/invocation/"+id+"/response", "application/json", strings.NewReader(`{"ok":true}`))
		if err != nil {
			b.Fatal(err)
		}
		drain(resp)
		return time.Since(start)
	}
	for k := range targets {
		invoke(k, "warm")
	}
	samples := make([][]time.Duration, len(targets))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range targets {
			k := (i + j) % len(targets)
			samples[k] = append(samples[k], invoke(k, fmt.Sprint("id-", i)))
		}
	}
	b.StopTimer()
	med := make([]float64, len(targets))
	for k, tg := range targets {
		s := samples[k]
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		med[k] = float64(s[len(s)/2].Nanoseconds()) / 1e3
		b.ReportMetric(med[k], tg.Name+"-µs/invoke")
		if k > 0 {
			b.ReportMetric(med[k]-med[0], tg.Name+"-added-µs/invoke")
		}
	}
	for _, c := range clients {
		c.CloseIdleConnections()
	}
}

func drain(resp *http.Response) {
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
