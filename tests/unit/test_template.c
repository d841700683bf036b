/*
 * Tests of the mustache renderer (server/template.c).  First every case of
 * the official specification, read at run time from the directory in
 * MUSTACHE_SPEC_DIR (default ../shared/mustache-spec, as the tests run from
 * the project root), each its own test named "file: case" so a failure names
 * the case; then what the project itself relies on: all five characters
 * escaped, exact compile error messages, unknown names, the recursion cap,
 * and one set rendered from several threads at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

/* The lambdas module is left out: lambdas have no form in JSON data. */
static const char *const spec_files[] = {
  "comments", "delimiters", "interpolation", "inverted",
  "partials", "sections",   "~inheritance",  "~dynamic-names",
};

/* The name the spec's main template gets; no spec partial is called so. */
#define SPEC_MAIN "(spec main)"

struct spec_case
{
  char *name; /* "file: case", the cmocka test name */
  json_t *test;
};

/* S as a JSON string literal, so that whitespace differences show. */
static char *
quoted (const char *s, size_t len)
{
  json_t *str = json_stringn (s, len);
  char *q = NULL == str ? NULL : json_dumps (str, JSON_ENCODE_ANY);
  json_decref (str);
  return q;
}

static void
test_spec_case (void **state)
{
  const struct spec_case *sc = *state;
  const json_t *test = sc->test;
  const json_t *tpl = json_object_get (test, "template");
  const json_t *expected = json_object_get (test, "expected");
  struct tmpl_set *set = tmpl_set_new ();
  char *err = NULL, *got = NULL;
  size_t got_len = 0;
  int rc = 0;

  const char *pname;
  json_t *ptext;
  json_object_foreach (json_object_get (test, "partials"), pname, ptext)
  {
    if (0 == rc)
      rc = tmpl_set_add (set, pname, json_string_value (ptext),
                         json_string_length (ptext), &err);
  }
  if (0 == rc)
    rc = tmpl_set_add (set, SPEC_MAIN, json_string_value (tpl),
                       json_string_length (tpl), &err);
  if (0 == rc)
    rc = tmpl_render (set, SPEC_MAIN, json_object_get (test, "data"), &got,
                      &got_len, &err);
  bool ok = 0 == rc && got_len == json_string_length (expected)
            && 0 == memcmp (got, json_string_value (expected), got_len);
  if (!ok)
  {
    char *t = quoted (json_string_value (tpl), json_string_length (tpl));
    char *e
        = quoted (json_string_value (expected), json_string_length (expected));
    char *g = NULL == got ? NULL : quoted (got, got_len);
    print_error ("template: %s\nexpected: %s\ngot:      %s\n", t, e,
                 NULL != g     ? g
                 : NULL != err ? err
                               : "(nothing)");
    free (t);
    free (e);
    free (g);
  }
  free (got);
  free (err);
  tmpl_set_free (set);
  if (!ok)
    fail ();
}

/* Runs every case of FILE.json as its own test; returns the failures. */
static int
run_spec_file (const char *dir, const char *file)
{
  char path[4096];
  snprintf (path, sizeof path, "%s/%s.json", dir, file);
  json_error_t jerr;
  json_t *spec = json_load_file (path, 0, &jerr);
  const json_t *tests = json_object_get (spec, "tests");
  if (!json_is_array (tests) || 0 == json_array_size (tests))
  {
    fprintf (stderr, "cannot read the mustache spec %s: %s\n", path,
             NULL == spec ? jerr.text : "no tests");
    json_decref (spec);
    return 1;
  }
  size_t n = json_array_size (tests);
  struct spec_case *cases = calloc (n, sizeof *cases);
  struct CMUnitTest *units = calloc (n, sizeof *units);
  assert_non_null (cases);
  assert_non_null (units);
  for (size_t i = 0; i < n; i++)
  {
    json_t *test = json_array_get (tests, i);
    const char *name = json_string_value (json_object_get (test, "name"));
    size_t len = strlen (file) + strlen (name) + 3;
    cases[i].name = malloc (len);
    assert_non_null (cases[i].name);
    snprintf (cases[i].name, len, "%s: %s", file, name);
    cases[i].test = test;
    units[i].name = cases[i].name;
    units[i].test_func = test_spec_case;
    units[i].initial_state = &cases[i];
  }
  int failures = _cmocka_run_group_tests (file, units, n, NULL, NULL);
  for (size_t i = 0; i < n; i++)
    free (cases[i].name);
  free (cases);
  free (units);
  json_decref (spec);
  return failures;
}

/* ---- the project's own tests ---- */

/* Compiles TEXT as "main" in SET and renders it with DATA_JSON; the output
   is the caller's. */
