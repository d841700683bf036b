-- Complaint statistics: the public figures (pub_complaint_stats) hide every
-- cell under 5 (primary suppression) and, repeatedly, the smallest shown cell
-- of any marginal that would otherwise hold a single suppressed cell
-- (complementary suppression, schema/0070_stats_audit.sql), so that no
-- suppressed cell can be worked out by subtracting from a published total.
-- Analysts (complaint_stats as fairreg_app) get every count.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(24);

SELECT is((SELECT count(*)::int FROM complaint), 0, 'the database holds no complaint before the seed');

-- 23 complaints, in five kinds:
--   R1  7  female     MM    TH  domestic_work  online   recruitment_fees                      2026-01
--   R2  5  female     MM    MY  manufacturing  attache  recruitment_fees, document_retention  2026-02
--   R3  3  male       KH    TH  construction   hotline  unpaid_wages                          2026-01
--   R4  6  male       MM    MY  manufacturing  online   recruitment_fees                      2026-02
--   R5  2  anonymous  -     TH  -              hotline  deception                             2026-03
-- Sex: female 12, male 9, undisclosed 2.  Nationality: KH 3, MM 18, unknown 2.
CREATE TEMP TABLE t30_kind (kind text, n int, sex text, nationality text, destination text, sector text,
                            channel text, categories text[], created timestamptz);
INSERT INTO t30_kind VALUES
  ('R1', 7, 'female', 'MM', 'TH', 'domestic_work', 'online', '{recruitment_fees}', '2026-01-10 08:00Z'),
  ('R2', 5, 'female', 'MM', 'MY', 'manufacturing', 'attache', '{recruitment_fees,document_retention}', '2026-02-10 08:00Z'),
  ('R3', 3, 'male', 'KH', 'TH', 'construction', 'hotline', '{unpaid_wages}', '2026-01-31 23:59Z'),
  ('R4', 6, 'male', 'MM', 'MY', 'manufacturing', 'online', '{recruitment_fees}', '2026-02-01 00:00Z'),
  ('R5', 2, NULL, NULL, 'TH', NULL, 'hotline', '{deception}', '2026-03-05 08:00Z');

INSERT INTO complaint (reference, channel, filed_by, agency_name_given, description, destination_country,
                       sector, created_at)
SELECT k.kind || 'T3-0000-' || lpad(g::text, 4, '0'), k.channel, 'worker', 'T30 agency',
       'T30 description of ' || k.kind, k.destination, k.sector, k.created
  FROM t30_kind AS k, generate_series(1, k.n) AS g;
INSERT INTO complainant (complaint_id, name, contact, sex, nationality, age_band)
SELECT c.id, 'T30 person', '+95 9 3030', k.sex, k.nationality, '25-34'
  FROM complaint AS c JOIN t30_kind AS k ON c.reference LIKE k.kind || 'T3-%'
 WHERE k.sex IS NOT NULL;
INSERT INTO complaint_category (complaint_id, category)
SELECT c.id, unnest(k.categories)
  FROM complaint AS c JOIN t30_kind AS k ON c.reference LIKE k.kind || 'T3-%';

SET ROLE fairreg_public;

-- ---------------------------------------------------------------------------
-- Primary and complementary suppression, one dimension.

SELECT results_eq($$SELECT sex, count, suppressed FROM pub_complaint_stats(ARRAY['sex'], NULL, NULL)$$,
                  $$VALUES ('female', 12::bigint, false), ('male', NULL, true), ('undisclosed', NULL, true)$$,
                  'undisclosed (2) is suppressed, and so is male (9), the smallest other cell: else 23 - 12 - 9 = 2');
SELECT results_eq($$SELECT nationality, count, suppressed FROM pub_complaint_stats(ARRAY['nationality'], NULL, NULL)$$,
                  $$VALUES ('KH', NULL::bigint, true), ('MM', 18, false), (NULL, NULL, true)$$,
                  'two cells under 5 protect each other: nothing more is suppressed; unknown comes last');
