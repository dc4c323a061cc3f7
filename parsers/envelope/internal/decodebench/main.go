// Decodebench generates large CloudWatch exports and decodes them with
// package envelope, for measuring throughput and peak memory (run it under
// /usr/bin/time -v; see parsers/envelope/BENCHMARKS.md).
//
// Usage:
//
//	decodebench gen tail|filter-log-events SIZE_MB OUT   write an export
//	decodebench decode FILE                           decode it, print records and MB/s
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/parsers/envelope/internal/benchgen"
)

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
	case len(args) == 2 && args[0] == "decode":
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		info, err := f.Stat()
		if err != nil {
			return err
		}
		start := time.Now()
		dec, err := envelope.Open(f, args[1], envelope.FormatAuto)
		if err != nil {
			return err
		}
		n := 0
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
		fmt.Printf("%d records, %.0f MB in %.2f s: %.0f MB/s\n", n, float64(info.Size())/1e6, secs, float64(info.Size())/1e6/secs)
		return nil
	}
	return errors.New("usage: decodebench gen tail|filter-log-events SIZE_MB OUT | decodebench decode FILE")
}