static char *
render_in (struct tmpl_set *set, const char *text, const char *data_json)
{
  char *err = NULL, *out = NULL;
  int rc = tmpl_set_add (set, "main", text, strlen (text), &err);
  if (0 != rc)
    print_error ("compiling %s: %s\n", text, err);
  assert_int_equal (rc, 0);
  json_t *data = json_loads (data_json, JSON_DECODE_ANY, NULL);
  assert_non_null (data);
  assert_int_equal (tmpl_render (set, "main", data, &out, NULL, &err), 0);
  json_decref (data);
  return out;
}

static char *
render_one (const char *text, const char *data_json)
{
  struct tmpl_set *set = tmpl_set_new ();
  char *out = render_in (set, text, data_json);
  tmpl_set_free (set);
  return out;
}

static void
test_escapes_all_five_characters (void **state)
{
  (void) state;
  char *out
      = render_one ("{{v}}|{{{v}}}|{{& v}}", "{\"v\": \"a&b<c>d\\\"e'f\"}");
  assert_string_equal (out, "a&amp;b&lt;c&gt;d&quot;e&#39;f"
                            "|a&b<c>d\"e'f|a&b<c>d\"e'f");
  free (out);
}

static void
test_values_print_as_documented (void **state)
{
  (void) state;
  char *out = render_one ("{{i}} {{n}} {{r}} {{s}} {{big}} {{t}} {{f}} "
                          "[{{o}}] [{{a}}] [{{z}}]",
                          "{\"i\": 42, \"n\": -7, \"r\": 1.21, "
                          "\"s\": 0.30000000000000004, \"big\": 1e21, "
                          "\"t\": true, \"f\": false, \"o\": {\"k\": 1}, "
                          "\"a\": [1, 2], \"z\": null}");
  assert_string_equal (out, "42 -7 1.21 0.30000000000000004 1e+21 true false "
                            "[] [] []");
  free (out);
}

static void
test_only_false_null_empty_list_and_missing_are_falsy (void **state)
{
  (void) state;
  char *out = render_one ("{{#zero}}0{{/zero}}{{#empty}}e{{/empty}}"
                          "{{#obj}}o{{/obj}}{{#f}}F{{/f}}{{#n}}N{{/n}}"
                          "{{#list}}L{{/list}}{{#missing}}M{{/missing}}"
                          "|{{^f}}f{{/f}}{{^n}}n{{/n}}{{^list}}l{{/list}}"
                          "{{^missing}}m{{/missing}}{{^zero}}Z{{/zero}}",
                          "{\"zero\": 0, \"empty\": \"\", \"obj\": {}, "
                          "\"f\": false, \"n\": null, \"list\": []}");
  assert_string_equal (out, "0eo|fnlm");
  free (out);
}

/* Each case: the template, and the exact message tmpl_set_add gives. */
static const char *const compile_errors[][2] = {
  { "a\nb\n{{#items}}\nx\n", "line 3: section \"items\" is never closed" },
  { "{{#a}}{{/a}}\n\n{{^empty}}\n",
    "line 3: inverted section \"empty\" is never closed" },
  { "{{<layout}}\n{{$body}}\n{{/layout}}\n",
    "line 3: closing tag \"layout\" does not match block \"body\" opened on "
    "line 2" },
  { "<ul>\n{{#items}}\n<li>{{name}}</li>\n{{/item}}\n</ul>\n",
    "line 4: closing tag \"item\" does not match section \"items\" opened on "
    "line 2" },
  { "text\n{{/items}}", "line 2: closing tag \"items\" has no open section" },
  { "one\ntwo {{name\nthree",
    "line 2: tag \"{{\" is never closed with \"}}\"" },
  { "{{{raw}}", "line 1: tag \"{{{\" is never closed with \"}}}\"" },
  { "{{=<% %>=}}\n<%name", "line 2: tag \"<%\" is never closed with \"%>\"" },
  { "a\n{{=<%>=}}",
    "line 2: bad delimiter change \"=<%>=\": expected two delimiters "
    "separated by whitespace" },
  { "{{=<% = %>=}}",
    "line 1: bad delimiter change \"=<% = %>=\": expected two delimiters "
    "separated by whitespace" },
  { "{{=<% %>}}",
    "line 1: bad delimiter change \"=<% %>\": expected two delimiters "
    "separated by whitespace" },
  { "\n\n{{ }}", "line 3: empty tag" },
  { "{{first name}}", "line 1: tag name \"first name\" contains whitespace" },
  { "{{a..b}}", "line 1: name \"a..b\" has an empty part" },
  { "{{! a comment\nover lines }}\n{{#x}}",
    "line 3: section \"x\" is never closed" },
};

