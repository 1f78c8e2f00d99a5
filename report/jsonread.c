/* jsonread.c — recursive descent with an explicit depth limit. Arrays and
 * objects are first collected on a scratch stack of values (one per nesting
 * level) and copied into the pool when closed, so each container is one
 * exact-size block and nothing is realloc'ed inside the tree. */
#include "jsonread.h"
#include "grow.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct jsonread_block {
    struct jsonread_block *next;
    max_align_t align[];
} jsonread_block_t;

typedef struct jsonread_member {
    jsonread_value_t value;
    const char *key;
    size_t key_len;
} jsonread_member_t;

typedef struct jsonread_parser {
    const char *s;
    size_t len, at;
    jsonread_doc_t *doc;
    unsigned depth;
} jsonread_parser_t;

static void *jsonread_alloc(jsonread_doc_t *doc, size_t n)
{
    jsonread_block_t *b = malloc(sizeof *b + (n ? n : 1));
    if (!b)
        return NULL;
    b->next = doc->pool;
    doc->pool = b;
    return b->align;
}

static int jsonread_fail(jsonread_parser_t *p, const char *why)
{
    if (!p->doc->error) {
        p->doc->error = why;
        p->doc->error_at = p->at;
    }
    return -EINVAL;
}

static void jsonread_ws(jsonread_parser_t *p)
{
    while (p->at < p->len) {
        char c = p->s[p->at];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->at++;
    }
}

static int jsonread_hex4(jsonread_parser_t *p, uint32_t *out)
{
    if (p->len - p->at < 4)
        return jsonread_fail(p, "a \\u escape needs four hex digits");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->at++];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return jsonread_fail(p, "a \\u escape needs four hex digits");
    }
    *out = v;
    return 0;
}

static size_t jsonread_utf8(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* At the opening quote. The decoded text is never longer than the source. */
static int jsonread_string(jsonread_parser_t *p, const char **out, size_t *out_len)
{
    size_t start = ++p->at;
    size_t end = start;
    while (end < p->len && p->s[end] != '"') {
        if (p->s[end] == '\\')
            end++;
        end++;
    }
    if (end >= p->len)
        return jsonread_fail(p, "a string is not closed");
    char *buf = jsonread_alloc(p->doc, end - start + 1);
    if (!buf)
        return -ENOMEM;
    size_t n = 0;
    while (p->at < end) {
        unsigned char c = (unsigned char)p->s[p->at];
        if (c < 0x20)
            return jsonread_fail(p, "a control character inside a string");
        if (c != '\\') {
            buf[n++] = (char)c;
            p->at++;
            continue;
        }
        char e = p->s[p->at + 1];
        p->at += 2;
        switch (e) {
        case '"': buf[n++] = '"'; break;
        case '\\': buf[n++] = '\\'; break;
        case '/': buf[n++] = '/'; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (jsonread_hex4(p, &cp) < 0)
                return -EINVAL;
            if (cp >= 0xd800 && cp < 0xdc00 && end - p->at >= 6 && p->s[p->at] == '\\' &&
                p->s[p->at + 1] == 'u') {
                size_t back = p->at;
                p->at += 2;
                if (jsonread_hex4(p, &lo) < 0)
                    return -EINVAL;
                if (lo >= 0xdc00 && lo < 0xe000)
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                else
                    p->at = back;   /* a lone high surrogate, then another escape */
            }
            if (cp >= 0xd800 && cp < 0xe000)
                cp = 0xfffd;
            n += jsonread_utf8(cp, buf + n);
            break;
        }
        default:
            p->at -= 1;
            return jsonread_fail(p, "an unknown escape in a string");
        }
    }
    if (p->at != end)
        return jsonread_fail(p, "a string is not closed");
    p->at = end + 1;
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return 0;
}

