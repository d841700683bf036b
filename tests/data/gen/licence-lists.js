#!/usr/bin/env node
// Deterministic generator of licence lists in the canonical format (DESIGN.md
// section 6) and in the Thai flat export, with invented agencies whose names
// are in the scripts of the region: Latin with diacritics (Filipino,
// Indonesian, Malay, Vietnamese), Thai, Burmese, Khmer and Lao.  Every name,
// number, address and person is made up here; none is a real agency's.
//
//   node tests/data/gen/licence-lists.js samples
//       rewrites importers/samples/ (the lists `fairreg demo` imports; the
//       output is committed, so run it only to change the samples)
//   node tests/data/gen/licence-lists.js bench --licences N --xml FILE [--tsv FILE]
//       a canonical list of N licences for the import benchmark, and the
//       equivalent staging rows as tab-separated text for its COPY baseline
//       (never committed: written to /tmp or build/)
//
// The same seed gives the same bytes, on any machine.  As a module it gives
// the tests the pieces: rng, makeAgency, listXml, writeList.  No npm package.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

// ---------------------------------------------------------------------------
// Randomness: mulberry32, seeded, so that the output is reproducible.

function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)); // inclusive
  next.pick = (list) => list[Math.floor(next() * list.length)];
  next.chance = (p) => next() < p;
  return next;
}

// ---------------------------------------------------------------------------
// Words.  Agency names are made of these; none is a real company's name.

const WORDS = {
  // Filipino and English
  ph: ['Bagong Pag-asa', 'Bituin', 'Dagat', 'Liwanag', 'Bayanihan', 'Perlas', 'Silangan', 'Malaya',
    'Tala', 'Kalinaw', 'Habagat', 'Mabuhay', 'Sampaguita', 'Peñafrancia', 'Dalisay', 'Lakbay'],
  phTail: ['Manpower Services Inc.', 'International Placement Agency Corp.', 'Overseas Employment Inc.',
    'Recruitment Services Co.', 'Maritime Crewing Inc.'],
  // Indonesian
  id: ['Cahaya', 'Mandiri', 'Sejahtera', 'Bintang', 'Harapan', 'Nusantara', 'Makmur', 'Sentosa',
    'Abadi', 'Bahari', 'Lestari', 'Gemilang', 'Karya', 'Mulia', 'Jaya', 'Pelangi'],
  // Malay
  my: ['Bintang Timur', 'Cahaya Murni', 'Seri Wangi', 'Damai', 'Permata', 'Intan', 'Sinar', 'Gemilang',
    'Teratai', 'Mutiara', 'Kenanga', 'Suria'],
  // English (Singapore)
  sg: ['Harbourlight', 'Straitsbridge', 'Lionheart', 'Merlion Gate', 'Evergreen', 'Kallang', 'Bayfront',
    'Orchid Lane', 'Sunrise', 'Tanjong', 'Marina Crest', 'Pioneer'],
  // Vietnamese (with diacritics)
  vi: ['Hòa Bình', 'Bình Minh', 'Đông Á', 'Phương Nam', 'Thành Công', 'Hồng Hà', 'Sông Hương',
    'Trường Sơn', 'Việt Tiến', 'An Phú', 'Đại Dương', 'Ánh Dương', 'Hưng Thịnh', 'Phú Quý'],
  viHead: ['Công ty Cổ phần', 'Công ty TNHH'],
  viTail: ['Cung ứng Nhân lực', 'Xuất khẩu Lao động', 'Hợp tác Lao động Quốc tế'],
  // Thai
  th: ['ฟ้าใส', 'รุ่งเรือง', 'สยาม', 'ทองคำ', 'ดาวเหนือ', 'แสงทอง', 'มั่นคง', 'เจริญ', 'สุขใจ',
    'ก้าวหน้า', 'ชัยพฤกษ์', 'นาคา'],
  thLatin: ['Fah Sai', 'Rungrueang', 'Siam', 'Thongkham', 'Dao Nuea', 'Saeng Thong', 'Mankhong',
    'Charoen', 'Sukjai', 'Kaona', 'Chaiyaphruek', 'Naka'],
  // Burmese
  mm: ['ရွှေ', 'မြို့', 'ကြယ်', 'နေ', 'လ', 'မြင့်', 'အောင်', 'သစ္စာ', 'ရတနာ', 'ပန်း', 'မိုး', 'ဇေယျာ'],
  mmLatin: ['Shwe', 'Myo', 'Kyal', 'Nay', 'La', 'Myint', 'Aung', 'Thitsa', 'Yadanar', 'Pan', 'Moe', 'Zeyar'],
  // Khmer
  km: ['មាស', 'ពន្លឺ', 'ផ្កាយ', 'សុខ', 'ជ័យ', 'អង្គរ', 'មេគង្គ', 'រស្មី', 'សន្តិភាព', 'បុប្ផា'],
  kmLatin: ['Meas', 'Ponlue', 'Phkay', 'Sok', 'Chey', 'Angkor', 'Mekong', 'Reaksmey', 'Santepheap', 'Bopha'],
  // Lao
  lo: ['ຄຳ', 'ແສງ', 'ດາວ', 'ສຸກ', 'ລ້ານຊ້າງ', 'ແມ່ຂອງ', 'ສັນຕິ', 'ຈະເລີນ', 'ພູ', 'ນາງ'],
  loLatin: ['Kham', 'Saeng', 'Dao', 'Suk', 'Lane Xang', 'Mae Khong', 'Santi', 'Chalern', 'Phou', 'Nang'],
};

