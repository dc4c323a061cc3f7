"""The Python sampler's encoder: turns the samples coldprof_sampler.py took
into the lines wrapper/sampleline/doc.go defines, and writes them.

coldprof_sampler.py compiles this file when it first writes (at the cut, from
its own thread; at exit or on a timeout, whichever thread ends sampling), so
its compilation is not on the init path. Each line is at most MAX_LINE bytes
and one os.write(2); at most MAX_LINES per process.
"""

import _thread
import time

MAX_LINE = 4000  # sampleline.MaxLine
MAX_LINES = 256  # sampleline.MaxLinesPerColdStart
PREFIX = "coldprof-sampler: "
MAX_STR = 1200  # a frame's function or file, encoded: three fit in a line
YIELD_EVERY = 2000  # frames encoded between two short sleeps (about 0.5 ms of work)


def _json_str(s, limit=MAX_STR):
    """s as an ASCII JSON string of at most limit bytes (cut with "...")."""
    if len(s) + 2 <= limit and s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return '"' + s + '"'  # the common case: nothing to escape
    out = s.translate(_ESCAPES)
    try:
        out.encode("ascii")
    except UnicodeEncodeError:
        out = "".join(c if c < "\x7f" else _u_escape(c) for c in out)
    if len(out) + 2 > limit:
        cut = out[: limit - 6]
        bs = cut.rfind("\\", max(0, len(cut) - 11))  # never split an escape
        if bs >= 0:
            cut = cut[:bs]
        out = cut + "..."
    return '"' + out + '"'


def _u_escape(c):
    n = ord(c)
    if n >= 0x10000:
        n -= 0x10000
        return "\\u%04x\\u%04x" % (0xD800 + (n >> 10), 0xDC00 + (n & 0x3FF))
    return "\\u%04x" % n


_ESCAPES = {i: "\\u%04x" % i for i in range(0x20)}
_ESCAPES.update({ord('"'): '\\"', ord("\\"): "\\\\", 0x7F: "\\u007f"})


class _Lines:
    """Items of one event kind, packed into lines of at most MAX_LINE bytes."""

    def __init__(self, kind):
        self.kind = kind
        self.done = []  # finished lines, newline included
        self.head = ""
        self.items = []
        self.size = 0

    def fits(self, item):
        return self.items and self.size + 1 + len(item) + 3 <= MAX_LINE

    def open(self, head):
        if self.items:
            self.done.append(self.head + ",".join(self.items) + "]}\n")
        self.head = head
        self.items = []
        self.size = len(head)

    def add(self, item):
        self.items.append(item)
        self.size += len(item) + (1 if len(self.items) > 1 else 0)

    def lines(self):
        return len(self.done) + (1 if self.items else 0)

    def take(self):
        self.open("")
        out, self.done = self.done, []
        return out


