-- 0003_casework: what regulators do with the register.
--
-- Inspections with their inspectors and checklist findings (the checklist is
-- seeded from the ILO fair-recruitment principles); complaints with their
-- categories, the complainant's personal data kept apart in its own table so
-- that it can be denied as a whole, an append-only event history, and the
-- allowed status transitions enforced here; and sanctions, which can override
-- a licence's listed status.

-- ---------------------------------------------------------------------------
-- Inspections.

CREATE TABLE checklist_item (
  code          text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]*$'),
  title         text NOT NULL,
  ilo_principle smallint NOT NULL CHECK (ilo_principle BETWEEN 1 AND 13),
  ilo_reference text NOT NULL,
  guidance      text NOT NULL,
  sort_order    integer NOT NULL UNIQUE,
  active        boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE checklist_item IS
  'The inspection checklist, from the ILO General principles and operational guidelines for fair recruitment (2019) and the ILO Definition of recruitment fees and related costs. Changed by migrations only; retire an item with active = false.';
COMMENT ON COLUMN checklist_item.ilo_principle IS 'Number (1-13) of the ILO general principle for fair recruitment the item checks.';
COMMENT ON COLUMN checklist_item.ilo_reference IS 'The ILO text(s) the item comes from.';
COMMENT ON COLUMN checklist_item.guidance IS 'What the inspector looks for.';

INSERT INTO checklist_item (sort_order, code, ilo_principle, ilo_reference, title, guidance) VALUES
  (10, 'FEES_CHARGED_TO_WORKER', 7,
   'General principle 7; Definition of recruitment fees and related costs: recruitment fees',
   'Recruitment fees charged to or borne by workers',
   'Any payment from workers or jobseekers for recruitment or placement services, directly or through a sub-agent, whatever it is called.'),
  (20, 'RELATED_COSTS_CHARGED_TO_WORKER', 7,
   'General principle 7; Definition of recruitment fees and related costs: related costs',
   'Related costs charged to workers',
   'Medical examinations, insurance, skills and language tests, training and orientation, equipment, travel and lodging, passports, visas and other documents paid by the worker.'),
  (30, 'ILLEGITIMATE_COSTS_OR_DEPOSITS', 7,
   'General principle 7; Definition of recruitment fees and related costs: illegitimate costs',
   'Illegitimate costs, deposits or bonds demanded',
   'Bribes, kickbacks, undisclosed mark-ups, security deposits, bonds or collateral required from workers.'),
  (40, 'COSTS_RECOVERED_FROM_WAGES', 7,
   'General principle 7; Definition of recruitment fees and related costs',
   'Recruitment costs recovered through wage deductions or loans',
   'Deductions from wages, salary advances or loans arranged by the recruiter to recover fees or costs, leaving the worker in debt.'),
  (50, 'DECEPTIVE_ADVERTISING', 9,
   'General principles 9 and 10',
   'Deceptive advertising or job offer',
   'Advertisements or offers that are false or misleading about the employer, the job, the place of work, wages, hours or conditions.'),
  (60, 'CONTRACT_NOT_WRITTEN', 8,
   'General principle 8',
   'No written contract before departure',
   'The worker did not receive, before leaving home, a written contract stating wages, hours, place of work, deductions and duration.'),
  (70, 'CONTRACT_NOT_IN_WORKER_LANGUAGE', 8,
   'General principle 8',
   'Contract not in a language the worker understands',
   'The contract or its key terms were not given in a language the worker understands, or were not explained.'),
  (80, 'CONTRACT_SUBSTITUTION', 9,
   'General principles 8 and 9',
   'Contract substitution',
   'The contract signed was replaced or changed to the worker''s detriment, before departure or on arrival, without free and informed consent.'),
  (90, 'CONSENT_NOT_FREE', 9,
   'General principle 9',
   'Agreement obtained by deception or coercion',
   'Threats, pressure, debt or deception used to obtain the worker''s agreement to recruitment or employment terms.'),
  (100, 'INFORMATION_NOT_PROVIDED', 10,
   'General principle 10',
   'Workers not given free and accurate information',
   'No free, comprehensive and accurate information on rights, conditions of work and where to seek help (pre-departure orientation).'),
  (110, 'IDENTITY_DOCUMENTS_RETAINED', 11,
   'General principle 11',
   'Identity documents or contracts retained',
   'Passports, identity documents, contracts or certificates kept, confiscated or destroyed by the agency or its agents.'),
  (120, 'FREEDOM_TO_LEAVE_RESTRICTED', 12,
   'General principles 11 and 12',
   'Freedom to move, resign, change employer or return restricted',
   'Penalties, threats or withheld documents that stop workers from moving, ending their employment, changing employer or returning home.'),
  (130, 'GRIEVANCE_ACCESS_DENIED', 13,
   'General principle 13',
   'No access to grievance mechanism, or retaliation',
   'Workers cannot complain freely and safely, complaints are not handled, or complainants suffer retaliation.'),
  (140, 'DISCRIMINATION', 1,
   'General principle 1',
   'Discrimination in recruitment',
   'Selection or treatment based on sex, pregnancy, marital status, HIV status, religion, ethnicity or other prohibited grounds, including pregnancy testing.'),
  (150, 'UNDERAGE_RECRUITMENT', 1,
   'General principle 1',
   'Recruitment of children',
   'Workers recruited below the legal minimum age for the work or for migration.'),
  (160, 'UNREGISTERED_PERSONNEL', 5,
   'General principle 5',
   'Unregistered recruitment personnel or sub-agents',
   'Recruiters, sub-agents or brokers acting for the agency without the registration the authority requires.'),
  (170, 'UNREGISTERED_BRANCH', 5,
   'General principle 5',
   'Unregistered branch or office',
   'Recruitment carried out from premises that are not a registered branch of the agency.'),
  (180, 'RECORDS_MISSING', 5,
   'General principle 5',
   'Records missing or incomplete',
   'No complete records of workers recruited, job orders, contracts, payments received and deployments.'),
  (190, 'LICENCE_CONDITIONS_BREACHED', 6,
   'General principles 3, 5 and 6',
   'Recruitment outside the licence',
   'Recruitment outside the licence''s category, validity or permitted countries, or under another agency''s licence.');

