/*
 * Unit tests of the importer's reading side: the canonical format and its
 * schema, hostile files, profiles of other ministries' formats, and the small
 * pieces (dates, status words).  Each file is read through imp_read() into a
 * recording sink whose transcript is compared whole with the expected one, so
 * that every field, date, status, line and reason is pinned.
 *
 * Fixtures are in tests/data/import/ (tests run from the repository root);
 * the large hostile files are generated here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "profile.h"
#include "reader.h"

#define DATA "tests/data/import/"

/* --- the recording sink ------------------------------------------------------ */

struct recording
{
  char *text;
  size_t len;
  size_t size;
  unsigned lists;
  unsigned agencies;
  unsigned rejects;
  unsigned progress_calls;
  unsigned stop_at; /* agency number whose callback says stop (0: never) */
};

static void rec_add (struct recording *r, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
rec_add (struct recording *r, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (NULL, 0, fmt, ap);
  va_end (ap);
  assert_true (n >= 0);
  if (r->len + (size_t) n + 1 > r->size)
  {
    r->size = 2 * (r->len + (size_t) n + 1);
    r->text = realloc (r->text, r->size);
    assert_non_null (r->text);
  }
  va_start (ap, fmt);
  vsnprintf (r->text + r->len, (size_t) n + 1, fmt, ap);
  va_end (ap);
  r->len += (size_t) n;
}

/* "; key=value" when VALUE is present. */
static void
rec_field (struct recording *r, const char *key, const char *value)
{
  if (NULL != value)
    rec_add (r, "; %s=%s", key, value);
}

static int
on_list (void *cls, const struct imp_list *l)
{
  struct recording *r = cls;
  r->lists++;
  rec_add (r, "list %s %s on %s %s\n",
           (NULL != l->authority) ? l->authority : "(no authority)",
           l->generated, l->generated_on, l->complete ? "complete" : "partial");
  return 0;
}

static int
on_agency (void *cls, const struct imp_agency *a)
{
  struct recording *r = cls;
  r->agencies++;
  rec_add (r, "agency %lu: %s", a->line, a->name);
  rec_field (r, "ref", a->ref);
  rec_field (r, "country", a->country);
  rec_field (r, "registration", a->registration_number);
  rec_field (r, "address", a->address);
  rec_field (r, "phone", a->phone);
  rec_field (r, "email", a->email);
  rec_field (r, "website", a->website);
  rec_add (r, "\n");
  for (size_t i = 0; i < a->other_name_count; i++)
  {
    rec_add (r, "  other name: %s", a->other_names[i].text);
    rec_field (r, "lang", a->other_names[i].lang);
    rec_field (r, "kind", a->other_names[i].kind);
    rec_add (r, "\n");
  }
  for (size_t i = 0; i < a->officer_count; i++)
  {
    rec_add (r, "  officer: %s", a->officers[i].name);
    rec_field (r, "role", a->officers[i].role);
    rec_add (r, "\n");
  }
  for (size_t i = 0; i < a->personnel_count; i++)
  {
    rec_add (r, "  personnel: %s", a->personnel[i].name);
    rec_field (r, "registration", a->personnel[i].registration);
    rec_add (r, "\n");
  }
  for (size_t i = 0; i < a->branch_count; i++)
  {
    rec_add (r, "  branch: %s", a->branches[i].address);
    rec_field (r, "city", a->branches[i].city);
    rec_field (r, "country", a->branches[i].country);
    rec_add (r, "\n");
  }
  for (size_t i = 0; i < a->licence_count; i++)
  {
    const struct imp_licence *l = &a->licences[i];
    rec_add (r, "  licence %lu: %s; status=%s", l->line, l->number, l->status);
    rec_field (r, "category", l->category);
    rec_field (r, "from", l->valid_from);
    rec_field (r, "until", l->valid_until);
    rec_field (r, "status_date", l->status_date);
    rec_field (r, "reason", l->status_reason);
    rec_add (r, "\n");
  }
  return (r->agencies == r->stop_at) ? 7 : 0;
}

static int
on_reject (void *cls, const struct imp_reject *j)
{
  struct recording *r = cls;
  r->rejects++;
  assert_true (strlen (j->reason) <= 200);
  rec_add (r, "reject %lu: %s\n", j->line, j->reason);
  return 0;
}

static void
on_progress (void *cls, unsigned long long bytes, unsigned long long records)
{
  struct recording *r = cls;
  (void) bytes;
  (void) records;
  r->progress_calls++;
}

struct outcome
{
  enum imp_read_result result;
  struct imp_read_info info;
  char *error;
  struct recording rec;
};

static void
outcome_release (struct outcome *o)
{
  free (o->error);
  free (o->rec.text);
}

/* Reads FD with PROFILE (NULL: canonical) into O. */
static void
read_fd (int fd, const struct imp_profile *profile, struct outcome *o)
{
  struct imp_sink sink
      = { &o->rec, on_list, on_agency, on_reject, on_progress };
  o->result = imp_read (fd, "test", profile, &sink, &o->info, &o->error);
  if (NULL == o->rec.text)
    rec_add (&o->rec, "%s", "");
}

static void
read_file (const char *path, const struct imp_profile *profile,
           struct outcome *o)
{
  int fd = open (path, O_RDONLY);
  assert_true (fd >= 0);
  read_fd (fd, profile, o);
  close (fd);
}

/* A temporary file holding LEN bytes of DATA, open at its start. */
static int
temp_fd (const void *data, size_t len)
{
  FILE *f = tmpfile ();
  assert_non_null (f);
  int fd = dup (fileno (f));
  fclose (f);
  assert_true (fd >= 0);
  const char *p = data;
  while (len > 0)
  {
    ssize_t n = write (fd, p, len);
    assert_true (n > 0);
    p += n;
    len -= (size_t) n;
  }
  assert_int_equal (0, lseek (fd, 0, SEEK_SET));
  return fd;
}

static void
read_string (const char *xml, const struct imp_profile *profile,
             struct outcome *o)
{
  int fd = temp_fd (xml, strlen (xml));
  read_fd (fd, profile, o);
  close (fd);
}

/* The whole content of a file. */
static char *
slurp (const char *path, size_t *len)
{
  FILE *f = fopen (path, "rb");
  assert_non_null (f);
  assert_int_equal (0, fseek (f, 0, SEEK_END));
  long size = ftell (f);
  assert_true (size >= 0);
  rewind (f);
  char *data = malloc ((size_t) size + 1);
  assert_non_null (data);
  assert_int_equal ((size_t) size, fread (data, 1, (size_t) size, f));
  data[size] = '\0';
  fclose (f);
  *len = (size_t) size;
  return data;
}

static void
assert_hash_of_file (const char *path, const struct imp_read_info *info)
{
  size_t len;
  char *data = slurp (path, &len);
  unsigned char hash[crypto_hash_sha256_BYTES];
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  crypto_hash_sha256 (hash, (const unsigned char *) data, len);
  sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
  assert_int_equal (len, info->bytes);
  assert_string_equal (hex, info->sha256_hex);
  free (data);
}

static struct imp_profile *
load_profile (const char *name)
{
  char *error = NULL;
  struct imp_profile *p = imp_profile_load (name, &error);
  if (NULL == p)
    fail_msg ("profile %s: %s", name, error);
  return p;
}

/* --- the canonical format -------------------------------------------------- */

static void
canonical_file_gives_every_field_of_every_record (void **state)
{
  (void) state;
  struct outcome o = { 0 };
  read_file (DATA "canonical-valid.xml", NULL, &o);
  assert_int_equal (IMP_READ_OK, o.result);
  assert_null (o.error);
  assert_string_equal (
      /* generated 05:30 at +07:00: the day before in UTC, and its date as the
       authority wrote it */
      "list PH-DMW 2026-10-31T22:30:00Z on 2026-11-01 complete\n"
      "agency 6: Example Manpower Services Inc.; ref=DMW-000123; country=PH; "
      "registration=CS201912345; address=123 Ortigas Ave, Pasig City; "
      "phone=+63 2 8123 4567; email=info@example.ph; "
      "website=https://example.ph\n"
      "  other name: Example Manpower; lang=fil; kind=trade\n"
      "  officer: Maria Santos; role=president\n"
      "  officer: José Dela Cruz; role=director\n"
      "  personnel: Ana Reyes; registration=R2024-0042\n"
      "  personnel: Liza Bautista\n"
      "  branch: 45 Rizal St; city=Davao City; country=PH\n"
      "  licence 20: POEA-123-LB-031524-R; status=active; category=landbased; "
      "from=2024-03-15; until=2028-03-14\n"
      "agency 25: ရွှေမြန်မာ အလုပ်အကိုင် ကုမ္ပဏီ လီမိတက်; ref=DMW-000456; "
      "country=MM; address=ရန်ကုန်မြို့ ဗဟန်းမြို့နယ်\n"
      "  other name: Shwe Myanmar Employment Co., Ltd.; lang=en; kind=legal\n"
      "  other name: Shwe Myanmar Alote Ah Kaing; lang=my-Latn; "
      "kind=transliteration\n"
      "  licence 31: MOL-0456/2023; status=suspended; category=overseas; "
      "from=2023-01-10; until=2027-01-09; status_date=2026-09-15; "
      "reason=Fees charged to workers; inspection 2026-031.\n"
      "agency 37: ក្រុមហ៊ុន អង្គរ ធនធានមនុស្ស ឯ.ក; ref=DMW-000789; country=KH; "
      "phone=+855 23 123 456\n"
      "  other name: Angkor Human Resources Co., Ltd.; lang=en\n"
      "  licence 42: MLVT-789; status=revoked; status_date=2025-12-01; "
      "reason=Contract substitution.\n"
      "  licence 45: MLVT-790; status=cancelled\n"
      "agency 47: ບໍລິສັດ ຈັດຫາງານ ລາວ ພັດທະນາ ຈຳກັດ; ref=DMW-001011; country=LA\n"
      "  other name: บริษัท จัดหางาน ลาวพัฒนา จำกัด; lang=th\n"
      "  licence 51: MLSW 1011; status=expired; from=2020-06-01; "
      "until=2024-05-31\n"
      "  licence 55: MLSW 1012; status=surrendered\n"
      "agency 57: Công ty TNHH Nguyễn Đông Á; country=VN; "
      "registration=0101234567\n"
      "  other name: Nguyen Dong A Co., Ltd.; lang=en\n"
      "  branch: 12 Lê Lợi, Quận 1; city=Thành phố Hồ Chí Minh\n"
      "  licence 63: VN-2019-001; status=banned\n"
      "  licence 64: VN-2019-002; status=delisted\n"
      "  licence 65: VN-2026-003; status=pending\n",
      o.rec.text);
  assert_int_equal (5, o.info.records);
  assert_int_equal (5, o.info.agencies);
  assert_int_equal (9, o.info.licences);
  assert_int_equal (0, o.info.rejects);
  assert_true (o.rec.progress_calls >= 1);
  assert_hash_of_file (DATA "canonical-valid.xml", &o.info);
  outcome_release (&o);
}

static void
canonical_file_may_use_any_prefix_cdata_comments_and_references (void **state)
{
  (void) state;
  struct outcome o = { 0 };
  read_file (DATA "canonical-prefixed.xml", NULL, &o);
  assert_int_equal (IMP_READ_OK, o.result);
  assert_string_equal (
      "list TH-DOE 2026-06-01T04:59:59Z on 2026-05-31 partial\n"
      "agency 7: Siam & Sons <Recruitment> Co., Ltd.; ref=TH-0001; "
      "address=99 Sukhumvit Road, Khlong Toei, Bangkok\n"
      "  other name: บริษัท สยาม & บุตร; lang=th\n"
      "  licence 16: นจ. 0099/2560; status=active; from=2017-01-01\n",
      o.rec.text);
  outcome_release (&o);
}

static void
each_bad_record_is_rejected_with_its_line_and_the_reading_goes_on (void **state)
{
  (void) state;
  struct outcome o = { 0 };
  read_file (DATA "canonical-bad-records.xml", NULL, &o);
  assert_int_equal (IMP_READ_OK, o.result);
  assert_string_equal (
      "list KH-MLVT 2026-11-01T08:00:00Z on 2026-11-01 complete\n"
      "agency 6: Good Start Recruitment Co., Ltd.; ref=KH-001\n"
      "  licence 8: KH-L-001; status=active\n"
      "reject 12: status 'actve' is not one of: active, suspended, revoked, "
      "cancelled, expired, surrendered, banned, delisted, pending\n"
      "reject 16: the licence has no number\n"
      "reject 22: validUntil '2024-02-30' is not a date (YYYY-MM-DD)\n"
      "reject 29: validUntil 2024-12-31 is before validFrom 2025-01-01\n"
      "reject 34: statusDate '2024-13-01' is not a date (YYYY-MM-DD)\n"
      "reject 36: the agency has no name; line 37: Element 'otherName': This "
      "element is not expected. Expected is ( name ).\n"
      "reject 42: Element 'fax': This element is not expected. Expected is one "
      "of ( otherName, country, registrationNumber, address, phone, email, "
      "website, officer, personnel, branch ).\n"
      "reject 47: status 'revokd' is not one of: active, suspended, revoked, "
      "cancelled, expired, surrendered, banned, delisted, pending; line 48: "
      "validUntil '2023-02-29' is not a date (YYYY-MM-DD)\n"
      "agency 51: Good End Recruitment Co., Ltd.; ref=KH-010\n"
      "  licence 53: KH-L-010; status=expired; from=2020-02-29; "
      "until=2024-02-28\n",
      o.rec.text);
  assert_int_equal (10, o.info.records);
  assert_int_equal (2, o.info.agencies);
  assert_int_equal (8, o.info.rejects);
  outcome_release (&o);
}

static const char list_head[]
    = "<licenceList xmlns='urn:fairreg:licence-list:1' authority='PH-DMW' "
      "generated='2026-11-01T08:00:00Z' scope='complete'>";

static void
schema_errors_go_to_the_record_they_are_in_even_on_one_line (void **state)
{
  (void) state;
  /* A file without line breaks: the parser runs ahead of the records, and
     the errors must still land on the right one. */
  char xml[2048];
  snprintf (xml, sizeof xml,
            "%s<agency><name>A</name><licence number='1' status='active'/>"
            "</agency><agency><name>B</name><licence number='2' "
            "status='active' bogus='x'/></agency><agency><name>C</name>"
            "<licence number='3' status='active'/></agency><agency>"
            "<name>D</name><licence number='4' status='active' "
            "category='landbased'/><unknown/></agency></licenceList>",
            list_head);
  struct outcome o = { 0 };
  read_string (xml, NULL, &o);
  assert_int_equal (IMP_READ_OK, o.result);
  assert_string_equal (
      "list PH-DMW 2026-11-01T08:00:00Z on 2026-11-01 complete\n"
      "agency 1: A\n"
      "  licence 1: 1; status=active\n"
      "reject 1: Element 'licence', attribute 'bogus': The attribute 'bogus' "
      "is not allowed.\n"
      "agency 1: C\n"
      "  licence 1: 3; status=active\n"
      "reject 1: Element 'unknown': This element is not expected. Expected is "
      "( licence ).\n",
      o.rec.text);
  outcome_release (&o);
}

static void
a_reason_lists_several_problems_within_200_bytes (void **state)
{
  (void) state;
  char xml[4096];
  snprintf (xml, sizeof xml,
            "%s\n<agency>\n<name>Many Problems Co.</name>\n"
            "<licence number='1' status='active'>\n"
            "<validFrom>2024-02-30</validFrom>\n"
            "<validUntil>2023-13-01</validUntil>\n</licence>\n"
            "<licence number='2' status='gone' statusDate='yesterday'/>\n"
            "</agency>\n</licenceList>\n",
            list_head);
  struct outcome o = { 0 };
  read_string (xml, NULL, &o);
  assert_int_equal (IMP_READ_OK, o.result);
  /* Sorted by line; our words before the schema's; as many as fit. */
  assert_string_equal (
      "list PH-DMW 2026-11-01T08:00:00Z on 2026-11-01 complete\n"
      "reject 5: validFrom '2024-02-30' is not a date (YYYY-MM-DD); line 6: "
      "validUntil '2023-13-01' is not a date (YYYY-MM-DD) (and 2 more)\n",
      o.rec.text);
  outcome_release (&o);
}

static void
the_list_attributes_are_checked (void **state)
{
  (void) state;
  static const struct
  {
    const char *root;
    const char *error;
  } cases[] = {
    { "authority='PH-DMW' generated='2026-11-01T08:00:00' scope='complete'",
      "line 1: the generated time '2026-11-01T08:00:00' is not a valid time "
      "with its time zone, such as 2026-11-01T08:00:00Z or "
      "2026-11-01T15:00:00+07:00" },
    { "authority='PH-DMW' generated='2026-02-29T08:00:00Z' scope='complete'",
      "line 1: the generated time '2026-02-29T08:00:00Z' is not a valid time "
      "with its time zone, such as 2026-11-01T08:00:00Z or "
      "2026-11-01T15:00:00+07:00" },
    { "generated='2026-11-01T08:00:00Z' scope='complete'",
      "line 1: the list does not say its authority" },
    { "authority='Philippines' generated='2026-11-01T08:00:00Z' "
      "scope='complete'",
      "line 1: the authority 'Philippines' is not an authority code such as "
      "TH-DOE" },
    { "authority='PH-DMW' generated='2026-11-01T08:00:00Z' scope='all'",
      "line 1: the scope 'all' is not complete or partial" },
    { "authority='PH-DMW' generated='2026-11-01T08:00:00Z' "
      "scope='complete' version='2'",
      "line 1: the <licenceList> element is not valid: Element "
      "'licenceList', attribute 'version': The attribute 'version' is not "
      "allowed." },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
  {
    char xml[1024];
    snprintf (xml, sizeof xml,
              "<licenceList xmlns='urn:fairreg:licence-list:1' %s><agency>"
              "<name>A</name><licence number='1' status='active'/></agency>"
              "</licenceList>",
              cases[i].root);
    struct outcome o = { 0 };
    read_string (xml, NULL, &o);
    assert_int_equal (IMP_READ_REFUSED, o.result);
    assert_string_equal (cases[i].error, o.error);
    assert_int_equal (0, o.rec.lists);
    assert_int_equal (0, o.rec.agencies);
    outcome_release (&o);
  }
}

static void
time_zones_of_generated_are_converted_to_utc (void **state)
{
  (void) state;
  static const struct
  {
    const char *generated;
    const char *expected;
  } cases[] = {
    { "2026-11-01T08:00:00Z", "2026-11-01T08:00:00Z on 2026-11-01" },
    { "2026-11-01T08:00:00+07:00", "2026-11-01T01:00:00Z on 2026-11-01" },
    { "2026-11-01T02:00:00+07:00", "2026-10-31T19:00:00Z on 2026-11-01" },
    { "2026-12-31T20:30:00-05:30", "2027-01-01T02:00:00Z on 2026-12-31" },
    { "2024-02-28T23:59:59.999-01:00", "2024-02-29T00:59:59Z on 2024-02-28" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
  {
    char xml[1024];
    char expected[200];
    snprintf (xml, sizeof xml,
              "<licenceList xmlns='urn:fairreg:licence-list:1' "
              "authority='PH-DMW' generated='%s' scope='partial'><agency>"
              "<name>A</name><licence number='1' status='active'/></agency>"
              "</licenceList>",
              cases[i].generated);
    snprintf (expected, sizeof expected, "list PH-DMW %s partial\n",
              cases[i].expected);
    struct outcome o = { 0 };
    read_string (xml, NULL, &o);
    assert_int_equal (IMP_READ_OK, o.result);
    assert_int_equal (0, strncmp (expected, o.rec.text, strlen (expected)));
    outcome_release (&o);
  }
}

static void
a_sink_that_says_stop_stops_the_reading (void **state)
{
  (void) state;
  struct outcome o = { 0 };
  o.rec.stop_at = 2;
  read_file (DATA "canonical-valid.xml", NULL, &o);
  assert_int_equal (IMP_READ_STOPPED, o.result);
  assert_int_equal (7, o.info.stop_value);
  assert_int_equal (2, o.rec.agencies);
  assert_null (o.error);
  outcome_release (&o);
}

/* --- hostile and broken files ----------------------------------------------- */

static void
hostile_files_are_refused_before_any_record (void **state)
{
  (void) state;
  static const struct
  {
    const char *file;
    const char *error;
  } cases[] = {
    { "hostile-doctype-entity.xml",
      "line 2: the file has a DOCTYPE declaration: DTDs and entities are not "
      "allowed in a licence list (remove the <!DOCTYPE ...>)" },
    { "hostile-xxe-file.xml",
      "line 3: the file has a DOCTYPE declaration: DTDs and entities are not "
      "allowed in a licence list (remove the <!DOCTYPE ...>)" },
    { "hostile-xxe-http.xml",
      "line 2: the file has a DOCTYPE declaration: DTDs and entities are not "
      "allowed in a licence list (remove the <!DOCTYPE ...>)" },
    { "hostile-billion-laughs.xml",
      "line 2: the file has a DOCTYPE declaration: DTDs and entities are not "
      "allowed in a licence list (remove the <!DOCTYPE ...>)" },
    { "hostile-xinclude.xml",
      "line 5: the file uses XInclude (<xi:include>): including other files "
      "is not allowed" },
    { "hostile-xinclude-top.xml",
      "line 4: the file uses XInclude (<xi:include>): including other files "
      "is not allowed" },
    { "hostile-truncated.xml",
      "line 6: the file ends before its XML is complete (2 elements are "
      "still open): it is truncated" },
    { "hostile-invalid-utf8.xml",
      "line 4: the file is not valid UTF-8 (byte 0xFF is out of place): save "
      "it as UTF-8" },
    { "hostile-wrong-encoding.xml",
      "line 1: the file declares encoding=\"ISO-8859-1\": only UTF-8 is "
      "accepted (convert the file to UTF-8 and declare encoding=\"UTF-8\")" },
    { "hostile-utf16.xml",
      "line 1: the file is UTF-16 (it starts with a UTF-16 byte order mark): "
      "save it as UTF-8" },
    { "hostile-empty.xml", "the file is empty" },
    { "hostile-wrong-root.xml",
      "line 2: the root element is <agencies>, not <licenceList> in the "
      "namespace urn:fairreg:licence-list:1: this is not a licence list (or "
      "it needs a profile)" },
    { "hostile-no-namespace.xml",
      "line 2: the root element is <licenceList> without a namespace: a "
      "licence list starts with <licenceList "
      "xmlns=\"urn:fairreg:licence-list:1\" ...>" },
    { "hostile-not-xml.xml",
      "line 1: the file is not XML: it does not start with an element" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
  {
    char path[200];
    snprintf (path, sizeof path, DATA "%s", cases[i].file);
    struct outcome o = { 0 };
    read_file (path, NULL, &o);
    if (IMP_READ_REFUSED != o.result)
      fail_msg ("%s was not refused", cases[i].file);
    assert_string_equal (cases[i].error, o.error);
    assert_int_equal (0, o.rec.agencies);
    assert_int_equal (0, o.rec.rejects);
    /* The whole file is hashed all the same, for the import's record. */
    assert_hash_of_file (path, &o.info);
    outcome_release (&o);
  }
}

static void
a_file_truncated_after_some_records_is_still_refused (void **state)
{
  (void) state;
  size_t len;
  char *xml = slurp (DATA "canonical-valid.xml", &len);
  /* Cut inside the third agency. */
  char *cut = strstr (xml, "<name>ក្រុមហ៊ុន");
  assert_non_null (cut);
  int fd = temp_fd (xml, (size_t) (cut - xml));
  struct outcome o = { 0 };
  read_fd (fd, NULL, &o);
  close (fd);
  assert_int_equal (IMP_READ_REFUSED, o.result);
  assert_string_equal ("line 38: the file ends before its XML is complete "
                       "(2 elements are still open): it is truncated",
                       o.error);
  /* Records the reader finished before the parser met the cut went to the
     sink (here the first: the parser reads ahead of the records): the loader
     drops them on a refusal. */
  assert_int_equal (1, o.rec.agencies);
  free (xml);
  outcome_release (&o);
}

/* LEN bytes: HEAD, then FILL repeated, then TAIL. */
static char *
generate (const char *head, const char *fill, size_t times, const char *tail,
          size_t *len)
{
  size_t hl = strlen (head);
  size_t fl = strlen (fill);
  size_t tl = strlen (tail);
  *len = hl + fl * times + tl;
  char *data = malloc (*len + 1);
  assert_non_null (data);
  memcpy (data, head, hl);
  for (size_t i = 0; i < times; i++)
    memcpy (data + hl + i * fl, fill, fl);
  memcpy (data + hl + fl * times, tail, tl + 1);
  return data;
}

static void
read_generated (char *data, size_t len, const struct imp_profile *profile,
                struct outcome *o)
{
  int fd = temp_fd (data, len);
  read_fd (fd, profile, o);
  close (fd);
  free (data);
}

static void
nesting_ten_thousand_deep_is_refused (void **state)
{
  (void) state;
  char head[512];
  size_t len;
  struct outcome o = { 0 };

  /* Inside a record of the canonical format. */
  snprintf (head, sizeof head, "%s<agency><name>A</name>", list_head);
  char *data = generate (head, "<a>", 10000, "", &len);
  read_generated (data, len, NULL, &o);
  assert_int_equal (IMP_READ_REFUSED, o.result);
  assert_string_equal ("line 1: elements are nested more than 64 levels deep",
                       o.error);
  assert_int_equal (0, o.rec.agencies);
  outcome_release (&o);

  /* Outside any record, in a profile's format. */
  struct imp_profile *p = load_profile ("th-doe-flat");
  memset (&o, 0, sizeof o);
  data = generate ("<DATA>\n", "<X>", 10000, "", &len);
  read_generated (data, len, p, &o);
  assert_int_equal (IMP_READ_REFUSED, o.result);
  assert_string_equal ("line 2: elements are nested more than 64 levels deep",
                       o.error);
  outcome_release (&o);

  /* 66 levels inside a record, which libxml2 alone would allow. */
  memset (&o, 0, sizeof o);
  char tail[64 * 4 + 32] = "";
  for (int i = 0; i < 64; i++)
    strcat (tail, "</X>");
  strcat (tail, "</ROW></DATA>");
  data = generate ("<DATA>\n<ROW><LIC_NO>1</LIC_NO><COMPANY_TH>A</COMPANY_TH>"
                   "<STATUS>ปกติ</STATUS>\n",
                   "<X>", 64, tail, &len);
  read_generated (data, len, p, &o);
  assert_int_equal (IMP_READ_REFUSED, o.result);
  assert_string_equal ("line 3: elements are nested more than 64 levels deep",
                       o.error);
  imp_profile_free (p);
  outcome_release (&o);
}

static void
a_20_megabyte_text_is_refused (void **state)
{
  (void) state;
  char head[512];
  size_t len;
  struct outcome o = { 0 };
  snprintf (head, sizeof head, "%s\n<agency>\n<name>", list_head);
  char *data = generate (head, "abcdefghij", 2 * 1024 * 1024,
                         "</name></agency></licenceList>", &len);
  read_generated (data, len, NULL, &o);
  assert_int_equal (IMP_READ_REFUSED, o.result);
  assert_string_equal (
      "line 3: a text or attribute value is longer than 1048576 bytes",
      o.error);
  assert_int_equal (0, o.rec.agencies);
  assert_int_equal (len, o.info.bytes);
  outcome_release (&o);

  /* The same for an attribute value, and for a tag padded with spaces. */
  memset (&o, 0, sizeof o);
  data = generate ("<licenceList\n authority='", "PH-DMW", 400000, "'/>", &len);
  read_generated (data, len, NULL, &o);
  assert_int_equal (IMP_READ_REFUSED, o.result);
  assert_string_equal (
      "line 2: a text or attribute value is longer than 1048576 bytes",
      o.error);
  outcome_release (&o);
  memset (&o, 0, sizeof o);
  data = generate ("<licenceList", "     ", 400000, "/>", &len);
  read_generated (data, len, NULL, &o);
  assert_int_equal (IMP_READ_REFUSED, o.result);
  assert_string_equal (
      "line 1: a text or attribute value is longer than 1048576 bytes",
      o.error);
  outcome_release (&o);
}

static void
records_and_tags_too_large_for_memory_are_refused (void **state)
{
  (void) state;
  char head[512];
  size_t len;
  struct outcome o = { 0 };

  /* A million empty elements in one agency: 4 MB of text, 120 MB as a
     tree. */
  snprintf (head, sizeof head, "%s\n<agency>\n<name>A</name>", list_head);
  char *data
      = generate (head, "<a/>", 1000000, "</agency></licenceList>", &len);
  read_generated (data, len, NULL, &o);
  assert_int_equal (IMP_READ_REFUSED, o.result);
  assert_string_equal ("line 2: the record that starts here holds more than "
                       "50000 XML nodes (elements, attributes, texts)",
                       o.error);
  outcome_release (&o);

  /* 100,000 attributes on one element (quadratic in libxml2 2.9). */
  memset (&o, 0, sizeof o);
  data = generate ("<licenceList xmlns='urn:fairreg:licence-list:1'\n", " a=''",
                   100000, "/>", &len);
  read_generated (data, len, NULL, &o);
  assert_int_equal (IMP_READ_REFUSED, o.result);
  assert_string_equal ("line 2: an element has more than 256 attributes",
                       o.error);
  outcome_release (&o);
}

static void
bytes_that_are_not_utf8_text_are_refused (void **state)
{
  (void) state;
  static const struct
  {
    const char *bytes;
    size_t len;
    const char *error;
  } cases[] = {
    /* overlong '/' */
    { "<agency>\xC0\xAF</agency>", 19,
      "line 2: the file is not valid UTF-8 (byte 0xC0 is out of place): "
      "save it as UTF-8" },
    /* a UTF-16 surrogate */
    { "<agency>\xED\xA0\x80</agency>", 20,
      "line 2: the file is not valid UTF-8 (byte 0xA0 is out of place): "
      "save it as UTF-8" },
    /* above U+10FFFF */
    { "<agency>\n\xF4\x90\x80\x80</agency>", 22,
      "line 3: the file is not valid UTF-8 (byte 0x90 is out of place): "
      "save it as UTF-8" },
    { "<agency>x\0y</agency>", 20,
      "line 2: the file contains a NUL byte: it is not a UTF-8 text file "
      "(UTF-16?)" },
    { "<agency>\xE0\xB8", 10,
      "line 2: the file ends inside a UTF-8 character: it is truncated" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
  {
    struct outcome o = { 0 };
    char bytes[1024];
    size_t head = strlen (list_head);
    memcpy (bytes, list_head, head);
    bytes[head] = '\n';
    memcpy (bytes + head + 1, cases[i].bytes, cases[i].len);
    int fd = temp_fd (bytes, head + 1 + cases[i].len);
    read_fd (fd, NULL, &o);
    close (fd);
    assert_int_equal (IMP_READ_REFUSED, o.result);
    assert_string_equal (cases[i].error, o.error);
    outcome_release (&o);
  }
}

static void
structure_outside_agencies_is_refused (void **state)
{
  (void) state;
  static const struct
  {
    const char *body;
    const char *error;
  } cases[] = {
    { "<agency><name>A</name><licence number='1' status='active'/></agency>\n"
      "<note>x</note>",
      "line 2: unexpected element <note> in <licenceList>: only <agency> "
      "elements may be there" },
    { "\nsome words",
      "line 2: text outside any <agency>: only <agency> elements may be in "
      "<licenceList>" },
    { "", "the list has no <agency>" },
    { "<agency><name>A</name><licence number='1' status='active'/>"
      "</agency></licenceList><licenceList>",
      "line 1: the file is not well-formed XML: Extra content at the end of "
      "the document" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
  {
    char xml[1024];
    snprintf (xml, sizeof xml, "%s%s</licenceList>", list_head, cases[i].body);
    struct outcome o = { 0 };
    read_string (xml, NULL, &o);
    assert_int_equal (IMP_READ_REFUSED, o.result);
    assert_string_equal (cases[i].error, o.error);
    outcome_release (&o);
  }
}

/* --- profiles ------------------------------------------------------------------ */

static void
thai_flat_export_reads_with_buddhist_era_dates (void **state)
{
  (void) state;
  struct imp_profile *p = load_profile ("th-doe-flat");
  struct outcome o = { 0 };
  read_file (DATA "profile-th-doe-flat.xml", p, &o);
  assert_int_equal (IMP_READ_OK, o.result);
  /* The export does not date itself: the list is as of the reading. */
  const char *agencies = strstr (o.rec.text, "\nagency");
  assert_non_null (agencies);
  assert_int_equal (0, strncmp ("list TH-DOE 2", o.rec.text, 13));
  assert_non_null (strstr (o.rec.text, "Z on 2"));
  assert_non_null (strstr (o.rec.text, " complete\n"));
  assert_string_equal (
      "\nagency 3: บริษัท ตัวอย่าง จัดหางาน จำกัด; country=TH; "
      "address=กรุงเทพมหานคร\n"
      "  other name: Example Recruitment Co., Ltd.; lang=en; kind=legal\n"
      "  licence 3: นจ. 1234/2565; status=active; from=2022-03-15; "
      "until=2026-03-14\n"
      "agency 12: บริษัท สยามรุ่งเรือง จัดหางาน จำกัด; country=TH; "
      "address=ขอนแก่น\n"
      "  other name: Siam Rungrueang Recruitment Co., Ltd.; lang=en; "
      "kind=legal\n"
      "  licence 12: นจ. 0456/2563; status=suspended; from=2020-07-01; "
      "until=2024-06-30\n"
      "agency 21: บริษัท ทองคำ แมนพาวเวอร์ จำกัด; country=TH; "
      "address=อุดรธานี\n"
      "  licence 21: นจ. 0789/2563; status=revoked; from=2020-02-29; "
      "until=2024-02-28\n"
      "agency 30: บริษัท เชียงใหม่ บริการแรงงาน จำกัด; country=TH; "
      "address=เชียงใหม่\n"
      "  other name: Chiang Mai Labour Services Co., Ltd.; lang=en; "
      "kind=legal\n"
      "  licence 30: นจ. 1001/2566; status=expired; from=2023-01-10; "
      "until=2024-01-09\n",
      agencies);
  imp_profile_free (p);
  outcome_release (&o);
}

static void
thai_rows_with_unknown_words_or_bad_dates_are_rejected (void **state)
{
  (void) state;
  struct imp_profile *p = load_profile ("th-doe-flat");
  struct outcome o = { 0 };
  read_file (DATA "profile-th-doe-flat-bad.xml", p, &o);
  assert_int_equal (IMP_READ_OK, o.result);
  const char *rest = strchr (o.rec.text, '\n') + 1;
  assert_string_equal (
      "reject 6: status 'ปิดกิจการ' is not a status word of the profile "
      "th-doe-flat\n"
      "reject 13: validUntil '31/02/2567' is not a date in any of the formats "
      "DD/MM/YYYY (Buddhist era), YYYY-MM-DD\n"
      "reject 19: validFrom '15/03/2022' would be in the year 1479: the "
      "profile reads DD/MM/YYYY in the Buddhist era (is the year Gregorian?)\n"
      "reject 21: the licence has no number\n"
      "reject 31: validUntil 2023-12-31 is before validFrom 2024-01-01\n"
      "agency 33: บริษัท ดี จัดหางาน จำกัด; country=TH\n"
      "  licence 33: นจ. 2006/2566; status=pending\n",
      rest);
  imp_profile_free (p);
  outcome_release (&o);
}

static void
malaysian_attribute_export_reads_with_malay_status_words (void **state)
{
  (void) state;
  struct imp_profile *p = load_profile ("my-jtksm-attr");
  struct outcome o = { 0 };
  read_file (DATA "profile-my-jtksm-attr.xml", p, &o);
  assert_int_equal (IMP_READ_OK, o.result);
  assert_string_equal (
      "list MY-JTKSM 2026-11-01T00:00:00Z on 2026-11-01 partial\n"
      "agency 7: Contoh Pekerjaan Sdn. Bhd.; ref=AG-0042; country=MY; "
      "registration=201901012345; address=No. 12, Jalan Contoh 3/4, 40000 "
      "Shah Alam, Selangor; phone=+60 3-5512 3456; "
      "email=urusan@contoh.example.my\n"
      "  licence 7: JTKSM 1234A; status=active; category=A; from=2024-01-01; "
      "until=2027-12-31\n"
      "agency 10: Agensi Pekerjaan Maju Jaya Sdn. Bhd.; ref=AG-0043; "
      "country=MY; registration=200801009876\n"
      "  licence 10: JTKSM 0987B; status=suspended; category=B; "
      "from=2022-07-01; until=2025-06-30\n"
      "agency 12: Syarikat Bintang Timur Sdn. Bhd.; ref=AG-0044; country=MY\n"
      "  licence 12: JTKSM 0555C; status=banned; category=C\n"
      "agency 14: Kerjaya Global Sdn. Bhd.; ref=AG-0045; country=MY\n"
      "  licence 14: JTKSM 0777A; status=expired; category=A; "
      "from=2020-02-15; until=2023-02-14\n",
      o.rec.text);
  imp_profile_free (p);
  outcome_release (&o);
}

static void
vietnamese_nested_export_reads_several_permits_per_record (void **state)
{
  (void) state;
  struct imp_profile *p = load_profile ("vn-molisa-nested");
  struct outcome o = { 0 };
  read_file (DATA "profile-vn-molisa-nested.xml", p, &o);
  assert_int_equal (IMP_READ_OK, o.result);
  assert_string_equal (
      "list VN-MOLISA 2026-11-01T02:00:00Z on 2026-11-01 complete\n"
      "agency 3: Công ty Cổ phần Cung ứng Nhân lực Đông Á; ref=DN-0101; "
      "country=VN; registration=0101234567; address=25 Phố Huế, Quận Hai Bà "
      "Trưng, Hà Nội; phone=+84 24 3822 1234; email=lienhe@donga.example.vn; "
      "website=https://donga.example.vn\n"
      "  other name: Dong A Manpower Supply JSC; lang=en\n"
      "  officer: Nguyễn Thị Hương; role=Tổng Giám đốc\n"
      "  branch: 88 Trần Phú; city=Đà Nẵng; country=VN\n"
      "  branch: 5 Lý Thường Kiệt; city=Nghệ An; country=VN\n"
      "  licence 26: 123/LĐTBXH-GP; status=active; category=Đưa người lao "
      "động đi làm việc ở nước ngoài; from=2022-03-15; until=2029-03-14\n"
      "  licence 32: 045/LĐTBXH-GP; status=expired; from=2015-06-01; "
      "until=2022-05-31\n"
      "agency 39: Công ty TNHH Xuất khẩu Lao động Sông Hồng; ref=DN-0202; "
      "country=VN\n"
      "  licence 46: 310/LĐTBXH-GP; status=suspended; from=2021-09-01; "
      "until=2028-08-31; status_date=2026-10-20; reason=Thu phí của người lao "
      "động vượt mức quy định\n",
      o.rec.text);
  imp_profile_free (p);
  outcome_release (&o);
}

static void
a_file_of_another_format_is_refused_by_the_profile (void **state)
{
  (void) state;
  struct imp_profile *thai = load_profile ("th-doe-flat");
  struct imp_profile *vn = load_profile ("vn-molisa-nested");
  struct outcome o = { 0 };
  read_file (DATA "profile-my-jtksm-attr.xml", thai, &o);
  assert_int_equal (IMP_READ_REFUSED, o.result);
  assert_string_equal ("line 2: the root element is <senarai>, but the "
                       "profile th-doe-flat expects <DATA>: is this the "
                       "right profile?",
                       o.error);
  outcome_release (&o);

  memset (&o, 0, sizeof o);
  read_file (DATA "profile-th-doe-flat.xml", vn, &o);
  assert_int_equal (IMP_READ_REFUSED, o.result);
  assert_string_equal ("line 2: the root element is <DATA> without a "
                       "namespace, but the profile vn-molisa-nested expects "
                       "<records> in the namespace "
                       "urn:example:vn-molisa:permits:1: is this the right "
                       "profile?",
                       o.error);
  outcome_release (&o);

  memset (&o, 0, sizeof o);
  read_string ("<DATA><ROWS/></DATA>", thai, &o);
  assert_int_equal (IMP_READ_REFUSED, o.result);
  assert_string_equal (
      "no record element /DATA/ROW in the file: is th-doe-flat the right "
      "profile?",
      o.error);
  outcome_release (&o);

  /* The canonical format is refused by a profile, and the other way. */
  memset (&o, 0, sizeof o);
  read_file (DATA "profile-th-doe-flat.xml", NULL, &o);
  assert_int_equal (IMP_READ_REFUSED, o.result);
  assert_string_equal ("line 2: the root element is <DATA> without a "
                       "namespace, not <licenceList> in the namespace "
                       "urn:fairreg:licence-list:1: this is not a licence "
                       "list (or it needs a profile)",
                       o.error);
  outcome_release (&o);
  imp_profile_free (thai);
  imp_profile_free (vn);
}

static void
hostile_files_are_refused_with_a_profile_too (void **state)
{
  (void) state;
  struct imp_profile *p = load_profile ("th-doe-flat");
  static const struct
  {
    const char *xml;
    const char *error;
  } cases[] = {
    { "<?xml version='1.0'?>\n<!DOCTYPE DATA [<!ENTITY x 'y'>]>\n"
      "<DATA><ROW><LIC_NO>&x;</LIC_NO></ROW></DATA>",
      "line 2: the file has a DOCTYPE declaration: DTDs and entities are not "
      "allowed in a licence list (remove the <!DOCTYPE ...>)" },
    { "<DATA xmlns:xi='http://www.w3.org/2001/XInclude'>\n<ROW>"
      "<xi:include href='/etc/passwd' parse='text'/></ROW></DATA>",
      "line 2: the file uses XInclude (<xi:include>): including other files "
      "is not allowed" },
    { "<?xml version='1.0' encoding='TIS-620'?><DATA/>",
      "line 1: the file declares encoding=\"TIS-620\": only UTF-8 is "
      "accepted (convert the file to UTF-8 and declare encoding=\"UTF-8\")" },
    { "<DATA>\n<ROW>\n<LIC_NO>1", "line 3: the file ends before its XML is "
                                  "complete (3 elements are still open): it "
                                  "is truncated" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
  {
    struct outcome o = { 0 };
    read_string (cases[i].xml, p, &o);
    assert_int_equal (IMP_READ_REFUSED, o.result);
    assert_string_equal (cases[i].error, o.error);
    assert_int_equal (0, o.rec.agencies);
    outcome_release (&o);
  }
  imp_profile_free (p);
}

static void
a_record_name_matches_at_any_depth_and_any_prefix (void **state)
{
  (void) state;
  static const char profile[]
      = "<profile version='1'>\n"
        " <namespace prefix='q' uri='urn:example:q'/>\n"
        " <record select='q:item'/>\n"
        " <list><authority select='@for'/><scope value='partial'/></list>\n"
        " <agency><name select='q:who'/><country value='LA'/></agency>\n"
        " <licence><number select='@no'/><status value='active'/></licence>\n"
        "</profile>\n";
  char *error = NULL;
  struct imp_profile *p
      = imp_profile_parse (profile, sizeof profile - 1, "inline", &error);
  assert_non_null (p);
  struct outcome o = { 0 };
  read_string ("<x:all xmlns:x='urn:example:q' for='LA-MLSW'>\n"
               "<x:group><x:item no='L-1'><x:who>ບໍລິສັດ ໜຶ່ງ</x:who>"
               "</x:item></x:group>\n"
               "<x:item no='L-2'><x:who>  Two\n  Co. </x:who></x:item>\n"
               "</x:all>",
               p, &o);
  assert_int_equal (IMP_READ_OK, o.result);
  assert_int_equal (0, strncmp ("list LA-MLSW 2", o.rec.text, 14));
  assert_string_equal ("agency 2: ບໍລິສັດ ໜຶ່ງ; country=LA\n"
                       "  licence 2: L-1; status=active\n"
                       "agency 3: Two Co.; country=LA\n"
                       "  licence 3: L-2; status=active\n",
                       strchr (o.rec.text, '\n') + 1);
  imp_profile_free (p);
  outcome_release (&o);
}

/* --- profile mistakes --------------------------------------------------------- */

static void
each_mistake_in_a_profile_is_named_with_its_line (void **state)
{
  (void) state;
  char *error = NULL;
#define MANY DATA "bad-profiles/many-mistakes.xml, "
  assert_null (
      imp_profile_load (DATA "bad-profiles/many-mistakes.xml", &error));
  assert_string_equal (
      MANY
      "line 3: <profile> must name the authority of its lists: "
      "<list><authority value=\"TH-DOE\"/></list>\n" MANY
      "line 6: the XPath 'COMPANY_TH[' of <name> does not compile: the "
      "expression is not valid XPath 1.0\n" MANY
      "line 7: the country 'Thailand' is not two capital letters (ISO "
      "3166-1)\n" MANY
      "line 8: <phone> needs either select (an XPath) or value (a "
      "constant), not both\n" MANY
      "line 9: the XPath 'upper-case(EMAIL)' of <email> fails: it calls a "
      "function that XPath 1.0 does not have (XPath 2.0 functions such as "
      "upper-case() are not available)\n" MANY
      "line 10: the XPath 'm:WEB' of <website> does not compile: it uses "
      "a namespace prefix that no <namespace> declares\n" MANY
      "line 12: <licence> must map <number>\n" MANY
      "line 12: <licence> must map <status>\n" MANY
      "line 13: unknown element <stauts> in <licence> (expected one of: "
      "number, category, status, validFrom, validUntil, statusDate, "
      "statusReason)\n" MANY
      "line 18: the status word 'ใช้งาน' is already mapped on line 17\n" MANY
      "line 19: the status 'closed' is not one of: active, suspended, "
      "revoked, cancelled, expired, surrendered, banned, delisted, "
      "pending\n" MANY
      "line 22: the date format 'DD/MMM/YYYY' is not usable: it uses a "
      "token that is not YYYY, MM, M, DD, D, hh, mm or ss\n" MANY
      "line 23: the era 'julian' is not gregorian or buddhist",
      error);
#undef MANY
  free (error);
}

static void
a_broken_or_incomplete_profile_says_what_is_missing (void **state)
{
  (void) state;
  static const struct
  {
    const char *file;
    const char *error;
  } cases[] = {
    { DATA "bad-profiles/missing-record.xml",
      DATA "bad-profiles/missing-record.xml, line 2: <profile> must have "
           "<record select=\"...\"/>: which element is one record" },
    { DATA "bad-profiles/not-well-formed.xml",
      DATA "bad-profiles/not-well-formed.xml, line 7: the profile is not "
           "well-formed XML: Opening and ending tag mismatch: record line 3 "
           "and profile" },
    { DATA "bad-profiles/wrong-root.xml",
      DATA "bad-profiles/wrong-root.xml, line 2: the root element must be "
           "<profile version=\"1\">" },
    { "no-such-profile",
      "there is no built-in profile 'no-such-profile' (built-in profiles: "
      "my-jtksm-attr, th-doe-flat, vn-molisa-nested; give a path with a / to "
      "use a profile file)" },
    { DATA "bad-profiles/absent.xml",
      DATA "bad-profiles/absent.xml: cannot open the profile: No such file "
           "or directory" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
  {
    char *error = NULL;
    assert_null (imp_profile_load (cases[i].file, &error));
    assert_string_equal (cases[i].error, error);
    free (error);
  }
}

static void
profile_snippets_with_one_mistake_each (void **state)
{
  (void) state;
  static const struct
  {
    const char *body;
    const char *error;
  } cases[] = {
    { "<record select='ROW'/><list><authority value='TH-DOE'/></list>"
      "<agency><name select='N'/></agency>"
      "<licence><number select='/DATA/ROW/NO'/><status select='S'/>"
      "</licence>",
      "inline, line 1: the select '/DATA/ROW/NO' of <number> must be "
      "relative to the record (it starts with /)" },
    { "<record select='ROW'/><agency><name select='N'/></agency>"
      "<licence><number select='NO'/><status select='S'/></licence>"
      "<list><authority value='TH-DOE'/><generated select='DATE'/></list>",
      "inline, line 1: the select of <generated> must read an attribute of "
      "the root element, such as @exported" },
    { "<record select='DATA//ROW'/><list><authority value='TH-DOE'/></list>"
      "<agency><name select='N'/></agency>"
      "<licence><number select='NO'/><status select='S'/></licence>",
      "inline, line 1: the record select 'DATA//ROW' is not a path of element "
      "names such as /DATA/ROW, or one element name such as ROW" },
    { "<record select='ROW'/><list><authority value='TH-DOE'/></list>"
      "<agency><name select='N'/></agency>"
      "<licence><number select='NO'/><status value='ใช้งาน'/></licence>",
      "inline, line 1: the status 'ใช้งาน' is not one of: active, suspended, "
      "revoked, cancelled, expired, surrendered, banned, delisted, pending" },
    { "<record select='ROW'/><list><authority value='TH-DOE'/></list>"
      "<agency><name select='N'/>"
      "<officer select='string(BOSS)'/></agency>"
      "<licence><number select='NO'/><status select='S'/></licence>",
      "inline, line 1: the XPath 'string(BOSS)' of <officer> must select "
      "elements, not compute a value" },
    { "<record select='ROW'/><list><authority value='TH-DOE'/></list>"
      "<agency><name select='N'/></agency>"
      "<licence><number select='NO'/><status select='S'/></licence>"
      "<dates><format>YYYY-MM</format></dates>",
      "inline, line 1: the date format 'YYYY-MM' is not usable: it needs "
      "YYYY, a month (MM or M) and a day (DD or D), each once" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
  {
    char text[2048];
    char *error = NULL;
    snprintf (text, sizeof text, "<profile version='1'>%s</profile>",
              cases[i].body);
    assert_null (imp_profile_parse (text, strlen (text), "inline", &error));
    assert_string_equal (cases[i].error, error);
    free (error);
  }
}

/* --- dates and words ---------------------------------------------------------- */

static void
dates_are_read_in_every_format_and_era (void **state)
{
  (void) state;
  static const struct
  {
    const char *format;
    int shift;
    const char *text;
    const char *expected; /* NULL: not a date */
  } cases[] = {
    { "DD/MM/YYYY", -543, "15/03/2565", "2022-03-15" },
    { "DD/MM/YYYY", -543, "29/02/2563", "2020-02-29" },
    { "DD/MM/YYYY", -543, "29/02/2564", NULL }, /* 2021 is no leap year */
    { "YYYY-MM-DD", 0, "2024-02-29", "2024-02-29" },
    { "YYYY-MM-DD", 0, "2024-02-30", NULL },
    { "YYYY-MM-DD", 0, "2023-02-29", NULL },
    { "YYYY-MM-DD", 0, "1900-02-29", NULL },
    { "YYYY-MM-DD", 0, "2000-02-29", "2000-02-29" },
    { "YYYY-MM-DD", 0, "2024-13-01", NULL },
    { "YYYY-MM-DD", 0, "2024-1-1", NULL },
    { "YYYY-MM-DD", 0, "2024-01-01Z", NULL },
    { "DD.MM.YYYY", 0, "31.12.2027", "2027-12-31" },
    { "MM/DD/YYYY", 0, "12/31/2027", "2027-12-31" },
    { "MM/DD/YYYY", 0, "31/12/2027", NULL },
    { "D/M/YYYY", 0, "1/7/2022", "2022-07-01" },
    { "D/M/YYYY", 0, "01/07/2022", "2022-07-01" },
    { "DD-MM-YYYY", 0, "1-07-2022", NULL },
    { "YYYY-MM-DD hh:mm:ss", 0, "2024-03-15 00:00:00", "2024-03-15" },
    { "DD/MM/YYYY", 0, "", NULL },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
  {
    char out[11] = "";
    bool ok
        = imp_date_parse (cases[i].format, cases[i].shift, cases[i].text, out);
    if (NULL == cases[i].expected)
    {
      if (ok)
        fail_msg ("'%s' in %s read as %s", cases[i].text, cases[i].format, out);
    }
    else
    {
      if (!ok)
        fail_msg ("'%s' in %s not read", cases[i].text, cases[i].format);
      assert_string_equal (cases[i].expected, out);
    }
  }
}

static void
status_words_match_whatever_their_case_and_spacing (void **state)
{
  (void) state;
  struct imp_profile *vn = load_profile ("vn-molisa-nested");
  struct imp_profile *my = load_profile ("my-jtksm-attr");
  assert_string_equal ("active", imp_profile_status (vn, "ĐANG HOẠT ĐỘNG"));
  assert_string_equal ("active", imp_profile_status (vn, " đang  hoạt\nđộng"));
  assert_string_equal ("suspended", imp_profile_status (vn, "TẠM ĐÌNH CHỈ"));
  assert_null (imp_profile_status (vn, "active"));
  assert_string_equal ("revoked", imp_profile_status (my, "ditarik balik"));
  assert_null (imp_profile_status (my, "AKTIF SEMENTARA"));
  /* The canonical format takes the vocabulary, exactly. */
  assert_string_equal (
      "pending", imp_profile_status (imp_profile_canonical (), "pending"));
  assert_null (imp_profile_status (imp_profile_canonical (), "Pending"));
  char thai[] = " ใช้งาน ";
  imp_status_word_normalise (thai);
  assert_string_equal ("ใช้งาน", thai);
  imp_profile_free (vn);
  imp_profile_free (my);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (canonical_file_gives_every_field_of_every_record),
    cmocka_unit_test (
        canonical_file_may_use_any_prefix_cdata_comments_and_references),
    cmocka_unit_test (
        each_bad_record_is_rejected_with_its_line_and_the_reading_goes_on),
    cmocka_unit_test (
        schema_errors_go_to_the_record_they_are_in_even_on_one_line),
    cmocka_unit_test (a_reason_lists_several_problems_within_200_bytes),
    cmocka_unit_test (the_list_attributes_are_checked),
    cmocka_unit_test (time_zones_of_generated_are_converted_to_utc),
    cmocka_unit_test (a_sink_that_says_stop_stops_the_reading),
    cmocka_unit_test (hostile_files_are_refused_before_any_record),
    cmocka_unit_test (a_file_truncated_after_some_records_is_still_refused),
    cmocka_unit_test (nesting_ten_thousand_deep_is_refused),
    cmocka_unit_test (a_20_megabyte_text_is_refused),
    cmocka_unit_test (records_and_tags_too_large_for_memory_are_refused),
    cmocka_unit_test (bytes_that_are_not_utf8_text_are_refused),
    cmocka_unit_test (structure_outside_agencies_is_refused),
    cmocka_unit_test (thai_flat_export_reads_with_buddhist_era_dates),
    cmocka_unit_test (thai_rows_with_unknown_words_or_bad_dates_are_rejected),
    cmocka_unit_test (malaysian_attribute_export_reads_with_malay_status_words),
    cmocka_unit_test (
        vietnamese_nested_export_reads_several_permits_per_record),
    cmocka_unit_test (a_file_of_another_format_is_refused_by_the_profile),
    cmocka_unit_test (hostile_files_are_refused_with_a_profile_too),
    cmocka_unit_test (a_record_name_matches_at_any_depth_and_any_prefix),
    cmocka_unit_test (each_mistake_in_a_profile_is_named_with_its_line),
    cmocka_unit_test (a_broken_or_incomplete_profile_says_what_is_missing),
    cmocka_unit_test (profile_snippets_with_one_mistake_each),
    cmocka_unit_test (dates_are_read_in_every_format_and_era),
    cmocka_unit_test (status_words_match_whatever_their_case_and_spacing),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
