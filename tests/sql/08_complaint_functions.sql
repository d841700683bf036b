-- The casework's shared readers (0050_casework_common) and the complaint
-- functions' rules (0051_complaints), at the database: strict input, who
-- sees which complaint, overdue as a query, and the caller taken from the
-- transaction's audit context.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(29);

-- ---------------------------------------------------------------------------
-- Reading input.

SELECT throws_ok($$SELECT fr_in_object('{"a": 1, "zz": 2}', 'the thing', ARRAY['a'])$$, 'FR422',
                 'unknown field "zz" in the thing; allowed fields: a', 'unknown fields are refused by name');
SELECT throws_ok($$SELECT fr_in_object('[1]', 'the thing', ARRAY['a'])$$, 'FR422',
                 'the thing must be a JSON object', 'input must be an object');
SELECT is(fr_in_text('{"t": "  hello \n"}', 't', 't', 10, true), 'hello', 'text is trimmed');
SELECT is(fr_in_text('{"t": "   "}', 't', 't', 10, false), NULL, 'blank text reads as absent');
SELECT throws_ok($$SELECT fr_in_text('{"t": "   "}', 't', 't', 10, true)$$, 'FR422', 't must not be empty', 'blank required text');
SELECT throws_ok($$SELECT fr_in_text('{"t": "ဘာသာစကား"}', 't', 't', 5, true)$$, 'FR422',
                 't is longer than 5 characters', 'length counts characters, not bytes');
SELECT is(fr_in_text('{"t": "ဘာသာ"}', 't', 't', 5, true), 'ဘာသာ', 'four Burmese characters fit in five');
SELECT throws_ok($$SELECT fr_in_text('{"t": 5}', 't', 't', 5, true)$$, 'FR422', 't must be a string', 'a number is not text');
SELECT throws_ok($$SELECT fr_in_text('{}', 't', 't', 5, true)$$, 'FR422', 't is required', 'a missing required field');
SELECT is(fr_in_text('{"t": null}', 't', 't', 5, false), NULL, 'null reads as absent');
SELECT throws_ok($$SELECT fr_in_enum('{"e": "x"}', 'e', 'e', ARRAY['a', 'b'], true)$$, 'FR422', 'e must be one of a, b', 'vocabularies');
SELECT is(fr_in_enum_list('{"l": ["b", "a"]}', 'l', 'l', ARRAY['a', 'b'], true), ARRAY['a', 'b'], 'lists come back sorted');
SELECT throws_ok($$SELECT fr_in_id('{"i": 1.5}', 'i', 'i', true)$$, 'FR422', 'i must be a positive whole number (an id)', 'ids are integers');
SELECT throws_ok($$SELECT fr_in_id('{"i": 0}', 'i', 'i', true)$$, 'FR422', 'i must be a positive whole number (an id)', 'ids are positive');
SELECT throws_ok($$SELECT fr_in_date('{"d": "2026-02-30"}', 'd', 'd', true)$$, 'FR422', 'd is not a real date', 'impossible dates');
SELECT throws_ok($$SELECT fr_in_amount('{"m": 1.005}', 'm', 'm', true)$$, 'FR422', NULL, 'money has at most two decimals');
SELECT ok(fr_is_iso_country('MM') AND fr_is_iso_country('TL') AND NOT fr_is_iso_country('XX') AND NOT fr_is_iso_country('mm'),
          'countries are checked against ISO 3166-1');
SELECT ok(fr_is_iso_currency('MMK') AND NOT fr_is_iso_currency('PES'), 'currencies are checked against ISO 4217');

-- ---------------------------------------------------------------------------
-- Who sees which complaint.

INSERT INTO app_user (email, name, role, org, password_hash) VALUES
  ('t08-admin@example.org', 'T08 admin', 'admin', NULL, 'x'),
  ('t08-insp@example.org', 'T08 inspector', 'inspector', 'PH-DMW', 'x'),
  ('t08-vn@example.org', 'T08 VN inspector', 'inspector', 'VN-MOLISA', 'x'),
  ('t08-att@example.org', 'T08 attache', 'attache', 'MM-EMB-BKK', 'x'),
  ('t08-ana@example.org', 'T08 analyst', 'analyst', NULL, 'x'),
  ('t08-off@example.org', 'T08 disabled', 'inspector', 'PH-DMW', 'x');
