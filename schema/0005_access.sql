-- 0005_access: who did what, and who may do what.
--
-- Attaches the audit triggers to every data table, then grants the two
-- working roles exactly what they need.  The roles themselves are created by
-- schema/roles.sql:
--   fairreg_owner   owns everything; runs the migrations
--   fairreg_app     staff endpoints and the commands that write
--   fairreg_public  public endpoints: the pub_* views and pub_complaint_stats
-- A later migration that adds a table must call fr_audit_attach() on it and
-- grant it here-style; tests/sql/06_access.sql fails until it does.

-- ---------------------------------------------------------------------------
-- Audit: every table of schema public but the log itself and the migration
-- ledger.

DO $$
DECLARE
  t regclass;
BEGIN
  FOR t IN
    SELECT c.oid::regclass
      FROM pg_class AS c
     WHERE c.relnamespace = 'public'::regnamespace
       AND c.relkind IN ('r', 'p')
       AND c.relname NOT IN ('audit_log', 'schema_migration')
       AND NOT EXISTS (SELECT FROM pg_depend AS d       -- not an extension's table
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                          AND d.deptype = 'e')
     ORDER BY c.relname
  LOOP
    PERFORM fr_audit_attach(t);
  END LOOP;
END
$$;

-- ---------------------------------------------------------------------------
-- Nobody gets anything by default.

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- fairreg_public: the public views, the suppressed statistics, nothing else.
-- (It reaches schema public through PUBLIC's USAGE, which PostgreSQL 15 grants
-- by default; fairreg_owner does not own the schema and cannot grant it.)

GRANT SELECT ON
  pub_authority, pub_agency, pub_agency_name, pub_branch, pub_officer, pub_personnel,
  pub_licence, pub_licence_history, pub_sanction, pub_agency_activity,
  pub_complaint_status, pub_complaint_event
  TO fairreg_public;
GRANT EXECUTE ON FUNCTION pub_complaint_stats(text[], date, date) TO fairreg_public;

-- ---------------------------------------------------------------------------
-- fairreg_app.  DELETE only where removing a row is legitimate; never UPDATE,
-- DELETE or TRUNCATE on the append-only tables (audit_log,
-- licence_status_history, complaint_event).  Identity columns need no
-- sequence privilege, so none is granted.

-- reference data
GRANT SELECT, INSERT, UPDATE ON authority TO fairreg_app;          -- fairreg authority add
GRANT SELECT ON checklist_item, complaint_status_transition, schema_migration TO fairreg_app;

-- the register
GRANT SELECT, INSERT, UPDATE ON agency, licence, import_run TO fairreg_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON agency_name, agency_officer, agency_personnel, agency_branch
  TO fairreg_app;                                                   -- replaced by imports
GRANT SELECT, INSERT ON licence_status_history TO fairreg_app;     -- append-only

-- casework
GRANT SELECT, INSERT, UPDATE ON inspection, inspection_finding, complaint, complainant, sanction
  TO fairreg_app;
GRANT SELECT, INSERT, DELETE ON inspection_inspector, complaint_category TO fairreg_app;
GRANT SELECT, INSERT ON complaint_event TO fairreg_app;            -- append-only

-- users and access
GRANT SELECT, INSERT, UPDATE ON app_user TO fairreg_app;           -- disable, never delete
GRANT SELECT, INSERT, UPDATE, DELETE ON api_token TO fairreg_app;  -- revoke, purge expired
GRANT SELECT ON audit_log TO fairreg_app;                          -- admins read it; the triggers write it

-- derived state and the public views
GRANT SELECT ON sanction_status, licence_effective, agency_standing TO fairreg_app;
GRANT SELECT ON
  pub_authority, pub_agency, pub_agency_name, pub_branch, pub_officer, pub_personnel,
  pub_licence, pub_licence_history, pub_sanction, pub_agency_activity,
  pub_complaint_status, pub_complaint_event
  TO fairreg_app;
GRANT EXECUTE ON FUNCTION complaint_stats(text[], date, date, boolean) TO fairreg_app;
GRANT EXECUTE ON FUNCTION pub_complaint_stats(text[], date, date) TO fairreg_app;
