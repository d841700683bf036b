-- 0060_inspections_sanctions: inspections, sanctions and direct licence
-- status changes, as functions the server calls (the pattern of
-- 0051_complaints: strict input with the fr_in_* readers, the caller from
-- fr_actor() and checked, writes in the caller's transaction, a JSON answer;
-- refusals are fr_fail('FR403' | 'FR404' | 'FR409' | 'FR422', message) whose
-- messages name fields, never values).
--
-- Who sees and does what (DESIGN.md section 5):
--   admin      every inspection and sanction; any agency or licence
--   inspector  the inspections of their own authority (inspection.authority_code
--              = their org), which is the authority of every inspection they
--              plan; the sanctions their authority decided or that touch a
--              licence their authority issued; they sanction only agencies and
--              licences their authority licenses, and change the status only
--              of licences their authority issued
--   attache,
--   analyst    none (the routes refuse them with 403)
-- An inspection or sanction another user may not see answers FR404, as if it
-- did not exist.  A body field naming something the caller may not see
-- (complaint_id, inspection_id) is refused like an unknown id: FR422.
--
-- The effective status of a licence stays computed in exactly one place,
-- licence_effective (0004).  A sanction changes it by existing; what this
-- file adds is the record: whoever records or lifts a sanction compares every
-- covered licence's effective status before and after, and appends a
-- licence_status_history row (source 'sanction') for each one that changed,
-- in the same transaction, so the public lookup, the exports and the change
-- feed (GET /v1/changes reads pub_licence_history) show it at once.  A
-- direct status change by a user sets licence.listed_status and appends a
-- row with source 'user'.  The register tables' triggers (0020, 0025) move
-- register_version in the same transactions, so no cached answer is stale.
--
-- What this file records are the changes effective on the day of the write.
-- A suspension decided today with effective_from next month (or a period that
-- ends later by effective_until) changes the effective status on that day
-- without any write here, as does a licence expiring by valid_until: those
-- rows are appended on the day by the servers' date-transitions recorder
-- (0090_date_transitions.sql).

-- ---------------------------------------------------------------------------
-- Shared input reader.

CREATE FUNCTION fr_in_id_list(input jsonb, field text, key text, max_items integer, required boolean)
  RETURNS bigint[]
  LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  v jsonb := fr_in_value(input, field, key, required);
  ids bigint[];
BEGIN
  IF v IS NULL THEN
    RETURN NULL;
  END IF;
  IF jsonb_typeof(v) <> 'array' OR jsonb_array_length(v) = 0 OR jsonb_array_length(v) > max_items THEN
    PERFORM fr_fail('FR422', format('%s must be an array of 1 to %s ids', field, max_items));
  END IF;
  IF EXISTS (SELECT FROM jsonb_array_elements(v) AS e
              WHERE jsonb_typeof(e) <> 'number' OR (e #>> '{}') !~ '^[1-9][0-9]{0,17}$') THEN
    PERFORM fr_fail('FR422', format('%s may hold only positive whole numbers (ids)', field));
  END IF;
  SELECT array_agg((e #>> '{}')::bigint ORDER BY (e #>> '{}')::bigint) INTO ids FROM jsonb_array_elements(v) AS e;
  IF cardinality(ids) <> (SELECT count(DISTINCT i) FROM unnest(ids) AS i) THEN
    PERFORM fr_fail('FR422', format('%s names an id twice', field));
  END IF;
  RETURN ids;
END
$$;
COMMENT ON FUNCTION fr_in_id_list(jsonb, text, text, integer, boolean) IS
  'A non-empty array of at most MAX_ITEMS distinct positive ids, sorted.';

-- ---------------------------------------------------------------------------
-- Inspections: who sees which.

CREATE FUNCTION fr_inspection_visible(i inspection, actor app_user) RETURNS boolean
  LANGUAGE sql STABLE
  RETURN CASE actor.role
           WHEN 'admin' THEN true
           WHEN 'inspector' THEN actor.org IS NOT NULL AND i.authority_code = actor.org
           ELSE false
         END;
COMMENT ON FUNCTION fr_inspection_visible(inspection, app_user) IS
  'Whether ACTOR may see inspection I: admins all, inspectors those of their authority.';

CREATE FUNCTION fr_inspection_fetch(inspection_id bigint, actor app_user, for_update boolean)
  RETURNS inspection
  LANGUAGE plpgsql
AS $$
DECLARE
  i inspection;
BEGIN
  IF for_update THEN
    SELECT * INTO i FROM inspection WHERE id = inspection_id FOR UPDATE;
  ELSE
    SELECT * INTO i FROM inspection WHERE id = inspection_id;
  END IF;
  IF NOT FOUND OR NOT fr_inspection_visible(i, actor) THEN
    PERFORM fr_fail('FR404', 'no inspection with that id that you may see');
  END IF;
  RETURN i;
END
$$;
COMMENT ON FUNCTION fr_inspection_fetch(bigint, app_user, boolean) IS
  'The inspection by id if ACTOR may see it (locked when FOR_UPDATE); FR404 otherwise.';

CREATE FUNCTION fr_inspection_follow_up_overdue(i inspection) RETURNS boolean
  LANGUAGE sql STABLE
  RETURN coalesce(i.status = 'closed' AND i.follow_up_due < current_date
                  AND NOT EXISTS (SELECT FROM inspection AS f
                                   WHERE f.agency_id = i.agency_id AND f.id <> i.id
                                     AND f.kind = 'follow_up' AND f.status = 'closed' AND f.done_on >= i.done_on),
                  false);
COMMENT ON FUNCTION fr_inspection_follow_up_overdue(inspection) IS
  'A closed inspection whose follow_up_due has passed without a follow_up inspection of the same agency closed since it was done.';

-- The inspectors of an inspection must be active inspectors of its authority.
CREATE FUNCTION fr_inspection_check_inspectors(ids bigint[], authority text) RETURNS void
  LANGUAGE plpgsql STABLE
AS $$
BEGIN
  IF EXISTS (SELECT FROM unnest(ids) AS u (id)
               LEFT JOIN app_user AS au ON au.id = u.id
              WHERE au.id IS NULL OR au.disabled OR au.role <> 'inspector'
                 OR au.org IS DISTINCT FROM authority) THEN
    PERFORM fr_fail('FR422', 'inspectors must be ids of active inspectors of the inspection''s authority');
  END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- Inspections: answers.

CREATE FUNCTION fr_inspection_summary_json(i inspection) RETURNS jsonb
  LANGUAGE sql STABLE
  RETURN jsonb_build_object(
    'id', i.id,
    'agency', (SELECT jsonb_build_object('id', a.id, 'name', a.name) FROM agency AS a WHERE a.id = i.agency_id),
    'branch', (SELECT jsonb_build_object('id', b.id, 'address', b.address, 'city', b.city, 'country', b.country)
                 FROM agency_branch AS b WHERE b.id = i.branch_id),
    'authority', i.authority_code,
    'kind', i.kind,
    'status', i.status,
    'planned_on', i.planned_on,
    'done_on', i.done_on,
    'follow_up_due', i.follow_up_due,
    'follow_up_overdue', fr_inspection_follow_up_overdue(i),
    'inspectors', coalesce((SELECT jsonb_agg(fr_user_ref(ii.user_id) ORDER BY ii.user_id)
                              FROM inspection_inspector AS ii WHERE ii.inspection_id = i.id), '[]'),
    'breaches', (SELECT count(*) FROM inspection_finding AS f WHERE f.inspection_id = i.id AND f.result = 'breach'),
    'updated_at', fr_time_json(i.updated_at));
COMMENT ON FUNCTION fr_inspection_summary_json(inspection) IS 'An inspection in staff lists: no outcome, no findings.';

CREATE FUNCTION fr_inspection_json(i inspection, actor app_user) RETURNS jsonb
  LANGUAGE sql STABLE
  RETURN fr_inspection_summary_json(i) || jsonb_build_object(
    'outcome', i.outcome,
    'created_by', fr_user_ref(i.created_by),
    'created_at', fr_time_json(i.created_at),
    'findings', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                   'item', f.item_code, 'title', ci.title, 'result', f.result, 'note', f.note,
                                   'recorded_by', fr_user_ref(f.recorded_by), 'updated_at', fr_time_json(f.updated_at))
                                   ORDER BY ci.sort_order)
                            FROM inspection_finding AS f
                            JOIN checklist_item AS ci ON ci.code = f.item_code
                           WHERE f.inspection_id = i.id), '[]'),
    'complaints', coalesce((SELECT jsonb_agg(jsonb_build_object('id', c.id, 'reference', c.reference, 'status', c.status)
                                             ORDER BY c.id)
                              FROM complaint AS c
                             WHERE c.inspection_id = i.id AND fr_complaint_visible(c, actor)), '[]'));
