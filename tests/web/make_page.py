#!/usr/bin/env python3
"""make_page.py — makes a report page from a data JSON exactly as the C report
builder does: the page template (built from web/ by web/embed.py, or one
given with --template) with {{TITLE}} replaced by the HTML-escaped title and
{{DATA}} by the JSON document with <, >, &, U+2028 and U+2029 escaped as
\\u003c etc. (DESIGN.md section 2, docs/internals.md section 2).

    make_page.py DATA.json OUT.html [--template TEMPLATE.html] [--title TITLE]

Python standard library only.
"""

import argparse
import html
import importlib.util
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WEB = os.path.normpath(os.path.join(HERE, "..", "..", "web"))

JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                "\u2028": "\\u2028", "\u2029": "\\u2029"}


def web_inputs():
    """The page's source files in build order, from web/assets.txt."""
    with open(os.path.join(WEB, "assets.txt"), encoding="utf-8") as f:
        names = [ln.strip() for ln in f if ln.strip() and not ln.strip().startswith("#")]
    return [os.path.join(WEB, n) for n in names]


def load_embed():
    """web/embed.py as a module (under a name no other module will have)."""
    spec = importlib.util.spec_from_file_location("radiograph_web_embed", os.path.join(WEB, "embed.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def build_template():
    """The page template, built from web/ as the C build does."""
    return load_embed().build_template(web_inputs())


def escape_json(data):
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda m: JSON_ESCAPES[m.group(0)], text)


def default_title(data):
    cmd = (data.get("summary") or {}).get("command") or []
    if isinstance(cmd, list):
        cmd = " ".join(str(a) for a in cmd)
    return "radiograph: " + str(cmd) if cmd else "radiograph report"


def render(template, data, title=None):
    fill = {"{{TITLE}}": html.escape(title if title is not None else default_title(data), quote=True),
            "{{DATA}}": escape_json(data)}
    # One pass: text put in for one placeholder is never scanned again.
    return re.sub(r"\{\{(?:TITLE|DATA)\}\}", lambda m: fill[m.group(0)], template)


def main(argv):
    p = argparse.ArgumentParser(description="Make a report page from a data JSON.")
    p.add_argument("data")
    p.add_argument("out")
    p.add_argument("--template", help="a built template (default: build one from web/)")
    p.add_argument("--title")
    a = p.parse_args(argv)
    with open(a.data, encoding="utf-8") as f:
        data = json.load(f)
    if a.template:
        with open(a.template, encoding="utf-8") as f:
            template = f.read()
    else:
        template = build_template()
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(render(template, data, a.title))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
