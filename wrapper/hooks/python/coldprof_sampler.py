"""coldprof's wall-clock init sampler for CPython 3.8+ (started by sitecustomize.py).

A thread started with _thread (so threading.enumerate() and the function's
imports stay as without it) wakes every COLDPROF_SAMPLER_INTERVAL_US, or when
the proxy writes to the stop pipe COLDPROF_SAMPLER_FD, and records the main
thread's stack from sys._current_frames(). Each sample weighs the wall time
since the previous one: the thread gets the GIL only at the switch interval
while the main thread runs Python code, so counting samples would be biased.

With COLDPROF_SAMPLER_TICK=signal (coldprof-wrapper sets it only with a
pipe: then the proxy sends this process SIGURG every interval until init is
over), start(), when it runs in the main thread and SIGURG has no handler,
installs one (SA_RESTART) that records the stack of the frame it is handed,
in the main thread: no thread wakes and no GIL changes hands per sample. The
thread then only waits for the pipe until the cut, waking every WATCH_MS to
check that the ticks still come and the handler is still ours (if not, or
when the proxy writes "tick_off <unixUs>" because it cannot tick or stopped
before init's end, it samples on its interval from then on, as without
ticks); from the cut it samples on its interval. The handler never waits (it takes no lock: the
thread moves its samples in), never nests, never raises an error of its own
(it ends sampling with an "error" end line, written by the thread; what a
signal handler of the function's run inside it raises goes on to the
function) and does nothing once the cut is reached; a forked child puts
SIGURG back to SIG_DFL, and so does the handler once the function has set
a signal wakeup fd (asyncio's add_signal_handler: each SIGURG caught would
write a byte to it, and a full one loses the function's own signals). Anything else, or any error installing it: sampling
by the thread alone.

Nothing is written during init. At the proxy's "init_done <unixUs>" the thread
writes everything up to then and a cut line, keeps sampling the first
invocation until "invoke_end <unixUs>", then writes the rest and an end line
and exits (COLDPROF_SAMPLER_INVOKE=off: end at the cut). Without a pipe, or
once the proxy closed it early, it stops 10 s after it began ("timeout") or
when the process exits ("exit"). Any error inside ends sampling with one
"error" end line; the function never sees it.

This file is loaded in the main thread before the function starts, from
the byte code the hook folder ships (__pycache__, checked against the
source's hash) or, for a Python without it, compiled from source (a layer is
read-only: no .pyc is written), so it holds only what runs during init. The
encoder (coldprof_sampler_lines.py, beside it: lines as
wrapper/sampleline/doc.go defines them) is loaded by the sampler thread
when it first writes, at the cut.
"""

import _signal
import _thread
import atexit
import os
import select
import sys
import time

PREFIX = "coldprof-sampler: "
TIMEOUT_US = 10000000
MAX_RAW = 100000  # samples kept before encoding (far beyond what the lines can hold)
FULL_WAIT_MS = 100  # the thread's wake-up once MAX_RAW is reached (the pipe ends it)
JOIN_S = 1.0  # at_exit's bound on each wait for the thread, beyond its wake-up
WATCH_MS = 200  # while ticked: the thread's check that ticks still come
ENCODER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "coldprof_sampler_lines.py")

# "tick": the SIGURG handler while installed; "wake": the pipe at_exit wakes
# the ticked thread with (closed under the sampler's lock when it ends).
# "probe": the pipe the handler looks for a wakeup fd with (main thread only).
_state = {"child": False, "fd": None, "tick": None, "wake": None, "probe": None}
# The SIGURG handler's clock, taken before the function runs: a function that
# replaces time.monotonic_ns does not break the handler (3.6 has none: it
# only says it is not supported).
_monotonic_ns = getattr(time, "monotonic_ns", None)


