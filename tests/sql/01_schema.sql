-- The shape of the schema: which tables and views exist, the columns the
-- server relies on, the seeded reference data, and the two folding functions
-- every name and number lookup goes through.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(124);

-- ---------------------------------------------------------------------------
-- Tables and views, exactly.

SELECT tables_are('public', ARRAY[
  'schema_migration', 'audit_log', 'authority', 'app_user', 'api_token',
  'agency', 'agency_name', 'agency_officer', 'agency_personnel', 'agency_branch',
  'licence', 'licence_status_history', 'import_run',
  'checklist_item', 'inspection', 'inspection_inspector', 'inspection_finding',
  'complaint', 'complainant', 'complaint_category', 'complaint_event',
  'complaint_status_transition', 'sanction',
  'register_version', 'register_change_pending'],
  'schema public holds exactly the registry''s tables');

SELECT views_are('public', ARRAY[
  'sanction_status', 'licence_effective', 'agency_standing', 'licence_status_drift',
  'pub_authority', 'pub_agency', 'pub_agency_name', 'pub_branch', 'pub_officer',
  'pub_personnel', 'pub_licence', 'pub_licence_history', 'pub_sanction',
  'pub_agency_activity', 'pub_register_version'],
  'schema public holds exactly the derived and public views');

SELECT is_empty($$
  SELECT c.relname FROM pg_class AS c
   WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v')
     AND obj_description(c.oid, 'pg_class') IS NULL
     AND NOT EXISTS (SELECT FROM pg_depend AS d WHERE d.objid = c.oid AND d.deptype = 'e')$$,
  'every table and view has a COMMENT');

-- ---------------------------------------------------------------------------
-- Columns fixed by the design, exactly.

SELECT columns_are('authority', ARRAY['code', 'country', 'name', 'kind'], 'authority has exactly its four columns');
SELECT col_is_pk('authority', 'code', 'authority is keyed by code');
SELECT col_type_is('authority', 'country', 'character(2)', 'authority.country is char(2)');

SELECT columns_are('app_user', ARRAY['id', 'email', 'name', 'role', 'org', 'password_hash',
                                     'disabled', 'created_at', 'updated_at'],
                   'app_user has exactly the specified columns');
SELECT is((SELECT attidentity::text FROM pg_attribute WHERE attrelid = 'app_user'::regclass AND attname = 'id'),
          'a', 'app_user.id is GENERATED ALWAYS AS IDENTITY');
SELECT has_index('app_user', 'app_user_email_key', 'lower(email)', 'app_user has an index on lower(email)');
SELECT index_is_unique('public', 'app_user', 'app_user_email_key', 'e-mail addresses are unique whatever their case');
SELECT col_default_is('app_user', 'disabled', 'false', 'users are enabled by default');

SELECT columns_are('api_token', ARRAY['id', 'user_id', 'token_hash', 'created_at', 'expires_at', 'revoked_at'],
                   'api_token has exactly the specified columns');
SELECT col_type_is('api_token', 'token_hash', 'bytea', 'token hashes are bytea');
SELECT col_is_unique('api_token', 'token_hash', 'token hashes are unique');
SELECT fk_ok('api_token', 'user_id', 'app_user', 'id', 'tokens belong to a user');

SELECT columns_are('audit_log', ARRAY['id', 'at', 'actor_user_id', 'actor', 'client_addr', 'request_id',
                                      'action', 'entity', 'entity_id', 'before', 'after'],
                   'audit_log has exactly the specified columns');
SELECT col_default_is('audit_log', 'at', 'clock_timestamp()', 'audit rows are stamped with clock_timestamp()');
SELECT col_type_is('audit_log', 'before', 'jsonb', 'audit before is jsonb');
SELECT col_type_is('audit_log', 'after', 'jsonb', 'audit after is jsonb');

-- ---------------------------------------------------------------------------
-- The columns the server reads and writes.

