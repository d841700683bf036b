-- The effective status of a licence, from the one definition (licence_effective):
-- expiry by date, suspensions / revocations / bans in force on the licence or
-- its agency, and their precedence; in_good_standing; the agency's standing;
-- and that the public view reports the very same thing.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(30);

-- One agency per scenario (a sanction on an agency reaches all its licences).
INSERT INTO agency (name, country)
SELECT 'T02 ' || s, 'PH'
  FROM unnest(ARRAY['plain', 'dates', 'susp-now', 'susp-ended', 'susp-future', 'susp-open', 'susp-lifted',
                    'agency-susp', 'agency-ban', 'ban-and-susp', 'revoked', 'revoked-and-susp', 'ban-and-revoked',
                    'listed', 'listed-revoked-susp', 'listed-cancelled-susp', 'expired-susp', 'minor',
                    'sibling', 'none']) AS s;

INSERT INTO licence (authority_code, number, agency_id, listed_status, valid_from, valid_until)
SELECT 'PH-DMW', v.number, a.id, v.listed, v.valid_from, v.valid_until
  FROM (VALUES
    ('T02-ACTIVE',         'plain',       'active',    current_date - 100, current_date + 100),
    ('T02-EXPIRED',        'dates',       'active',    current_date - 100, current_date - 1),
    ('T02-LAST-DAY',       'dates',       'active',    current_date - 100, current_date),
    ('T02-OPEN-ENDED',     'dates',       'active',    NULL::date,         NULL::date),
    ('T02-NOT-YET',        'dates',       'active',    current_date + 1,   current_date + 100),
    ('T02-SUSP-NOW',       'susp-now',    'active',    current_date - 100, current_date + 100),
    ('T02-SUSP-ENDED',     'susp-ended',  'active',    current_date - 100, current_date + 100),
    ('T02-SUSP-FUTURE',    'susp-future', 'active',    current_date - 100, current_date + 100),
    ('T02-SUSP-OPEN',      'susp-open',   'active',    current_date - 100, current_date + 100),
    ('T02-SUSP-LIFTED',    'susp-lifted', 'active',    current_date - 100, current_date + 100),
    ('T02-AGENCY-SUSP-1',  'agency-susp', 'active',    current_date - 100, current_date + 100),
    ('T02-AGENCY-SUSP-2',  'agency-susp', 'pending',   NULL, NULL),
    ('T02-AGENCY-BAN',     'agency-ban',  'active',    current_date - 100, current_date + 100),
    ('T02-BAN-SUSP',       'ban-and-susp', 'active',   current_date - 100, current_date + 100),
    ('T02-REVOKED',        'revoked',     'active',    current_date - 100, current_date + 100),
    ('T02-REVOKED-SUSP',   'revoked-and-susp', 'active', current_date - 100, current_date + 100),
    ('T02-BAN-REVOKED',    'ban-and-revoked', 'active', current_date - 100, current_date + 100),
    ('T02-L-SUSPENDED',    'listed',      'suspended', current_date - 100, current_date + 100),
    ('T02-L-REVOKED',      'listed',      'revoked',   current_date - 100, current_date + 100),
    ('T02-L-CANCELLED',    'listed',      'cancelled', current_date - 100, current_date + 100),
    ('T02-L-EXPIRED',      'listed',      'expired',   current_date - 100, current_date - 1),
    ('T02-L-SURRENDERED',  'listed',      'surrendered', current_date - 100, current_date + 100),
    ('T02-L-BANNED',       'listed',      'banned',    current_date - 100, current_date + 100),
    ('T02-L-DELISTED',     'listed',      'delisted',  current_date - 100, current_date + 100),
    ('T02-L-PENDING',      'listed',      'pending',   NULL, NULL),
    ('T02-L-REVOKED-SUSP', 'listed-revoked-susp', 'revoked', current_date - 100, current_date + 100),
    ('T02-L-CANCEL-SUSP',  'listed-cancelled-susp', 'cancelled', current_date - 100, current_date + 100),
    ('T02-EXPIRED-SUSP',   'expired-susp', 'active',   current_date - 100, current_date - 1),
    ('T02-MINOR',          'minor',       'active',    current_date - 100, current_date + 100),
    ('T02-SIBLING-HIT',    'sibling',     'active',    current_date - 100, current_date + 100),
    ('T02-SIBLING-SPARED', 'sibling',     'active',    current_date - 100, current_date + 100)
  ) AS v (number, agency, listed, valid_from, valid_until)
  JOIN agency AS a ON a.name = 'T02 ' || v.agency;

