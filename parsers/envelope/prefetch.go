package envelope

import (
	"errors"
	"sync"
)

// WithPrefetch decodes on a goroutine of its own, a few batches ahead of
// the caller, so decoding and the caller's parsing use two cores.
// Records and warnings reach the caller in the same order and on the
// caller's goroutine (the warn hook is never called concurrently). A caller
// that stops before io.EOF should call Close (the Decoder is an io.Closer)
// to end the goroutine.
func WithPrefetch() Option {
	return func(o *options) { o.prefetch = true }
}

// WithPrefetchFor is WithPrefetch for the formats (the sniffed one, with
// FormatAuto) for which want returns true: decoding some shapes costs
// more than parsing them, and others less.
func WithPrefetchFor(want func(Format) bool) Option {
	return func(o *options) { o.prefetchFor = want }
}

// prefetchBatch bounds a batch by records and by bytes of text.
const (
	prefetchRecords = 512
	prefetchBytes   = 256 << 10
	prefetchDepth   = 4 // batches decoded ahead
)

type batch struct {
	recs     []Record
	text     []byte
	warnings []batchWarning
	err      error // the error that ended the input, after recs
}

// batchWarning is a warning raised before record number at of its batch.
type batchWarning struct {
	at    int
	where string
	msg   string
}

type prefetcher struct {
	full  chan *batch
	free  chan *batch
	stop  chan struct{}
	once  sync.Once
	warn  func(where, msg string)
	cur   *batch
	pos   int
	wpos  int
	err   error
	build *batch         // producer side: the batch being filled
	early []batchWarning // warnings raised before the first batch (by Open)
}

// newPrefetcher starts decoding src on a goroutine. src must have been
// built with p.producerWarn as its warn hook.
func newPrefetcher(warn func(where, msg string)) *prefetcher {
	p := &prefetcher{
		full: make(chan *batch, prefetchDepth),
		free: make(chan *batch, prefetchDepth+2),
		stop: make(chan struct{}),
		warn: warn,
	}
	for range prefetchDepth + 2 {
		p.free <- &batch{}
	}
	return p
}

// producerWarn records a warning in the batch being filled, at the
// position of the next record.
func (p *prefetcher) producerWarn(where, msg string) {
	if p.build == nil {
		p.early = append(p.early, batchWarning{where: where, msg: msg})
		return
	}
	p.build.warnings = append(p.build.warnings, batchWarning{at: len(p.build.recs), where: where, msg: msg})
}

// run decodes src into batches until its end or Close.
func (p *prefetcher) run(src Decoder) {
	defer close(p.full)
	for {
		var b *batch
		select {
		case b = <-p.free:
		case <-p.stop:
			return
		}
		b.recs, b.text, b.warnings, b.err = b.recs[:0], b.text[:0], b.warnings[:0], nil
		p.build = b
		b.warnings = append(b.warnings, p.early...)
		p.early = nil
		for len(b.recs) < prefetchRecords && len(b.text) < prefetchBytes {
			rec, err := src.Next()
			if err != nil {
				b.err = err
				break
			}
			// Keep the text's offset; slices are made once the batch is
			// complete, as b.text may move while it grows.
			start := len(b.text)
			b.text = append(b.text, rec.Text...)
			rec.Text = b.text[start:len(b.text):len(b.text)]
			b.recs = append(b.recs, rec)
		}
		// Re-slice texts now that b.text no longer grows.
		off := 0
		for i := range b.recs {
			n := len(b.recs[i].Text)
			b.recs[i].Text = b.text[off : off+n : off+n]
			off += n
		}
		select {
		case p.full <- b:
		case <-p.stop:
			return
		}
		if b.err != nil {
			return
		}
	}
}

// Next returns the next record.
func (p *prefetcher) Next() (Record, error) {
	rec, err := p.NextRecord()
	if err != nil {
		return Record{}, err
	}
	return *rec, nil
}

// NextRecord returns the next record in place (see RecordDecoder).
func (p *prefetcher) NextRecord() (*Record, error) {
	for {
		if p.cur != nil {
			if p.wpos < len(p.cur.warnings) && p.cur.warnings[p.wpos].at <= p.pos {
				w := p.cur.warnings[p.wpos]
				p.wpos++
				if p.warn != nil {
					p.warn(w.where, w.msg)
				}
				continue
			}
			if p.pos < len(p.cur.recs) {
				p.pos++
				return &p.cur.recs[p.pos-1], nil
			}
			if p.cur.err != nil {
				p.err = p.cur.err
			}
			p.free <- p.cur
			p.cur = nil
		}
		if p.err != nil {
			return nil, p.err
		}
		b, ok := <-p.full
		if !ok {
			return nil, errors.New("envelope: Next after Close")
		}
		p.cur, p.pos, p.wpos = b, 0, 0
	}
}

// Close ends the decoding goroutine. It is safe to call more than once.
func (p *prefetcher) Close() error {
	p.once.Do(func() { close(p.stop) })
	return nil
}