SELECT has_column(t, c, format('%s.%s exists', t, c))
  FROM (VALUES
    ('agency', 'external_ref'), ('agency', 'authority_code'), ('agency', 'registration_number'),
    ('agency', 'address'), ('agency', 'phone'), ('agency', 'email'), ('agency', 'website'),
    ('agency_name', 'lang'), ('agency_name', 'kind'),
    ('agency_personnel', 'registration_number'), ('agency_personnel', 'valid_from'),
    ('agency_personnel', 'valid_until'), ('agency_officer', 'role'),
    ('agency_branch', 'city'), ('agency_branch', 'country'),
    ('licence', 'number'), ('licence', 'number_norm'), ('licence', 'listed_status'),
    ('licence', 'valid_from'), ('licence', 'valid_until'), ('licence', 'category'),
    ('licence_status_history', 'effective_on'), ('licence_status_history', 'source'),
    ('licence_status_history', 'import_run_id'), ('licence_status_history', 'sanction_id'),
    ('licence_status_history', 'user_id'),
    ('sanction', 'kind'), ('sanction', 'agency_id'), ('sanction', 'licence_id'),
    ('sanction', 'effective_from'), ('sanction', 'effective_until'), ('sanction', 'is_public'),
    ('sanction', 'inspection_id'), ('sanction', 'complaint_id'), ('sanction', 'authority_code'),
    ('inspection', 'branch_id'), ('inspection', 'kind'), ('inspection', 'follow_up_due'),
    ('inspection_inspector', 'user_id'), ('inspection_finding', 'item_code'),
    ('inspection_finding', 'result'),
    ('complaint', 'reference'), ('complaint', 'channel'), ('complaint', 'filed_by'),
    ('complaint', 'filed_by_user_id'), ('complaint', 'mission'), ('complaint', 'agency_name_given'),
    ('complaint', 'licence_number_given'), ('complaint', 'authority_code'),
    ('complaint', 'confidential'), ('complaint', 'due_at'), ('complaint', 'resolution_due_at'),
    ('complaint', 'remedy_amount'), ('complaint', 'referral_to'), ('complaint', 'inspection_id'),
    ('complainant', 'name'), ('complainant', 'contact'), ('complainant', 'sex'),
    ('complainant', 'nationality'), ('complainant', 'age_band'),
    ('complaint_event', 'kind'), ('complaint_event', 'public'), ('complaint_event', 'note'),
    ('import_run', 'sha256'), ('import_run', 'rejects'), ('import_run', 'delisted'),
    ('import_run', 'outcome')
  ) AS v (t, c);

SELECT col_is_pk('complainant', 'complaint_id', 'at most one complainant row per complaint');
SELECT col_is_unique('licence', ARRAY['authority_code', 'number_norm'], 'licence numbers are unique per authority once normalised');
SELECT col_is_unique('agency', ARRAY['authority_code', 'external_ref'], 'agency refs are unique per authority');
SELECT col_is_unique('complaint', 'reference', 'complaint references are unique');
SELECT is((SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef AS d
             JOIN pg_attribute AS a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
            WHERE d.adrelid = 'licence'::regclass AND a.attname = 'number_norm'),
          'fr_normalise_number(number)', 'licence.number_norm is generated from fr_normalise_number(number)');
SELECT has_index('licence', 'licence_number_norm_idx', 'number_norm', 'licence numbers are looked up by number_norm');
SELECT ok((SELECT indexdef FROM pg_indexes WHERE indexname = 'agency_name_trgm_idx')
            LIKE '%USING gin (fr_fold(name) gin_trgm_ops)', 'agency names have a trigram index on fr_fold(name)');
SELECT ok((SELECT indexdef FROM pg_indexes WHERE indexname = 'agency_name_name_trgm_idx')
            LIKE '%USING gin (fr_fold(name) gin_trgm_ops)', 'other agency names have a trigram index on fr_fold(name)');

SELECT is_empty($$
  SELECT c.relname FROM pg_class AS c JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attname = 'updated_at'
   WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
     AND NOT EXISTS (SELECT FROM pg_trigger AS t
                      WHERE t.tgrelid = c.oid AND t.tgfoid = 'fr_touch_updated_at'::regproc)$$,
  'every table with updated_at has the trigger that maintains it');
INSERT INTO agency (name, country, created_at, updated_at) VALUES ('T01 touched', 'PH', '2000-01-01', '2000-01-01');
UPDATE agency SET phone = '+63 2 0000 0000' WHERE name = 'T01 touched';
SELECT results_eq($$SELECT created_at = '2000-01-01', updated_at = now() FROM agency WHERE name = 'T01 touched'$$,
                  $$VALUES (true, true)$$, 'an update sets updated_at and keeps created_at');

-- ---------------------------------------------------------------------------
-- Seeded reference data.

SELECT set_eq($$SELECT code, country::text, kind FROM authority$$,
  $$VALUES ('PH-DMW', 'PH', 'origin'), ('ID-BP2MI', 'ID', 'origin'), ('KH-MLVT', 'KH', 'origin'),
           ('LA-MLSW', 'LA', 'origin'), ('MM-MOL', 'MM', 'origin'), ('VN-MOLISA', 'VN', 'origin'),
           ('TH-DOE', 'TH', 'both'), ('MY-JTKSM', 'MY', 'destination'), ('SG-MOM', 'SG', 'destination'),
           ('BN-JTK', 'BN', 'destination')$$,
  'the ten regional authorities are seeded with country and kind');
SELECT results_eq($$SELECT name FROM authority WHERE code IN ('PH-DMW', 'MM-MOL', 'TH-DOE', 'SG-MOM') ORDER BY code$$,
  $$VALUES ('Ministry of Labour'), ('Department of Migrant Workers'), ('Ministry of Manpower'), ('Department of Employment')$$,
  'authorities carry their full English names');

