/**
 * A real AWS-protocol server for the integration suite: moto in server mode on 127.0.0.1, on a free
 * port, found or installed by scripts/python-tools.sh. The SDK reaches it through the standard
 * AWS_ENDPOINT_URL variable, exactly as the Lambda would reach a custom endpoint.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { pythonTools } from './python-tools.js';

export interface MotoServer {
  readonly endpoint: string;
  /** Forgets every resource: `POST /moto-api/reset`. */
  reset(): Promise<void>;
  /** IAM enforcement: on (only moto-issued keys, policies evaluated) or off. */
  enforceIam(on: boolean): Promise<void>;
  stop(): Promise<void>;
}

/** The account moto serves when none is chosen. */
export const MOTO_ACCOUNT = '123456789012';
/** The account and region the functions under test run in. */
export const MOTO_HOME = { accountId: MOTO_ACCOUNT, region: 'us-east-1' } as const;

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });

async function waitUntilAnswering(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms`);
}

export async function startMoto(): Promise<MotoServer> {
  const [command = 'moto_server', ...args] = pythonTools().motoServer;
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(command, [...args, '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  await waitUntilAnswering(endpoint, child, 60_000);
  const post = async (path: string, body = '') => {
    const response = await fetch(`${endpoint}${path}`, { method: 'POST', body });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  };
  return {
    endpoint,
    reset: () => post('/moto-api/reset'),
    enforceIam: (on) => post('/moto-api/reset-auth', on ? '0' : 'inf'),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Points the AWS SDK at the server with moto's test credentials; returns a function that undoes it. */
export function useEndpoint(endpoint: string): () => void {
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: '',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  return () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) Reflect.deleteProperty(process.env, key);
    Object.assign(process.env, saved);
  };
}
