-- 0040_import_speed: what a million-licence import spends its time on.
--
-- 1. The trigram indexes on officer and personnel names go.  No query reads
--    them: the name search (server/db/agencies.c, server/search_index.c)
--    matches agency names and other names only (agency_name_trgm_idx and
--    agency_name_name_trgm_idx, kept); officers and personnel are only ever
--    read by agency_id (agency page, exports), which their agency_id indexes
--    serve, and personnel also by fr_normalise_number(registration_number)
--    (agency_personnel_registration_idx, kept).  Each cost a GIN insertion
--    and an fr_fold (unaccent) per row written by every import.
--
-- 2. fr_audit computes each row's JSON once.  The version of 0001 wrote
--    SELECT ... r.j ->> k1 ..., r.j FROM (SELECT to_jsonb(n) AS j FROM new_rows n) r
--    and the planner pulls such a subquery up, substituting to_jsonb(n) for
--    every reference to j: two or three to_jsonb calls per row (more on
--    update, where the key is also compared).  OFFSET 0 keeps each subquery
--    a subquery, so to_jsonb runs once per row and side; the rows written to
--    audit_log are the same, one per row written, with the same actor, time
--    (clock_timestamp(), per row), entity, key and masked JSON.

DROP INDEX agency_officer_name_trgm_idx;
DROP INDEX agency_personnel_name_trgm_idx;

CREATE OR REPLACE FUNCTION fr_audit() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
AS $$
DECLARE
  k1          text   := TG_ARGV[0];
  k2          text   := TG_ARGV[1];
  masked      text[] := fr_audit_masked_columns(TG_TABLE_NAME);
  actor       text   := coalesce(nullif(current_setting('fairreg.actor', true), ''),
                                 'database:' || session_user);
  uid_text    text   := nullif(current_setting('fairreg.actor_user_id', true), '');
  uid         bigint := CASE WHEN uid_text ~ '^[0-9]{1,18}$' THEN uid_text::bigint END;
  request_id  text   := nullif(current_setting('fairreg.request_id', true), '');
  client_addr text   := nullif(current_setting('fairreg.client_addr', true), '');
BEGIN
  -- Each branch turns the transition rows into (key, json) pairs; the key is
  -- the primary key, "a/b" for a two-column key.  OFFSET 0: computed once.
  IF TG_OP = 'INSERT' THEN
    INSERT INTO audit_log (actor_user_id, actor, client_addr, request_id,
                           action, entity, entity_id, before, after)
    SELECT uid, actor, client_addr, request_id, 'insert', TG_TABLE_NAME,
           CASE WHEN k2 IS NULL THEN r.j ->> k1 ELSE (r.j ->> k1) || '/' || (r.j ->> k2) END,
           NULL,
           CASE WHEN masked IS NULL THEN r.j ELSE fr_audit_mask(r.j, masked) END
      FROM (SELECT to_jsonb(n) AS j FROM new_rows AS n OFFSET 0) AS r;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO audit_log (actor_user_id, actor, client_addr, request_id,
                           action, entity, entity_id, before, after)
    SELECT uid, actor, client_addr, request_id, 'delete', TG_TABLE_NAME,
           CASE WHEN k2 IS NULL THEN r.j ->> k1 ELSE (r.j ->> k1) || '/' || (r.j ->> k2) END,
           CASE WHEN masked IS NULL THEN r.j ELSE fr_audit_mask(r.j, masked) END,
           NULL
      FROM (SELECT to_jsonb(o) AS j FROM old_rows AS o OFFSET 0) AS r;
  ELSE
    -- Pair each old row with its new row by key.  A row whose key itself
    -- changed is logged from both sides (one side '{}') rather than dropped.
    INSERT INTO audit_log (actor_user_id, actor, client_addr, request_id,
                           action, entity, entity_id, before, after)
    SELECT uid, actor, client_addr, request_id, 'update', TG_TABLE_NAME,
           coalesce(n.k, b.k),
           CASE WHEN b.j IS NULL THEN '{}'::jsonb WHEN masked IS NULL THEN b.j
                ELSE fr_audit_mask(b.j, masked) END,
           CASE WHEN n.j IS NULL THEN '{}'::jsonb WHEN masked IS NULL THEN n.j
                ELSE fr_audit_mask(n.j, masked) END
      FROM (SELECT CASE WHEN k2 IS NULL THEN x.j ->> k1 ELSE (x.j ->> k1) || '/' || (x.j ->> k2) END AS k, x.j
              FROM (SELECT to_jsonb(o) AS j FROM old_rows AS o OFFSET 0) AS x OFFSET 0) AS b
      FULL JOIN
           (SELECT CASE WHEN k2 IS NULL THEN y.j ->> k1 ELSE (y.j ->> k1) || '/' || (y.j ->> k2) END AS k, y.j
              FROM (SELECT to_jsonb(n) AS j FROM new_rows AS n OFFSET 0) AS y OFFSET 0) AS n
        ON n.k = b.k;
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION fr_audit() FROM PUBLIC;
COMMENT ON FUNCTION fr_audit() IS
  'Audit trigger (statement level, transition tables): writes one audit_log row per row written, actor from the fairreg.* transaction settings, personal fields masked; each row''s JSON computed once (0040).';