static void
test_compile_errors_name_line_and_problem (void **state)
{
  (void) state;
  for (size_t i = 0; i < sizeof compile_errors / sizeof *compile_errors; i++)
  {
    struct tmpl_set *set = tmpl_set_new ();
    const char *text = compile_errors[i][0];
    char *err = NULL;
    assert_int_equal (tmpl_set_add (set, "t", text, strlen (text), &err), -1);
    assert_non_null (err);
    assert_string_equal (err, compile_errors[i][1]);
    free (err);
    /* A template that does not compile is not in the set. */
    char *out = NULL;
    assert_int_equal (tmpl_render (set, "t", NULL, &out, NULL, &err), -1);
    assert_null (out);
    free (err);
    tmpl_set_free (set);
  }
}

static void
test_nesting_is_capped (void **state)
{
  (void) state;
  char text[101 * 10 + 1] = "";
  for (int i = 0; i < 101; i++)
    strcat (text, "{{#a}}");
  struct tmpl_set *set = tmpl_set_new ();
  char *err = NULL;
  assert_int_equal (tmpl_set_add (set, "deep", text, strlen (text), &err), -1);
  assert_string_equal (err, "line 1: sections nested more than 100 deep");
  free (err);
  tmpl_set_free (set);
}

static void
test_duplicate_name_is_an_error (void **state)
{
  (void) state;
  struct tmpl_set *set = tmpl_set_new ();
  char *err = NULL, *out = NULL;
  assert_int_equal (tmpl_set_add (set, "page", "one", 3, &err), 0);
  assert_null (err);
  assert_int_equal (tmpl_set_add (set, "page", "two", 3, &err), -1);
  assert_string_equal (err, "template \"page\" is already in the set");
  free (err);
  assert_int_equal (tmpl_render (set, "page", NULL, &out, NULL, &err), 0);
  assert_string_equal (out, "one");
  free (out);
  tmpl_set_free (set);
}

static void
test_unknown_template_name_is_an_error (void **state)
{
  (void) state;
  struct tmpl_set *set = tmpl_set_new ();
  char *err = NULL, *out = (char *) "untouched";
  size_t len = 99;
  assert_int_equal (tmpl_set_add (set, "known", "k", 1, &err), 0);
  assert_int_equal (tmpl_render (set, "missing", NULL, &out, &len, &err), -1);
  assert_null (out);
  assert_int_equal (len, 0);
  assert_string_equal (err, "no template named \"missing\"");
  free (err);
  tmpl_set_free (set);
  tmpl_set_free (NULL);
}

static void
test_partial_recursion_stops_at_64_levels (void **state)
{
  (void) state;
  struct tmpl_set *set = tmpl_set_new ();
  char *err = NULL, *out = NULL;
  char expected[66];
  /* The template itself plus 64 levels of partials. */
  memset (expected, 'x', 65);
  expected[65] = '\0';
  assert_int_equal (tmpl_set_add (set, "loop", "x{{>loop}}", 10, &err), 0);
  assert_int_equal (tmpl_render (set, "loop", NULL, &out, NULL, &err), 0);
  assert_string_equal (out, expected);
  free (out);

  assert_int_equal (tmpl_set_add (set, "ping", "i{{>pong}}", 10, &err), 0);
  assert_int_equal (tmpl_set_add (set, "pong", "o{{>ping}}", 10, &err), 0);
  assert_int_equal (tmpl_render (set, "ping", NULL, &out, NULL, &err), 0);
  for (int i = 0; i < 65; i++)
    expected[i] = i % 2 ? 'o' : 'i';
  assert_string_equal (out, expected);
  free (out);
  tmpl_set_free (set);
}

static void
test_self_overriding_block_stops (void **state)
{
  (void) state;
  struct tmpl_set *set = tmpl_set_new ();
  char *err = NULL, *out = NULL;
  const char *child = "{{<base}}{{$b}}[{{$b}}{{/b}}]{{/b}}{{/base}}";
  assert_int_equal (tmpl_set_add (set, "base", "{{$b}}{{/b}}", 12, &err), 0);
  assert_int_equal (tmpl_set_add (set, "child", child, strlen (child), &err),
                    0);
  assert_int_equal (tmpl_render (set, "child", NULL, &out, NULL, &err), 0);
  /* The parent tag is one level, each expansion of the override another. */
  char expected[2 * 63 + 1];
  memset (expected, '[', 63);
  memset (expected + 63, ']', 63);
  expected[126] = '\0';
  assert_string_equal (out, expected);
  free (out);
  tmpl_set_free (set);
}

/* ---- rendering from several threads ---- */

