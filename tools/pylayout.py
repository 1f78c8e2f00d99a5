#!/usr/bin/env python3
"""Generates agent/pylayout_rows.h — the layout facts the agent needs to read
a CPython from outside (offsets, sizes, frame-owner values, where the GIL
lives, how instance attributes are stored) — from each interpreter's own
headers: a small C program is compiled against them and prints offsetof()
and sizeof() values, so nothing is guessed or copied by hand.

    python3 tools/pylayout.py                 # regenerate from the installed interpreters
    python3 tools/pylayout.py --check         # regenerate and compare (make test runs this)
    python3 tools/pylayout.py --python /path/to/python3.14 --print   # one row, printed

One row per minor version (the agent matches the running interpreter's
major.minor); a row records the tag of the interpreter it was made from.
Where several installed interpreters share a minor version (pyenv's 3.11.7
and Debian's 3.11.2), each one's row is generated and must equal the
committed row, tag aside: a layout that changed inside a minor version fails
the check. On 3.13 and later the row also lists, for every field that both
the row and the interpreter's _Py_DebugOffsets know, where that field sits
in _Py_DebugOffsets, so the agent can compare the two at run time.

Adding a version: install it with its headers, add its minor to SUPPORTED
(and, if its headers moved or renamed a field, a branch in PROBE), run this
script, run the tests under it (make test finds it), and commit the row.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pythons  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "agent" / "pylayout_rows.h"
SUPPORTED = ((3, 11), (3, 12), (3, 13))

# The probe: prints "key value" lines. Version conditionals live here, in
# the generator, where the headers differ; the agent's reader only sees data.
PROBE = r"""
#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <internal/pycore_frame.h>
#include <internal/pycore_runtime.h>
#include <internal/pycore_interp.h>
#include <internal/pycore_dict.h>
#include <internal/pycore_object.h>

#define P(key, value) printf("%s %lld\n", key, (long long)(value))
#define PN(key) printf("%s none\n", key)

/* The bit position and width of a bitfield: set it to all ones in a zeroed
 * copy and look where the bits went. */
static void bits(const char *key, const unsigned char *bytes, size_t n) {
    int lo = -1, hi = -1;
    for (size_t i = 0; i < n * 8; i++)
        if (bytes[i / 8] >> (i % 8) & 1) {
            if (lo < 0) lo = (int)i;
            hi = (int)i;
        }
    char k[64];
    snprintf(k, sizeof k, "%s_shift", key);
    P(k, lo);
    snprintf(k, sizeof k, "%s_bits", key);
    P(k, lo < 0 ? 0 : hi - lo + 1);
}
#define BITS(key, field) do { PyASCIIObject a; memset(&a, 0, sizeof a); a.state.field = ~0u; \
    bits(key, (const unsigned char *)&a + offsetof(PyASCIIObject, state), sizeof a.state); } while (0)

