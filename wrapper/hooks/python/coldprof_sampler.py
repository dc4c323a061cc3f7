"""coldprof's wall-clock init sampler for CPython 3.8+ (started by sitecustomize.py).

A thread started with _thread (so threading.enumerate() and the function's
imports stay as without it) wakes every COLDPROF_SAMPLER_INTERVAL_US, or when
the proxy writes to the stop pipe COLDPROF_SAMPLER_FD, and records the main
thread's stack from sys._current_frames(). Each sample weighs the wall time
since the previous one: the thread gets the GIL only at the switch interval
while the main thread runs Python code, so counting samples would be biased.

Nothing is written during init. At the proxy's "init_done <unixUs>" the thread
writes everything up to then and a cut line, keeps sampling the first
invocation until "invoke_end <unixUs>", then writes the rest and an end line
and exits (COLDPROF_SAMPLER_INVOKE=off: end at the cut). Without a pipe, or
once the proxy closed it early, it stops 10 s after it began ("timeout") or
when the process exits ("exit"). Lines follow wrapper/sampleline/doc.go, each
at most MAX_LINE bytes and one os.write(2), at most MAX_LINES per process. Any
error inside ends sampling with one "error" end line; the function never sees it.
"""

import _signal
import _thread
import atexit
import os
import select
import sys
import time

MAX_LINE = 4000  # sampleline.MaxLine
MAX_LINES = 256  # sampleline.MaxLinesPerColdStart
PREFIX = "coldprof-sampler: "
TIMEOUT_US = 10000000
MAX_STR = 1200  # a frame's function or file, encoded: three fit in a line
YIELD_EVERY = 2000  # frames encoded between two short sleeps at the flush (about 0.5 ms of work)
MAX_STACKS = 100000  # distinct stacks kept before encoding (far beyond what the lines can hold)

_state = {"child": False}


def start(conf):
    """Start sampling this process; conf holds the COLDPROF_SAMPLER_* variables."""
    pid = os.getpid()
    fd = None
    try:
        fd = int(conf.get("COLDPROF_SAMPLER_FD", ""))
        os.set_inheritable(fd, False)
    except (ValueError, OSError):
        fd = None  # no pipe (proxy off) or a bad one: stop by time or at exit
    try:
        interval = int(conf["COLDPROF_SAMPLER_INTERVAL_US"])
    except ValueError:
        interval = 0
    invoke = conf.get("COLDPROF_SAMPLER_INVOKE", "on").lower() not in ("off", "0", "false")
    if sys.version_info < (3, 8):
        _notice(pid, interval, "Python %d.%d is not supported by the sampler (3.8+)" % sys.version_info[:2])
        return
    s = _Sampler(pid, interval, fd, invoke)
    if not 100 <= interval <= 1000000:
        s.fail("COLDPROF_SAMPLER_INTERVAL_US is not an interval in microseconds between 100 and 1000000")
    else:
        try:
            os.register_at_fork(after_in_child=_forked)
            atexit.register(s.at_exit)
            _thread.start_new_thread(s.run, ())
        except Exception as e:
            s.fail(_describe(e))


def _notice(pid, interval, msg):
    """Writes begin and an error end at once: this Python cannot be sampled."""
    t = int(time.time() * 1000000)
    head = PREFIX + '{"v":1,"ev":"%s","pid":' + str(pid)
    text = (head % "begin") + ',"t":%d,"lang":"python","intervalUs":%d}\n' % (t, interval)
    text += (head % "end") + ',"t":%d,"stoppedBy":"error","samples":0,"dropped":0,"msg":%s}\n' % (t, _json_str(msg))
    try:
        os.write(2, text.encode("ascii"))
    except OSError:
        pass


def _forked():
    _state["child"] = True  # a forked child stays silent: its parent samples


def _describe(e):
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = " (coldprof_sampler.py:%d)" % tb.tb_lineno if tb is not None else ""
    return (type(e).__name__ + ": " + str(e))[:300] + where


_HAS_ISASCII = hasattr(str, "isascii")  # 3.7+: the version notice must work on 3.6


def _json_str(s, limit=MAX_STR):
    """s as an ASCII JSON string of at most limit bytes (cut with "...")."""
    if _HAS_ISASCII and len(s) + 2 <= limit and s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
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


