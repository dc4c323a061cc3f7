// Package sampleline defines the lines the in-runtime sampler writes to
// stderr and the parsers read back: the one place the grammar lives. The
// writers are the sampler hooks the wrapper injects (Python's sitecustomize,
// Node.js's preload hook, under wrapper/hooks); their tests decode what the
// real interpreters wrote with this package, so the two cannot drift apart.
//
// A sampler line is a single line: the prefix "coldprof-sampler: " followed
// by one JSON object. Text before the prefix on the same line (timestamps,
// stream names that log exports add) is allowed. Every object has
//
//	v    grammar version (Version)
//	ev   begin, frames, stacks, samples, cut, end
//	pid  the sampled process's ID (the wrapper's PID, kept across exec), so
//	     lines of one process can be told from another's
//
// and, by event:
//
//	begin    t (Unix µs when sampling started), lang ("python", "node"),
//	         intervalUs (the interval asked for)
//	frames   first (ID of the first frame in this line), frames: an array of
//	         [function, file, line] (line: where the function's definition
//	         starts; 0 when unknown). Frame IDs count up from 0 across lines.
//	stacks   first (ID of the first stack in this line), stacks: an array of
//	         [parent, frame]: stack ID k is stack parent's frames followed by
//	         frame (parent -1: a root frame). Stack IDs count up from 0.
//	samples  t (Unix µs of this line's first sample), s: an array of
//	         [stack, dtUs], dtUs being the time since the previous sample (for
//	         the very first sample, since begin's t). A sample stands for dtUs
//	         of wall time (its weight); its time is the previous sample's plus
//	         dtUs, resynchronised to t at the start of each line.
//	cut      t (Unix µs when the stop signal arrived), at ("init_done"): the
//	         runtime asked for its first event; samples after t are not init.
//	end      t (Unix µs when sampling stopped), stoppedBy ("init_done",
//	         "invoke_end", "timeout", "exit", "error"), samples (how many were
//	         taken), dropped (how many were not written: the line bound was
//	         hit), msg (only with "error": what failed, never an environment
//	         value)
//
// Frames and stacks are written before the first sample that uses them.
// Every line is at most MaxLine bytes, newline included, so one write(2) to
// a pipe is atomic and no log system splits it; a writer splits long arrays
// across lines. A cold start writes at most MaxLinesPerColdStart lines; a
// writer that reaches the bound stops sampling and writes end with dropped.
// Unknown keys are ignored so newer writers stay readable.
//
// Example (one cold start, 5 ms interval):
//
//	coldprof-sampler: {"v":1,"ev":"begin","pid":8,"t":1764876543210000,"lang":"python","intervalUs":5000}
//	coldprof-sampler: {"v":1,"ev":"frames","pid":8,"first":0,"frames":[["<module>","/var/task/app.py",1],["load_config","/var/task/app.py",12]]}
//	coldprof-sampler: {"v":1,"ev":"stacks","pid":8,"first":0,"stacks":[[-1,0],[0,1]]}
//	coldprof-sampler: {"v":1,"ev":"samples","pid":8,"t":1764876543215100,"s":[[0,5100],[1,5020],[1,4990]]}
//	coldprof-sampler: {"v":1,"ev":"cut","pid":8,"t":1764876543226000,"at":"init_done"}
//	coldprof-sampler: {"v":1,"ev":"end","pid":8,"t":1764876543226000,"stoppedBy":"init_done","samples":3,"dropped":0}
package sampleline

// Version is the grammar version written in every line's "v" key.
const Version = 1

// Prefix starts every sampler line.
const Prefix = "coldprof-sampler: "

// MaxLine bounds one line, newline included: below PIPE_BUF (4096 on
// Linux), so a single write of a line is never interleaved with others.
const MaxLine = 4000

// MaxLinesPerColdStart bounds the lines one cold start writes (about 1 MB).
const MaxLinesPerColdStart = 256