int main(void) {
    P("version", PY_VERSION_HEX & 0xFFFF0000);
    printf("tag %s\n", PY_VERSION);
#ifdef Py_GIL_DISABLED
    P("free_threaded", 1);
#else
    P("free_threaded", 0);
#endif
    P("runtime.initialized", offsetof(_PyRuntimeState, initialized));
    P("runtime.main_interp", offsetof(_PyRuntimeState, interpreters.main));
#if PY_VERSION_HEX >= 0x030C0000
    P("runtime.tss_initialized", offsetof(_PyRuntimeState, autoTSSkey._is_initialized));
#else
    P("runtime.tss_initialized", offsetof(_PyRuntimeState, gilstate.autoTSSkey._is_initialized));
#endif
#if PY_VERSION_HEX >= 0x030D0000
    P("runtime.debug_offsets", offsetof(_PyRuntimeState, debug_offsets));
#else
    PN("runtime.debug_offsets");
#endif
#if PY_VERSION_HEX >= 0x030C0000
    PN("runtime.gil");
    P("interp.gil_ptr", offsetof(PyInterpreterState, ceval.gil));
#else
    P("runtime.gil", offsetof(_PyRuntimeState, ceval.gil));
    PN("interp.gil_ptr");
#endif
    P("gil_size", sizeof(struct _gil_runtime_state));
    /* Behaviour, not layout: os.fork() counts the process's OS threads just
     * after fork (posixmodule.c, warn_about_fork_with_threads, 3.12+) and
     * warns, on the program's stderr, when it finds more than one. */
    P("behaviour.fork_counts_threads", PY_VERSION_HEX >= 0x030C0000);
    P("interp.threads_head", offsetof(PyInterpreterState, threads.head));

    P("tstate.size", sizeof(PyThreadState));
    P("tstate.next", offsetof(PyThreadState, next));
    P("tstate.native_thread_id", offsetof(PyThreadState, native_thread_id));
    P("tstate.datastack_chunk", offsetof(PyThreadState, datastack_chunk));
    P("tstate.datastack_top", offsetof(PyThreadState, datastack_top));
#if PY_VERSION_HEX >= 0x030D0000
    PN("tstate.cframe");
    P("tstate.current_frame", offsetof(PyThreadState, current_frame));
    PN("cframe.current_frame");
    PN("cframe.previous");
#else
    P("tstate.cframe", offsetof(PyThreadState, cframe));
    PN("tstate.current_frame");
    P("cframe.current_frame", offsetof(_PyCFrame, current_frame));
    P("cframe.previous", offsetof(_PyCFrame, previous));
#endif

    P("frame.size", offsetof(_PyInterpreterFrame, localsplus));
    P("frame.previous", offsetof(_PyInterpreterFrame, previous));
    P("frame.owner", offsetof(_PyInterpreterFrame, owner));
#if PY_VERSION_HEX >= 0x030D0000
    P("frame.code", offsetof(_PyInterpreterFrame, f_executable));
    P("frame.instr", offsetof(_PyInterpreterFrame, instr_ptr));
#else
    P("frame.code", offsetof(_PyInterpreterFrame, f_code));
    P("frame.instr", offsetof(_PyInterpreterFrame, prev_instr));
#endif
    P("frame.owner_thread", FRAME_OWNED_BY_THREAD);
    P("frame.owner_generator", FRAME_OWNED_BY_GENERATOR);
#if PY_VERSION_HEX >= 0x030C0000
    P("frame.owner_cstack", FRAME_OWNED_BY_CSTACK);
#else
    PN("frame.owner_cstack");
#endif

    P("code.firstlineno", offsetof(PyCodeObject, co_firstlineno));
    P("code.firsttraceable", offsetof(PyCodeObject, _co_firsttraceable));
    P("code.qualname", offsetof(PyCodeObject, co_qualname));
    P("code.filename", offsetof(PyCodeObject, co_filename));
    P("code.linetable", offsetof(PyCodeObject, co_linetable));
    P("code.code_adaptive", offsetof(PyCodeObject, co_code_adaptive));
    P("code.unit", sizeof(_Py_CODEUNIT));

    P("object.type", offsetof(PyObject, ob_type));
    P("type.flags", offsetof(PyTypeObject, tp_flags));
    P("type.basicsize", offsetof(PyTypeObject, tp_basicsize));
    P("type.cached_keys", offsetof(PyHeapTypeObject, ht_cached_keys));
    P("type.flag_managed_dict", Py_TPFLAGS_MANAGED_DICT);

    P("str.state", offsetof(PyASCIIObject, state));
    P("str.length", offsetof(PyASCIIObject, length));
    P("str.ascii_size", sizeof(PyASCIIObject));
    P("str.compact_size", sizeof(PyCompactUnicodeObject));
    BITS("str.kind", kind);
    BITS("str.compact", compact);
    BITS("str.ascii", ascii);
#if PY_VERSION_HEX >= 0x030C0000
    PN("str.ready_shift");
    P("str.ready_bits", 0);
#else
    BITS("str.ready", ready);
#endif
    P("bytes.size", offsetof(PyVarObject, ob_size));
    P("bytes.sval", offsetof(PyBytesObject, ob_sval));

    P("dict.keys", offsetof(PyDictObject, ma_keys));
    P("dict.values", offsetof(PyDictObject, ma_values));
    P("keys.log2_index_bytes", offsetof(PyDictKeysObject, dk_log2_index_bytes));
    P("keys.kind", offsetof(PyDictKeysObject, dk_kind));
    P("keys.nentries", offsetof(PyDictKeysObject, dk_nentries));
    P("keys.indices", offsetof(PyDictKeysObject, dk_indices));
    P("keys.kind_general", DICT_KEYS_GENERAL);
    P("keys.unicode_entry_size", sizeof(PyDictUnicodeEntry));
    P("keys.unicode_key", offsetof(PyDictUnicodeEntry, me_key));
    P("keys.unicode_value", offsetof(PyDictUnicodeEntry, me_value));
    P("keys.general_entry_size", sizeof(PyDictKeyEntry));
    P("keys.general_key", offsetof(PyDictKeyEntry, me_key));
    P("keys.general_value", offsetof(PyDictKeyEntry, me_value));
    P("values.array", offsetof(PyDictValues, values));

    /* Where a managed-dict instance keeps its attributes. */
#if PY_VERSION_HEX >= 0x030D0000
    P("instance.scheme", 3);   /* values inline after the object, a `valid` byte */
    P("instance.managed_dict", MANAGED_DICT_OFFSET);
    PN("instance.values_pointer");
    P("instance.flag_inline_values", Py_TPFLAGS_INLINE_VALUES);
    P("values.valid", offsetof(PyDictValues, valid));
#elif PY_VERSION_HEX >= 0x030C0000
    P("instance.scheme", 2);   /* one word before the object: a dict, or values tagged with bit 0 */
    P("instance.managed_dict", (Py_ssize_t)sizeof(PyObject *) * -3);
    PN("instance.values_pointer");
    P("instance.flag_inline_values", 0);
    PN("values.valid");
#else
    P("instance.scheme", 1);   /* a values pointer and a dict pointer before the object */
    P("instance.managed_dict", MANAGED_DICT_OFFSET);
    P("instance.values_pointer", (Py_ssize_t)sizeof(PyObject *) * -4);
    P("instance.flag_inline_values", 0);
    PN("values.valid");
#endif

#if PY_VERSION_HEX >= 0x030D0000
    /* Where each field the row shares with _Py_DebugOffsets sits in it. */
#define C(dbg, value) printf("check %lld %lld %s\n", (long long)offsetof(_Py_DebugOffsets, dbg), \
                             (long long)(value), #dbg)
    C(interpreter_state.threads_head, offsetof(PyInterpreterState, threads.head));
    C(interpreter_state.ceval_gil, offsetof(PyInterpreterState, ceval.gil));
    C(thread_state.size, sizeof(PyThreadState));
    C(thread_state.next, offsetof(PyThreadState, next));
    C(thread_state.current_frame, offsetof(PyThreadState, current_frame));
    C(thread_state.native_thread_id, offsetof(PyThreadState, native_thread_id));
    C(thread_state.datastack_chunk, offsetof(PyThreadState, datastack_chunk));
    C(interpreter_frame.previous, offsetof(_PyInterpreterFrame, previous));
    C(interpreter_frame.executable, offsetof(_PyInterpreterFrame, f_executable));
    C(interpreter_frame.instr_ptr, offsetof(_PyInterpreterFrame, instr_ptr));
    C(interpreter_frame.localsplus, offsetof(_PyInterpreterFrame, localsplus));
    C(interpreter_frame.owner, offsetof(_PyInterpreterFrame, owner));
    C(code_object.filename, offsetof(PyCodeObject, co_filename));
    C(code_object.qualname, offsetof(PyCodeObject, co_qualname));
    C(code_object.linetable, offsetof(PyCodeObject, co_linetable));
    C(code_object.firstlineno, offsetof(PyCodeObject, co_firstlineno));
    C(code_object.co_code_adaptive, offsetof(PyCodeObject, co_code_adaptive));
    C(pyobject.ob_type, offsetof(PyObject, ob_type));
    C(type_object.tp_flags, offsetof(PyTypeObject, tp_flags));
    C(dict_object.ma_keys, offsetof(PyDictObject, ma_keys));
    C(dict_object.ma_values, offsetof(PyDictObject, ma_values));
    C(bytes_object.ob_size, offsetof(PyVarObject, ob_size));
    C(bytes_object.ob_sval, offsetof(PyBytesObject, ob_sval));
    C(unicode_object.state, offsetof(PyASCIIObject, state));
    C(unicode_object.length, offsetof(PyASCIIObject, length));
    C(unicode_object.asciiobject_size, sizeof(PyASCIIObject));
    P("debug.cookie", offsetof(_Py_DebugOffsets, cookie));
    P("debug.version", offsetof(_Py_DebugOffsets, version));
    P("debug.free_threaded", offsetof(_Py_DebugOffsets, free_threaded));
#else
    PN("debug.cookie");
    PN("debug.version");
    PN("debug.free_threaded");
#endif
    return 0;
}
"""

# Row fields in the order of pylayout_t (agent/pylayout.h), grouped.
GROUPS = {
    "runtime": ["initialized", "main_interp", "tss_initialized", "gil", "debug_offsets"],
    "interp": ["threads_head", "gil_ptr"],
    "tstate": ["size", "next", "native_thread_id", "datastack_chunk", "datastack_top", "cframe",
               "current_frame"],
    "cframe": ["current_frame", "previous"],
    "frame": ["size", "previous", "owner", "code", "instr", "owner_thread", "owner_generator",
              "owner_cstack"],
    "code": ["firstlineno", "firsttraceable", "qualname", "filename", "linetable", "code_adaptive",
             "unit"],
    "object": ["type"],
    "type": ["flags", "basicsize", "cached_keys", "flag_managed_dict"],
    "str": ["state", "length", "ascii_size", "compact_size", "kind_shift", "kind_bits",
            "compact_shift", "ascii_shift", "ready_shift"],
    "bytes": ["size", "sval"],
    "dict": ["keys", "values"],
    "keys": ["log2_index_bytes", "kind", "nentries", "indices", "kind_general",
             "unicode_entry_size", "unicode_key", "unicode_value", "general_entry_size",
             "general_key", "general_value"],
    "values": ["array", "valid"],
    "instance": ["scheme", "managed_dict", "values_pointer", "flag_inline_values"],
    "debug": ["cookie", "version", "free_threaded"],
    "behaviour": ["fork_counts_threads"],
}
SIGNED = {"instance.managed_dict", "instance.values_pointer"}


def probe(info):
    """Compiles and runs the probe against INFO's headers: (facts, checks)."""
    include = info["include"]
    if not os.path.isfile(os.path.join(include, "internal", "pycore_frame.h")):
        raise SystemExit(f"pylayout: {info['path']} has no internal headers in {include}: "
                         "install its development headers (pyenv builds have them)")
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = os.path.join(tmp, "probe.c"), os.path.join(tmp, "probe")
        Path(src).write_text(PROBE)
        cc = subprocess.run(["gcc", "-std=c11", "-w", "-I", include, src, "-o", exe],
                            capture_output=True, text=True)
        if cc.returncode != 0:
            raise SystemExit(f"pylayout: the probe does not compile against {include}:\n{cc.stderr}")
        out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    facts, checks = {}, []
    for line in out.splitlines():
        head, _, rest = line.partition(" ")
        if head == "check":
            at, want, name = rest.split()
            checks.append((int(at), int(want), name))
        elif head == "tag":
            facts["tag"] = rest
        else:
            facts[head] = None if rest == "none" else int(rest)
    return facts, checks