const PEOPLE = {
  PH: ['Maria Dela Cruz', 'José Reyes', 'Ana Santos Bautista', 'Ramon Villanueva', 'Liza Mañalac',
    'Carmelita Ocampo', 'Rogelio Pascual', 'Teresita Buenaventura'],
  ID: ['Siti Rahmawati', 'Budi Santoso', 'Dewi Lestari', 'Agus Setiawan', 'Rina Wulandari',
    'Hendra Gunawan', 'Nur Aini', 'Yusuf Pratama'],
  MY: ['Nurul Aisyah binti Ahmad', 'Tan Wei Ming', 'Muthu a/l Raman', 'Siti Zubaidah binti Omar',
    'Lee Chee Keong', 'Farah Nadia'],
  SG: ['Lim Mei Ling', 'Rajesh Kumar', 'Goh Siew Hoon', 'Nur Hidayah', 'Ong Boon Hock', 'Priya Nair'],
  VN: ['Nguyễn Thị Lan', 'Trần Văn Hùng', 'Lê Thị Hồng', 'Phạm Minh Đức', 'Hoàng Thị Thu',
    'Vũ Quốc Bảo', 'Đặng Thị Mai', 'Bùi Văn Nam'],
  TH: ['สมชาย ใจดี', 'สุดา แสงทอง', 'วิชัย มั่นคง', 'นภา ศรีสุข', 'ประเสริฐ ทองดี', 'กาญจนา สายใจ'],
  MM: ['ဒေါ်ခင်မြင့်', 'ဦးအောင်ကျော်', 'ဒေါ်သီတာ', 'ဦးမြင့်ဆွေ', 'ဒေါ်နီလာ', 'ဦးဇော်ဝင်း'],
  KH: ['សុខ ចាន់ថា', 'ចាន់ សុភា', 'ហេង វិចិត្រ', 'លី ស្រីនិច', 'ម៉ៅ សុផល', 'គឹម សុខា'],
  LA: ['ສົມພອນ ແກ້ວມະນີ', 'ບຸນມີ ພົມມະວົງ', 'ນາງ ແສງດາວ', 'ຄຳພອນ ສີສຸກ', 'ວິໄລ ຈັນທະລາ'],
};

const CITIES = {
  PH: ['Manila', 'Pasig City', 'Quezon City', 'Makati City', 'Davao City', 'Cebu City', 'Iloilo City'],
  ID: ['Jakarta', 'Surabaya', 'Bandung', 'Semarang', 'Medan', 'Makassar'],
  MY: ['Kuala Lumpur', 'Petaling Jaya', 'Johor Bahru', 'Georgetown', 'Ipoh', 'Shah Alam'],
  SG: ['Singapore'],
  VN: ['Hà Nội', 'Thành phố Hồ Chí Minh', 'Đà Nẵng', 'Hải Phòng', 'Nghệ An', 'Thanh Hóa'],
  TH: ['กรุงเทพมหานคร', 'เชียงใหม่', 'ขอนแก่น', 'อุดรธานี', 'นครราชสีมา'],
  MM: ['ရန်ကုန်', 'မန္တလေး', 'နေပြည်တော်', 'မော်လမြိုင်', 'ပုသိမ်'],
  KH: ['ភ្នំពេញ', 'សៀមរាប', 'បាត់ដំបង', 'កំពង់ចាម', 'ព្រះសីហនុ'],
  LA: ['ວຽງຈັນ', 'ຫຼວງພະບາງ', 'ສະຫວັນນະເຂດ', 'ປາກເຊ'],
};