COMMENT ON FUNCTION fr_inspection_json(inspection, app_user) IS
  'An inspection with its outcome, findings (checklist order) and the complaints linked to it that ACTOR may see.';

-- ---------------------------------------------------------------------------
-- Inspections: the checklist.

CREATE FUNCTION fr_checklist() RETURNS jsonb
  LANGUAGE plpgsql STABLE
  SET search_path = public, pg_temp
AS $$
BEGIN
  PERFORM fr_require_role(fr_actor(), ARRAY['admin', 'inspector', 'attache', 'analyst'], 'read the checklist');
  RETURN coalesce((SELECT jsonb_agg(jsonb_build_object('code', ci.code, 'title', ci.title,
                                                        'ilo_principle', ci.ilo_principle,
                                                        'ilo_reference', ci.ilo_reference,
                                                        'guidance', ci.guidance)
                                    ORDER BY ci.sort_order)
                     FROM checklist_item AS ci WHERE ci.active), '[]');
END
$$;
COMMENT ON FUNCTION fr_checklist() IS 'The active checklist items in their order: [{code, title, ilo_principle, ilo_reference, guidance}].';

-- ---------------------------------------------------------------------------
-- Inspections: plan, read, change, record, close.

CREATE FUNCTION fr_inspection_plan(input jsonb) RETURNS jsonb
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
AS $$
DECLARE
  actor app_user := fr_actor();
  i inspection;
  c complaint;
  complaint_ref bigint;
  inspector_ids bigint[];
  given_authority text;
