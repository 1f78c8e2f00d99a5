/* html.c — placeholder substitution over the template, streaming: the page
 * is never assembled in memory. */
#include "html.h"
#include "utf8.h"

#include <errno.h>
#include <string.h>

int html_write_escaped(FILE *out, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    int ok = 1;
    for (size_t i = 0; i < n && ok;) {
        unsigned char c = s[i];
        const char *rep = NULL;
        size_t l = 1;
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                rep = " ";
            } else if (c >= 0x80) {
                l = utf8_seq_len(s + i, n - i);
                if (l == 0) {
                    rep = "\xef\xbf\xbd";
                    l = 1;
                }
            }
        }
        if (rep)
            ok = fputs(rep, out) >= 0;
        else
            ok = fwrite(s + i, 1, l, out) == l;
        i += l;
    }
    return ok ? 0 : -EIO;
}

int html_write_page(FILE *out, const char *tmpl, const char *title,
                    size_t title_len, html_data_fn data, void *ctx)
{
    static const char title_mark[] = "{{TITLE}}", data_mark[] = "{{DATA}}";
    const char *p = tmpl;
    for (;;) {
        const char *q = strstr(p, "{{");
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (n && fwrite(p, 1, n, out) != n)
            return -EIO;
        if (!q)
            break;
        int rc = 0;
        if (strncmp(q, title_mark, sizeof title_mark - 1) == 0) {
            rc = html_write_escaped(out, title, title_len);
            p = q + sizeof title_mark - 1;
        } else if (strncmp(q, data_mark, sizeof data_mark - 1) == 0) {
            json_t w;
            json_init(&w, out, JSON_HTML_SAFE);
            rc = data(&w, ctx);
            int wrc = json_finish(&w);
            json_free(&w);
            if (rc == 0)
                rc = wrc;
            p = q + sizeof data_mark - 1;
        } else {
            rc = fwrite(q, 1, 2, out) == 2 ? 0 : -EIO;
            p = q + 2;
        }
        if (rc < 0)
            return rc;
    }
    return ferror(out) ? -EIO : 0;
}
