import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  /** The request path (one receiver can serve several subscriptions). */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed body. */
  json: { id: string; type: string; timestamp: string; tenant: number; actor: string; target: string; data: any };
}

/** What the receiver does with its n-th request (0-based): answer a status, or never answer. */
export type Behaviour = (n: number, r: Received) => number | 'hang';

export interface Receiver {
  url: string;
  received: Received[];
  behaviour: Behaviour;
  /** Resolves once `pred` holds for what was received (polled; rejects after timeoutMs). */
  until(pred: (r: Received[]) => boolean, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/** A real HTTP receiver on 127.0.0.1 recording every delivery. */
export async function startReceiver(behaviour: Behaviour = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const hung: ServerResponse[] = [];
  const r: Receiver = {
    url: '',
    received,
    behaviour,
    async until(pred, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      while (!pred(received)) {
        if (Date.now() > end)
          throw new Error(`receiver: condition not met; got ${received.map((x) => x.json.type).join(', ')}`);
        await new Promise((res) => setTimeout(res, 20));
      }
      return received;
    },
    close: () =>
      new Promise((res) => {
        for (const h of hung) h.destroy();
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const rec: Received = { path: req.url ?? '', headers: req.headers, body, json: JSON.parse(body) };
      const n = received.length;
      received.push(rec);
      const what = r.behaviour(n, rec);
      if (what === 'hang') {
        hung.push(res);
        return;
      }
      res.statusCode = what;
      res.end(what >= 300 ? `failing on purpose (${what})` : 'ok');
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return r;
}