SELECT results_eq($$SELECT month, count, suppressed FROM pub_complaint_stats(ARRAY['month'], NULL, NULL)$$,
                  $$VALUES ('2026-01', NULL::bigint, true), ('2026-02', 11, false), ('2026-03', NULL, true)$$,
                  'by month: March (2) suppressed, and January (10), the smaller of the others');
SELECT results_eq($$SELECT sex, nationality, count, suppressed FROM pub_complaint_stats(NULL, NULL, NULL)$$,
                  $$VALUES (NULL::text, NULL::text, 23::bigint, false)$$,
                  'without group_by: one total row, every dimension NULL');
SELECT results_eq($$SELECT count, suppressed FROM pub_complaint_stats('{}', '2026-03-01', '2026-03-01')$$,
                  $$VALUES (NULL::bigint, true)$$, 'a total under 5 is suppressed');
SELECT results_eq($$SELECT count, suppressed FROM pub_complaint_stats('{}', '2030-01-01', NULL)$$,
                  $$VALUES (NULL::bigint, true)$$, 'a total of 0 is a row, suppressed');
SELECT results_eq($$SELECT channel, count, suppressed FROM pub_complaint_stats(ARRAY['channel'], '2026-02-01', '2026-02-01')$$,
                  $$VALUES ('attache', 5::bigint, false), ('online', 6, false)$$,
                  'from..to selects whole months (UTC): February is R2 and R4');

-- ---------------------------------------------------------------------------
-- Two dimensions: suppression runs until no marginal holds a single
-- suppressed cell.

-- sex x destination: female MY 5, female TH 7, male MY 6, male TH 3, undisclosed TH 2.
-- TH: male and undisclosed under 5 (two suppressed: fine).  male: TH alone
-- suppressed, so male MY (6) goes; then MY: male alone, so female MY (5)
-- goes; then female: MY alone, so female TH (7) goes.
SELECT results_eq($$SELECT sex, destination_country, count, suppressed
                      FROM pub_complaint_stats(ARRAY['sex', 'destination_country'], NULL, NULL)$$,
                  $$VALUES ('female', 'MY', NULL::bigint, true), ('female', 'TH', NULL, true),
                           ('male', 'MY', NULL, true), ('male', 'TH', NULL, true),
                           ('undisclosed', 'TH', NULL, true)$$,
                  'complementary suppression repeats across marginals until stable');
SELECT results_eq($$SELECT destination_country, sex, count, suppressed
                      FROM pub_complaint_stats(ARRAY['destination_country', 'sex'], '2026-02-01', NULL)$$,
                  $$VALUES ('MY', 'female', 5::bigint, false), ('MY', 'male', 6, false),
                           ('TH', 'undisclosed', NULL, true)$$,
                  'rows are ordered by the grouped values in group_by order; a marginal of one cell needs no partner');
SELECT results_eq($$SELECT sex, month, count FROM pub_complaint_stats(ARRAY['sex', 'month'], '2026-01-01', '2026-02-01')$$,
                  $$VALUES ('female', '2026-01', NULL::bigint), ('female', '2026-02', NULL),
                           ('male', '2026-01', NULL), ('male', '2026-02', NULL)$$,
                  'in a 2 x 2 table one cell under 5 (male January, 3) hides all four');

-- ---------------------------------------------------------------------------
-- category: multi-valued, treated as a marginal all the same.

SELECT results_eq($$SELECT category, count, suppressed FROM pub_complaint_stats(ARRAY['category'], NULL, NULL)$$,
                  $$VALUES ('deception', NULL::bigint, true), ('document_retention', 5, false),
                           ('recruitment_fees', 18, false), ('unpaid_wages', NULL, true)$$,
                  'by category a complaint counts once in each of its categories; two cells under 5 protect each other');
SELECT results_eq($$SELECT category, count, suppressed FROM pub_complaint_stats(ARRAY['category'], '2026-01-01', '2026-01-01')$$,
                  $$VALUES ('recruitment_fees', NULL::bigint, true), ('unpaid_wages', NULL, true)$$,
                  'January: unpaid wages (3) suppressed, and recruitment fees (7) too, since 10 - 7 = 3 when each complaint has one category');

-- ---------------------------------------------------------------------------
-- Properties of every public answer.

