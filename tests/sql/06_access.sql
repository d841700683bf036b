-- Who may do what.  fairreg_public reads the pub_* views and nothing else,
-- and no pub_* view reaches the complainant's personal data; fairreg_app has
-- exactly the privileges of the matrix in 0005_access.sql and cannot alter
-- the append-only tables.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(90);

-- ---------------------------------------------------------------------------
-- fairreg_public: no table at all.

SELECT is_empty($$
  SELECT c.relname, p.priv FROM pg_class AS c
   CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) AS p (priv)
   WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
     AND has_table_privilege('fairreg_public', c.oid, p.priv)$$,
  'fairreg_public holds no privilege on any table');
SELECT is_empty($$
  SELECT a.attname FROM pg_attribute AS a
   WHERE a.attrelid = 'complainant'::regclass AND a.attnum > 0 AND NOT a.attisdropped
     AND has_column_privilege('fairreg_public', 'complainant', a.attname, 'SELECT')$$,
  'fairreg_public cannot read any column of complainant');
SELECT is_empty($$
  SELECT c.relname FROM pg_class AS c
   WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('v', 'm')
     AND c.relname NOT LIKE 'pub\_%' AND has_table_privilege('fairreg_public', c.oid, 'SELECT')
     AND NOT EXISTS (SELECT FROM pg_depend AS d WHERE d.objid = c.oid AND d.deptype = 'e')$$,
  'fairreg_public reads no view but the pub_* views');
SELECT is_empty($$
  SELECT c.relname FROM pg_class AS c
   WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
     AND has_table_privilege('public', c.oid, 'SELECT')
     AND NOT EXISTS (SELECT FROM pg_depend AS d WHERE d.objid = c.oid AND d.deptype = 'e')$$,
  'PUBLIC holds no privilege on any table or view');
SELECT ok(has_schema_privilege('fairreg_public', 'public', 'USAGE'), 'fairreg_public can reach schema public');
SELECT ok(NOT has_schema_privilege('fairreg_public', 'public', 'CREATE'), 'fairreg_public cannot create in schema public');
SELECT ok(NOT has_schema_privilege('fairreg_app', 'public', 'CREATE'), 'fairreg_app cannot create in schema public');

SET ROLE fairreg_public;
SELECT throws_ok(format('SELECT 1 FROM %I LIMIT 0', c.relname), '42501', NULL,
                 format('fairreg_public cannot read %s', c.relname))
  FROM pg_class AS c
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
 ORDER BY c.relname;
SELECT throws_ok($$SELECT 1 FROM licence_effective LIMIT 0$$, '42501', NULL,
                 'fairreg_public cannot read the internal views either');
SELECT lives_ok(format('SELECT * FROM %I LIMIT 1', c.relname), format('fairreg_public reads %s', c.relname))
  FROM pg_class AS c
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'v' AND c.relname LIKE 'pub\_%'
 ORDER BY c.relname;
SELECT lives_ok($$SELECT * FROM pub_complaint_stats(ARRAY['sex'], NULL, NULL)$$,
                'fairreg_public runs the suppressed statistics');
SELECT lives_ok($$SELECT pub_complaint_status_get('T060-0000-0000')$$,
                'fairreg_public looks a complaint up by its reference (and only so: it cannot list them)');
SELECT throws_ok($$SELECT fr_complaint_list(NULL, NULL, NULL, NULL, NULL, NULL, 10)$$, '42501', NULL,
                 'fairreg_public cannot call the staff''s complaint functions');
SELECT throws_ok($$SELECT fr_complaint_file('{}', 'T060-0000-0002', 7, 60, NULL)$$, '42501', NULL,
                 'fairreg_public cannot file through the application''s function');
SELECT throws_ok($$SELECT * FROM complaint_stats(ARRAY['sex'], NULL, NULL, false)$$, '42501', NULL,
                 'fairreg_public cannot run the unsuppressed statistics');
SELECT throws_ok($$INSERT INTO complaint (reference, channel, filed_by, agency_name_given, description)
                   VALUES ('T060-0000-0001', 'online', 'worker', 'x', 'x')$$, '42501', NULL,
                 'fairreg_public cannot write');
RESET ROLE;

-- ---------------------------------------------------------------------------
-- No pub_* view reaches personal data.

-- Every relation a pub_* view depends on, through any depth of views.
CREATE TEMP VIEW t06_pub_reach AS
WITH RECURSIVE reach (view_oid, rel_oid) AS (
  SELECT v.oid, d.refobjid
    FROM pg_class AS v
    JOIN pg_rewrite AS r ON r.ev_class = v.oid
    JOIN pg_depend AS d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                       AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> v.oid
   WHERE v.relnamespace = 'public'::regnamespace AND v.relkind = 'v' AND v.relname LIKE 'pub\_%'
  UNION
  SELECT reach.view_oid, d.refobjid
    FROM reach
    JOIN pg_rewrite AS r ON r.ev_class = reach.rel_oid
    JOIN pg_depend AS d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                       AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> reach.rel_oid
)
SELECT view_oid::regclass::text AS view_name, rel_oid::regclass::text AS rel_name FROM reach;

SELECT is_empty($$SELECT view_name FROM t06_pub_reach WHERE rel_name IN ('complainant', 'app_user', 'api_token', 'audit_log')$$,
                'no pub_* view reads complainant, app_user, api_token or audit_log, at any depth');
SELECT bag_has($$SELECT rel_name FROM t06_pub_reach WHERE view_name = 'pub_licence'$$,
               $$VALUES ('licence'), ('sanction')$$,
               'the dependency walk does see through views (pub_licence -> licence_effective -> sanction)');
