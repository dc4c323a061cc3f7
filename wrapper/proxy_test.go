package wrapper

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coldprof/coldprof/wrapper/marker"
	"github.com/google/go-cmp/cmp"
)

// lockedBuffer is a bytes.Buffer safe for the proxy's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A fakeAPI is a Lambda Runtime API over real HTTP (httptest). GET next
// long-polls until the test queues an event.
type fakeAPI struct {
	*httptest.Server
	events chan fakeEvent
	// firstChunk is closed when a streamed request body's first chunk has
	// arrived (proves the proxy does not buffer whole bodies).
	firstChunk chan struct{}
	mu         sync.Mutex
	got        []received
	// markers, when set, is the proxy's marker output; markersAt holds
	// what it was when each request in got arrived.
	markers   *lockedBuffer
	markersAt []string
}

type fakeEvent struct{ id, body string }

// A received is what the fake saw of one request.
type received struct {
	Method, Path string
	Header       http.Header
	BodyLen      int
	BodySHA      [32]byte
	Trailer      http.Header
}

const apiPrefix = "/2018-06-01"

func newFakeAPI(t testing.TB) *fakeAPI {
	f := &fakeAPI{events: make(chan fakeEvent, 100), firstChunk: make(chan struct{})}
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
				once.Do(func() { close(f.firstChunk) })
			}
			n += k
			h.Write(buf[:k])
			if err != nil {
				break
			}
		}
		rec := received{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), BodyLen: n, Trailer: r.Trailer}
		copy(rec.BodySHA[:], h.Sum(nil))
		f.mu.Lock()
		f.got = append(f.got, rec)
		f.markersAt = append(f.markersAt, markersNow)
		f.mu.Unlock()
		switch {
		case r.Method == "GET" && r.URL.Path == apiPrefix+"/runtime/invocation/next":
			var ev fakeEvent
			select {
			case ev = <-f.events:
			case <-r.Context().Done():
				return
			}
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", ev.id)
			w.Header().Set("Lambda-Runtime-Deadline-Ms", "1732250003000")
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:012345678912:function:f")
			w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
			w.Header().Add("X-Multi", "a")
			w.Header().Add("X-Multi", "b")
			io.WriteString(w, ev.body)
		case strings.HasPrefix(r.URL.Path, apiPrefix+"/stream/"):
			// A chunked response with a trailer, written in pieces.
			var size int
			fmt.Sscanf(strings.TrimPrefix(r.URL.Path, apiPrefix+"/stream/"), "%d", &size)
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

func (f *fakeAPI) requests() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.got...)
}

func (f *fakeAPI) addr() string { return strings.TrimPrefix(f.URL, "http://") }

// startProxy serves a Proxy in-process on a loopback listener.
func startProxy(t testing.TB, upstream string, invokeMarkers int) (string, *lockedBuffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	markers := &lockedBuffer{}
	p := &Proxy{Upstream: upstream, InvokeMarkers: invokeMarkers, Markers: markers, Now: time.Now}
	go p.Serve(ln)
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String(), markers
}

// A response is what a client saw, for comparing direct and proxied runs.
type response struct {
	Status  int
	Header  http.Header
	Body    string
	Trailer http.Header
}

func do(t *testing.T, c *http.Client, method, url string, body io.Reader, header http.Header) response {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	h := resp.Header.Clone()
	h.Del("Date")
	return response{resp.StatusCode, h, string(b), resp.Trailer}
}