-- Sanctions: on a licence (by number) or on an agency (by scenario name).
INSERT INTO sanction (kind, agency_id, licence_id, points, amount, currency, decided_on,
                      effective_from, effective_until, lifted_on, lift_reason, reason, authority_code, is_public)
SELECT v.kind, a.id, l.id, v.points, v.amount, v.currency, current_date - 200,
       v.effective_from, v.effective_until, v.lifted_on,
       CASE WHEN v.lifted_on IS NOT NULL THEN 'overturned on appeal' END,
       'T02 ' || v.kind, 'PH-DMW', true
  FROM (VALUES
    ('suspension', NULL, 'T02-SUSP-NOW',     current_date - 1,  current_date + 1,  NULL::date,   NULL::int, NULL::numeric, NULL),
    ('suspension', NULL, 'T02-SUSP-ENDED',   current_date - 30, current_date - 1,  NULL,         NULL, NULL, NULL),
    ('suspension', NULL, 'T02-SUSP-FUTURE',  current_date + 1,  current_date + 30, NULL,         NULL, NULL, NULL),
    ('suspension', NULL, 'T02-SUSP-OPEN',    current_date,      NULL,              NULL,         NULL, NULL, NULL),
    ('suspension', NULL, 'T02-SUSP-LIFTED',  current_date - 10, current_date + 10, current_date, NULL, NULL, NULL),
    ('suspension', 'agency-susp', NULL,      current_date - 5,  current_date + 5,  NULL,         NULL, NULL, NULL),
    ('ban',        'agency-ban', NULL,       current_date - 5,  NULL,              NULL,         NULL, NULL, NULL),
    ('ban',        'ban-and-susp', NULL,     current_date - 5,  NULL,              NULL,         NULL, NULL, NULL),
    ('suspension', NULL, 'T02-BAN-SUSP',     current_date - 5,  current_date + 5,  NULL,         NULL, NULL, NULL),
    ('revocation', NULL, 'T02-REVOKED',      current_date - 5,  NULL,              NULL,         NULL, NULL, NULL),
    ('revocation', NULL, 'T02-REVOKED-SUSP', current_date - 5,  NULL,              NULL,         NULL, NULL, NULL),
    ('suspension', 'revoked-and-susp', NULL, current_date - 5,  current_date + 5,  NULL,         NULL, NULL, NULL),
    ('revocation', NULL, 'T02-BAN-REVOKED',  current_date - 5,  NULL,              NULL,         NULL, NULL, NULL),
    ('ban',        NULL, 'T02-BAN-REVOKED',  current_date - 5,  current_date + 365, NULL,        NULL, NULL, NULL),
    ('suspension', NULL, 'T02-L-REVOKED-SUSP', current_date - 5, current_date + 5, NULL,         NULL, NULL, NULL),
    ('suspension', NULL, 'T02-L-CANCEL-SUSP', current_date - 5, current_date + 5,  NULL,         NULL, NULL, NULL),
    ('suspension', NULL, 'T02-EXPIRED-SUSP', current_date - 5,  current_date + 5,  NULL,         NULL, NULL, NULL),
    ('warning',    'minor', NULL,            current_date - 5,  NULL,              NULL,         NULL, NULL, NULL),
    ('demerit_points', 'minor', NULL,        current_date - 5,  current_date + 365, NULL,        10, NULL, NULL),
    ('fine',       NULL, 'T02-MINOR',        current_date - 5,  NULL,              NULL,         NULL, 50000, 'PHP'),
    ('suspension', NULL, 'T02-SIBLING-HIT',  current_date - 5,  current_date + 5,  NULL,         NULL, NULL, NULL)
  ) AS v (kind, agency, licence, effective_from, effective_until, lifted_on, points, amount, currency)
  LEFT JOIN agency AS a ON a.name = 'T02 ' || v.agency
  LEFT JOIN licence AS l ON l.number = v.licence;

