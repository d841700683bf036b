-- 0050_casework_common: what the staff functions of the casework share.
--
-- The casework (complaints, inspections, sanctions) is written as SQL
-- functions that the server calls with the request's JSON body: each checks
-- its input, checks that the caller may act, writes, and answers JSON, all in
-- the caller's transaction, so that the rules hold whoever calls and however.
-- This file holds what they share:
--   * the caller: fr_actor(), from the fairreg.actor_user_id that the server
--     sets in every writing transaction (db_transaction) for the audit log;
--   * the errors they raise, as SQLSTATEs of class FR that the server maps to
--     HTTP statuses (server/h_staff.c):
--       FR001  forbidden complaint transition      409 (0003_casework)
--       FR002  append-only violation               500 (0001_foundation)
--       FR403  the caller's role may not do this   403
--       FR404  no such thing, or not visible       404
--       FR409  conflicts with the current state    409
--       FR422  a field of the input is invalid     422
--     Their messages name the field and what is allowed, never a value: a
--     value may be a complainant's personal data, and messages are logged;
--   * strict readers of JSON input (fr_in_*): unknown fields refused, every
--     string bounded, vocabularies and ISO codes checked.

-- ---------------------------------------------------------------------------
-- ISO code lists (ISO 3166-1 alpha-2 as of 2024, ISO 4217 as of 2024).  The
-- iso_country and iso_currency domains check only the shape, since the
-- register stores what ministries publish; what people type is checked
-- against these lists.

