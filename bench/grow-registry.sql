-- bench/grow-registry.sql: grows the benchmark registry tenfold for the
-- search over 1,000,000 agencies (bench/api.sh, step 3).  Every agency, with
-- its other names and licences, is copied nine times; copy K has the letters
-- of every name rotated by K places within their alphabet (Latin, Thai,
-- Burmese, Khmer, Lao consonants), so each copy has names of its own with the
-- same make-up as the original: common words stay as common, rare ones as
-- rare.  bench/grow-queries.js rotates the search queries the same way.
-- Loaded as the superuser with triggers off (session_replication_role), as a
-- restore would be: the importer takes minutes per 100k agencies here.
SET session_replication_role = replica;

CREATE FUNCTION pg_temp.alphabets() RETURNS text[] LANGUAGE sql IMMUTABLE
  RETURN ARRAY['abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
               'กขคงจฉชซดตถทธนบปผพฟมยรลวศสหอ',
               'ကခဂဃငစဆဇဈညဋဌဍဎဏတထဒဓနပဖဗဘမယရလဝသဟဠအ',
               'កខគឃងចឆជឈញដឋឌឍណតថទធនបផពភមយរលវសហឡអ',
               'ກຂຄງຈສຊຍດຕຖທນບປຜພຟມຢຣລວຫອຮ'];

CREATE FUNCTION pg_temp.rot(t text, k int) RETURNS text LANGUAGE sql IMMUTABLE
  RETURN translate(t,
    array_to_string(pg_temp.alphabets(), ''),
    (SELECT string_agg(substr(a, k % length(a) + 1) || substr(a, 1, k % length(a)), '' ORDER BY o)
       FROM unnest(pg_temp.alphabets()) WITH ORDINALITY AS x (a, o)));

INSERT INTO agency (id, name, country, registration_number, address, phone, email, website,
                    authority_code, external_ref, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT a.id + k * 10000000, pg_temp.rot(a.name, k), a.country, a.registration_number, a.address,
       a.phone, a.email, a.website, a.authority_code, a.external_ref || '-C' || k, a.created_at, a.updated_at
  FROM agency AS a CROSS JOIN generate_series(1, 9) AS k
 WHERE a.id < 10000000;

INSERT INTO agency_name (agency_id, name, lang, kind)
SELECT n.agency_id + k * 10000000, pg_temp.rot(n.name, k), n.lang, n.kind
  FROM agency_name AS n CROSS JOIN generate_series(1, 9) AS k
 WHERE n.agency_id < 10000000;

INSERT INTO licence (id, authority_code, number, agency_id, category, listed_status, status_reason,
                     valid_from, valid_until)
OVERRIDING SYSTEM VALUE
SELECT l.id + k * 10000000, l.authority_code, l.number || '-C' || k, l.agency_id + k * 10000000,
       l.category, l.listed_status, l.status_reason, l.valid_from, l.valid_until
  FROM licence AS l CROSS JOIN generate_series(1, 9) AS k
 WHERE l.id < 10000000;

RESET session_replication_role;
VACUUM ANALYZE agency, agency_name, licence;
