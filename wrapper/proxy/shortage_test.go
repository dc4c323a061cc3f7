package proxy

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coldprof/coldprof/wrapper/internal/fakeapi"
)

// envHelperSpare makes the test binary a proxy process (TestProxyProcess)
// with that many descriptors to spare under its RLIMIT_NOFILE.
const envHelperSpare = "COLDPROF_PROXY_TEST_NOFILE_SPARE"

// envHelperWithoutPoller, "1", makes that proxy process keep off Go's
// network poller (withoutPoller).
const envHelperWithoutPoller = "COLDPROF_PROXY_TEST_WITHOUT_POLLER"

// TestProxyProcess is not a test: started by TestProxyWaitsOutDescriptorShortage
// as a child process, it lowers its RLIMIT_NOFILE and runs Main on the
// inherited listener and exit pipe, as cmd/coldprof-proxy does.
func TestProxyProcess(t *testing.T) {
	spare, err := strconv.Atoi(os.Getenv(envHelperSpare))
	if err != nil {
		t.Skip("helper process for TestProxyWaitsOutDescriptorShortage")
	}
	lim, ok := limitLeaving(spare)
	if !ok {
		os.Exit(3)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: lim, Max: lim}); err != nil {
		os.Exit(3)
	}
	withoutPoller = os.Getenv(envHelperWithoutPoller) == "1"
	withoutPidfd = os.Getenv(envHelperWithoutPidfd) == "1"
	os.Exit(Main(os.Environ(), nil))
}

// pollerDescriptors is what Go's network poller holds once started (an
// epoll instance and an eventfd); Main starts it.
const pollerDescriptors = 2

// limitLeaving returns the RLIMIT_NOFILE under which exactly spare new
// descriptors can be opened once the poller is running. New descriptors
// take the lowest free numbers below the limit, so it counts free numbers,
// not open descriptors: descriptors a test runner leaks into the process
// at high numbers (a CI machine has none, a shell may have several) do not
// change the budget. The poller's own descriptors are counted in unless it
// already runs.
func limitLeaving(spare int) (uint64, bool) {
	if !pollerRunning() {
		spare += pollerDescriptors
	}
	for fd := 0; fd < 1<<16; fd++ {
		_, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
		if errno == syscall.EBADF {
			if spare--; spare == 0 {
				return uint64(fd + 1), true
			}
		}
	}
	return 0, false
}

// pollerRunning tells whether this process holds an epoll instance (Go's
// network poller, started by a timer or a pollable file).
func pollerRunning() bool {
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		if l, _ := os.Readlink("/proc/self/fd/" + e.Name()); l == "anon_inode:[eventpoll]" {
			return true
		}
	}
	return false
}

// testListener is a listening loopback socket made like the wrapper makes it.
func testListener(t *testing.T) (*os.File, string) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "listener")
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 64); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return f, "127.0.0.1:" + strconv.Itoa(sa.(*syscall.SockaddrInet4).Port)
}