CREATE FUNCTION fr_is_iso_country(code text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN code = ANY (ARRAY[
    'AD','AE','AF','AG','AI','AL','AM','AO','AQ','AR','AS','AT','AU','AW','AX','AZ',
    'BA','BB','BD','BE','BF','BG','BH','BI','BJ','BL','BM','BN','BO','BQ','BR','BS',
    'BT','BV','BW','BY','BZ','CA','CC','CD','CF','CG','CH','CI','CK','CL','CM','CN',
    'CO','CR','CU','CV','CW','CX','CY','CZ','DE','DJ','DK','DM','DO','DZ','EC','EE',
    'EG','EH','ER','ES','ET','FI','FJ','FK','FM','FO','FR','GA','GB','GD','GE','GF',
    'GG','GH','GI','GL','GM','GN','GP','GQ','GR','GS','GT','GU','GW','GY','HK','HM',
    'HN','HR','HT','HU','ID','IE','IL','IM','IN','IO','IQ','IR','IS','IT','JE','JM',
    'JO','JP','KE','KG','KH','KI','KM','KN','KP','KR','KW','KY','KZ','LA','LB','LC',
    'LI','LK','LR','LS','LT','LU','LV','LY','MA','MC','MD','ME','MF','MG','MH','MK',
    'ML','MM','MN','MO','MP','MQ','MR','MS','MT','MU','MV','MW','MX','MY','MZ','NA',
    'NC','NE','NF','NG','NI','NL','NO','NP','NR','NU','NZ','OM','PA','PE','PF','PG',
    'PH','PK','PL','PM','PN','PR','PS','PT','PW','PY','QA','RE','RO','RS','RU','RW',
    'SA','SB','SC','SD','SE','SG','SH','SI','SJ','SK','SL','SM','SN','SO','SR','SS',
    'ST','SV','SX','SY','SZ','TC','TD','TF','TG','TH','TJ','TK','TL','TM','TN','TO',
    'TR','TT','TV','TW','TZ','UA','UG','UM','US','UY','UZ','VA','VC','VE','VG','VI',
    'VN','VU','WF','WS','YE','YT','ZA','ZM','ZW']);
COMMENT ON FUNCTION fr_is_iso_country(text) IS 'Whether CODE is an assigned ISO 3166-1 alpha-2 country code.';

CREATE FUNCTION fr_is_iso_currency(code text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN code = ANY (ARRAY[
    'AED','AFN','ALL','AMD','ANG','AOA','ARS','AUD','AWG','AZN','BAM','BBD',
    'BDT','BGN','BHD','BIF','BMD','BND','BOB','BOV','BRL','BSD','BTN','BWP',
    'BYN','BZD','CAD','CDF','CHE','CHF','CHW','CLF','CLP','CNY','COP','COU',
    'CRC','CUC','CUP','CVE','CZK','DJF','DKK','DOP','DZD','EGP','ERN','ETB',
    'EUR','FJD','FKP','GBP','GEL','GHS','GIP','GMD','GNF','GTQ','GYD','HKD',
    'HNL','HRK','HTG','HUF','IDR','ILS','INR','IQD','IRR','ISK','JMD','JOD',
    'JPY','KES','KGS','KHR','KMF','KPW','KRW','KWD','KYD','KZT','LAK','LBP',
    'LKR','LRD','LSL','LYD','MAD','MDL','MGA','MKD','MMK','MNT','MOP','MRU',
    'MUR','MVR','MWK','MXN','MXV','MYR','MZN','NAD','NGN','NIO','NOK','NPR',
    'NZD','OMR','PAB','PEN','PGK','PHP','PKR','PLN','PYG','QAR','RON','RSD',
    'RUB','RWF','SAR','SBD','SCR','SDG','SEK','SGD','SHP','SLE','SLL','SOS',
    'SRD','SSP','STN','SVC','SYP','SZL','THB','TJS','TMT','TND','TOP','TRY',
    'TTD','TWD','TZS','UAH','UGX','USD','USN','UYI','UYU','UYW','UZS','VED',
    'VES','VND','VUV','WST','XAF','XAG','XAU','XBA','XBB','XBC','XBD','XCD',
    'XDR','XOF','XPD','XPF','XPT','XSU','XTS','XUA','XXX','YER','ZAR','ZMW',
    'ZWL']);
COMMENT ON FUNCTION fr_is_iso_currency(text) IS 'Whether CODE is an ISO 4217 currency code.';

-- ---------------------------------------------------------------------------
-- Errors.

CREATE FUNCTION fr_fail(state text, message text) RETURNS void
  LANGUAGE plpgsql
AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message;
END
$$;
COMMENT ON FUNCTION fr_fail(text, text) IS
  'Raises MESSAGE with SQLSTATE STATE (FR403, FR404, FR409, FR422: see 0050_casework_common). MESSAGE must never hold personal data.';

-- ---------------------------------------------------------------------------
-- The caller.

CREATE FUNCTION fr_actor() RETURNS app_user
  LANGUAGE plpgsql STABLE
  SET search_path = public, pg_temp
AS $$
DECLARE
  id_text text := nullif(current_setting('fairreg.actor_user_id', true), '');
  actor app_user;
BEGIN
  IF id_text IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT * INTO actor FROM app_user WHERE app_user.id = id_text::bigint;
  IF NOT FOUND OR actor.disabled THEN
    PERFORM fr_fail('FR403', 'the account making this request is disabled or unknown');
  END IF;
  RETURN actor;
END
$$;
COMMENT ON FUNCTION fr_actor() IS
  'The staff user of this transaction (fairreg.actor_user_id, set by the server with the audit context), or NULL for an anonymous caller.';

CREATE FUNCTION fr_require_role(actor app_user, roles text[], what text) RETURNS void
  LANGUAGE plpgsql
AS $$
BEGIN
  IF actor.id IS NULL OR NOT actor.role = ANY (roles) THEN
    PERFORM fr_fail('FR403', format('only %s may %s', array_to_string(roles, ', '), what));
  END IF;
END
$$;
COMMENT ON FUNCTION fr_require_role(app_user, text[], text) IS
  'Raises FR403 unless ACTOR has one of ROLES (the route table already checks roles; this is the same rule where the data is).';

-- ---------------------------------------------------------------------------
-- Reading JSON input.  FIELD is the name shown in messages ("complainant.sex").

CREATE FUNCTION fr_in_object(input jsonb, what text, allowed text[]) RETURNS jsonb
  LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  unknown text;
BEGIN
  IF input IS NULL OR jsonb_typeof(input) <> 'object' THEN
    PERFORM fr_fail('FR422', format('%s must be a JSON object', what));
  END IF;
  SELECT k INTO unknown FROM jsonb_object_keys(input) AS k WHERE NOT k = ANY (allowed) ORDER BY k LIMIT 1;
  IF unknown IS NOT NULL THEN
    PERFORM fr_fail('FR422', format('unknown field "%s" in %s; allowed fields: %s',
                                    left(unknown, 40), what, array_to_string(allowed, ', ')));
  END IF;
  RETURN input;
END
$$;
COMMENT ON FUNCTION fr_in_object(jsonb, text, text[]) IS
  'INPUT if it is an object whose keys are all in ALLOWED; FR422 otherwise (WHAT names it in the message).';

CREATE FUNCTION fr_in_value(input jsonb, field text, key text, required boolean) RETURNS jsonb
  LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  v jsonb := input -> key;
BEGIN
  IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
    IF required THEN
      PERFORM fr_fail('FR422', format('%s is required', field));
    END IF;
    RETURN NULL;
  END IF;
  RETURN v;
END
$$;
COMMENT ON FUNCTION fr_in_value(jsonb, text, text, boolean) IS
  'INPUT->KEY, with JSON null read as absent; FR422 when REQUIRED and absent.';

CREATE FUNCTION fr_in_text(input jsonb, field text, key text, max_chars integer, required boolean)
  RETURNS text
  LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  v jsonb := fr_in_value(input, field, key, required);
  t text;
BEGIN
  IF v IS NULL THEN
    RETURN NULL;
  END IF;
  IF jsonb_typeof(v) <> 'string' THEN
    PERFORM fr_fail('FR422', format('%s must be a string', field));
  END IF;
  t := btrim(v #>> '{}', E' \t\r\n');
  IF t = '' THEN
    IF required THEN
      PERFORM fr_fail('FR422', format('%s must not be empty', field));
    END IF;
    RETURN NULL;
  END IF;
  IF length(t) > max_chars THEN
    PERFORM fr_fail('FR422', format('%s is longer than %s characters', field, max_chars));
  END IF;
  IF t ~ '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]' THEN
    PERFORM fr_fail('FR422', format('%s contains control characters', field));
  END IF;
  RETURN t;
END
$$;
COMMENT ON FUNCTION fr_in_text(jsonb, text, text, integer, boolean) IS
  'A trimmed string of at most MAX_CHARS characters without control characters (tabs and newlines allowed); blank reads as absent.';

CREATE FUNCTION fr_in_enum(input jsonb, field text, key text, allowed text[], required boolean)
  RETURNS text
  LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  v jsonb := fr_in_value(input, field, key, required);
BEGIN
  IF v IS NULL THEN
    RETURN NULL;
  END IF;
  IF jsonb_typeof(v) <> 'string' OR NOT (v #>> '{}') = ANY (allowed) THEN
    PERFORM fr_fail('FR422', format('%s must be one of %s', field, array_to_string(allowed, ', ')));
  END IF;
  RETURN v #>> '{}';
END
$$;
COMMENT ON FUNCTION fr_in_enum(jsonb, text, text, text[], boolean) IS 'One word of the vocabulary ALLOWED.';

CREATE FUNCTION fr_in_enum_list(input jsonb, field text, key text, allowed text[], required boolean)
  RETURNS text[]
  LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  v jsonb := fr_in_value(input, field, key, required);
  words text[];
BEGIN
  IF v IS NULL THEN
    RETURN NULL;
  END IF;
  IF jsonb_typeof(v) <> 'array' OR jsonb_array_length(v) = 0 THEN
    PERFORM fr_fail('FR422', format('%s must be a non-empty array of: %s', field, array_to_string(allowed, ', ')));
  END IF;
  IF EXISTS (SELECT FROM jsonb_array_elements(v) AS e
              WHERE jsonb_typeof(e) <> 'string' OR NOT (e #>> '{}') = ANY (allowed)) THEN
    PERFORM fr_fail('FR422', format('%s may hold only: %s', field, array_to_string(allowed, ', ')));
  END IF;
  SELECT array_agg(e ORDER BY e) INTO words FROM jsonb_array_elements_text(v) AS e;
  IF cardinality(words) <> (SELECT count(DISTINCT w) FROM unnest(words) AS w) THEN
    PERFORM fr_fail('FR422', format('%s names a value twice', field));
  END IF;
  RETURN words;
END
$$;
COMMENT ON FUNCTION fr_in_enum_list(jsonb, text, text, text[], boolean) IS 'A non-empty array of distinct words of ALLOWED, sorted.';

CREATE FUNCTION fr_in_bool(input jsonb, field text, key text) RETURNS boolean
  LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  v jsonb := fr_in_value(input, field, key, false);
BEGIN
  IF v IS NULL THEN
    RETURN NULL;
  END IF;
  IF jsonb_typeof(v) <> 'boolean' THEN
    PERFORM fr_fail('FR422', format('%s must be true or false', field));
  END IF;
  RETURN v::boolean;
END
$$;
COMMENT ON FUNCTION fr_in_bool(jsonb, text, text) IS 'true or false; absent or null reads as NULL.';

CREATE FUNCTION fr_in_id(input jsonb, field text, key text, required boolean) RETURNS bigint
  LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  v jsonb := fr_in_value(input, field, key, required);
BEGIN
  IF v IS NULL THEN
    RETURN NULL;
  END IF;
  IF jsonb_typeof(v) <> 'number' OR (v #>> '{}') !~ '^[1-9][0-9]{0,17}$' THEN
    PERFORM fr_fail('FR422', format('%s must be a positive whole number (an id)', field));
  END IF;
  RETURN (v #>> '{}')::bigint;
END
$$;
COMMENT ON FUNCTION fr_in_id(jsonb, text, text, boolean) IS 'A positive integer id.';

CREATE FUNCTION fr_in_int(input jsonb, field text, key text, min_value integer, max_value integer,
                          required boolean) RETURNS integer
  LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  v jsonb := fr_in_value(input, field, key, required);
BEGIN
  IF v IS NULL THEN
    RETURN NULL;
  END IF;
  IF jsonb_typeof(v) <> 'number' OR (v #>> '{}') !~ '^-?[0-9]{1,9}$'
     OR (v #>> '{}')::integer NOT BETWEEN min_value AND max_value THEN
    PERFORM fr_fail('FR422', format('%s must be a whole number from %s to %s', field, min_value, max_value));
  END IF;
  RETURN (v #>> '{}')::integer;
END
$$;
COMMENT ON FUNCTION fr_in_int(jsonb, text, text, integer, integer, boolean) IS 'A whole number in [MIN_VALUE, MAX_VALUE].';

CREATE FUNCTION fr_in_amount(input jsonb, field text, key text, required boolean) RETURNS numeric
  LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  v jsonb := fr_in_value(input, field, key, required);
  n numeric;
BEGIN
  IF v IS NULL THEN
    RETURN NULL;
  END IF;
  IF jsonb_typeof(v) <> 'number' THEN
    PERFORM fr_fail('FR422', format('%s must be a number', field));
  END IF;
  n := (v #>> '{}')::numeric;
  IF n < 0 OR n >= 1e12 OR scale(n) > 2 THEN
    PERFORM fr_fail('FR422', format('%s must be a number from 0 to 999999999999.99 with at most 2 decimals', field));
  END IF;
  RETURN n;
END
$$;
COMMENT ON FUNCTION fr_in_amount(jsonb, text, text, boolean) IS 'A sum of money: 0 or more, at most 2 decimals.';

CREATE FUNCTION fr_in_country(input jsonb, field text, key text, required boolean) RETURNS text
  LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  t text := fr_in_text(input, field, key, 2, required);
BEGIN
  IF t IS NOT NULL AND NOT fr_is_iso_country(t) THEN
    PERFORM fr_fail('FR422', format('%s must be an ISO 3166-1 alpha-2 country code in capitals, such as TH', field));
  END IF;
  RETURN t;
END
$$;
COMMENT ON FUNCTION fr_in_country(jsonb, text, text, boolean) IS 'An assigned ISO 3166-1 alpha-2 code.';

CREATE FUNCTION fr_in_money(input jsonb, field text, key text) RETURNS TABLE (amount numeric, currency text)
  LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  v jsonb := fr_in_value(input, field, key, false);
BEGIN
  IF v IS NULL THEN
    RETURN QUERY SELECT NULL::numeric, NULL::text;
    RETURN;
  END IF;
  PERFORM fr_in_object(v, field, ARRAY['amount', 'currency']);
  amount := fr_in_amount(v, field || '.amount', 'amount', true);
  currency := fr_in_text(v, field || '.currency', 'currency', 3, true);
  IF NOT fr_is_iso_currency(currency) THEN
    PERFORM fr_fail('FR422', format('%s.currency must be an ISO 4217 currency code in capitals, such as PHP', field));
  END IF;
  RETURN NEXT;
END
$$;
COMMENT ON FUNCTION fr_in_money(jsonb, text, text) IS '{amount, currency} with an ISO 4217 currency; absent reads as NULLs.';

CREATE FUNCTION fr_in_date(input jsonb, field text, key text, required boolean) RETURNS date
  LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  t text := fr_in_text(input, field, key, 10, required);
  d date;
BEGIN
  IF t IS NULL THEN
    RETURN NULL;
  END IF;
  IF t !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN
    PERFORM fr_fail('FR422', format('%s must be a date YYYY-MM-DD', field));
  END IF;
  BEGIN
    d := t::date;
  EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
    PERFORM fr_fail('FR422', format('%s is not a real date', field));
  END;
  RETURN d;
END
$$;
COMMENT ON FUNCTION fr_in_date(jsonb, text, text, boolean) IS 'A calendar date YYYY-MM-DD.';

-- ---------------------------------------------------------------------------
-- Output helpers.

CREATE FUNCTION fr_time_json(t timestamptz) RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');
COMMENT ON FUNCTION fr_time_json(timestamptz) IS 'RFC 3339 in UTC, to the second: how every time leaves the API.';

CREATE FUNCTION fr_user_ref(user_id bigint) RETURNS jsonb
  LANGUAGE sql STABLE
  RETURN (SELECT jsonb_build_object('id', u.id, 'name', u.name, 'org', u.org)
            FROM app_user AS u WHERE u.id = user_id);
COMMENT ON FUNCTION fr_user_ref(bigint) IS 'A staff user as casework answers name them: {id, name, org}; NULL for NULL.';

GRANT EXECUTE ON FUNCTION fr_actor(), fr_require_role(app_user, text[], text) TO fairreg_app;