CREATE TABLE inspection (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  agency_id      bigint NOT NULL REFERENCES agency,
  branch_id      bigint,
  authority_code text NOT NULL REFERENCES authority ON UPDATE CASCADE,
  kind           text NOT NULL
                 CHECK (kind IN ('routine', 'unannounced', 'complaint_driven', 'follow_up', 'pre_licensing')),
  status         text NOT NULL DEFAULT 'planned'
                 CHECK (status IN ('planned', 'in_progress', 'closed', 'cancelled')),
  planned_on     date,
  done_on        date,
  outcome        text,
  follow_up_due  date,
  created_by     bigint REFERENCES app_user,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT inspection_branch_of_agency FOREIGN KEY (branch_id, agency_id)
    REFERENCES agency_branch (id, agency_id),
  CONSTRAINT inspection_closed_done CHECK (status <> 'closed' OR done_on IS NOT NULL)
);
CREATE INDEX inspection_agency_idx ON inspection (agency_id, done_on);
CREATE INDEX inspection_authority_idx ON inspection (authority_code, status);
CREATE TRIGGER inspection_touch BEFORE UPDATE ON inspection
  FOR EACH ROW EXECUTE FUNCTION fr_touch_updated_at();
COMMENT ON TABLE inspection IS
  'Inspections of an agency (and one of its branches), planned and carried out by an authority''s inspectors. A closed inspection has a done_on date.';
COMMENT ON COLUMN inspection.outcome IS 'The inspector''s conclusion, in words; breaches are the findings with result breach.';

CREATE TABLE inspection_inspector (
  inspection_id bigint NOT NULL REFERENCES inspection ON DELETE CASCADE,
  user_id       bigint NOT NULL REFERENCES app_user,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (inspection_id, user_id)
);
CREATE INDEX inspection_inspector_user_idx ON inspection_inspector (user_id);
COMMENT ON TABLE inspection_inspector IS 'The inspectors (staff users) assigned to an inspection.';