// A proxy that runs out of descriptors (the runtime holding many
// connections, each costing the proxy two; a low RLIMIT_NOFILE) waits until
// some are free again, at accept and at connecting upstream, instead of
// exiting: the function keeps its Runtime API. Eight idle connections
// outnumber either budget, so accept fails in both; with an odd budget an
// upstream socket must fail too (each served connection takes two), with 4
// it may. Each subtest waits for the warning its budget guarantees.
func TestProxyWaitsOutDescriptorShortage(t *testing.T) {
	for _, tt := range []struct {
		spare int
		want  string
	}{
		{4, "accept: too many open files; retrying"},
		{3, "connect: too many open files; retrying"},
	} {
		t.Run(strconv.Itoa(tt.spare), func(t *testing.T) {
			api := fakeapi.New(t)
			api.Events <- fakeapi.Event{ID: "id-1", Body: "{}"}
			ln, addr := testListener(t)
			exitR, exitW, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestProxyProcess$")
			cmd.Env = []string{envHelperSpare + "=" + strconv.Itoa(tt.spare),
				EnvUpstream + "=" + api.Addr(), EnvExit + "=" + ExitPipe, EnvInvokeMarkers + "=1"}
			cmd.ExtraFiles = []*os.File{ln, exitR}
			var stderr fakeapi.LockedBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			ln.Close()
			exitR.Close()
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			defer func() {
				exitW.Close() // the runtime has gone: the proxy exits
				select {
				case err := <-exited:
					if err != nil {
						t.Errorf("proxy process: %v; stderr:\n%s", err, stderr.String())
					}
				case <-time.After(10 * time.Second): // hang guard only
					cmd.Process.Kill()
					t.Errorf("proxy still running 10 s after the runtime's exit")
				}
			}()

			var idle []net.Conn
			for range 8 {
				c, err := net.Dial("tcp", addr) // completes in the backlog
				if err != nil {
					t.Fatal(err)
				}
				idle = append(idle, c)
			}
			for end := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), tt.want); time.Sleep(5 * time.Millisecond) {
				if time.Now().After(end) { // hang guard only
					t.Fatalf("no %q warning; stderr:\n%s", tt.want, stderr.String())
				}
				select {
				case err := <-exited:
					exited <- err // for the deferred wait
					t.Fatalf("the proxy exited (%v) when it ran out of descriptors; stderr:\n%s", err, stderr.String())
				default:
				}
			}
			for _, c := range idle {
				c.Close()
			}
			client := &http.Client{Timeout: 10 * time.Second}
			resp, err := client.Get("http://" + addr + fakeapi.Prefix + "/runtime/invocation/next")
			if err != nil {
				t.Fatalf("the Runtime API through the proxy after the shortage: %v; stderr:\n%s", err, stderr.String())
			}
			resp.Body.Close()
			if id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id"); id != "id-1" {
				t.Errorf("request ID %q, want id-1", id)
			}
			client.CloseIdleConnections()
		})
	}
}

// Main waits for a connection and for the runtime's exit in one ppoll: it
// exits 0 when the runtime exits before ever connecting, and exits 2 at once
// when descriptor 3 is no listening socket (as accept4 on it did), rather
// than waiting in ppoll for a readiness that never comes.
func TestProxyMainExitsWithoutConnection(t *testing.T) {
	for _, tt := range []struct {
		name       string
		listener   bool
		devNull    bool // the exit descriptor is /dev/null, which epoll refuses
		wantStatus int
	}{
		{"runtime exits", true, false, 0},
		{"no listener", false, false, 2},
		// The poller refuses the exit descriptor: serveUntilExit's ppoll,
		// which finds /dev/null at its end at once.
		{"exit descriptor not pollable", true, true, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var fd3 *os.File
			if tt.listener {
				fd3, _ = testListener(t)
			} else {
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				fd3 = r
			}
			exitR, exitW, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer exitW.Close()
			if tt.devNull {
				exitR.Close()
				if exitR, err = os.Open(os.DevNull); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestProxyProcess$")
			cmd.Env = []string{envHelperSpare + "=16", EnvUpstream + "=127.0.0.1:9", EnvExit + "=" + ExitPipe}
			cmd.ExtraFiles = []*os.File{fd3, exitR}
			var stderr fakeapi.LockedBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			fd3.Close()
			exitR.Close()
			if tt.listener {
				exitW.Close() // the runtime has gone
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			select {
			case err := <-exited:
				status := 0
				if ee, ok := err.(*exec.ExitError); ok {
					status = ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				if status != tt.wantStatus {
					t.Errorf("exit status %d, want %d; stderr:\n%s", status, tt.wantStatus, stderr.String())
				}
				if !tt.listener && !strings.Contains(stderr.String(), "no inherited listener") {
					t.Errorf("stderr %q does not say no inherited listener", stderr.String())
				}
			case <-time.After(10 * time.Second): // hang guard only
				cmd.Process.Kill()
				t.Fatalf("proxy still running after 10 s; stderr:\n%s", stderr.String())
			}
		})
	}
}
