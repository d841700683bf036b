-- 0004_views: derived state, and everything the public may read.
--
-- licence_effective is the ONE definition of a licence's effective status and
-- of in_good_standing; every other reader (agency_standing, the pub_* views,
-- the server's staff queries) goes through it.  The pub_* views are the only
-- relations fairreg_public can read (0005_access.sql); they run with their
-- owner's rights (not security_invoker), so that role needs no table
-- privilege at all.  None of them reads complainant.

-- ---------------------------------------------------------------------------
-- Sanctions in force.

-- A sanction applies from effective_from through effective_until (open-ended
-- when NULL), unless lifted: it stops applying on lifted_on.  A sanction
-- without effective_from (a warning, a fine) is a one-off decision, never in
-- force.  "Today" is current_date in the session's TimeZone.
CREATE FUNCTION fr_sanction_in_force(effective_from date, effective_until date, lifted_on date)
  RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE
  RETURN coalesce(effective_from <= current_date
                  AND (effective_until IS NULL OR effective_until >= current_date)
                  AND (lifted_on IS NULL OR lifted_on > current_date), false);
COMMENT ON FUNCTION fr_sanction_in_force(date, date, date) IS
  'Whether a sanction with these dates applies today: effective_from <= today <= effective_until (NULL = open-ended) and not lifted by today.';

CREATE VIEW sanction_status AS
SELECT s.id, s.kind, s.agency_id, s.licence_id,
       coalesce(s.agency_id, l.agency_id) AS target_agency_id,
       s.points, s.amount, s.currency, s.decided_on, s.effective_from, s.effective_until,
       s.lifted_on, s.lift_reason,
       fr_sanction_in_force(s.effective_from, s.effective_until, s.lifted_on) AS in_force,
       s.reason, s.authority_code, s.inspection_id, s.complaint_id, s.is_public,
       s.created_by, s.created_at, s.updated_at
  FROM sanction AS s
  LEFT JOIN licence AS l ON l.id = s.licence_id;
COMMENT ON VIEW sanction_status IS
  'Every sanction with in_force (applies today) and target_agency_id (the agency, or the agency of the sanctioned licence).';

-- ---------------------------------------------------------------------------
-- The effective status of a licence.  Precedence, first match wins:
--   1. a ban in force on the licence or its agency, or listed banned -> banned
--   2. a revocation in force, or listed revoked                      -> revoked
--   3. listed cancelled, surrendered or delisted                     -> as listed
--      (a suspension does not make a dead licence look merely suspended)
--   4. a suspension in force on the licence or its agency            -> suspended
--   5. listed active and valid_until < today                         -> expired
--   6. listed active and valid_from > today                          -> pending
--   7. otherwise                                                     -> as listed
-- in_good_standing is true exactly when the effective status is active.
CREATE VIEW licence_effective AS
SELECT l.id AS licence_id,
       l.authority_code, l.number, l.number_norm, l.agency_id, l.category,
       l.listed_status,
       e.status,
       e.status = 'active' AS in_good_standing,
       CASE WHEN e.status = w.imposes THEN 'sanction'
            WHEN e.status <> l.listed_status THEN 'validity'
            ELSE 'listed'
       END AS status_basis,
       CASE WHEN e.status = w.imposes THEN w.id END AS sanction_id,
       l.status_reason, l.valid_from, l.valid_until, l.created_at, l.updated_at
  FROM licence AS l
  LEFT JOIN LATERAL (
         -- the most severe status-changing sanction in force on the licence or its agency
         SELECT s.id, s.kind,
                CASE s.kind WHEN 'ban' THEN 'banned' WHEN 'revocation' THEN 'revoked'
                            ELSE 'suspended' END AS imposes
           FROM sanction AS s
          WHERE (s.licence_id = l.id OR s.agency_id = l.agency_id)
            AND s.kind IN ('ban', 'revocation', 'suspension')
            AND fr_sanction_in_force(s.effective_from, s.effective_until, s.lifted_on)
          ORDER BY CASE s.kind WHEN 'ban' THEN 1 WHEN 'revocation' THEN 2 ELSE 3 END,
                   s.effective_from, s.id
          LIMIT 1) AS w ON true
  CROSS JOIN LATERAL (
         SELECT (CASE
                   WHEN w.kind = 'ban' OR l.listed_status = 'banned' THEN 'banned'
                   WHEN w.kind = 'revocation' OR l.listed_status = 'revoked' THEN 'revoked'
                   WHEN l.listed_status IN ('cancelled', 'surrendered', 'delisted') THEN l.listed_status
                   WHEN w.kind = 'suspension' THEN 'suspended'
                   WHEN l.listed_status = 'active' AND l.valid_until < current_date THEN 'expired'
                   WHEN l.listed_status = 'active' AND l.valid_from > current_date THEN 'pending'
                   ELSE l.listed_status
                 END)::licence_status AS status) AS e;
COMMENT ON VIEW licence_effective IS
  'THE definition of a licence''s effective status and in_good_standing (true only for effective active): bans, then revocations, then dead listed statuses, then suspensions, then expiry by valid_until, then not-yet-valid as pending. status_basis says which: listed, validity or sanction (then sanction_id).';
COMMENT ON COLUMN licence_effective.status IS 'The effective status (licence_status vocabulary).';
COMMENT ON COLUMN licence_effective.status_basis IS
  'listed (as the authority lists it), validity (expired or pending by its dates) or sanction (sanction_id).';

CREATE VIEW agency_standing AS
SELECT a.id AS agency_id,
       EXISTS (SELECT FROM licence_effective AS le
                WHERE le.agency_id = a.id AND le.in_good_standing) AS in_good_standing
  FROM agency AS a;
COMMENT ON VIEW agency_standing IS
  'An agency is in good standing when at least one of its licences is (licence_effective.in_good_standing).';

-- ---------------------------------------------------------------------------
-- Public views (fairreg_public reads these and nothing else).

CREATE VIEW pub_authority AS
SELECT code, country, name, kind
  FROM authority;
COMMENT ON VIEW pub_authority IS 'Public: the licensing authorities.';

CREATE VIEW pub_agency AS
SELECT a.id, a.name, a.country, a.registration_number, a.address, a.phone, a.email, a.website,
       a.authority_code, a.external_ref, st.in_good_standing, a.created_at, a.updated_at
  FROM agency AS a
  JOIN agency_standing AS st ON st.agency_id = a.id;
COMMENT ON VIEW pub_agency IS
  'Public: agencies with their official contacts and in_good_standing (agency_standing). Search with fr_fold(name), here and in pub_agency_name.';

CREATE VIEW pub_agency_name AS
SELECT id, agency_id, name, lang, kind
  FROM agency_name;
COMMENT ON VIEW pub_agency_name IS 'Public: other names of agencies (trade names, other scripts), searchable with fr_fold(name).';

CREATE VIEW pub_branch AS
SELECT id, agency_id, address, city, country, phone, email
  FROM agency_branch
 WHERE listed;
COMMENT ON VIEW pub_branch IS 'Public: the branches the authority lists.';

CREATE VIEW pub_officer AS
SELECT id, agency_id, name, role, valid_from, valid_until
  FROM agency_officer;
COMMENT ON VIEW pub_officer IS 'Public: officers of agencies.';

CREATE VIEW pub_personnel AS
SELECT id, agency_id, name, registration_number, role, valid_from, valid_until
  FROM agency_personnel;
COMMENT ON VIEW pub_personnel IS
  'Public: registered recruitment personnel, so that a worker can check a recruiter (match fr_normalise_number(registration_number)).';

CREATE VIEW pub_licence AS
SELECT le.licence_id AS id, le.number, le.number_norm,
       le.authority_code, au.country AS authority_country, au.name AS authority_name,
       le.category, le.status, le.listed_status, le.status_basis, le.status_reason,
       le.valid_from, le.valid_until, le.in_good_standing,
       le.agency_id, a.name AS agency_name, le.updated_at
  FROM licence_effective AS le
  JOIN authority AS au ON au.code = le.authority_code
  JOIN agency AS a ON a.id = le.agency_id;
COMMENT ON VIEW pub_licence IS
  'Public: licences with their effective status and in_good_standing from licence_effective. Look up with number_norm = fr_normalise_number($1).';

CREATE VIEW pub_licence_history AS
SELECT h.id, h.licence_id, l.authority_code, l.number, l.agency_id,
       h.status, h.effective_on,
       CASE WHEN h.source = 'sanction' AND NOT coalesce(s.is_public, false) THEN NULL
            ELSE h.reason END AS reason,
       h.source, h.recorded_at
  FROM licence_status_history AS h
  JOIN licence AS l ON l.id = h.licence_id
  LEFT JOIN sanction AS s ON s.id = h.sanction_id;
COMMENT ON VIEW pub_licence_history IS
  'Public: licence status history (by id it is the change feed). Who made a change is not shown, and the reason of a change due to a non-public sanction is withheld.';

CREATE VIEW pub_sanction AS
SELECT ss.id, ss.kind, ss.target_agency_id AS agency_id, a.name AS agency_name,
       ss.licence_id, l.number AS licence_number, ss.authority_code,
       ss.points, ss.amount, ss.currency, ss.decided_on, ss.effective_from, ss.effective_until,
       ss.lifted_on, ss.lift_reason, ss.in_force, ss.reason
  FROM sanction_status AS ss
  JOIN agency AS a ON a.id = ss.target_agency_id
  LEFT JOIN licence AS l ON l.id = ss.licence_id
 WHERE ss.is_public;
COMMENT ON VIEW pub_sanction IS
  'Public: the sanctions marked is_public, with in_force (GET /v1/sanctions?active=true filters on it). The basis (inspection, complaint) is not shown.';

CREATE VIEW pub_agency_activity AS
SELECT a.id AS agency_id,
       (SELECT count(*) FROM inspection AS i
         WHERE i.agency_id = a.id AND i.status = 'closed'
           AND i.done_on >= (current_date - interval '24 months')::date) AS inspections_24m,
       (SELECT max(i.done_on) FROM inspection AS i
         WHERE i.agency_id = a.id AND i.status = 'closed') AS last_inspected_on,
       (SELECT count(*) FROM inspection AS i
          JOIN inspection_finding AS f ON f.inspection_id = i.id
         WHERE i.agency_id = a.id AND i.status = 'closed' AND f.result = 'breach'
           AND i.done_on >= (current_date - interval '24 months')::date) AS breaches_24m,
       (SELECT count(*) FROM complaint AS c
         WHERE c.agency_id = a.id
           AND c.created_at >= now() - interval '24 months') AS complaints_received_24m,
       (SELECT count(*) FROM complaint AS c
         WHERE c.agency_id = a.id
           AND c.outcome IN ('substantiated', 'partly_substantiated')
           AND c.closed_at >= now() - interval '24 months') AS complaints_substantiated_24m
  FROM agency AS a;
COMMENT ON VIEW pub_agency_activity IS
  'Public: per agency, closed inspections done in the last 24 months, the last one''s date, breach findings in them, complaints filed in the last 24 months and complaints closed as (partly) substantiated in the last 24 months. Counts only.';

CREATE VIEW pub_complaint_status AS
SELECT reference, status,
       (created_at AT TIME ZONE 'UTC')::date AS filed_on,
       created_at, updated_at,
       CASE WHEN status = 'received' THEN due_at
            WHEN status IN ('acknowledged', 'investigating', 'conciliation') THEN resolution_due_at
       END AS expected_by,
       closed_at
  FROM complaint;
COMMENT ON VIEW pub_complaint_status IS
  'Public: where a complaint stands, by reference. No complainant, no description, no agency, no notes. expected_by is the acknowledgement deadline while received, the resolution deadline while open.';

CREATE VIEW pub_complaint_event AS
SELECT c.reference, e.id, e.at, e.kind, e.status,
       CASE WHEN e.public THEN e.note END AS note
  FROM complaint_event AS e
  JOIN complaint AS c ON c.id = e.complaint_id
 WHERE e.kind = 'status_change'
    OR (e.kind = 'public_note' AND e.public);
COMMENT ON VIEW pub_complaint_event IS
  'Public: a complaint''s status changes and public notes, by reference. Internal notes, assignments, referrals and non-public status-change notes are not shown.';

-- ---------------------------------------------------------------------------
-- Complaint statistics.  The public endpoint needs counts by the
-- complainant's sex and nationality, which fairreg_public must not read row by
-- row; it calls pub_complaint_stats, which returns only counts and suppresses
-- every cell under 5.

CREATE FUNCTION complaint_stats(group_by text[], from_month date, to_month date, suppress boolean)
  RETURNS TABLE (sex text, nationality text, destination_country text, sector text,
                 category text, channel text, status text, month text,
                 count bigint, suppressed boolean)
  LANGUAGE plpgsql STABLE
  SET search_path = public, pg_temp
AS $$
DECLARE
  dims constant text[] := ARRAY['sex', 'nationality', 'destination_country', 'sector',
                                'category', 'channel', 'status', 'month'];
  d      text;
  outcols text := '';
  keys   text := '';
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
  FOREACH d IN ARRAY dims LOOP
    IF d = ANY (group_by) THEN
      outcols := outcols || format('g.%I, ', d);
      keys := keys || format('%I, ', d);
    ELSE
      outcols := outcols || 'NULL::text, ';
    END IF;
  END LOOP;
  RETURN QUERY EXECUTE format($q$
    WITH f AS (
      SELECT c.id,
             coalesce(p.sex, 'undisclosed') AS sex,
             p.nationality::text AS nationality,
             c.destination_country::text AS destination_country,
             c.sector,
             %s AS category,
             c.channel,
             c.status::text AS status,
             to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month
        FROM complaint AS c
        LEFT JOIN complainant AS p ON p.complaint_id = c.id
        %s
       WHERE ($1 IS NULL OR c.created_at >= date_trunc('month', $1)::timestamp AT TIME ZONE 'UTC')
         AND ($2 IS NULL OR c.created_at < (date_trunc('month', $2) + interval '1 month')::timestamp AT TIME ZONE 'UTC'))
    SELECT %s
           CASE WHEN $3 AND g.n < 5 THEN NULL ELSE g.n END,
           $3 AND g.n < 5
      FROM (SELECT %s count(DISTINCT f.id) AS n FROM f %s) AS g
     ORDER BY %s 1 $q$,
    CASE WHEN 'category' = ANY (group_by) THEN 'cc.category' ELSE 'NULL::text' END,
    CASE WHEN 'category' = ANY (group_by)
         THEN 'JOIN complaint_category AS cc ON cc.complaint_id = c.id' ELSE '' END,
    outcols,
    keys,
    CASE WHEN keys = '' THEN '' ELSE 'GROUP BY ' || rtrim(keys, ', ') END,
    keys)
  USING from_month, to_month, coalesce(suppress, true);
END
$$;
REVOKE ALL ON FUNCTION complaint_stats(text[], date, date, boolean) FROM PUBLIC;
COMMENT ON FUNCTION complaint_stats(text[], date, date, boolean) IS
  'Complaint counts grouped by any of sex, nationality, destination_country, sector, category, channel, status, month (YYYY-MM, UTC), over the months from..to (NULL = open); dimensions not grouped are NULL. A complaint counts once per category when grouped by category. With suppress, a count under 5 is NULL and suppressed is true. For analysts (fairreg_app).';

CREATE FUNCTION pub_complaint_stats(group_by text[], from_month date, to_month date)
  RETURNS TABLE (sex text, nationality text, destination_country text, sector text,
                 category text, channel text, status text, month text,
                 count bigint, suppressed boolean)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
AS $$
  SELECT * FROM complaint_stats(group_by, from_month, to_month, true);
$$;
REVOKE ALL ON FUNCTION pub_complaint_stats(text[], date, date) FROM PUBLIC;
COMMENT ON FUNCTION pub_complaint_stats(text[], date, date) IS
  'Public: complaint_stats with every cell under 5 suppressed. Runs as the owner, so fairreg_public needs no access to complaints.';
