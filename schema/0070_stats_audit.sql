-- 0070_stats_audit.sql: complementary suppression for the public complaint
-- statistics (GET /v1/stats/complaints), and rows in a stated order.
--
-- 0004's complaint_stats suppressed every cell under 5, but a suppressed cell
-- could still be worked out by subtraction: grouped by sex, "female 6, male
-- suppressed" next to the published total of 8 says male = 2.  The function
-- is replaced (same signature, same result columns, so pub_complaint_stats
-- and the grants stay as they are) with one that also suppresses the cells
-- that would give a suppressed one away.  The audit log needs nothing new:
-- GET /v1/audit reads audit_log as fairreg_app, which may only SELECT it.

-- The rule, for the public (suppress = true):
--
-- 1. Primary: a cell counting fewer than 5 complaints is suppressed (count
--    NULL, suppressed true).  The one-row answer without group_by is a cell
--    too, 0 included.
-- 2. Complementary: a marginal is a set of cells that share their values in
--    all grouped dimensions but one; its sum is a cell of the answer grouped
--    by the other dimensions, which the public may ask for.  Whenever a
--    marginal holds exactly one suppressed cell and at least one shown cell,
--    the smallest shown cell of it (ties: the first in row order) is
--    suppressed too.  This is repeated until no marginal changes, since a
--    cell suppressed for one marginal may leave another with a single one.
--    A marginal of a single cell gets nothing more (no other cell could
--    cover it): when that cell is under 5 so is its total, suppressed in
--    the coarser answer; when it was suppressed only as a complement, the
--    coarser answer may show it (the first limit below).
-- 3. category is multi-valued (a complaint counts once in each of its
--    categories), so the cells along category add up to at least their
--    total, not to it.  They are treated as a marginal all the same: when
--    every complaint there has one category the sum is exact, and otherwise
--    subtraction still gives a bound on the suppressed cell.
--
-- The guarantee is per answer: no suppressed cell follows by subtraction
-- within one marginal, given every coarser total.  It does not cover
-- linking answers of different groupings through marginals of one cell,
-- nor differencing answers over overlapping month ranges (from..to).
--
-- Rows come ordered by the grouped values, in the order of group_by, each
-- ascending in byte order ("C" collation; months are YYYY-MM, so in time
-- order), NULL (unknown) last.
CREATE OR REPLACE FUNCTION complaint_stats(group_by text[], from_month date, to_month date, suppress boolean)
  RETURNS TABLE (sex text, nationality text, destination_country text, sector text,
                 category text, channel text, status text, month text,
                 count bigint, suppressed boolean)
  LANGUAGE plpgsql STABLE
  SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  dims      constant text[] := ARRAY['sex', 'nationality', 'destination_country', 'sector',
                                     'category', 'channel', 'status', 'month'];
  threshold constant int := 5;
  d         text;
  -- The cells, in row order, as parallel arrays.  Only fixed-width arrays
  -- are subscripted (a jsonb[] subscript walks the array from its start);
  -- the others are read with unnest.
  keys      jsonb[];   -- grouped values, a JSON array in group_by order
  counts    bigint[];  -- complaints
  hidden    boolean[]; -- suppressed
  marginals bigint[];  -- [cell][d]: the cell's marginal along dims[d]
  ncells    int;
  picks     int[];
  i         int;