SELECT cmp_ok((SELECT count(*)::int FROM checklist_item WHERE active), '>=', 12, 'the checklist has at least 12 items');
SELECT bag_has($$SELECT code FROM checklist_item$$,
  $$VALUES ('FEES_CHARGED_TO_WORKER'), ('RELATED_COSTS_CHARGED_TO_WORKER'), ('DECEPTIVE_ADVERTISING'),
           ('CONTRACT_SUBSTITUTION'), ('CONTRACT_NOT_IN_WORKER_LANGUAGE'), ('IDENTITY_DOCUMENTS_RETAINED'),
           ('UNREGISTERED_PERSONNEL'), ('UNREGISTERED_BRANCH'), ('RECORDS_MISSING')$$,
  'the checklist covers fees, deception, contracts, documents, registration and records');
SELECT is((SELECT ilo_principle FROM checklist_item WHERE code = 'FEES_CHARGED_TO_WORKER'), 7::smallint,
          'fees charged to workers come from ILO general principle 7');
SELECT is((SELECT ilo_principle FROM checklist_item WHERE code = 'IDENTITY_DOCUMENTS_RETAINED'), 11::smallint,
          'retained documents come from ILO general principle 11');

-- ---------------------------------------------------------------------------
-- Vocabularies.

SELECT lives_ok($$SELECT v::licence_status FROM unnest(ARRAY['active', 'suspended', 'revoked', 'cancelled',
                  'expired', 'surrendered', 'banned', 'delisted', 'pending']) AS v$$,
                'the nine licence statuses are accepted');
SELECT throws_ok($$SELECT 'valid'::licence_status$$, '23514', NULL, 'any other licence status is refused');
SELECT lives_ok($$SELECT v::complaint_status FROM unnest(ARRAY['received', 'acknowledged', 'investigating',
                  'conciliation', 'resolved', 'referred', 'dismissed', 'withdrawn']) AS v$$,
                'the eight complaint statuses are accepted');
SELECT throws_ok($$SELECT 'closed'::complaint_status$$, '23514', NULL, 'any other complaint status is refused');

-- ---------------------------------------------------------------------------
-- Folding.

SELECT is(fr_fold('Nguyễn'), 'nguyen', 'fr_fold folds Vietnamese diacritics');
SELECT is(fr_fold('Đông Á'), 'dong a', 'fr_fold folds Vietnamese Đ and accented capitals');
SELECT is(fr_fold('ĐẶNG THỊ ÁNH'), 'dang thi anh', 'fr_fold folds stacked Vietnamese diacritics');
SELECT is(fr_fold('São Tomé Manpower'), 'sao tome manpower', 'fr_fold folds Latin diacritics and case');
SELECT is(fr_fold('บริษัท ตัวอย่าง จัดหางาน'), 'บริษัท ตัวอย่าง จัดหางาน', 'fr_fold leaves Thai unchanged');
SELECT is(fr_fold('မြန်မာ အလုပ်အကိုင်'), 'မြန်မာ အလုပ်အကိုင်', 'fr_fold leaves Burmese unchanged');
SELECT is(fr_fold('ក្រុមហ៊ុន'), 'ក្រុមហ៊ុន', 'fr_fold leaves Khmer unchanged');
SELECT is(fr_fold('ບໍລິສັດ'), 'ບໍລິສັດ', 'fr_fold leaves Lao unchanged');
SELECT is(fr_fold(NULL), NULL, 'fr_fold(NULL) is NULL');
SELECT is(similarity(fr_fold('Công ty Nguyễn Đông Á'), fr_fold('cong ty nguyen dong a')), 1::real,
          'a name typed without diacritics matches the name with them exactly');

SELECT is(fr_normalise_number('POEA-123-LB-031524-R'), 'poea123lb031524r', 'numbers lose hyphens and case');
SELECT is(fr_normalise_number('poea 123 lb 031524 r'), 'poea123lb031524r', 'numbers lose spaces');
SELECT is(fr_normalise_number('นจ. 1234/2565'), 'นจ12342565', 'Thai numbers lose dots, spaces and slashes');
SELECT is(fr_normalise_number('ＰＯＥＡ－１２３．ＬＢ'), 'poea123lb', 'full-width forms are folded to ASCII');
SELECT is(fr_normalise_number('A–12—3'), 'a123', 'en and em dashes count as hyphens');
SELECT is(fr_normalise_number('B/2024.07 9'), 'b2024079', 'slashes and dots are dropped');

SELECT is((SELECT provolatile::text FROM pg_proc WHERE proname = 'fr_fold'), 'i', 'fr_fold is IMMUTABLE (indexable)');
SELECT is((SELECT provolatile::text FROM pg_proc WHERE proname = 'fr_normalise_number'), 'i',
          'fr_normalise_number is IMMUTABLE (usable in the generated column)');

SELECT * FROM finish();
ROLLBACK;
