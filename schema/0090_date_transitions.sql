-- 0090_date_transitions: the status changes that dates make, recorded.
--
-- A licence's effective status (licence_effective, 0004) moves by itself
-- when a date passes: a licence listed active expires the day after its
-- valid_until, a pending one becomes active on its valid_from, a suspension
-- or ban decided for a later day starts on its effective_from and ends after
-- its effective_until.  The lookup shows that at once (it is computed), but
-- no write happens, so until now neither the status history, the change feed
-- (GET /v1/changes, /feeds/licences.atom) nor an embassy following an agency
-- heard of it (the open point of 0060).
--
-- licence_status_drift lists each licence whose effective status differs
-- from the last status of its history (last as the history is read: by
-- effective_on, then id; licence_status_history_licence_idx serves it in one
-- probe per licence), with the row that records the change:
-- the day it took effect, why, and its source (the sanction when one imposes
-- it, else 'system').  fr_record_date_transitions() appends those rows; every
-- server runs it at start and within seconds of each midnight (current_date
-- is the session's, UTC for the server: dates change nothing in between),
-- and a minute later again when it had to skip licences
-- (server/date_transitions.c).  It is idempotent: a second run, or a second
-- server, finds nothing left to record.  Its rows are audited with the
-- caller's audit context (the server's actor: system:date-transitions).
-- Writers that record their own changes (imports, sanctions, staff) are
-- never second-guessed while they run: the licences they hold locked are
-- skipped, counted, and looked at in the next run.
-- Licences with no history at all are left alone: every write path records
-- a licence's first status when it creates it.
--
-- The day a change took effect, never later than today nor earlier than the
-- last row of the history (the history stays in order):
--   expired                      valid_until + 1
--   pending                      today (only a list or staff makes it so)
--   imposed by a sanction        the sanction's effective_from
--   back to listed, was pending  valid_from
--   back to listed, was under a  the day after the last status-changing
--   sanction                     sanction on it ran out (effective_until)
--   otherwise (a list renewed an today
--   expired licence, say)

CREATE VIEW licence_status_drift AS
SELECT d.licence_id, d.status, d.recorded_status,
       greatest(d.recorded_on,
                least(current_date,
                      CASE
                        WHEN d.status_basis = 'validity' AND d.status = 'expired' THEN d.valid_until + 1
                        WHEN d.status_basis = 'validity' THEN current_date
                        WHEN d.status_basis = 'sanction' THEN s.effective_from
                        WHEN d.recorded_status = 'pending' AND d.valid_from <= current_date THEN d.valid_from
                        WHEN d.recorded_status IN ('suspended', 'revoked', 'banned')
                             AND d.sanction_ended_on IS NOT NULL THEN d.sanction_ended_on
                        ELSE current_date
                      END)) AS effective_on,
       CASE
         WHEN d.status_basis = 'validity' AND d.status = 'expired' THEN format('valid until %s', d.valid_until)
         WHEN d.status_basis = 'validity' THEN format('valid from %s', d.valid_from)
         WHEN d.status_basis = 'sanction' THEN format('%s in force from %s', s.kind, s.effective_from)
         WHEN d.recorded_status = 'pending' AND d.valid_from <= current_date THEN format('valid from %s', d.valid_from)
         WHEN d.recorded_status IN ('suspended', 'revoked', 'banned')
              AND d.sanction_ended_on IS NOT NULL THEN 'sanction period ended'
         -- renewed by a later list (whose own history row records only a
         -- change of the listed status)
         WHEN d.recorded_status = 'expired' AND d.valid_until IS NULL THEN 'valid with no end date'
         WHEN d.recorded_status = 'expired' THEN format('valid until %s', d.valid_until)
         ELSE 'as listed by the authority'
       END AS reason,
       CASE WHEN d.status_basis = 'sanction' THEN 'sanction' ELSE 'system' END AS source,
       CASE WHEN d.status_basis = 'sanction' THEN d.sanction_id END AS sanction_id
  FROM (SELECT le.licence_id, le.status, le.status_basis, le.sanction_id,
               le.valid_from, le.valid_until,
               h.status AS recorded_status, h.effective_on AS recorded_on,
               -- the day after the last status-changing sanction on it ran out
               (SELECT max(x.effective_until) + 1
                  FROM sanction AS x
                 WHERE (x.licence_id = le.licence_id OR x.agency_id = le.agency_id)
                   AND x.kind IN ('ban', 'revocation', 'suspension')
                   AND x.effective_until < current_date
                   AND (x.lifted_on IS NULL OR x.lifted_on > x.effective_until)) AS sanction_ended_on
          FROM licence_effective AS le
          JOIN LATERAL (SELECT x.status, x.effective_on
                          FROM licence_status_history AS x
                         WHERE x.licence_id = le.licence_id
                         ORDER BY x.effective_on DESC, x.id DESC
                         LIMIT 1) AS h ON true
         WHERE h.status <> le.status) AS d
  LEFT JOIN sanction AS s ON s.id = d.sanction_id;
COMMENT ON VIEW licence_status_drift IS
  'Licences whose effective status (licence_effective) differs from the last status of their history (by effective_on, then id), with the history row that records the change: effective_on, reason, source (sanction or system) and sanction_id. Empty when the history is up to date. Not public.';

CREATE FUNCTION fr_record_date_transitions(OUT recorded integer, OUT skipped integer,
                                           OUT seconds_to_next_day double precision)
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
AS $$
DECLARE
  due bigint[];
  held bigint[];
BEGIN
  recorded := 0;
  skipped := 0;
  -- One recorder at a time: a second server waits here, then finds nothing.
  PERFORM pg_advisory_xact_lock(hashtext('fairreg: date transitions'));
  SELECT array_agg(licence_id) INTO due FROM licence_status_drift;
  IF due IS NOT NULL THEN
    -- A licence another transaction holds is that writer's to record (or
    -- the next run's); in id order, as the sanction functions lock.
    -- Joined with unnest, never "= ANY (due)": an array of thousands tested
    -- against every row is quadratic, whatever the statistics say.
    SELECT array_agg(l.id) INTO held
      FROM (SELECT l.id FROM licence AS l JOIN unnest(due) AS u (id) ON u.id = l.id
             ORDER BY l.id FOR UPDATE OF l SKIP LOCKED) AS l;
    skipped := cardinality(due) - coalesce(cardinality(held), 0);
  END IF;
  IF held IS NOT NULL THEN
    -- A new statement, so a new snapshot: what a writer committed meanwhile
    -- is seen, and a licence it already recorded has left the drift.
    INSERT INTO licence_status_history (licence_id, status, effective_on, reason, source, sanction_id)
    SELECT d.licence_id, d.status, d.effective_on, d.reason, d.source, d.sanction_id
      FROM licence_status_drift AS d
      JOIN unnest(held) AS u (id) ON u.id = d.licence_id
     ORDER BY d.licence_id;
    GET DIAGNOSTICS recorded = ROW_COUNT;
  END IF;
  seconds_to_next_day := extract(epoch FROM (current_date + 1)::timestamptz - clock_timestamp());
END
$$;
REVOKE ALL ON FUNCTION fr_record_date_transitions() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fr_record_date_transitions() TO fairreg_app;
COMMENT ON FUNCTION fr_record_date_transitions() IS
  'Appends to licence_status_history the rows of licence_status_drift (status changes made by dates: expiry, validity reached, sanctions starting and ending), skipping licences another transaction holds. Answers how many it recorded, how many it skipped, and the seconds until the next day begins (current_date + 1 in the session time zone). Run by every server (server/date_transitions.c).';

GRANT SELECT ON licence_status_drift TO fairreg_app;
