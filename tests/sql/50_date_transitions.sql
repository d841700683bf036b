-- The status changes that dates make (0090_date_transitions): which licences
-- licence_status_drift finds, the day, reason and source of the row that
-- records each, and that fr_record_date_transitions() appends exactly those,
-- audited, once.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(18);

INSERT INTO agency (name, country) VALUES ('T50 agency', 'PH');

INSERT INTO licence (authority_code, number, agency_id, listed_status, valid_from, valid_until)
SELECT 'PH-DMW', v.number, (SELECT id FROM agency WHERE name = 'T50 agency'), 'active', v.valid_from, v.valid_until
  FROM (VALUES
    ('T50-EXPIRED',      current_date - 400, current_date - 3),
    ('T50-CURRENT',      current_date - 400, current_date + 100),
    ('T50-SUSP-START',   current_date - 400, current_date + 100),
    ('T50-SUSP-END',     current_date - 400, current_date + 100),
    ('T50-VALID-NOW',    current_date - 2,   current_date + 100),
    ('T50-NOT-YET',      current_date + 5,   current_date + 100),
    ('T50-NO-HISTORY',   current_date - 400, current_date - 3),
    ('T50-LATE-RECORD',  current_date - 400, current_date - 50),
    ('T50-RENEWED',      current_date - 400, current_date + 365)
  ) AS v (number, valid_from, valid_until);

-- What the history recorded so far (source system: no run, user or sanction needed).
INSERT INTO licence_status_history (licence_id, status, effective_on, reason, source)
SELECT l.id, v.status::licence_status, v.effective_on, 'T50 seed', 'system'
  FROM (VALUES
    ('T50-EXPIRED',     'active',    current_date - 400),
    ('T50-CURRENT',     'active',    current_date - 400),
    ('T50-SUSP-START',  'active',    current_date - 400),
    ('T50-SUSP-END',    'active',    current_date - 400),
    ('T50-VALID-NOW',   'active',    current_date - 10),
    ('T50-NOT-YET',     'active',    current_date - 1),
    ('T50-LATE-RECORD', 'active',    current_date - 10),
    ('T50-RENEWED',     'active',    current_date - 400)
  ) AS v (number, status, effective_on)
  JOIN licence AS l ON l.number = v.number;
-- Later rows, later ids: on the same day, the later id is the later status.
INSERT INTO licence_status_history (licence_id, status, effective_on, reason, source)
SELECT l.id, v.status::licence_status, v.effective_on, 'T50 seed', 'system'
  FROM (VALUES
    ('T50-SUSP-END',    'suspended', current_date - 30),
    ('T50-VALID-NOW',   'pending',   current_date - 10),
    ('T50-RENEWED',     'expired',   current_date - 20)
  ) AS v (number, status, effective_on)
  JOIN licence AS l ON l.number = v.number;

-- A suspension that began yesterday (not public), one that ran out five days ago.
INSERT INTO sanction (kind, licence_id, decided_on, effective_from, effective_until, reason, authority_code, is_public)
SELECT 'suspension', l.id, current_date - 60, v.effective_from, v.effective_until, 'T50 confidential grounds', 'PH-DMW', v.is_public
  FROM (VALUES
    ('T50-SUSP-START', current_date - 1,  NULL::date,       false),
    ('T50-SUSP-END',   current_date - 30, current_date - 5, true)
  ) AS v (number, effective_from, effective_until, is_public)
  JOIN licence AS l ON l.number = v.number;

CREATE TEMP VIEW t50_drift AS
SELECT l.number, d.recorded_status, d.status::text AS status, d.effective_on, d.reason, d.source,
       d.sanction_id IS NOT DISTINCT FROM (SELECT s.id FROM sanction AS s WHERE s.licence_id = l.id
                                            AND s.effective_until IS NULL) AS right_sanction
  FROM licence_status_drift AS d
  JOIN licence AS l ON l.id = d.licence_id
 WHERE l.number LIKE 'T50-%';

SELECT bag_eq(
  $$SELECT number, recorded_status::text, status FROM t50_drift$$,
  $$VALUES ('T50-EXPIRED', 'active', 'expired'), ('T50-SUSP-START', 'active', 'suspended'),
           ('T50-SUSP-END', 'suspended', 'active'), ('T50-VALID-NOW', 'pending', 'active'),
           ('T50-NOT-YET', 'active', 'pending'), ('T50-LATE-RECORD', 'active', 'expired'),
           ('T50-RENEWED', 'expired', 'active')$$,
  'the drift is every licence whose effective status left its last recorded one, and only those');

SELECT row_eq($$SELECT effective_on, reason, source FROM t50_drift WHERE number = 'T50-EXPIRED'$$,
  ROW(current_date - 2, format('valid until %s', current_date - 3), 'system'::text),
  'an expiry takes effect the day after valid_until, recorded by the system');