-- ---------------------------------------------------------------------------
-- Every case at once, then the rules one by one for readable failures.

SELECT results_eq($$
  SELECT le.number, le.status::text, le.in_good_standing, le.status_basis
    FROM licence_effective AS le WHERE le.number LIKE 'T02-%' ORDER BY le.number$$,
  $$VALUES
    ('T02-ACTIVE',         'active',      true,  'listed'),
    ('T02-AGENCY-BAN',     'banned',      false, 'sanction'),
    ('T02-AGENCY-SUSP-1',  'suspended',   false, 'sanction'),
    ('T02-AGENCY-SUSP-2',  'suspended',   false, 'sanction'),
    ('T02-BAN-REVOKED',    'banned',      false, 'sanction'),
    ('T02-BAN-SUSP',       'banned',      false, 'sanction'),
    ('T02-EXPIRED',        'expired',     false, 'validity'),
    ('T02-EXPIRED-SUSP',   'suspended',   false, 'sanction'),
    ('T02-L-BANNED',       'banned',      false, 'listed'),
    ('T02-L-CANCEL-SUSP',  'cancelled',   false, 'listed'),
    ('T02-L-CANCELLED',    'cancelled',   false, 'listed'),
    ('T02-L-DELISTED',     'delisted',    false, 'listed'),
    ('T02-L-EXPIRED',      'expired',     false, 'listed'),
    ('T02-L-PENDING',      'pending',     false, 'listed'),
    ('T02-L-REVOKED',      'revoked',     false, 'listed'),
    ('T02-L-REVOKED-SUSP', 'revoked',     false, 'listed'),
    ('T02-L-SURRENDERED',  'surrendered', false, 'listed'),
    ('T02-L-SUSPENDED',    'suspended',   false, 'listed'),
    ('T02-LAST-DAY',       'active',      true,  'listed'),
    ('T02-MINOR',          'active',      true,  'listed'),
    ('T02-NOT-YET',        'pending',     false, 'validity'),
    ('T02-OPEN-ENDED',     'active',      true,  'listed'),
    ('T02-REVOKED',        'revoked',     false, 'sanction'),
    ('T02-REVOKED-SUSP',   'revoked',     false, 'sanction'),
    ('T02-SIBLING-HIT',    'suspended',   false, 'sanction'),
    ('T02-SIBLING-SPARED', 'active',      true,  'listed'),
    ('T02-SUSP-ENDED',     'active',      true,  'listed'),
    ('T02-SUSP-FUTURE',    'active',      true,  'listed'),
    ('T02-SUSP-LIFTED',    'active',      true,  'listed'),
    ('T02-SUSP-NOW',       'suspended',   false, 'sanction'),
    ('T02-SUSP-OPEN',      'suspended',   false, 'sanction')$$,
  'licence_effective gives the expected status, standing and basis in every case');

CREATE FUNCTION pg_temp.eff(num text) RETURNS text LANGUAGE sql AS
  $$SELECT status::text FROM licence_effective WHERE number = num$$;

