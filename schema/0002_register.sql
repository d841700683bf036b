-- 0002_register: the public register.
--
-- Agencies with their other names, officers, registered personnel and
-- branches; licences with their append-only status history; and the import
-- runs that fill them from the ministries' XML lists.  The effective status of
-- a licence is not stored: it is computed in exactly one place, the view
-- licence_effective (0004_views.sql).

CREATE TABLE agency (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name                text NOT NULL CHECK (btrim(name) <> ''),
  country             iso_country NOT NULL,
  registration_number text,
  address             text,
  phone               text,
  email               text,
  website             text,
  authority_code      text REFERENCES authority ON UPDATE CASCADE,
  external_ref        text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT agency_external_ref_key UNIQUE (authority_code, external_ref),
  CONSTRAINT agency_external_ref_needs_authority
    CHECK (external_ref IS NULL OR authority_code IS NOT NULL)
);
CREATE INDEX agency_name_trgm_idx ON agency USING gin (fr_fold(name) gin_trgm_ops);
CREATE INDEX agency_country_name_idx ON agency (country, fr_fold(name));
CREATE INDEX agency_country_registration_idx ON agency (country, registration_number)
  WHERE registration_number IS NOT NULL;
CREATE TRIGGER agency_touch BEFORE UPDATE ON agency
  FOR EACH ROW EXECUTE FUNCTION fr_touch_updated_at();

COMMENT ON TABLE agency IS
  'Recruitment agencies: legal name and the official contacts workers compare with what a recruiter told them.';
COMMENT ON COLUMN agency.name IS 'Legal name. Search with fr_fold(name) (trigram index).';
COMMENT ON COLUMN agency.registration_number IS 'Business (company) registration number in its country.';
COMMENT ON COLUMN agency.authority_code IS 'The authority whose register the agency came from (with external_ref).';
COMMENT ON COLUMN agency.external_ref IS
  'That authority''s own key for the agency: the ref attribute of the XML list, matched by (authority_code, external_ref).';

CREATE TABLE agency_name (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  agency_id  bigint NOT NULL REFERENCES agency ON DELETE CASCADE,
  name       text NOT NULL CHECK (btrim(name) <> ''),
  lang       bcp47,
  kind       text NOT NULL DEFAULT 'other'
             CHECK (kind IN ('trade', 'legal', 'former', 'transliteration', 'abbreviation', 'other')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agency_name_agency_idx ON agency_name (agency_id);
CREATE INDEX agency_name_name_trgm_idx ON agency_name USING gin (fr_fold(name) gin_trgm_ops);
COMMENT ON TABLE agency_name IS
  'An agency''s other names: trade names, the legal name in another script or language, former names. Replaced as a set by each import.';
COMMENT ON COLUMN agency_name.kind IS
  'trade, legal (the legal name in another script or language), former, transliteration, abbreviation or other.';

CREATE TABLE agency_officer (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  agency_id   bigint NOT NULL REFERENCES agency ON DELETE CASCADE,
  name        text NOT NULL CHECK (btrim(name) <> ''),
  role        text,
  valid_from  date,
  valid_until date,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from)
);
CREATE INDEX agency_officer_agency_idx ON agency_officer (agency_id);
CREATE INDEX agency_officer_name_trgm_idx ON agency_officer USING gin (fr_fold(name) gin_trgm_ops);
COMMENT ON TABLE agency_officer IS
  'Officers of an agency (president, directors...) as the authority lists them, with the period they held the role.';

CREATE TABLE agency_personnel (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  agency_id           bigint NOT NULL REFERENCES agency ON DELETE CASCADE,
  name                text NOT NULL CHECK (btrim(name) <> ''),
  registration_number text,
  role                text,
  valid_from          date,
  valid_until         date,
  created_at          timestamptz NOT NULL DEFAULT now(),
  CHECK (valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from)
);
CREATE INDEX agency_personnel_agency_idx ON agency_personnel (agency_id);
CREATE INDEX agency_personnel_registration_idx ON agency_personnel (fr_normalise_number(registration_number))
  WHERE registration_number IS NOT NULL;
CREATE INDEX agency_personnel_name_trgm_idx ON agency_personnel USING gin (fr_fold(name) gin_trgm_ops);
COMMENT ON TABLE agency_personnel IS
  'Registered recruitment personnel of an agency, so that a worker can check that a recruiter is genuine (by name, or by registration number with fr_normalise_number).';

CREATE TABLE agency_branch (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  agency_id  bigint NOT NULL REFERENCES agency ON DELETE CASCADE,
  address    text NOT NULL CHECK (btrim(address) <> ''),
  city       text,
  country    iso_country NOT NULL,
  phone      text,
  email      text,
  listed     boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT agency_branch_id_agency_key UNIQUE (id, agency_id)
);
CREATE INDEX agency_branch_agency_idx ON agency_branch (agency_id);
CREATE TRIGGER agency_branch_touch BEFORE UPDATE ON agency_branch
  FOR EACH ROW EXECUTE FUNCTION fr_touch_updated_at();
COMMENT ON TABLE agency_branch IS
  'Branch offices of an agency. A branch an inspection refers to cannot be deleted: an import that no longer lists it sets listed = false.';
COMMENT ON COLUMN agency_branch.listed IS 'False once the authority no longer lists the branch; only listed branches are public.';

-- ---------------------------------------------------------------------------
-- Licences.

CREATE TABLE licence (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  authority_code text NOT NULL REFERENCES authority ON UPDATE CASCADE,
  number         text NOT NULL CHECK (btrim(number) <> ''),
  number_norm    text GENERATED ALWAYS AS (fr_normalise_number(number)) STORED,
  agency_id      bigint NOT NULL REFERENCES agency,
  category       text,
  listed_status  licence_status NOT NULL,
  status_reason  text,
  valid_from     date,
  valid_until    date,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT licence_number_key UNIQUE (authority_code, number_norm),
  CONSTRAINT licence_number_norm_not_empty CHECK (number_norm <> ''),
  CONSTRAINT licence_validity CHECK (valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from)
);
CREATE INDEX licence_number_norm_idx ON licence (number_norm);
CREATE INDEX licence_agency_idx ON licence (agency_id);
CREATE TRIGGER licence_touch BEFORE UPDATE ON licence
  FOR EACH ROW EXECUTE FUNCTION fr_touch_updated_at();

COMMENT ON TABLE licence IS
  'Licences as the issuing authority lists them. listed_status is what the authority says; the effective status (expiry, sanctions) is computed only by the view licence_effective.';
COMMENT ON COLUMN licence.number IS 'The number as the authority prints it.';
COMMENT ON COLUMN licence.number_norm IS
  'fr_normalise_number(number): what a worker types is matched with number_norm = fr_normalise_number($1). Unique per authority.';
COMMENT ON COLUMN licence.category IS 'The authority''s licence category (landbased, seabased, ...).';
COMMENT ON COLUMN licence.listed_status IS
  'Status as listed by the authority or set by a user; every change also appends a licence_status_history row.';
COMMENT ON COLUMN licence.status_reason IS 'The authority''s reason for the listed status (statusReason), if any.';

CREATE TABLE import_run (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  authority_code text NOT NULL REFERENCES authority ON UPDATE CASCADE,
  file_name      text NOT NULL,
  sha256         bytea CHECK (length(sha256) = 32),
  size_bytes     bigint CHECK (size_bytes >= 0),
  profile        text,
  scope          text CHECK (scope IN ('complete', 'partial')),
  dry_run        boolean NOT NULL DEFAULT false,
  skip_invalid   boolean NOT NULL DEFAULT false,
  started_by     bigint REFERENCES app_user,
  started_at     timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz,
  outcome        text CHECK (outcome IN ('imported', 'refused', 'failed', 'dry_run')),
  error          text,
  seen           integer NOT NULL DEFAULT 0 CHECK (seen >= 0),
  inserted       integer NOT NULL DEFAULT 0 CHECK (inserted >= 0),
  updated        integer NOT NULL DEFAULT 0 CHECK (updated >= 0),
  unchanged      integer NOT NULL DEFAULT 0 CHECK (unchanged >= 0),
  delisted       integer NOT NULL DEFAULT 0 CHECK (delisted >= 0),
  rejected       integer NOT NULL DEFAULT 0 CHECK (rejected >= 0),
  rejects        jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(rejects) = 'array'),
  CONSTRAINT import_run_finished CHECK ((outcome IS NULL) = (finished_at IS NULL)),
  CONSTRAINT import_run_dry_run CHECK (outcome <> 'dry_run' OR dry_run)
);
CREATE INDEX import_run_authority_idx ON import_run (authority_code, started_at);
COMMENT ON TABLE import_run IS
  'One run of the importer over one file, with its counts and every rejected record. Refused and failed runs are recorded too (their data changes are rolled back, the run row is kept); outcome and finished_at are NULL only while the run is in progress.';