SELECT row_eq($$SELECT effective_on, reason, source, right_sanction FROM t50_drift WHERE number = 'T50-SUSP-START'$$,
  ROW(current_date - 1, format('suspension in force from %s', current_date - 1), 'sanction'::text, true),
  'a suspension that began takes effect on its effective_from, recorded with its sanction');
SELECT row_eq($$SELECT effective_on, reason, source FROM t50_drift WHERE number = 'T50-SUSP-END'$$,
  ROW(current_date - 4, 'sanction period ended'::text, 'system'::text),
  'the end of a suspension takes effect the day after its effective_until');
SELECT row_eq($$SELECT effective_on, reason, source FROM t50_drift WHERE number = 'T50-VALID-NOW'$$,
  ROW(current_date - 2, format('valid from %s', current_date - 2), 'system'::text),
  'a pending licence becomes active on its valid_from');
SELECT row_eq($$SELECT effective_on, reason, source FROM t50_drift WHERE number = 'T50-NOT-YET'$$,
  ROW(current_date, format('valid from %s', current_date + 5), 'system'::text),
  'a licence not yet valid is recorded pending today');
SELECT row_eq($$SELECT effective_on, reason, source FROM t50_drift WHERE number = 'T50-RENEWED'$$,
  ROW(current_date, format('valid until %s', current_date + 365), 'system'::text),
  'an expired licence that a later list renewed is active again from the day it is seen, with its new end');
SELECT is((SELECT effective_on FROM t50_drift WHERE number = 'T50-LATE-RECORD'), current_date - 10,
  'a change is never dated before the last recorded row (the history stays in order)');

-- The audit context, as the server sets it for its recorder.
DO $$ BEGIN PERFORM set_config('fairreg.actor', 'system:date-transitions', true); END $$;
SELECT row_eq($$SELECT recorded, skipped FROM fr_record_date_transitions()$$, ROW(7, 0),
  'fr_record_date_transitions records every drifting licence, skipping none when no writer holds one');
SELECT is_empty($$SELECT * FROM t50_drift$$, 'after it, the history is up to date');
SELECT is((SELECT recorded FROM fr_record_date_transitions()), 0, 'a second run records nothing');

SELECT bag_eq(
  $$SELECT l.number, h.status::text, h.effective_on, h.source
      FROM licence_status_history AS h JOIN licence AS l ON l.id = h.licence_id
     WHERE l.number LIKE 'T50-%' AND h.reason IS DISTINCT FROM 'T50 seed'$$,
  $$VALUES ('T50-EXPIRED', 'expired', current_date - 2, 'system'),
           ('T50-SUSP-START', 'suspended', current_date - 1, 'sanction'),
           ('T50-SUSP-END', 'active', current_date - 4, 'system'),
           ('T50-VALID-NOW', 'active', current_date - 2, 'system'),
           ('T50-NOT-YET', 'pending', current_date, 'system'),
           ('T50-LATE-RECORD', 'expired', current_date - 10, 'system'),
           ('T50-RENEWED', 'active', current_date, 'system')$$,
  'the history holds one new row per change, with its day and source');
SELECT is_empty(
  $$SELECT FROM licence_status_history AS h JOIN licence AS l ON l.id = h.licence_id
     WHERE l.number IN ('T50-CURRENT', 'T50-NO-HISTORY') AND h.reason IS DISTINCT FROM 'T50 seed'$$,
  'a licence whose status holds, or that has no history, gets no row');
SELECT is((SELECT count(*)::int FROM audit_log
            WHERE entity = 'licence_status_history' AND actor = 'system:date-transitions'),
  7, 'each recorded row is in the audit log, with the caller''s actor');

SELECT is((SELECT reason FROM pub_licence_history AS p JOIN licence AS l ON l.id = p.licence_id
            WHERE l.number = 'T50-SUSP-START' AND p.source = 'sanction'),
  NULL, 'the public change feed withholds the reason of a change by a non-public sanction');
SELECT is((SELECT status::text FROM pub_licence_history AS p JOIN licence AS l ON l.id = p.licence_id
            WHERE l.number = 'T50-EXPIRED' ORDER BY p.id DESC LIMIT 1),
  'expired', 'the public change feed shows the expiry');

-- Privileges: the server's role may run it; the public may not.
SELECT ok(has_function_privilege('fairreg_app', 'fr_record_date_transitions()', 'EXECUTE'),
  'fairreg_app may record date transitions');
SELECT ok(NOT has_function_privilege('fairreg_public', 'fr_record_date_transitions()', 'EXECUTE'),
  'fairreg_public may not');

SELECT * FROM finish();
ROLLBACK;
