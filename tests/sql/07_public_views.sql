-- What the public sees, read as fairreg_public: agencies found by any name
-- whatever the diacritics, licences by any spelling of their number, public
-- sanctions only, a complaint's status and public notes by reference only,
-- statistics with small cells suppressed.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(26);

INSERT INTO agency (name, country, registration_number, phone, authority_code, external_ref)
VALUES ('Công ty Cổ phần Nhân lực Đông Á', 'VN', '0101234567', '+84 24 3000 0000', 'VN-MOLISA', 'T07-1'),
       ('Example Manpower Services Inc.', 'PH', 'CS201912345', '+63 2 8123 4567', 'PH-DMW', 'T07-2');
INSERT INTO agency_name (agency_id, name, lang, kind)
SELECT id, 'บริษัท ตัวอย่าง จัดหางาน จำกัด', 'th', 'legal' FROM agency WHERE external_ref = 'T07-2';
INSERT INTO agency_branch (agency_id, address, city, country, listed)
SELECT id, a, 'Davao City', 'PH', l FROM agency, (VALUES ('45 Rizal St', true), ('Old office', false)) AS b (a, l)
 WHERE external_ref = 'T07-2';
INSERT INTO agency_personnel (agency_id, name, registration_number)
SELECT id, 'Ana Reyes', 'R2024-0042' FROM agency WHERE external_ref = 'T07-2';
INSERT INTO licence (authority_code, number, agency_id, listed_status, valid_from, valid_until)
SELECT 'PH-DMW', 'POEA-123-LB-031524-R', id, 'active', current_date - 10, current_date + 1000
  FROM agency WHERE external_ref = 'T07-2';
INSERT INTO licence (authority_code, number, agency_id, listed_status, valid_from, valid_until)
SELECT 'VN-MOLISA', '123/LĐTBXH-GP', id, 'active', current_date - 10, current_date + 1000
  FROM agency WHERE external_ref = 'T07-1';

INSERT INTO sanction (kind, licence_id, decided_on, effective_from, effective_until, reason, authority_code, is_public)
SELECT 'suspension', id, current_date, current_date, current_date + 30, 'T07 public suspension', 'VN-MOLISA', true
  FROM licence WHERE authority_code = 'VN-MOLISA' AND number = '123/LĐTBXH-GP';
INSERT INTO sanction (kind, agency_id, decided_on, reason, authority_code, is_public)
SELECT 'warning', id, current_date, 'T07 private warning', 'PH-DMW', false FROM agency WHERE external_ref = 'T07-2';
INSERT INTO licence_status_history (licence_id, status, effective_on, reason, source, sanction_id)
SELECT l.id, 'suspended', current_date, 'T07 reason of a private sanction', 'sanction', s.id
  FROM licence AS l, sanction AS s WHERE l.number = 'POEA-123-LB-031524-R' AND s.reason = 'T07 private warning';

-- Complaints: six women and two men about the Philippine agency, one of them
-- with notes of every kind.
INSERT INTO complaint (reference, channel, filed_by, agency_id, description, destination_country, sector,
                       due_at, resolution_due_at)
SELECT 'T07' || g || '-0000-0000', 'online', 'worker', a.id, 'T07 description', 'MY', 'domestic_work',
       now() + interval '2 days', now() + interval '60 days'
  FROM agency AS a, generate_series(1, 8) AS g WHERE a.external_ref = 'T07-2';
INSERT INTO complainant (complaint_id, name, contact, sex, nationality, age_band)
SELECT c.id, 'T07 person', '+95 9 000', CASE WHEN c.reference < 'T077' THEN 'female' ELSE 'male' END, 'MM', '25-34'
  FROM complaint AS c WHERE c.reference LIKE 'T07%';
INSERT INTO complaint_category (complaint_id, category)
SELECT c.id, k FROM complaint AS c, unnest(ARRAY['recruitment_fees', 'document_retention']) AS k
 WHERE c.reference LIKE 'T07%';
UPDATE complaint SET status = 'acknowledged' WHERE reference = 'T071-0000-0000';
INSERT INTO complaint_event (complaint_id, kind, status, note, public)
SELECT c.id, v.kind, v.status, v.note, v.public
  FROM complaint AS c,
       (VALUES ('status_change', 'received', NULL, true),
               ('status_change', 'acknowledged', 'T07 acknowledged, public note', true),
               ('public_note', NULL, 'T07 we have contacted the agency', true),
               ('internal_note', NULL, 'T07 internal: worker afraid of retaliation', false),
               ('status_change', 'acknowledged', 'T07 internal status note', false),
               ('assignment', NULL, 'T07 assigned', false)) AS v (kind, status, note, public)
 WHERE c.reference = 'T071-0000-0000';

SET ROLE fairreg_public;

-- ---------------------------------------------------------------------------
-- Agencies and licences.

