-- 0020_register_changes: the register-change triggers, for the server's caches.
--
-- Every server process keeps answers and a name-search index in memory
-- (server/cache.c, server/search_index.c).  Every write to a table whose
-- content can reach a public answer sends a notification on channel
-- fairreg_register, with the table's name as the payload.  PostgreSQL
-- delivers it when the transaction commits (never on rollback), once per
-- distinct payload per transaction, to every session that LISTENs; the
-- server's listener thread then evicts what it holds and rebuilds its search
-- index.  That is an accelerator only: a notification may reach the server
-- after the writer's client has already seen its COMMIT return, so what makes
-- the caches never stale is the transactional register_version that the same
-- trigger function moves (0025_register_version.sql).
--
-- The triggers are statement-level, so an import of a million rows costs one
-- trigger call per statement, not per row, and one notification per table.
--
-- Which tables: every data table of schema public except those no public
-- answer reads, whose writes are frequent and would only flush the caches
-- needlessly: the audit log, the migration ledger, staff accounts and tokens
-- (written at every login), and import runs (written at the start and end of
-- every import; the licences an import changes notify on their own).  Tables
-- added by later migrations get the triggers with fr_register_changes_attach();
-- tests/sql/20_register_changes.sql fails until they do.

CREATE FUNCTION fr_register_changed() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
AS $$
BEGIN
  PERFORM pg_notify('fairreg_register', TG_TABLE_NAME);
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION fr_register_changed() IS
  'Trigger (statement level): notifies channel fairreg_register with the table name, delivered at commit, so that servers drop cached answers that the write could change.';

CREATE FUNCTION fr_register_changes_attach(tbl regclass) RETURNS void
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
AS $$
BEGIN
  EXECUTE format('CREATE TRIGGER register_changed AFTER INSERT OR UPDATE OR DELETE ON %s '
                 'FOR EACH STATEMENT EXECUTE FUNCTION fr_register_changed()', tbl);
  EXECUTE format('CREATE TRIGGER register_truncated AFTER TRUNCATE ON %s '
                 'FOR EACH STATEMENT EXECUTE FUNCTION fr_register_changed()', tbl);
END
$$;
REVOKE ALL ON FUNCTION fr_register_changes_attach(regclass) FROM PUBLIC;
COMMENT ON FUNCTION fr_register_changes_attach(regclass) IS
  'Migration helper: attaches the register_changed and register_truncated triggers (fr_register_changed) to a table whose content can reach a public answer.';

CREATE FUNCTION fr_register_changes_exempt() RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN ARRAY['audit_log', 'schema_migration', 'app_user', 'api_token', 'import_run'];
COMMENT ON FUNCTION fr_register_changes_exempt() IS
  'The tables of schema public that need no fairreg_register notification: no public answer reads them.';

DO $$
DECLARE
  t regclass;
BEGIN
  FOR t IN
    SELECT c.oid::regclass
      FROM pg_class AS c
     WHERE c.relnamespace = 'public'::regnamespace
       AND c.relkind IN ('r', 'p')
       AND c.relname <> ALL (fr_register_changes_exempt())
       AND NOT EXISTS (SELECT FROM pg_depend AS d       -- not an extension's table
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                          AND d.deptype = 'e')
     ORDER BY c.relname
  LOOP
    PERFORM fr_register_changes_attach(t);
  END LOOP;
END
$$;
