-- The audit log: every write to every data table leaves one row per row
-- written, with the actor, request id and client address the server set with
-- set_config(..., true), and with personal data and secrets masked.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(28);

-- ---------------------------------------------------------------------------
-- Wiring.

SELECT is_empty($$
  SELECT c.relname FROM pg_class AS c
   WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
     -- the register version moves with every write transaction: auditing it
     -- would add a row per transaction and tell nothing the data rows do not
     AND c.relname NOT IN ('audit_log', 'schema_migration', 'register_version',
                           'register_change_pending')
     AND (SELECT count(*) FROM pg_trigger AS t
           WHERE t.tgrelid = c.oid AND t.tgname IN ('audit_insert', 'audit_update', 'audit_delete')
             AND t.tgfoid = 'fr_audit'::regproc AND t.tgenabled = 'O') <> 3$$,
  'every data table has its three audit triggers, enabled');
SELECT results_eq($$SELECT prosecdef, proowner::regrole::text, array_to_string(proconfig, ';') COLLATE "default" FROM pg_proc WHERE oid = 'fr_audit'::regproc$$,
  $$VALUES (true, 'fairreg_owner', 'search_path=public, pg_temp')$$,
  'fr_audit is SECURITY DEFINER, owned by fairreg_owner, with a fixed search_path');
SELECT ok(NOT has_function_privilege('fairreg_app', 'fr_audit()', 'EXECUTE'), 'fr_audit is not executable by fairreg_app');

-- ---------------------------------------------------------------------------
-- Actor, request and client from the transaction settings.

DO $$ BEGIN PERFORM set_config('fairreg.actor', 'user:5', true), set_config('fairreg.actor_user_id', '5', true),
       set_config('fairreg.request_id', 'req-t05-1', true), set_config('fairreg.client_addr', '203.0.113.9', true); END $$;

INSERT INTO agency (name, country, phone) VALUES ('T05 agency', 'PH', '+63 2 8000 0000');

SELECT results_eq($$SELECT actor, actor_user_id, request_id, client_addr, action, before IS NULL, after ->> 'name', after ->> 'phone'
                      FROM audit_log WHERE entity = 'agency'
                       AND entity_id = (SELECT id::text FROM agency WHERE name = 'T05 agency')$$,
  $$VALUES ('user:5', 5::bigint, 'req-t05-1', '203.0.113.9', 'insert', true, 'T05 agency', '+63 2 8000 0000')$$,
  'an insert is logged with the actor, request id and client address set by the server');

UPDATE agency SET phone = '+63 2 8111 1111' WHERE name = 'T05 agency';
SELECT results_eq($$SELECT action, before ->> 'phone', after ->> 'phone', request_id FROM audit_log
                     WHERE entity = 'agency' AND entity_id = (SELECT id::text FROM agency WHERE name = 'T05 agency')
                       AND action = 'update'$$,
  $$VALUES ('update', '+63 2 8000 0000', '+63 2 8111 1111', 'req-t05-1')$$,
  'an update is logged with the row before and after');

INSERT INTO agency_name (agency_id, name, lang, kind)
SELECT id, n, 'fil', 'trade' FROM agency, unnest(ARRAY['T05 one', 'T05 two', 'T05 three']) AS n
 WHERE agency.name = 'T05 agency';
SELECT is((SELECT count(*)::int FROM audit_log WHERE entity = 'agency_name' AND action = 'insert'
            AND after ->> 'name' LIKE 'T05 %'), 3, 'a three-row insert writes three audit rows');

DELETE FROM agency_name WHERE name IN ('T05 one', 'T05 two');
SELECT set_eq($$SELECT before ->> 'name' FROM audit_log WHERE entity = 'agency_name' AND action = 'delete'$$,
              $$VALUES ('T05 one'), ('T05 two')$$, 'a delete is logged with the row before');
SELECT is_empty($$SELECT id FROM audit_log WHERE action = 'delete' AND after IS NOT NULL$$,
                'a delete has no after image');

UPDATE agency_name SET lang = 'tl' WHERE name LIKE 'T05 %';
SELECT results_eq($$SELECT before ->> 'lang', after ->> 'lang', entity_id = before ->> 'id'
                      FROM audit_log WHERE entity = 'agency_name' AND action = 'update'$$,
  $$VALUES ('fil', 'tl', true)$$, 'update images are paired by primary key');

-- Unset or malformed settings.
DO $$ BEGIN PERFORM set_config('fairreg.actor', '', true), set_config('fairreg.actor_user_id', 'not-a-number', true),
       set_config('fairreg.request_id', '', true), set_config('fairreg.client_addr', '', true); END $$;