BEGIN
  PERFORM fr_require_role(actor, ARRAY['admin', 'inspector'], 'plan inspections');
  PERFORM fr_in_object(input, 'the inspection',
    ARRAY['agency_id', 'branch_id', 'kind', 'planned_on', 'inspectors', 'complaint_id', 'authority']);
  i.agency_id := fr_in_id(input, 'agency_id', 'agency_id', true);
  i.branch_id := fr_in_id(input, 'branch_id', 'branch_id', false);
  i.kind := fr_in_enum(input, 'kind', 'kind',
    ARRAY['routine', 'unannounced', 'complaint_driven', 'follow_up', 'pre_licensing'], false);
  i.planned_on := fr_in_date(input, 'planned_on', 'planned_on', true);
  complaint_ref := fr_in_id(input, 'complaint_id', 'complaint_id', false);
  inspector_ids := fr_in_id_list(input, 'inspectors', 'inspectors', 20, actor.role <> 'inspector');
  given_authority := fr_in_text(input, 'authority', 'authority', 32, false);
  IF i.kind IS NULL THEN
    IF complaint_ref IS NULL THEN
      PERFORM fr_fail('FR422', 'kind is required (it defaults to complaint_driven only with complaint_id)');
    END IF;
    i.kind := 'complaint_driven';
  END IF;

  IF NOT EXISTS (SELECT FROM agency WHERE id = i.agency_id) THEN
    PERFORM fr_fail('FR422', 'agency_id names no registered agency');
  END IF;
  IF i.branch_id IS NOT NULL
     AND NOT EXISTS (SELECT FROM agency_branch WHERE id = i.branch_id AND agency_id = i.agency_id) THEN
    PERFORM fr_fail('FR422', 'branch_id names no branch of that agency');
  END IF;

  -- The inspecting authority: an inspector's own; for an administrator the
  -- one named, or the agency's.
  IF actor.role = 'inspector' THEN
    IF actor.org IS NULL THEN
      PERFORM fr_fail('FR403', 'your account has no authority (org); an administrator must set it');
    END IF;
    IF given_authority IS NOT NULL AND given_authority <> actor.org THEN
      PERFORM fr_fail('FR403', 'an inspector plans inspections for their own authority only');
    END IF;
    i.authority_code := actor.org;
    inspector_ids := coalesce(inspector_ids, ARRAY[actor.id]);
  ELSE
    i.authority_code := coalesce(given_authority,
      (SELECT a.authority_code FROM agency AS a WHERE a.id = i.agency_id),
      (SELECT l.authority_code FROM licence AS l WHERE l.agency_id = i.agency_id ORDER BY l.id LIMIT 1));
    IF i.authority_code IS NULL THEN
      PERFORM fr_fail('FR422', 'authority is required: the agency has no licensing authority to default to');
    END IF;
  END IF;
  IF NOT EXISTS (SELECT FROM authority WHERE code = i.authority_code) THEN
    PERFORM fr_fail('FR422', 'authority names no authority of this registry');
  END IF;
  PERFORM fr_inspection_check_inspectors(inspector_ids, i.authority_code);

  IF complaint_ref IS NOT NULL THEN
    SELECT * INTO c FROM complaint WHERE id = complaint_ref FOR UPDATE;
    IF NOT FOUND OR NOT fr_complaint_visible(c, actor) THEN
      PERFORM fr_fail('FR422', 'complaint_id names no complaint that you may see');
    END IF;
    IF c.agency_id IS NOT NULL AND c.agency_id <> i.agency_id THEN
      PERFORM fr_fail('FR422', 'complaint_id is a complaint about another agency than agency_id');
    END IF;
  END IF;

  INSERT INTO inspection (agency_id, branch_id, authority_code, kind, planned_on, created_by)
  VALUES (i.agency_id, i.branch_id, i.authority_code, i.kind, i.planned_on, actor.id)
  RETURNING * INTO i;
  INSERT INTO inspection_inspector (inspection_id, user_id) SELECT i.id, unnest(inspector_ids);
  IF complaint_ref IS NOT NULL THEN
    UPDATE complaint SET inspection_id = i.id WHERE id = c.id;
    INSERT INTO complaint_event (complaint_id, kind, status, note, public, user_id)
    VALUES (c.id, 'internal_note', c.status, format('inspection %s planned for %s', i.id, i.planned_on), false, actor.id);
  END IF;
  RETURN fr_inspection_json(i, actor);
END
$$;
COMMENT ON FUNCTION fr_inspection_plan(jsonb) IS
  'Plans an inspection from the JSON of POST /v1/inspections: {agency_id, branch_id, kind, planned_on, inspectors, complaint_id, authority}.  With complaint_id the kind defaults to complaint_driven and the complaint is linked to the inspection.  Answers the inspection.';

CREATE FUNCTION fr_inspection_list(agency_filter bigint, status_filter text, due_before date,
                                   follow_up_overdue_filter boolean, mine boolean, before_id bigint,
                                   max_items integer)
  RETURNS jsonb
  LANGUAGE plpgsql STABLE
  SET search_path = public, pg_temp
AS $$
DECLARE
  actor app_user := fr_actor();
BEGIN
  PERFORM fr_require_role(actor, ARRAY['admin', 'inspector'], 'read inspections');
  RETURN coalesce((
    SELECT jsonb_agg(fr_inspection_summary_json(i) ORDER BY i.id DESC)
      FROM (SELECT * FROM inspection AS i
             WHERE fr_inspection_visible(i, actor)
               AND (agency_filter IS NULL OR i.agency_id = agency_filter)
               AND (status_filter IS NULL OR i.status = status_filter)
               AND (due_before IS NULL OR i.planned_on <= due_before)
               AND (follow_up_overdue_filter IS NULL
                    OR fr_inspection_follow_up_overdue(i) = follow_up_overdue_filter)
               AND (NOT coalesce(mine, false)
                    OR EXISTS (SELECT FROM inspection_inspector AS ii
                                WHERE ii.inspection_id = i.id AND ii.user_id = actor.id))
               AND (before_id IS NULL OR i.id < before_id)
             ORDER BY i.id DESC
             LIMIT max_items) AS i), '[]');
END
$$;
COMMENT ON FUNCTION fr_inspection_list(bigint, text, date, boolean, boolean, bigint, integer) IS
  'The inspections the caller may see, newest first, filtered (NULL = no filter; DUE_BEFORE: planned on or before), below BEFORE_ID, at most MAX_ITEMS, as summaries.';

CREATE FUNCTION fr_inspection_get(inspection_id bigint) RETURNS jsonb
  LANGUAGE plpgsql STABLE
  SET search_path = public, pg_temp
AS $$
DECLARE
  actor app_user := fr_actor();
BEGIN
  PERFORM fr_require_role(actor, ARRAY['admin', 'inspector'], 'read inspections');
  RETURN fr_inspection_json(fr_inspection_fetch(inspection_id, actor, false), actor);
END
$$;
COMMENT ON FUNCTION fr_inspection_get(bigint) IS 'One inspection with its findings (FR404 if the caller may not see it).';

-- The inspection to change, locked; FR409 once it is closed or cancelled.
CREATE FUNCTION fr_inspection_fetch_open(inspection_id bigint, actor app_user) RETURNS inspection
  LANGUAGE plpgsql
AS $$
DECLARE
  i inspection := fr_inspection_fetch(inspection_id, actor, true);
BEGIN
  IF i.status NOT IN ('planned', 'in_progress') THEN
    PERFORM fr_fail('FR409', format('the inspection is %s: it is read-only', i.status));
  END IF;
  RETURN i;
END
$$;

CREATE FUNCTION fr_inspection_update(inspection_id bigint, input jsonb) RETURNS jsonb
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
AS $$
DECLARE
  actor app_user := fr_actor();
  i inspection;
  new_status text;
  new_planned date;
  inspector_ids bigint[];
