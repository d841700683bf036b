/*
 * Complaint references: random symbols and a Luhn mod 32 check symbol (see
 * complaint_ref.h).
 */
#include <sodium.h>
#include <stdbool.h>
#include <string.h>

#include "complaint_ref.h"

#define SYMBOLS 12 /* 11 random, 1 check */

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* The value of symbol C as a person may have typed it, or -1. */
static int
symbol_value (char c)
{
  if (c >= 'a' && c <= 'z')
    c = (char) (c - 'a' + 'A');
  if ('O' == c)
    c = '0';
  else if ('I' == c || 'L' == c)
    c = '1';
  const char *at = ('\0' != c) ? strchr (alphabet, c) : NULL;
  return (NULL != at) ? (int) (at - alphabet) : -1;
}

/* Luhn mod 32 over VALUES[0..COUNT): the sum the check symbol completes.
   Counting from the right, every second value is doubled, starting with the
   rightmost one when FIRST_DOUBLED. */
static unsigned
luhn_sum (const int *values, unsigned count, bool first_doubled)
{
  unsigned sum = 0;
  bool doubled = first_doubled;
  for (unsigned i = count; i-- > 0;)
  {
    unsigned addend = (unsigned) values[i] * (doubled ? 2u : 1u);
    sum += addend / 32 + addend % 32;
    doubled = !doubled;
  }
  return sum % 32;
}

static void
format_ref (const int *values, char out[COMPLAINT_REF_SIZE])
{
  unsigned o = 0;
  for (unsigned i = 0; i < SYMBOLS; i++)
  {
    if (i > 0 && 0 == i % 4)
      out[o++] = '-';
    out[o++] = alphabet[values[i]];
  }
  out[o] = '\0';
}

void
complaint_ref_new (char out[COMPLAINT_REF_SIZE])
{
  int values[SYMBOLS];
  for (unsigned i = 0; i < SYMBOLS - 1; i++)
    values[i] = (int) randombytes_uniform (32);
  values[SYMBOLS - 1]
      = (int) ((32 - luhn_sum (values, SYMBOLS - 1, true)) % 32);
  format_ref (values, out);
}

enum complaint_ref_check
complaint_ref_parse (const char *typed, char out[COMPLAINT_REF_SIZE])
{
  int values[SYMBOLS];
  unsigned count = 0;
  for (const char *p = typed; '\0' != *p; p++)
  {
    if (' ' == *p || '-' == *p)
      continue;
    int v = symbol_value (*p);
    if (v < 0 || count == SYMBOLS)
      return COMPLAINT_REF_MALFORMED;
    values[count++] = v;
  }
  if (SYMBOLS != count)
    return COMPLAINT_REF_MALFORMED;
  if (0 != luhn_sum (values, SYMBOLS, false))
    return COMPLAINT_REF_MISTYPED;
  format_ref (values, out);
  return COMPLAINT_REF_OK;
}
