-- Complaint statuses move only along complaint_status_transition: every
-- allowed move works, every other move raises SQLSTATE FR001 naming the
-- allowed next statuses; the database stamps acknowledged_at and closed_at.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(71);

SELECT set_eq($$SELECT from_status::text, to_status::text FROM complaint_status_transition$$,
  $$VALUES ('received', 'acknowledged'), ('acknowledged', 'investigating'), ('investigating', 'conciliation'),
           ('conciliation', 'investigating'), ('investigating', 'resolved'), ('conciliation', 'resolved'),
           ('received', 'referred'), ('received', 'dismissed'), ('received', 'withdrawn'),
           ('acknowledged', 'referred'), ('acknowledged', 'dismissed'), ('acknowledged', 'withdrawn'),
           ('investigating', 'referred'), ('investigating', 'dismissed'), ('investigating', 'withdrawn'),
           ('conciliation', 'referred'), ('conciliation', 'dismissed'), ('conciliation', 'withdrawn')$$,
  'the allowed transitions are exactly the documented ones');

INSERT INTO agency (name, country) VALUES ('T04 agency', 'MM');

-- One complaint per (from, to) pair of distinct statuses, created directly in
-- the from status (an INSERT is not a transition).
CREATE TEMP TABLE t04_pair AS
SELECT f.s AS from_status, t.s AS to_status,
       'T04' || f.o || '-' || lpad(t.o::text, 4, '0') || '-0000' AS reference,
       EXISTS (SELECT FROM complaint_status_transition AS x
                WHERE x.from_status = f.s AND x.to_status = t.s) AS allowed
  FROM unnest(ARRAY['received', 'acknowledged', 'investigating', 'conciliation',
                    'resolved', 'referred', 'dismissed', 'withdrawn']) WITH ORDINALITY AS f (s, o)
 CROSS JOIN unnest(ARRAY['received', 'acknowledged', 'investigating', 'conciliation',
                         'resolved', 'referred', 'dismissed', 'withdrawn']) WITH ORDINALITY AS t (s, o)
 WHERE f.s <> t.s;

INSERT INTO complaint (reference, channel, filed_by, agency_id, description, status, referral_to)
SELECT p.reference, 'hotline', 'worker', a.id, 'T04', p.from_status,
       CASE WHEN p.from_status = 'referred' THEN 'police' END
  FROM t04_pair AS p, agency AS a WHERE a.name = 'T04 agency';

SELECT is((SELECT count(*)::int FROM t04_pair WHERE allowed), 18, '18 allowed pairs to try');
SELECT is((SELECT count(*)::int FROM t04_pair WHERE NOT allowed), 38, '38 forbidden pairs to try');

SELECT lives_ok(format($$UPDATE complaint SET status = %L, referral_to = coalesce(referral_to, %L)
                         WHERE reference = %L$$,
                       p.to_status, CASE WHEN p.to_status = 'referred' THEN 'anti_trafficking' END, p.reference),
                format('%s -> %s is allowed', p.from_status, p.to_status))
  FROM t04_pair AS p WHERE p.allowed ORDER BY p.from_status, p.to_status;

SELECT throws_ok(format($$UPDATE complaint SET status = %L, referral_to = coalesce(referral_to, 'police')
                          WHERE reference = %L$$, p.to_status, p.reference),
                 'FR001', NULL, format('%s -> %s raises FR001', p.from_status, p.to_status))
  FROM t04_pair AS p WHERE NOT p.allowed ORDER BY p.from_status, p.to_status;

SELECT is_empty($$SELECT p.reference FROM t04_pair AS p JOIN complaint AS c USING (reference)
                   WHERE c.status::text <> CASE WHEN p.allowed THEN p.to_status ELSE p.from_status END$$,
                'each complaint ends in the status its move allowed');

-- ---------------------------------------------------------------------------
-- The message says what is allowed instead.

INSERT INTO complaint (reference, channel, filed_by, agency_name_given, description)
VALUES ('T04M-0000-0001', 'online', 'worker', 'Some Agency', 'T04 message'),
       ('T04M-0000-0002', 'online', 'worker', 'Some Agency', 'T04 message');