BEGIN
  PERFORM fr_require_role(actor, ARRAY['admin', 'inspector'], 'change inspections');
  PERFORM fr_in_object(input, 'the change', ARRAY['planned_on', 'inspectors', 'status']);
  IF input = '{}' THEN
    PERFORM fr_fail('FR422', 'send at least one of planned_on, inspectors, status');
  END IF;
  new_planned := fr_in_date(input, 'planned_on', 'planned_on', input ? 'planned_on');
  inspector_ids := fr_in_id_list(input, 'inspectors', 'inspectors', 20, input ? 'inspectors');
  new_status := fr_in_enum(input, 'status', 'status', ARRAY['in_progress', 'cancelled'], input ? 'status');
  i := fr_inspection_fetch_open(inspection_id, actor);

  IF inspector_ids IS NOT NULL THEN
    PERFORM fr_inspection_check_inspectors(inspector_ids, i.authority_code);
    DELETE FROM inspection_inspector AS ii
     WHERE ii.inspection_id = i.id AND NOT ii.user_id = ANY (inspector_ids);
    INSERT INTO inspection_inspector (inspection_id, user_id)
    SELECT i.id, u FROM unnest(inspector_ids) AS u
    ON CONFLICT DO NOTHING;
  END IF;
  UPDATE inspection
     SET planned_on = coalesce(new_planned, inspection.planned_on),
         status = coalesce(new_status, inspection.status)
   WHERE id = i.id
  RETURNING * INTO i;
  RETURN fr_inspection_json(i, actor);
END
$$;
COMMENT ON FUNCTION fr_inspection_update(bigint, jsonb) IS
  'Changes a planned or in-progress inspection (FR409 otherwise): planned_on, inspectors (the whole set), status in_progress (start) or cancelled.';

CREATE FUNCTION fr_inspection_record_finding(inspection_id bigint, item text, input jsonb) RETURNS jsonb
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
AS $$
DECLARE
  actor app_user := fr_actor();
  i inspection;
  result_word text;
  note_text text;
BEGIN
  PERFORM fr_require_role(actor, ARRAY['admin', 'inspector'], 'record inspection findings');
  PERFORM fr_in_object(input, 'the finding', ARRAY['result', 'note']);
  result_word := fr_in_enum(input, 'result', 'result', ARRAY['compliant', 'breach', 'not_applicable'], true);
  note_text := fr_in_text(input, 'note', 'note', 4000, false);
  i := fr_inspection_fetch(inspection_id, actor, true);
  IF NOT EXISTS (SELECT FROM checklist_item AS ci WHERE ci.code = item AND ci.active) THEN
    PERFORM fr_fail('FR422', 'item names no active checklist item (see GET /v1/checklist)');
  END IF;
  i := fr_inspection_fetch_open(inspection_id, actor);
  INSERT INTO inspection_finding (inspection_id, item_code, result, note, recorded_by)
  VALUES (i.id, item, result_word, note_text, actor.id)
  ON CONFLICT ON CONSTRAINT inspection_finding_pkey DO UPDATE
     SET result = EXCLUDED.result, note = EXCLUDED.note, recorded_by = EXCLUDED.recorded_by;
  UPDATE inspection SET updated_at = now() WHERE id = i.id RETURNING * INTO i;
  RETURN fr_inspection_json(i, actor);
END
$$;
COMMENT ON FUNCTION fr_inspection_record_finding(bigint, text, jsonb) IS
  'Records (or replaces) the finding {result, note} for checklist item ITEM of a planned or in-progress inspection.';

CREATE FUNCTION fr_inspection_close(inspection_id bigint, input jsonb) RETURNS jsonb
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
AS $$
DECLARE
  actor app_user := fr_actor();
  i inspection;
  outcome_text text;
  done date;
  follow_up date;
BEGIN
  PERFORM fr_require_role(actor, ARRAY['admin', 'inspector'], 'close inspections');
  PERFORM fr_in_object(input, 'the closing', ARRAY['outcome', 'done_on', 'follow_up_due']);
  outcome_text := fr_in_text(input, 'outcome', 'outcome', 10000, true);
  done := coalesce(fr_in_date(input, 'done_on', 'done_on', false), current_date);
  follow_up := fr_in_date(input, 'follow_up_due', 'follow_up_due', false);
  IF done > current_date THEN
    PERFORM fr_fail('FR422', 'done_on must not be in the future');
  END IF;
  IF follow_up < done THEN
    PERFORM fr_fail('FR422', 'follow_up_due must not be before done_on');
  END IF;
  i := fr_inspection_fetch_open(inspection_id, actor);
  UPDATE inspection
     SET status = 'closed', done_on = done, outcome = outcome_text, follow_up_due = follow_up
   WHERE id = i.id
  RETURNING * INTO i;
  RETURN fr_inspection_json(i, actor);
END
$$;
COMMENT ON FUNCTION fr_inspection_close(bigint, jsonb) IS
  'Closes a planned or in-progress inspection with {outcome, done_on (default today), follow_up_due}; a closed inspection is read-only.';

-- ---------------------------------------------------------------------------
-- Sanctions: who sees which, demerit points.

CREATE FUNCTION fr_sanction_visible(s sanction, actor app_user) RETURNS boolean
  LANGUAGE sql STABLE
  RETURN CASE actor.role
           WHEN 'admin' THEN true
           WHEN 'inspector' THEN actor.org IS NOT NULL
                                 AND (s.authority_code = actor.org
                                      OR EXISTS (SELECT FROM licence AS l
                                                  WHERE l.authority_code = actor.org
                                                    AND (l.id = s.licence_id OR l.agency_id = s.agency_id)))
           ELSE false
         END;
COMMENT ON FUNCTION fr_sanction_visible(sanction, app_user) IS
  'Whether ACTOR may see sanction S: admins all; inspectors those their authority decided or that touch a licence it issued.';

