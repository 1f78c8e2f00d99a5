/* linetable.c — see linetable.h.
 *
 * Entry head byte: 1 | code(4 bits) | length-1 (3 bits), length in code units.
 *   code 15: no location;          code 14: long form (svarint line delta,
 *   varint end-line delta, varint column+1, varint end-column+1);
 *   code 13: svarint line delta;   codes 10–12: line delta code-10, 2 bytes;
 *   codes 0–9: line delta 0, 1 byte.
 * varint: 6-bit groups, least significant first, 0x40 = more follow;
 * svarint: zig-zag (low bit = sign). */
#include "linetable.h"

static int linetable_varint(const uint8_t *t, size_t len, size_t *pos, unsigned *out) {
    unsigned v = 0, shift = 0;
    for (;;) {
        if (*pos >= len || shift > 28) return -1;
        uint8_t b = t[(*pos)++];
        v |= (unsigned)(b & 63) << shift;
        shift += 6;
        if (!(b & 64)) break;
    }
    *out = v;
    return 0;
}

static int linetable_svarint(const uint8_t *t, size_t len, size_t *pos, int *out) {
    unsigned v;
    if (linetable_varint(t, len, pos, &v) != 0) return -1;
    *out = (v & 1) ? -(int)(v >> 1) : (int)(v >> 1);
    return 0;
}

/* NEAR: an instruction with no location gets the line of the located
 * code before it (the running line: no-location entries move it by 0). */
static int linetable_lookup(const uint8_t *t, size_t len, int firstlineno, int index, int near) {
    if (index < 0) return -1;
    size_t pos = 0;
    int line = firstlineno, addr = 0;
    while (pos < len) {
        uint8_t head = t[pos++];
        if (!(head & 0x80)) return -1;
        int code = (head >> 3) & 15, length = (head & 7) + 1, delta = 0;
        unsigned skip;
        if (code == 15) {
            /* no location */
        } else if (code == 14) {
            if (linetable_svarint(t, len, &pos, &delta) != 0) return -1;
            for (int i = 0; i < 3; i++)
                if (linetable_varint(t, len, &pos, &skip) != 0) return -1;
        } else if (code == 13) {
            if (linetable_svarint(t, len, &pos, &delta) != 0) return -1;
        } else if (code >= 10) {
            delta = code - 10;
            pos += 2;
        } else {
            pos += 1;
        }
        if (pos > len) return -1;
        line += delta;
        if (index < addr + length) return code == 15 && !near ? -1 : line;
        addr += length;
    }
    return -1;
}

int linetable_line(const uint8_t *t, size_t len, int firstlineno, int index) {
    return linetable_lookup(t, len, firstlineno, index, 0);
}

int linetable_line_near(const uint8_t *t, size_t len, int firstlineno, int index) {
    return linetable_lookup(t, len, firstlineno, index, 1);
}
