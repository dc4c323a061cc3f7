"""Four threads importing at once: importtime's counters are shared, so the
nesting of the output is corrupted (A.3)."""
import threading

MODULES = [
    ["json", "csv", "difflib"],
    ["email.mime.text", "html.parser"],
    ["xml.dom.minidom", "tarfile"],
    ["http.client", "decimal"],
]


def load(names):
    for name in names:
        __import__(name)


threads = [threading.Thread(target=load, args=(names,)) for names in MODULES]
for t in threads:
    t.start()
for t in threads:
    t.join()