SELECT throws_like($$UPDATE complaint SET status = 'resolved' WHERE reference = 'T04M-0000-0001'$$,
  'complaint % cannot move from received to resolved; allowed next statuses: acknowledged, dismissed, referred, withdrawn',
  'the error names the allowed next statuses');
UPDATE complaint SET status = 'withdrawn' WHERE reference = 'T04M-0000-0002';
SELECT throws_like($$UPDATE complaint SET status = 'investigating' WHERE reference = 'T04M-0000-0002'$$,
  'complaint % cannot move from withdrawn to investigating; allowed next statuses: none (final status)',
  'the error says a final status has no next status');

-- ---------------------------------------------------------------------------
-- Along the main path, the database stamps the dates.

INSERT INTO complaint (reference, channel, filed_by, agency_name_given, description)
VALUES ('T04P-0000-0001', 'attache', 'mission', 'Some Agency', 'T04 path');

SELECT results_eq($$SELECT acknowledged_at IS NULL, closed_at IS NULL FROM complaint WHERE reference = 'T04P-0000-0001'$$,
                  $$VALUES (true, true)$$, 'a received complaint is neither acknowledged nor closed');
UPDATE complaint SET status = 'acknowledged' WHERE reference = 'T04P-0000-0001';
SELECT results_eq($$SELECT acknowledged_at = now(), closed_at IS NULL FROM complaint WHERE reference = 'T04P-0000-0001'$$,
                  $$VALUES (true, true)$$, 'acknowledging stamps acknowledged_at');
UPDATE complaint SET status = 'investigating' WHERE reference = 'T04P-0000-0001';
UPDATE complaint SET status = 'conciliation' WHERE reference = 'T04P-0000-0001';
UPDATE complaint SET status = 'investigating' WHERE reference = 'T04P-0000-0001';
UPDATE complaint SET status = 'conciliation' WHERE reference = 'T04P-0000-0001';
UPDATE complaint SET status = 'resolved', outcome = 'settled', remedy_amount = 60000, remedy_currency = 'PHP'
 WHERE reference = 'T04P-0000-0001';
SELECT results_eq($$SELECT status::text, closed_at = now() FROM complaint WHERE reference = 'T04P-0000-0001'$$,
                  $$VALUES ('resolved', true)$$, 'resolving stamps closed_at');
SELECT lives_ok($$UPDATE complaint SET priority = 'high', status = status WHERE reference = 'T04P-0000-0001'$$,
                'an update that keeps the status is not a transition, even on a closed complaint');

INSERT INTO complaint (reference, channel, filed_by, agency_name_given, description)
VALUES ('T04R-0000-0001', 'online', 'worker', 'Some Agency', 'T04 referral');
SELECT throws_ok($$UPDATE complaint SET status = 'referred' WHERE reference = 'T04R-0000-0001'$$,
                 '23514', NULL, 'a referral must say where to (referral_to)');
SELECT lives_ok($$UPDATE complaint SET status = 'referred', referral_to = 'anti_trafficking',
                         referral_reason = 'trafficking indicators' WHERE reference = 'T04R-0000-0001'$$,
                'a referral with referral_to is accepted');

SELECT throws_ok($$UPDATE complaint SET status = 'closed' WHERE reference = 'T04R-0000-0001'$$,
                 '23514', NULL, 'an unknown status is refused by the vocabulary');

-- The application role is held to the same rules.
INSERT INTO complaint (reference, channel, filed_by, agency_name_given, description)
VALUES ('T04A-0000-0001', 'online', 'worker', 'Some Agency', 'T04 app');
SET ROLE fairreg_app;
SELECT throws_ok($$UPDATE complaint SET status = 'resolved' WHERE reference = 'T04A-0000-0001'$$,
                 'FR001', NULL, 'fairreg_app cannot skip statuses either');
SELECT lives_ok($$UPDATE complaint SET status = 'acknowledged' WHERE reference = 'T04A-0000-0001'$$,
                'fairreg_app moves a complaint along an allowed transition');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
