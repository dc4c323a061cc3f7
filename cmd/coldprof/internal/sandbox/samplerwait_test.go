package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSamplerPending(t *testing.T) {
	const (
		before  = "coldprof: {\"v\":1,\"ev\":\"start\",\"t\":1,\"sampler\":5000}\n" // an earlier cold start's
		startOn = "coldprof: {\"v\":1,\"ev\":\"start\",\"t\":2,\"runtime\":\"python3.11\",\"sampler\":5000}\n"
		off     = "coldprof: {\"v\":1,\"ev\":\"start\",\"t\":2,\"runtime\":\"python3.11\"}\n"
		begin   = "coldprof-sampler: {\"v\":1,\"ev\":\"begin\",\"pid\":8,\"t\":3,\"lang\":\"python\",\"intervalUs\":5000}\n"
		end     = "coldprof-sampler: {\"v\":1,\"ev\":\"end\",\"pid\":8,\"t\":4,\"stoppedBy\":\"invoke_end\",\"samples\":0,\"dropped\":0}\n"
	)
	for _, tc := range []struct {
		name, earlier, log string
		want               bool
	}{
		{"sampler on, no end yet", "", startOn + begin, true},
		{"sampler on, ended", "", startOn + begin + end, false},
		{"sampler off", "", off, false},
		{"an earlier cold start's end does not count", startOn + begin + end, startOn + begin, true},
		{"an earlier cold start's start does not count", before, off, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "log")
			if err := os.WriteFile(path, []byte(tc.earlier+tc.log), 0o644); err != nil {
				t.Fatal(err)
			}
			if got := samplerPending(path, int64(len(tc.earlier))); got != tc.want {
				t.Errorf("samplerPending = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWaitSamplerReturnsOnceTheEndIsWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	start := "coldprof: {\"v\":1,\"ev\":\"start\",\"t\":2,\"sampler\":5000}\n"
	if err := os.WriteFile(path, []byte(start), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan bool)
	go func() { done <- waitSampler(context.Background(), path, 0, time.Minute) }()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("coldprof-sampler: {\"v\":1,\"ev\":\"end\",\"pid\":8,\"t\":4,\"stoppedBy\":\"exit\",\"samples\":0,\"dropped\":0}\n")
	f.Close()
	if !<-done {
		t.Error("waitSampler gave up although the end line was written")
	}
	// With a limit it gives up on a sampler that never ends (a hang guard, not a timing check).
	os.WriteFile(path, []byte(start), 0o644)
	if waitSampler(context.Background(), path, 0, 50*time.Millisecond) {
		t.Error("waitSampler: true with no end line")
	}
}
