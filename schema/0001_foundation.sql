-- 0001_foundation: what every later migration builds on.
--
-- The text search extensions and the two folding functions every name and
-- number lookup goes through; the shared vocabularies (as domains, so a value
-- list lives in one place); the generic trigger functions (updated_at,
-- append-only, audit); the audit log itself; the licensing authorities; the
-- staff users and their API tokens.
--
-- `fairreg migrate` runs this file inside BEGIN; SET LOCAL ROLE fairreg_owner;
-- so it holds no transaction control and creates everything in schema public,
-- owned by fairreg_owner.  Grants and the audit triggers are in 0005_access.sql.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- ---------------------------------------------------------------------------
-- Folding: one definition for what "the same name" and "the same number" mean.
-- Both are new-style SQL functions, so the body is parsed once, here, with the
-- dictionary resolved; they do not depend on the caller's search_path.

-- Case and diacritics folded: 'Nguyễn' -> 'nguyen', 'Đông Á' -> 'dong a'.
-- Scripts without case or unaccent rules (Thai, Burmese, Khmer, Lao) pass
-- through unchanged.  Declared IMMUTABLE (unaccent itself is only STABLE
-- because its rules file could change) so that it can be indexed; changing
-- unaccent.rules therefore means REINDEXing the trigram indexes.
CREATE FUNCTION fr_fold(text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN lower(public.unaccent('public.unaccent'::regdictionary, $1));

COMMENT ON FUNCTION fr_fold(text) IS
  'Folds case and diacritics (unaccent + lower) so that Nguyen finds Nguyễn; every name index and name search uses it.';

-- What a worker types matches what the ministry printed: compatibility forms
-- folded (NFKC: full-width digits and letters become ASCII), case folded, and
-- spaces, hyphens/dashes, dots and slashes removed.
-- 'POEA-123-LB-031524-R' and 'poea 123 lb 031524 r' -> 'poea123lb031524r';
-- 'นจ. 1234/2565' -> 'นจ12342565'.
CREATE FUNCTION fr_normalise_number(text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN regexp_replace(lower(normalize($1, NFKC)),
                        '[[:space:]./\-\u00AD\u2010-\u2015\u2212\u2044\u2215\u3002]+',
                        '', 'g');

COMMENT ON FUNCTION fr_normalise_number(text) IS
  'Normalises a licence or registration number for matching: NFKC, lower case, without spaces, hyphens, dots and slashes.';

-- ---------------------------------------------------------------------------
-- Shared vocabularies.

CREATE DOMAIN iso_country AS text CHECK (VALUE ~ '^[A-Z]{2}$');
COMMENT ON DOMAIN iso_country IS 'ISO 3166-1 alpha-2 country code, upper case.';

CREATE DOMAIN iso_currency AS text CHECK (VALUE ~ '^[A-Z]{3}$');
COMMENT ON DOMAIN iso_currency IS 'ISO 4217 currency code, upper case.';

CREATE DOMAIN bcp47 AS text CHECK (VALUE ~ '^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$');
COMMENT ON DOMAIN bcp47 IS 'BCP 47 language tag (e.g. my, fil, zh-Hant).';

CREATE DOMAIN licence_status AS text CHECK (VALUE IN (
  'active', 'suspended', 'revoked', 'cancelled', 'expired', 'surrendered',
  'banned', 'delisted', 'pending'));
COMMENT ON DOMAIN licence_status IS
  'Licence status vocabulary, for the listed status, the history and the effective status alike.';

CREATE DOMAIN complaint_status AS text CHECK (VALUE IN (
  'received', 'acknowledged', 'investigating', 'conciliation',
  'resolved', 'referred', 'dismissed', 'withdrawn'));
COMMENT ON DOMAIN complaint_status IS
  'Complaint status vocabulary; the allowed moves are the rows of complaint_status_transition.';

-- ---------------------------------------------------------------------------
-- Generic trigger functions.

-- BEFORE UPDATE FOR EACH ROW on every table with an updated_at column.
CREATE FUNCTION fr_touch_updated_at() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION fr_touch_updated_at() IS
  'Trigger: sets updated_at to the transaction time on every UPDATE.';

-- BEFORE UPDATE OR DELETE (row) and BEFORE TRUNCATE (statement) on the
-- append-only tables.  A trigger, not only a missing privilege, so that even
-- the owner cannot rewrite history by accident (it would have to disable the
-- trigger explicitly).
CREATE FUNCTION fr_forbid_change() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, lower(TG_OP)
    USING ERRCODE = 'FR002',
          HINT = 'Record a new row instead of changing an old one.';
END
$$;
COMMENT ON FUNCTION fr_forbid_change() IS
  'Trigger: makes a table append-only (UPDATE, DELETE and TRUNCATE raise SQLSTATE FR002).';

-- ---------------------------------------------------------------------------
-- Audit log.

CREATE TABLE audit_log (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at            timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_user_id bigint,
  actor         text NOT NULL,
  client_addr   text,
  request_id    text,
  action        text NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
  entity        text NOT NULL,
  entity_id     text,
  before        jsonb,
  after         jsonb,
  CHECK ((action = 'insert') = (before IS NULL)),
  CHECK ((action = 'delete') = (after IS NULL))
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id, id) WHERE actor_user_id IS NOT NULL;
CREATE INDEX audit_log_at_idx ON audit_log USING brin (at);

COMMENT ON TABLE audit_log IS
  'Every write to every data table, one row per row written, filled by the fr_audit triggers; personal fields masked as ***. Append-only; fairreg_app may only read it.';
COMMENT ON COLUMN audit_log.actor IS
  'Who wrote: the transaction setting fairreg.actor (user:5, cli:root, import...), or database:<session user> when unset.';
COMMENT ON COLUMN audit_log.actor_user_id IS 'fairreg.actor_user_id when set (app_user.id; no foreign key, the log outlives users).';
COMMENT ON COLUMN audit_log.entity IS 'The table written.';
COMMENT ON COLUMN audit_log.entity_id IS 'The primary key of the row written; composite keys joined with /.';
COMMENT ON COLUMN audit_log.before IS 'The row before an update or delete, as JSON, personal fields masked.';
COMMENT ON COLUMN audit_log.after IS 'The row after an insert or update, as JSON, personal fields masked.';

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION fr_forbid_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION fr_forbid_change();

-- Which columns hold personal data or secrets, per table.  Their values never
-- reach the audit log (SQL NULL stays NULL, anything else becomes "***").
CREATE FUNCTION fr_audit_masked_columns(entity text) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE entity
    WHEN 'complainant'     THEN ARRAY['name', 'contact', 'sex', 'nationality', 'age_band']
    WHEN 'complaint'       THEN ARRAY['description']
    WHEN 'complaint_event' THEN ARRAY['note']
    WHEN 'app_user'        THEN ARRAY['password_hash']
    WHEN 'api_token'       THEN ARRAY['token_hash']
  END;
COMMENT ON FUNCTION fr_audit_masked_columns(text) IS
  'The columns of a table whose values the audit log replaces with ***: complainant personal data, complaint descriptions and notes (the worker''s words), password and token hashes.';

CREATE FUNCTION fr_audit_mask(row_json jsonb, masked text[]) RETURNS jsonb
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN masked IS NULL THEN row_json
              ELSE row_json || coalesce(
                (SELECT jsonb_object_agg(c, '***')
                   FROM unnest(masked) AS c
                  WHERE jsonb_typeof(row_json -> c) IS DISTINCT FROM 'null'
                    AND row_json ? c), '{}'::jsonb)
         END;
COMMENT ON FUNCTION fr_audit_mask(jsonb, text[]) IS 'Replaces the non-null values of the masked keys with ***.';

-- The audit trigger: AFTER ... FOR EACH STATEMENT with a transition table, so
-- that a bulk import writes its audit rows in one set-based INSERT instead of
-- one trigger call per row.  TG_ARGV holds the table's primary-key columns
-- (one or two; fr_audit_attach fills them in).  SECURITY DEFINER: it writes
-- audit_log as the owner, which is why fairreg_app needs (and has) no
-- privilege to write the log itself.  The actor comes from transaction
-- settings made with set_config(name, value, true):
--   fairreg.actor          'user:5', 'cli:root', 'import', ...
--   fairreg.actor_user_id  app_user.id (digits), optional
--   fairreg.request_id     the HTTP request id, optional
--   fairreg.client_addr    the client address, optional
-- An empty setting counts as unset.
CREATE FUNCTION fr_audit() RETURNS trigger
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
  -- the primary key, "a/b" for a two-column key.
  IF TG_OP = 'INSERT' THEN
    INSERT INTO audit_log (actor_user_id, actor, client_addr, request_id,
                           action, entity, entity_id, before, after)
    SELECT uid, actor, client_addr, request_id, 'insert', TG_TABLE_NAME,
           CASE WHEN k2 IS NULL THEN r.j ->> k1 ELSE (r.j ->> k1) || '/' || (r.j ->> k2) END,
           NULL,
           CASE WHEN masked IS NULL THEN r.j ELSE fr_audit_mask(r.j, masked) END
      FROM (SELECT to_jsonb(n) AS j FROM new_rows AS n) AS r;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO audit_log (actor_user_id, actor, client_addr, request_id,
                           action, entity, entity_id, before, after)
    SELECT uid, actor, client_addr, request_id, 'delete', TG_TABLE_NAME,
           CASE WHEN k2 IS NULL THEN r.j ->> k1 ELSE (r.j ->> k1) || '/' || (r.j ->> k2) END,
           CASE WHEN masked IS NULL THEN r.j ELSE fr_audit_mask(r.j, masked) END,
           NULL
      FROM (SELECT to_jsonb(o) AS j FROM old_rows AS o) AS r;
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
              FROM (SELECT to_jsonb(o) AS j FROM old_rows AS o) AS x) AS b
      FULL JOIN
           (SELECT CASE WHEN k2 IS NULL THEN y.j ->> k1 ELSE (y.j ->> k1) || '/' || (y.j ->> k2) END AS k, y.j
              FROM (SELECT to_jsonb(n) AS j FROM new_rows AS n) AS y) AS n
        ON n.k = b.k;
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION fr_audit() FROM PUBLIC;
COMMENT ON FUNCTION fr_audit() IS
  'Audit trigger (statement level, transition tables): writes one audit_log row per row written, actor from the fairreg.* transaction settings, personal fields masked.';

-- Attaches the three audit triggers to a table, keyed by its primary key.
-- Every migration that creates a data table calls it (0005 does it for the
-- first tables); tests/sql checks that no table was forgotten.
CREATE FUNCTION fr_audit_attach(tbl regclass) RETURNS void
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
AS $$
DECLARE
  keys text;
BEGIN
  SELECT string_agg(quote_literal(a.attname), ', ' ORDER BY k.ord)
    INTO keys
    FROM pg_index AS i
    CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k (attnum, ord)
    JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
   WHERE i.indrelid = tbl AND i.indisprimary;
  IF keys IS NULL THEN
    RAISE EXCEPTION 'table % has no primary key to audit by', tbl;
  END IF;
  IF (SELECT cardinality(indkey) FROM pg_index WHERE indrelid = tbl AND indisprimary) > 2 THEN
    RAISE EXCEPTION 'table %: fr_audit handles primary keys of one or two columns', tbl;
  END IF;
  EXECUTE format('CREATE TRIGGER audit_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows '
                 'FOR EACH STATEMENT EXECUTE FUNCTION fr_audit(%s)', tbl, keys);
  EXECUTE format('CREATE TRIGGER audit_update AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                 'FOR EACH STATEMENT EXECUTE FUNCTION fr_audit(%s)', tbl, keys);
  EXECUTE format('CREATE TRIGGER audit_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows '
                 'FOR EACH STATEMENT EXECUTE FUNCTION fr_audit(%s)', tbl, keys);
END
$$;
REVOKE ALL ON FUNCTION fr_audit_attach(regclass) FROM PUBLIC;
COMMENT ON FUNCTION fr_audit_attach(regclass) IS
  'Migration helper: attaches the audit_insert/audit_update/audit_delete triggers to a table, keyed by its primary key.';

-- ---------------------------------------------------------------------------
-- Licensing authorities.

CREATE TABLE authority (
  code    text PRIMARY KEY,
  country char(2) NOT NULL,
  name    text NOT NULL,
  kind    text NOT NULL CHECK (kind IN ('origin', 'destination', 'both')),
  CONSTRAINT authority_code_format CHECK (code ~ '^[A-Z]{2}-[A-Z0-9]{2,16}$'),
  CONSTRAINT authority_country_format CHECK (country ~ '^[A-Z]{2}$'),
  CONSTRAINT authority_code_country CHECK (left(code, 2) = country)
);
COMMENT ON TABLE authority IS
  'Licensing bodies (labour ministries and their departments). The code is CC-ABBREV; kind says whether it licenses recruitment in a country of origin, of destination, or both.';
COMMENT ON COLUMN authority.country IS 'ISO 3166-1 alpha-2; the first two letters of the code.';

INSERT INTO authority (code, country, name, kind) VALUES
  ('PH-DMW',    'PH', 'Department of Migrant Workers', 'origin'),
  ('ID-BP2MI',  'ID', 'Indonesian Migrant Workers Protection Agency', 'origin'),
  ('KH-MLVT',   'KH', 'Ministry of Labour and Vocational Training', 'origin'),
  ('LA-MLSW',   'LA', 'Ministry of Labour and Social Welfare', 'origin'),
  ('MM-MOL',    'MM', 'Ministry of Labour', 'origin'),
  ('VN-MOLISA', 'VN', 'Ministry of Labour, Invalids and Social Affairs', 'origin'),
  ('TH-DOE',    'TH', 'Department of Employment', 'both'),
  ('MY-JTKSM',  'MY', 'Department of Labour Peninsular Malaysia', 'destination'),
  ('SG-MOM',    'SG', 'Ministry of Manpower', 'destination'),
  ('BN-JTK',    'BN', 'Department of Labour', 'destination');

-- ---------------------------------------------------------------------------
-- Staff users and their API tokens.

CREATE TABLE app_user (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email         text NOT NULL,
  name          text NOT NULL,
  role          text NOT NULL CHECK (role IN ('admin', 'inspector', 'attache', 'analyst')),
  org           text,
  password_hash text NOT NULL,
  disabled      boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT app_user_email_format CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$')
);
CREATE UNIQUE INDEX app_user_email_key ON app_user (lower(email));
CREATE TRIGGER app_user_touch BEFORE UPDATE ON app_user
  FOR EACH ROW EXECUTE FUNCTION fr_touch_updated_at();

COMMENT ON TABLE app_user IS
  'Staff users: admins, inspectors, embassy labour attachés, analysts. Never deleted: disable instead.';
COMMENT ON COLUMN app_user.org IS
  'The user''s organisation: an authority code (PH-DMW) for inspectors, a mission code (MM-EMB-BKK) for attachés.';
COMMENT ON COLUMN app_user.password_hash IS 'argon2id string from crypto_pwhash_str; masked in the audit log.';

CREATE TABLE api_token (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES app_user ON DELETE CASCADE,
  token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX api_token_user_idx ON api_token (user_id);
COMMENT ON TABLE api_token IS
  'Bearer tokens: only the SHA-256 of the 256-bit random token is stored. Valid while expires_at > now() and revoked_at is null.';
COMMENT ON COLUMN api_token.token_hash IS 'SHA-256 of the token (32 bytes); masked in the audit log.';