const STREETS = {
  PH: (r) => `${r.int(1, 999)} ${r.pick(['Rizal St', 'Ortigas Ave', 'Mabini St', 'Bonifacio Drive', 'Luna Road'])}`,
  ID: (r) => `Jl. ${r.pick(['Merdeka', 'Sudirman', 'Gatot Subroto', 'Diponegoro', 'Pahlawan'])} No. ${r.int(1, 250)}`,
  MY: (r) => `${r.int(1, 120)}, Jalan ${r.pick(['Ampang', 'Tun Razak', 'Bukit Bintang', 'Sultan Ismail'])}`,
  SG: (r) => `${r.int(1, 400)} ${r.pick(['Orchard Road', 'Geylang Road', 'Jurong West St 41', 'Tampines Ave 5'])} #${r.int(1, 20)}-${r.int(1, 99)}`,
  VN: (r) => `Số ${r.int(1, 300)} đường ${r.pick(['Lê Lợi', 'Trần Hưng Đạo', 'Nguyễn Huệ', 'Hai Bà Trưng', 'Lý Thường Kiệt'])}`,
  TH: (r) => `${r.int(1, 999)} ถนน${r.pick(['สุขุมวิท', 'พหลโยธิน', 'รัชดาภิเษก', 'เพชรบุรี', 'ลาดพร้าว'])}`,
  MM: (r) => `အမှတ် ${r.int(1, 200)} ${r.pick(['ဗိုလ်ချုပ်လမ်း', 'ပြည်လမ်း', 'အင်းယားလမ်း', 'ကမ္ဘာအေးလမ်း'])}`,
  KH: (r) => `ផ្ទះលេខ ${r.int(1, 300)} ${r.pick(['មហាវិថីព្រះនរោត្តម', 'ផ្លូវមុនីវង្ស', 'មហាវិថីសហព័ន្ធរុស្ស៊ី'])}`,
  LA: (r) => `ເຮືອນເລກທີ ${r.int(1, 200)} ${r.pick(['ຖະໜົນລ້ານຊ້າງ', 'ຖະໜົນສາມແສນໄທ', 'ຖະໜົນເຈົ້າອານຸ'])}`,
};

const PHONE = {
  PH: (r) => `+63 2 8${r.int(100, 999)} ${r.int(1000, 9999)}`,
  ID: (r) => `+62 21 ${r.int(100, 999)} ${r.int(1000, 9999)}`,
  MY: (r) => `+60 3 ${r.int(1000, 9999)} ${r.int(1000, 9999)}`,
  SG: (r) => `+65 6${r.int(100, 999)} ${r.int(1000, 9999)}`,
  VN: (r) => `+84 24 ${r.int(1000, 9999)} ${r.int(1000, 9999)}`,
  TH: (r) => `+66 2 ${r.int(100, 999)} ${r.int(1000, 9999)}`,
  MM: (r) => `+95 1 ${r.int(100, 999)} ${r.int(100, 999)}`,
  KH: (r) => `+855 23 ${r.int(100, 999)} ${r.int(100, 999)}`,
  LA: (r) => `+856 21 ${r.int(100, 999)} ${r.int(100, 999)}`,
};

// ---------------------------------------------------------------------------
// Authorities: how each one names agencies and numbers licences.

function slug(text) {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/đ/gi, 'd')
    .toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'agency';
}

function latinName(r, words, tail) {
  return `${r.pick(words)} ${r.pick(words)} ${tail}`;
}

