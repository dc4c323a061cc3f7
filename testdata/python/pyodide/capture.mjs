// Captures genuine CPython 3.14 -X importtime output from Pyodide (CPython
// compiled to WebAssembly) under Node.js, with the truth of where each import
// line belongs. The importtime lines are printed by CPython's own C code
// (Python/import.c), so their format is the Linux build's; the module set
// differs (Pyodide's start-up, no real sockets).
//
// Usage (from the repository root; .ci/setup.d/50-pyodide.sh installs Pyodide):
//
//   ~/.cache/coldprof/node/22/bin/node testdata/python/pyodide/capture.mjs \
//     --importtime 2 --lambda --handler app_stdlib.handler \
//     --out testdata/python/pyodide-3.14-lambda-cached.log \
//     --truth testdata/python/pyodide-3.14-lambda-cached.truth \
//     testdata/python/sim/run_sim.py
//
// (testdata/python/README.md lists each stored capture's command.)
//
// Options:
//   --importtime N   PYTHONPROFILEIMPORTTIME (1, or 2 for 3.14's cached lines)
//   --lambda         a Lambda-like log: prints an INIT_START line and a coldprof
//                    start marker (as generate.py's lambda_log does) before
//                    the interpreter starts, and runs the script with
//                    SIM_PLATFORM=lambda, so sim/bootstrap.py prints its
//                    markers and platform lines; these are constructed, every
//                    "import time:" line is genuine
//   --handler M.F    SIM_HANDLER for sim/bootstrap.py
//   --out FILE       the log: stdout and stderr in one stream, in order
//   --truth FILE     for every import line printed after the script started:
//                    "<line> <parent line>" (0: top level), from CPython's
//                    "import" audit event (raised when an import of a module
//                    not yet loaded begins, Python/import.c
//                    import_find_and_load) matched with the timed line that
//                    ends it; the audit hook writes an out-of-band line to
//                    stderr, which this script removes from the log
//   --pyodide DIR    the unpacked npm package (default: the setup script's
//                    ${XDG_CACHE_HOME:-~/.cache}/coldprof/pyodide/314.0.8/package)
//   SCRIPT           run as __main__ with /sim on sys.path, where every *.py of
//                    testdata/python/sim/ and testdata/python/pyodide/ is copied
//
// Without --out the log goes to stdout. It exits non-zero if the audit events
// and the timed lines do not pair up (the truth would be wrong).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
const opts = {
  importtime: "1",
  lambda: false,
  handler: "app.handler",
  out: "",
  truth: "",
  pyodide: path.join(cacheHome, "coldprof", "pyodide", "314.0.8", "package"),
  script: "",
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const value = () => {
    if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
    return argv[++i];
  };
  if (a === "--importtime") opts.importtime = value();
  else if (a === "--lambda") opts.lambda = true;
  else if (a === "--handler") opts.handler = value();
  else if (a === "--out") opts.out = value();
  else if (a === "--truth") opts.truth = value();
  else if (a === "--pyodide") opts.pyodide = value();
  else if (!a.startsWith("--") && !opts.script) opts.script = a;
  else throw new Error(`unknown argument ${a}`);
}
if (!opts.script) throw new Error("usage: capture.mjs [options] SCRIPT (see the header comment)");
if (!fs.existsSync(path.join(opts.pyodide, "pyodide.asm.wasm"))) {
  console.error(`no Pyodide at ${opts.pyodide}: run .ci/setup.d/50-pyodide.sh`);
  process.exit(2);
}

// The out-of-band line the audit hook writes; never part of the log.
const AUDIT = "\x1ecoldprof-capture-import ";

