// The ShareDB side of the benchmark (bench/, `loadgen`): a stock ShareDB
// backend with the `ot-text-unicode` type registered (the same text OT our
// notes speak), served over WebSockets with `ws`. One process, one event
// loop: ShareDB's own single-node setup, with an in-memory pubsub.
//
//   node bench/sharedb-server.mjs [--port N] [--db postgres://…]
//
// --port: 0, the default, picks a free port.
// --db:   store documents and ops in PostgreSQL with `sharedb-postgres`
//         instead of ShareDB's in-memory database. The adapter's tables
//         (`ops`, `snapshots`) are created from its own structure.sql when
//         absent. The pool keeps POOL_SIZE connections open for the whole
//         run, so the server's processes stay the same while it is measured.
//
// Prints one line, `listening <port>`, once it accepts connections, and
// exits when its stdin closes, so it never outlives the generator that
// started it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Duplex } from 'node:stream';

const require = createRequire(import.meta.url);
const ShareDB = require('sharedb');
const textUnicode = require('ot-text-unicode');
const { WebSocketServer, WebSocket } = require('ws');

ShareDB.types.register(textUnicode.type);

function option(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const port = Number(option('--port') ?? 0);
const dbUrl = option('--db');
// node-postgres's own default pool size.
const POOL_SIZE = 10;

// sharedb-postgres on the database at `url`, its tables created if absent
// and every pooled connection opened before the first client arrives.
async function postgresDb(url) {
  const pg = require('pg');
  const PostgresDB = require('sharedb-postgres');
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  const { rows } = await setup.query("SELECT to_regclass('ops') IS NOT NULL AS present");
  if (!rows[0].present) {
    await setup.query(readFileSync(require.resolve('sharedb-postgres/structure.sql'), 'utf8'));
  }
  await setup.end();
  const db = new PostgresDB({ connectionString: url, max: POOL_SIZE, idleTimeoutMillis: 0 });
  // sharedb-postgres 5.0.1 reads a snapshot's data as `row.data || undefined`,
  // so an empty text (every meeting's notes when created) comes back as no
  // data at all, and ShareDB then refuses the first op ("Invalid document
  // snapshot"). A text-unicode document's data is always a string: restore it.
  const getSnapshot = db.getSnapshot.bind(db);
  db.getSnapshot = (collection, id, fields, options, callback) =>
    getSnapshot(collection, id, fields, options, (err, snapshot) => {
      if (!err && snapshot.type === textUnicode.type.uri && snapshot.data === undefined) {
        snapshot.data = '';
      }
      callback(err, snapshot);
    });
  // The adapter owns its pool (`_pool`); open all of it now.
  const clients = await Promise.all(Array.from({ length: POOL_SIZE }, () => db._pool.connect()));
  clients.forEach((client) => client.release());
  return db;
}

const db = dbUrl ? await postgresDb(dbUrl) : undefined;
const backend = new ShareDB(db ? { db } : {});

// ShareDB's `backend.listen(stream)` wants an object-mode Duplex: it reads
// one parsed message per 'data' event and writes one message object per
// reply. This adapter is that stream over one WebSocket (the job npm
// @teamwork/websocket-json-stream does, which is not installed here).
class JsonWebSocketStream extends Duplex {
  constructor(socket) {
    super({ objectMode: true });
    this.socket = socket;
    socket.on('message', (data, isBinary) => {
      if (isBinary) return this.destroy(new Error('binary frame'));
      let message;
      try {
        message = JSON.parse(data.toString('utf8'));
      } catch (err) {
        return this.destroy(err);
      }
      this.push(message);
    });
    // The agent cleans up on 'end' or 'close'; a closed socket ends the
    // readable side, and destroying emits 'close' as well.
    socket.on('close', () => {
      this.push(null);
      this.destroy();
    });
    socket.on('error', (err) => this.destroy(err));
    // An unhandled 'error' would crash the whole server; a broken client
    // only loses its own connection.
    this.on('error', () => socket.terminate());
  }

  _read() {
    // Pushed from the socket's 'message' events; nothing to pull.
  }

  _write(message, _encoding, callback) {
    // Replies racing a closing socket are dropped, as ShareDB's own stream does.
    if (this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
    callback();
  }

  _final(callback) {
    // ShareDB ends the stream when it closes the agent.
    this.socket.close();
    callback();
  }
}

const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });
wss.on('connection', (socket) => {
  backend.listen(new JsonWebSocketStream(socket));
});
wss.on('listening', () => {
  process.stdout.write(`listening ${wss.address().port}\n`);
});
wss.on('error', (err) => {
  process.stderr.write(`sharedb-server: ${err.stack || err}\n`);
  process.exit(1);
});

process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