UPDATE app_user SET disabled = true WHERE email = 't08-off@example.org';
INSERT INTO complaint (reference, channel, filed_by, mission, agency_name_given, authority_code, description, due_at, resolution_due_at)
VALUES ('T080-0000-0001', 'attache', 'mission', 'MM-EMB-BKK', 'T08 agency', 'PH-DMW', 'T08', now() - interval '1 day', now() + interval '9 days'),
       ('T080-0000-0002', 'online', 'worker', NULL, 'T08 agency', 'VN-MOLISA', 'T08', now() + interval '1 day', now() - interval '1 day'),
       ('T080-0000-0003', 'online', 'worker', NULL, 'T08 agency', NULL, 'T08', now() + interval '1 day', now() + interval '9 days');

CREATE TEMPORARY TABLE t08_sees AS
SELECT u.email, c.reference, fr_complaint_visible(c, u) AS sees
  FROM app_user AS u, complaint AS c WHERE u.email LIKE 't08-%' AND c.reference LIKE 'T080-%';
SELECT results_eq($$SELECT email, string_agg(reference, ',' ORDER BY reference) FROM t08_sees WHERE sees
                     GROUP BY email ORDER BY email$$,
                  $$VALUES ('t08-admin@example.org', 'T080-0000-0001,T080-0000-0002,T080-0000-0003'),
                           ('t08-att@example.org', 'T080-0000-0001'),
                           ('t08-insp@example.org', 'T080-0000-0001'),
                           ('t08-off@example.org', 'T080-0000-0001'),
                           ('t08-vn@example.org', 'T080-0000-0002')$$,
                  'admins see all, inspectors their authority''s, attachés their mission''s, analysts none');
SELECT results_eq($$SELECT reference, fr_complaint_overdue(c) FROM complaint AS c WHERE reference LIKE 'T080-%' ORDER BY 1$$,
                  $$VALUES ('T080-0000-0001', true), ('T080-0000-0002', true), ('T080-0000-0003', false)$$,
                  'overdue: acknowledgement late while received, or resolution late while open');
UPDATE complaint SET status = 'withdrawn' WHERE reference = 'T080-0000-0002';
SELECT is(fr_complaint_overdue((SELECT c FROM complaint AS c WHERE reference = 'T080-0000-0002')), false,
          'a closed complaint is never overdue');

-- ---------------------------------------------------------------------------
-- The caller comes from the transaction's audit context.

SELECT is(fr_actor(), NULL, 'no actor set: anonymous');
DO $$ BEGIN PERFORM set_config('fairreg.actor_user_id', (SELECT id::text FROM app_user WHERE email = 't08-off@example.org'), true); END $$;
SELECT throws_ok($$SELECT fr_actor()$$, 'FR403', 'the account making this request is disabled or unknown',
                 'a disabled account cannot act');
DO $$ BEGIN PERFORM set_config('fairreg.actor_user_id', (SELECT id::text FROM app_user WHERE email = 't08-ana@example.org'), true); END $$;
SELECT throws_ok($$SELECT fr_complaint_get((SELECT id FROM complaint WHERE reference = 'T080-0000-0001'))$$, 'FR403',
                 'only admin, inspector, attache may read complaints', 'analysts read no complaint');
DO $$ BEGIN PERFORM set_config('fairreg.actor_user_id', (SELECT id::text FROM app_user WHERE email = 't08-vn@example.org'), true); END $$;
SELECT throws_ok($$SELECT fr_complaint_get((SELECT id FROM complaint WHERE reference = 'T080-0000-0001'))$$, 'FR404',
                 'no complaint with that id that you may see', 'another authority''s complaint does not exist for them');
DO $$ BEGIN PERFORM set_config('fairreg.actor_user_id', (SELECT id::text FROM app_user WHERE email = 't08-insp@example.org'), true); END $$;
SELECT is(fr_complaint_get((SELECT id FROM complaint WHERE reference = 'T080-0000-0001')) ->> 'reference', 'T080-0000-0001',
          'their own authority''s complaint is read');
SELECT throws_ok($$SELECT fr_complaint_move((SELECT id FROM complaint WHERE reference = 'T080-0000-0001'), '{"status": "resolved", "outcome": "settled"}')$$,
                 'FR001', NULL, 'a move the transitions do not allow is refused with FR001');
SELECT is(fr_complaint_move((SELECT id FROM complaint WHERE reference = 'T080-0000-0001'), '{"status": "acknowledged"}') ->> 'status',
          'acknowledged', 'an allowed move is made');
SELECT results_eq($$SELECT kind, status::text, user_id = (SELECT id FROM app_user WHERE email = 't08-insp@example.org')
                      FROM complaint_event WHERE complaint_id = (SELECT id FROM complaint WHERE reference = 'T080-0000-0001')$$,
                  $$VALUES ('status_change', 'acknowledged', true)$$,
                  'the move is an event of the acting user');

SELECT * FROM finish();
ROLLBACK;
