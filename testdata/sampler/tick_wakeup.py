"""asyncio's add_signal_handler at module level sets the signal wakeup fd
(sampler_tick_test.go): every signal with a Python handler writes a byte to
its socket, SIGURG too once the sampler handles it. Far more ticks than the
socket holds arrive before the loop runs (here sent by the function itself,
so the count is exact): the loop must still get its SIGTERM, and stderr
must not fill with "Exception ignored when trying to write to the signal
wakeup fd"."""
import asyncio
import os
import signal

TRUTH = {}
loop = asyncio.new_event_loop()
got = loop.create_future()
loop.add_signal_handler(signal.SIGTERM, lambda: got.done() or got.set_result(1))
for _ in range(1000):
    os.kill(os.getpid(), signal.SIGURG)
os.kill(os.getpid(), signal.SIGTERM)
loop.call_later(5, lambda: got.done() or got.set_result(0))  # hang guard only
TRUTH["_term"] = float(loop.run_until_complete(got))
loop.remove_signal_handler(signal.SIGTERM)
loop.close()
