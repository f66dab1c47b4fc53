// Differential oracle for tests/tests/ot_differential.rs: reads one JSON case
// per line on stdin ({doc, a, b}), answers one JSON line per case with what
// ShareDB's text type (npm ot-text-unicode) computes for it.
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

const require = createRequire(import.meta.url);
const { type } = require('ot-text-unicode');

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  const { doc, a, b } = JSON.parse(line);
  const out = {};
  try {
    const aPrime = type.transform(a, b, 'left');
    const bPrime = type.transform(b, a, 'right');
    out.a_prime = type.normalize(aPrime);
    out.b_prime = type.normalize(bPrime);
    out.ab = type.apply(type.apply(doc, a), bPrime);
    out.ba = type.apply(type.apply(doc, b), aPrime);
    out.composed = type.normalize(type.compose(a, bPrime));
    out.apply_a = type.apply(doc, a);
  } catch (e) {
    out.error = String(e && e.message ? e.message : e);
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}
