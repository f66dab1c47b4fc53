// Checks our fake OpenAI-compatible server (tests/src/fakes/openai.rs)
// against the vendor's own SDK (the `openai` npm package, pinned in
// package.json), the way stream_sdk.mjs checks the fake Stream. Run by
// tests/tests/intelligence_openai_sdk.rs with the project's Node 22:
//
//   node tests/js/openai_sdk.mjs <command>   (JSON input on stdin, JSON output on stdout)
//
// Commands:
//   chat    {base, api_key, model, messages}   -> {id, object, model, content, finish_reason, usage}
//       One chat.completions.create with response_format json_object, as our
//       provider sends it; the SDK parses the fake's answer.
//   errors  {base, api_key, model, calls}      -> {results: [{ok, status, error_class, content}]}
//       `calls` requests in a row with maxRetries 0 (the fake is scripted
//       by the test: 429, 5xx, garbage…), reporting which SDK error class
//       each became; then one with a wrong key.

import OpenAI from 'openai';

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function client(base, apiKey) {
  return new OpenAI({ baseURL: base, apiKey, maxRetries: 0, timeout: 10_000 });
}

async function once(c, model) {
  try {
    const r = await c.chat.completions.create({
      model,
      messages: [{ role: 'user', content: '{"task":"ping"}' }],
      response_format: { type: 'json_object' },
    });
    return { ok: true, content: r.choices[0].message.content };
  } catch (e) {
    return { ok: false, status: e.status ?? null, error_class: e.constructor.name };
  }
}

const commands = {
  chat: async ({ base, api_key, model, messages }) => {
    const r = await client(base, api_key).chat.completions.create({
      model,
      messages,
      response_format: { type: 'json_object' },
      temperature: 0.4,
      max_tokens: 1200,
      n: 1,
      seed: 7,
    });
    const choice = r.choices[0];
    return {
      id: r.id,
      object: r.object,
      model: r.model,
      content: choice.message.content,
      role: choice.message.role,
      finish_reason: choice.finish_reason,
      usage: r.usage,
    };
  },

  errors: async ({ base, api_key, model, calls }) => {
    const c = client(base, api_key);
    const results = [];
    for (let i = 0; i < calls; i += 1) results.push(await once(c, model));
    results.push(await once(client(base, 'sk-wrong'), model));
    return { results };
  },
};

const command = process.argv[2];
if (!commands[command]) {
  console.error(`unknown command ${command}`);
  process.exit(2);
}
const out = await commands[command](await readStdin());
process.stdout.write(JSON.stringify(out));
