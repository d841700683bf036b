-- 0051_complaints: the life of a complaint, as functions the server calls.
--
-- A worker (or an attaché for her, or ministry staff taking a call) files a
-- complaint; staff of the responsible authority assign it, move it through
-- its statuses (complaint_status_transition, enforced by the trigger of
-- 0003_casework), note it, refer it, link it to an agency, a licence and an
-- inspection; the worker follows it by its reference.  Each function checks
-- its input strictly (fr_in_*), checks that the caller may see and act on the
-- complaint, writes the complaint and its append-only events in the caller's
-- transaction, and answers JSON.
--
-- Who sees what (DESIGN.md sections 5 and 7):
--   admin      every complaint
--   inspector  the complaints of their authority (complaint.authority_code:
--              the authority of the agency's licence, or the registry's home
--              authority when the agency is unknown)
--   attache    the complaints their own mission filed
--   analyst    none (statistics only)
-- A complaint another user may not see answers FR404, as if it did not exist.
-- A confidential complaint also hides the complainant's name and contact from
-- every staff user who is neither assigned to it nor of the filing mission.

CREATE FUNCTION fr_complaint_is_open(status complaint_status) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN status IN ('received', 'acknowledged', 'investigating', 'conciliation');
COMMENT ON FUNCTION fr_complaint_is_open(complaint_status) IS 'Whether a complaint in STATUS is still being worked (not final).';

CREATE FUNCTION fr_complaint_overdue(c complaint) RETURNS boolean
  LANGUAGE sql STABLE
  RETURN (c.status = 'received' AND c.due_at < now())
      OR (fr_complaint_is_open(c.status) AND c.resolution_due_at < now());
COMMENT ON FUNCTION fr_complaint_overdue(complaint) IS
  'Overdue is a query, not a flag: still received after its acknowledgement was due, or still open after its resolution was due.';

CREATE FUNCTION fr_complaint_visible(c complaint, actor app_user) RETURNS boolean
  LANGUAGE sql STABLE
  RETURN CASE actor.role
           WHEN 'admin' THEN true
           WHEN 'inspector' THEN c.authority_code IS NOT DISTINCT FROM actor.org AND actor.org IS NOT NULL
           WHEN 'attache' THEN c.mission IS NOT DISTINCT FROM actor.org AND actor.org IS NOT NULL
           ELSE false
         END;
COMMENT ON FUNCTION fr_complaint_visible(complaint, app_user) IS
  'Whether ACTOR may see complaint C at all: admins all, inspectors their authority''s, attachés their mission''s.';

CREATE FUNCTION fr_complaint_in_case(c complaint, actor app_user) RETURNS boolean
  LANGUAGE sql STABLE
  RETURN c.assigned_to = actor.id
      OR (actor.role = 'attache' AND c.mission IS NOT DISTINCT FROM actor.org AND actor.org IS NOT NULL);
COMMENT ON FUNCTION fr_complaint_in_case(complaint, app_user) IS
  'Whether ACTOR works the case: assigned to it, or of the mission that filed it.  Only they see the identity of a confidential complainant.';

-- The complaint ACTOR asked for, locked for update when FOR_UPDATE; FR404
-- when it does not exist or ACTOR may not see it.
CREATE FUNCTION fr_complaint_fetch(complaint_id bigint, actor app_user, for_update boolean)
  RETURNS complaint
  LANGUAGE plpgsql
AS $$
DECLARE
  c complaint;
BEGIN
  IF for_update THEN
    SELECT * INTO c FROM complaint WHERE id = complaint_id FOR UPDATE;
  ELSE
    SELECT * INTO c FROM complaint WHERE id = complaint_id;
  END IF;
  IF NOT FOUND OR NOT fr_complaint_visible(c, actor) THEN
    PERFORM fr_fail('FR404', 'no complaint with that id that you may see');
  END IF;
  RETURN c;
END
$$;
COMMENT ON FUNCTION fr_complaint_fetch(bigint, app_user, boolean) IS
  'The complaint by id if ACTOR may see it (locked when FOR_UPDATE); FR404 otherwise.';

-- ---------------------------------------------------------------------------
-- Answers.