CREATE FUNCTION fr_agency_demerit_points(for_agency bigint) RETURNS integer
  LANGUAGE sql STABLE
  RETURN (SELECT coalesce(sum(ss.points), 0)::integer
            FROM sanction_status AS ss
           WHERE ss.target_agency_id = for_agency
             AND ss.kind = 'demerit_points'
             AND ss.decided_on >= (current_date - interval '24 months')::date
             AND ss.decided_on <= current_date
             AND (ss.lifted_on IS NULL OR ss.lifted_on > current_date));
COMMENT ON FUNCTION fr_agency_demerit_points(bigint) IS
  'The demerit points in force on an agency (on it or on its licences): decided in the last 24 months and not lifted by today.';

CREATE FUNCTION fr_agency_standing_json(for_agency bigint, surveillance_points integer, suspension_points integer)
  RETURNS jsonb
  LANGUAGE sql STABLE
  RETURN (SELECT jsonb_build_object(
                   'agency', jsonb_build_object('id', a.id, 'name', a.name),
                   'in_good_standing', st.in_good_standing,
                   'points', p.points,
                   'surveillance', p.points >= surveillance_points,
                   'suspension_proposed', p.points >= suspension_points,
                   'thresholds', jsonb_build_object('surveillance', surveillance_points,
                                                    'suspension', suspension_points))
            FROM agency AS a
            JOIN agency_standing AS st ON st.agency_id = a.id
            CROSS JOIN LATERAL (SELECT fr_agency_demerit_points(a.id) AS points) AS p
           WHERE a.id = for_agency);
COMMENT ON FUNCTION fr_agency_standing_json(bigint, integer, integer) IS
  'An agency''s standing for staff: {agency, in_good_standing, points (demerit points in force), surveillance, suspension_proposed, thresholds}; the thresholds come from the server''s configuration.';

CREATE FUNCTION fr_sanction_json(sanction_id bigint) RETURNS jsonb
  LANGUAGE sql STABLE
  RETURN (SELECT jsonb_build_object(
                   'id', ss.id, 'kind', ss.kind,
                   'agency', jsonb_build_object('id', a.id, 'name', a.name),
                   'licence', (SELECT jsonb_build_object('id', l.id, 'number', l.number)
                                 FROM licence AS l WHERE l.id = ss.licence_id),
                   'authority', ss.authority_code,
                   'decided_on', ss.decided_on,
                   'effective_from', ss.effective_from,
                   'effective_until', ss.effective_until,
                   'lifted_on', ss.lifted_on,
                   'lift_reason', ss.lift_reason,
                   'in_force', ss.in_force,
                   'reason', ss.reason,
                   'points', ss.points,
                   'amount', ss.amount,
                   'currency', ss.currency,
                   'is_public', ss.is_public,
                   'basis', jsonb_build_object('inspection_id', ss.inspection_id, 'complaint_id', ss.complaint_id),
                   'created_by', fr_user_ref(ss.created_by),
                   'created_at', fr_time_json(ss.created_at),
                   'updated_at', fr_time_json(ss.updated_at))
            FROM sanction_status AS ss
            JOIN agency AS a ON a.id = ss.target_agency_id
           WHERE ss.id = sanction_id);
COMMENT ON FUNCTION fr_sanction_json(bigint) IS
  'A sanction as staff read it: the public fields (agency = the sanctioned agency, or the licence''s) with is_public, basis, created_by and times.';

-- ---------------------------------------------------------------------------
-- Sanctions: the status record.

-- The effective status of every licence sanction S covers, as {licence id:
-- status}, locking those licences so that two decisions on one agency record
-- their changes one after the other.
CREATE FUNCTION fr_sanction_covered_statuses(s sanction) RETURNS jsonb
  LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM FROM licence AS l
    WHERE l.id = s.licence_id
       OR l.agency_id = s.agency_id
    ORDER BY l.id
    FOR UPDATE;
  RETURN coalesce((SELECT jsonb_object_agg(le.licence_id::text, le.status)
                     FROM licence_effective AS le
                    WHERE le.licence_id = s.licence_id OR le.agency_id = s.agency_id), '{}');
END
$$;

-- Appends a history row (source sanction) for every licence S covers whose
-- effective status now differs from BEFORE, effective ON, with REASON.
-- Answers the changes: [{licence {id, number}, from, to}].
CREATE FUNCTION fr_sanction_record_changes(s sanction, before jsonb, actor app_user, effective date, reason text)
  RETURNS jsonb
  LANGUAGE plpgsql
AS $$
DECLARE
  changes jsonb;
BEGIN
  WITH changed AS (
    SELECT le.licence_id, le.number, before ->> le.licence_id::text AS old_status, le.status AS new_status
      FROM licence_effective AS le
     WHERE (le.licence_id = s.licence_id OR le.agency_id = s.agency_id)
       AND (before ->> le.licence_id::text) IS DISTINCT FROM le.status::text
  ), recorded AS (
    INSERT INTO licence_status_history (licence_id, status, effective_on, reason, source, sanction_id, user_id)
    SELECT ch.licence_id, ch.new_status, effective, reason, 'sanction', s.id, actor.id
      FROM changed AS ch
     ORDER BY ch.licence_id
    RETURNING licence_id
  )
  SELECT coalesce(jsonb_agg(jsonb_build_object('licence', jsonb_build_object('id', ch.licence_id, 'number', ch.number),
                                               'from', ch.old_status, 'to', ch.new_status)
                            ORDER BY ch.licence_id), '[]')
    INTO changes
    FROM changed AS ch
   WHERE ch.licence_id IN (SELECT licence_id FROM recorded);
  RETURN changes;
END
$$;

-- ---------------------------------------------------------------------------
-- Sanctions: decide, lift, read.

CREATE FUNCTION fr_sanction_create(input jsonb, surveillance_points integer, suspension_points integer)
  RETURNS jsonb
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
AS $$
DECLARE
  actor app_user := fr_actor();
  s sanction;
  lic licence;
  insp inspection;
  c complaint;
  money record;
  target_agency bigint;
  given_authority text;
  before jsonb;
  changes jsonb;