// Each returns {name, otherNames, slug} for agency I.
const NAMING = {
  PH: (r) => {
    const name = `${r.pick(WORDS.ph)} ${r.pick(WORDS.ph)} ${r.pick(WORDS.phTail)}`;
    return { name, otherNames: r.chance(0.4) ? [{ text: name.split(' ').slice(0, 2).join(' '), lang: 'fil', kind: 'trade' }] : [] };
  },
  ID: (r) => {
    const core = `${r.pick(WORDS.id)} ${r.pick(WORDS.id)}`;
    return { name: `PT ${core} ${r.pick(['Sejahtera', 'Abadi', 'Utama', 'Mandiri'])}`, otherNames: r.chance(0.3) ? [{ text: core, lang: 'id', kind: 'trade' }] : [] };
  },
  MY: (r) => {
    const core = `${r.pick(WORDS.my)} ${r.pick(['Resources', 'Manpower', 'Services'])}`;
    return { name: `Agensi Pekerjaan ${core} Sdn. Bhd.`, otherNames: r.chance(0.3) ? [{ text: `AP ${core}`, lang: 'ms', kind: 'abbreviation' }] : [] };
  },
  SG: (r) => {
    const core = r.pick(WORDS.sg);
    return { name: `${core} ${r.pick(['Employment Agency', 'Maid Agency', 'Manpower'])} Pte. Ltd.`, otherNames: [] };
  },
  VN: (r) => {
    const core = `${r.pick(WORDS.vi)}`;
    const tail = r.pick(WORDS.viTail);
    const name = `${r.pick(WORDS.viHead)} ${tail} ${core}`;
    const english = `${slug(core).split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join(' ')} ${tail === 'Cung ứng Nhân lực' ? 'Manpower Supply' : 'Labour Cooperation'} JSC`;
    return { name, otherNames: [{ text: english, lang: 'en', kind: 'transliteration' }] };
  },
  TH: (r) => {
    const i = r.int(0, WORDS.th.length - 1);
    const j = r.int(0, WORDS.th.length - 1);
    return {
      name: `บริษัท จัดหางาน ${WORDS.th[i]}${WORDS.th[j]} จำกัด`,
      english: `${WORDS.thLatin[i]} ${WORDS.thLatin[j]} Recruitment Co., Ltd.`,
      otherNames: [{ text: `${WORDS.thLatin[i]} ${WORDS.thLatin[j]} Recruitment Co., Ltd.`, lang: 'en', kind: 'transliteration' }],
    };
  },
  MM: (r) => {
    const i = r.int(0, WORDS.mm.length - 1);
    const j = r.int(0, WORDS.mm.length - 1);
    const burmese = `${WORDS.mm[i]}${WORDS.mm[j]} ပြည်ပအလုပ်အကိုင်ရှာဖွေရေး ကုမ္ပဏီလီမိတက်`;
    const english = `${WORDS.mmLatin[i]} ${WORDS.mmLatin[j]} Overseas Employment Agency Co., Ltd.`;
    // Half are registered under their Burmese name, half under the English one.
    return r.chance(0.5)
      ? { name: burmese, otherNames: [{ text: english, lang: 'en', kind: 'transliteration' }] }
      : { name: english, otherNames: [{ text: burmese, lang: 'my', kind: 'legal' }] };
  },
  KH: (r) => {
    const i = r.int(0, WORDS.km.length - 1);
    const j = r.int(0, WORDS.km.length - 1);
    const khmer = `ក្រុមហ៊ុន ${WORDS.km[i]}${WORDS.km[j]} ជ្រើសរើសបុគ្គលិក ឯ.ក`;
    const english = `${WORDS.kmLatin[i]} ${WORDS.kmLatin[j]} Manpower Co., Ltd.`;
    return r.chance(0.5)
      ? { name: khmer, otherNames: [{ text: english, lang: 'en', kind: 'transliteration' }] }
      : { name: english, otherNames: [{ text: khmer, lang: 'km', kind: 'legal' }] };
  },
  LA: (r) => {
    const i = r.int(0, WORDS.lo.length - 1);
    const j = r.int(0, WORDS.lo.length - 1);
    return {
      name: `ບໍລິສັດ ${WORDS.lo[i]}${WORDS.lo[j]} ຈັດຫາງານ ຈຳກັດ`,
      otherNames: [{ text: `${WORDS.loLatin[i]} ${WORDS.loLatin[j]} Employment Co., Ltd.`, lang: 'en', kind: 'transliteration' }],
    };
  },
};

