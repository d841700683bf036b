-- Inspections, sanctions and direct status changes (0060): a sanction that
-- changes effective statuses writes one history row per changed licence
-- (source sanction) and its lifting another; demerit points add up over 24
-- months without lifted ones; inspectors act only for their own authority;
-- a closed inspection is read-only; a user's status change is recorded with
-- source user.  Run as fairreg_app, as the server does.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(37);

-- Entry points for fairreg_app only.
SELECT ok(has_function_privilege('fairreg_app', 'fr_sanction_create(jsonb, integer, integer)', 'EXECUTE'),
  'fairreg_app may call fr_sanction_create');
SELECT ok(NOT has_function_privilege('fairreg_public', 'fr_sanction_create(jsonb, integer, integer)', 'EXECUTE'),
  'fairreg_public may not call fr_sanction_create');
SELECT ok(NOT has_function_privilege('fairreg_public', 'fr_inspection_plan(jsonb)', 'EXECUTE'),
  'fairreg_public may not call fr_inspection_plan');
SELECT ok(NOT has_function_privilege('fairreg_public', 'fr_licence_set_status(bigint, jsonb)', 'EXECUTE'),
  'fairreg_public may not call fr_licence_set_status');

-- The register and the staff.
INSERT INTO app_user (email, name, role, org, password_hash) VALUES
  ('t40-ph@example.org', 'T40 PH inspector', 'inspector', 'PH-DMW', 'x'),
  ('t40-id@example.org', 'T40 ID inspector', 'inspector', 'ID-BP2MI', 'x'),
  ('t40-admin@example.org', 'T40 admin', 'admin', NULL, 'x');
INSERT INTO agency (name, country, authority_code) VALUES ('T40 agency', 'PH', 'PH-DMW'), ('T40 points', 'PH', 'PH-DMW');
INSERT INTO licence (authority_code, number, agency_id, listed_status, valid_from, valid_until)
SELECT 'PH-DMW', n, a.id, 'active', current_date - 10, current_date + 300
  FROM agency AS a, unnest(ARRAY['T40-A', 'T40-B']) AS n WHERE a.name = 'T40 agency';
INSERT INTO licence (authority_code, number, agency_id, listed_status, valid_from, valid_until)
SELECT 'PH-DMW', 'T40-P', a.id, 'active', current_date - 10, current_date + 300 FROM agency AS a WHERE a.name = 'T40 points';

CREATE TEMP TABLE t40 (key text PRIMARY KEY, id bigint);
INSERT INTO t40 SELECT 'ph', id FROM app_user WHERE email = 't40-ph@example.org';
INSERT INTO t40 SELECT 'id', id FROM app_user WHERE email = 't40-id@example.org';
INSERT INTO t40 SELECT 'admin', id FROM app_user WHERE email = 't40-admin@example.org';
INSERT INTO t40 SELECT 'agency', id FROM agency WHERE name = 'T40 agency';
INSERT INTO t40 SELECT 'points', id FROM agency WHERE name = 'T40 points';
INSERT INTO t40 SELECT 'lic_a', id FROM licence WHERE number = 'T40-A';
GRANT SELECT, INSERT, UPDATE ON t40 TO fairreg_app;

CREATE FUNCTION pg_temp.act_as(who text) RETURNS void LANGUAGE sql
  RETURN set_config('fairreg.actor_user_id', (SELECT id FROM t40 WHERE key = who)::text, true);
CREATE FUNCTION pg_temp.id_of(k text) RETURNS bigint LANGUAGE sql RETURN (SELECT id FROM t40 WHERE key = k);

SET LOCAL ROLE fairreg_app;

-- ---------------------------------------------------------------------------
-- A suspension of the whole agency by its authority's inspector.

SELECT pg_temp.act_as('ph');
INSERT INTO t40
SELECT 'suspension', (fr_sanction_create(jsonb_build_object(
         'kind', 'suspension', 'agency_id', pg_temp.id_of('agency'), 'effective_from', current_date - 1,
         'reason', 'fees charged', 'is_public', true), 10, 20) -> 'sanction' ->> 'id')::bigint;

SELECT results_eq($$SELECT l.number, h.status::text, h.effective_on, h.source, h.reason, h.user_id
                      FROM licence_status_history AS h JOIN licence AS l ON l.id = h.licence_id
                     WHERE h.sanction_id = pg_temp.id_of('suspension') ORDER BY l.number$$,
  $$VALUES ('T40-A'::text, 'suspended'::text, current_date - 1, 'sanction'::text, 'fees charged'::text, pg_temp.id_of('ph')),
           ('T40-B', 'suspended', current_date - 1, 'sanction', 'fees charged', pg_temp.id_of('ph'))$$,
  'one history row per licence whose status the suspension changed, source sanction');
