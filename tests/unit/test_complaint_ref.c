/*
 * Unit tests of complaint references (server/complaint_ref.c): the format,
 * randomness, the reading of what people type, and that the check symbol
 * catches every single mistyped symbol and most swaps of neighbours.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "complaint_ref.h"

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static int
setup (void **state)
{
  (void) state;
  return sodium_init () < 0 ? -1 : 0;
}

static void
new_references_have_the_format_and_parse_back (void **state)
{
  (void) state;
  for (int i = 0; i < 1000; i++)
  {
    char ref[COMPLAINT_REF_SIZE], back[COMPLAINT_REF_SIZE];
    complaint_ref_new (ref);
    assert_int_equal (strlen (ref), 14);
    assert_int_equal (ref[4], '-');
    assert_int_equal (ref[9], '-');
    for (int j = 0; j < 14; j++)
      if (4 != j && 9 != j)
        assert_non_null (strchr (alphabet, ref[j]));
    assert_int_equal (complaint_ref_parse (ref, back), COMPLAINT_REF_OK);
    assert_string_equal (back, ref);
  }
}

static void
new_references_differ (void **state)
{
  (void) state;
  enum
  {
    N = 2000
  };
  static char refs[N][COMPLAINT_REF_SIZE];
  for (int i = 0; i < N; i++)
    complaint_ref_new (refs[i]);
  for (int i = 0; i < N; i++)
    for (int j = i + 1; j < N; j++)
      assert_string_not_equal (refs[i], refs[j]);
}

static void
typing_variants_read_as_the_reference (void **state)
{
  (void) state;
  char back[COMPLAINT_REF_SIZE];
  /* 1KL0-0000-000? : build a valid one, then type it badly */
  char ref[COMPLAINT_REF_SIZE];
  for (;;)
  {
    complaint_ref_new (ref);
    if (NULL != strpbrk (ref, "01"))
      break;
  }
  char typed[64];
  size_t o = 0;
  for (const char *p = ref; '\0' != *p; p++)
  {
    char c = *p;
    if ('-' == c)
    {
      typed[o++] = ' ';
      continue;
    }
    if ('0' == c)
      c = 'o';
    else if ('1' == c)
      c = 'l';
    else if (c >= 'A' && c <= 'Z')
      c = (char) (c - 'A' + 'a');
    typed[o++] = c;
  }
  typed[o] = '\0';
  assert_int_equal (complaint_ref_parse (typed, back), COMPLAINT_REF_OK);
  assert_string_equal (back, ref);
}

static void
malformed_input_is_told_apart (void **state)
{
  (void) state;
  char back[COMPLAINT_REF_SIZE];
  const char *bad[] = { "",
                        "ABC",
                        "K7Q4-M2XP-9DR",
                        "K7Q4-M2XP-9DRTT",
                        "K7Q4-M2XP-9DRU",
                        "K7Q4/M2XP/9DRT",
                        "K7Q4-M2XP-9DR\xc3\xa9" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal (complaint_ref_parse (bad[i], back),
                      COMPLAINT_REF_MALFORMED);
}

static void
every_single_mistyped_symbol_is_caught (void **state)
{
  (void) state;
  for (int n = 0; n < 200; n++)
  {
    char ref[COMPLAINT_REF_SIZE], back[COMPLAINT_REF_SIZE];
    complaint_ref_new (ref);
    for (int pos = 0; pos < 14; pos++)
    {
      if (4 == pos || 9 == pos)
        continue;
      for (int k = 0; k < 32; k++)
      {
        if (alphabet[k] == ref[pos])
          continue;
        char typo[COMPLAINT_REF_SIZE];
        memcpy (typo, ref, sizeof typo);
        typo[pos] = alphabet[k];
        assert_int_equal (complaint_ref_parse (typo, back),
                          COMPLAINT_REF_MISTYPED);
      }
    }
  }
}

/* Luhn mod N misses a swap of neighbours only for one pair of values (like
   09/90 in base 10): at most a few swaps in a thousand go unnoticed. */
static void
swaps_of_neighbours_are_nearly_always_caught (void **state)
{
  (void) state;
  int swaps = 0, missed = 0;
  for (int n = 0; n < 500; n++)
  {
    char ref[COMPLAINT_REF_SIZE], back[COMPLAINT_REF_SIZE];
    complaint_ref_new (ref);
    char symbols[13];
    for (int i = 0, o = 0; i < 14; i++)
      if ('-' != ref[i])
        symbols[o++] = ref[i];
    symbols[12] = '\0';
    for (int pos = 0; pos < 11; pos++)
    {
      if (symbols[pos] == symbols[pos + 1])
        continue;
      char swapped[13];
      memcpy (swapped, symbols, sizeof swapped);
      swapped[pos] = symbols[pos + 1];
      swapped[pos + 1] = symbols[pos];
      swaps++;
      if (COMPLAINT_REF_OK == complaint_ref_parse (swapped, back))
        missed++;
    }
  }
  assert_true (swaps > 5000);
  assert_true (missed * 100 < swaps); /* under 1% */
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (new_references_have_the_format_and_parse_back),
    cmocka_unit_test (new_references_differ),
    cmocka_unit_test (typing_variants_read_as_the_reference),
    cmocka_unit_test (malformed_input_is_told_apart),
    cmocka_unit_test (every_single_mistyped_symbol_is_caught),
    cmocka_unit_test (swaps_of_neighbours_are_nearly_always_caught),
  };
  return cmocka_run_group_tests_name ("complaint references", tests, setup,
                                      NULL);
}