CREATE FUNCTION fr_complaint_summary_json(c complaint) RETURNS jsonb
  LANGUAGE sql STABLE
  RETURN jsonb_build_object(
    'id', c.id,
    'reference', c.reference,
    'status', c.status,
    'priority', c.priority,
    'channel', c.channel,
    'filed_by', c.filed_by,
    'mission', c.mission,
    'filed_at', fr_time_json(c.created_at),
    'updated_at', fr_time_json(c.updated_at),
    'agency', (SELECT jsonb_build_object('id', a.id, 'name', a.name) FROM agency AS a WHERE a.id = c.agency_id),
    'licence', (SELECT jsonb_build_object('id', l.id, 'number', l.number, 'authority', l.authority_code)
                  FROM licence AS l WHERE l.id = c.licence_id),
    'agency_name_given', c.agency_name_given,
    'licence_number_given', c.licence_number_given,
    'authority', c.authority_code,
    'destination_country', c.destination_country,
    'sector', c.sector,
    'categories', coalesce((SELECT jsonb_agg(cc.category ORDER BY cc.category)
                              FROM complaint_category AS cc WHERE cc.complaint_id = c.id), '[]'),
    'assigned_to', fr_user_ref(c.assigned_to),
    'acknowledgement_due_at', fr_time_json(c.due_at),
    'resolution_due_at', fr_time_json(c.resolution_due_at),
    'acknowledged_at', fr_time_json(c.acknowledged_at),
    'closed_at', fr_time_json(c.closed_at),
    'overdue', fr_complaint_overdue(c),
    'inspection_id', c.inspection_id,
    'outcome', c.outcome);
COMMENT ON FUNCTION fr_complaint_summary_json(complaint) IS
  'A complaint in staff lists: no complainant, no description, no notes.';

CREATE FUNCTION fr_complaint_json(c complaint, actor app_user) RETURNS jsonb
  LANGUAGE sql STABLE
  RETURN fr_complaint_summary_json(c) || jsonb_build_object(
    'confidential', c.confidential,
    'language', c.language,
    'description', c.description,
    'amount_claimed', CASE WHEN c.amount_claimed IS NOT NULL
                           THEN jsonb_build_object('amount', c.amount_claimed, 'currency', c.amount_claimed_currency) END,
    'remedy', CASE WHEN c.remedy_amount IS NOT NULL
                   THEN jsonb_build_object('amount', c.remedy_amount, 'currency', c.remedy_currency) END,
    'referral', CASE WHEN c.referral_to IS NOT NULL
                     THEN jsonb_build_object('to', c.referral_to, 'reason', c.referral_reason) END,
    'complainant', (SELECT CASE WHEN c.confidential AND NOT coalesce(fr_complaint_in_case(c, actor), false)
                                THEN jsonb_build_object('identity_hidden', true, 'name', NULL, 'contact', NULL)
                                ELSE jsonb_build_object('identity_hidden', false, 'name', p.name, 'contact', p.contact)
                           END || jsonb_build_object('sex', p.sex, 'nationality', p.nationality, 'age_band', p.age_band)
                      FROM complainant AS p WHERE p.complaint_id = c.id),
    'allowed_next_statuses', coalesce((SELECT jsonb_agg(t.to_status ORDER BY t.to_status)
                                         FROM complaint_status_transition AS t
                                        WHERE t.from_status = c.status), '[]'),
    'events', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                 'id', e.id, 'at', fr_time_json(e.at), 'kind', e.kind, 'status', e.status,
                                 'note', e.note, 'public', e.public, 'by', fr_user_ref(e.user_id))
                                 ORDER BY e.at, e.id)
                          FROM complaint_event AS e WHERE e.complaint_id = c.id), '[]'));
COMMENT ON FUNCTION fr_complaint_json(complaint, app_user) IS
  'A complaint as a staff user who may see it reads it: everything, with the events, except the identity of a confidential complainant when ACTOR is outside the case.';

-- ---------------------------------------------------------------------------
-- Filing.

CREATE FUNCTION fr_complaint_file(input jsonb, new_reference text, ack_days integer,
                                  resolve_days integer, home_authority text)
  RETURNS jsonb
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
AS $$
DECLARE
  actor app_user := fr_actor();
  person jsonb;
  money record;
  c complaint;
  categories text[];
  language_tag text;