def start(conf):
    """Start sampling this process; conf holds the COLDPROF_SAMPLER_* variables."""
    try:
        fd = int(conf.get("COLDPROF_SAMPLER_FD", ""))
        os.set_inheritable(fd, False)
        _state["fd"] = fd
    except (ValueError, OSError):
        fd = None  # no pipe (proxy off) or a bad one: stop by time or at exit
    try:
        interval = int(conf["COLDPROF_SAMPLER_INTERVAL_US"])
    except ValueError:
        interval = 0
    invoke = conf.get("COLDPROF_SAMPLER_INVOKE", "on").lower() not in ("off", "0", "false")
    if sys.version_info < (3, 8):
        _close_fd()
        _notice(os.getpid(), interval, "Python %d.%d is not supported by the sampler (3.8+)" % sys.version_info[:2])
        return
    s = _Sampler(os.getpid(), interval, fd, invoke)
    if not 100 <= interval <= 1000000:
        s.fail("COLDPROF_SAMPLER_INTERVAL_US is not an interval in microseconds between 100 and 1000000")
    else:
        try:
            os.register_at_fork(after_in_child=_forked)
            atexit.register(s.at_exit)
            s.lock.acquire()  # until the thread runs: at_exit waits for that
            try:
                if fd is not None and conf.get("COLDPROF_SAMPLER_TICK") == "signal":
                    s.ticked()
                if hasattr(_thread, "start_joinable_thread"):  # 3.13+
                    s.handle = _thread.start_joinable_thread(s.run, daemon=True)
                else:
                    _thread.start_new_thread(s.run, ())
            except BaseException:
                s.untick()
                s.lock.release()
                raise
        except Exception as e:
            s.fail(_describe(e))


def _notice(pid, interval, msg):
    """Writes begin and an error end at once: this Python cannot be sampled."""
    t = int(time.time() * 1000000)
    head = PREFIX + '{"v":1,"ev":"%s","pid":' + str(pid)
    text = (head % "begin") + ',"t":%d,"lang":"python","intervalUs":%d}\n' % (t, interval)
    text += (head % "end") + ',"t":%d,"stoppedBy":"error","samples":0,"dropped":0,"msg":%s}\n' % (t, _json_msg(msg))
    try:
        os.write(2, text.encode("ascii"))
    except OSError:
        pass


def _close_fd():
    """Closes the stop pipe once; forgotten before it is closed, so that a
    fork at that moment never closes a descriptor reused since. Taken by
    dict.pop, one step under the GIL: the sampler thread (fail) and the
    main thread (at exit) closing at once never both get the number."""
    fd = _state.pop("fd", None)
    if fd is not None:
        try:
            os.close(fd)
        except OSError:
            pass


def _forked():
    _state["child"] = True  # a forked child stays silent: its parent samples
    _close_fd()
    _untick()  # the child's SIGURG as without the sampler


def _untick():
    """SIGURG back to SIG_DFL if the handler is still ours; the wake and
    probe pipes closed (once: taken by dict.pop, as _close_fd)."""
    _restore_sigurg()
    _close_wake()
    _close_probe()


def _restore_sigurg():
    """SIGURG back to SIG_DFL (ignored) if the handler is still ours (once:
    taken by dict.pop); a handler the function installed is left alone."""
    tick = _state.pop("tick", None)
    if tick is not None:
        try:
            if _signal.getsignal(_signal.SIGURG) is tick:
                _signal.signal(_signal.SIGURG, _signal.SIG_DFL)
        except Exception:
            pass  # not the main thread: signal() refuses


def _close_probe():
    """Closes the handler's probe pipe once: in the main thread, or at the
    cut in the sampler's thread when the handler is not running (ticking
    is off by then: a handler that starts later finds no probe)."""
    for pfd in _state.pop("probe", None) or ():
        try:
            os.close(pfd)
        except OSError:
            pass


def _close_wake():
    for wfd in _state.pop("wake", None) or ():
        try:
            os.close(wfd)
        except OSError:
            pass


def _foreign(e):
    """Whether e, raised inside the SIGURG handler, is not the sampler's: not
    an Exception (KeyboardInterrupt, SystemExit: never the sampler's), or
    raised through a Python frame of another file (a signal handler of the
    function's that ran inside ours)."""
    if not isinstance(e, Exception):
        return True
    ours = _foreign.__code__.co_filename
    tb = e.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename != ours:
            return True
        tb = tb.tb_next
    return False


