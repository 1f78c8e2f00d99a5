"""web/embed.py: the template it builds, the checks that fail the build, and
the C file it writes (compiled and read back when a C compiler is around).
No browser needed."""

import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys

import pytest

from make_page import WEB, build_template, load_embed, web_inputs

embed = load_embed()


def between(text, start, end):
    i = text.index(start) + len(start)
    return text[i:text.index(end, i)]


def sha256(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_template_keeps_only_the_report_placeholders():
    t = build_template()
    assert t.count("{{TITLE}}") == 1
    assert t.count("{{DATA}}") == 1
    assert '<script type="application/json" id="rg-data">{{DATA}}</script>' in t
    for ph in ("{{STYLE}}", "{{SCRIPT}}", "{{CSP}}"):
        assert ph not in t
    # Exactly two scripts and one stylesheet, all inline; nothing external.
    assert len(re.findall(r"<script\b", t)) == 2
    assert not re.search(r"""\b(?:src|href)\s*=\s*["']?(?:https?:|//)""", t)
    assert "@import" not in t and "url(" not in t


def test_csp_allows_exactly_the_embedded_script_and_style():
    t = build_template()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', t).group(1)
    script = between(t, "<script>", "</script>")
    style = between(t, "<style>", "</style>")
    assert f"script-src {sha256(script)};" in csp
    assert f"style-src {sha256(style)};" in csp
    assert "default-src 'none'" in csp
    assert "unsafe" not in csp


def test_scripts_are_concatenated_in_assets_order():
    t = build_template()
    names = [os.path.basename(p) for p in web_inputs() if p.endswith(".js")]
    pos = [t.index(f"/* {n} */\n") for n in names]
    assert pos == sorted(pos)


@pytest.mark.parametrize("bad", ["x = '</script>';", "x = '</SCRIPT >';", "/* </style> */",
                                 "x = '<!--';", "x = '{{DATA}}';", "x = '{{TITLE}}';"])
def test_forbidden_text_fails_the_build(tmp_path, bad):
    js = tmp_path / "bad.js"
    js.write_text(bad + "\n")
    html = os.path.join(WEB, "page.html")
    with pytest.raises(embed.EmbedError):
        embed.build_template([html, str(js)])
    rc = subprocess.run([sys.executable, os.path.join(WEB, "embed.py"), str(tmp_path / "o.c"), html, str(js)],
                        capture_output=True, text=True)
    assert rc.returncode != 0 and "bad.js:1" in rc.stderr
    assert not (tmp_path / "o.c").exists()


def test_template_placeholders_are_checked(tmp_path):
    html = tmp_path / "page.html"
    html.write_text("<html>{{STYLE}}{{SCRIPT}}{{CSP}}{{TITLE}}</html>")
    with pytest.raises(embed.EmbedError, match="DATA"):
        embed.build_template([str(html)])


def test_c_file_compiles_and_holds_the_template(tmp_path):
    out = tmp_path / "web_assets.c"
    rc = subprocess.run([sys.executable, os.path.join(WEB, "embed.py"), str(out)] + web_inputs(),
                        capture_output=True, text=True)
    assert rc.returncode == 0, rc.stderr
    src = out.read_text()
    assert '#include "web_assets.h"' in src
    assert "const char web_report_html[] = {" in src
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        pytest.fail("no C compiler to compile web_assets.c with: make setup", pytrace=False)
    main = tmp_path / "main.c"
    main.write_text('#include <stdio.h>\n#include "web_assets.h"\n'
                    'int main(void) { fputs(web_report_html, stdout); return 0; }\n')
    exe = tmp_path / "dump"
    subprocess.run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I", WEB,
                    "-o", str(exe), str(main), str(out)], check=True)
    dumped = subprocess.run([str(exe)], capture_output=True, check=True).stdout
    assert dumped == build_template().encode("utf-8")
