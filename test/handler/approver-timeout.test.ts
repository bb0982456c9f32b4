/**
 * 16-approver-timeout: AWS Chatbot waits about 15 seconds for the command behind the button. The
 * deployed approver handler, against a server that accepts every connection and never answers, gives
 * up within its bound: one retry, 2 seconds per attempt, instead of waiting forever.
 */
import type { Server, Socket } from 'node:net';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

describe('16-approver-timeout: the approver answers the chat in time', () => {
  let server: Server;
  const sockets: Socket[] = [];
  let requests = 0;

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.push(socket);
      socket.on('data', (chunk: Buffer) => {
        requests += chunk.toString('latin1').match(/^POST /gm)?.length ?? 0;
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    vi.stubEnv('AWS_ENDPOINT_URL', `http://127.0.0.1:${port}`);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
    vi.stubEnv('PROPOSALS_TABLE_NAME', 'proposals');
    vi.stubEnv('TOPIC_ARN', 'arn:aws:sns:us-east-1:111122223333:proposals');
    vi.stubEnv('ALLOWED_ACCOUNTS', '111122223333');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('abandons a call that never answers after two bounded attempts, well within 10 seconds', async () => {
    // Prepare
    const { handler } = await import('../../lambdas/approver/handler.js');
    const context = {
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:sir-approve-0123456789',
      functionName: 'sir-approve-0123456789',
      awsRequestId: 'request',
      getRemainingTimeInMillis: () => 60_000,
    } as unknown as Context;
    const started = Date.now();
    // Act
    const outcome = await handler({ proposalId: '0123456789abcdef01234567' }, context).then(
      () => 'answered',
      (error: Error) => error.name,
    );
    // Assess
    const elapsed = Date.now() - started;
    expect(outcome).toMatch(/Timeout/);
    expect(requests).toBe(2);
    expect(elapsed).toBeGreaterThanOrEqual(3_900);
    expect(elapsed).toBeLessThan(7_000);
  }, 15_000);
});
