-- 0010_importer: what the importer (importers/load.c) needs beyond 0002.
--
-- The merge gives each new agency its id before inserting it, so that the
-- staged rows (names, officers, personnel, branches, licences) of the record
-- can be attached to it in the same set-based statements: PostgreSQL 15's
-- INSERT ... SELECT cannot return the staged row a new id belongs to.  That
-- needs nextval() on the identity's sequence (the insert then uses OVERRIDING
-- SYSTEM VALUE, which needs no other privilege).

GRANT USAGE ON SEQUENCE agency_id_seq TO fairreg_app;

COMMENT ON TABLE import_run IS
  'One run of the importer over one file. Inserted at the start of the import''s one transaction (the history rows it writes refer to it); a file that is refused, a dry run or a merge that fails rolls the data back to a savepoint and still commits this row with its outcome, counts and rejects. A run killed midway leaves nothing, this row included: outcome is NULL only while a run is in progress.';