SELECT is_empty($$
  SELECT v.relname, a.attname FROM pg_class AS v JOIN pg_attribute AS a ON a.attrelid = v.oid
   WHERE v.relnamespace = 'public'::regnamespace AND v.relkind = 'v' AND v.relname LIKE 'pub\_%'
     AND a.attname IN ('contact', 'sex', 'nationality', 'age_band', 'description', 'password_hash', 'token_hash',
                       'agency_name_given', 'licence_number_given', 'assigned_to', 'filed_by_user_id',
                       'created_by', 'user_id', 'mission')$$,
  'no pub_* view has a column of personal or internal data');
SELECT is_empty($$
  SELECT u.view_name, u.column_name FROM information_schema.view_column_usage AS u
   WHERE u.view_name LIKE 'pub\_%' AND u.table_name = 'complaint'
     AND u.column_name NOT IN ('id', 'reference', 'status', 'created_at', 'updated_at', 'due_at',
                               'resolution_due_at', 'closed_at', 'agency_id', 'outcome')$$,
  'pub_* views read only the public columns of complaint (no description, no names given, no assignee)');
SELECT is_empty($$SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'v'
                    AND reloptions::text[] && ARRAY['security_invoker=true', 'security_invoker=on']$$,
                'views run with their owner''s rights');
SELECT is_empty($$SELECT c.relname FROM pg_class AS c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v')
                    AND c.relowner <> 'fairreg_owner'::regrole
                    AND NOT EXISTS (SELECT FROM pg_depend AS d WHERE d.objid = c.oid AND d.deptype = 'e')$$,
                'fairreg_owner owns every table and view');

-- ---------------------------------------------------------------------------
-- fairreg_app: the privilege matrix, table by table.

SELECT table_privs_are('public', t, 'fairreg_app', privs, format('fairreg_app on %s: %s', t, array_to_string(privs, ', ')))
  FROM (VALUES
    ('authority',                   ARRAY['SELECT', 'INSERT', 'UPDATE']),
    ('checklist_item',              ARRAY['SELECT']),
    ('complaint_status_transition', ARRAY['SELECT']),
    ('schema_migration',            ARRAY['SELECT']),
    ('agency',                      ARRAY['SELECT', 'INSERT', 'UPDATE']),
    ('agency_name',                 ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']),
    ('agency_officer',              ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']),
    ('agency_personnel',            ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']),
    ('agency_branch',               ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']),
    ('licence',                     ARRAY['SELECT', 'INSERT', 'UPDATE']),
    ('licence_status_history',      ARRAY['SELECT', 'INSERT']),
    ('import_run',                  ARRAY['SELECT', 'INSERT', 'UPDATE']),
    ('inspection',                  ARRAY['SELECT', 'INSERT', 'UPDATE']),
    ('inspection_inspector',        ARRAY['SELECT', 'INSERT', 'DELETE']),
    ('inspection_finding',          ARRAY['SELECT', 'INSERT', 'UPDATE']),
    ('complaint',                   ARRAY['SELECT', 'INSERT', 'UPDATE']),
    ('complainant',                 ARRAY['SELECT', 'INSERT', 'UPDATE']),
    ('complaint_category',          ARRAY['SELECT', 'INSERT', 'DELETE']),
    ('complaint_event',             ARRAY['SELECT', 'INSERT']),
    ('sanction',                    ARRAY['SELECT', 'INSERT', 'UPDATE']),
    ('app_user',                    ARRAY['SELECT', 'INSERT', 'UPDATE']),
    ('api_token',                   ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']),
    ('audit_log',                   ARRAY['SELECT'])
  ) AS m (t, privs);

SELECT is_empty($$
  SELECT c.relname FROM pg_class AS c
   WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
     AND has_table_privilege('fairreg_app', c.oid, 'TRUNCATE')$$,
  'fairreg_app can truncate nothing');
SELECT is_empty($$
  SELECT c.relname FROM pg_class AS c
   WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'v'
     AND NOT has_table_privilege('fairreg_app', c.oid, 'SELECT')
     AND NOT EXISTS (SELECT FROM pg_depend AS d WHERE d.objid = c.oid AND d.deptype = 'e')$$,
  'fairreg_app reads every view');

SET ROLE fairreg_app;
SELECT throws_ok($$UPDATE audit_log SET actor = 'x'$$, '42501', NULL, 'fairreg_app cannot UPDATE audit_log');
SELECT throws_ok($$DELETE FROM audit_log$$, '42501', NULL, 'fairreg_app cannot DELETE audit_log');
SELECT throws_ok($$TRUNCATE audit_log$$, '42501', NULL, 'fairreg_app cannot TRUNCATE audit_log');
SELECT throws_ok($$UPDATE licence_status_history SET reason = 'x'$$, '42501', NULL,
                 'fairreg_app cannot UPDATE licence_status_history');
SELECT throws_ok($$DELETE FROM complaint$$, '42501', NULL, 'fairreg_app cannot delete complaints');
SELECT throws_ok($$DELETE FROM licence$$, '42501', NULL, 'fairreg_app cannot delete licences');
SELECT throws_ok($$DELETE FROM app_user$$, '42501', NULL, 'fairreg_app cannot delete users');
SELECT throws_ok($$UPDATE complaint_status_transition SET to_status = 'resolved'$$, '42501', NULL,
                 'fairreg_app cannot change the allowed transitions');
SELECT lives_ok($$SELECT * FROM complaint_stats(ARRAY['sex'], NULL, NULL, false)$$,
                'fairreg_app runs the unsuppressed statistics (analysts)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
