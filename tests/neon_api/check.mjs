// Checks recorded Neon API exchanges against Neon's published OpenAPI document, the one the npm
// package @neondatabase/api-client ships (public-v2-for-users.gen.yaml, from which the package's
// TypeScript client is generated). Run by tests/neon_api_schema.rs:
//
//   node check.mjs exchanges.json
//
// exchanges.json: [{"method": "GET", "path": "/projects", "query": [["limit", "100"]],
//                   "status": 200, "body": {...}}, ...] with paths below /api/v2.
//
// For each exchange: the path and method are an operation of the API; every query parameter is
// one the operation declares, with a value its schema accepts, and every required one is there;
// path parameters match their schemas; the body validates against the response schema for the
// status (the operation's own, else its `default`), and holds no property the schema does not
// declare (so the mock cannot invent fields the client then depends on). Prints one line per
// problem and exits 1 if there is any.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import YAML from "yaml";

const require = createRequire(import.meta.url);
const packageDir = dirname(require.resolve("@neondatabase/api-client/package.json"));
const documentPath = join(packageDir, "public-v2-for-users.gen.yaml");
const doc = YAML.parse(readFileSync(documentPath, "utf8"));
const version = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")).version;

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
// Neon's own integer formats.
ajv.addFormat("int", { type: "number", validate: Number.isInteger });
ajv.addFormat("uint", { type: "number", validate: (n) => Number.isInteger(n) && n >= 0 });
ajv.addFormat("double", { type: "number", validate: () => true });
ajv.addFormat("binary", () => true);

function resolve(node) {
  let seen = 0;
  while (node && node.$ref && seen++ < 20) {
    const parts = node.$ref.replace(/^#\//, "").split("/");
    node = parts.reduce((at, part) => at?.[part.replace(/~1/g, "/").replace(/~0/g, "~")], doc);
  }
  return node;
}

const templates = Object.keys(doc.paths).map((template) => ({
  template,
  names: [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]),
  regex: new RegExp(
    "^" + template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[^}]+\\?\}/g, "([^/]+)") + "$",
  ),
}));

function match(path) {
  // A literal segment wins over a parameter (`/users/me` is not `/users/{id}`).
  const found = templates
    .map((t) => ({ t, m: t.regex.exec(path) }))
    .filter(({ m }) => m)
    .sort((a, b) => a.t.names.length - b.t.names.length);
  if (found.length === 0) return null;
  const { t, m } = found[0];
  const params = {};
  t.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1])));
  return { template: t.template, params };
}

const validators = new Map();
function validator(key, schema) {
  if (!validators.has(key)) {
    validators.set(key, ajv.compile({ ...schema, components: doc.components }));
  }
  return validators.get(key);
}

function coerce(value, schema) {
  const s = resolve(schema) || {};
  if (s.type === "integer" || s.type === "number") return value.trim() === "" ? value : Number(value);
  if (s.type === "boolean") return value === "true" ? true : value === "false" ? false : value;
  if (s.type === "array") return value.split(",");
  return value;
}

/** A schema and its allOf members, flattened and resolved. */
function members(schema) {
  schema = resolve(schema);
  if (!schema) return [];
  return [schema, ...(schema.allOf || []).flatMap(members)];
}

/** Properties of `value` that `schema` does not declare, as paths like `body.projects[0].x`. */
function undeclared(schema, value, at, out) {
  const all = members(schema);
  if (all.length === 0 || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    const items = all.find((m) => m.items)?.items;
    if (items) value.forEach((item, i) => undeclared(items, item, `${at}[${i}]`, out));
    return;
  }
  // Alternatives and open maps are left to the schema validation.
  if (all.some((m) => m.oneOf || m.anyOf || m.additionalProperties)) return;
  const properties = Object.assign({}, ...all.map((m) => m.properties || {}));
  if (Object.keys(properties).length === 0) return;
  for (const [key, item] of Object.entries(value)) {
    if (!(key in properties)) out.push(`${at}.${key}`);
    else undeclared(properties[key], item, `${at}.${key}`, out);
  }
}

const exchanges = JSON.parse(readFileSync(process.argv[2], "utf8"));
const problems = [];
for (const exchange of exchanges) {
  const method = exchange.method.toLowerCase();
  const query = exchange.query || [];
  const label = `${exchange.method} ${exchange.path}${query.length ? "?" + query.map(([k, v]) => `${k}=${v}`).join("&") : ""} → ${exchange.status}`;
  const found = match(exchange.path);
  if (!found) {
    problems.push(`${label}: no such path in Neon's API`);
    continue;
  }
  const item = doc.paths[found.template];
  const operation = item[method];
  if (!operation) {
    problems.push(`${label}: ${found.template} has no ${exchange.method}`);
    continue;
  }
  const parameters = [...(item.parameters || []), ...(operation.parameters || [])].map(resolve);
  for (const [name, value] of query) {
    const declared = parameters.find((p) => p.in === "query" && p.name === name);
    if (!declared) {
      problems.push(`${label}: query parameter ${name} is not one ${operation.operationId} takes`);
      continue;
    }
    const check = validator(`${operation.operationId}?${name}`, resolve(declared.schema) || {});
    if (!check(coerce(value, declared.schema))) {
      problems.push(`${label}: ${name}=${value}: ${ajv.errorsText(check.errors)}`);
    }
  }
  for (const p of parameters.filter((p) => p.in === "query" && p.required)) {
    if (!query.some(([name]) => name === p.name)) problems.push(`${label}: required query parameter ${p.name} missing`);
  }
  for (const [name, value] of Object.entries(found.params)) {
    const declared = parameters.find((p) => p.in === "path" && p.name === name);
    if (!declared) continue;
    const check = validator(`${operation.operationId}/${name}`, resolve(declared.schema) || {});
    if (!check(value)) problems.push(`${label}: path parameter ${name}=${value}: ${ajv.errorsText(check.errors)}`);
  }
  const response = resolve(operation.responses[String(exchange.status)] || operation.responses.default);
  if (!response) {
    problems.push(`${label}: ${operation.operationId} declares no response ${exchange.status}`);
    continue;
  }
  const schema = response.content?.["application/json"]?.schema;
  if (!schema) continue;
  const check = validator(`${operation.operationId}:${exchange.status in operation.responses ? exchange.status : "default"}`, schema);
  if (!check(exchange.body)) {
    problems.push(`${label}: body: ${ajv.errorsText(check.errors, { dataVar: "body" })}`);
  }
  const extra = [];
  undeclared(schema, exchange.body, "body", extra);
  if (extra.length) problems.push(`${label}: properties the API does not declare: ${extra.join(", ")}`);
}

for (const problem of problems) console.log(problem);
console.log(
  `checked ${exchanges.length} exchanges against @neondatabase/api-client ${version} (${doc.info.title} ${doc.info.version}): ${problems.length} problems`,
);
process.exit(problems.length ? 1 : 0);
