package parsers

import (
	"sync"

	"github.com/coldprof/coldprof/profile"
)

// Recycle hands cs, a cold start this Reader returned, back for its memory
// to be reused: the caller (and anything it gave cs to) must no longer use
// cs, its imports or their Children slices, since the Reader will overwrite
// them with later cold starts. It does nothing unless Options.Recycle is
// set, or when cs did not come from this Reader. It may be called from
// another goroutine than Next's.
//
// A report over hundreds of cold starts would otherwise allocate every
// import anew (80 % of what coldprof report allocated, and most of its
// garbage-collection work); with recycling, the import blocks of the few
// cold starts in flight are reused (parsers/BENCHMARKS.md).
func (r *Reader) Recycle(cs *profile.ColdStart) {
	if r.pool != nil && cs != nil {
		r.pool.recycle(cs)
	}
}

// Bounds of a blockPool: how many cold starts it remembers as lent (a
// caller that does not hand some back only loses their reuse), and how
// many free imports and child pointers it keeps (4 MB and 1 MB: the cold
// starts of a few streams in flight; a very large cold start does not stay
// in memory after it).
const (
	maxLent        = 64
	maxFreeImports = 1 << 15
	maxFreePtrs    = 1 << 17
)

// A blockPool keeps, for a Reader whose caller recycles, the blocks of the
// cold starts handed out until they come back, and the blocks that came
// back until an allocator takes them.
type blockPool struct {
	mu      sync.Mutex
	lent    []lentBlocks // oldest first
	imports [][]profile.Import
	ptrs    [][]*profile.Import
	// freeImports and freePtrs count what imports and ptrs hold.
	freeImports, freePtrs int
}

// lentBlocks are the blocks of one cold start handed to the caller.
type lentBlocks struct {
	cs      *profile.ColdStart
	imports [][]profile.Import
	ptrs    [][]*profile.Import
}

// lend remembers a's blocks as cs's.
func (p *blockPool) lend(cs *profile.ColdStart, a *allocator) {
	if len(a.importBlocks) == 0 && len(a.ptrBlocks) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.lent) >= maxLent {
		n := copy(p.lent, p.lent[1:])
		p.lent[n] = lentBlocks{}
		p.lent = p.lent[:n]
	}
	p.lent = append(p.lent, lentBlocks{cs: cs, imports: a.importBlocks, ptrs: a.ptrBlocks})
	a.importBlocks, a.ptrBlocks = nil, nil
}

// recycle takes cs's blocks back, zeroed, as free blocks.
func (p *blockPool) recycle(cs *profile.ColdStart) {
	p.mu.Lock()
	var back lentBlocks
	for i, l := range p.lent {
		if l.cs == cs {
			back = l
			n := copy(p.lent[i:], p.lent[i+1:])
			p.lent[i+n] = lentBlocks{}
			p.lent = p.lent[:i+n]
			break
		}
	}
	p.mu.Unlock()
	if back.cs == nil {
		return
	}
	// Zeroed outside the lock, so Next does not wait for it.
	for _, b := range back.imports {
		clear(b)
	}
	for _, b := range back.ptrs {
		clear(b)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range back.imports {
		if p.freeImports+len(b) <= maxFreeImports {
			p.imports = append(p.imports, b)
			p.freeImports += len(b)
		}
	}
	for _, b := range back.ptrs {
		if p.freePtrs+len(b) <= maxFreePtrs {
			p.ptrs = append(p.ptrs, b)
			p.freePtrs += len(b)
		}
	}
}

// importBlock returns a free zeroed block of imports, or nil.
func (p *blockPool) importBlock() []profile.Import {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.imports)
	if n == 0 {
		return nil
	}
	b := p.imports[n-1]
	p.imports[n-1] = nil
	p.imports = p.imports[:n-1]
	p.freeImports -= len(b)
	return b
}

// ptrBlock returns a free zeroed block of at least n pointers, or nil.
func (p *blockPool) ptrBlock(n int) []*profile.Import {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.ptrs) - 1; i >= 0; i-- {
		if b := p.ptrs[i]; len(b) >= n {
			last := len(p.ptrs) - 1
			p.ptrs[i] = p.ptrs[last]
			p.ptrs[last] = nil
			p.ptrs = p.ptrs[:last]
			p.freePtrs -= len(b)
			return b
		}
	}
	return nil
}