class _Sampler:
    def __init__(self, pid, interval, fd, invoke):
        self.pid = pid
        self.interval = interval
        self.fd = fd
        self.invoke = invoke
        self.main = _thread.get_ident()
        self.lock = _thread.allocate_lock()
        self.mono0 = time.monotonic_ns()
        self.begin = time.time_ns() // 1000
        self.last = self.begin  # time of the last sample recorded
        self.head = '{"v":1,"ev":"%s","pid":' + str(pid)
        # While sampling, a stack is only a tuple of id(code), leaf first,
        # interned in keys; frames and stacks are encoded at the flush.
        self.raw = []  # (t, key) of the samples not encoded yet
        self.keys = {}  # key -> the same tuple (one object per stack)
        self.codes = {}  # id(code) -> code, kept alive so that no id is reused
        self.prev_stack = None  # key of the last sample
        self.enc_last = self.begin  # time of the last sample encoded
        self.prev_enc = None  # its key
        self.enc = {}  # key -> stack ID
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
        self.taken = 0  # samples taken
        self.stored = 0  # samples encoded for writing
        self.flushed = 0  # samples written
        self.full = False  # the line bound is reached: samples are no longer stored
        self.written = 0  # lines written
        self.begun = False
        self.cut = None
        self.done = False
        self.pending = b""

    def now(self):
        return self.begin + (time.monotonic_ns() - self.mono0) // 1000

    def line(self, kind, rest):
        return PREFIX + (self.head % kind) + rest + "}\n"

    # Sampling.

    def run(self):
        try:
            _signal.pthread_sigmask(_signal.SIG_BLOCK, _signal.valid_signals())
            self.loop()
        except BaseException as e:  # noqa: B036 (the thread must end quietly)
            if not self.done and not _state["child"]:
                self.fail(_describe(e))

    def loop(self):
        poller = select.poll()
        if self.fd is not None:
            poller.register(self.fd, select.POLLIN)
        wait_ms = max(1, self.interval // 1000) if self.interval >= 1000 else self.interval / 1000.0
        while True:
            ready = poller.poll(None if self.full and self.fd is not None else wait_ms)
            with self.lock:
                if self.done or _state["child"]:
                    return
                if self.step(self.now(), bool(ready), poller):
                    return

    def step(self, now, ready, poller, at_exit=False):
        """One wake-up: reads the proxy's events, samples; True when sampling
        ended. At exit the main thread runs this: the last stack seen stands
        for the time since."""
        if self.full:  # count the samples not taken while idle
            self.taken += max(1, (now - self.last) // self.interval)
            self.last = now
        events = self.read_pipe(poller) if ready else []
        for kind, t in events:
            t = now if t is None else t
            if kind == "init_done" and self.cut is None:
                # The time up to the cut is the last stack seen: by now the
                # main thread may already run the handler. A sample taken
                # after the cut, before the pipe was read, is taken back.
                self.trim(t)
                self.record(t, self.prev_stack)
                self.cut = t
                if not self.invoke:
                    self.finish(t, "init_done")
                    return True
            elif kind == "invoke_end":
                self.trim(t)
                self.record(t, self.prev_stack)
                self.finish(t, "invoke_end")
                return True
        self.record(now, self.prev_stack if at_exit else None)
        if self.cut is not None and not self.begun:
            self.flush(cut=True)
        if self.fd is None and now - self.begin >= TIMEOUT_US:
            self.finish(now, "timeout")
            return True
        return False

    def read_pipe(self, poller):
        """Reads the proxy's lines; at end of file the pipe is dropped."""
        events = []
        try:
            data = os.read(self.fd, 4096)
        except BlockingIOError:
            return events
        except OSError:
            data = b""
        if not data:
            poller.unregister(self.fd)
            self.fd = None  # the proxy is gone: stop by time or at exit
        data = self.pending + data
        lines = data.split(b"\n")
        self.pending = lines.pop()[-100:]
        for ln in lines:
            parts = ln.split()
            if len(parts) == 2 and parts[0] in (b"init_done", b"invoke_end"):
                try:
                    t = int(parts[1])
                except ValueError:
                    t = None
                events.append((parts[0].decode(), t))
        return events

    def record(self, t, stack=None):
        """Samples the main thread's stack (or repeats stack) as of time t,
        weighing the time since the last sample."""
        if t <= self.last:
            return
        self.taken += 1
        if self.full:
            return
        if stack is None:
            stack = self.sample()
            if stack is None:
                return
        self.raw.append((t, stack))
        self.last = t
        self.prev_stack = stack

    def trim(self, t):
        """Takes back the samples after t (taken before the stop was seen)."""
        raw = self.raw
        while raw and raw[-1][0] > t:
            raw.pop()
            self.taken -= 1
        self.last, self.prev_stack = raw[-1] if raw else (self.enc_last, self.prev_enc)

    def sample(self):
        """The main thread's stack as an interned tuple of code IDs, leaf
        first; None when the bound on distinct stacks is reached. The hot
        path: no strings, no new objects for a stack seen before."""
        frame = sys._current_frames().get(self.main)
        codes = []
        append = codes.append
        while frame is not None:
            append(frame.f_code)
            frame = frame.f_back
        key = tuple(map(id, codes))
        known = self.keys.get(key)
        if known is not None:
            return known
        if len(self.keys) >= MAX_STACKS:
            self.full = True
            return None
        seen = self.codes
        for code in codes:
            seen[id(code)] = code
        self.keys[key] = key
        return key

    def encode(self):
        """Turns the samples taken so far into frames, stacks and samples
        items, within the line bound."""
        raw, self.raw = self.raw, []
        enc = self.enc
        pause = _thread.get_ident() != self.main  # never on the main thread (at exit)
        work = 0
        for t, key in raw:
            if self.full:
                break
            if pause:
                work += 1 if key in enc else len(key)
                if work >= YIELD_EVERY:
                    # At the cut the main thread is starting the first
                    # invocation: give it the GIL now and then rather than
                    # hold it for the whole encoding.
                    work = 0
                    time.sleep(0.0001)
            sid = enc.get(key)
            if sid is None:
                sid = self.stack_id(key)
                if sid is None:
                    self.full = True
                    break
                enc[key] = sid
            if not self.room(self.samples, "[%d,%d]" % (sid, t - self.enc_last), '"t":%d,"s":[' % t):
                break
            self.enc_last = t
            self.prev_enc = key
            self.stored += 1

    def stack_id(self, key):
        """The stack ID of key, writing its new frames and stacks; None
        when the line bound is reached. Consecutive stacks mostly share
        their root side: the path of the previous one is reused as far as
        the two agree."""
        if not key:
            key = (0,)  # the main thread has no Python frame
        prev, path = self.path_key, self.path
        n, m = len(key), len(prev)
        common = 0
        while common < n and common < m and key[n - 1 - common] == prev[m - 1 - common]:
            common += 1
        del path[common:]
        sid = path[-1] if path else -1
        self.path_key, self.path = (), []  # until this key's path is complete
        fids = self.fids
        codes = self.codes
        stack_ids = self.stack_ids
        stacks = self.stacks
        for cid in reversed(key[: n - common]):
            fid = fids.get(cid)
            if fid is None:
                if cid == 0:
                    fid = self.frame_id("(no Python frame)", "", 0)
                else:
                    code = codes[cid]
                    fid = self.frame_id(getattr(code, "co_qualname", code.co_name), code.co_filename, code.co_firstlineno)
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
        if not lines.fits(item):
            used = self.written + self.frames.lines() + self.stacks.lines() + self.samples.lines()
            # begin, cut and end still to come
            if self.full or used + 1 + (0 if self.begun else 1) + (2 if self.cut is None else 1) > MAX_LINES:
                self.full = True
                return False
            lines.open(PREFIX + (self.head % lines.kind) + "," + head)
        lines.add(item)
        return True

    # Writing.

    def write(self, text):
        for tries in range(50):
            try:
                os.write(2, text.encode("ascii"))
                return
            except BlockingIOError:
                time.sleep(0.001)
            except OSError:
                return  # stderr gone: the line is lost, the function goes on

    def flush(self, cut=False):
        out = []
        if not self.begun:
            self.begun = True
            out.append(self.line("begin", ',"t":%d,"lang":"python","intervalUs":%d' % (self.begin, self.interval)))
        self.encode()
        out += self.frames.take() + self.stacks.take() + self.samples.take()
        if cut:
            out.append(self.line("cut", ',"t":%d,"at":"init_done"' % self.cut))
        self.written += len(out)
        self.flushed = self.stored
        for text in out:
            self.write(text)

    def finish(self, t, stopped_by, msg=None):
        if self.cut is not None and not self.begun:
            self.flush(cut=True)
        self.flush()
        self.done = True
        rest = ',"t":%d,"stoppedBy":"%s","samples":%d,"dropped":%d' % (t, stopped_by, self.taken, self.taken - self.stored)
        if msg:
            rest += ',"msg":' + _json_str(msg, 600)
        self.write(self.line("end", rest))
        self.codes = self.keys = self.enc = self.fids = self.frame_ids = self.stack_ids = self.files = self.raw = None

    def at_exit(self):
        if _state["child"] or self.done:
            return
        if not self.lock.acquire(timeout=1.0):
            return
        try:
            if not self.done:
                # The proxy's last event may be in the pipe still.
                poller = select.poll()
                if self.fd is not None:
                    poller.register(self.fd, select.POLLIN)
                if not self.step(self.now(), bool(poller.poll(0)), poller, True) and not self.done:
                    self.finish(self.now(), "exit")
        except Exception as e:
            self.fail(_describe(e))
        finally:
            self.lock.release()

    def fail(self, msg):
        """Ends sampling with one error line (and begin, if not written yet)."""
        self.done = True
        if not self.begun:
            self.begun = True
            self.write(self.line("begin", ',"t":%d,"lang":"python","intervalUs":%d' % (self.begin, self.interval)))
        rest = ',"t":%d,"stoppedBy":"error","samples":%d,"dropped":%d,"msg":%s' % (
            self.now(), self.taken, self.taken - self.flushed, _json_str(msg, 600))
        self.write(self.line("end", rest))