CREATE TABLE inspection_finding (
  inspection_id bigint NOT NULL REFERENCES inspection ON DELETE CASCADE,
  item_code     text NOT NULL REFERENCES checklist_item,
  result        text NOT NULL CHECK (result IN ('compliant', 'breach', 'not_applicable')),
  note          text,
  recorded_by   bigint REFERENCES app_user,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (inspection_id, item_code)
);
CREATE TRIGGER inspection_finding_touch BEFORE UPDATE ON inspection_finding
  FOR EACH ROW EXECUTE FUNCTION fr_touch_updated_at();
COMMENT ON TABLE inspection_finding IS
  'The result of one checklist item in one inspection: compliant, breach or not_applicable, with a note.';

-- ---------------------------------------------------------------------------
-- Complaints.

CREATE TABLE complaint (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reference            text NOT NULL UNIQUE
                       CHECK (reference ~ '^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$'),
  channel              text NOT NULL
                       CHECK (channel IN ('online', 'attache', 'hotline', 'walk_in', 'ngo', 'referral')),
  filed_by             text NOT NULL
                       CHECK (filed_by IN ('worker', 'family', 'mission', 'ngo', 'other')),
  filed_by_user_id     bigint REFERENCES app_user,
  mission              text CHECK (mission ~ '^[A-Z]{2}-[A-Z0-9]+(-[A-Z0-9]+)*$'),
  agency_id            bigint REFERENCES agency,
  licence_id           bigint REFERENCES licence,
  agency_name_given    text,
  licence_number_given text,
  authority_code       text REFERENCES authority ON UPDATE CASCADE,
  confidential         boolean NOT NULL DEFAULT true,
  destination_country  iso_country,
  sector               text CHECK (sector IN ('domestic_work', 'care', 'manufacturing', 'agriculture',
                                              'construction', 'fishing', 'hospitality', 'other')),
  language             bcp47,
  description          text NOT NULL CHECK (btrim(description) <> ''),
  amount_claimed       numeric(14, 2) CHECK (amount_claimed >= 0),
  amount_claimed_currency iso_currency,
  status               complaint_status NOT NULL DEFAULT 'received',
  priority             text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  assigned_to          bigint REFERENCES app_user,
  acknowledged_at      timestamptz,
  due_at               timestamptz,
  resolution_due_at    timestamptz,
  closed_at            timestamptz,
  outcome              text CHECK (outcome IN ('substantiated', 'partly_substantiated', 'unsubstantiated',
                                               'settled', 'not_pursued')),
  remedy_amount        numeric(14, 2) CHECK (remedy_amount >= 0),
  remedy_currency      iso_currency,
  referral_to          text CHECK (referral_to IN ('police', 'anti_trafficking', 'labour_ministry',
                                                   'other_ministry', 'embassy', 'trade_union', 'ngo', 'other')),
  referral_reason      text,
  inspection_id        bigint REFERENCES inspection,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT complaint_agency_given CHECK (agency_id IS NOT NULL OR coalesce(btrim(agency_name_given), '') <> ''),
  CONSTRAINT complaint_amount_currency CHECK ((amount_claimed IS NULL) = (amount_claimed_currency IS NULL)),
  CONSTRAINT complaint_remedy_currency CHECK ((remedy_amount IS NULL) = (remedy_currency IS NULL)),
  CONSTRAINT complaint_closed CHECK ((status IN ('resolved', 'referred', 'dismissed', 'withdrawn'))
                                     = (closed_at IS NOT NULL)),
  CONSTRAINT complaint_referred_to CHECK (status <> 'referred' OR referral_to IS NOT NULL)
);
CREATE INDEX complaint_agency_idx ON complaint (agency_id, created_at) WHERE agency_id IS NOT NULL;
CREATE INDEX complaint_authority_idx ON complaint (authority_code, status);
CREATE INDEX complaint_mission_idx ON complaint (mission, created_at) WHERE mission IS NOT NULL;
CREATE INDEX complaint_assigned_idx ON complaint (assigned_to) WHERE assigned_to IS NOT NULL;
CREATE INDEX complaint_created_idx ON complaint (created_at);

