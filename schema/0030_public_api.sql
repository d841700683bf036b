-- 0030_public_api: what the public change feed needs beyond 0004.
--
-- GET /v1/changes hands out a cursor, and a follower that polls it must never
-- miss a change.  Ordering by licence_status_history.id alone does miss some:
-- ids are taken when a row is inserted, not when its transaction commits, so
-- a long import can commit id 100 after a short status change committed id
-- 201, and a follower that already read past 201 never sees 100.  Each row
-- therefore records the transaction that wrote it (txid), and the feed reads
-- in (txid, id) order only the rows of transactions older than every
-- transaction still running (pg_snapshot_xmin of the current snapshot): those
-- are all finished, and any transaction still to commit has a larger txid, so
-- it lands after the cursor, never behind it.  Within one transaction the
-- order is the id order.

ALTER TABLE licence_status_history
  ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX licence_status_history_txid_idx ON licence_status_history (txid, id);
COMMENT ON COLUMN licence_status_history.txid IS
  'The transaction that wrote the row (pg_current_xact_id()): the change feed reads in (txid, id) order up to the oldest running transaction, so that a late commit is never skipped.';

-- The feed reads pub_licence_history, extended here (columns appended, so the
-- view keeps its place in the grants and its readers) with the writing
-- transaction and the agency's name.
CREATE OR REPLACE VIEW pub_licence_history AS
SELECT h.id, h.licence_id, l.authority_code, l.number, l.agency_id,
       h.status, h.effective_on,
       CASE WHEN h.source = 'sanction' AND NOT coalesce(s.is_public, false) THEN NULL
            ELSE h.reason END AS reason,
       h.source, h.recorded_at,
       h.txid, a.name AS agency_name
  FROM licence_status_history AS h
  JOIN licence AS l ON l.id = h.licence_id
  JOIN agency AS a ON a.id = l.agency_id
  LEFT JOIN sanction AS s ON s.id = h.sanction_id;
COMMENT ON VIEW pub_licence_history IS
  'Public: licence status history; with txid it is the change feed (GET /v1/changes reads it in (txid, id) order below pg_snapshot_xmin(pg_current_snapshot())). Who made a change is not shown, and the reason of a change due to a non-public sanction is withheld.';