BEGIN
  PERFORM fr_require_role(actor, ARRAY['admin', 'inspector'], 'decide sanctions');
  PERFORM fr_in_object(input, 'the sanction',
    ARRAY['kind', 'agency_id', 'licence_id', 'points', 'fine', 'decided_on', 'effective_from',
          'effective_until', 'reason', 'inspection_id', 'complaint_id', 'is_public', 'authority']);
  s.kind := fr_in_enum(input, 'kind', 'kind',
    ARRAY['warning', 'demerit_points', 'fine', 'suspension', 'revocation', 'ban'], true);
  s.agency_id := fr_in_id(input, 'agency_id', 'agency_id', false);
  s.licence_id := fr_in_id(input, 'licence_id', 'licence_id', false);
  IF num_nonnulls(s.agency_id, s.licence_id) <> 1 THEN
    PERFORM fr_fail('FR422', 'give exactly one of agency_id (the whole agency) and licence_id (one licence)');
  END IF;
  s.points := fr_in_int(input, 'points', 'points', 1, 1000, false);
  IF (s.kind = 'demerit_points') <> (s.points IS NOT NULL) THEN
    PERFORM fr_fail('FR422', 'points is required for demerit_points and given for nothing else');
  END IF;
  SELECT * INTO money FROM fr_in_money(input, 'fine', 'fine');
  IF (s.kind = 'fine') <> (money.amount IS NOT NULL) THEN
    PERFORM fr_fail('FR422', 'fine {amount, currency} is required for a fine and given for nothing else');
  END IF;
  IF money.amount = 0 THEN
    PERFORM fr_fail('FR422', 'fine.amount must be more than 0');
  END IF;
  s.amount := money.amount;
  s.currency := money.currency;
  s.decided_on := coalesce(fr_in_date(input, 'decided_on', 'decided_on', false), current_date);
  IF s.decided_on > current_date THEN
    PERFORM fr_fail('FR422', 'decided_on must not be in the future');
  END IF;
  s.effective_from := fr_in_date(input, 'effective_from', 'effective_from', false);
  s.effective_until := fr_in_date(input, 'effective_until', 'effective_until', false);
  IF s.kind IN ('suspension', 'revocation', 'ban') THEN
    IF s.effective_from IS NULL THEN
      PERFORM fr_fail('FR422', 'effective_from is required for a suspension, revocation or ban');
    END IF;
    IF s.effective_until < s.effective_from THEN
      PERFORM fr_fail('FR422', 'effective_until must not be before effective_from');
    END IF;
  ELSIF s.effective_from IS NOT NULL OR s.effective_until IS NOT NULL THEN
    PERFORM fr_fail('FR422', 'effective_from and effective_until are given only for a suspension, revocation or ban');
  END IF;
  s.reason := fr_in_text(input, 'reason', 'reason', 2000, true);
  s.is_public := coalesce(fr_in_bool(input, 'is_public', 'is_public'), false);
  s.inspection_id := fr_in_id(input, 'inspection_id', 'inspection_id', false);
  s.complaint_id := fr_in_id(input, 'complaint_id', 'complaint_id', false);
  given_authority := fr_in_text(input, 'authority', 'authority', 32, false);

  -- What is sanctioned.
  IF s.licence_id IS NOT NULL THEN
    SELECT * INTO lic FROM licence WHERE id = s.licence_id;
    IF NOT FOUND THEN
      PERFORM fr_fail('FR422', 'licence_id names no licence');
    END IF;
    target_agency := lic.agency_id;
  ELSE
    IF NOT EXISTS (SELECT FROM agency WHERE id = s.agency_id) THEN
      PERFORM fr_fail('FR422', 'agency_id names no registered agency');
    END IF;
    target_agency := s.agency_id;
  END IF;

  -- Who decides.
  IF actor.role = 'inspector' THEN
    IF actor.org IS NULL THEN
      PERFORM fr_fail('FR403', 'your account has no authority (org); an administrator must set it');
    END IF;
    IF given_authority IS NOT NULL AND given_authority <> actor.org THEN
      PERFORM fr_fail('FR403', 'an inspector decides sanctions for their own authority only');
    END IF;
    IF s.licence_id IS NOT NULL AND lic.authority_code <> actor.org THEN
      PERFORM fr_fail('FR403', 'an inspector may sanction only licences their authority issued');
    END IF;
    IF s.agency_id IS NOT NULL
       AND NOT EXISTS (SELECT FROM licence AS l WHERE l.agency_id = s.agency_id AND l.authority_code = actor.org) THEN
      PERFORM fr_fail('FR403', 'an inspector may sanction only agencies their authority licenses');
    END IF;
    s.authority_code := actor.org;
  ELSE
    IF given_authority IS NULL THEN
      PERFORM fr_fail('FR422', 'authority is required: the deciding authority, for an administrator''s sanction');
    END IF;
    IF NOT EXISTS (SELECT FROM authority WHERE code = given_authority) THEN
      PERFORM fr_fail('FR422', 'authority names no authority of this registry');
    END IF;
    s.authority_code := given_authority;
  END IF;

  -- On what basis.
  IF s.inspection_id IS NOT NULL THEN
    SELECT * INTO insp FROM inspection WHERE id = s.inspection_id;
    IF NOT FOUND OR NOT fr_inspection_visible(insp, actor) THEN
      PERFORM fr_fail('FR422', 'inspection_id names no inspection that you may see');
    END IF;
    IF insp.agency_id <> target_agency THEN
      PERFORM fr_fail('FR422', 'inspection_id is an inspection of another agency');
    END IF;
  END IF;
  IF s.complaint_id IS NOT NULL THEN
    SELECT * INTO c FROM complaint WHERE id = s.complaint_id;
    IF NOT FOUND OR NOT fr_complaint_visible(c, actor) THEN
      PERFORM fr_fail('FR422', 'complaint_id names no complaint that you may see');
    END IF;
    IF c.agency_id IS DISTINCT FROM target_agency THEN
      PERFORM fr_fail('FR422', 'complaint_id is not a complaint about the sanctioned agency');
    END IF;
  END IF;

  before := fr_sanction_covered_statuses(s);
  INSERT INTO sanction (kind, agency_id, licence_id, points, amount, currency, decided_on, effective_from,
                        effective_until, reason, authority_code, inspection_id, complaint_id, is_public, created_by)
  VALUES (s.kind, s.agency_id, s.licence_id, s.points, s.amount, s.currency, s.decided_on, s.effective_from,
          s.effective_until, s.reason, s.authority_code, s.inspection_id, s.complaint_id, s.is_public, actor.id)
  RETURNING * INTO s;
  changes := fr_sanction_record_changes(s, before, actor, coalesce(s.effective_from, s.decided_on), s.reason);
  RETURN jsonb_build_object('sanction', fr_sanction_json(s.id),
                            'standing', fr_agency_standing_json(target_agency, surveillance_points, suspension_points),
                            'status_changes', changes);
