// Checks our fake OpenAI-compatible embeddings server
// (tests/src/fakes/embeddings.rs) against the vendor's own SDK (the
// `openai` npm package, pinned in package.json). Run by
// tests/tests/embeddings_flow.rs with the project's Node 22:
//
//   node tests/js/openai_embeddings_sdk.mjs embed   (JSON input on stdin, JSON output on stdout)
//
//   embed {base, api_key, model, input} -> {object, model, vectors, indexes, usage}
//       One embeddings.create with encoding_format "float", as our remote
//       embedder sends it; the SDK parses the fake's answer.
//   error {base, api_key, model}        -> {ok, status, error_class}
//       One call with maxRetries 0 (the test scripts a failure first).

import OpenAI from 'openai';

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function client(base, apiKey) {
  return new OpenAI({ baseURL: base, apiKey, maxRetries: 0, timeout: 10_000 });
}

const commands = {
  embed: async ({ base, api_key, model, input }) => {
    const r = await client(base, api_key).embeddings.create({
      model,
      input,
      encoding_format: 'float',
    });
    return {
      object: r.object,
      model: r.model,
      vectors: r.data.map((d) => d.embedding),
      indexes: r.data.map((d) => d.index),
      usage: r.usage,
    };
  },
  error: async ({ base, api_key, model }) => {
    try {
      await client(base, api_key).embeddings.create({ model, input: ['x'], encoding_format: 'float' });
      return { ok: true };
    } catch (e) {
      return { ok: false, status: e.status ?? null, error_class: e.constructor.name };
    }
  },
};

const command = process.argv[2];
const input = await readStdin();
const out = await commands[command](input);
process.stdout.write(JSON.stringify(out));
