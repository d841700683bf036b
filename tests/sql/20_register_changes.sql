-- 0020_register_changes and 0025_register_version: every table whose content
-- can reach a public answer notifies fairreg_register on every write (an
-- accelerator for the servers' caches) and moves register_version at the
-- commit of the writing transaction (what makes the caches never stale).
-- The version moves in a deferred trigger, at COMMIT; in this one test
-- transaction, SET CONSTRAINTS ... IMMEDIATE runs what COMMIT would run, and
-- a savepoint rolled back stands for a rollback.  (That the version has moved
-- when COMMIT returns, over real connections, is tested in
-- tests/unit/test_cache.c.)
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(20);

SELECT has_function('fr_register_changed', 'the notifying trigger function exists');
SELECT has_function('fr_register_changes_attach', ARRAY['regclass'],
                    'later migrations have a helper to attach the triggers');

-- Every data table but the exempt ones has both triggers.
SELECT is(ARRAY(
  SELECT c.relname::text
    FROM pg_class AS c
   WHERE c.relnamespace = 'public'::regnamespace
     AND c.relkind IN ('r', 'p')
     AND c.relname <> ALL (fr_register_changes_exempt())
     AND NOT EXISTS (SELECT FROM pg_depend AS d
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
     AND (SELECT count(*) FROM pg_trigger AS t
           WHERE t.tgrelid = c.oid AND t.tgname IN ('register_changed', 'register_truncated')
             AND t.tgfoid = 'fr_register_changed'::regproc) <> 2
   ORDER BY 1), '{}'::text[],
  'every table not exempt has the register_changed and register_truncated triggers');

-- The closure of the public views: every table a pub_* view reads, directly
-- or through other views, must notify.
SELECT is(ARRAY(
  WITH RECURSIVE reads (viewid, relid) AS (
    SELECT v.oid, d.refobjid
      FROM pg_class AS v
      JOIN pg_rewrite AS r ON r.ev_class = v.oid
      JOIN pg_depend AS d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                         AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> v.oid
     WHERE v.relnamespace = 'public'::regnamespace AND v.relkind = 'v'
       AND v.relname LIKE 'pub\_%'
    UNION
    SELECT reads.viewid, d.refobjid
      FROM reads
      JOIN pg_rewrite AS r ON r.ev_class = reads.relid
      JOIN pg_depend AS d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                         AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> reads.relid)
  SELECT DISTINCT c.relname::text
    FROM reads
    JOIN pg_class AS c ON c.oid = reads.relid AND c.relkind IN ('r', 'p')
   WHERE NOT EXISTS (SELECT FROM pg_trigger AS t
                      WHERE t.tgrelid = c.oid AND t.tgname = 'register_changed')
     AND c.relname <> 'register_version'  -- pub_register_version: the version itself
   ORDER BY 1), '{}'::text[],
  'every table read by a public view (directly or through views) notifies');

-- The public statistics function reads these without a view.
SELECT is(ARRAY(
  SELECT rel FROM unnest(ARRAY['complaint', 'complainant', 'complaint_category']) AS rel
   WHERE NOT EXISTS (SELECT FROM pg_trigger AS t
                      WHERE t.tgrelid = rel::regclass AND t.tgname = 'register_changed')),
  '{}'::text[], 'the tables behind pub_complaint_stats notify');

SELECT ok(NOT EXISTS (SELECT FROM pg_trigger
                       WHERE tgrelid = 'api_token'::regclass AND tgname = 'register_changed'),
          'logins (api_token) do not flush the caches');

-- The triggers are statement-level AFTER triggers: one call per statement,
-- never per row, whatever the size of an import.
SELECT is((SELECT count(*)::int FROM pg_trigger
            WHERE tgfoid = 'fr_register_changed'::regproc
              AND (tgtype & 1) = 1),                       -- TRIGGER_TYPE_ROW
          0, 'no register trigger is a row-level trigger');
SELECT is((SELECT count(*)::int FROM pg_trigger
            WHERE tgfoid = 'fr_register_changed'::regproc
              AND (tgtype & 2) = 2),                       -- TRIGGER_TYPE_BEFORE
          0, 'every register trigger fires after the statement');

-- A write through the triggers works for the role that writes (fairreg_app)
-- and for the owner's import path alike: the function needs no privilege.
SET LOCAL ROLE fairreg_app;
SELECT lives_ok($$INSERT INTO agency (name, country) VALUES ('Register Change Test Co.', 'PH')$$,
                'fairreg_app writes an agency through the notifying trigger');
RESET ROLE;

-- ---------------------------------------------------------------------------
-- The register version.

SELECT is((SELECT count(*)::int FROM register_version), 1, 'register_version holds one row');

-- What COMMIT would do now: run the queued version moves.
CREATE FUNCTION pg_temp.t20_commit_point() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  SET CONSTRAINTS register_version_bump IMMEDIATE;
  SET CONSTRAINTS register_version_bump DEFERRED;
  RETURN (SELECT version FROM register_version);
END
$$;
-- the writes above are counted now
SELECT pg_temp.t20_commit_point() AS v \gset t20_

-- One write per register table, as the table's owner would: each in its own
-- savepoint, so that a write rolled back can be told from one committed.
CREATE TEMP TABLE t20_moves (relname text, before_write bigint, after_rollback bigint,
                             before_commit bigint, after_commit bigint);
DO $$
DECLARE
  t text;
  v0 bigint;
  v1 bigint;
  v2 bigint;
  v3 bigint;
BEGIN
  FOR t IN
    SELECT c.relname::text
      FROM pg_class AS c
     WHERE c.relnamespace = 'public'::regnamespace
       AND c.relkind IN ('r', 'p')
       AND EXISTS (SELECT FROM pg_trigger AS tr
                    WHERE tr.tgrelid = c.oid AND tr.tgname = 'register_changed')
     ORDER BY 1
  LOOP
    v0 := pg_temp.t20_commit_point();
    BEGIN
      -- a write the triggers see, whatever the table: a DELETE of no row still
      -- fires the statement-level trigger (and no row-level guard)
      EXECUTE format('DELETE FROM %I WHERE false', t);
      RAISE EXCEPTION 'roll back' USING ERRCODE = 'P0001';
    EXCEPTION WHEN raise_exception THEN
      NULL;
    END;
    v1 := pg_temp.t20_commit_point();
    EXECUTE format('DELETE FROM %I WHERE false', t);
    SELECT version INTO v2 FROM register_version;
    v3 := pg_temp.t20_commit_point();
    INSERT INTO t20_moves VALUES (t, v0, v1, v2, v3);
  END LOOP;
END
$$;

SELECT is(ARRAY(SELECT relname FROM t20_moves ORDER BY 1),
          ARRAY['agency', 'agency_branch', 'agency_name', 'agency_officer', 'agency_personnel',
                'authority', 'checklist_item', 'complainant', 'complaint', 'complaint_category',
                'complaint_event', 'complaint_status_transition', 'inspection', 'inspection_finding',
                'inspection_inspector', 'licence', 'licence_status_history', 'sanction'],
          'the version test covered every register table');
SELECT is(ARRAY(SELECT relname FROM t20_moves WHERE after_rollback <> before_write ORDER BY 1),
          '{}'::text[], 'a write rolled back moves the version of no register table');
SELECT is(ARRAY(SELECT relname FROM t20_moves WHERE before_commit <> before_write ORDER BY 1),
          '{}'::text[], 'the version moves at commit, not when the statement ends');
SELECT is(ARRAY(SELECT relname FROM t20_moves WHERE after_commit <> before_write + 1 ORDER BY 1),
          '{}'::text[], 'a committed write to any register table moves the version by one');

-- Several statements and tables in one transaction move it once.
SELECT pg_temp.t20_commit_point() AS v \gset t20_
INSERT INTO agency (name, country) VALUES ('Version Test Co.', 'PH');
UPDATE agency SET phone = '+63 2 1111 1111' WHERE name = 'Version Test Co.';
INSERT INTO agency_name (agency_id, name) SELECT id, 'VTC' FROM agency WHERE name = 'Version Test Co.';
SELECT is(pg_temp.t20_commit_point(), :t20_v::bigint + 1, 'a transaction of several writes moves the version once');

-- A write to a table no public answer reads does not move it.
SELECT pg_temp.t20_commit_point() AS v \gset t20_
UPDATE api_token SET token_hash = token_hash WHERE false;
SELECT is(pg_temp.t20_commit_point(), :t20_v::bigint, 'a write to an exempt table (api_token) leaves the version');

-- The writers need no privilege on the version's tables.
SET LOCAL ROLE fairreg_app;
SELECT lives_ok($$UPDATE agency SET phone = phone WHERE name = 'Version Test Co.'$$,
                'fairreg_app writes through the version trigger');
SELECT lives_ok($$SET CONSTRAINTS register_version_bump IMMEDIATE$$,
                'fairreg_app moves the version at its commit, without any privilege on it');
SET CONSTRAINTS register_version_bump DEFERRED;
RESET ROLE;

-- The public role reads it, through the view only.
SET LOCAL ROLE fairreg_public;
SELECT lives_ok($$SELECT version FROM pub_register_version$$, 'fairreg_public reads pub_register_version');
SELECT throws_ok($$SELECT version FROM register_version$$, '42501', NULL,
                 'fairreg_public cannot read register_version itself');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