BEGIN
  PERFORM fr_in_object(input, 'the complaint',
    ARRAY['agency_id', 'agency_name', 'licence_number', 'complainant', 'confidential',
          'destination_country', 'sector', 'categories', 'description', 'amount_claimed',
          'language', 'filed_by', 'channel']);
  IF actor.role = 'analyst' THEN
    PERFORM fr_fail('FR403', 'analysts read statistics; they do not file complaints');
  END IF;

  -- Who files, through which channel.
  CASE coalesce(actor.role, 'anonymous')
    WHEN 'attache' THEN
      IF input ? 'channel' OR input ? 'filed_by' THEN
        PERFORM fr_fail('FR422', 'channel and filed_by are set by the server for a mission''s filing');
      END IF;
      IF actor.org IS NULL THEN
        PERFORM fr_fail('FR403', 'your account has no mission (org); an administrator must set it');
      END IF;
      c.channel := 'attache';
      c.filed_by := 'mission';
      c.mission := actor.org;
    WHEN 'anonymous' THEN
      IF input ? 'channel' THEN
        PERFORM fr_fail('FR422', 'channel is set by the server for online filing');
      END IF;
      c.channel := 'online';
      c.filed_by := coalesce(fr_in_enum(input, 'filed_by', 'filed_by', ARRAY['worker', 'family', 'ngo', 'other'], false), 'worker');
    ELSE  -- ministry staff taking a complaint by telephone, at a desk, from an NGO or another body
      c.channel := coalesce(fr_in_enum(input, 'channel', 'channel', ARRAY['hotline', 'walk_in', 'ngo', 'referral'], false), 'hotline');
      c.filed_by := coalesce(fr_in_enum(input, 'filed_by', 'filed_by', ARRAY['worker', 'family', 'ngo', 'other'], false), 'worker');
  END CASE;
  c.filed_by_user_id := actor.id;

  -- The agency, as known or as given.
  c.agency_id := fr_in_id(input, 'agency_id', 'agency_id', false);
  c.agency_name_given := fr_in_text(input, 'agency_name', 'agency_name', 300, false);
  c.licence_number_given := fr_in_text(input, 'licence_number', 'licence_number', 100, false);
  IF c.agency_id IS NULL AND c.agency_name_given IS NULL THEN
    PERFORM fr_fail('FR422', 'give agency_id (a registered agency) or agency_name (as the worker knows it)');
  END IF;
  IF c.agency_id IS NOT NULL THEN
    SELECT coalesce(a.authority_code,
                    (SELECT l.authority_code FROM licence AS l WHERE l.agency_id = a.id ORDER BY l.id LIMIT 1))
      INTO c.authority_code
      FROM agency AS a WHERE a.id = c.agency_id;
    IF NOT FOUND THEN
      PERFORM fr_fail('FR422', 'agency_id names no registered agency');
    END IF;
  END IF;
  c.authority_code := coalesce(c.authority_code, (SELECT a.code FROM authority AS a WHERE a.code = home_authority));

  -- What happened.
  c.confidential := coalesce(fr_in_bool(input, 'confidential', 'confidential'), true);
  c.destination_country := fr_in_country(input, 'destination_country', 'destination_country', false);
  c.sector := fr_in_enum(input, 'sector', 'sector',
    ARRAY['domestic_work', 'care', 'manufacturing', 'agriculture', 'construction', 'fishing', 'hospitality', 'other'], false);
  categories := fr_in_enum_list(input, 'categories', 'categories',
    ARRAY['recruitment_fees', 'deception', 'contract_substitution', 'document_retention', 'unpaid_wages',
          'violence_harassment', 'trafficking_indicators', 'other'], true);
  c.description := fr_in_text(input, 'description', 'description', 10000, true);
  SELECT * INTO money FROM fr_in_money(input, 'amount_claimed', 'amount_claimed');
  c.amount_claimed := money.amount;
  c.amount_claimed_currency := money.currency;
  language_tag := fr_in_text(input, 'language', 'language', 35, false);
  IF language_tag !~ '^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$' THEN
    PERFORM fr_fail('FR422', 'language must be a BCP 47 language tag, such as my or fil');
  END IF;
  c.language := language_tag;

  -- The complainant (personal data): checked before anything is written.
  person := fr_in_value(input, 'complainant', 'complainant', false);
  IF person IS NOT NULL THEN
    PERFORM fr_in_object(person, 'complainant', ARRAY['name', 'contact', 'sex', 'nationality', 'age_band']);
  END IF;

  c.reference := new_reference;
  c.due_at := now() + make_interval(days => ack_days);
  c.resolution_due_at := now() + make_interval(days => resolve_days);
  INSERT INTO complaint (reference, channel, filed_by, filed_by_user_id, mission, agency_id,
                         agency_name_given, licence_number_given, authority_code, confidential,
                         destination_country, sector, language, description, amount_claimed,
                         amount_claimed_currency, due_at, resolution_due_at)
  VALUES (c.reference, c.channel, c.filed_by, c.filed_by_user_id, c.mission, c.agency_id,
          c.agency_name_given, c.licence_number_given, c.authority_code, c.confidential,
          c.destination_country, c.sector, c.language, c.description, c.amount_claimed,
          c.amount_claimed_currency, c.due_at, c.resolution_due_at)
  RETURNING * INTO c;
  INSERT INTO complaint_category (complaint_id, category) SELECT c.id, unnest(categories);
  IF person IS NOT NULL THEN
    INSERT INTO complainant (complaint_id, name, contact, sex, nationality, age_band)
    VALUES (c.id,
            fr_in_text(person, 'complainant.name', 'name', 200, false),
            fr_in_text(person, 'complainant.contact', 'contact', 200, false),
            coalesce(fr_in_enum(person, 'complainant.sex', 'sex', ARRAY['female', 'male', 'other', 'undisclosed'], false),
                     'undisclosed'),
            fr_in_country(person, 'complainant.nationality', 'nationality', false),
            fr_in_enum(person, 'complainant.age_band', 'age_band',
                       ARRAY['under-18', '18-24', '25-34', '35-44', '45-59', '60+'], false));
  END IF;
  INSERT INTO complaint_event (complaint_id, kind, status, public, user_id)
  VALUES (c.id, 'status_change', 'received', false, actor.id);
  RETURN jsonb_build_object('id', c.id, 'reference', c.reference, 'status', c.status);
