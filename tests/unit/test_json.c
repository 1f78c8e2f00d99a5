/* test_json.c — the JSON writer: escaping of every control character, HTML
 * safety (</script>, <!--, &, U+2028/2029), invalid UTF-8 replaced by U+FFFD,
 * numbers, and the commas and colons of nested containers. */
#include "check.h"
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* The JSON string value W writes for the LEN bytes at S. */
static int string_is(unsigned flags, const char *s, size_t len, const char *want)
{
    json_t w;
    json_init(&w, NULL, flags);
    json_string(&w, s, len);
    size_t n;
    const char *got = json_data(&w, &n);
    int ok = json_finish(&w) == 0 && n == strlen(want) && memcmp(got, want, n) == 0;
    if (!ok)
        fprintf(stderr, "  got  [%.*s]\n  want [%s]\n", (int)n, got, want);
    json_free(&w);
    return ok;
}

#define STR_IS(flags, lit, want) string_is(flags, lit, sizeof lit - 1, want)

static void test_escapes(void)
{
    CHECK(STR_IS(0, "plain", "\"plain\""), "plain text");
    CHECK(STR_IS(0, "a\"b\\c", "\"a\\\"b\\\\c\""), "quote and backslash");
    CHECK(STR_IS(0, "\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\""), "named control escapes");
    CHECK(STR_IS(0, "\x01\x1f\x7f", "\"\\u0001\\u001f\x7f\""), "other control characters");
    CHECK(STR_IS(0, "nul\0byte", "\"nul\\u0000byte\""), "NUL inside a string");
    /* every C0 control character is escaped */
    for (int c = 0; c < 0x20; c++) {
        char in[1] = { (char)c };
        json_t w;
        json_init(&w, NULL, 0);
        json_string(&w, in, 1);
        size_t n;
        const char *got = json_data(&w, &n);
        CHECK(n >= 4 && got[1] == '\\', "control character %#x not escaped", c);
        json_free(&w);
    }
}

static void test_html_safe(void)
{
    CHECK(STR_IS(JSON_HTML_SAFE, "</script><!--&",
                 "\"\\u003c/script\\u003e\\u003c!--\\u0026\""), "html-safe mode");
    CHECK(STR_IS(0, "</script>", "\"</script>\""), "plain mode leaves < > alone");
    CHECK(STR_IS(JSON_HTML_SAFE, "a\xe2\x80\xa8" "b\xe2\x80\xa9" "c",
                 "\"a\\u2028b\\u2029c\""), "U+2028/U+2029 in html-safe mode");
    CHECK(STR_IS(0, "a\xe2\x80\xa8" "b", "\"a\xe2\x80\xa8" "b\""),
          "U+2028 is valid JSON in plain mode");
}

static void test_utf8(void)
{
    CHECK(STR_IS(0, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                 "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""), "valid UTF-8 kept");
    CHECK(STR_IS(0, "a\xff" "b", "\"a\xef\xbf\xbd" "b\""), "0xff replaced");
    CHECK(STR_IS(0, "\xc0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\""), "overlong NUL replaced");
    CHECK(STR_IS(0, "\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""),
          "surrogate replaced");
    CHECK(STR_IS(0, "\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""),
          "above U+10FFFF replaced");
    CHECK(STR_IS(0, "x\xe2\x82", "\"x\xef\xbf\xbd\xef\xbf\xbd\""), "truncated sequence replaced");
    CHECK(STR_IS(0, "\x80", "\"\xef\xbf\xbd\""), "lone continuation byte replaced");
}

static int value_is(void (*emit)(json_t *), const char *want)
{
    json_t w;
    json_init(&w, NULL, 0);
    emit(&w);
    size_t n;
    const char *got = json_data(&w, &n);
    int ok = json_finish(&w) == 0 && n == strlen(want) && memcmp(got, want, n) == 0;
    if (!ok)
        fprintf(stderr, "  got  [%.*s]\n  want [%s]\n", (int)n, got, want);
    json_free(&w);
    return ok;
}

static void emit_numbers(json_t *w)
{
    json_array_begin(w);
    json_milli(w, 12500);
    json_milli(w, 1000);
    json_milli(w, -1500);
    json_milli(w, 1);
    json_milli(w, 0);
    json_int(w, INT64_MIN);
    json_uint(w, UINT64_MAX);
    json_double(w, 0.01);
    json_double(w, 3600.007);
    json_double(w, NAN);
    json_bool(w, 1);
    json_bool(w, 0);
    json_null(w);
    json_array_end(w);
}

static void emit_nested(json_t *w)
{
    json_object_begin(w);
    json_key(w, "a");
    json_array_begin(w);
    json_int(w, 1);
    json_int(w, 2);
    json_array_end(w);
    json_key(w, "b");
    json_object_begin(w);
    json_key(w, "c");
    json_null(w);
    json_object_end(w);
    json_key(w, "d");
    json_string_begin(w);
    json_string_part(w, "x", 1);
    json_string_part(w, "\"y", 2);
    json_string_end(w);
    json_key(w, "e");
    json_array_begin(w);
    json_array_end(w);
    json_object_end(w);
}

static void test_values(void)
{
    CHECK(value_is(emit_numbers, "[12.5,1,-1.5,0.001,0,-9223372036854775808,"
                   "18446744073709551615,0.01,3600.007,null,true,false,null]"),
          "numbers");
    CHECK(value_is(emit_nested, "{\"a\":[1,2],\"b\":{\"c\":null},\"d\":\"x\\\"y\",\"e\":[]}"),
          "nested containers");
    char buf[JSON_NUMBER_MAX];
    size_t n = json_format_milli(buf, 123456);
    CHECK(n == 7 && memcmp(buf, "123.456", 7) == 0, "json_format_milli");
}

static void test_errors(void)
{
    json_t w;
    json_init(&w, NULL, 0);
    json_array_begin(&w);
    CHECK(json_finish(&w) == -EINVAL, "an unclosed array is an error");
    json_free(&w);
    json_init(&w, NULL, 0);
    for (int i = 0; i < 100; i++)
        json_array_begin(&w);
    CHECK(json_finish(&w) == -EINVAL, "nesting beyond JSON_DEPTH_MAX is an error");
    json_free(&w);

    /* file mode: a write error surfaces from json_finish */
    FILE *full = fopen("/dev/full", "w");
    if (full) {
        setvbuf(full, NULL, _IONBF, 0);
        json_init(&w, full, 0);
        json_string(&w, "x", 1);
        CHECK(json_finish(&w) == -EIO, "a failed write is -EIO");
        json_free(&w);
        fclose(full);
    }
}

int main(void)
{
    test_escapes();
    test_html_safe();
    test_utf8();
    test_values();
    test_errors();
    return check_failures("test_json");
}