COMMENT ON COLUMN import_run.sha256 IS
  'SHA-256 of the file as received (32 bytes); with size_bytes, known once the file has been read through, so NULL while running.';
COMMENT ON COLUMN import_run.scope IS 'The file''s scope attribute; complete delists what it does not list (never with skip_invalid).';
COMMENT ON COLUMN import_run.rejects IS 'Every rejected record: a JSON array of {"line": n, "reason": "..."}.';

CREATE TABLE licence_status_history (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  licence_id    bigint NOT NULL REFERENCES licence,
  status        licence_status NOT NULL,
  effective_on  date NOT NULL,
  reason        text,
  source        text NOT NULL CHECK (source IN ('import', 'sanction', 'user', 'system')),
  import_run_id bigint REFERENCES import_run,
  sanction_id   bigint,  -- REFERENCES sanction, added in 0003 once sanction exists
  user_id       bigint REFERENCES app_user,
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT licence_status_history_import_source CHECK (source <> 'import' OR import_run_id IS NOT NULL),
  CONSTRAINT licence_status_history_sanction_source CHECK (source <> 'sanction' OR sanction_id IS NOT NULL),
  CONSTRAINT licence_status_history_user_source CHECK (source <> 'user' OR user_id IS NOT NULL)
);
CREATE INDEX licence_status_history_licence_idx ON licence_status_history (licence_id, effective_on, id);
CREATE TRIGGER licence_status_history_append_only BEFORE UPDATE OR DELETE ON licence_status_history
  FOR EACH ROW EXECUTE FUNCTION fr_forbid_change();
CREATE TRIGGER licence_status_history_no_truncate BEFORE TRUNCATE ON licence_status_history
  FOR EACH STATEMENT EXECUTE FUNCTION fr_forbid_change();

COMMENT ON TABLE licence_status_history IS
  'Every status a licence has had, with its effective date, reason and source (an import run, a sanction, a user or the system). Append-only (trigger; fairreg_app has SELECT, INSERT only). Ordered by id it is the change feed.';
COMMENT ON COLUMN licence_status_history.effective_on IS
  'The date the status took effect: the file''s generated date or the licence''s statusDate for imports.';
COMMENT ON COLUMN licence_status_history.recorded_at IS 'When the row was written.';