def _value(key, v):
    if v is None:
        return "PYLAYOUT_NO_OFFSET" if key in SIGNED else "PYLAYOUT_NONE"
    return str(v)


def row_text(facts, checks):
    """The C initializer of one row, and its check table (or "")."""
    major, minor = facts["version"] >> 24, (facts["version"] >> 16) & 255
    name = f"{major}_{minor}"
    table = ""
    if checks:
        lines = [f"    {{{at}, {want}}},   /* {dbg} */" for at, want, dbg in checks]
        table = (f"static const pylayout_check_t pylayout_checks_{name}[] = {{\n"
                 + "\n".join(lines) + "\n};\n\n")
    parts = [f"    /* {facts['tag']}: tools/pylayout.py, from its own headers */",
             f"    .version = 0x{facts['version']:08X}, .tag = \"{facts['tag']}\","]
    for group, fields in GROUPS.items():
        vals = ", ".join(f".{f} = {_value(group + '.' + f, facts[group + '.' + f])}" for f in fields)
        parts.append(f"    .{group} = {{{vals}}},")
    parts.append(f"    .gil_size = {facts['gil_size']},")
    if checks:
        parts.append(f"    .checks = pylayout_checks_{name}, .nchecks = {len(checks)},")
    return "{\n" + "\n".join(parts) + "\n}", table


