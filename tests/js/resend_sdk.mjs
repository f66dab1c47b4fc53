// Checks our fake Resend server (tests/src/fakes/resend.rs) against Resend's
// own Node SDK (the `resend` npm package, pinned in package.json), the way
// openai_sdk.mjs checks the fake OpenAI-compatible server. Run by
// tests/tests/notifications_resend_sdk.rs with the project's Node 22:
//
//   node tests/js/resend_sdk.mjs send   (JSON input on stdin, JSON output on stdout)
//
//   send {base, api_key, emails: [{from, to, subject, text, idempotency_key}]}
//        -> {results: [{id, error}]}
//        One emails.send per entry, in order, as our provider sends them
//        (the idempotency key as the SDK's `idempotencyKey` option); the SDK
//        parses each answer into {data, error}.

import { Resend } from 'resend';

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const [command] = process.argv.slice(2);
const input = await readStdin();

if (command !== 'send') {
  console.error(`unknown command ${command}`);
  process.exit(2);
}

const resend = new Resend(input.api_key, { baseUrl: input.base });
const results = [];
for (const e of input.emails) {
  const { data, error } = await resend.emails.send(
    { from: e.from, to: e.to, subject: e.subject, text: e.text },
    e.idempotency_key ? { idempotencyKey: e.idempotency_key } : undefined,
  );
  results.push({ id: data?.id ?? null, error: error ? (error.name ?? 'error') : null });
}
process.stdout.write(JSON.stringify({ results }));
