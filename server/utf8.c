/*
 * A strict UTF-8 validator (RFC 3629), used on query parameters, headers that
 * reach the database, and bodies before they are parsed.
 */
#include <stdint.h>

#include "utf8.h"

bool
utf8_valid (const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *) s;
  const unsigned char *end = p + len;
  while (p < end)
  {
    unsigned char c = *p;
    if (0 == c)
      return false;
    if (c < 0x80)
    {
      p++;
      continue;
    }
    size_t need;
    uint32_t min, cp;
    if (0xC2 <= c && c <= 0xDF)
      need = 1, min = 0x80, cp = c & 0x1F;
    else if (0xE0 <= c && c <= 0xEF)
      need = 2, min = 0x800, cp = c & 0x0F;
    else if (0xF0 <= c && c <= 0xF4)
      need = 3, min = 0x10000, cp = c & 0x07;
    else
      return false;
    if ((size_t) (end - p) <= need)
      return false;
    for (size_t i = 1; i <= need; i++)
    {
      if (0x80 != (p[i] & 0xC0))
        return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (0xD800 <= cp && cp <= 0xDFFF))
      return false;
    p += need + 1;
  }
  return true;
}
