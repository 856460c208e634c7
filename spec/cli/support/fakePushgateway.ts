import { createServer, type IncomingMessage, type Server } from 'node:http';

/**
 * A real HTTP server standing in for a Prometheus Pushgateway in specs of `--metrics-push`: it
 * records every request (method, path, body, authorization) and answers as told — 200 as a gateway does, an
 * error status with a body, or never. It checks nothing of what it gets: the specs do.
 */

/** One request the gateway got. */
export interface PushRequest {
  readonly method: string;
  readonly path: string;
  readonly body: string;
  /** Its `Authorization` header, when it had one. */
  readonly authorization?: string;
}

/** How the gateway answers: `ok` (200), an HTTP error with its body, or not at all. */
export type GatewayAnswer =
  { readonly kind: 'ok' } | { readonly kind: 'error'; readonly status: number; readonly body: string } | { readonly kind: 'never' };

export interface FakePushgateway {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The requests it got, whole (a request that never ended is not here). */
  readonly requests: PushRequest[];
  /** How many requests it started to get, ended or not. */
  received(): number;
  /** How many connections are open now (a request aborted by the client closes its own). */
  openConnections(): Promise<number>;
  close(): Promise<void>;
}

/** Starts a gateway on a free port of 127.0.0.1 answering as `answer` says. */
export async function startFakePushgateway(answer: GatewayAnswer = { kind: 'ok' }): Promise<FakePushgateway> {
  const requests: PushRequest[] = [];
  let received = 0;
  const server: Server = createServer((request: IncomingMessage, response) => {
    received++;
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const { authorization } = request.headers;
      requests.push({
        method: request.method ?? '',
        path: request.url ?? '',
        body,
        ...(authorization === undefined ? {} : { authorization }),
      });
      if (answer.kind === 'ok') response.writeHead(200).end();
      else if (answer.kind === 'error') response.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body);
      // 'never': the request stays open until the client gives up or the server closes
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    received: () => received,
    openConnections: () =>
      new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count)))),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A free port of 127.0.0.1 where nothing listens (taken and given back at once). */
export async function closedPortUrl(): Promise<string> {
  const gateway = await startFakePushgateway();
  await gateway.close();
  return gateway.url;
}