END
$$;
COMMENT ON FUNCTION fr_sanction_create(jsonb, integer, integer) IS
  'Records a sanction from the JSON of POST /v1/sanctions and, for every licence whose effective status it changes today, a licence_status_history row (source sanction).  Answers {sanction, standing, status_changes}; standing flags the agency at SURVEILLANCE_POINTS and SUSPENSION_POINTS demerit points.';

CREATE FUNCTION fr_sanction_fetch(sanction_id bigint, actor app_user, for_update boolean) RETURNS sanction
  LANGUAGE plpgsql
AS $$
DECLARE
  s sanction;
BEGIN
  IF for_update THEN
    SELECT * INTO s FROM sanction WHERE id = sanction_id FOR UPDATE;
  ELSE
    SELECT * INTO s FROM sanction WHERE id = sanction_id;
  END IF;
  IF NOT FOUND OR NOT fr_sanction_visible(s, actor) THEN
    PERFORM fr_fail('FR404', 'no sanction with that id that you may see');
  END IF;
  RETURN s;
END
$$;

CREATE FUNCTION fr_sanction_target_agency(s sanction) RETURNS bigint
  LANGUAGE sql STABLE
  RETURN coalesce(s.agency_id, (SELECT l.agency_id FROM licence AS l WHERE l.id = s.licence_id));

CREATE FUNCTION fr_sanction_lift(sanction_id bigint, input jsonb, surveillance_points integer,
                                 suspension_points integer)
  RETURNS jsonb
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
AS $$
DECLARE
  actor app_user := fr_actor();
  s sanction;
  lifted date;
  why text;
  before jsonb;
  changes jsonb;
BEGIN
  PERFORM fr_require_role(actor, ARRAY['admin', 'inspector'], 'lift sanctions');
  PERFORM fr_in_object(input, 'the lifting', ARRAY['lifted_on', 'lift_reason']);
  lifted := coalesce(fr_in_date(input, 'lifted_on', 'lifted_on', false), current_date);
  why := fr_in_text(input, 'lift_reason', 'lift_reason', 2000, true);
  IF lifted > current_date THEN
    PERFORM fr_fail('FR422', 'lifted_on must not be in the future');
  END IF;
  s := fr_sanction_fetch(sanction_id, actor, true);
  IF actor.role = 'inspector' AND s.authority_code <> actor.org THEN
    PERFORM fr_fail('FR403', 'only the deciding authority or an administrator may lift a sanction');
  END IF;
  IF s.lifted_on IS NOT NULL THEN
    PERFORM fr_fail('FR409', 'the sanction has already been lifted');
  END IF;
  IF lifted < s.decided_on THEN
    PERFORM fr_fail('FR422', 'lifted_on must not be before the sanction''s decided_on');
  END IF;
  before := fr_sanction_covered_statuses(s);
  UPDATE sanction SET lifted_on = lifted, lift_reason = why WHERE id = s.id RETURNING * INTO s;
  changes := fr_sanction_record_changes(s, before, actor, lifted, why);
  RETURN jsonb_build_object('sanction', fr_sanction_json(s.id),
                            'standing', fr_agency_standing_json(fr_sanction_target_agency(s), surveillance_points,
                                                                suspension_points),
                            'status_changes', changes);
END
$$;
COMMENT ON FUNCTION fr_sanction_lift(bigint, jsonb, integer, integer) IS
  'Ends a sanction early ({lifted_on (default today), lift_reason}), recording the status changes it makes (source sanction).  Answers {sanction, standing, status_changes}.';

CREATE FUNCTION fr_sanction_get(sanction_id bigint, surveillance_points integer, suspension_points integer)
  RETURNS jsonb
  LANGUAGE plpgsql STABLE
  SET search_path = public, pg_temp
AS $$
DECLARE
  actor app_user := fr_actor();
  s sanction;
BEGIN
  PERFORM fr_require_role(actor, ARRAY['admin', 'inspector'], 'read sanctions');
  s := fr_sanction_fetch(sanction_id, actor, false);
  RETURN jsonb_build_object('sanction', fr_sanction_json(s.id),
                            'standing', fr_agency_standing_json(fr_sanction_target_agency(s), surveillance_points,
                                                                suspension_points));
END
$$;
COMMENT ON FUNCTION fr_sanction_get(bigint, integer, integer) IS 'One sanction with its agency''s standing (FR404 if the caller may not see it).';

CREATE FUNCTION fr_sanction_list(agency_filter bigint, kind_filter text, in_force_filter boolean,
                                 before_id bigint, max_items integer)
  RETURNS jsonb
  LANGUAGE plpgsql STABLE
  SET search_path = public, pg_temp
AS $$
DECLARE
  actor app_user := fr_actor();
BEGIN
  PERFORM fr_require_role(actor, ARRAY['admin', 'inspector'], 'read sanctions');
  RETURN coalesce((
    SELECT jsonb_agg(fr_sanction_json(s.id) ORDER BY s.id DESC)
      FROM (SELECT s.id FROM sanction AS s
             WHERE fr_sanction_visible(s, actor)
               AND (agency_filter IS NULL OR fr_sanction_target_agency(s) = agency_filter)
               AND (kind_filter IS NULL OR s.kind = kind_filter)
               AND (in_force_filter IS NULL
                    OR fr_sanction_in_force(s.effective_from, s.effective_until, s.lifted_on) = in_force_filter)
               AND (before_id IS NULL OR s.id < before_id)
             ORDER BY s.id DESC
             LIMIT max_items) AS s), '[]');