SELECT results_eq($$SELECT number, status::text, status_basis, sanction_id FROM licence_effective
                     WHERE agency_id = pg_temp.id_of('agency') ORDER BY number$$,
  $$VALUES ('T40-A'::text, 'suspended'::text, 'sanction'::text, pg_temp.id_of('suspension')),
           ('T40-B', 'suspended', 'sanction', pg_temp.id_of('suspension'))$$,
  'both licences are suspended by the sanction');
SELECT is((SELECT listed_status::text FROM licence WHERE number = 'T40-A'), 'active', 'the listed status is untouched');
SELECT is((SELECT count(*)::int FROM pub_licence_history WHERE number = 'T40-A' AND status = 'suspended'), 1,
  'the change feed''s view shows it');

-- A second suspension changes nothing more, and writes nothing.
SELECT is(fr_sanction_create(jsonb_build_object(
         'kind', 'suspension', 'licence_id', pg_temp.id_of('lic_a'), 'effective_from', current_date,
         'reason', 'again'), 10, 20) -> 'status_changes', '[]'::jsonb,
  'a suspension on a suspended licence reports no change');
SELECT is((SELECT count(*)::int FROM licence_status_history WHERE licence_id = pg_temp.id_of('lic_a')), 1,
  'and writes no history');

-- Lifting the first: the licence with no other suspension is active again.
SELECT is(fr_sanction_lift(pg_temp.id_of('suspension'), '{"lift_reason": "refunded"}', 10, 20) -> 'status_changes',
  jsonb_build_array(jsonb_build_object('licence', jsonb_build_object('id', (SELECT id FROM licence WHERE number = 'T40-B'),
                                                                    'number', 'T40-B'),
                                       'from', 'suspended', 'to', 'active')),
  'lifting reports the one licence it frees');
SELECT results_eq($$SELECT status::text, effective_on, source, reason FROM licence_status_history
                     WHERE licence_id = (SELECT id FROM licence WHERE number = 'T40-B') ORDER BY id$$,
  $$VALUES ('suspended'::text, current_date - 1, 'sanction'::text, 'fees charged'::text),
           ('active', current_date, 'sanction', 'refunded')$$,
  'the lifting is in the history too');
SELECT is((SELECT status::text FROM licence_effective WHERE number = 'T40-A'), 'suspended',
  'the licence under its own suspension stays suspended');
SELECT throws_ok($$SELECT fr_sanction_lift(pg_temp.id_of('suspension'), '{"lift_reason": "twice"}', 10, 20)$$,
  'FR409', 'the sanction has already been lifted', 'a sanction is lifted once');

-- ---------------------------------------------------------------------------
-- Demerit points.

SELECT lives_ok($$SELECT fr_sanction_create(jsonb_build_object('kind', 'demerit_points', 'agency_id', pg_temp.id_of('points'),
                                                               'points', 6, 'reason', 'a'), 10, 20)$$, '6 points');
SELECT is((fr_sanction_create(jsonb_build_object('kind', 'demerit_points', 'licence_id',
                                                 (SELECT id FROM licence WHERE number = 'T40-P'), 'points', 5, 'reason', 'b'), 10, 20)
           -> 'standing') - 'agency',
  '{"in_good_standing": true, "points": 11, "surveillance": true, "suspension_proposed": false,
    "thresholds": {"surveillance": 10, "suspension": 20}}'::jsonb,
  'points on the agency and on its licence add up; 11 reaches surveillance at 10');
INSERT INTO t40
SELECT 'lifted_points', (fr_sanction_create(jsonb_build_object('kind', 'demerit_points', 'agency_id', pg_temp.id_of('points'),
                                                               'points', 7, 'reason', 'c'), 10, 20) -> 'sanction' ->> 'id')::bigint;
SELECT is(fr_agency_demerit_points(pg_temp.id_of('points')), 18, '18 with the third');
SELECT lives_ok($$SELECT fr_sanction_lift(pg_temp.id_of('lifted_points'), '{"lift_reason": "appeal"}', 10, 20)$$, 'lifted');
SELECT is(fr_agency_demerit_points(pg_temp.id_of('points')), 11, 'lifted points do not count');
SELECT lives_ok($$SELECT fr_sanction_create(jsonb_build_object('kind', 'demerit_points', 'agency_id', pg_temp.id_of('points'),
                    'points', 30, 'reason', 'old', 'decided_on', (current_date - interval '25 months')::date), 10, 20)$$, 'old points');