static int jsonread_number_at(jsonread_parser_t *p, double *out)
{
    size_t start = p->at;
    const char *s = p->s;
    size_t i = p->at;
    if (i < p->len && s[i] == '-')
        i++;
    if (i >= p->len || !(s[i] >= '0' && s[i] <= '9'))
        return jsonread_fail(p, "not a value");
    if (s[i] == '0')
        i++;
    else
        while (i < p->len && s[i] >= '0' && s[i] <= '9')
            i++;
    if (i < p->len && s[i] == '.') {
        i++;
        if (i >= p->len || !(s[i] >= '0' && s[i] <= '9'))
            return jsonread_fail(p, "a number needs digits after its '.'");
        while (i < p->len && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < p->len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= p->len || !(s[i] >= '0' && s[i] <= '9'))
            return jsonread_fail(p, "a number needs digits in its exponent");
        while (i < p->len && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    char tmp[64];
    size_t n = i - start;
    if (n >= sizeof tmp)
        n = sizeof tmp - 1;   /* precision beyond 63 characters is moot */
    memcpy(tmp, s + start, n);
    tmp[n] = '\0';
    double v = strtod(tmp, NULL);
    if (!isfinite(v))
        return jsonread_fail(p, "a number is too large");
    *out = v;
    p->at = i;
    return 0;
}

static int jsonread_literal(jsonread_parser_t *p, const char *word, jsonread_type_t t,
                            jsonread_value_t *v)
{
    size_t n = strlen(word);
    if (p->len - p->at < n || memcmp(p->s + p->at, word, n) != 0)
        return jsonread_fail(p, "not a value");
    p->at += n;
    v->type = t;
    return 0;
}

static int jsonread_value(jsonread_parser_t *p, jsonread_value_t *v);

/* At '[' or '{'. */
static int jsonread_container(jsonread_parser_t *p, jsonread_value_t *v, int object)
{
    if (++p->depth > JSONREAD_DEPTH_MAX)
        return jsonread_fail(p, "nested too deeply");
    char close = object ? '}' : ']';
    p->at++;
    jsonread_member_t *m = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    jsonread_ws(p);
    if (p->at < p->len && p->s[p->at] == close) {
        p->at++;
    } else {
        for (;;) {
            jsonread_member_t *slot = GROW_PUSH(m, n, cap);
            if (!slot) {
                rc = -ENOMEM;
                break;
            }
            memset(slot, 0, sizeof *slot);
            jsonread_ws(p);
            if (object) {
                if (p->at >= p->len || p->s[p->at] != '"') {
                    rc = jsonread_fail(p, "an object member needs a quoted name");
                    break;
                }
                if ((rc = jsonread_string(p, &slot->key, &slot->key_len)) < 0)
                    break;
                jsonread_ws(p);
                if (p->at >= p->len || p->s[p->at] != ':') {
                    rc = jsonread_fail(p, "a ':' should follow a member name");
                    break;
                }
                p->at++;
            }
            if ((rc = jsonread_value(p, &slot->value)) < 0)
                break;
            jsonread_ws(p);
            if (p->at < p->len && p->s[p->at] == ',') {
                p->at++;
                continue;
            }
            if (p->at < p->len && p->s[p->at] == close) {
                p->at++;
                break;
            }
            rc = jsonread_fail(p, object ? "a ',' or '}' is missing" : "a ',' or ']' is missing");
            break;
        }
    }
    if (rc == 0) {
        v->type = object ? JSONREAD_OBJECT : JSONREAD_ARRAY;
        v->len = n;
        v->items = jsonread_alloc(p->doc, n * sizeof *v->items);
        if (object) {
            v->keys = jsonread_alloc(p->doc, n * sizeof *v->keys);
            v->key_lens = jsonread_alloc(p->doc, n * sizeof *v->key_lens);
        }
        if (!v->items || (object && (!v->keys || !v->key_lens))) {
            rc = -ENOMEM;
        } else {
            for (size_t i = 0; i < n; i++) {
                v->items[i] = m[i].value;
                if (object) {
                    v->keys[i] = m[i].key;
                    v->key_lens[i] = m[i].key_len;
                }
            }
        }
    }
    free(m);
    p->depth--;
    return rc;
}

static int jsonread_value(jsonread_parser_t *p, jsonread_value_t *v)
{
    memset(v, 0, sizeof *v);
    jsonread_ws(p);
    if (p->at >= p->len)
        return jsonread_fail(p, "a value is missing");
    switch (p->s[p->at]) {
    case '{': return jsonread_container(p, v, 1);
    case '[': return jsonread_container(p, v, 0);
    case '"':
        v->type = JSONREAD_STRING;
        return jsonread_string(p, &v->str, &v->len);
    case 't': return jsonread_literal(p, "true", JSONREAD_TRUE, v);
    case 'f': return jsonread_literal(p, "false", JSONREAD_FALSE, v);
    case 'n': return jsonread_literal(p, "null", JSONREAD_NULL, v);
    default:
        v->type = JSONREAD_NUMBER;
        return jsonread_number_at(p, &v->number);
    }
}

int jsonread_parse(const char *data, size_t len, jsonread_doc_t *doc)
{
    memset(doc, 0, sizeof *doc);
    jsonread_parser_t p = { .s = data, .len = len, .doc = doc };
    jsonread_value_t *root = jsonread_alloc(doc, sizeof *root);
    if (!root)
        return -ENOMEM;
    int rc = jsonread_value(&p, root);
    if (rc < 0)
        return rc;
    jsonread_ws(&p);
    if (p.at != len)
        return jsonread_fail(&p, "unexpected bytes after the value");
    doc->root = root;
    return 0;
}

void jsonread_free(jsonread_doc_t *doc)
{
    jsonread_block_t *b = doc->pool;
    while (b) {
        jsonread_block_t *next = b->next;
        free(b);
        b = next;
    }
    memset(doc, 0, sizeof *doc);
}

const jsonread_value_t *jsonread_get(const jsonread_value_t *v, const char *key)
{
    if (!v || v->type != JSONREAD_OBJECT)
        return NULL;
    size_t kl = strlen(key);
    for (size_t i = 0; i < v->len; i++)   /* the last duplicate wins */
        if (v->key_lens[v->len - 1 - i] == kl && memcmp(v->keys[v->len - 1 - i], key, kl) == 0)
            return &v->items[v->len - 1 - i];
    return NULL;
}

int jsonread_number(const jsonread_value_t *obj, const char *key, double *out)
{
    const jsonread_value_t *v = jsonread_get(obj, key);
    if (!v || v->type != JSONREAD_NUMBER)
        return 0;
    *out = v->number;
    return 1;
}
