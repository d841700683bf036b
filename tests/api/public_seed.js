// A small public register for the tests of the public API (public*.test.js,
// contract.test.js), written with psql as the cluster's superuser: agencies
// named in every script of the region (Latin with and without diacritics,
// Thai, Burmese, Khmer, Lao, Vietnamese), licences in every effective state
// (active, expired by date, suspended by a sanction, pending), sanctions
// public and not, officers, personnel, branches, history from imports,
// sanctions and decisions, and a run of plain agencies for paging.
//
// seedRegister(database) resolves with {agencies, licences, sanctions}: the
// ids by the keys used below (e.g. agencies.example, licences.poea).
'use strict';

const h = require('./harness');

const SEED_SQL = String.raw`
INSERT INTO app_user (email, name, role, org, password_hash)
VALUES ('seed-inspector@example.org', 'Seed Inspector', 'inspector', 'PH-DMW', 'not-a-hash');
INSERT INTO import_run (authority_code, file_name) VALUES ('PH-DMW', 'seed.xml');

INSERT INTO agency (name, country, registration_number, address, phone, email, website, authority_code, external_ref) VALUES
  ('Example Manpower Services Inc.', 'PH', 'CS201912345', '123 Ortigas Ave, Pasig City', '+63 2 8123 4567',
   'info@example.ph', 'https://example.ph', 'PH-DMW', 'DMW-000123'),
  ('Sunrise Placement Agency', 'PH', 'CS200100001', '1 Taft Ave, Manila', NULL, NULL, NULL, 'PH-DMW', 'DMW-000200'),
  ('Harbor Star Recruitment', 'PH', NULL, '9 Roxas Blvd, Manila', NULL, NULL, NULL, 'PH-DMW', 'DMW-000300'),
  ('SeaStar Manning Corp', 'PH', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('Acme "Best" Recruitment, Ltd.', 'PH', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('Công ty TNHH Nguyễn Văn Hùng', 'VN', '0101234567', 'Số 5 Láng Hạ, Hà Nội', NULL, NULL, NULL, 'VN-MOLISA', 'VN-77'),
  ('Công ty Cổ phần Đông Á', 'VN', NULL, NULL, NULL, NULL, NULL, 'VN-MOLISA', 'VN-78'),
  ('Hoang Long Manpower JSC', 'VN', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('บริษัท สยามแรงงาน จัดหางาน จำกัด', 'TH', '0105555000001', 'กรุงเทพมหานคร', NULL, NULL, NULL, 'TH-DOE', 'TH-1'),
  ('ရွှေမြန်မာ အလုပ်အကိုင် ဝန်ဆောင်မှု', 'MM', NULL, 'ရန်ကုန်', NULL, NULL, NULL, 'MM-MOL', 'MM-1'),
  ('ក្រុមហ៊ុន អង្គរ ការងារ', 'KH', NULL, 'ភ្នំពេញ', NULL, NULL, NULL, 'KH-MLVT', 'KH-1'),
  ('ບໍລິສັດ ລາວ ແຮງງານ ຈຳກັດ', 'LA', NULL, 'ວຽງຈັນ', NULL, NULL, NULL, 'LA-MLSW', 'LA-1');

INSERT INTO agency (name, country)
SELECT format('Paging Agency %s', lpad(g::text, 2, '0')), 'ID' FROM generate_series(1, 25) AS g;

INSERT INTO agency_name (agency_id, name, lang, kind)
SELECT a.id, v.name, v.lang, v.kind
  FROM (VALUES ('Example Manpower Services Inc.', 'Example Manpower', 'fil', 'trade'),
               ('บริษัท สยามแรงงาน จัดหางาน จำกัด', 'Siam Labour Recruitment Co., Ltd.', 'en', 'legal'),
               ('ရွှေမြန်မာ အလုပ်အကိုင် ဝန်ဆောင်မှု', 'Shwe Myanmar Employment Services', 'en', 'transliteration'),
               ('ក្រុមហ៊ុន អង្គរ ការងារ', 'Angkor Labour Company', 'en', 'legal'),
               ('ບໍລິສັດ ລາວ ແຮງງານ ຈຳກັດ', 'Lao Labour Co., Ltd.', 'en', 'legal')) AS v (agency, name, lang, kind)
  JOIN agency AS a ON a.name = v.agency;

INSERT INTO agency_officer (agency_id, name, role, valid_from)
SELECT id, 'Maria Santos', 'president', '2019-01-01' FROM agency WHERE name = 'Example Manpower Services Inc.';
INSERT INTO agency_personnel (agency_id, name, registration_number, role)
SELECT id, 'Ana Reyes', 'R2024-0042', 'recruiter' FROM agency WHERE name = 'Example Manpower Services Inc.';
INSERT INTO agency_branch (agency_id, address, city, country)
SELECT id, '45 Rizal St', 'Davao City', 'PH' FROM agency WHERE name = 'Example Manpower Services Inc.';
INSERT INTO agency_branch (agency_id, address, city, country, listed)
SELECT id, '7 Closed St', 'Cebu City', 'PH', false FROM agency WHERE name = 'Example Manpower Services Inc.';

INSERT INTO licence (authority_code, number, agency_id, category, listed_status, status_reason, valid_from, valid_until)
SELECT v.authority, v.number, a.id, v.category, v.status, v.reason, v.valid_from::date, v.valid_until::date
  FROM (VALUES
    (1, 'PH-DMW', 'POEA-123-LB-031524-R', 'Example Manpower Services Inc.', 'landbased', 'active', NULL, '2024-03-15', '2099-03-14'),
    (2, 'PH-DMW', 'POEA-124-SB-010120-R', 'Sunrise Placement Agency', 'seabased', 'active', NULL, '2017-01-01', '2020-01-01'),
    (3, 'PH-DMW', 'POEA-125-LB-050521-R', 'Harbor Star Recruitment', 'landbased', 'active', NULL, '2021-05-05', '2099-05-04'),
    (4, 'PH-DMW', 'POEA-126-LB-010126-R', 'Example Manpower Services Inc.', 'landbased', 'active', NULL, '2099-01-01', '2100-01-01'),
    (5, 'VN-MOLISA', '123/LĐTBXH-GP', 'Công ty TNHH Nguyễn Văn Hùng', NULL, 'active', NULL, '2023-01-01', '2099-01-01'),
    (6, 'VN-MOLISA', '456/LĐTBXH-GP', 'Công ty Cổ phần Đông Á', NULL, 'revoked', 'fees charged to workers', '2020-01-01', '2099-01-01'),
    (7, 'TH-DOE', 'นจ. 1234/2565', 'บริษัท สยามแรงงาน จัดหางาน จำกัด', NULL, 'active', NULL, '2022-03-15', '2099-03-14'),
    (8, 'MM-MOL', 'MOL-0042', 'ရွှေမြန်မာ အလုပ်အကိုင် ဝန်ဆောင်မှု', NULL, 'active', NULL, '2023-06-01', '2099-06-01'),
    (9, 'KH-MLVT', 'KH-2024-007', 'ក្រុមហ៊ុន អង្គរ ការងារ', NULL, 'active', NULL, '2024-01-01', '2099-01-01'),
    (10, 'LA-MLSW', 'LA-0099', 'ບໍລິສັດ ລາວ ແຮງງານ ຈຳກັດ', NULL, 'suspended', NULL, '2024-01-01', '2099-01-01'),
    (11, 'PH-DMW', 'ACME-001', 'Acme "Best" Recruitment, Ltd.', 'landbased', 'active', NULL, '2024-01-01', '2099-01-01')
  ) AS v (ord, authority, number, agency, category, status, reason, valid_from, valid_until)
  JOIN agency AS a ON a.name = v.agency
 ORDER BY v.ord;

-- Each licence's first status, as an import listed it (the revoked one was
-- active until a decision revoked it, below).
INSERT INTO licence_status_history (licence_id, status, effective_on, reason, source, import_run_id)
SELECT l.id, CASE WHEN l.listed_status = 'revoked' THEN 'active' ELSE l.listed_status END,
       coalesce(l.valid_from, '2024-01-01'), 'listed', 'import', (SELECT min(id) FROM import_run)
  FROM licence AS l ORDER BY l.id;

-- Harbor Star: suspended by a public sanction on the agency, in force.
INSERT INTO sanction (kind, agency_id, decided_on, effective_from, reason, authority_code, is_public)
SELECT 'suspension', id, current_date - 40, current_date - 30, 'unregistered branch', 'PH-DMW', true
  FROM agency WHERE name = 'Harbor Star Recruitment';
INSERT INTO licence_status_history (licence_id, status, effective_on, reason, source, sanction_id)
SELECT l.id, 'suspended', current_date - 30, 'unregistered branch', 'sanction', s.id
  FROM licence AS l JOIN sanction AS s ON s.agency_id = l.agency_id AND s.kind = 'suspension'
 WHERE l.number = 'POEA-125-LB-050521-R';

-- Example Manpower: a public fine on one licence (never "in force") and a
-- non-public warning that must not be published.
INSERT INTO sanction (kind, licence_id, decided_on, amount, currency, reason, authority_code, is_public)
SELECT 'fine', id, '2025-02-01', 50000, 'PHP', 'misleading advertisement', 'PH-DMW', true
  FROM licence WHERE number = 'POEA-123-LB-031524-R';
INSERT INTO sanction (kind, agency_id, decided_on, reason, authority_code, is_public)
SELECT 'warning', id, '2025-03-01', 'internal warning, not public', 'PH-DMW', false
  FROM agency WHERE name = 'Example Manpower Services Inc.';

-- Đông Á: revoked by a decision of a user (shown as "decision", never who).
INSERT INTO licence_status_history (licence_id, status, effective_on, reason, source, user_id)
SELECT l.id, 'revoked', '2025-06-01', 'fees charged to workers', 'user', (SELECT id FROM app_user LIMIT 1)
  FROM licence AS l WHERE l.number = '456/LĐTBXH-GP';
`;