INSERT INTO agency (name, country) VALUES ('T05 anonymous write', 'TH');
SELECT results_eq($$SELECT actor, actor_user_id, request_id, client_addr FROM audit_log
                     WHERE entity = 'agency' AND after ->> 'name' = 'T05 anonymous write'$$,
  $$SELECT ('database:' || session_user) COLLATE "default", NULL::bigint, NULL::text, NULL::text$$,
  'without settings the actor is database:<session user> and the rest is NULL');

-- Composite keys.
DO $$ BEGIN PERFORM set_config('fairreg.actor', 'user:7', true), set_config('fairreg.actor_user_id', '7', true); END $$;
INSERT INTO complaint (reference, channel, filed_by, agency_id, description)
SELECT 'T050-0000-0001', 'online', 'worker', id, 'They kept my passport, Aye Aye Win' FROM agency WHERE name = 'T05 agency';
INSERT INTO complaint_category (complaint_id, category)
SELECT id, 'document_retention' FROM complaint WHERE reference = 'T050-0000-0001';
SELECT is((SELECT entity_id FROM audit_log WHERE entity = 'complaint_category'),
          (SELECT id || '/document_retention' FROM complaint WHERE reference = 'T050-0000-0001'),
          'a two-column key is logged as a/b');

-- Writes by the application role are logged too (it cannot write the log itself).
SET ROLE fairreg_app;
SELECT lives_ok($$INSERT INTO agency_branch (agency_id, address, city, country)
                  SELECT id, '45 Rizal St', 'Davao City', 'PH' FROM agency WHERE name = 'T05 agency'$$,
                'fairreg_app writes a data table');
RESET ROLE;
SELECT results_eq($$SELECT actor, actor_user_id FROM audit_log WHERE entity = 'agency_branch'$$,
                  $$VALUES ('user:7', 7::bigint)$$, 'the application role''s write is logged');

-- ---------------------------------------------------------------------------
-- Masking.

INSERT INTO complainant (complaint_id, name, contact, sex, nationality, age_band)
SELECT id, 'Aye Aye Win', '+95 9 7777 1234', 'female', 'MM', '25-34' FROM complaint WHERE reference = 'T050-0000-0001';

SELECT results_eq($$SELECT after ->> 'name', after ->> 'contact', after ->> 'sex', after ->> 'nationality',
                           after ->> 'age_band', after ->> 'complaint_id' IS NOT NULL
                      FROM audit_log WHERE entity = 'complainant' AND action = 'insert'$$,
  $$VALUES ('***', '***', '***', '***', '***', true)$$,
  'the complainant''s name, contact, sex, nationality and age band are masked');

UPDATE complainant SET contact = NULL, name = 'Aye Aye'
 WHERE complaint_id = (SELECT id FROM complaint WHERE reference = 'T050-0000-0001');
SELECT results_eq($$SELECT before ->> 'name', after ->> 'name', before ->> 'contact', after -> 'contact'
                      FROM audit_log WHERE entity = 'complainant' AND action = 'update'$$,
  $$VALUES ('***', '***', '***', 'null'::jsonb)$$,
  'personal fields stay masked in updates; a NULL stays NULL');

SELECT is((SELECT after ->> 'description' FROM audit_log WHERE entity = 'complaint' AND action = 'insert'
            AND after ->> 'reference' = 'T050-0000-0001'), '***', 'the complaint description is masked');
SELECT is((SELECT after ->> 'reference' FROM audit_log WHERE entity = 'complaint' AND action = 'insert'
            AND after ->> 'reference' = 'T050-0000-0001'), 'T050-0000-0001', 'other complaint fields are kept');

INSERT INTO complaint_event (complaint_id, kind, note, public)
SELECT id, 'internal_note', 'Called Aye Aye Win on +95 9 7777 1234', false FROM complaint WHERE reference = 'T050-0000-0001';
SELECT results_eq($$SELECT after ->> 'note', after ->> 'kind' FROM audit_log WHERE entity = 'complaint_event'$$,
                  $$VALUES ('***', 'internal_note')$$, 'complaint notes are masked');

