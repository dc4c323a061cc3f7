// Decodebench generates large CloudWatch exports and decodes them with
// package envelope, for measuring throughput and peak memory (run it under
// /usr/bin/time -v; see parsers/envelope/BENCHMARKS.md).
//
// Usage:
//
//	decodebench gen tail|filter-log-events SIZE_MB OUT   write an export
//	decodebench decode FILE [prefetch]                decode it, print records and MB/s
//	decodebench parse FILE [prefetch] [recycle]       decode and build cold starts (package parsers)
//	decodebench lines FILE                            a bare Go line loop: count lines holding "import time:"
//
// With COLDPROF_CPUPROFILE=FILE set, decode and parse write a CPU profile there.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/coldprof/coldprof/parsers"
	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/parsers/envelope/internal/benchgen"
	"github.com/coldprof/coldprof/profile"
)

type emptyDecoder struct{}

func (emptyDecoder) Next() (envelope.Record, error) { return envelope.Record{}, io.EOF }

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "decodebench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 4 && args[0] == "gen":
		mb, err := strconv.Atoi(args[2])
		if err != nil {
			return err
		}
		imports, err := benchgen.ImportLines("testdata/exports/raw.txt")
		if err != nil {
			return err
		}
		f, err := os.Create(args[3])
		if err != nil {
			return err
		}
		defer f.Close()
		if args[1] == "tail" {
			return benchgen.Tail(f, imports, int64(mb)<<20)
		}
		return benchgen.FilterLogEvents(f, imports, int64(mb)<<20)
	case len(args) == 2 && args[0] == "lines":
		return countLines(args[1])
	case len(args) >= 2 && (args[0] == "decode" || args[0] == "parse"):
		var opts []envelope.Option
		recycle := false
		for _, a := range args[2:] {
			switch a {
			case "prefetch":
				opts = append(opts, envelope.WithPrefetch())
			case "recycle":
				recycle = true
			default:
				return errors.New("usage: decodebench decode|parse FILE [prefetch] [recycle]")
			}
		}
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		info, err := f.Stat()
		if err != nil {
			return err
		}
		if path := os.Getenv("COLDPROF_CPUPROFILE"); path != "" {
			out, err := os.Create(path)
			if err != nil {
				return err
			}
			defer out.Close()
			if err := pprof.StartCPUProfile(out); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		start := time.Now()
		dec, err := envelope.Open(f, args[1], envelope.FormatAuto, opts...)
		if err != nil {
			return err
		}
		n := 0
		if args[0] == "parse" {
			// Decode and build cold starts with package parsers, as
			// coldprof report does, to see what prefetching buys.
			r := parsers.NewReader(dec, args[1], parsers.Options{Warn: func(profile.Warning) {}, Recycle: recycle})
			for {
				cs, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					return err
				}
				r.Recycle(cs)
				n++
			}
			dec = emptyDecoder{}
		}
		for {
			_, err := dec.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			n++
		}
		secs := time.Since(start).Seconds()
		fmt.Printf("%d records or cold starts, %.0f MB in %.2f s: %.0f MB/s\n", n, float64(info.Size())/1e6, secs, float64(info.Size())/1e6/secs)
		return nil
	}
	return errors.New("usage: decodebench gen tail|filter-log-events SIZE_MB OUT | decodebench decode|parse FILE [prefetch] [recycle] | decodebench lines FILE")
}

// countLines is the least a Go program does to read an export line by line:
// the baseline beside grep -c that report/BENCHMARKS.md compares with.
func countLines(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 256<<10)
	key := []byte("import time:")
	lines, matches := 0, 0
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			lines++
			if bytes.Contains(line, key) {
				matches++
			}
		}
		if err == bufio.ErrBufferFull {
			lines-- // the rest of a long line follows
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	fmt.Printf("%d lines, %d with %q\n", lines, matches, key)
	return nil
}