const AUTHORITIES = {
  'PH-DMW': { country: 'PH', ref: (i) => `DMW-${String(100000 + i)}`, number: (i, k) => `DMW-${String(100 + i).padStart(4, '0')}-${k % 2 ? 'SB' : 'LB'}-0315${String(20 + k)}-R`, categories: ['landbased', 'seabased'], reg: (r) => `CS${r.int(2005, 2025)}${r.int(10000, 99999)}` },
  'ID-BP2MI': { country: 'ID', ref: (i) => `P3MI-${String(i).padStart(5, '0')}`, number: (i, k) => `KEP.${String(200 + i)}/BP2MI/${2019 + ((i + k) % 7)}${k ? `-${k}` : ''}`, categories: ['p3mi'], reg: (r) => `AHU-${r.int(10000, 99999)}.AH.01.01.${r.int(2010, 2025)}` },
  'MY-JTKSM': { country: 'MY', ref: (i) => `JTK${String(i).padStart(6, '0')}`, number: (i, k) => `JTKSM ${String(1000 + i)}${k ? `-${String.fromCharCode(65 + k)}` : ''}`, categories: ['class_a', 'class_b', 'class_c'], reg: (r) => `${r.int(200000, 202599)}${r.int(100000, 999999)}` },
  'SG-MOM': { country: 'SG', ref: (i) => `EA${String(i).padStart(5, '0')}`, number: (i, k) => `${String(10 + (i % 15)).padStart(2, '0')}C${String(3000 + i * 3 + k)}`, categories: ['employment_agency'], reg: (r) => `${r.int(199000000, 202599999)}${r.pick(['K', 'M', 'N', 'W'])}` },
  'VN-MOLISA': { country: 'VN', ref: (i) => `GP-${String(i).padStart(4, '0')}`, number: (i, k) => `${String(100 + i * 3 + k)}/LĐTBXH-GP`, categories: ['overseas_work'], reg: (r) => `0${r.int(100000000, 999999999)}` },
  'TH-DOE': { country: 'TH', ref: (i) => `DOE-${String(i).padStart(5, '0')}`, number: (i, k) => `นจ. ${String(1000 + i * 3 + k)}/${2560 + (i % 8)}`, categories: ['overseas'], reg: (r) => `010${r.int(5500000000, 5569999999)}` },
  'MM-MOL': { country: 'MM', ref: (i) => `OEA-${String(i).padStart(4, '0')}`, number: (i, k) => `MOL/OEA-${String(300 + i * 3 + k).padStart(4, '0')}`, categories: ['overseas_employment'], reg: (r) => `${r.int(100000000, 199999999)}` },
  'KH-MLVT': { country: 'KH', ref: (i) => `RA-${String(i).padStart(4, '0')}`, number: (i, k) => `MLVT-RA-${String(400 + i * 3 + k)}`, categories: ['recruitment_agency'], reg: (r) => `0000${r.int(10000, 99999)}` },
  'LA-MLSW': { country: 'LA', ref: (i) => `LA-${String(i).padStart(4, '0')}`, number: (i, k) => `MLSW-${String(50 + i * 3 + k).padStart(4, '0')}`, categories: ['employment_service'], reg: (r) => `${r.int(1000000, 9999999)}` },
};

// The status a licence has in a list: mostly active, every other status too.
const STATUS_WEIGHTS = [
  ['active', 0.72], ['suspended', 0.05], ['revoked', 0.04], ['cancelled', 0.03], ['expired', 0.05],
  ['surrendered', 0.03], ['banned', 0.02], ['pending', 0.06],
];

function pickStatus(r) {
  let x = r();
  for (const [status, w] of STATUS_WEIGHTS) {
    if (x < w) return status;
    x -= w;
  }
  return 'active';
}

const REASONS = {
  suspended: 'Suspended pending investigation of complaints about placement fees',
  revoked: 'Revoked for charging workers prohibited recruitment fees',
  cancelled: 'Cancelled at the end of the licence term without renewal',
  expired: 'Licence term ended',
  surrendered: 'Voluntarily surrendered by the agency',
  banned: 'Banned for contract substitution and retention of workers\' passports',
  pending: 'Renewal application under review',
};