CREATE TEMP TABLE t30_full AS
SELECT * FROM pub_complaint_stats(ARRAY['sex', 'nationality', 'destination_country', 'sector',
                                        'category', 'channel', 'status', 'month'], NULL, NULL);
SELECT is_empty($$SELECT 1 FROM t30_full WHERE count < 5 OR (count IS NULL) <> suppressed$$,
                'no count under 5 is shown; a suppressed cell has no count');

-- For each grouping of two dimensions, no marginal (along either dimension)
-- holds exactly one suppressed cell next to shown ones.
CREATE TEMP TABLE t30_pairs AS
SELECT a, b, s.*
  FROM unnest(ARRAY['sex', 'nationality', 'destination_country', 'sector', 'category', 'channel', 'status', 'month']) AS a,
       unnest(ARRAY['sex', 'nationality', 'destination_country', 'sector', 'category', 'channel', 'status', 'month']) AS b,
       LATERAL pub_complaint_stats(ARRAY[a, b], NULL, NULL) AS s
 WHERE a < b;
CREATE TEMP VIEW t30_pair_cells AS
SELECT a, b, to_jsonb(p) ->> a AS va, to_jsonb(p) ->> b AS vb, suppressed FROM t30_pairs AS p;
SELECT is_empty($$
  SELECT a, b, 'along ' || b, va FROM t30_pair_cells GROUP BY a, b, va
  HAVING count(*) FILTER (WHERE suppressed) = 1 AND count(*) FILTER (WHERE NOT suppressed) > 0
  UNION ALL
  SELECT a, b, 'along ' || a, vb FROM t30_pair_cells GROUP BY a, b, vb
  HAVING count(*) FILTER (WHERE suppressed) = 1 AND count(*) FILTER (WHERE NOT suppressed) > 0$$,
  'in all 28 groupings by two dimensions, no marginal has a lone suppressed cell beside shown ones');
SELECT is((SELECT count(DISTINCT (a, b))::int FROM t30_pairs), 28, 'the 28 groupings were all answered');

-- ---------------------------------------------------------------------------
-- Refusals.

SELECT throws_ok($$SELECT * FROM pub_complaint_stats(ARRAY['contact'], NULL, NULL)$$, '22023', NULL,
                 'grouping by a personal field is refused');
SELECT throws_ok($$SELECT * FROM pub_complaint_stats(ARRAY['month', 'month'], NULL, NULL)$$, '22023', NULL,
                 'a repeated dimension is refused');
SELECT throws_ok($$SELECT * FROM pub_complaint_stats(ARRAY['month'], '2026-03-01', '2026-02-01')$$, '22023', NULL,
                 'from after to is refused');
SELECT throws_ok($$SELECT * FROM complaint_stats(ARRAY['sex'], NULL, NULL, false)$$, '42501', NULL,
                 'the public cannot run the unsuppressed statistics');
RESET ROLE;

-- ---------------------------------------------------------------------------
-- Analysts: every count, nothing suppressed.

SET ROLE fairreg_app;
SELECT results_eq($$SELECT sex, count, suppressed FROM complaint_stats(ARRAY['sex'], NULL, NULL, false)$$,
                  $$VALUES ('female', 12::bigint, false), ('male', 9, false), ('undisclosed', 2, false)$$,
                  'analysts get every count by sex');
SELECT results_eq($$SELECT sex, destination_country, count FROM complaint_stats(ARRAY['sex', 'destination_country'], NULL, NULL, false)$$,
                  $$VALUES ('female', 'MY', 5::bigint), ('female', 'TH', 7), ('male', 'MY', 6), ('male', 'TH', 3),
                           ('undisclosed', 'TH', 2)$$,
                  'analysts get every cell of a cross table');
SELECT results_eq($$SELECT count, suppressed FROM complaint_stats('{}', '2030-01-01', NULL, false)$$,
                  $$VALUES (0::bigint, false)$$, 'analysts get a total of 0 as 0');
SELECT is((SELECT sum(count)::int FROM complaint_stats(ARRAY['sex', 'nationality', 'destination_country', 'sector',
                                                             'channel', 'status', 'month'], NULL, NULL, false)),
          23, 'without category the analysts'' cells add up to the number of complaints');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