END
$$;
COMMENT ON FUNCTION fr_sanction_list(bigint, text, boolean, bigint, integer) IS
  'The sanctions the caller may see (public or not), newest first, filtered (NULL = no filter), below BEFORE_ID, at most MAX_ITEMS.';

CREATE FUNCTION fr_agency_standing(agency_id bigint, surveillance_points integer, suspension_points integer)
  RETURNS jsonb
  LANGUAGE plpgsql STABLE
  SET search_path = public, pg_temp
AS $$
DECLARE
  actor app_user := fr_actor();
  standing jsonb;
BEGIN
  PERFORM fr_require_role(actor, ARRAY['admin', 'inspector'], 'read an agency''s standing');
  standing := fr_agency_standing_json(agency_id, surveillance_points, suspension_points);
  IF standing IS NULL THEN
    PERFORM fr_fail('FR404', 'no agency with that id');
  END IF;
  RETURN standing;
END
$$;
COMMENT ON FUNCTION fr_agency_standing(bigint, integer, integer) IS
  'An agency''s standing for staff: demerit points in force and whether they reach the surveillance and suspension thresholds.';

-- ---------------------------------------------------------------------------
-- Direct licence status changes.

CREATE FUNCTION fr_licence_staff_json(licence_id bigint) RETURNS jsonb
  LANGUAGE sql STABLE
  RETURN (SELECT jsonb_build_object(
                   'id', le.licence_id, 'number', le.number, 'authority', le.authority_code,
                   'agency', jsonb_build_object('id', a.id, 'name', a.name),
                   'category', le.category,
                   'listed_status', le.listed_status,
                   'status', le.status,
                   'status_basis', le.status_basis,
                   'sanction_id', le.sanction_id,
                   'in_good_standing', le.in_good_standing,
                   'status_reason', le.status_reason,
                   'valid_from', le.valid_from,
                   'valid_until', le.valid_until,
                   'history', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                                 'id', h.id, 'status', h.status, 'effective_on', h.effective_on,
                                                 'reason', h.reason, 'source', h.source,
                                                 'import_run_id', h.import_run_id, 'sanction_id', h.sanction_id,
                                                 'user', fr_user_ref(h.user_id),
                                                 'recorded_at', fr_time_json(h.recorded_at))
                                                 ORDER BY h.effective_on, h.id)
                                          FROM licence_status_history AS h
                                         WHERE h.licence_id = le.licence_id), '[]'))
            FROM licence_effective AS le
            JOIN agency AS a ON a.id = le.agency_id
           WHERE le.licence_id = fr_licence_staff_json.licence_id);
COMMENT ON FUNCTION fr_licence_staff_json(bigint) IS
  'A licence as staff read it: listed and effective status, why, and the whole history with its sources (import run, sanction, user).';

CREATE FUNCTION fr_licence_set_status(licence_id bigint, input jsonb) RETURNS jsonb
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
AS $$
DECLARE
  actor app_user := fr_actor();
  l licence;
  new_status text;
  why text;
  effective date;
BEGIN
  PERFORM fr_require_role(actor, ARRAY['admin', 'inspector'], 'change licence statuses');
  PERFORM fr_in_object(input, 'the status change', ARRAY['status', 'reason', 'effective_on']);
  new_status := fr_in_enum(input, 'status', 'status',
    ARRAY['active', 'suspended', 'revoked', 'cancelled', 'expired', 'surrendered', 'banned', 'delisted', 'pending'], true);
  why := fr_in_text(input, 'reason', 'reason', 2000, true);
  effective := coalesce(fr_in_date(input, 'effective_on', 'effective_on', false), current_date);
  IF effective > current_date THEN
    PERFORM fr_fail('FR422', 'effective_on must not be in the future');
  END IF;
  SELECT * INTO l FROM licence WHERE id = fr_licence_set_status.licence_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM fr_fail('FR404', 'no licence with that id');
  END IF;
  IF actor.role = 'inspector' AND l.authority_code IS DISTINCT FROM actor.org THEN
    PERFORM fr_fail('FR403', 'only an administrator or an inspector of the issuing authority may change this licence''s status');
  END IF;
  IF l.listed_status = new_status THEN
    RETURN jsonb_build_object('licence', fr_licence_staff_json(l.id), 'changed', false);
  END IF;
  UPDATE licence SET listed_status = new_status, status_reason = why WHERE id = l.id;
  INSERT INTO licence_status_history (licence_id, status, effective_on, reason, source, user_id)
  VALUES (l.id, new_status, effective, why, 'user', actor.id);
  RETURN jsonb_build_object('licence', fr_licence_staff_json(l.id), 'changed', true);
END
$$;
COMMENT ON FUNCTION fr_licence_set_status(bigint, jsonb) IS
  'Sets a licence''s listed status ({status, reason, effective_on (default today, not in the future)}) and appends its history row (source user).  The same status again changes nothing (changed false).  Admins any licence; inspectors those their authority issued.';

-- ---------------------------------------------------------------------------
-- Privileges: the entry points only, for fairreg_app.

DO $$
DECLARE
  f regprocedure;
BEGIN
  FOR f IN SELECT p.oid::regprocedure FROM pg_proc AS p
            WHERE p.pronamespace = 'public'::regnamespace
              AND p.proname IN ('fr_checklist', 'fr_inspection_plan', 'fr_inspection_list', 'fr_inspection_get',
                                'fr_inspection_update', 'fr_inspection_record_finding', 'fr_inspection_close',
                                'fr_sanction_create', 'fr_sanction_lift', 'fr_sanction_get', 'fr_sanction_list',
                                'fr_agency_standing', 'fr_licence_set_status')
  LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO fairreg_app', f);
  END LOOP;
END
$$;