function isoDate(year, month, day) {
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

// Agency I of AUTHORITY, drawn from R.  `licences` is how many it holds.
function makeAgency(r, authority, i, { licences = r.int(1, 3), rich = true } = {}) {
  const a = AUTHORITIES[authority];
  const cc = a.country;
  const naming = NAMING[cc](r);
  const agencySlug = `${slug(naming.english || naming.otherNames.find((n) => n.lang === 'en')?.text || naming.name)}-${i}`;
  const agency = {
    ref: a.ref(i),
    name: naming.name,
    otherNames: naming.otherNames,
    country: cc,
    registrationNumber: a.reg(r),
    address: `${STREETS[cc](r)}, ${r.pick(CITIES[cc])}`,
    phone: PHONE[cc](r),
    email: `info@${agencySlug}.example`,
    website: r.chance(0.6) ? `https://${agencySlug}.example` : undefined,
    officers: [],
    personnel: [],
    branches: [],
    licences: [],
  };
  if (rich) {
    agency.officers.push({ name: r.pick(PEOPLE[cc]), role: r.pick(['president', 'managing director', 'director']) });
    if (r.chance(0.5)) agency.officers.push({ name: r.pick(PEOPLE[cc]), role: 'general manager' });
    const staff = r.int(0, 3);
    for (let p = 0; p < staff; p++) {
      agency.personnel.push({ name: r.pick(PEOPLE[cc]), registration: `R${2020 + r.int(0, 6)}-${String(i * 7 + p).padStart(5, '0')}` });
    }
    const branches = r.int(0, 2);
    for (let b = 0; b < branches; b++) {
      agency.branches.push({ address: STREETS[cc](r), city: r.pick(CITIES[cc]), country: cc });
    }
  }
  for (let k = 0; k < licences; k++) {
    const fromYear = 2021 + r.int(0, 5);
    const from = isoDate(fromYear, r.int(1, 12), r.int(1, 28));
    const until = isoDate(fromYear + 4, r.int(1, 12), r.int(1, 28));
    agency.licences.push({
      number: a.number(i, k),
      category: a.categories[k % a.categories.length],
      status: 'active',
      validFrom: from,
      validUntil: until,
    });
  }
  return agency;
}

// ---------------------------------------------------------------------------
// XML writing.

function escText(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escAttr(s) {
  return escText(s).replace(/"/g, '&quot;');
}

function el(name, value, attrs = '') {
  return value === undefined || value === null ? '' : `<${name}${attrs}>${escText(value)}</${name}>`;
}

// One <agency> element, indented, with a newline after each child so that
// line numbers in reports are useful.
function agencyXml(a) {
  const out = [];
  out.push(`  <agency${a.ref !== undefined ? ` ref="${escAttr(a.ref)}"` : ''}>`);
  out.push(`    ${el('name', a.name)}`);
  for (const n of a.otherNames || []) {
    const attrs = `${n.lang ? ` lang="${escAttr(n.lang)}"` : ''}${n.kind ? ` kind="${escAttr(n.kind)}"` : ''}`;
    out.push(`    ${el('otherName', n.text, attrs)}`);
  }
  for (const field of ['country', 'registrationNumber', 'address', 'phone', 'email', 'website']) {
    if (a[field] !== undefined) out.push(`    ${el(field, a[field])}`);
  }
  for (const o of a.officers || []) out.push(`    ${el('officer', o.name, o.role ? ` role="${escAttr(o.role)}"` : '')}`);
  for (const p of a.personnel || []) out.push(`    ${el('personnel', p.name, p.registration ? ` registration="${escAttr(p.registration)}"` : '')}`);
  for (const b of a.branches || []) {
    out.push(`    <branch>${el('address', b.address)}${el('city', b.city)}${el('country', b.country)}</branch>`);
  }
  for (const l of a.licences) {
    let attrs = ` number="${escAttr(l.number)}"`;
    if (l.category !== undefined) attrs += ` category="${escAttr(l.category)}"`;
    attrs += ` status="${escAttr(l.status)}"`;
    if (l.statusDate !== undefined) attrs += ` statusDate="${escAttr(l.statusDate)}"`;
    const children = [el('validFrom', l.validFrom), el('validUntil', l.validUntil), el('statusReason', l.statusReason)]
      .filter((x) => x !== '');
    if (children.length === 0) {
      out.push(`    <licence${attrs}/>`);
    } else {
      out.push(`    <licence${attrs}>`);
      for (const c of children) out.push(`      ${c}`);
      out.push('    </licence>');
    }
  }
  out.push('  </agency>');
  return `${out.join('\n')}\n`;
}

function listHead({ authority, generated, scope = 'complete' }) {
  return '<?xml version="1.0" encoding="UTF-8"?>\n'
    + `<licenceList xmlns="urn:fairreg:licence-list:1" authority="${escAttr(authority)}" generated="${escAttr(generated)}" scope="${escAttr(scope)}">\n`;
}

const LIST_TAIL = '</licenceList>\n';

// The whole canonical list as a string (small lists: tests and samples).
function listXml({ authority, generated, scope = 'complete', agencies }) {
  return listHead({ authority, generated, scope }) + agencies.map(agencyXml).join('') + LIST_TAIL;
}

// The Thai Department of Employment's flat export (DESIGN.md section 6): one
// ROW per licence, Buddhist-era day-first dates, Thai status words.
const THAI_STATUS = {
  active: 'ใช้งาน', suspended: 'พักใช้', revoked: 'เพิกถอน', cancelled: 'ยกเลิก', expired: 'หมดอายุ',
  surrendered: 'คืนใบอนุญาต', pending: 'รอพิจารณา',
  // The export has no word of its own for a ban (importers/profiles/th-doe-flat.xml):
  // a banned agency's licence shows as revoked.
  banned: 'เพิกถอน',
};

function buddhistDate(iso) {
  const [y, m, d] = iso.split('-');
  return `${d}/${m}/${Number(y) + 543}`;
}

function thaiFlatXml(agencies) {
  const rows = [];
  for (const a of agencies) {
    const english = (a.otherNames.find((n) => n.lang === 'en') || {}).text;
    const province = a.address.split(', ').pop();
    for (const l of a.licences) {
      rows.push('  <ROW>\n'
        + `    ${el('LIC_NO', l.number)}\n`
        + `    ${el('COMPANY_TH', a.name)}\n`
        + (english ? `    ${el('COMPANY_EN', english)}\n` : '')
        + `    ${el('STATUS', THAI_STATUS[l.status])}\n`
        + `    ${el('ISSUE_DATE', buddhistDate(l.validFrom))}\n`
        + `    ${el('EXPIRE_DATE', buddhistDate(l.validUntil))}\n`
        + `    ${el('PROVINCE', province)}\n`
        + '  </ROW>\n');
    }
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<DATA>\n${rows.join('')}</DATA>\n`;
}

// ---------------------------------------------------------------------------
// The demo samples: for each authority an older list and a newer one that
// changes some statuses (so that history exists) and, for complete lists,
// drops a few licences (which the import delists).

const SAMPLE_PLAN = [
  // authority, agencies, seed, scope
  ['PH-DMW', 70, 101, 'complete'],
  ['ID-BP2MI', 45, 102, 'complete'],
  ['MY-JTKSM', 30, 103, 'partial'],
  ['SG-MOM', 25, 104, 'complete'],
  ['VN-MOLISA', 45, 105, 'complete'],
  ['MM-MOL', 40, 106, 'complete'],
  ['KH-MLVT', 35, 107, 'complete'],
  ['LA-MLSW', 25, 108, 'complete'],
  ['TH-DOE', 40, 109, 'flat'],
];

const OLDER = '2026-05-01T08:00:00Z';
const NEWER = '2026-11-01T08:00:00Z';

function samplesFor(authority, count, seed) {
  const r = rng(seed);
  const agencies = [];
  for (let i = 1; i <= count; i++) agencies.push(makeAgency(r, authority, i));
  const older = structuredClone(agencies);
  // The newer list: statuses change, with a reason and sometimes a date.
  const newer = structuredClone(agencies);
  for (const a of newer) {
    for (const l of a.licences) {
      l.status = pickStatus(r);
      if (l.status !== 'active') {
        l.statusReason = REASONS[l.status];
        if (r.chance(0.5)) l.statusDate = isoDate(2026, r.int(6, 10), r.int(1, 28));
      }
      if (l.status === 'expired') {
        l.validFrom = isoDate(2021, r.int(1, 12), r.int(1, 28));
        l.validUntil = isoDate(2025, r.int(1, 12), r.int(1, 28));
      }
    }
  }
  // A few agencies are gone from the newer list: their licences get delisted.
  const dropped = newer.filter((_, i) => i % 17 === 5);
  return { older, newer: newer.filter((a) => !dropped.includes(a)) };
}

function writeSamples(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const written = [];
  for (const [authority, count, seed, scope] of SAMPLE_PLAN) {
    const { older, newer } = samplesFor(authority, count, seed);
    const base = authority.toLowerCase();
    const files = [];
    if (scope === 'flat') {
      files.push([`${base}-1-2026-05.xml`, thaiFlatXml(older)]);
      files.push([`${base}-2-2026-11.xml`, thaiFlatXml(newer)]);
    } else {
      files.push([`${base}-1-2026-05.xml`, listXml({ authority, generated: OLDER, scope, agencies: older })]);
      files.push([`${base}-2-2026-11.xml`, listXml({ authority, generated: NEWER, scope, agencies: newer })]);
    }
    for (const [name, text] of files) {
      fs.writeFileSync(path.join(dir, name), text);
      written.push(name);
    }
  }
  return written;
}

// ---------------------------------------------------------------------------
// Benchmark files, streamed to disk: a canonical list of LICENCES licences
// (1 to 5 per agency, 3 on average) and, beside it, the same content as the
// loader's staging rows (kind, seq, item, line, c1..c8) for the COPY baseline.

function tsvField(v) {
  if (v === undefined || v === null) return '\\N';
  return String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

function writeBench({ licences, xml, tsv, seed = 7, authority = 'PH-DMW' }) {
  const r = rng(seed);
  const authorities = Object.keys(AUTHORITIES);
  const xfd = fs.openSync(xml, 'w');
  const tfd = tsv ? fs.openSync(tsv, 'w') : null;
  let xbuf = listHead({ authority, generated: NEWER, scope: 'complete' });
  let tbuf = '';
  let line = 3;
  let made = 0;
  let seq = 0;
  let item = 0;
  const flush = (force) => {
    if (force || xbuf.length > 1 << 20) { fs.writeSync(xfd, xbuf); xbuf = ''; }
    if (tfd !== null && (force || tbuf.length > 1 << 20)) { fs.writeSync(tfd, tbuf); tbuf = ''; }
  };
  const row = (kind, s, it, ln, cols) => {
    if (tfd === null) return;
    const c = cols.concat(Array(8 - cols.length).fill(null));
    tbuf += `${kind}\t${s ?? '\\N'}\t${it ?? '\\N'}\t${ln}\t${c.map(tsvField).join('\t')}\n`;
  };
  while (made < licences) {
    seq += 1;
    const n = Math.min(r.int(1, 5), licences - made);
    // Names and addresses in every script, all under the one authority.
    const style = authorities[seq % authorities.length];
    const a = makeAgency(r, style, seq, { licences: n });
    a.ref = `B${String(seq).padStart(8, '0')}`;
    a.country = AUTHORITIES[authority].country;
    for (const b of a.branches) b.country = a.country;
    a.licences.forEach((l, k) => {
      l.number = `BENCH-${String(seq).padStart(8, '0')}-${k + 1}`;
      l.status = pickStatus(r);
      if (l.status !== 'active') l.statusReason = REASONS[l.status];
    });
    const text = agencyXml(a);
    // Staging rows, with the lines the reader would report.
    row('A', seq, null, line, [a.ref, a.name, a.country, a.registrationNumber, a.address, a.phone, a.email, a.website]);
    for (const o of a.otherNames) row('N', seq, null, line, [o.text, o.lang, o.kind]);
    for (const o of a.officers) row('O', seq, null, line, [o.name, o.role]);
    for (const p of a.personnel) row('P', seq, null, line, [p.name, p.registration, null]);
    for (const b of a.branches) row('B', seq, null, line, [b.address, b.city, b.country]);
    const lines = text.split('\n');
    lines.forEach((t, k) => {
      if (t.startsWith('    <licence')) {
        item += 1;
        const l = a.licences.find((x) => t.includes(`number="${escAttr(x.number)}"`));
        row('L', seq, item, line + k, [l.number, l.category, l.status, l.validFrom, l.validUntil, l.statusDate, l.statusReason]);
      }
    });
    line += lines.length - 1;
    xbuf += text;
    made += n;
    flush(false);
  }
  xbuf += LIST_TAIL;
  flush(true);
  fs.closeSync(xfd);
  if (tfd !== null) fs.closeSync(tfd);
  return { agencies: seq, licences: made };
}

// ---------------------------------------------------------------------------

function main(argv) {
  const [command, ...rest] = argv;
  const opts = {};
  for (let i = 0; i < rest.length; i += 2) opts[rest[i].replace(/^--/, '')] = rest[i + 1];
  if (command === 'samples') {
    const dir = opts.dir || path.resolve(__dirname, '..', '..', '..', 'importers', 'samples');
    const written = writeSamples(dir);
    process.stdout.write(`wrote ${written.length} lists into ${dir}\n`);
    return 0;
  }
  if (command === 'bench' && opts.licences && opts.xml) {
    const made = writeBench({ licences: Number(opts.licences), xml: opts.xml, tsv: opts.tsv, seed: Number(opts.seed || 7) });
    process.stdout.write(`wrote ${made.licences} licences of ${made.agencies} agencies into ${opts.xml}\n`);
    return 0;
  }
  process.stderr.write('usage: licence-lists.js samples [--dir DIR]\n'
    + '       licence-lists.js bench --licences N --xml FILE [--tsv FILE] [--seed S]\n');
  return 2;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

module.exports = {
  AUTHORITIES, PEOPLE, REASONS, THAI_STATUS, agencyXml, buddhistDate, isoDate, listXml, makeAgency,
  pickStatus, rng, samplesFor, slug, thaiFlatXml, writeBench, writeSamples,
};
