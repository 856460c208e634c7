import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of the specs' Redis that stops passing bytes without closing anything, as
 * a Redis that hangs or a network that stalls does: {@link pause} holds every byte of every
 * connection, also of those made while paused (accepted, and then nothing passes), {@link resume}
 * lets them through again, nothing lost, {@link drop} cuts the connections open now, and
 * {@link refuse} also stops listening until {@link admit}, so connections are refused, as a Redis
 * that is restarting does (its data kept, unlike a `redis-server` without persistence started
 * again). It does not read what passes.
 */
export class PausableProxy {
  // each client connection with its connection to Redis
  private readonly pairs = new Set<readonly [Socket, Socket]>();
  private paused = false;
  private accepted = 0;

  private constructor(
    private readonly server: Server,
    /** `redis://127.0.0.1:PORT`: Redis through the proxy. */
    readonly url: string,
  ) {}

  /** Starts a proxy on a free loopback port in front of Redis at `redisUrl` (`redis://HOST:PORT`). */
  static async start(redisUrl: string): Promise<PausableProxy> {
    const { hostname, port } = new URL(redisUrl);
    const target = { host: hostname, port: port === '' ? 6379 : Number(port) };
    let proxy: PausableProxy | undefined;
    const server = createServer((client) => proxy?.accept(client, connect(target)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('the proxy has no port');
    proxy = new PausableProxy(server, `redis://127.0.0.1:${address.port}`);
    return proxy;
  }

  /** Connections accepted so far, the dropped ones included. */
  get connections(): number {
    return this.accepted;
  }

  /** Holds every byte, both ways, of every connection, now and made from now on. */
  pause(): void {
    this.paused = true;
    for (const pair of this.pairs) for (const socket of pair) socket.pause();
  }

  /** Lets every byte held, and every later one, through. */
  resume(): void {
    this.paused = false;
    for (const pair of this.pairs) for (const socket of pair) socket.resume();
  }

  /** Cuts every connection open now (new ones are accepted). */
  drop(): void {
    for (const pair of this.pairs) for (const socket of pair) socket.destroy();
    this.pairs.clear();
  }

  /** Cuts every connection and stops listening on its port: connections are refused until {@link admit}. */
  async refuse(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Listens again on its port after {@link refuse}. */
  async admit(): Promise<void> {
    const { port } = new URL(this.url);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(Number(port), '127.0.0.1', () => resolve());
    });
  }

  /** Cuts every connection and stops listening. */
  async close(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, upstream: Socket): void {
    this.accepted++;
    const pair = [client, upstream] as const;
    this.pairs.add(pair);
    // paused before any `data` listener: adding one then does not start the flow (`pipe` would)
    if (this.paused) for (const socket of pair) socket.pause();
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    for (const socket of pair) {
      socket.on('error', () => undefined); // a reset: the close below ends the other side
      socket.on('close', () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      });
    }
  }
}
