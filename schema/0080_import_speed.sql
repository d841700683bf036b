-- 0080_import_speed: what the importer needs to give each new licence its
-- id before inserting it (importers/load.c), as 0010 does for agencies.
--
-- The merge numbers the new licences with nextval() while it matches the
-- staged ones against the register, and inserts them with OVERRIDING SYSTEM
-- VALUE: the history row of each new licence (its first status) is then
-- written straight from the staging table, without joining the million
-- inserted licences back by number.

GRANT USAGE ON SEQUENCE licence_id_seq TO fairreg_app;