COMMENT ON TABLE complaint IS
  'Complaints by or for migrant workers. The complainant''s personal data is not here but in complainant. Status moves are checked against complaint_status_transition (SQLSTATE FR001 when not allowed).';
COMMENT ON COLUMN complaint.reference IS
  'Public, random, non-sequential tracking reference XXXX-XXXX-XXXX (generated by the server, with a check character).';
COMMENT ON COLUMN complaint.mission IS 'Org code of the filing mission (MM-EMB-BKK) for complaints an attaché filed.';
COMMENT ON COLUMN complaint.agency_id IS 'The agency when known; otherwise agency_name_given (and licence_number_given) as the worker gave them.';
COMMENT ON COLUMN complaint.authority_code IS 'The authority responsible for the case; NULL until triaged.';
COMMENT ON COLUMN complaint.confidential IS 'Hides the complainant from staff outside the case (enforced by the server).';
COMMENT ON COLUMN complaint.description IS 'What happened, in the worker''s words; never public, masked in the audit log.';
COMMENT ON COLUMN complaint.due_at IS 'When the acknowledgement is due.';
COMMENT ON COLUMN complaint.resolution_due_at IS 'When a resolution is due.';
COMMENT ON COLUMN complaint.acknowledged_at IS 'When the complaint was acknowledged; set by the database on the move to acknowledged if not given.';
COMMENT ON COLUMN complaint.closed_at IS 'Set by the database when the complaint reaches a final status (resolved, referred, dismissed, withdrawn).';
COMMENT ON COLUMN complaint.outcome IS
  'substantiated, partly_substantiated, unsubstantiated, settled or not_pursued; the first two count as substantiated.';
COMMENT ON COLUMN complaint.referral_to IS 'Where a referred complaint went; required for status referred.';

