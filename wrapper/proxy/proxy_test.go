package proxy

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coldprof/coldprof/wrapper/internal/fakeapi"
	"github.com/coldprof/coldprof/wrapper/marker"
	"github.com/coldprof/coldprof/wrapper/runtimeapi"
	"github.com/google/go-cmp/cmp"
)

// startProxy serves a Proxy in-process on a loopback listener.
func startProxy(t testing.TB, upstream string, invokeMarkers int) (string, *fakeapi.LockedBuffer) {
	t.Helper()
	p := &Proxy{InvokeMarkers: invokeMarkers, Markers: &fakeapi.LockedBuffer{}, Now: time.Now}
	addr := serve(t, p, upstream)
	return addr, p.Markers.(*fakeapi.LockedBuffer)
}

// serve serves p in-process on a new loopback listener, forwarding to
// upstream, and returns the listener's address.
func serve(t testing.TB, p *Proxy, upstream string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File() // a blocking duplicate, as the wrapper hands over
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	sa, err := ParseAddr(upstream)
	if err != nil {
		t.Fatal(err)
	}
	p.Upstream = sa
	go p.Serve(int(f.Fd()))
	t.Cleanup(func() {
		syscall.Shutdown(int(f.Fd()), syscall.SHUT_RDWR) // wakes the accept
		f.Close()
	})
	return ln.Addr().String()
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
func session(t *testing.T, f *fakeapi.API, addr string) []response {
	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	base := "http://" + addr + fakeapi.Prefix + "/runtime"
	f.Events <- fakeapi.Event{ID: "id-1", Body: `{"key":"value one"}`}
	f.Events <- fakeapi.Event{ID: "id-2", Body: strings.Repeat("é", 1000)}
	hdr := http.Header{"Lambda-Runtime-Function-Error-Type": {"Runtime.UserError"}, "X-Mixed": {"One", "Two"}}
	return []response{
		do(t, c, "GET", base+"/invocation/next", nil, nil),
		do(t, c, "POST", base+"/invocation/id-1/response", strings.NewReader(`{"ok":true}`), http.Header{"Content-Type": {"application/json"}}),
		do(t, c, "GET", base+"/invocation/next", nil, nil),
		do(t, c, "POST", base+"/invocation/id-2/error", strings.NewReader(`{"errorMessage":"x","errorType":"E","stackTrace":[]}`), hdr),
		do(t, c, "POST", base+"/init/error", strings.NewReader(`{}`), hdr),
		do(t, c, "GET", "http://"+addr+fakeapi.Prefix+"/not-there", nil, nil),
	}
}

func TestProxySameAsDirect(t *testing.T) {
	direct := fakeapi.New(t)
	wantResp := session(t, direct, direct.Addr())

	proxied := fakeapi.New(t)
	addr, markers := startProxy(t, proxied.Addr(), defaultInvokeMarkers)
	proxied.WatchMarkers(markers)
	gotResp := session(t, proxied, addr)

	if diff := cmp.Diff(wantResp, gotResp); diff != "" {
		t.Errorf("responses differ through the proxy (-direct +proxied):\n%s", diff)
	}
	if diff := cmp.Diff(direct.Requests(), proxied.Requests()); diff != "" {
		t.Errorf("requests differ through the proxy (-direct +proxied):\n%s", diff)
	}
	evs := events(t, markers.String())
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
	markersAt := proxied.MarkersAt()
	for i, rec := range proxied.Requests() {
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
		if !strings.Contains(markersAt[i], mustHave) {
			t.Errorf("%s %s reached the API before its marker %s; markers then:\n%s", rec.Method, rec.Path, mustHave, markersAt[i])
		}
	}
}

// The runtime asks for the next event before there is one; the proxy must
// hold the long poll open without a timeout and mark init_done at once.
func TestProxyLongPoll(t *testing.T) {
	f := fakeapi.New(t)
	addr, markers := startProxy(t, f.Addr(), defaultInvokeMarkers)
	got := make(chan response, 1)
	go func() {
		resp, err := http.Get("http://" + addr + fakeapi.Prefix + "/runtime/invocation/next")
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
	f.Events <- fakeapi.Event{ID: "late", Body: "{}"}
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
	f := fakeapi.New(t)
	addr, markers := startProxy(t, f.Addr(), defaultInvokeMarkers)
	const size = 10 << 20
	pr, pw := io.Pipe()
	body := bytes.Repeat([]byte("streamed bytes! "), size/16)
	req, err := http.NewRequest("POST", "http://"+addr+fakeapi.Prefix+"/runtime/invocation/s-1/response", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Lambda-Runtime-Function-Response-Mode", "streaming")
	req.Trailer = http.Header{"Lambda-Runtime-Function-Error-Type": nil, "Lambda-Runtime-Function-Error-Body": nil}
	go func() {
		pw.Write(body[:1<<20])
		select { // the first part must reach the API before the rest is written
		case <-f.FirstChunk:
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
	reqs := f.Requests()
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
	resp, err = http.Get("http://" + addr + fakeapi.Prefix + "/stream/" + fmt.Sprint(size))
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
	addr, markers := startProxy(t, up.Addr().String(), defaultInvokeMarkers)
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
	evs := events(t, markers.String())
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
	f := fakeapi.New(t)
	addr, markers := startProxy(t, f.Addr(), 2)
	base := "http://" + addr + fakeapi.Prefix + "/runtime/invocation/"
	for i := 1; i <= 4; i++ {
		id := fmt.Sprint("id-", i)
		f.Events <- fakeapi.Event{ID: id, Body: "{}"}
		do(t, http.DefaultClient, "GET", base+"next", nil, nil)
		do(t, http.DefaultClient, "POST", base+id+"/response", strings.NewReader("{}"), nil)
	}
	evs := events(t, markers.String())
	want := []marker.Kind{"init_done", "invoke_start", "invoke_end", "invoke_start", "invoke_end", "warning"}
	if diff := cmp.Diff(want, kinds(evs)); diff != "" {
		t.Errorf("markers (-want +got):\n%s", diff)
	}
}

// With the Runtime API unreachable the proxy warns and closes the
// connection (the runtime then sees the same failure it would directly).
func TestProxyUpstreamDown(t *testing.T) {
	dead := refusingAddr(t)
	addr, markers := startProxy(t, dead, 1)
	_, err := http.Get("http://" + addr + fakeapi.Prefix + "/runtime/invocation/next")
	if err == nil {
		t.Fatal("request succeeded with the Runtime API down")
	}
	evs := events(t, markers.String())
	if len(evs) != 1 || evs[0].Kind != marker.Warning || strings.Contains(evs[0].Message, dead) {
		t.Errorf("want one warning not naming the address, got %+v", evs)
	}
}

// refusingAddr returns a loopback address that refuses connections for the
// rest of the test: a socket bound to it without listening holds the port,
// so no other listener can take it meanwhile (as a closed listener's port
// could be taken).
func refusingAddr(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return "127.0.0.1:" + strconv.Itoa(sa.(*syscall.SockaddrInet4).Port)
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
		h.header(runtimeapi.HeaderRequestID)
		if fr, err := requestBody(h); err == nil {
			copyBody(io.Discard, br, fr, func([]byte) {})
		}
		if fr, err := responseBody(h, status, false); err == nil {
			copyBody(io.Discard, br, fr, nil)
		}
		invocationPost(string(h.firstLine()))
	})
}

// defaultInvokeMarkers is the wrapper's default COLDPROF_INVOKE_MARKERS.
const defaultInvokeMarkers = 10

// events parses every marker line of out.
func events(t *testing.T, out string) []marker.Event {
	t.Helper()
	var evs []marker.Event
	for _, line := range strings.SplitAfter(out, "\n") {
		if line == "" {
			continue
		}
		e, err := marker.Parse([]byte(line))
		if err != nil {
			t.Fatalf("bad marker %q: %v", line, err)
		}
		evs = append(evs, e)
	}
	return evs
}

func kinds(evs []marker.Event) []marker.Kind {
	var k []marker.Kind
	for _, e := range evs {
		k = append(k, e.Kind)
	}
	return k
}

func TestParseAddr(t *testing.T) {
	good := map[string]string{
		"127.0.0.1:9001":     "127.0.0.1:9001",
		"169.254.100.1:9001": "169.254.100.1:9001",
		"localhost:80":       "127.0.0.1:80",
		"[::1]:9001":         "[::1]:9001",
	}
	for in, want := range good {
		sa, err := ParseAddr(in)
		if err != nil {
			t.Errorf("ParseAddr(%q): %v", in, err)
			continue
		}
		if got := sockaddrString(sa); got != want {
			t.Errorf("ParseAddr(%q) = %s, want %s", in, got, want)
		}
	}
	for _, in := range []string{"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:+80",
		"256.0.0.1:80", "1.2.3:80", "1.2.3.4.5:80", "1..3.4:80", "01234.0.0.1:80", "+1.2.3.4:80", "example.com:80", "[::2]:80", ":80"} {
		if sa, err := ParseAddr(in); err == nil {
			t.Errorf("ParseAddr(%q) = %s, want an error", in, sockaddrString(sa))
		}
	}
}

func sockaddrString(sa syscall.Sockaddr) string {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return fmt.Sprintf("%d.%d.%d.%d:%d", a.Addr[0], a.Addr[1], a.Addr[2], a.Addr[3], a.Port)
	case *syscall.SockaddrInet6:
		return fmt.Sprintf("[%s]:%d", net.IP(a.Addr[:]), a.Port)
	}
	return "?"
}

// FuzzParseAddr: no panic, and whatever parses agrees with the net
// package's reading of the same text.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1:9001", "localhost:1", "[::1]:9001", "1.2.3.4:+5", "999.1.1.1:1", ":", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sa, err := ParseAddr(s)
		if err != nil {
			return
		}
		host, port, err := net.SplitHostPort(s)
		if err != nil {
			t.Fatalf("ParseAddr(%q) succeeded; net.SplitHostPort: %v", s, err)
		}
		if host == "localhost" {
			host = "127.0.0.1"
		}
		n, _ := strconv.Atoi(port) // leading zeros name the same port
		want := net.JoinHostPort(net.ParseIP(host).String(), strconv.Itoa(n))
		if got := sockaddrString(sa); got != want {
			t.Fatalf("ParseAddr(%q) = %s, net reads %s", s, got, want)
		}
	})
}
