// Validates an OpenAPI document against the OpenAPI 3.1 JSON Schema with
// @seriousme/openapi-schema-validator (resolving every $ref), and fails
// unless it is 3.1. Usage: node scripts/lib/validate-openapi.mjs FILE
import { readFile } from "node:fs/promises";
import { Validator } from "@seriousme/openapi-schema-validator";

const file = process.argv[2];
const doc = JSON.parse(await readFile(file, "utf8"));
const validator = new Validator();
const result = await validator.validate(doc);
if (!result.valid) {
  console.error(JSON.stringify(result.errors, null, 2).slice(0, 20000));
  console.error(`${file}: not a valid OpenAPI document`);
  process.exit(1);
}
if (validator.version !== "3.1") {
  console.error(`${file}: OpenAPI ${validator.version}, not 3.1`);
  process.exit(1);
}
// Every $ref must resolve (resolveRefs throws on a dangling one).
validator.resolveRefs();
const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
console.log(
  `OpenAPI ${doc.openapi} valid: ${Object.keys(doc.paths).length} paths, ${operations} operations, ${Object.keys(doc.components.schemas).length} schemas`,
);
