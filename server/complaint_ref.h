/*
 * Complaint references: what a worker writes down and types back to follow
 * her complaint.  XXXX-XXXX-XXXX in Crockford's base-32 alphabet (digits and
 * capitals without I, L, O, U, so nothing reads as something else): eleven
 * random symbols (55 bits, unguessable, nothing sequential to count) and a
 * Luhn mod 32 check symbol, which catches every single mistyped symbol and
 * most swaps of two neighbours, so that "you mistyped it" is told apart from
 * "there is no such complaint".
 */
#ifndef FAIRREG_COMPLAINT_REF_H
#define FAIRREG_COMPLAINT_REF_H

/* "K7Q4-M2XP-9DRT" and its NUL. */
#define COMPLAINT_REF_SIZE 15

enum complaint_ref_check
{
  COMPLAINT_REF_OK,
  COMPLAINT_REF_MALFORMED, /* not 12 symbols of the alphabet */
  COMPLAINT_REF_MISTYPED,  /* the check symbol does not match */
};

/* A new random reference (libsodium's randombytes; sodium_init() done). */
void complaint_ref_new (char out[COMPLAINT_REF_SIZE]);

/* Reads a reference as a person typed it: case, spaces and hyphens do not
   matter, and O, I, L read as 0, 1, 1.  On COMPLAINT_REF_OK writes the
   canonical form to OUT. */
enum complaint_ref_check complaint_ref_parse (const char *typed,
                                              char out[COMPLAINT_REF_SIZE]);

#endif
