// Parses our transcript exports with third-party parsers from npm (pinned
// in package.json): WebVTT with `webvtt-parser` (a port of the W3C
// validator's parser, which reports every syntax error), SRT with
// `srt-parser-2`. Run by tests/tests/recordings.rs with the project's Node 22:
//
//   node tests/js/subtitles.mjs <command>   (JSON input on stdin, JSON output on stdout)
//
// Commands:
//   vtt {text} -> {errors: [...], cues: [{id, start, end, voice, text}]}
//   srt {text} -> {cues: [{id, start, end, text}]}
// Times are in seconds, as the parsers give them.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { WebVTTParser } = require('webvtt-parser');
const SrtParser = require('srt-parser-2').default;

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function textOf(node) {
  if (node.type === 'text') return node.value;
  return (node.children || []).map(textOf).join('');
}

const commands = {
  vtt: async ({ text }) => {
    const parsed = new WebVTTParser().parse(text);
    return {
      errors: parsed.errors.map((e) => ({ message: e.message, line: e.line })),
      cues: parsed.cues.map((c) => {
        const voice = c.tree.children.find((n) => n.type === 'object' && n.name === 'v');
        return {
          id: c.id,
          start: c.startTime,
          end: c.endTime,
          voice: voice ? voice.value : null,
          text: textOf(c.tree),
        };
      }),
    };
  },
  srt: async ({ text }) => ({
    cues: new SrtParser().fromSrt(text).map((c) => ({
      id: c.id,
      start: c.startSeconds,
      end: c.endSeconds,
      text: c.text,
    })),
  }),
};

const command = commands[process.argv[2]];
if (!command) {
  console.error(`unknown command ${process.argv[2]}`);
  process.exit(2);
}
try {
  process.stdout.write(JSON.stringify(await command(await readStdin())));
} catch (err) {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
}