SELECT results_eq($$SELECT name FROM pub_agency WHERE fr_fold(name) % fr_fold('cong ty co phan nhan luc dong a')$$,
                  $$VALUES ('Công ty Cổ phần Nhân lực Đông Á')$$,
                  'a Vietnamese name typed without diacritics finds the agency');
SELECT results_eq($$SELECT a.name FROM pub_agency_name AS n JOIN pub_agency AS a ON a.id = n.agency_id
                     WHERE fr_fold(n.name) % fr_fold('ตัวอย่าง จัดหางาน')$$,
                  $$VALUES ('Example Manpower Services Inc.')$$,
                  'a Thai name finds the agency through its other names');
SELECT results_eq($$SELECT number, authority_code, status::text, in_good_standing FROM pub_licence
                     WHERE number_norm = fr_normalise_number('poea 123 lb 031524 r')$$,
                  $$VALUES ('POEA-123-LB-031524-R', 'PH-DMW', 'active', true)$$,
                  'a licence number typed loosely finds the licence, in good standing');
SELECT results_eq($$SELECT status::text, in_good_standing, status_basis FROM pub_licence
                     WHERE number_norm = fr_normalise_number('123 LĐTBXH GP')$$,
                  $$VALUES ('suspended', false, 'sanction')$$,
                  'a suspended licence is found and reported as suspended');
SELECT results_eq($$SELECT name, in_good_standing FROM pub_agency WHERE external_ref IN ('T07-1', 'T07-2') ORDER BY external_ref$$,
                  $$VALUES ('Công ty Cổ phần Nhân lực Đông Á', false), ('Example Manpower Services Inc.', true)$$,
                  'pub_agency gives each agency''s standing');
SELECT results_eq($$SELECT address FROM pub_branch WHERE agency_id = (SELECT id FROM pub_agency WHERE external_ref = 'T07-2')$$,
                  $$VALUES ('45 Rizal St')$$, 'only listed branches are public');
SELECT results_eq($$SELECT name FROM pub_personnel WHERE fr_normalise_number(registration_number) = fr_normalise_number('r2024 0042')$$,
                  $$VALUES ('Ana Reyes')$$, 'a recruiter is found by registration number');
SELECT results_eq($$SELECT code, name FROM pub_authority WHERE code = 'SG-MOM'$$,
                  $$VALUES ('SG-MOM', 'Ministry of Manpower')$$, 'authorities are public');

-- ---------------------------------------------------------------------------
-- Sanctions and history.

SELECT results_eq($$SELECT reason, in_force, agency_name FROM pub_sanction WHERE reason LIKE 'T07 %'$$,
                  $$VALUES ('T07 public suspension', true, 'Công ty Cổ phần Nhân lực Đông Á')$$,
                  'pub_sanction shows public sanctions only, with the agency of a licence sanction');
SELECT results_eq($$SELECT status::text, reason, source FROM pub_licence_history
                     WHERE number = 'POEA-123-LB-031524-R'$$,
                  $$VALUES ('suspended', NULL::text, 'sanction')$$,
                  'the reason of a history entry due to a private sanction is withheld');

-- ---------------------------------------------------------------------------
-- A complaint, by reference.

SELECT results_eq($$SELECT r->>'status', r->>'filed_on' = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                           r->>'expected_by' = to_char((now() + interval '60 days') AT TIME ZONE 'UTC', 'YYYY-MM-DD')
                      FROM pub_complaint_status_get('T071-0000-0000') AS r$$,
                  $$VALUES ('acknowledged', true, true)$$,
                  'an acknowledged complaint shows its status, filing date and resolution deadline');
SELECT results_eq($$SELECT r->>'expected_by' = to_char((now() + interval '2 days') AT TIME ZONE 'UTC', 'YYYY-MM-DD')
                      FROM pub_complaint_status_get('T072-0000-0000') AS r$$,
                  $$VALUES (true)$$, 'a received complaint shows its acknowledgement deadline');
SELECT results_eq($$SELECT e->>'status', e->>'note'
                      FROM jsonb_array_elements(pub_complaint_status_get('T071-0000-0000') -> 'history') AS e$$,
                  $$VALUES ('received', NULL::text),
                           ('acknowledged', 'T07 acknowledged, public note'),
                           ('acknowledged', 'T07 we have contacted the agency'),
                           ('acknowledged', NULL)$$,
                  'the public history has status changes and public notes (in the status of their time), never internal ones');
SELECT is(pub_complaint_status_get('T079-9999-9999'), NULL, 'an unknown reference answers NULL');

-- ---------------------------------------------------------------------------
-- Activity counts.

SELECT results_eq($$SELECT complaints_received_24m, complaints_substantiated_24m, inspections_24m FROM pub_agency_activity
                     WHERE agency_id = (SELECT id FROM pub_agency WHERE external_ref = 'T07-2')$$,
                  $$VALUES (8::bigint, 0::bigint, 0::bigint)$$, 'pub_agency_activity counts the agency''s complaints');