CREATE TABLE complainant (
  complaint_id bigint PRIMARY KEY REFERENCES complaint ON DELETE CASCADE,
  name         text,
  contact      text,
  sex          text NOT NULL DEFAULT 'undisclosed' CHECK (sex IN ('female', 'male', 'other', 'undisclosed')),
  nationality  iso_country,
  age_band     text CHECK (age_band IN ('under-18', '18-24', '25-34', '35-44', '45-59', '60+')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER complainant_touch BEFORE UPDATE ON complainant
  FOR EACH ROW EXECUTE FUNCTION fr_touch_updated_at();
COMMENT ON TABLE complainant IS
  'PERSONAL DATA of the person a complaint is about (at most one row per complaint; none for an anonymous complaint). No public view reads it; the audit log masks every field.';

CREATE TABLE complaint_category (
  complaint_id bigint NOT NULL REFERENCES complaint ON DELETE CASCADE,
  category     text NOT NULL CHECK (category IN ('recruitment_fees', 'deception', 'contract_substitution',
                                                 'document_retention', 'unpaid_wages', 'violence_harassment',
                                                 'trafficking_indicators', 'other')),
  PRIMARY KEY (complaint_id, category)
);
CREATE INDEX complaint_category_category_idx ON complaint_category (category);
COMMENT ON TABLE complaint_category IS 'The categories of a complaint (one or more).';

CREATE TABLE complaint_status_transition (
  from_status complaint_status NOT NULL,
  to_status   complaint_status NOT NULL,
  PRIMARY KEY (from_status, to_status),
  CHECK (from_status <> to_status)
);
COMMENT ON TABLE complaint_status_transition IS
  'The allowed complaint status moves; any other change of complaint.status raises SQLSTATE FR001. Statuses with no row as from_status are final.';

INSERT INTO complaint_status_transition (from_status, to_status) VALUES
  -- the main path
  ('received',      'acknowledged'),
  ('acknowledged',  'investigating'),
  ('investigating', 'conciliation'),
  -- conciliation that fails goes back to investigation
  ('conciliation',  'investigating'),
  -- a case is resolved once it has been investigated or conciliated
  ('investigating', 'resolved'),
  ('conciliation',  'resolved'),
  -- any open complaint can be referred, dismissed or withdrawn
  ('received',      'referred'),
  ('received',      'dismissed'),
  ('received',      'withdrawn'),
  ('acknowledged',  'referred'),
  ('acknowledged',  'dismissed'),
  ('acknowledged',  'withdrawn'),
  ('investigating', 'referred'),
  ('investigating', 'dismissed'),
  ('investigating', 'withdrawn'),
  ('conciliation',  'referred'),
  ('conciliation',  'dismissed'),
  ('conciliation',  'withdrawn');

-- BEFORE INSERT OR UPDATE on complaint: refuses a status move that is not in
-- complaint_status_transition (SQLSTATE FR001, the message lists the allowed
-- next statuses), and stamps acknowledged_at and closed_at.
CREATE FUNCTION fr_complaint_status_guard() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
AS $$
DECLARE
  allowed text;
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.status IS DISTINCT FROM OLD.status THEN
    IF NOT EXISTS (SELECT FROM complaint_status_transition t
                    WHERE t.from_status = OLD.status AND t.to_status = NEW.status) THEN
      SELECT string_agg(t.to_status, ', ' ORDER BY t.to_status)
        INTO allowed
        FROM complaint_status_transition t
       WHERE t.from_status = OLD.status;
      RAISE EXCEPTION 'complaint % cannot move from % to %; allowed next statuses: %',
                      OLD.id, OLD.status, NEW.status, coalesce(allowed, 'none (final status)')
        USING ERRCODE = 'FR001',
              DETAIL = format('from=%s to=%s allowed=%s', OLD.status, NEW.status, coalesce(allowed, '')),
              HINT = 'The allowed moves are the rows of complaint_status_transition.';
    END IF;
  END IF;
  IF NEW.status = 'acknowledged' AND NEW.acknowledged_at IS NULL THEN
    NEW.acknowledged_at := now();
  END IF;
  IF NEW.status IN ('resolved', 'referred', 'dismissed', 'withdrawn') THEN
    NEW.closed_at := coalesce(NEW.closed_at, now());
  END IF;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION fr_complaint_status_guard() IS
  'Trigger: enforces complaint_status_transition (SQLSTATE FR001) and stamps acknowledged_at and closed_at.';

CREATE TRIGGER complaint_status_guard BEFORE INSERT OR UPDATE ON complaint
  FOR EACH ROW EXECUTE FUNCTION fr_complaint_status_guard();
CREATE TRIGGER complaint_touch BEFORE UPDATE ON complaint
  FOR EACH ROW EXECUTE FUNCTION fr_touch_updated_at();

CREATE TABLE complaint_event (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  complaint_id bigint NOT NULL REFERENCES complaint,
  at           timestamptz NOT NULL DEFAULT clock_timestamp(),
  kind         text NOT NULL
               CHECK (kind IN ('status_change', 'public_note', 'internal_note', 'assignment', 'referral')),
  status       complaint_status,
  note         text,
  public       boolean NOT NULL DEFAULT false,
  user_id      bigint REFERENCES app_user,
  CONSTRAINT complaint_event_status_change CHECK (kind <> 'status_change' OR status IS NOT NULL),
  CONSTRAINT complaint_event_note CHECK (kind NOT IN ('public_note', 'internal_note') OR coalesce(btrim(note), '') <> ''),
  CONSTRAINT complaint_event_public CHECK (CASE kind WHEN 'public_note' THEN public
                                                     WHEN 'status_change' THEN true
                                                     ELSE NOT public END)
);
CREATE INDEX complaint_event_complaint_idx ON complaint_event (complaint_id, at, id);
CREATE TRIGGER complaint_event_append_only BEFORE UPDATE OR DELETE ON complaint_event
  FOR EACH ROW EXECUTE FUNCTION fr_forbid_change();
CREATE TRIGGER complaint_event_no_truncate BEFORE TRUNCATE ON complaint_event
  FOR EACH STATEMENT EXECUTE FUNCTION fr_forbid_change();
COMMENT ON TABLE complaint_event IS
  'Append-only history of a complaint. A status change is written here by the server in the same transaction as the UPDATE of complaint.status (kind status_change, status = the new status). Public rows (status changes, public notes) are what the complainant sees; a status change''s note is public only when public is true.';
COMMENT ON COLUMN complaint_event.status IS 'For status_change: the new status. Otherwise optional (the status at the time).';
COMMENT ON COLUMN complaint_event.public IS
  'Shown to the complainant: always true for public_note, false for internal_note, assignment and referral; for status_change it says whether the note is shown (the status itself always is).';
COMMENT ON COLUMN complaint_event.note IS 'Masked in the audit log.';

-- ---------------------------------------------------------------------------
-- Sanctions.

CREATE TABLE sanction (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind            text NOT NULL
                  CHECK (kind IN ('warning', 'demerit_points', 'fine', 'suspension', 'revocation', 'ban')),
  agency_id       bigint REFERENCES agency,
  licence_id      bigint REFERENCES licence,
  points          integer CHECK (points > 0),
  amount          numeric(14, 2) CHECK (amount > 0),
  currency        iso_currency,
  decided_on      date NOT NULL,
  effective_from  date,
  effective_until date,
  lifted_on       date,
  lift_reason     text,
  reason          text NOT NULL CHECK (btrim(reason) <> ''),
  authority_code  text NOT NULL REFERENCES authority ON UPDATE CASCADE,
  inspection_id   bigint REFERENCES inspection,
  complaint_id    bigint REFERENCES complaint,
  is_public       boolean NOT NULL DEFAULT false,
  created_by      bigint REFERENCES app_user,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT sanction_target CHECK (num_nonnulls(agency_id, licence_id) = 1),
  CONSTRAINT sanction_points CHECK ((kind = 'demerit_points') = (points IS NOT NULL)),
  CONSTRAINT sanction_fine CHECK ((kind = 'fine') = (amount IS NOT NULL)),
  CONSTRAINT sanction_currency CHECK ((amount IS NULL) = (currency IS NULL)),
  CONSTRAINT sanction_dated CHECK (kind NOT IN ('suspension', 'revocation', 'ban') OR effective_from IS NOT NULL),
  CONSTRAINT sanction_period CHECK (effective_until IS NULL OR effective_until >= effective_from),
  CONSTRAINT sanction_lifted CHECK (lifted_on IS NULL OR coalesce(btrim(lift_reason), '') <> '')
);
CREATE INDEX sanction_agency_idx ON sanction (agency_id) WHERE agency_id IS NOT NULL;
CREATE INDEX sanction_licence_idx ON sanction (licence_id) WHERE licence_id IS NOT NULL;
CREATE TRIGGER sanction_touch BEFORE UPDATE ON sanction
  FOR EACH ROW EXECUTE FUNCTION fr_touch_updated_at();

COMMENT ON TABLE sanction IS
  'Sanctions decided by an authority on an agency (all its licences) or on one licence. A suspension, revocation or ban in force overrides the listed status of the licences it covers (see licence_effective).';
COMMENT ON COLUMN sanction.effective_from IS
  'First day the sanction applies (required for suspension, revocation, ban). A sanction without it is a one-off decision and never "in force".';
COMMENT ON COLUMN sanction.effective_until IS 'Last day the sanction applies; NULL = open-ended.';
COMMENT ON COLUMN sanction.lifted_on IS 'The day the sanction stopped applying early (lifted, overturned on appeal), with lift_reason.';
COMMENT ON COLUMN sanction.authority_code IS 'The deciding authority.';
COMMENT ON COLUMN sanction.inspection_id IS 'Basis: the inspection the sanction follows, if any.';
COMMENT ON COLUMN sanction.complaint_id IS 'Basis: the complaint the sanction follows, if any.';
COMMENT ON COLUMN sanction.is_public IS 'Published in pub_sanction.';

ALTER TABLE licence_status_history
  ADD CONSTRAINT licence_status_history_sanction_id_fkey FOREIGN KEY (sanction_id) REFERENCES sanction;