def _describe(e):
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = ""
    if tb is not None:
        where = " (%s:%d)" % (os.path.basename(tb.tb_frame.f_code.co_filename), tb.tb_lineno)
    return (type(e).__name__ + ": " + str(e))[:300] + where


def _json_msg(s, limit=600):
    """s as an ASCII JSON string of at most limit bytes, for error messages
    (the encoder has the general one)."""
    out = []
    n = 5  # quotes and "..."
    for c in s:
        if " " <= c < "\x7f" and c != '"' and c != "\\":
            e = c
        elif c == '"' or c == "\\":
            e = "\\" + c
        else:
            e = "\\u%04x" % ord(c) if ord(c) < 0x10000 else "?"
        n += len(e)
        if n > limit:
            out.append("...")
            break
        out.append(e)
    return '"' + "".join(out) + '"'


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
        # While sampling, a stack is only a tuple of the frames' code
        # objects, leaf first (no strings, no ids, no look-ups); frames and
        # stacks are encoded at the flush.
        self.raw = []  # (t, stack) of the samples not encoded yet
        self.prev_stack = None  # stack of the last sample
        self.enc_last = self.begin  # time of the last sample encoded
        self.prev_enc = None  # its stack
        self.encoder = None  # loaded at the first flush
        self.taken = 0  # samples taken
        self.stored = 0  # samples encoded for writing
        self.flushed = 0  # samples written
        self.full = False  # a bound is reached: samples are no longer stored
        self.written = 0  # lines written
        self.begun = False
        self.cut = None
        self.done = False
        self.pending = b""
        # The thread's end, for at_exit: 3.13's thread handle, or before
        # it the lock CPython releases when the thread state is deleted.
        self.handle = None
        self.sentinel = None
        # Signal ticks (ticked()): the handler installed, the pipe that wakes
        # the thread at exit, the handler's count and its error, if any.
        self.ticking = False
        self.handler = None
        self.wake = None
        self.ticks = 0
        self.ticked_raw = []  # the handler's (t, stack), for merge_ticks
        self.in_tick = False
        self.last_wakeup = -1  # the wakeup fd wakeup_fd_set saw last
        self.tick_error = None
        self.wakeups = 0  # the thread's wake-ups (polls returned)

    def now(self):
        return self.begin + (time.monotonic_ns() - self.mono0) // 1000

    def line(self, kind, rest):
        return PREFIX + (self.head % kind) + rest + "}\n"

    # Sampling from SIGURG ticks.

    def ticked(self):
        """Takes samples from SIGURG ticks in the main thread, if SIGURG has
        no handler; otherwise (or on any error: signal() raises ValueError
        outside the main thread) the thread samples as without ticks."""
        try:
            if _signal.getsignal(_signal.SIGURG) != _signal.SIG_DFL:
                return
            self.wake = _state["wake"] = os.pipe()  # not inherited: close-on-exec
            probe = _state["probe"] = os.pipe()
            for pfd in probe:
                os.set_blocking(pfd, False)  # set_wakeup_fd wants it so
            self.handler = _state["tick"] = self.tick  # one bound method: getsignal returns it
            _signal.signal(_signal.SIGURG, self.handler)
            _signal.siginterrupt(_signal.SIGURG, False)  # SA_RESTART
            self.ticking = True
        except Exception:
            self.untick()

    def untick(self):
        """Undoes ticked() (in the main thread)."""
        self.ticking = False
        self.wake = None
        _untick()

    def tick(self, signum, frame):
        """The SIGURG handler: samples frame's stack, in the main thread.
        It takes no lock (a signal handler that waits, or that a raising
        handler of the function's leaves holding a lock, could stop the
        function): it appends (time, stack) to a list of its own, which the
        thread moves into the samples under its lock (merge_ticks). A flag
        keeps it from nesting; should an exception leave the flag set, the
        ticks stop counting and the thread takes over (watch)."""
        if not self.ticking or self.in_tick:
            if not self.ticking:
                _close_probe()
            return
        self.in_tick = True
        try:
            # Checked again with in_tick set: the thread turns ticking off
            # before it looks at in_tick to close the probe pipe, so either
            # it sees this handler running and leaves the pipe, or this
            # handler sees ticking off here and never touches it.
            if not self.ticking:
                _close_probe()
                return
            if not _state["child"] and self.wakeup_fd_set():
                # Each SIGURG caught writes a byte to the function's wakeup
                # fd: asyncio's socket, once full, loses the function's
                # own signals (and prints an error per tick). SIGURG goes
                # back to SIG_DFL (ignored); the thread samples (watch).
                self.ticking = False
                if _signal.getsignal(_signal.SIGURG) is self.handler:
                    _signal.signal(_signal.SIGURG, _signal.SIG_DFL)
                _close_probe()
            elif not _state["child"]:
                codes = []
                append = codes.append
                while frame is not None:
                    append(frame.f_code)
                    frame = frame.f_back
                ticked = self.ticked_raw
                if len(ticked) < MAX_RAW:
                    ticked.append((self.begin + (_monotonic_ns() - self.mono0) // 1000, tuple(codes)))
                self.ticks += 1
        except BaseException as e:  # noqa: B036
            # CPython runs another signal's handler at any bytecode boundary,
            # ours included: what it raises (the function's alarm, a
            # KeyboardInterrupt, a SystemExit) is the function's and goes on
            # up as it would have without us. Only an error of our own stops
            # the ticks, and the thread reports it: never into the function.
            if _foreign(e):
                raise
            self.ticking = False
            self.tick_error = _describe(e)
        finally:
            self.in_tick = False
            if not self.ticking:  # the thread may have left it to us
                _close_probe()

    def wakeup_fd_set(self):
        """Whether the function has set a signal wakeup fd (asyncio's
        add_signal_handler does). CPython has no getter: the probe pipe is
        swapped in and the fd back; a signal's byte written to the probe
        meanwhile is passed on to it, so none is lost."""
        probe = _state.get("probe")
        if probe is None:
            return False
        other = None
        try:
            other = _signal.set_wakeup_fd(probe[1])
            try:
                _signal.set_wakeup_fd(other)  # back as it was (-1: none)
            except (ValueError, OSError):
                # The function closed its fd without unsetting it: none, as
                # CPython could not write to it either.
                _signal.set_wakeup_fd(-1)
                other = -1
        except BaseException:
            # A function's signal handler raised between the swap and the
            # restore (CPython runs one at any bytecode boundary): the probe
            # must not stay the process's wakeup fd (closed later, every
            # signal would then fail to write to it). Put back what was
            # there: this swap's, else the last one seen.
            try:
                cur = _signal.set_wakeup_fd(-1)
                if cur == probe[1]:
                    cur = self.last_wakeup if other is None else other
                _signal.set_wakeup_fd(cur)
            except Exception:
                pass
            raise
        self.last_wakeup = other
        data = b""
        try:
            while True:
                chunk = os.read(probe[0], 512)
                if not chunk:
                    break
                data += chunk
        except OSError:  # BlockingIOError: emptied
            pass
        if data and other != -1:
            try:
                os.write(other, data)
            except OSError:
                pass
        return other != -1

    def merge_ticks(self):
        """Records the handler's samples (the caller holds the lock); one
        out of order (a nested or preempted handler) is dropped by record."""
        ticked, self.ticked_raw = self.ticked_raw, []
        for t, stack in ticked:
            self.record(t, stack)

    def watch(self, seen):
        """The thread's check while ticked, WATCH_MS after the last: ticks
        must have come since and the handler must still be ours; else sample
        from the thread from now on."""
        try:
            ours = _signal.getsignal(_signal.SIGURG) is self.handler
        except Exception:
            ours = False
        if not ours or self.ticks == seen:
            self.ticking = False

    # Sampling from the thread.

    def run(self):
        try:
            try:
                _signal.pthread_sigmask(_signal.SIG_BLOCK, _signal.valid_signals())
                if hasattr(_thread, "_set_sentinel"):  # before 3.13
                    sentinel = _thread._set_sentinel()
                    sentinel.acquire()
                    self.sentinel = sentinel
            finally:
                self.lock.release()  # started: the interpreter may finalize now
            self.loop()
        except BaseException as e:  # noqa: B036 (the thread must end quietly)
            if not self.done and not _state["child"]:
                self.fail(_describe(e))
        finally:
            if self.wake is not None:
                with self.lock:  # at_exit writes to it under the lock
                    _close_wake()

    def loop(self):
        poller = select.poll()
        if self.fd is not None:
            poller.register(self.fd, select.POLLIN)
        wake = self.wake
        if wake is not None:
            poller.register(wake[0], select.POLLIN)
        wait_ms = max(1, self.interval // 1000) if self.interval >= 1000 else self.interval / 1000.0
        seen = -1
        while not self.done:  # at_exit may have ended sampling before the thread ran
            # While ticked only the pipe matters (and the check); past the
            # bound with a pipe too, but wake now and then, so that at_exit
            # does not wait long.
            if self.ticking:
                wait = WATCH_MS
            else:
                wait = FULL_WAIT_MS if self.full and self.fd is not None else wait_ms
            ready = poller.poll(wait)
            self.wakeups += 1
            if self.done:
                return
            if self.tick_error is not None:
                with self.lock:
                    if not self.done:
                        self.fail("in the SIGURG handler: " + self.tick_error)
                return
            if self.ticking and not ready:
                self.watch(seen)
                seen = self.ticks
                if self.ticking:
                    continue
            stop = bool(ready) if wake is None else any(fd == self.fd for fd, _ in ready)
            with self.lock:
                if self.done or _state["child"]:
                    return
                if self.step(self.now(), stop, poller):
                    return
                if self.ticking and self.fd is None:
                    self.ticking = False  # the pipe closed before the cut

    def step(self, now, ready, poller, at_exit=False):
        """One wake-up: reads the proxy's events, samples; True when sampling
        ended. At exit the main thread runs this: the last stack seen stands
        for the time since."""
        if self.ticked_raw:
            self.merge_ticks()
        if self.full:  # count the samples not taken while idle
            self.taken += max(1, (now - self.last) // self.interval)
            self.last = now
        events = self.read_pipe(poller) if ready else ()
        for kind, t in events:
            t = now if t is None else t
            if kind == "init_done" and self.cut is None:
                # The time up to the cut is the last stack seen: by now the
                # main thread may already run the handler. A sample taken
                # after the cut, before the pipe was read, is taken back.
                self.trim(t)
                self.record(t, self.prev_stack)
                self.cut = t
                self.ticking = False  # the proxy has stopped the ticks
                if not self.in_tick:  # else the handler closes it (see tick)
                    _close_probe()
                if not self.invoke:
                    self.finish(t, "init_done")
                    return True
            elif kind == "tick_off" and self.cut is None:
                # The proxy cannot tick, or stopped before init's end: the
                # thread samples from now on (below).
                self.ticking = False
            elif kind == "invoke_end":
                self.trim(t)
                self.record(t, self.prev_stack)
                self.finish(t, "invoke_end")
                return True
        if not self.ticking or at_exit:
            self.record(now, self.prev_stack if at_exit else None)
        if self.cut is not None and not self.begun:
            self.flush(True)
        if self.fd is None and now - self.begin >= TIMEOUT_US:
            self.finish(now, "timeout")
            return True
        return False

    def read_pipe(self, poller):
        """Reads the proxy's lines; at end of file the pipe is closed."""
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
            _close_fd()
        data = self.pending + data
        lines = data.split(b"\n")
        self.pending = lines.pop()[-100:]
        for ln in lines:
            parts = ln.split()
            if len(parts) == 2 and parts[0] in (b"init_done", b"invoke_end", b"tick_off"):
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
            # The hot path: one walk, one tuple. The code objects it holds
            # stay alive until encoded, so their ids stay theirs.
            frame = sys._current_frames().get(self.main)
            codes = []
            append = codes.append
            while frame is not None:
                append(frame.f_code)
                frame = frame.f_back
            stack = tuple(codes)
        raw = self.raw
        raw.append((t, stack))
        if len(raw) >= MAX_RAW:
            self.full = True
        self.last = t
        self.prev_stack = stack

    def trim(self, t):
        """Takes back the samples after t (taken before the stop was seen)."""
        raw = self.raw
        while raw and raw[-1][0] > t:
            raw.pop()
            self.taken -= 1
        self.last, self.prev_stack = raw[-1] if raw else (self.enc_last, self.prev_enc)

    # Writing (coldprof_sampler_lines.py).

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
        if self.encoder is None:
            # This module's own loader: it reads the byte code from
            # __pycache__ when the layer ships it, else compiles the file.
            # Not an import: sys.modules stays as without the sampler.
            try:
                code = type(__loader__)("coldprof_sampler_lines", ENCODER).get_code("coldprof_sampler_lines")
            except Exception:  # loaded some other way: compile the file
                with open(ENCODER, "rb") as f:
                    code = compile(f.read(), ENCODER, "exec")
            scope = {"__name__": "coldprof_sampler_lines", "__file__": ENCODER}
            exec(code, scope)
            self.encoder = scope["Encoder"](self)
            if _thread.get_ident() != self.main:
                time.sleep(0.0001)  # the main thread may want the GIL back now
        self.encoder.flush(cut)

    def finish(self, t, stopped_by):
        self.ticking = False  # the handler: nothing to do from now on
        try:
            if self.cut is not None and not self.begun:
                self.flush(True)
            self.flush()
            self.done = True
            self.encoder.end(t, stopped_by)
            self.encoder = self.raw = self.prev_stack = self.prev_enc = None
        finally:
            self.fd = None
            _close_fd()

    def at_exit(self):
        """Ends sampling ("exit") unless it ended, then waits for the thread
        to end: a thread still alive when the interpreter finalizes can crash
        it (CPython 3.9: a thread not yet started when Py_FinalizeEx frees
        the interpreter state reads it in t_bootstrap and segfaults)."""
        if _state["child"]:
            return
        # Held from start() until the thread runs: it now has its sentinel.
        if not self.lock.acquire(timeout=JOIN_S):
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
            self.done = True  # the thread ends at its next wake-up
            # No handler of ours runs while the interpreter finalizes: ticks
            # still come when a function exits during init. (The wake pipe
            # stays open until the thread is woken below.)
            self.ticking = False
            _restore_sigurg()
            _close_probe()
            wake = _state.get("wake")
            if wake is not None:  # ticked: wake it now
                try:
                    os.write(wake[1], b"x")
                except OSError:
                    pass
            self.lock.release()
        # The thread wakes within one interval (FULL_WAIT_MS past the bound).
        timeout = JOIN_S + max(self.interval / 1000000.0, FULL_WAIT_MS / 1000.0)
        handle, sentinel, self.handle, self.sentinel = self.handle, self.sentinel, None, None  # once
        if handle is not None:
            handle.join(timeout)
        elif sentinel is not None:
            sentinel.acquire(timeout=timeout)

    def fail(self, msg):
        """Ends sampling with one error line (and begin, if not written yet)."""
        self.done = True
        self.ticking = False
        self.fd = None
        _close_fd()
        if not self.begun:
            self.begun = True
            self.write(self.line("begin", ',"t":%d,"lang":"python","intervalUs":%d' % (self.begin, self.interval)))
        try:
            t = self.now()
        except Exception:  # what failed may be the clock itself
            t = self.last
        rest = ',"t":%d,"stoppedBy":"error","samples":%d,"dropped":%d,"msg":%s' % (
            t, self.taken, self.taken - self.flushed, _json_msg(msg))
        self.write(self.line("end", rest))
