-- History cannot be rewritten: licence_status_history, complaint_event and
-- audit_log refuse UPDATE, DELETE and TRUNCATE by trigger (SQLSTATE FR002),
-- even for the owner; fairreg_app lacks the privileges in the first place
-- (SQLSTATE 42501) but may append.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(27);

INSERT INTO agency (name, country) VALUES ('T03 agency', 'PH');
INSERT INTO licence (authority_code, number, agency_id, listed_status)
SELECT 'PH-DMW', 'T03-1', id, 'active' FROM agency WHERE name = 'T03 agency';
INSERT INTO licence_status_history (licence_id, status, effective_on, reason, source)
SELECT id, 'active', current_date, 'first listed', 'system' FROM licence WHERE number = 'T03-1';
INSERT INTO complaint (reference, channel, filed_by, agency_id, description)
SELECT 'T030-0000-0001', 'online', 'worker', id, 'T03 description' FROM agency WHERE name = 'T03 agency';
INSERT INTO complaint_event (complaint_id, kind, status, public)
SELECT id, 'status_change', 'received', true FROM complaint WHERE reference = 'T030-0000-0001';

-- ---------------------------------------------------------------------------
-- Even the owner: the trigger refuses.

SELECT throws_ok($$UPDATE licence_status_history SET reason = 'rewritten'$$, 'FR002',
                 'licence_status_history is append-only: update is not allowed',
                 'updating licence history raises FR002 (superuser)');
SELECT throws_ok($$DELETE FROM licence_status_history$$, 'FR002',
                 'licence_status_history is append-only: delete is not allowed',
                 'deleting licence history raises FR002 (superuser)');
SELECT throws_ok($$TRUNCATE licence_status_history$$, 'FR002', NULL,
                 'truncating licence history raises FR002 (superuser)');
SELECT throws_ok($$UPDATE complaint_event SET note = 'rewritten'$$, 'FR002', NULL,
                 'updating complaint events raises FR002 (superuser)');
SELECT throws_ok($$DELETE FROM complaint_event$$, 'FR002', NULL,
                 'deleting complaint events raises FR002 (superuser)');
SELECT throws_ok($$TRUNCATE complaint_event$$, 'FR002', NULL,
                 'truncating complaint events raises FR002 (superuser)');
SELECT throws_ok($$UPDATE audit_log SET actor = 'someone else'$$, 'FR002', NULL,
                 'updating the audit log raises FR002 (superuser)');
SELECT throws_ok($$DELETE FROM audit_log$$, 'FR002', NULL,
                 'deleting from the audit log raises FR002 (superuser)');
SELECT throws_ok($$TRUNCATE audit_log$$, 'FR002', NULL,
                 'truncating the audit log raises FR002 (superuser)');

SET ROLE fairreg_owner;
SELECT throws_ok($$UPDATE licence_status_history SET reason = 'rewritten'$$, 'FR002', NULL,
                 'updating licence history raises FR002 as the owner');
SELECT throws_ok($$DELETE FROM licence_status_history$$, 'FR002', NULL,
                 'deleting licence history raises FR002 as the owner');
SELECT throws_ok($$DELETE FROM complaint_event$$, 'FR002', NULL,
                 'deleting complaint events raises FR002 as the owner');
SELECT throws_ok($$UPDATE audit_log SET after = NULL$$, 'FR002', NULL,
                 'updating the audit log raises FR002 as the owner');
RESET ROLE;

-- ---------------------------------------------------------------------------
-- The application role: may append, may not change.

SET ROLE fairreg_app;
SELECT lives_ok($$INSERT INTO licence_status_history (licence_id, status, effective_on, reason, source)
                  SELECT id, 'suspended', current_date, 'T03 by the app', 'system' FROM licence WHERE number = 'T03-1'$$,
                'fairreg_app appends licence history');
SELECT throws_ok($$UPDATE licence_status_history SET reason = 'rewritten'$$, '42501', NULL,
                 'fairreg_app cannot update licence history');
SELECT throws_ok($$DELETE FROM licence_status_history$$, '42501', NULL,
                 'fairreg_app cannot delete licence history');
SELECT throws_ok($$TRUNCATE licence_status_history$$, '42501', NULL,
                 'fairreg_app cannot truncate licence history');
SELECT lives_ok($$INSERT INTO complaint_event (complaint_id, kind, note, public)
                  SELECT id, 'internal_note', 'T03 note', false FROM complaint WHERE reference = 'T030-0000-0001'$$,
                'fairreg_app appends complaint events');
SELECT throws_ok($$UPDATE complaint_event SET note = 'rewritten'$$, '42501', NULL,
                 'fairreg_app cannot update complaint events');
SELECT throws_ok($$DELETE FROM complaint_event$$, '42501', NULL,
                 'fairreg_app cannot delete complaint events');
SELECT throws_ok($$TRUNCATE complaint_event$$, '42501', NULL,
                 'fairreg_app cannot truncate complaint events');
SELECT lives_ok($$SELECT count(*) FROM audit_log$$, 'fairreg_app reads the audit log');
SELECT throws_ok($$INSERT INTO audit_log (actor, action, entity) VALUES ('forged', 'insert', 'agency')$$, '42501', NULL,
                 'fairreg_app cannot write audit rows itself');
SELECT throws_ok($$UPDATE audit_log SET actor = 'someone else'$$, '42501', NULL,
                 'fairreg_app cannot update the audit log');
SELECT throws_ok($$DELETE FROM audit_log$$, '42501', NULL,
                 'fairreg_app cannot delete from the audit log');
SELECT throws_ok($$TRUNCATE audit_log$$, '42501', NULL,
                 'fairreg_app cannot truncate the audit log');
RESET ROLE;

SELECT results_eq($$SELECT h.status::text, h.reason FROM licence_status_history AS h
                     JOIN licence AS l ON l.id = h.licence_id WHERE l.number = 'T03-1' ORDER BY h.id$$,
                  $$VALUES ('active', 'first listed'), ('suspended', 'T03 by the app')$$,
                  'the licence history holds exactly what was appended');

SELECT * FROM finish();
ROLLBACK;