SELECT is(pg_temp.eff('T02-ACTIVE'), 'active', 'listed active within its dates is active');
SELECT is(pg_temp.eff('T02-EXPIRED'), 'expired', 'listed active past valid_until is expired');
SELECT is(pg_temp.eff('T02-LAST-DAY'), 'active', 'a licence is still active on its valid_until day');
SELECT is(pg_temp.eff('T02-NOT-YET'), 'pending', 'listed active before valid_from is pending');
SELECT is(pg_temp.eff('T02-SUSP-NOW'), 'suspended', 'a suspension in force on the licence suspends it');
SELECT is(pg_temp.eff('T02-SUSP-ENDED'), 'active', 'a suspension that has ended no longer counts');
SELECT is(pg_temp.eff('T02-SUSP-FUTURE'), 'active', 'a suspension that has not started does not count yet');
SELECT is(pg_temp.eff('T02-SUSP-OPEN'), 'suspended', 'an open-ended suspension starting today counts');
SELECT is(pg_temp.eff('T02-SUSP-LIFTED'), 'active', 'a suspension lifted today no longer counts');
SELECT is(pg_temp.eff('T02-AGENCY-SUSP-1'), 'suspended', 'a suspension of the agency suspends its licences');
SELECT is(pg_temp.eff('T02-AGENCY-BAN'), 'banned', 'a ban of the agency bans its licences');
SELECT is(pg_temp.eff('T02-BAN-SUSP'), 'banned', 'a ban beats a suspension');
SELECT is(pg_temp.eff('T02-REVOKED'), 'revoked', 'a revocation in force revokes the licence');
SELECT is(pg_temp.eff('T02-REVOKED-SUSP'), 'revoked', 'a revocation beats a suspension');
SELECT is(pg_temp.eff('T02-BAN-REVOKED'), 'banned', 'a ban beats a revocation');
SELECT is(pg_temp.eff('T02-L-SUSPENDED'), 'suspended', 'listed suspended is suspended');
SELECT is(pg_temp.eff('T02-L-REVOKED-SUSP'), 'revoked', 'a suspension does not revive a listed revoked licence');
SELECT is(pg_temp.eff('T02-EXPIRED-SUSP'), 'suspended', 'a suspension in force shows over expiry by date');
SELECT is(pg_temp.eff('T02-MINOR'), 'active', 'warnings, demerit points and fines do not change the status');
SELECT is(pg_temp.eff('T02-SIBLING-SPARED'), 'active', 'a sanction on one licence does not reach its sibling');

SELECT is((SELECT s.reason FROM licence_effective AS le JOIN sanction AS s ON s.id = le.sanction_id
            WHERE le.number = 'T02-BAN-SUSP'), 'T02 ban', 'sanction_id names the sanction that decided the status');
SELECT is((SELECT sanction_id FROM licence_effective WHERE number = 'T02-L-REVOKED-SUSP'), NULL,
          'no sanction_id when the sanction did not decide the status');

SELECT is_empty($$SELECT licence_id FROM licence_effective WHERE in_good_standing IS DISTINCT FROM (status = 'active')$$,
                'in_good_standing is true exactly for an effective active');
SELECT is((SELECT count(*)::int FROM licence_effective), (SELECT count(*)::int FROM licence),
          'licence_effective has one row per licence');

-- ---------------------------------------------------------------------------
-- The same definition everywhere.

SELECT set_eq($$SELECT id, status::text, in_good_standing FROM pub_licence WHERE number LIKE 'T02-%'$$,
              $$SELECT licence_id, status::text, in_good_standing FROM licence_effective WHERE number LIKE 'T02-%'$$,
              'pub_licence reports licence_effective''s status and standing');

SELECT results_eq($$SELECT a.name, s.in_good_standing FROM agency_standing AS s JOIN agency AS a ON a.id = s.agency_id
                    WHERE a.name IN ('T02 dates', 'T02 agency-susp', 'T02 sibling', 'T02 none') ORDER BY a.name$$,
  $$VALUES ('T02 agency-susp', false), ('T02 dates', true), ('T02 none', false), ('T02 sibling', true)$$,
  'an agency is in good standing when one of its licences is, and not without licences');
SELECT set_eq($$SELECT id, in_good_standing FROM pub_agency WHERE name LIKE 'T02 %'$$,
              $$SELECT agency_id, in_good_standing FROM agency_standing JOIN agency ON agency.id = agency_id
                 WHERE agency.name LIKE 'T02 %'$$,
              'pub_agency reports agency_standing');

SELECT results_eq($$SELECT kind, in_force FROM sanction_status WHERE reason = 'T02 suspension'
                     AND licence_id = (SELECT id FROM licence WHERE number = 'T02-SUSP-LIFTED')$$,
  $$VALUES ('suspension', false)$$, 'sanction_status says a lifted sanction is not in force');
SELECT results_eq($$SELECT target_agency_id FROM sanction_status
                    WHERE licence_id = (SELECT id FROM licence WHERE number = 'T02-SUSP-NOW')$$,
  $$SELECT agency_id FROM licence WHERE number = 'T02-SUSP-NOW'$$,
  'sanction_status gives the agency of a licence sanction');

SELECT * FROM finish();
ROLLBACK;