END
$$;
COMMENT ON FUNCTION fr_complaint_file(jsonb, text, integer, integer, text) IS
  'Files a complaint from the JSON of POST /v1/complaints with the reference NEW_REFERENCE (made by the server); acknowledgement due in ACK_DAYS, resolution in RESOLVE_DAYS; an unknown agency goes to HOME_AUTHORITY.  Answers {id, reference, status}.';

-- ---------------------------------------------------------------------------
-- What the worker sees.

CREATE FUNCTION pub_complaint_status_get(ref text) RETURNS jsonb
  LANGUAGE sql STABLE
  SECURITY DEFINER
  SET search_path = public, pg_temp
  RETURN (
    SELECT jsonb_build_object(
             'reference', c.reference,
             'status', c.status,
             'filed_on', to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
             'updated_at', fr_time_json(coalesce(h.last_at, c.created_at)),
             'expected_by', to_char(CASE WHEN c.status = 'received' THEN c.due_at
                                         WHEN fr_complaint_is_open(c.status) THEN c.resolution_due_at
                                    END AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
             'history', coalesce(h.items, '[]'))
      FROM complaint AS c
      LEFT JOIN LATERAL (
        SELECT max(e.at) AS last_at,
               jsonb_agg(jsonb_build_object('at', fr_time_json(e.at),
                                            'status', coalesce(e.status, c2.status_then),
                                            'note', CASE WHEN e.public THEN e.note END)
                         ORDER BY e.at, e.id) AS items
          FROM complaint_event AS e
          CROSS JOIN LATERAL (
            SELECT (SELECT s.status FROM complaint_event AS s
                     WHERE s.complaint_id = e.complaint_id AND s.kind = 'status_change'
                       AND (s.at, s.id) <= (e.at, e.id)
                     ORDER BY s.at DESC, s.id DESC LIMIT 1) AS status_then) AS c2
         WHERE e.complaint_id = c.id
           AND (e.kind = 'status_change' OR (e.kind = 'public_note' AND e.public))) AS h ON true
     WHERE c.reference = ref);
REVOKE ALL ON FUNCTION pub_complaint_status_get(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pub_complaint_status_get(text) TO fairreg_public, fairreg_app;
COMMENT ON FUNCTION pub_complaint_status_get(text) IS
  'Public: where the complaint with reference REF stands, {reference, status, filed_on, updated_at, expected_by, history [{at, status, note}]}: status changes and public notes only (a public note shows the status it was written in), never the complainant, the description or internal notes; NULL when there is none.  One reference at a time, so the public role cannot list complaints.';

-- The public role reads a complaint's status through the function only: the
-- views of 0004 it replaces let it list every reference.
DROP VIEW pub_complaint_event;
DROP VIEW pub_complaint_status;

-- ---------------------------------------------------------------------------
-- Staff: read.

CREATE FUNCTION fr_complaint_list(status_filter text, agency_filter bigint, assigned_to_me boolean,
                                  overdue_filter boolean, mission_filter text, before_id bigint,
                                  max_items integer)
  RETURNS jsonb
  LANGUAGE plpgsql STABLE
  SET search_path = public, pg_temp
AS $$
DECLARE
  actor app_user := fr_actor();
BEGIN
  PERFORM fr_require_role(actor, ARRAY['admin', 'inspector', 'attache'], 'read complaints');
  RETURN coalesce((
    SELECT jsonb_agg(fr_complaint_summary_json(c) ORDER BY c.id DESC)
      FROM (SELECT * FROM complaint AS c
             WHERE fr_complaint_visible(c, actor)
               AND (status_filter IS NULL OR c.status = status_filter)
               AND (agency_filter IS NULL OR c.agency_id = agency_filter)
               AND (NOT coalesce(assigned_to_me, false) OR c.assigned_to = actor.id)
               AND (overdue_filter IS NULL OR fr_complaint_overdue(c) = overdue_filter)
               AND (mission_filter IS NULL OR c.mission = mission_filter)
               AND (before_id IS NULL OR c.id < before_id)
             ORDER BY c.id DESC
             LIMIT max_items) AS c), '[]');
END
$$;
COMMENT ON FUNCTION fr_complaint_list(text, bigint, boolean, boolean, text, bigint, integer) IS
  'The complaints the caller may see, newest first, filtered (NULL = no filter), below BEFORE_ID, at most MAX_ITEMS, as summaries.';

CREATE FUNCTION fr_complaint_get(complaint_id bigint) RETURNS jsonb
  LANGUAGE plpgsql STABLE
  SET search_path = public, pg_temp
AS $$
DECLARE
  actor app_user := fr_actor();
BEGIN
  PERFORM fr_require_role(actor, ARRAY['admin', 'inspector', 'attache'], 'read complaints');
  RETURN fr_complaint_json(fr_complaint_fetch(complaint_id, actor, false), actor);
END
$$;
COMMENT ON FUNCTION fr_complaint_get(bigint) IS 'One complaint as the caller may read it (FR404 if they may not see it).';

-- ---------------------------------------------------------------------------
-- Staff: act.

CREATE FUNCTION fr_complaint_assign(complaint_id bigint, input jsonb) RETURNS jsonb
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
AS $$
DECLARE
  actor app_user := fr_actor();
  c complaint;
  assignee app_user;
  assignee_id bigint;
BEGIN
  PERFORM fr_require_role(actor, ARRAY['admin', 'inspector'], 'assign complaints');
  PERFORM fr_in_object(input, 'the assignment', ARRAY['assigned_to', 'note']);
  IF NOT input ? 'assigned_to' THEN
    PERFORM fr_fail('FR422', 'assigned_to is required (a user id, or null to unassign)');
  END IF;
  assignee_id := fr_in_id(input, 'assigned_to', 'assigned_to', false);
  c := fr_complaint_fetch(complaint_id, actor, true);
  IF NOT fr_complaint_is_open(c.status) THEN
    PERFORM fr_fail('FR409', format('the complaint is %s (closed): it cannot be assigned', c.status));
  END IF;
  IF assignee_id IS NOT NULL THEN
    SELECT * INTO assignee FROM app_user WHERE id = assignee_id;
    IF NOT FOUND OR assignee.disabled OR assignee.role NOT IN ('inspector', 'admin') THEN
      PERFORM fr_fail('FR422', 'assigned_to must be an active inspector or administrator');
    END IF;
    IF assignee.role = 'inspector' AND assignee.org IS DISTINCT FROM c.authority_code THEN
      PERFORM fr_fail('FR422', 'assigned_to must be an inspector of the complaint''s authority');
    END IF;
  END IF;
  IF c.assigned_to IS NOT DISTINCT FROM assignee_id THEN
    RETURN fr_complaint_json(c, actor);
  END IF;
  UPDATE complaint SET assigned_to = assignee_id WHERE id = c.id RETURNING * INTO c;
  INSERT INTO complaint_event (complaint_id, kind, status, note, public, user_id)
  VALUES (c.id, 'assignment', c.status,
          coalesce(fr_in_text(input, 'note', 'note', 2000, false),
                   CASE WHEN assignee_id IS NULL THEN 'unassigned'
                        ELSE format('assigned to %s (user %s)', assignee.name, assignee.id) END),
          false, actor.id);
  RETURN fr_complaint_json(c, actor);
END
$$;
COMMENT ON FUNCTION fr_complaint_assign(bigint, jsonb) IS
  'Assigns an open complaint to an inspector of its authority (or an admin), or unassigns it ({"assigned_to": null}), with an assignment event.';

CREATE FUNCTION fr_complaint_move(complaint_id bigint, input jsonb) RETURNS jsonb
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
AS $$
DECLARE
  actor app_user := fr_actor();
  c complaint;
  next_status text;
  public_note text;
  internal_note text;
  new_outcome text;
  money record;
  new_referral_to text;
  new_referral_reason text;
BEGIN
  PERFORM fr_require_role(actor, ARRAY['admin', 'inspector', 'attache'], 'change the status of complaints');
  PERFORM fr_in_object(input, 'the status change',
    ARRAY['status', 'public_note', 'internal_note', 'outcome', 'remedy', 'referral_to', 'referral_reason']);
  next_status := fr_in_enum(input, 'status', 'status',
    ARRAY['received', 'acknowledged', 'investigating', 'conciliation', 'resolved', 'referred', 'dismissed', 'withdrawn'], true);
  public_note := fr_in_text(input, 'public_note', 'public_note', 2000, false);
  internal_note := fr_in_text(input, 'internal_note', 'internal_note', 4000, false);
  new_outcome := fr_in_enum(input, 'outcome', 'outcome',
    ARRAY['substantiated', 'partly_substantiated', 'unsubstantiated', 'settled', 'not_pursued'], false);
  SELECT * INTO money FROM fr_in_money(input, 'remedy', 'remedy');
  new_referral_to := fr_in_enum(input, 'referral_to', 'referral_to',
    ARRAY['police', 'anti_trafficking', 'labour_ministry', 'other_ministry', 'embassy', 'trade_union', 'ngo', 'other'], false);
  new_referral_reason := fr_in_text(input, 'referral_reason', 'referral_reason', 2000, false);

  c := fr_complaint_fetch(complaint_id, actor, true);
  IF actor.role = 'attache' AND next_status <> 'withdrawn' THEN
    PERFORM fr_fail('FR403', 'an attaché may only withdraw a complaint (at the worker''s request); the authority moves it otherwise');
  END IF;
  IF next_status = 'resolved' AND new_outcome IS NULL THEN
    PERFORM fr_fail('FR422', 'outcome is required to resolve a complaint');
  END IF;
  IF new_outcome IS NOT NULL AND next_status NOT IN ('resolved', 'dismissed') THEN
    PERFORM fr_fail('FR422', 'outcome is given only when resolving or dismissing');
  END IF;
  IF money.amount IS NOT NULL AND next_status <> 'resolved' THEN
    PERFORM fr_fail('FR422', 'remedy is given only when resolving');
  END IF;
  IF next_status = 'referred' AND (new_referral_to IS NULL OR new_referral_reason IS NULL) THEN
    PERFORM fr_fail('FR422', 'referral_to and referral_reason are required to refer a complaint');
  END IF;
  IF next_status <> 'referred' AND (new_referral_to IS NOT NULL OR new_referral_reason IS NOT NULL) THEN
    PERFORM fr_fail('FR422', 'referral_to and referral_reason are given only when referring');
  END IF;
  IF next_status = 'dismissed' AND public_note IS NULL AND internal_note IS NULL THEN
    PERFORM fr_fail('FR422', 'say why in public_note or internal_note when dismissing a complaint');
  END IF;

  -- The transition itself is checked by the trigger (FR001 with the allowed
  -- next statuses); it also stamps acknowledged_at and closed_at.
  UPDATE complaint
     SET status = next_status,
         outcome = coalesce(new_outcome, complaint.outcome),
         remedy_amount = coalesce(money.amount, complaint.remedy_amount),
         remedy_currency = coalesce(money.currency, complaint.remedy_currency),
         referral_to = coalesce(new_referral_to, complaint.referral_to),
         referral_reason = coalesce(new_referral_reason, complaint.referral_reason)
   WHERE id = c.id
  RETURNING * INTO c;
  INSERT INTO complaint_event (complaint_id, kind, status, note, public, user_id)
  VALUES (c.id, 'status_change', next_status, public_note, public_note IS NOT NULL, actor.id);
  IF next_status = 'referred' THEN
    INSERT INTO complaint_event (complaint_id, kind, status, note, public, user_id)
    VALUES (c.id, 'referral', next_status, format('referred to %s: %s', new_referral_to, new_referral_reason), false, actor.id);
  END IF;
  IF internal_note IS NOT NULL THEN
    INSERT INTO complaint_event (complaint_id, kind, status, note, public, user_id)
    VALUES (c.id, 'internal_note', next_status, internal_note, false, actor.id);
  END IF;
  RETURN fr_complaint_json(c, actor);
END
$$;
COMMENT ON FUNCTION fr_complaint_move(bigint, jsonb) IS
  'Moves a complaint to the next status (FR001 if the move is not allowed), with its public note (shown to the worker), internal note, outcome and remedy (resolved), or referral (referred); writes the events.  Attachés may only withdraw.';

CREATE FUNCTION fr_complaint_note(complaint_id bigint, input jsonb) RETURNS jsonb
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
AS $$
DECLARE
  actor app_user := fr_actor();
  c complaint;
  note_text text;
  is_public boolean;
BEGIN
  PERFORM fr_require_role(actor, ARRAY['admin', 'inspector', 'attache'], 'note complaints');
  PERFORM fr_in_object(input, 'the note', ARRAY['note', 'public']);
  note_text := fr_in_text(input, 'note', 'note', 4000, true);
  is_public := fr_in_bool(input, 'public', 'public');
  IF is_public IS NULL THEN
    PERFORM fr_fail('FR422', 'public is required: true shows the note to the worker, false keeps it internal');
  END IF;
  c := fr_complaint_fetch(complaint_id, actor, true);
  INSERT INTO complaint_event (complaint_id, kind, status, note, public, user_id)
  VALUES (c.id, CASE WHEN is_public THEN 'public_note' ELSE 'internal_note' END, c.status, note_text, is_public, actor.id);
  UPDATE complaint SET updated_at = now() WHERE id = c.id RETURNING * INTO c;
  RETURN fr_complaint_json(c, actor);
END
$$;
COMMENT ON FUNCTION fr_complaint_note(bigint, jsonb) IS
  'Adds a public note (shown to the worker on the status page) or an internal note to a complaint.';

CREATE FUNCTION fr_complaint_update(complaint_id bigint, input jsonb) RETURNS jsonb
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
AS $$
DECLARE
  actor app_user := fr_actor();
  c complaint;
  new_agency bigint;
  new_licence bigint;
  new_inspection bigint;
  new_authority text;
  licence_row licence;
BEGIN
  PERFORM fr_require_role(actor, ARRAY['admin', 'inspector'], 'change complaints');
  PERFORM fr_in_object(input, 'the change', ARRAY['priority', 'agency_id', 'licence_id', 'inspection_id', 'authority']);
  IF input = '{}' THEN
    PERFORM fr_fail('FR422', 'send at least one of priority, agency_id, licence_id, inspection_id, authority');
  END IF;
  c := fr_complaint_fetch(complaint_id, actor, true);

  IF input ? 'priority' THEN
    c.priority := fr_in_enum(input, 'priority', 'priority', ARRAY['low', 'normal', 'high', 'urgent'], true);
  END IF;

  -- Linking the agency (and licence) the worker meant moves the case to the
  -- authority that licenses it.
  new_agency := fr_in_id(input, 'agency_id', 'agency_id', false);
  new_licence := fr_in_id(input, 'licence_id', 'licence_id', false);
  IF new_licence IS NOT NULL THEN
    SELECT * INTO licence_row FROM licence WHERE id = new_licence;
    IF NOT FOUND THEN
      PERFORM fr_fail('FR422', 'licence_id names no licence');
    END IF;
    IF new_agency IS NOT NULL AND new_agency <> licence_row.agency_id THEN
      PERFORM fr_fail('FR422', 'licence_id is a licence of another agency than agency_id');
    END IF;
    c.licence_id := licence_row.id;
    c.agency_id := licence_row.agency_id;
    c.authority_code := licence_row.authority_code;
  ELSIF new_agency IS NOT NULL THEN
    IF NOT EXISTS (SELECT FROM agency WHERE id = new_agency) THEN
      PERFORM fr_fail('FR422', 'agency_id names no registered agency');
    END IF;
    IF c.agency_id IS DISTINCT FROM new_agency THEN
      c.licence_id := NULL;
    END IF;
    c.agency_id := new_agency;
    c.authority_code := coalesce(
      (SELECT a.authority_code FROM agency AS a WHERE a.id = new_agency),
      (SELECT l.authority_code FROM licence AS l WHERE l.agency_id = new_agency ORDER BY l.id LIMIT 1),
      c.authority_code);
  END IF;

  IF input ? 'authority' THEN
    IF actor.role <> 'admin' THEN
      PERFORM fr_fail('FR403', 'only an administrator hands a complaint to another authority');
    END IF;
    new_authority := fr_in_text(input, 'authority', 'authority', 32, true);
    IF NOT EXISTS (SELECT FROM authority WHERE code = new_authority) THEN
      PERFORM fr_fail('FR422', 'authority names no authority of this registry');
    END IF;
    c.authority_code := new_authority;
  END IF;

  IF input ? 'inspection_id' THEN
    new_inspection := fr_in_id(input, 'inspection_id', 'inspection_id', false);
    IF new_inspection IS NOT NULL AND NOT EXISTS (SELECT FROM inspection WHERE id = new_inspection) THEN
      PERFORM fr_fail('FR422', 'inspection_id names no inspection');
    END IF;
    c.inspection_id := new_inspection;
  END IF;

  UPDATE complaint
     SET priority = c.priority, agency_id = c.agency_id, licence_id = c.licence_id,
         authority_code = c.authority_code, inspection_id = c.inspection_id
   WHERE id = c.id
  RETURNING * INTO c;
  -- The caller may have handed the case to another authority: answer what
  -- they may still see.
  IF NOT fr_complaint_visible(c, actor) THEN
    RETURN fr_complaint_summary_json(c);
  END IF;
  RETURN fr_complaint_json(c, actor);
END
$$;
COMMENT ON FUNCTION fr_complaint_update(bigint, jsonb) IS
  'Changes a complaint''s priority, links it to an agency, a licence (which moves it to the licensing authority) or an inspection; admins may hand it to another authority.';

-- ---------------------------------------------------------------------------
-- Privileges.

DO $$
DECLARE
  f regprocedure;
BEGIN
  FOR f IN SELECT p.oid::regprocedure FROM pg_proc AS p
            WHERE p.pronamespace = 'public'::regnamespace
              AND p.proname IN ('fr_complaint_file', 'fr_complaint_list', 'fr_complaint_get', 'fr_complaint_assign',
                                'fr_complaint_move', 'fr_complaint_note', 'fr_complaint_update')
  LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO fairreg_app', f);
  END LOOP;
END
$$;

-- ---------------------------------------------------------------------------
-- The referral reason is free text about the worker's situation: like the
-- description and the notes, it never reaches the audit log.

CREATE OR REPLACE FUNCTION fr_audit_masked_columns(entity text) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE entity
    WHEN 'complainant'     THEN ARRAY['name', 'contact', 'sex', 'nationality', 'age_band']
    WHEN 'complaint'       THEN ARRAY['description', 'referral_reason']
    WHEN 'complaint_event' THEN ARRAY['note']
    WHEN 'app_user'        THEN ARRAY['password_hash']
    WHEN 'api_token'       THEN ARRAY['token_hash']
  END;
