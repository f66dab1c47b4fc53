// The ShareDB side of the benchmark (bench/, `loadgen`): a stock ShareDB
// backend with its in-memory database and pubsub, the `ot-text-unicode` type
// registered (the same text OT our notes speak), served over WebSockets with
// `ws`. One process, one event loop: ShareDB's own single-node setup.
//
//   node bench/sharedb-server.mjs [--port N]     (0, the default, picks a free port)
//
// Prints one line, `listening <port>`, once it accepts connections, and
// exits when its stdin closes, so it never outlives the generator that
// started it.
import { createRequire } from 'node:module';
import { Duplex } from 'node:stream';

const require = createRequire(import.meta.url);
const ShareDB = require('sharedb');
const textUnicode = require('ot-text-unicode');
const { WebSocketServer, WebSocket } = require('ws');

ShareDB.types.register(textUnicode.type);

const portArg = process.argv.indexOf('--port');
const port = portArg >= 0 ? Number(process.argv[portArg + 1]) : 0;

const backend = new ShareDB();

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