const lines = [];
const runtime = "python3.14";
if (opts.lambda) {
  // generate.py's lambda_log: INIT_START, then the wrapper's start marker.
  lines.push("INIT_START Runtime Version: python:3.14.mainlinev2.v7\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:0123456789abcdef");
  const injected = opts.importtime === "1" ? "-X importtime" : `-X importtime=${opts.importtime}`;
  lines.push(`coldprof: {"v":1,"ev":"start","t":${Date.now() * 1000},"runtime":"${runtime}","handler":"${opts.handler}","wrapper":"testdata","injected":"${injected}","proxy":true}`);
}
const t0 = Date.now() / 1000;
const { loadPyodide } = await import(pathToFileURL(path.join(opts.pyodide, "pyodide.mjs")).href);
const py = await loadPyodide({
  env: {
    PYTHONPROFILEIMPORTTIME: opts.importtime,
    SIM_HANDLER: opts.handler,
    SIM_PLATFORM: opts.lambda ? "lambda" : "none",
    SIM_MARKERS: opts.lambda ? "1" : "0",
    SIM_T0: String(t0),
  },
  // One array for both: a log stream has stdout and stderr in one pipe.
  stdout: (s) => lines.push(s),
  stderr: (s) => lines.push(s),
});

py.FS.mkdirTree("/sim");
for (const dir of [path.join(here, "..", "sim"), here]) {
  for (const f of fs.readdirSync(dir)) {
    if (f.endsWith(".py")) py.FS.writeFile(`/sim/${f}`, fs.readFileSync(path.join(dir, f)));
  }
}
const scriptName = `/sim/${path.basename(opts.script)}`;
py.FS.writeFile(scriptName, fs.readFileSync(opts.script));

// The harness imports nothing: an import statement here would print lines of
// its own. sys comes from the import machinery's globals (the frozen
// importlib keeps it), the source is handed over from JavaScript.
py.globals.set("_capture_source", fs.readFileSync(opts.script, "utf8"));
py.globals.set("_capture_file", scriptName);
py.globals.set("_capture_audit", AUDIT);
const startedAt = lines.length;
py.runPython(`
def _capture():
    sys = __builtins__.__loader__.find_spec.__func__.__globals__["sys"]
    sys.path.insert(0, "/sim")
    err, prefix = sys.stderr, _capture_audit

    def hook(event, args):
        if event == "import":
            err.write(prefix + args[0] + "\\n")
            err.flush()

    sys.addaudithook(hook)
    code = compile(_capture_source, _capture_file, "exec")
    exec(code, {"__name__": "__main__", "__file__": _capture_file})

_capture()
`);

// Pair the audit events with the timed lines (post-order: a timed line ends
// the innermost open import) to find each line's parent.
const TIMED = /^import time:\s+-?\d+ \|\s+-?\d+ \| *(\S.*)$/;
const CACHED = /^import time: cached\s+\| cached\s+\|/;
const out = [];
const truth = [];
const root = { name: "", children: [] };
const stack = [root];
let problems = 0;
for (let i = 0; i < lines.length; i++) {
  const line = lines[i];
  if (line.startsWith(AUDIT)) {
    stack.push({ name: line.slice(AUDIT.length), children: [] });
    continue;
  }
  out.push(line);
  const num = out.length;
  if (i < startedAt) continue; // before the hook: no truth
  if (CACHED.test(line)) {
    stack[stack.length - 1].children.push(num);
    continue;
  }
  const m = TIMED.exec(line);
  if (!m) continue;
  const open = stack.length > 1 ? stack.pop() : null;
  if (!open || open.name !== m[1].trimEnd()) {
    console.error(`line ${num}: ${JSON.stringify(line)} ends ${open ? JSON.stringify(open.name) : "no open import"}`);
    problems++;
    continue;
  }
  for (const c of open.children) truth.push([c, num]);
  stack[stack.length - 1].children.push(num);
}
for (const c of root.children) truth.push([c, 0]);
if (stack.length > 1) {
  console.error(`imports never ended: ${stack.slice(1).map((s) => s.name).join(", ")}`);
  problems++;
}
truth.sort((a, b) => a[0] - b[0]);

const log = out.join("\n") + "\n";
if (opts.out) fs.writeFileSync(opts.out, log);
else process.stdout.write(log);
if (opts.truth) {
  const head = [
    "# line -> parent line (0: top level), for every import line from the script's start on:",
    "# from CPython's import audit events paired with the timed lines, not from indentation",
  ];
  fs.writeFileSync(opts.truth, head.concat(truth.map(([l, p]) => `${l} ${p}`)).join("\n") + "\n");
}
process.exit(problems ? 1 : 0);
