// Checks answers of the running server against its OpenAPI document
// (/openapi.json): the status must be documented for the operation, the
// content type too, and a JSON body must validate against the response's
// schema (ajv, JSON Schema 2020-12 with formats).  contract.test.js uses it
// over the public reads, permissions.test.js over every cell of the
// permission matrix, story.test.js over every step of a complaint's life.
'use strict';

const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');

// Rewrites "#/components/schemas/X" references to "#/$defs/X", so that each
// response schema compiles with the document's schemas as its $defs.
function rewriteRefs(value) {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === '$ref' && typeof child === 'string' && child.startsWith('#/components/schemas/')) {
      out[key] = `#/$defs/${child.slice('#/components/schemas/'.length)}`;
    } else {
      out[key] = rewriteRefs(child);
    }
  }
  return out;
}

function makeAjv() {
  const v = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictTuples: false });
  addFormats(v);
  // OpenAPI's own annotations in schema objects.
  for (const keyword of ['example', 'xml', 'externalDocs', 'discriminator']) v.addKeyword({ keyword });
  return v;
}

// A compiled validator for the schema of a response object.
const compiled = new WeakMap(); // schema object -> validator, per document
function validatorFor(doc, ajv, schema) {
  if (!compiled.has(schema)) {
    compiled.set(schema, ajv.compile({ ...rewriteRefs(schema), $defs: rewriteRefs(doc.components.schemas || {}) }));
  }
  return compiled.get(schema);
}

// The response object for STATUS (following $ref to components.responses).
function responseFor(doc, operation, status) {
  let response = operation.responses[String(status)] || operation.responses.default;
  if (response && response.$ref) {
    response = doc.components.responses[response.$ref.split('/').pop()];
  }
  return response;
}

// Checks one answer against the document; returns a list of problems.
function checkAnswer(doc, ajv, operation, res) {
  const problems = [];
  const response = responseFor(doc, operation, res.status);
  if (!response) return [`status ${res.status} is not documented`];
  const type = (res.headers.get('content-type') || '').split(';')[0].trim();
  const content = response.content || {};
  if (Object.keys(content).length === 0) {
    if (res.text !== '') problems.push(`status ${res.status} documents no body, got ${res.text.length} bytes`);
    return problems;
  }
  const media = content[type];
  if (!media) return [`content type ${type} is not documented for ${res.status} (${Object.keys(content)})`];
  if (type === 'application/json') {
    let body;
    try {
      body = JSON.parse(res.text);
    } catch {
      return ['the body is not JSON'];
    }
    const validate = validatorFor(doc, ajv, media.schema || {});
    if (!validate(body)) {
      problems.push(...validate.errors.map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`));
    }
  } else if (res.text.length === 0) {
    problems.push(`an empty ${type} body`);
  }
  return problems;
}

// A checker for DOC (the parsed document): check(operation, res) and
// checkCall(method, pattern, res) return a list of problems (empty when the
// answer is as documented).
function documentChecker(doc) {
  const ajv = makeAjv();
  const check = (operation, res) => checkAnswer(doc, ajv, operation, res);
  const checkCall = (method, pattern, res) => {
    const item = doc.paths[pattern];
    const operation = item && item[method.toLowerCase()];
    if (!operation) return [`${method} ${pattern} is not documented`];
    return check(operation, res);
  };
  return { check, checkCall };
}

module.exports = { documentChecker };
