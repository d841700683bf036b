-- 0025_register_version: the transactional version of the register, which
-- makes the server's caches never stale.
--
-- A notification (0020) cannot carry that guarantee alone: a writer's COMMIT
-- returns to its client before the server's listener has necessarily read the
-- notification, so a client that commits and queries at once could be served
-- the answer cached before its commit.  The version is data instead: it moves
-- in the very transaction that writes the register, so it becomes visible
-- exactly when the data does, never earlier (which is why it is a row and not
-- a sequence: nextval is not transactional) and never later.  Every request
-- that the server would answer from memory first reads it (pub_register_version)
-- in a snapshot taken after the request arrived, and uses only what was made
-- from data read at that version or later (server/cache.c).
--
-- When it moves: every write to a register table fires fr_register_changed
-- (statement level, 0020), which notifies as before and also queues, once per
-- transaction, the move of the version for the transaction's end: a row in
-- register_change_pending whose deferred constraint trigger increments
-- register_version at COMMIT.  So the version row is the last lock a writer
-- takes, after all its other row locks, and held only while it commits:
-- writers serialise on it for that moment only, an import does not hold it
-- through its merge, and no deadlock can close through it (a transaction
-- holding it waits for nothing else).  A rollback, of the transaction or of
-- the savepoint that wrote, discards the queued move with the write.

CREATE TABLE register_version (
  id      boolean PRIMARY KEY DEFAULT true CHECK (id),
  version bigint NOT NULL
);
INSERT INTO register_version (version) VALUES (1);
COMMENT ON TABLE register_version IS
  'One row: the version of the register, incremented at the commit of every transaction that writes a register table (fr_register_changed). Servers read it (pub_register_version) before trusting anything they hold in memory.';

CREATE TABLE register_change_pending (
  txid xid8 PRIMARY KEY
);
COMMENT ON TABLE register_change_pending IS
  'Transient: one row per writing transaction, inserted by fr_register_changed and removed at its commit by the deferred trigger that increments register_version. Always empty outside a transaction.';

CREATE FUNCTION fr_register_version_bump() RETURNS trigger
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path = public, pg_temp
AS $$
BEGIN
  DELETE FROM register_change_pending WHERE txid = NEW.txid;
  UPDATE register_version SET version = version + 1;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION fr_register_version_bump() FROM PUBLIC;
COMMENT ON FUNCTION fr_register_version_bump() IS
  'Deferred constraint trigger on register_change_pending: at the commit of a transaction that wrote the register, increments register_version (the last lock the transaction takes).';

CREATE CONSTRAINT TRIGGER register_version_bump
  AFTER INSERT ON register_change_pending
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION fr_register_version_bump();

-- Runs as its owner, so the writing roles need no privilege on the two
-- tables above.
CREATE OR REPLACE FUNCTION fr_register_changed() RETURNS trigger
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path = public, pg_temp
AS $$
BEGIN
  PERFORM pg_notify('fairreg_register', TG_TABLE_NAME);
  INSERT INTO register_change_pending (txid) VALUES (pg_current_xact_id())
    ON CONFLICT (txid) DO NOTHING;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION fr_register_changed() FROM PUBLIC;
COMMENT ON FUNCTION fr_register_changed() IS
  'Trigger (statement level): notifies channel fairreg_register with the table name (delivered at commit: servers evict early), and queues the increment of register_version for the commit (what makes servers never stale).';

-- The version's own tables are not register tables.
CREATE OR REPLACE FUNCTION fr_register_changes_exempt() RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN ARRAY['audit_log', 'schema_migration', 'app_user', 'api_token', 'import_run',
               'register_version', 'register_change_pending'];

CREATE VIEW pub_register_version AS
SELECT version FROM register_version;
COMMENT ON VIEW pub_register_version IS
  'Public: the version of the register (one row). It moves at the commit of every write to the register; a server reads it before using any answer it holds in memory, on the same connection (primary or standby) as the data it serves.';
GRANT SELECT ON pub_register_version TO fairreg_public, fairreg_app;
