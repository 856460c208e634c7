import { createServer, type Server, Socket } from 'node:net';

/**
 * A TCP proxy for specs that put a faulty network between rxdag and its server: it forwards
 * every connection to `target` until told to freeze (stop forwarding, closing nothing, as a
 * network that dropped off does), to freeze only the server's answers (what was sent still
 * reaches the server), or to cut (destroy every connection, as a reset does). A close on one
 * side is not passed on while frozen either. It knows nothing of PostgreSQL; next to it, the
 * other bad end of a network: a server that accepts connections and then never answers
 * ({@link startMutePostgres}, which knows just enough of PostgreSQL's greeting for that).
 */

/** A proxy between the specs' client and a server. */
export interface TcpProxy {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** `connectionString` with its host and port replaced by the proxy's. */
  url(connectionString: string): string;
  /** Stops forwarding: `both` ways, or only the server's `answers`. Connections made meanwhile are frozen too. */
  freeze(what?: 'both' | 'answers'): void;
  /** Forwards again what was held back, and the closes that were. */
  thaw(): void;
  /** Destroys every connection through it (new ones are still taken); the server then drops their sessions. */
  cut(): void;
  /** How many connections go through it now (a frozen one too): whether a client has reached it yet. */
  connections(): number;
  /** Cuts and stops listening. */
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  readonly server: Socket;
}

/** Starts a proxy to `target` on a free port of 127.0.0.1. */
export async function startTcpProxy(target: { readonly host: string; readonly port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let frozen: 'both' | 'answers' | undefined;
  const hold = (pair: Pair) => {
    if (frozen === 'both') pair.client.pause();
    if (frozen !== undefined) pair.server.pause();
  };
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    const pair: Pair = { client, server: upstream };
    pairs.add(pair);
    // a side that closes takes the other along, unless the network is frozen (then on thaw)
    const closeBoth = () => {
      if (frozen !== undefined) return;
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined);
      socket.on('close', () => {
        closeBoth();
        if (client.destroyed && upstream.destroyed) pairs.delete(pair);
      });
    }
    upstream.connect(target.port, target.host);
    hold(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  const cut = () => {
    frozen = undefined;
    for (const { client, server: upstream } of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  return {
    port: address.port,
    url: throughPort(address.port),
    freeze: (what = 'both') => {
      frozen = what;
      for (const pair of pairs) hold(pair);
    },
    thaw: () => {
      frozen = undefined;
      for (const pair of [...pairs]) {
        if (pair.client.destroyed || pair.server.destroyed) {
          pair.client.destroy();
          pair.server.destroy();
          pairs.delete(pair);
          continue;
        }
        pair.client.resume();
        pair.server.resume();
      }
    },
    cut,
    connections: () => pairs.size,
    close: async () => {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A PostgreSQL authentication message (`R`) of `code`, with `data` after it. */
function authentication(code: number, data: string): Buffer {
  const body = Buffer.from(data);
  const head = Buffer.alloc(9);
  head.write('R', 0);
  head.writeInt32BE(8 + body.length, 1);
  head.writeInt32BE(code, 5);
  return Buffer.concat([head, body]);
}

/**
 * A server that speaks just enough of PostgreSQL's protocol to accept a connection (any
 * startup, no password) and then never answers a query: a server that hangs. With
 * `askPassword`, it answers the startup by asking for a SCRAM password instead, takes the
 * client's first SASL message, and goes on no further.
 */
export async function startMutePostgres({ askPassword = false } = {}): Promise<{
  readonly port: number;
  url(connectionString: string): string;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    let started = false;
    socket.on('data', (chunk: Buffer) => {
      if (started && askPassword && chunk[0] === 0x70) {
        // the client's first SASL message: AuthenticationSASLContinue, where it needs the password
        return void socket.write(authentication(11, 'r=nonce,s=c2FsdA==,i=4096'));
      }
      if (started) return; // a query: never answered
      // an SSL request (length 8, code 80877103) is refused with 'N'; the startup message is answered
      if (chunk.length === 8 && chunk.readInt32BE(4) === 80877103) return void socket.write('N');
      started = true;
      // AuthenticationSASL offering SCRAM-SHA-256
      if (askPassword) return void socket.write(authentication(10, 'SCRAM-SHA-256\0\0'));
      const authenticationOk = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0]);
      const readyForQuery = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);
      socket.write(Buffer.concat([authenticationOk, readyForQuery]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the mute server has no port');
  return {
    port: address.port,
    url: throughPort(address.port),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A connection string's URL sent to `port` on this machine instead (a proxy's, a mute server's). */
function throughPort(port: number): (connectionString: string) => string {
  return (connectionString) => {
    const url = new URL(connectionString);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    return url.toString();
  };
}
