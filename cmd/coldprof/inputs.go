package main

import (
	"fmt"
	"io"
	"time"

	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/parsers/input"
	"github.com/coldprof/coldprof/profile"
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
	progressShown bool
	lastProgress  time.Time
}

func newFileSource(names []string, format envelope.Format, stdin io.Reader, stderr io.Writer) *fileSource {
	s := &fileSource{stderr: stderr, progressEvery: 250 * time.Millisecond}
	if isTerminal(stderr) {
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
	fmt.Fprintf(s.progress, "\r\x1b[Kcoldprof: %d cold starts read, now in %s", st.ColdStarts, st.Input)
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
	fmt.Fprintln(s.stderr, w.String())
}

func (s *fileSource) fail(err error) {
	s.clearProgress()
	fmt.Fprintf(s.stderr, "coldprof: %v\n", err)
}

// noProfileError says which inputs held no cold start.
func (s *fileSource) noProfileError() error {
	if err := s.ErrNoColdStart(); err != nil {
		return err
	}
	// Every input failed to open or read; each was already reported.
	return exitError{code: 1}
}