// Runs the seed on DATABASE and returns the ids by key.
async function seedRegister(database) {
  await h.psql(database, SEED_SQL);
  const ids = async (sql) => {
    const out = await h.psql(database, sql);
    const map = {};
    for (const line of out.split('\n').filter(Boolean)) {
      const [key, id] = line.split('|');
      map[key] = Number(id);
    }
    return map;
  };
  const agencyIds = await ids('SELECT name, id FROM agency');
  const licenceIds = await ids('SELECT number, id FROM licence');
  const sanctionIds = await ids('SELECT kind, id FROM sanction');
  return {
    agencies: {
      example: agencyIds['Example Manpower Services Inc.'],
      sunrise: agencyIds['Sunrise Placement Agency'],
      harbor: agencyIds['Harbor Star Recruitment'],
      seastar: agencyIds['SeaStar Manning Corp'],
      acme: agencyIds['Acme "Best" Recruitment, Ltd.'],
      nguyen: agencyIds['Công ty TNHH Nguyễn Văn Hùng'],
      dongA: agencyIds['Công ty Cổ phần Đông Á'],
      hoangLong: agencyIds['Hoang Long Manpower JSC'],
      thai: agencyIds['บริษัท สยามแรงงาน จัดหางาน จำกัด'],
      burmese: agencyIds['ရွှေမြန်မာ အလုပ်အကိုင် ဝန်ဆောင်မှု'],
      khmer: agencyIds['ក្រុមហ៊ុន អង្គរ ការងារ'],
      lao: agencyIds['ບໍລິສັດ ລາວ ແຮງງານ ຈຳກັດ'],
      paging: Object.keys(agencyIds).filter((n) => n.startsWith('Paging Agency '))
        .sort().map((n) => agencyIds[n]),
    },
    licences: {
      poea: licenceIds['POEA-123-LB-031524-R'],
      expired: licenceIds['POEA-124-SB-010120-R'],
      suspended: licenceIds['POEA-125-LB-050521-R'],
      pending: licenceIds['POEA-126-LB-010126-R'],
      nguyen: licenceIds['123/LĐTBXH-GP'],
      revoked: licenceIds['456/LĐTBXH-GP'],
      thai: licenceIds['นจ. 1234/2565'],
      burmese: licenceIds['MOL-0042'],
      khmer: licenceIds['KH-2024-007'],
      lao: licenceIds['LA-0099'],
      acme: licenceIds['ACME-001'],
    },
    sanctions: {
      suspension: sanctionIds.suspension,
      fine: sanctionIds.fine,
      warning: sanctionIds.warning,
    },
  };
}

module.exports = { seedRegister };