#define THREADS 4
#define RENDERS_PER_THREAD 200

struct thread_job
{
  const struct tmpl_set *set;
  const json_t *data;
  const char *expected;
  size_t expected_len;
  int mismatches;
};

static void *
render_repeatedly (void *arg)
{
  struct thread_job *job = arg;
  for (int i = 0; i < RENDERS_PER_THREAD; i++)
  {
    char *out = NULL, *err = NULL;
    size_t len = 0;
    if (0 != tmpl_render (job->set, "page", job->data, &out, &len, &err)
        || len != job->expected_len || 0 != memcmp (out, job->expected, len))
      job->mismatches++;
    free (out);
    free (err);
  }
  return NULL;
}

static void
test_four_threads_render_the_same_set (void **state)
{
  (void) state;
  static const char *const templates[][2] = {
    { "layout", "<html>\n<head><title>{{$title}}Registry{{/title}}</title>"
                "</head>\n<body>\n  {{$body}}{{/body}}\n</body>\n</html>\n" },
    { "row", "<tr><td>{{name}}</td><td>{{count}}</td>"
             "<td>{{#ok}}yes{{/ok}}{{^ok}}no{{/ok}}</td></tr>\n" },
    { "page", "{{<layout}}\n{{$title}}{{heading}}{{/title}}\n{{$body}}\n"
              "<h1>{{heading}}</h1>\n<table>\n{{#rows}}\n  {{>row}}\n"
              "{{/rows}}\n</table>\n{{/body}}\n{{/layout}}\n" },
  };
  struct tmpl_set *set = tmpl_set_new ();
  char *err = NULL;
  for (size_t i = 0; i < 3; i++)
    assert_int_equal (tmpl_set_add (set, templates[i][0], templates[i][1],
                                    strlen (templates[i][1]), &err),
                      0);
  json_t *rows = json_array ();
  for (int i = 0; i < 300; i++)
  {
    char name[64];
    snprintf (name, sizeof name, "Agency <%d> & 'sons'", i);
    json_array_append_new (rows, json_pack ("{s:s, s:i, s:b}", "name", name,
                                            "count", i * 7, "ok", i % 3));
  }
  json_t *data
      = json_pack ("{s:s, s:o}", "heading", "Licences \"all\"", "rows", rows);
  char *expected = NULL;
  size_t expected_len = 0;
  assert_int_equal (
      tmpl_render (set, "page", data, &expected, &expected_len, &err), 0);
  assert_non_null (strstr (expected, "<title>Licences &quot;all&quot;</title>"
                                     "</head>\n<body>\n  <h1>"));
  assert_non_null (strstr (expected, "  <table>\n    <tr><td>Agency &lt;0&gt; "
                                     "&amp; &#39;sons&#39;</td><td>0</td>"
                                     "<td>no</td></tr>\n    <tr>"));

  pthread_t threads[THREADS];
  struct thread_job jobs[THREADS];
  for (int i = 0; i < THREADS; i++)
  {
    jobs[i] = (struct thread_job){ set, data, expected, expected_len, 0 };
    assert_int_equal (
        pthread_create (&threads[i], NULL, render_repeatedly, &jobs[i]), 0);
  }
  for (int i = 0; i < THREADS; i++)
  {
    assert_int_equal (pthread_join (threads[i], NULL), 0);
    assert_int_equal (jobs[i].mismatches, 0);
  }
  free (expected);
  json_decref (data);
  tmpl_set_free (set);
}

int
main (void)
{
  const char *dir = getenv ("MUSTACHE_SPEC_DIR");
  if (NULL == dir || '\0' == dir[0])
    dir = "../shared/mustache-spec";
  int failures = 0;
  for (size_t i = 0; i < sizeof spec_files / sizeof *spec_files; i++)
    failures += run_spec_file (dir, spec_files[i]);

  const struct CMUnitTest own[] = {
    cmocka_unit_test (test_escapes_all_five_characters),
    cmocka_unit_test (test_values_print_as_documented),
    cmocka_unit_test (test_only_false_null_empty_list_and_missing_are_falsy),
    cmocka_unit_test (test_compile_errors_name_line_and_problem),
    cmocka_unit_test (test_nesting_is_capped),
    cmocka_unit_test (test_duplicate_name_is_an_error),
    cmocka_unit_test (test_unknown_template_name_is_an_error),
    cmocka_unit_test (test_partial_recursion_stops_at_64_levels),
    cmocka_unit_test (test_self_overriding_block_stops),
    cmocka_unit_test (test_four_threads_render_the_same_set),
  };
  failures += cmocka_run_group_tests_name ("template", own, NULL, NULL);
  return failures > 0;
}