def render(rows):
    """The whole header for ROWS, a list of (facts, checks), by version."""
    tables, inits = [], []
    for facts, checks in sorted(rows, key=lambda r: r[0]["version"]):
        init, table = row_text(facts, checks)
        inits.append(init)
        if table:
            tables.append(table)
    return ("/* pylayout_rows.h — GENERATED by tools/pylayout.py from each interpreter's own\n"
            " * headers; do not edit. `python3 tools/pylayout.py --check` (in make test)\n"
            " * regenerates the rows from every installed interpreter and fails on any\n"
            " * difference. Included once, by agent/pylayout.c. */\n\n"
            + "".join(tables)
            + "static const pylayout_t pylayout_rows[] = {\n"
            + ",\n".join(inits) + ",\n};\n")


def _without_tag(text):
    """TEXT with the interpreters' tags blanked: patch releases of a minor
    version share a row when their layouts agree."""
    return re.sub(r'/\* [0-9][^:]*: tools/pylayout.py|\.tag = "[^"]*"', "TAG", text)


def main():
    ap = argparse.ArgumentParser(description="Generate or check agent/pylayout_rows.h.")
    ap.add_argument("--check", action="store_true",
                    help="compare with the committed file instead of writing it")
    ap.add_argument("--python", action="append", default=[],
                    help="use this interpreter (repeatable) instead of finding them")
    ap.add_argument("--print", action="store_true", help="print the rows instead of writing")
    a = ap.parse_args()
    if a.python:
        found = [pythons.describe(p) for p in a.python]
        if None in found:
            raise SystemExit("pylayout: an interpreter given with --python does not run")
    else:
        found = [i for i in pythons.find(min(SUPPORTED), max(SUPPORTED)) if not i["gil_disabled"]]
    by_minor = {}
    for info in found:
        minor = tuple(info["version"][:2])
        if minor not in SUPPORTED and not a.print:
            print(f"pylayout: skipping {info['path']} ({'.'.join(map(str, info['version']))}): "
                  "not in SUPPORTED", file=sys.stderr)
            continue
        try:
            by_minor.setdefault(minor, []).append((info, probe(info)))
        except SystemExit as e:
            if a.check and len(found) > 1:   # an interpreter without headers cannot be checked
                print(f"{e} (skipped)", file=sys.stderr)
                continue
            raise
    if a.print:
        print(render([r for rs in by_minor.values() for _, r in rs]))
        return 0
    if a.check:
        committed = OUT.read_text() if OUT.exists() else ""
        if len(by_minor) < 2:
            print(f"pylayout: found {len(by_minor)} supported interpreter(s) with headers; "
                  "the check needs at least two", file=sys.stderr)
            return 1
        bad = 0
        for minor, results in sorted(by_minor.items()):
            for info, (facts, checks) in results:
                init, table = row_text(facts, checks)
                if _without_tag(init) not in _without_tag(committed) or table not in committed:
                    print(f"pylayout: the row for {info['path']} ({facts['tag']}) differs from "
                          f"{OUT.relative_to(ROOT)}: run tools/pylayout.py and review the diff",
                          file=sys.stderr)
                    bad = 1
                else:
                    print(f"pylayout: {facts['tag']} ({info['path']}) matches its row")
        return bad
    # Writing: the newest patch release of each minor version makes its row;
    # the others must agree with it.
    rows = []
    for minor, results in sorted(by_minor.items()):
        info0, first = results[-1]
        for info, other in results[:-1]:
            if _without_tag(row_text(*other)[0]) != _without_tag(row_text(*first)[0]):
                raise SystemExit(f"pylayout: {info['path']} and {info0['path']} share {minor} but "
                                 "not a layout: the agent would need a row per patch release")
        rows.append(first)
    OUT.write_text(render(rows))
    print(f"pylayout: wrote {OUT.relative_to(ROOT)} ({len(rows)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
