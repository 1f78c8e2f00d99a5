/* html.h — index.html from the page template (web/web_assets.h): the
 * template's {{TITLE}} becomes the HTML-escaped title and {{DATA}} the JSON
 * document, written in JSON_HTML_SAFE mode so that nothing the profiled
 * program named can end the <script> element or become markup. */
#ifndef RADIOGRAPH_HTML_H
#define RADIOGRAPH_HTML_H

#include "json.h"

#include <stddef.h>
#include <stdio.h>

/* Writes the document for {{DATA}} to W; returns 0 or a negative error. */
typedef int (*html_data_fn)(json_t *w, void *ctx);

/* Writes TEMPLATE to OUT with every {{TITLE}} replaced by the escaped
 * TITLE (TITLE_LEN bytes) and every {{DATA}} by what DATA writes. Returns 0,
 * DATA's error, -ENOMEM or -EIO. */
int html_write_page(FILE *out, const char *template_html, const char *title,
                    size_t title_len, html_data_fn data, void *ctx);

/* Writes the N bytes at S as HTML text to OUT: & < > " ' as character
 * references, control characters as spaces, invalid UTF-8 as U+FFFD.
 * Returns 0 or -EIO. */
int html_write_escaped(FILE *out, const char *s, size_t n);

#endif