class Encoder:
    """Encodes and writes the samples of s (a coldprof_sampler._Sampler),
    whose lock the caller holds."""

    def __init__(self, s):
        self.s = s
        self.enc = {}  # stack as a tuple of id(code) -> stack ID
        self.codes = {}  # id(code) -> code, kept alive so that no id is reused
        self.fids = {}  # id(code) -> frame ID
        self.frame_ids = {}  # (function, file, line) -> frame ID
        self.stack_ids = {}  # (parent stack ID + 1) << 32 | frame ID -> stack ID
        self.nstacks = 0
        self.path_key = ()  # the last stack encoded, and its stack IDs root first
        self.path = []
        self.files = {}  # file name -> encoded JSON string
        self.frames = _Lines("frames")
        self.stacks = _Lines("stacks")
        self.samples = _Lines("samples")
        self.bound = False  # the line bound is reached: nothing more is stored

    def encode(self):
        """Turns the samples taken so far into frames, stacks and samples
        items, within the line bound."""
        s = self.s
        raw, s.raw = s.raw, []
        enc = self.enc
        pause = _thread.get_ident() != s.main  # never on the main thread (at exit)
        work = 0
        for t, stack in raw:
            if self.bound:
                break
            key = tuple(map(id, stack)) if stack else (0,)
            sid = enc.get(key)
            if pause:
                work += 1 if sid is not None else len(key)
                if work >= YIELD_EVERY:
                    # At the cut the main thread is starting the first
                    # invocation: give it the GIL now and then rather than
                    # hold it for the whole encoding.
                    work = 0
                    time.sleep(0.0001)
            if sid is None:
                sid = self.stack_id(key, stack)
                if sid is None:
                    break
                enc[key] = sid
            if not self.room(self.samples, "[%d,%d]" % (sid, t - s.enc_last), '"t":%d,"s":[' % t):
                break
            s.enc_last = t
            s.prev_enc = stack
            s.stored += 1

    def stack_id(self, key, stack):
        """The stack ID of key (stack's code objects as ids), writing its new
        frames and stacks; None when the line bound is reached. Consecutive
        stacks mostly share their root side: the path of the previous one is
        reused as far as the two agree."""
        prev, path = self.path_key, self.path
        n, m = len(key), len(prev)
        common = 0
        while common < n and common < m and key[n - 1 - common] == prev[m - 1 - common]:
            common += 1
        del path[common:]
        sid = path[-1] if path else -1
        self.path_key, self.path = (), []  # until this key's path is complete
        fids = self.fids
        stack_ids = self.stack_ids
        stacks = self.stacks
        for i in range(n - common - 1, -1, -1):
            cid = key[i]
            fid = fids.get(cid)
            if fid is None:
                if cid == 0:
                    fid = self.frame_id("(no Python frame)", "", 0)
                else:
                    code = stack[i]
                    fid = self.frame_id(getattr(code, "co_qualname", code.co_name), code.co_filename, code.co_firstlineno)
                    self.codes[cid] = code
                if fid < 0:
                    return None  # no room for it
                fids[cid] = fid
            link = (sid + 1) << 32 | fid  # an int, not a tuple: no work for the garbage collector
            child = stack_ids.get(link)
            if child is None:
                item = "[%d,%d]" % (sid, fid)
                if stacks.items and stacks.size + len(item) + 4 <= MAX_LINE:
                    stacks.items.append(item)  # room()'s common case, inline
                    stacks.size += len(item) + 1
                elif not self.room(stacks, item, '"first":%d,"stacks":[' % self.nstacks):
                    return None
                child = stack_ids[link] = self.nstacks
                self.nstacks += 1
            path.append(child)
            sid = child
        self.path_key, self.path = key, path
        return sid

    def frame_id(self, function, file, line):
        key = (function, file, line)
        fid = self.frame_ids.get(key)
        if fid is None:
            fid = len(self.frame_ids)
            efile = self.files.get(file)
            if efile is None:
                efile = self.files[file] = _json_str(file)
            item = "[%s,%s,%d]" % (_json_str(function), efile, line)
            if not self.room(self.frames, item, '"first":%d,"frames":[' % fid):
                fid = -1  # never used: the sample is not stored
            else:
                self.frame_ids[key] = fid
        return fid

    def room(self, lines, item, head):
        """Adds item to lines, opening a new line when needed and the bound allows."""
        s = self.s
        if not lines.fits(item):
            used = s.written + self.frames.lines() + self.stacks.lines() + self.samples.lines()
            # begin, cut and end still to come
            if self.bound or used + 1 + (0 if s.begun else 1) + (2 if s.cut is None else 1) > MAX_LINES:
                self.bound = s.full = True
                return False
            lines.open(PREFIX + (s.head % lines.kind) + "," + head)
        lines.add(item)
        return True

    def flush(self, cut=False):
        s = self.s
        out = []
        if not s.begun:
            s.begun = True
            out.append(s.line("begin", ',"t":%d,"lang":"python","intervalUs":%d' % (s.begin, s.interval)))
        self.encode()
        out += self.frames.take() + self.stacks.take() + self.samples.take()
        if cut:
            out.append(s.line("cut", ',"t":%d,"at":"init_done"' % s.cut))
        s.written += len(out)
        s.flushed = s.stored
        for text in out:
            s.write(text)

    def end(self, t, stopped_by):
        s = self.s
        rest = ',"t":%d,"stoppedBy":"%s","samples":%d,"dropped":%d' % (t, stopped_by, s.taken, s.taken - s.stored)
        s.write(s.line("end", rest))