BEGIN
  group_by := coalesce(group_by, '{}');
  FOREACH d IN ARRAY group_by LOOP
    IF d IS NULL OR NOT d = ANY (dims) THEN
      RAISE EXCEPTION 'unknown statistics dimension: %', coalesce(d, 'NULL')
        USING ERRCODE = '22023', HINT = 'Group by any of ' || array_to_string(dims, ', ') || '.';
    END IF;
  END LOOP;
  IF cardinality(group_by) <> (SELECT count(DISTINCT g) FROM unnest(group_by) AS g) THEN
    RAISE EXCEPTION 'a statistics dimension is repeated' USING ERRCODE = '22023';
  END IF;
  IF from_month > to_month THEN
    RAISE EXCEPTION 'the first month of the statistics is after the last' USING ERRCODE = '22023';
  END IF;

  WITH f AS (
    -- One row per complaint (per category when grouped by category); the
    -- dimensions not grouped are NULL.
    SELECT CASE WHEN 'sex' = ANY (group_by) THEN coalesce(p.sex, 'undisclosed') END AS sex,
           CASE WHEN 'nationality' = ANY (group_by) THEN p.nationality::text END AS nationality,
           CASE WHEN 'destination_country' = ANY (group_by) THEN c.destination_country::text END AS destination_country,
           CASE WHEN 'sector' = ANY (group_by) THEN c.sector END AS sector,
           cc.category,
           CASE WHEN 'channel' = ANY (group_by) THEN c.channel END AS channel,
           CASE WHEN 'status' = ANY (group_by) THEN c.status::text END AS status,
           CASE WHEN 'month' = ANY (group_by)
                THEN to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM') END AS month
      FROM complaint AS c
      LEFT JOIN complainant AS p ON p.complaint_id = c.id
      LEFT JOIN complaint_category AS cc ON cc.complaint_id = c.id AND 'category' = ANY (group_by)
     WHERE (cc.category IS NOT NULL OR NOT 'category' = ANY (group_by))
       AND (from_month IS NULL
            OR c.created_at >= date_trunc('month', from_month)::timestamp AT TIME ZONE 'UTC')
       AND (to_month IS NULL
            OR c.created_at < (date_trunc('month', to_month) + interval '1 month')::timestamp AT TIME ZONE 'UTC')
  ), g AS (
    SELECT f.sex, f.nationality, f.destination_country, f.sector, f.category, f.channel,
           f.status, f.month, count(*) AS n
      FROM f
     GROUP BY f.sex, f.nationality, f.destination_country, f.sector, f.category, f.channel,
              f.status, f.month
  ), cell AS (
    -- key: the grouped values in group_by order (NULL past its end, alike
    -- for every cell).  along[d]: a number shared by exactly the cells whose
    -- values are the same in all dimensions but dims[d], i.e. the cell's
    -- marginal along dims[d] (used only for the dimensions grouped by).
    SELECT ARRAY[v.v[array_position(dims, group_by[1])], v.v[array_position(dims, group_by[2])],
                 v.v[array_position(dims, group_by[3])], v.v[array_position(dims, group_by[4])],
                 v.v[array_position(dims, group_by[5])], v.v[array_position(dims, group_by[6])],
                 v.v[array_position(dims, group_by[7])], v.v[array_position(dims, group_by[8])]]
             COLLATE "C" AS key,
           g.n,
           ARRAY[dense_rank() OVER (ORDER BY g.nationality, g.destination_country, g.sector, g.category,
                                             g.channel, g.status, g.month),
                 dense_rank() OVER (ORDER BY g.sex, g.destination_country, g.sector, g.category,
                                             g.channel, g.status, g.month),
                 dense_rank() OVER (ORDER BY g.sex, g.nationality, g.sector, g.category,
                                             g.channel, g.status, g.month),
                 dense_rank() OVER (ORDER BY g.sex, g.nationality, g.destination_country, g.category,
                                             g.channel, g.status, g.month),
                 dense_rank() OVER (ORDER BY g.sex, g.nationality, g.destination_country, g.sector,
                                             g.channel, g.status, g.month),
                 dense_rank() OVER (ORDER BY g.sex, g.nationality, g.destination_country, g.sector,
                                             g.category, g.status, g.month),
                 dense_rank() OVER (ORDER BY g.sex, g.nationality, g.destination_country, g.sector,
                                             g.category, g.channel, g.month),
                 dense_rank() OVER (ORDER BY g.sex, g.nationality, g.destination_country, g.sector,
                                             g.category, g.channel, g.status)] AS along
      FROM g
     CROSS JOIN LATERAL (SELECT ARRAY[g.sex, g.nationality, g.destination_country, g.sector, g.category,
                                      g.channel, g.status, g.month] AS v) AS v
  )
  SELECT coalesce(array_agg(to_jsonb(cell.key) ORDER BY cell.key), '{}'),
         coalesce(array_agg(cell.n ORDER BY cell.key), '{}'),
         array_agg(cell.along ORDER BY cell.key)
    INTO keys, counts, marginals
    FROM cell;
  IF cardinality(group_by) = 0 AND cardinality(keys) = 0 THEN
    keys := ARRAY['[]'::jsonb];  -- the total is a row even when it is 0
    counts := ARRAY[0::bigint];
  END IF;
  ncells := cardinality(counts);

  hidden := ARRAY(SELECT coalesce(suppress, true) AND x.n < threshold
                    FROM unnest(counts) WITH ORDINALITY AS x (n, o) ORDER BY x.o);

  -- Complementary suppression, until no marginal holds a single suppressed
  -- cell beside shown ones.
  IF true = ANY (hidden) AND cardinality(group_by) > 0 THEN
    LOOP
      WITH x AS (
        -- (cell, marginal) for every grouped dimension; marginals of
        -- different dimensions numbered apart
        SELECT ((u.o - 1) / 8 + 1)::int AS i, u.rank + ((u.o - 1) % 8) * ncells AS marginal
          FROM unnest(marginals) WITH ORDINALITY AS u (rank, o)
         WHERE dims[(u.o - 1) % 8 + 1] = ANY (group_by)
      ), touched AS (
        SELECT DISTINCT x.marginal FROM x WHERE hidden[x.i]
      ), lone AS (
        SELECT x.marginal FROM x JOIN touched ON touched.marginal = x.marginal
         GROUP BY x.marginal
        HAVING count(*) FILTER (WHERE hidden[x.i]) = 1 AND bool_or(NOT hidden[x.i])
      )
      SELECT array_agg(DISTINCT p.i) INTO picks
        FROM (SELECT DISTINCT ON (x.marginal) x.i
                FROM x JOIN lone ON lone.marginal = x.marginal
               WHERE NOT hidden[x.i]
               ORDER BY x.marginal, counts[x.i], x.i) AS p;
      EXIT WHEN picks IS NULL;
      FOREACH i IN ARRAY picks LOOP
        hidden[i] := true;
      END LOOP;
    END LOOP;
  END IF;

  RETURN QUERY
    SELECT c.key ->> (array_position(group_by, 'sex') - 1),
           c.key ->> (array_position(group_by, 'nationality') - 1),
           c.key ->> (array_position(group_by, 'destination_country') - 1),
           c.key ->> (array_position(group_by, 'sector') - 1),
           c.key ->> (array_position(group_by, 'category') - 1),
           c.key ->> (array_position(group_by, 'channel') - 1),
           c.key ->> (array_position(group_by, 'status') - 1),
           c.key ->> (array_position(group_by, 'month') - 1),
           CASE WHEN c.h THEN NULL ELSE c.n END,
           c.h
      FROM unnest(keys, counts, hidden) WITH ORDINALITY AS c (key, n, h, o)
     ORDER BY c.o;
END
$$;
COMMENT ON FUNCTION complaint_stats(text[], date, date, boolean) IS
  'Complaint counts grouped by any of sex, nationality, destination_country, sector, category, channel, status, month (YYYY-MM, UTC), over the months from..to (NULL = open; from after to raises 22023); dimensions not grouped are NULL. A complaint counts once per category when grouped by category. Rows are ordered by the grouped values in group_by order, byte order, NULL last. With suppress: cells under 5 are suppressed (count NULL, suppressed true), then, repeatedly, the smallest shown cell of any marginal (cells equal in all grouped values but one, category included) that holds exactly one suppressed cell; see 0070_stats_audit.sql. For analysts (fairreg_app) with suppress false.';

COMMENT ON FUNCTION pub_complaint_stats(text[], date, date) IS
  'Public: complaint_stats with primary (under 5) and complementary suppression. Runs as the owner, so fairreg_public needs no access to complaints.';