// session plays one cold start against addr: two invocations (one
// response, one error) and an init error post, and returns what the client
// saw.
func session(t *testing.T, f *fakeAPI, addr string) []response {
	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	base := "http://" + addr + apiPrefix + "/runtime"
	f.events <- fakeEvent{"id-1", `{"key":"value one"}`}
	f.events <- fakeEvent{"id-2", strings.Repeat("é", 1000)}
	hdr := http.Header{"Lambda-Runtime-Function-Error-Type": {"Runtime.UserError"}, "X-Mixed": {"One", "Two"}}
	return []response{
		do(t, c, "GET", base+"/invocation/next", nil, nil),
		do(t, c, "POST", base+"/invocation/id-1/response", strings.NewReader(`{"ok":true}`), http.Header{"Content-Type": {"application/json"}}),
		do(t, c, "GET", base+"/invocation/next", nil, nil),
		do(t, c, "POST", base+"/invocation/id-2/error", strings.NewReader(`{"errorMessage":"x","errorType":"E","stackTrace":[]}`), hdr),
		do(t, c, "POST", base+"/init/error", strings.NewReader(`{}`), hdr),
		do(t, c, "GET", "http://"+addr+apiPrefix+"/not-there", nil, nil),
	}
}

func TestProxySameAsDirect(t *testing.T) {
	direct := newFakeAPI(t)
	wantResp := session(t, direct, direct.addr())

	proxied := newFakeAPI(t)
	addr, markers := startProxy(t, proxied.addr(), DefaultInvokeMarkers)
	proxied.mu.Lock()
	proxied.markers = markers
	proxied.mu.Unlock()
	gotResp := session(t, proxied, addr)

	if diff := cmp.Diff(wantResp, gotResp); diff != "" {
		t.Errorf("responses differ through the proxy (-direct +proxied):\n%s", diff)
	}
	if diff := cmp.Diff(direct.requests(), proxied.requests()); diff != "" {
		t.Errorf("requests differ through the proxy (-direct +proxied):\n%s", diff)
	}
	evs, _ := events(t, markers.String())
	type ev struct{ Kind, ID, Status, Msg string }
	var got []ev
	for _, e := range evs {
		got = append(got, ev{string(e.Kind), e.RequestID, e.Status, e.Message})
	}
	want := []ev{
		{"init_done", "", "", ""},
		{"invoke_start", "id-1", "", ""},
		{"invoke_end", "id-1", "response", ""},
		{"invoke_start", "id-2", "", ""},
		{"invoke_end", "id-2", "error", ""},
		{"init_error", "", "", "Runtime.UserError"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("markers (-want +got):\n%s", diff)
	}
	// The markers a request causes are written before it is forwarded.
	proxied.mu.Lock()
	defer proxied.mu.Unlock()
	for i, rec := range proxied.got {
		var mustHave string
		switch {
		case i == 0:
			mustHave = `"ev":"init_done"`
		case strings.HasSuffix(rec.Path, "/invocation/id-1/response"):
			mustHave = `"requestId":"id-1","status":"response"`
		case strings.HasSuffix(rec.Path, "/init/error"):
			mustHave = `"ev":"init_error"`
		default:
			continue
		}
		if !strings.Contains(proxied.markersAt[i], mustHave) {
			t.Errorf("%s %s reached the API before its marker %s; markers then:\n%s", rec.Method, rec.Path, mustHave, proxied.markersAt[i])
		}
	}
}

// The runtime asks for the next event before there is one; the proxy must
// hold the long poll open without a timeout and mark init_done at once.
func TestProxyLongPoll(t *testing.T) {
	f := newFakeAPI(t)
	addr, markers := startProxy(t, f.addr(), DefaultInvokeMarkers)
	got := make(chan response, 1)
	go func() {
		resp, err := http.Get("http://" + addr + apiPrefix + "/runtime/invocation/next")
		if err != nil {
			got <- response{Body: err.Error()}
			return
		}
		resp.Body.Close()
		got <- response{Status: resp.StatusCode, Header: resp.Header}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(markers.String(), `"ev":"init_done"`) {
		if time.Now().After(deadline) {
			t.Fatal("no init_done marker while the runtime waits for an event")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	select {
	case r := <-got:
		t.Fatalf("next returned before an event was queued: %+v", r)
	default:
	}
	if strings.Contains(markers.String(), "invoke_start") {
		t.Fatal("invoke_start before an event was handed over")
	}
	f.events <- fakeEvent{"late", "{}"}
	r := <-got
	if r.Status != 200 || r.Header.Get("Lambda-Runtime-Aws-Request-Id") != "late" {
		t.Errorf("long poll got %+v", r)
	}
	if !strings.Contains(markers.String(), `"requestId":"late"`) {
		t.Errorf("no invoke_start for the late event:\n%s", markers.String())
	}
}

// A 10 MB streamed (chunked) response body with trailers goes through
// unchanged and is forwarded while it is still being written.
func TestProxyStreamedResponse(t *testing.T) {
	f := newFakeAPI(t)
	addr, markers := startProxy(t, f.addr(), DefaultInvokeMarkers)
	const size = 10 << 20
	pr, pw := io.Pipe()
	body := bytes.Repeat([]byte("streamed bytes! "), size/16)
	req, err := http.NewRequest("POST", "http://"+addr+apiPrefix+"/runtime/invocation/s-1/response", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Lambda-Runtime-Function-Response-Mode", "streaming")
	req.Trailer = http.Header{"Lambda-Runtime-Function-Error-Type": nil, "Lambda-Runtime-Function-Error-Body": nil}
	go func() {
		pw.Write(body[:1<<20])
		select { // the first part must reach the API before the rest is written
		case <-f.firstChunk:
		case <-time.After(5 * time.Second):
			pw.CloseWithError(fmt.Errorf("first chunk never reached the Runtime API: body buffered"))
			return
		}
		pw.Write(body[1<<20:])
		req.Trailer.Set("Lambda-Runtime-Function-Error-Type", "Runtime.StreamError")
		req.Trailer.Set("Lambda-Runtime-Function-Error-Body", "YmFk")
		pw.Close()
	}()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	reqs := f.requests()
	last := reqs[len(reqs)-1]
	if last.BodyLen != len(body) || last.BodySHA != sha256.Sum256(body) {
		t.Errorf("upstream got %d bytes (sha differs: %v), want %d", last.BodyLen, last.BodySHA != sha256.Sum256(body), len(body))
	}
	if diff := cmp.Diff(http.Header{"Lambda-Runtime-Function-Error-Type": {"Runtime.StreamError"}, "Lambda-Runtime-Function-Error-Body": {"YmFk"}}, last.Trailer); diff != "" {
		t.Errorf("trailers (-want +got):\n%s", diff)
	}
	if !strings.Contains(markers.String(), `"ev":"invoke_end","t":`) || !strings.Contains(markers.String(), `"requestId":"s-1","status":"error"`) {
		t.Errorf("want invoke_end with status error from the trailer, got:\n%s", markers.String())
	}

	// And the other direction: a 10 MB chunked response with a trailer.
	resp, err = http.Get("http://" + addr + apiPrefix + "/stream/" + fmt.Sprint(size))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	resp.Body.Close()
	if err != nil || n != size {
		t.Fatalf("read %d bytes, %v; want %d", n, err, size)
	}
	if got, want := resp.Trailer.Get("X-Body-Sha256"), fmt.Sprintf("%x", h.Sum(nil)); got != want {
		t.Errorf("trailer sha %q, body sha %q", got, want)
	}
	if len(resp.TransferEncoding) == 0 || resp.TransferEncoding[0] != "chunked" {
		t.Errorf("response was not chunked: %v", resp.TransferEncoding)
	}
}

// Raw bytes: odd header case and order, 100-continue, pipelined requests,
// trailers and chunk extensions all pass through byte for byte.
func TestProxyBytesUnchanged(t *testing.T) {
	reqBytes := "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nhost: x\r\nX-lower: a\r\nX-LOWER: b\r\n\r\n" +
		"POST /2018-06-01/runtime/invocation/r%2F1/response HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello" +
		"POST /2018-06-01/runtime/invocation/r2/response HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTrailer: T\r\n\r\n3;ext=1\r\nabc\r\n0\r\nT: v\r\n\r\n" +
		"HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n"
	respBytes := "HTTP/1.1 200 OK\r\nlambda-runtime-aws-request-id: r%2F1\r\ncontent-length: 2\r\n\r\n{}" +
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n" +
		"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n" +
		"HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n"
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	upGot := make(chan string, 1)
	go func() {
		c, err := up.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, len(reqBytes))
		_, err = io.ReadFull(c, buf)
		upGot <- string(buf)
		if err == nil {
			io.WriteString(c, respBytes)
		}
	}()
	addr, markers := startProxy(t, up.Addr().String(), DefaultInvokeMarkers)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Send in small pieces to exercise partial reads.
	go func() {
		for i := 0; i < len(reqBytes); i += 7 {
			c.Write([]byte(reqBytes[i:min(i+7, len(reqBytes))]))
		}
	}()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, len(respBytes))
	if _, err := io.ReadFull(bufio.NewReader(c), got); err != nil {
		t.Fatalf("reading responses: %v (got %q)", err, got)
	}
	if diff := cmp.Diff(reqBytes, <-upGot); diff != "" {
		t.Errorf("upstream bytes (-sent +got):\n%s", diff)
	}
	if diff := cmp.Diff(respBytes, string(got)); diff != "" {
		t.Errorf("runtime bytes (-sent +got):\n%s", diff)
	}
	evs, _ := events(t, markers.String())
	// Pipelined: every request passes before the first response comes back.
	if diff := cmp.Diff([]marker.Kind{"init_done", "invoke_end", "invoke_end", "invoke_start"}, kinds(evs)); diff != "" {
		t.Errorf("markers (-want +got):\n%s", diff)
	}
}

// Garbage that is not HTTP is still relayed unchanged, both ways.
func TestProxyNotHTTP(t *testing.T) {
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	go func() {
		c, err := up.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 8)
		io.ReadFull(c, buf)
		c.Write(append([]byte("echo:"), buf...))
	}()
	addr, _ := startProxy(t, up.Addr().String(), 1)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "\x00\x01 bin\n\n")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, _ := io.ReadAll(c)
	if string(got) != "echo:\x00\x01 bin\n\n" {
		t.Errorf("got %q", got)
	}
}

func TestProxyInvokeMarkerBound(t *testing.T) {
	f := newFakeAPI(t)
	addr, markers := startProxy(t, f.addr(), 2)
	base := "http://" + addr + apiPrefix + "/runtime/invocation/"
	for i := 1; i <= 4; i++ {
		id := fmt.Sprint("id-", i)
		f.events <- fakeEvent{id, "{}"}
		do(t, http.DefaultClient, "GET", base+"next", nil, nil)
		do(t, http.DefaultClient, "POST", base+id+"/response", strings.NewReader("{}"), nil)
	}
	evs, _ := events(t, markers.String())
	want := []marker.Kind{"init_done", "invoke_start", "invoke_end", "invoke_start", "invoke_end", "warning"}
	if diff := cmp.Diff(want, kinds(evs)); diff != "" {
		t.Errorf("markers (-want +got):\n%s", diff)
	}
}

// With the Runtime API unreachable the proxy warns and closes the
// connection (the runtime then sees the same failure it would directly).
func TestProxyUpstreamDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	addr, markers := startProxy(t, dead, 1)
	_, err = http.Get("http://" + addr + apiPrefix + "/runtime/invocation/next")
	if err == nil {
		t.Fatal("request succeeded with the Runtime API down")
	}
	evs, _ := events(t, markers.String())
	if len(evs) != 1 || evs[0].Kind != marker.Warning || strings.Contains(evs[0].Message, dead) {
		t.Errorf("want one warning not naming the address, got %+v", evs)
	}
}

func FuzzProxyParsers(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"))
	f.Add([]byte("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: v\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(b), 16)
		h, err := readHead(br)
		if err != nil {
			return
		}
		parseRequestLine(h.firstLine())
		status, _ := parseStatusLine(h.firstLine())
		h.header(headerRequestID)
		if fr, err := requestBody(h); err == nil {
			copyBody(io.Discard, br, fr, func([]byte) {})
		}
		if fr, err := responseBody(h, status, false); err == nil {
			copyBody(io.Discard, br, fr, nil)
		}
		invocationPost(string(h.firstLine()))
	})
}
