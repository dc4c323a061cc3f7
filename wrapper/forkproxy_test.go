package wrapper

import (
	"errors"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The proxy's child runs proxyChild on a thread the Go runtime does not
// know (amd64: sharing the wrapper's memory, with g = nil), and spawnChild
// runs with every signal blocked and the thread maybe SCHED_BATCH: neither
// may grow its stack (morestack could reschedule the goroutine onto another
// thread, leaving this one blocked and SCHED_BATCH for the runtime's exec)
// or call into the runtime, the race detector or anything but the raw
// system call. The directives (nosplit, norace, nocheckptr) say so; this
// reads the compiled code of this very test binary, so that it also covers
// -race and -cover builds, and a later edit (an index that needs a bounds check, a
// call to a helper, coverage counters in atomic mode) is caught.
func TestProxyChildCompiledCode(t *testing.T) {
	fullTier(t)
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	allowed := map[string]bool{
		"syscall.RawSyscall":                           true,
		"syscall.RawSyscall6":                          true,
		"internal/runtime/syscall/linux.Syscall6":      true,
		"internal/runtime/syscall/linux.Syscall6.abi0": true,
	}
	// go test strips the binary it runs: build the same one, with symbols.
	bin := t.TempDir() + "/wrapper.test"
	args := []string{"test", "-c", "-o", bin}
	if raceBuild {
		args = append(args, "-race")
	}
	if mode := testing.CoverMode(); mode != "" {
		args = append(args, "-cover", "-covermode="+mode)
	}
	if out, err := exec.Command(goTool, append(args, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	checked := map[string]bool{}
	const spawnChild = "github.com/coldprof/coldprof/wrapper.spawnChild"
	queue := []string{"github.com/coldprof/coldprof/wrapper.proxyChild", spawnChild}
	call := regexp.MustCompile(`\b(?:CALL|JMP|BL|B)\s+([^\s(]+)\(SB\)`)
	for len(queue) > 0 {
		fn := queue[0]
		queue = queue[1:]
		if checked[fn] {
			continue
		}
		checked[fn] = true
		out, err := exec.Command(goTool, "tool", "objdump", "-s", "^"+regexp.QuoteMeta(fn)+"$", bin).CombinedOutput()
		if err != nil {
			t.Fatalf("objdump %s: %v\n%s", fn, err, out)
		}
		text := string(out)
		if !strings.Contains(text, "TEXT "+fn+"(SB)") {
			t.Fatalf("objdump found no %s in %s:\n%s", fn, bin, text)
		}
		if strings.Contains(text, "morestack") {
			t.Errorf("%s has a stack-growth check:\n%s", fn, text)
		}
		for _, m := range call.FindAllStringSubmatch(text, -1) {
			target := m[1]
			switch {
			case target == "github.com/coldprof/coldprof/wrapper.proxyChild", allowed[target]:
				queue = append(queue, target)
			case target == "github.com/coldprof/coldprof/wrapper.cloneVM.abi0" && fn == spawnChild:
				// assembly (clonevm_amd64.s): the child calls proxyChild
			case strings.HasPrefix(target, "sync/atomic.") && fn == spawnChild:
				// coverage counters in atomic mode, in the parent's own
				// goroutine: harmless there
			case strings.HasPrefix(target, "0x"): // a jump within the function
			default:
				t.Errorf("%s calls %s: only raw system calls may run there (GOARCH=%s)", fn, target, runtime.GOARCH)
			}
		}
		if runtime.GOARCH == "amd64" && fn == "github.com/coldprof/coldprof/wrapper.proxyChild" && strings.Contains(text, "R14") {
			t.Errorf("proxyChild uses R14 (g), which is 0 in the CLONE_VM child:\n%s", text)
		}
	}
}

// raceBuild is set in -race builds (race_test.go).
var raceBuild bool

// A FIFO with exec permission where the proxy binary should be: the check
// must refuse it (EACCES, as execve would) without blocking in open(2)
// until some writer appears, which would hang the wrapper and never start
// the function.
func TestCheckExecutableFIFO(t *testing.T) {
	path := t.TempDir() + "/" + ProxyName
	if err := syscall.Mkfifo(path, 0o755); err != nil {
		t.Skip("mkfifo:", err)
	}
	if err := os.Chmod(path, 0o755); err != nil { // past the umask
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- checkExecutable(path) }()
	select {
	case err := <-done:
		if err != syscall.EACCES {
			t.Errorf("checkExecutable(a FIFO) = %v, want EACCES", err)
		}
	case <-time.After(10 * time.Second): // a hang guard: the check takes microseconds
		// Unblock the open so the goroutine ends.
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
		t.Fatal("checkExecutable(a FIFO) blocked in open(2)")
	}
}

// An ELF file of this architecture that is no program (a relocatable
// object, or a header with another program-header size) is refused by
// execve with ENOEXEC: the check must see it, since in the layer nothing
// falls back once the child's exec fails (the runtime would be pointed at
// a listener that closes with the child).
func TestCheckExecutableNotAProgram(t *testing.T) {
	self, err := os.ReadFile(os.Args[0]) // an executable of this architecture
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, patch func(h []byte)) string {
		data := slices.Clone(self)
		patch(data)
		path := dir + "/" + name
		if err := os.WriteFile(path, data, 0o755); err != nil {
			t.Fatal(err)
		}
		return path
	}
	if err := checkExecutable(write("exec", func([]byte) {})); err != nil {
		t.Fatalf("checkExecutable(this test binary) = %v", err)
	}
	for name, patch := range map[string]func(h []byte){
		"relocatable": func(h []byte) { h[16], h[17] = 1, 0 },  // e_type ET_REL
		"core":        func(h []byte) { h[16], h[17] = 4, 0 },  // e_type ET_CORE
		"phentsize":   func(h []byte) { h[54], h[55] = 32, 0 }, // e_phentsize
	} {
		if err := checkExecutable(write(name, patch)); err != syscall.ENOEXEC {
			t.Errorf("%s: checkExecutable = %v, want ENOEXEC", name, err)
		}
		if err := exec.Command(dir + "/" + name).Run(); !errors.Is(err, syscall.ENOEXEC) {
			t.Fatalf("%s: execve = %v, want ENOEXEC: the case is not one the kernel refuses", name, err)
		}
	}
}