SELECT is(fr_agency_demerit_points(pg_temp.id_of('points')), 11, 'points decided more than 24 months ago do not count');
SELECT is(fr_agency_standing(pg_temp.id_of('points'), 5, 11) ->> 'suspension_proposed', 'true',
  'the thresholds are parameters');
SELECT is((SELECT count(*)::int FROM licence_status_history WHERE licence_id = (SELECT id FROM licence WHERE number = 'T40-P')),
  0, 'demerit points never write status history');

-- ---------------------------------------------------------------------------
-- Another authority's inspector.

SELECT pg_temp.act_as('id');
SELECT throws_ok($$SELECT fr_sanction_create(jsonb_build_object('kind', 'ban', 'licence_id', pg_temp.id_of('lic_a'),
                                                                'effective_from', current_date, 'reason', 'x'), 10, 20)$$,
  'FR403', 'an inspector may sanction only licences their authority issued', 'may not sanction a licence of another authority');
SELECT throws_ok($$SELECT fr_sanction_get(pg_temp.id_of('suspension'), 10, 20)$$,
  'FR404', 'no sanction with that id that you may see', 'does not see the other authority''s sanction');
SELECT throws_ok($$SELECT fr_licence_set_status(pg_temp.id_of('lic_a'), '{"status": "revoked", "reason": "x"}')$$,
  'FR403', NULL, 'may not change the status of another authority''s licence');

-- ---------------------------------------------------------------------------
-- Inspections.

SELECT pg_temp.act_as('ph');
INSERT INTO t40
SELECT 'inspection', (fr_inspection_plan(jsonb_build_object('agency_id', pg_temp.id_of('agency'), 'kind', 'routine',
                                                            'planned_on', current_date)) ->> 'id')::bigint;
SELECT is((SELECT authority_code || '/' || status FROM inspection WHERE id = pg_temp.id_of('inspection')), 'PH-DMW/planned',
  'an inspector plans for their own authority');
SELECT is((SELECT array_agg(user_id) FROM inspection_inspector WHERE inspection_id = pg_temp.id_of('inspection')),
  ARRAY[pg_temp.id_of('ph')], 'and is its inspector');
SELECT throws_ok($$SELECT fr_inspection_record_finding(pg_temp.id_of('inspection'), 'NO_SUCH_ITEM', '{"result": "breach"}')$$,
  'FR422', 'item names no active checklist item (see GET /v1/checklist)', 'an unknown checklist item');
SELECT lives_ok($$SELECT fr_inspection_record_finding(pg_temp.id_of('inspection'), 'RECORDS_MISSING', '{"result": "breach"}')$$,
  'a finding');
SELECT lives_ok($$SELECT fr_inspection_record_finding(pg_temp.id_of('inspection'), 'RECORDS_MISSING',
                                                      '{"result": "compliant", "note": "found"}')$$, 'the same item again');
SELECT results_eq($$SELECT item_code, result, note FROM inspection_finding WHERE inspection_id = pg_temp.id_of('inspection')$$,
  $$VALUES ('RECORDS_MISSING'::text, 'compliant'::text, 'found'::text)$$, 'one finding per item: the last one');
SELECT lives_ok($$SELECT fr_inspection_close(pg_temp.id_of('inspection'), '{"outcome": "fine"}')$$, 'closed');
SELECT throws_ok($$SELECT fr_inspection_record_finding(pg_temp.id_of('inspection'), 'RECORDS_MISSING', '{"result": "breach"}')$$,
  'FR409', 'the inspection is closed: it is read-only', 'a closed inspection is read-only');
SELECT pg_temp.act_as('id');
SELECT throws_ok($$SELECT fr_inspection_get(pg_temp.id_of('inspection'))$$,
  'FR404', 'no inspection with that id that you may see', 'another authority does not see the inspection');

-- ---------------------------------------------------------------------------
-- A user's direct status change.

SELECT pg_temp.act_as('admin');
SELECT is(fr_licence_set_status((SELECT id FROM licence WHERE number = 'T40-P'),
                                '{"status": "cancelled", "reason": "surrendered by letter"}') ->> 'changed', 'true',
  'an administrator changes the listed status');
SELECT results_eq($$SELECT l.listed_status::text, h.status::text, h.source, h.user_id, h.reason, h.effective_on
                      FROM licence AS l JOIN licence_status_history AS h ON h.licence_id = l.id WHERE l.number = 'T40-P'$$,
  $$VALUES ('cancelled'::text, 'cancelled'::text, 'user'::text, pg_temp.id_of('admin'), 'surrendered by letter'::text, current_date)$$,
  'with its history row, source user');

RESET ROLE;
SELECT * FROM finish();
ROLLBACK;
