/**
 * A test-only front that answers Lambda's Invoke, which moto runs only in Docker, with a function run
 * in-process (the real handler, as deployed); every other request goes on to `target` unchanged.
 */
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { proxy, readBody } from './simulate-answerer.js';

export interface InvokeAnswerer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations/;

/** `invoke` runs the named function on the payload; a throw is answered as Lambda answers an unhandled error. */
export async function startInvokeAnswerer(
  target: string,
  invoke: (functionName: string, payload: unknown) => Promise<unknown>,
): Promise<InvokeAnswerer> {
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const name = INVOKE_PATH.exec(request.url ?? '')?.[1];
      if (request.method !== 'POST' || name === undefined) {
        await proxy(target, request, body, response);
        return;
      }
      try {
        const result = await invoke(decodeURIComponent(name), JSON.parse(body.toString('utf8') || 'null'));
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(result ?? null));
      } catch (error) {
        response.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
        response.end(
          JSON.stringify({ errorType: (error as Error).name, errorMessage: (error as Error).message }),
        );
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
