/* utf8.h — UTF-8 well-formedness, per the Unicode table of well-formed
 * byte sequences (Unicode 15, §3.9, table 3-7): no overlong forms, no
 * surrogates, nothing above U+10FFFF. Used by every writer that must turn
 * the profiled program's bytes into valid text. */
#ifndef RADIOGRAPH_UTF8_H
#define RADIOGRAPH_UTF8_H

#include <stddef.h>

/* The length (1-4) of the well-formed UTF-8 sequence at S, which has N > 0
 * bytes left, or 0 if S[0] does not start one. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

#endif
