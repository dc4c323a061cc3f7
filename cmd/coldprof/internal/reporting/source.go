package reporting

import (
	"fmt"
	"io"
	"time"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/cli"
	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/parsers/input"
	"github.com/coldprof/coldprof/profile"
	"github.com/coldprof/coldprof/report"
)

// A fileSource is the CLI's face of input.Files: it prints each warning and
// each unreadable input on stderr as it is found, and on a terminal keeps a
// progress line there.
type fileSource struct {
	*input.Files
	stderr io.Writer

	// progress receives a one-line count of the cold starts read, redrawn
	// at most every progressEvery; nil unless stderr is a terminal.
	progress      io.Writer
	progressEvery time.Duration
	progressTick  time.Duration // redraw while waiting for a cold start; 0: only when one arrives
	progressShown bool
	lastProgress  time.Time
}

func newFileSource(names []string, format envelope.Format, stdin io.Reader, stderr io.Writer) *fileSource {
	s := &fileSource{stderr: stderr, progressEvery: 250 * time.Millisecond, progressTick: 250 * time.Millisecond}
	if cli.IsTerminal(stderr) {
		s.progress = stderr
	}
	s.Files = &input.Files{
		Paths:    names,
		Stdin:    stdin,
		Format:   format,
		Warn:     s.warn,
		Error:    s.fail,
		Progress: s.showProgress,
	}
	return s
}

// Next is input.Files.Next, with the progress line erased at the end.
func (s *fileSource) Next() (*profile.ColdStart, error) {
	if s.progress != nil {
		s.Files.ProgressTick = s.progressTick
	}
	cs, err := s.Files.Next()
	if err != nil {
		s.clearProgress()
	}
	return cs, err
}

// showProgress redraws the progress line when it is due.
func (s *fileSource) showProgress(st input.Status) {
	if s.progress == nil || time.Since(s.lastProgress) < s.progressEvery {
		return
	}
	s.lastProgress = time.Now()
	s.progressShown = true
	fmt.Fprintf(s.progress, "\r\x1b[Kcoldprof: %d cold starts read, now in %s", st.ColdStarts, report.TerminalSafe(report.Shorten(st.Input, 80)))
	if st.Size > 0 {
		fmt.Fprintf(s.progress, " (%s of %s, %.0f %%)", humanBytes(st.Read), humanBytes(st.Size), 100*float64(st.Read)/float64(st.Size))
	} else {
		fmt.Fprintf(s.progress, " (%s)", humanBytes(st.Read))
	}
}

// humanBytes is n bytes, short: "900 B", "12.5 KiB", "3.2 GiB".
func humanBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, unit := float64(n)/1024, "KiB"
	for _, u := range []string{"MiB", "GiB", "TiB"} {
		if v < 1024 {
			break
		}
		v, unit = v/1024, u
	}
	return fmt.Sprintf("%.1f %s", v, unit)
}

// clearProgress erases the progress line before anything else is written
// to stderr, and at the end.
func (s *fileSource) clearProgress() {
	if s.progressShown {
		fmt.Fprint(s.progress, "\r\x1b[K")
		s.progressShown = false
	}
}

func (s *fileSource) warn(w profile.Warning) {
	s.clearProgress()
	// One line per warning, and nothing from the log acts on the terminal.
	fmt.Fprintln(s.stderr, report.TerminalSafe(report.Shorten(w.String(), 1024)))
}

func (s *fileSource) fail(err error) {
	s.clearProgress()
	fmt.Fprintf(s.stderr, "coldprof: %v\n", err)
}

// noProfileError says which inputs held no cold start, and why: all but
// the last on stderr, the last as the error.
func (s *fileSource) noProfileError() error {
	empty := s.Empty()
	if len(empty) == 0 {
		// Every input failed to open or read; each was already reported.
		return cli.ExitError{Code: 1}
	}
	for _, e := range empty[:len(empty)-1] {
		fmt.Fprintf(s.stderr, "coldprof: %v\n", e)
	}
	return empty[len(empty)-1]
}
