// Checks our GetStream wire formats against the vendor's own SDK
// (@stream-io/node-sdk, pinned in package.json). Run by
// tests/tests/stream_sdk.rs with the project's Node 22:
//
//   node tests/js/stream_sdk.mjs <command>   (JSON input on stdin, JSON output on stdout)
//
// Commands:
//   sign-webhook  {secret, body}                 -> {signature, verified, gzip_parsed_type}
//       The signature computed exactly as the SDK's verifyWebhook computes it
//       (HMAC-SHA256 over the raw body, keyed with the UTF-8 secret, lowercase
//       hex), then checked with the SDK's own verifyWebhook, and the gzip form
//       with verifyAndParseWebhook (which inflates before verifying).
//   verify-token  {secret, api_key, token, user_id, call_cids}
//                                                -> {claims, header, reference_claims, reference_header}
//       Verifies a token we minted with jsonwebtoken (the SDK's JWT library),
//       HS256 only, and mints the SDK's own call token for comparison.
//   get-or-create {base, api_key, secret, type, id, data}
//                                                -> {created, call}
//       Drives the fake Stream server with the SDK's real getOrCreate request.
//   recording     {base, api_key, secret, type, id}
//                                                -> {steps: [{op, ok, status?}]}
//       Drives the fake with the SDK's startRecording('composite'),
//       startTranscription, stopRecording and stopTranscription, then a
//       second stopRecording (which Stream refuses), recording each outcome.

import { createHmac } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { StreamClient } from '@stream-io/node-sdk';

const require = createRequire(import.meta.url);
// The SDK's own JWT dependency (hoisted next to it in node_modules).
const jwt = require('jsonwebtoken');

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function decodePart(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

const commands = {
  'sign-webhook': async ({ secret, body }) => {
    const client = new StreamClient('unused-key', secret);
    const raw = Buffer.from(body, 'utf8');
    const signature = createHmac('sha256', Buffer.from(secret, 'utf8')).update(raw).digest('hex');
    const verified = client.verifyWebhook(raw, signature);
    const parsed = client.verifyAndParseWebhook(gzipSync(raw), signature);
    let tamperedAccepted = true;
    try {
      client.verifyAndParseWebhook(Buffer.from(body + ' '), signature);
    } catch {
      tamperedAccepted = false;
    }
    return { signature, verified, gzip_parsed_type: parsed.type, tampered_accepted: tamperedAccepted };
  },

  'verify-token': async ({ secret, api_key, token, user_id, call_cids }) => {
    const claims = jwt.verify(token, secret, { algorithms: ['HS256'] });
    const header = decodePart(token.split('.')[0]);
    let wrongSecretAccepted = true;
    try {
      jwt.verify(token, secret + 'x', { algorithms: ['HS256'] });
    } catch {
      wrongSecretAccepted = false;
    }
    const client = new StreamClient(api_key, secret);
    const reference = client.generateCallToken({ user_id, call_cids });
    return {
      claims,
      header,
      wrong_secret_accepted: wrongSecretAccepted,
      reference_claims: jwt.verify(reference, secret, { algorithms: ['HS256'] }),
      reference_header: decodePart(reference.split('.')[0]),
    };
  },

  'get-or-create': async ({ base, api_key, secret, type, id, data }) => {
    const client = new StreamClient(api_key, secret, { basePath: base, timeout: 5000 });
    const call = client.video.call(type, id);
    const response = await call.getOrCreate({ data: { ...data, starts_at: new Date(data.starts_at) } });
    return { created: response.created, call: { cid: response.call.cid, id: response.call.id } };
  },

  recording: async ({ base, api_key, secret, type, id }) => {
    const client = new StreamClient(api_key, secret, { basePath: base, timeout: 5000 });
    const call = client.video.call(type, id);
    const steps = [];
    const step = async (op, fn) => {
      try {
        await fn();
        steps.push({ op, ok: true });
      } catch (err) {
        steps.push({ op, ok: false, status: err && (err.metadata?.responseCode ?? err.code ?? null) });
      }
    };
    await step('start_recording', () => call.startRecording({ recording_type: 'composite' }));
    await step('start_transcription', () => call.startTranscription({ language: 'auto' }));
    await step('stop_recording', () => call.stopRecording({ recording_type: 'composite' }));
    await step('stop_transcription', () => call.stopTranscription({}));
    await step('stop_recording_again', () => call.stopRecording({ recording_type: 'composite' }));
    return { steps };
  },
};

const command = commands[process.argv[2]];
if (!command) {
  console.error(`unknown command ${process.argv[2]}`);
  process.exit(2);
}
try {
  const input = await readStdin();
  process.stdout.write(JSON.stringify(await command(input)));
} catch (err) {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
}
