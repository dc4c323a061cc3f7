package hooks_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coldprof/coldprof/wrapper/sampleline"
	"golang.org/x/sys/unix"
)

// TestSamplerFirstEventNotDelayed: the first invocation is answered while
// the sampler's lines up to the cut cannot have been written yet. The
// runtime's stderr is a pipe of the smallest size Linux allows, which the
// test does not read until the runtime stand-in said "response"; the
// function's init runs inside hundreds of distinct frames with long names,
// so the sampler has hundreds of KB to write before its cut line and its
// writer blocks on the full pipe. A sampler that made the runtime wait for
// its lines (writing them on the main thread, or the main thread waiting for
// its writer) never lets the response through, and the test fails after the
// hang guard. Python stops at invoke_end (its lines up to the cut are
// written from its thread at the cut); Node.js is checked with
// COLDPROF_SAMPLER_INVOKE=off, where it stops at init_done itself.
func TestSamplerFirstEventNotDelayed(t *testing.T) {
	fullTier(t)
	dir := hookDir(t)
	work := testdata(t, "sampler")
	type variant struct {
		env       []string
		argv      []string
		stoppedBy string
	}
	variants := map[string]variant{}
	for name, py := range pythons(t) {
		variants["python "+name] = variant{pythonSamplerEnv(dir, 5000, ""), []string{py, "runtime.py", "deep_init"}, "invoke_end"}
	}
	if _, err := exec.LookPath("node"); err == nil {
		for name, node := range nodes(t) {
			env := append(nodeSamplerEnv(dir, 1000), "COLDPROF_SAMPLER_INVOKE=off")
			variants["node "+name] = variant{env, []string{node, "runtime.js", "deep_init.js"}, "init_done"}
		}
	}
	for name, v := range variants {
		t.Run(name, func(t *testing.T) {
			stderr, pipeSize := runUnreadStderr(t, work, v.env, v.argv...)
			s := decodeSampler(t, stderr)
			if s.Cut == nil || s.End == nil || s.End.StoppedBy != v.stoppedBy {
				t.Fatalf("cut %+v, end %+v; want a cut and stoppedBy %s", s.Cut, s.End, v.stoppedBy)
			}
			before := bytesBeforeCut(stderr)
			if before <= 2*pipeSize {
				t.Fatalf("only %d bytes of sampler lines before the cut, the pipe holds %d: the test proves nothing", before, pipeSize)
			}
			t.Logf("%d bytes of sampler lines before the cut line, the pipe held %d: the response came first", before, pipeSize)
		})
	}
}

// bytesBeforeCut counts the sampler's bytes written before its cut line.
func bytesBeforeCut(stderr string) int {
	n := 0
	for _, l := range strings.Split(stderr, "\n") {
		e, err := sampleline.Parse([]byte(l))
		if err != nil {
			continue
		}
		if e.Kind == sampleline.Cut {
			break
		}
		n += len(l) + 1
	}
	return n
}

// runUnreadStderr runs a runtime stand-in as runRuntime does (stop pipe as
// fd 3, the test playing the proxy), but with stderr a pipe of one page that
// is read only once the first invocation's response came. It fails the test
// when the response does not come while stderr is unread. It returns stderr
// and the pipe's size.
func runUnreadStderr(t *testing.T, dir string, env []string, argv ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("sh", append([]string{"-c", `COLDPROF_SAMPLER_PID=$$ exec "$@"`, "sh"}, argv...)...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), env...), "COLDPROF_SAMPLER_FD=3")
	stopR, stopW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stopW.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer errR.Close()
	pipeSize, err := unix.FcntlInt(errW.Fd(), unix.F_SETPIPE_SZ, 4096)
	if err != nil {
		t.Fatalf("F_SETPIPE_SZ: %v", err)
	}
	cmd.ExtraFiles = []*os.File{stopR}
	cmd.Stderr = errW
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopR.Close()
	errW.Close()
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	// Hang guard only: the response comes in well under a second unless it
	// waits for the unread stderr, which it then does for ever.
	guard := time.NewTimer(2 * time.Minute)
	defer guard.Stop()
	await := func(want string) {
		t.Helper()
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					_ = cmd.Wait()
					t.Fatalf("the runtime ended before saying %q", want)
				}
				if l == want {
					return
				}
			case <-guard.C:
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("no %q while stderr was not read: the runtime waited for the sampler's lines", want)
			}
		}
	}
	await("next")
	fmt.Fprintf(stopW, "init_done %d\n", time.Now().UnixMicro())
	_, _ = io.WriteString(stdin, "event\n")
	await("response")
	fmt.Fprintf(stopW, "invoke_end %d\n", time.Now().UnixMicro())
	stopW.Close()
	_, _ = io.WriteString(stdin, "next\n")
	data, err := io.ReadAll(errR) // now the sampler's writer can go on
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for range lines { // drain stdout (the truth line)
		}
	}()
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v:\n%.2000s", err, data)
	}
	return string(data), pipeSize
}