-- ---------------------------------------------------------------------------
-- Statistics.

SELECT results_eq($$SELECT sex, count, suppressed FROM pub_complaint_stats(ARRAY['sex'], NULL, NULL)
                     WHERE sex IN ('female', 'male') ORDER BY sex$$,
                  $$VALUES ('female', NULL::bigint, true), ('male', NULL::bigint, true)$$,
                  'a cell under 5 is suppressed, and so is the only other one, which would give it away (8 - 6); see 30_complaint_stats.sql');
SELECT results_eq($$SELECT nationality, category, count FROM pub_complaint_stats(ARRAY['nationality', 'category'], NULL, NULL)
                     WHERE category IN ('recruitment_fees', 'document_retention') AND nationality = 'MM' ORDER BY category$$,
                  $$VALUES ('MM', 'document_retention', 8::bigint), ('MM', 'recruitment_fees', 8::bigint)$$,
                  'grouped by category, a complaint counts once in each of its categories');
SELECT results_eq($$SELECT sex IS NULL, category IS NULL, month FROM pub_complaint_stats(ARRAY['month'], NULL, NULL)
                     WHERE month = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')$$,
                  $$VALUES (true, true, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM'))$$,
                  'dimensions not grouped by are NULL; months are YYYY-MM');
SELECT is((SELECT count FROM pub_complaint_stats(ARRAY['destination_country', 'sector'], NULL, NULL)
            WHERE destination_country = 'MY' AND sector = 'domestic_work'),
          8::bigint, 'grouped without category, each complaint counts once');
SELECT is((SELECT count(*)::int FROM pub_complaint_stats(ARRAY['sex'], date_trunc('month', now() + interval '1 month')::date, NULL)),
          0, 'from a later month on there is nothing to count');
SELECT throws_ok($$SELECT * FROM pub_complaint_stats(ARRAY['name'], NULL, NULL)$$, '22023', NULL,
                 'grouping by anything else is refused');
SELECT throws_ok($$SELECT * FROM pub_complaint_stats(ARRAY['sex', 'sex'], NULL, NULL)$$, '22023', NULL,
                 'a repeated dimension is refused');
SELECT is_empty($$SELECT 1 FROM pub_complaint_stats(ARRAY['sex', 'nationality', 'destination_country', 'sector',
                                                          'category', 'channel', 'status', 'month'], NULL, NULL)
                   WHERE count < 5$$,
                'no count under 5 is ever shown publicly');

RESET ROLE;

SET ROLE fairreg_app;
SELECT results_eq($$SELECT sex, count, suppressed FROM complaint_stats(ARRAY['sex'], NULL, NULL, false)
                     WHERE sex IN ('female', 'male') ORDER BY sex$$,
                  $$VALUES ('female', 6::bigint, false), ('male', 2::bigint, false)$$,
                  'analysts (fairreg_app) get unsuppressed counts');
RESET ROLE;

-- ---------------------------------------------------------------------------
-- Closing a complaint as substantiated shows in the agency's record.

UPDATE complaint SET status = 'investigating' WHERE reference = 'T071-0000-0000';
UPDATE complaint SET status = 'resolved', outcome = 'substantiated' WHERE reference = 'T071-0000-0000';
UPDATE complaint SET status = 'dismissed', outcome = 'unsubstantiated' WHERE reference = 'T072-0000-0000';
INSERT INTO inspection (agency_id, authority_code, kind, status, done_on)
SELECT id, 'PH-DMW', 'complaint_driven', 'closed', current_date - 3 FROM agency WHERE external_ref = 'T07-2';
INSERT INTO inspection_finding (inspection_id, item_code, result)
SELECT i.id, c, r FROM inspection AS i,
       (VALUES ('FEES_CHARGED_TO_WORKER', 'breach'), ('IDENTITY_DOCUMENTS_RETAINED', 'breach'),
               ('RECORDS_MISSING', 'compliant')) AS f (c, r)
 WHERE i.agency_id = (SELECT id FROM agency WHERE external_ref = 'T07-2');
SET ROLE fairreg_public;
SELECT results_eq($$SELECT complaints_substantiated_24m, inspections_24m, breaches_24m, last_inspected_on
                      FROM pub_agency_activity WHERE agency_id = (SELECT id FROM pub_agency WHERE external_ref = 'T07-2')$$,
                  $$VALUES (1::bigint, 1::bigint, 2::bigint, current_date - 3)$$,
                  'substantiated complaints, inspections and breaches are counted');
SELECT results_eq($$SELECT r->>'status', r ? 'expected_by' AND r->'expected_by' = 'null'
                      FROM pub_complaint_status_get('T071-0000-0000') AS r$$,
                  $$VALUES ('resolved', true)$$,
                  'a closed complaint shows no deadline');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