INSERT INTO app_user (email, name, role, org, password_hash)
VALUES ('t05@example.org', 'T05 Inspector', 'inspector', 'PH-DMW', '$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g');
INSERT INTO api_token (user_id, token_hash, expires_at)
SELECT id, sha256('t05-secret-token'::bytea), now() + interval '1 hour' FROM app_user WHERE email = 't05@example.org';
SELECT results_eq($$SELECT after ->> 'password_hash', after ->> 'email' FROM audit_log WHERE entity = 'app_user'$$,
                  $$VALUES ('***', 't05@example.org')$$, 'password hashes are masked');
SELECT is((SELECT after ->> 'token_hash' FROM audit_log WHERE entity = 'api_token'), '***', 'token hashes are masked');
UPDATE api_token SET revoked_at = now() WHERE user_id = (SELECT id FROM app_user WHERE email = 't05@example.org');
SELECT results_eq($$SELECT before ->> 'token_hash', after ->> 'token_hash', after ->> 'revoked_at' IS NOT NULL
                      FROM audit_log WHERE entity = 'api_token' AND action = 'update'$$,
                  $$VALUES ('***', '***', true)$$, 'revoking a token is logged, hash masked');
DELETE FROM api_token WHERE user_id = (SELECT id FROM app_user WHERE email = 't05@example.org');
SELECT is((SELECT before ->> 'token_hash' FROM audit_log WHERE entity = 'api_token' AND action = 'delete'), '***',
          'deleting a token is logged, hash masked');

SELECT is_empty($$SELECT id FROM audit_log
                   WHERE before::text ~ '(Aye Aye|7777|argon2id|female)' OR after::text ~ '(Aye Aye|7777|argon2id|female)'
                      OR before::text LIKE '%' || encode(sha256('t05-secret-token'::bytea), 'hex') || '%'
                      OR after::text LIKE '%' || encode(sha256('t05-secret-token'::bytea), 'hex') || '%'$$,
                'no personal data, password hash or token hash anywhere in the audit log');

-- ---------------------------------------------------------------------------
-- Every other table the server writes is audited the same way.

DO $$ BEGIN PERFORM set_config('fairreg.actor', 'cli:import', true), set_config('fairreg.actor_user_id', '', true); END $$;
INSERT INTO import_run (authority_code, file_name, dry_run) VALUES ('PH-DMW', 't05.xml', false);
INSERT INTO licence (authority_code, number, agency_id, listed_status)
SELECT 'PH-DMW', 'T05-LIC', id, 'active' FROM agency WHERE name = 'T05 agency';
INSERT INTO licence_status_history (licence_id, status, effective_on, source, import_run_id)
SELECT l.id, 'active', current_date, 'import', r.id FROM licence AS l, import_run AS r
 WHERE l.number = 'T05-LIC' AND r.file_name = 't05.xml';
INSERT INTO sanction (kind, agency_id, decided_on, reason, authority_code)
SELECT 'warning', id, current_date, 'T05 warning', 'PH-DMW' FROM agency WHERE name = 'T05 agency';
INSERT INTO inspection (agency_id, authority_code, kind) SELECT id, 'PH-DMW', 'routine' FROM agency WHERE name = 'T05 agency';
INSERT INTO inspection_finding (inspection_id, item_code, result) SELECT id, 'RECORDS_MISSING', 'breach' FROM inspection;
INSERT INTO authority (code, country, name, kind) VALUES ('HK-LD', 'HK', 'Labour Department', 'destination');

SELECT results_eq($$SELECT entity, actor FROM audit_log
                     WHERE entity IN ('import_run', 'licence', 'licence_status_history', 'sanction', 'inspection',
                                      'inspection_finding', 'authority') ORDER BY id$$,
  $$VALUES ('import_run', 'cli:import'), ('licence', 'cli:import'), ('licence_status_history', 'cli:import'),
           ('sanction', 'cli:import'), ('inspection', 'cli:import'), ('inspection_finding', 'cli:import'),
           ('authority', 'cli:import')$$,
  'imports, licences, history, sanctions, inspections, findings and authorities are audited');
SELECT is((SELECT after ->> 'number_norm' FROM audit_log WHERE entity = 'licence'), 't05lic',
          'the after image includes generated columns');
SELECT is((SELECT entity_id FROM audit_log WHERE entity = 'authority'), 'HK-LD', 'text keys are logged as they are');
SELECT is((SELECT entity_id FROM audit_log WHERE entity = 'inspection_finding'),
          (SELECT id || '/RECORDS_MISSING' FROM inspection), 'finding keys are inspection/item');

SELECT cmp_ok((SELECT max(at) FROM audit_log), '>', (SELECT min(at) FROM audit_log),
              'audit times are clock times, not the transaction start');

SELECT * FROM finish();
ROLLBACK;
