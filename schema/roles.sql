-- Roles and grants that must exist before any migration runs.  `fairreg
-- migrate` runs this file as the connecting user (a superuser, or a database
-- owner with CREATEROLE) every time, under the migration lock; it is idempotent.
-- The migrations themselves then run as fairreg_owner.
--
--   fairreg_owner   owns every object; runs migrations; not used by the server
--   fairreg_app     the server's staff endpoints and the commands that write
--   fairreg_public  the public endpoints: SELECT on the pub_* views, nothing else
--
-- A login role for the server is granted fairreg_app and fairreg_public and the
-- server does SET ROLE on each of its two connections.
DO $$
DECLARE
  role_name text;
BEGIN
  -- Roles belong to the whole cluster, while the migration lock covers one
  -- database: migrations of two databases may race here, and the loser of
  -- the race finds the role made.
  FOREACH role_name IN ARRAY ARRAY['fairreg_owner', 'fairreg_app', 'fairreg_public']
  LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
      END;
    END IF;
  END LOOP;
  -- The owner creates the trusted extensions (pg_trgm, unaccent) and the tables.
  IF NOT has_database_privilege('fairreg_owner', current_database(), 'CREATE') THEN
    EXECUTE format('GRANT CREATE ON DATABASE %I TO fairreg_owner', current_database());
  END IF;
  IF NOT has_schema_privilege('fairreg_owner', 'public', 'CREATE') THEN
    GRANT USAGE, CREATE ON SCHEMA public TO fairreg_owner;
  END IF;
  -- Explicit, so that revoking PUBLIC's default USAGE cannot lock them out.
  IF NOT has_schema_privilege('fairreg_app', 'public', 'USAGE') THEN
    GRANT USAGE ON SCHEMA public TO fairreg_app;
  END IF;
  IF NOT has_schema_privilege('fairreg_public', 'public', 'USAGE') THEN
    GRANT USAGE ON SCHEMA public TO fairreg_public;
  END IF;
  -- The session user must be able to SET ROLE to each of them (again a
  -- cluster-wide change that two databases' migrations may race on).
  FOREACH role_name IN ARRAY ARRAY['fairreg_owner', 'fairreg_app', 'fairreg_public']
  LOOP
    IF NOT pg_has_role(session_user, role_name, 'MEMBER') THEN
      BEGIN
        EXECUTE format('GRANT %I TO %I', role_name, session_user);
      EXCEPTION WHEN unique_violation THEN
        NULL;
      END;
    END IF;
  END LOOP;
END
$$;

-- The migration ledger, owned by the owner role.
SET ROLE fairreg_owner;
CREATE TABLE IF NOT EXISTS schema_migration (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE schema_migration IS
  'Which numbered files of schema/ have been applied; written by fairreg migrate.';
RESET ROLE;
