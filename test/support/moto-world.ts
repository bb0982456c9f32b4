/**
 * The lifecycle every integration file shares: one moto server per file on a free port, the SDK
 * pointed at it, a reset and a fresh World before each test, the server stopped at the end.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { MotoServer } from './moto.js';
import { startMoto, useEndpoint } from './moto.js';
import { World } from './world.js';

export interface MotoWorld {
  readonly moto: MotoServer;
  /** Recreated before each test; tests may replace it. */
  world: World;
}

export function useMotoWorld(options: { withWorld?: boolean } = {}): MotoWorld {
  const env = {} as MotoWorld;
  let restore: () => void = () => undefined;
  beforeAll(async () => {
    Object.assign(env, { moto: await startMoto() });
    restore = useEndpoint(env.moto.endpoint);
  });
  afterAll(async () => {
    restore();
    await env.moto.stop();
  });
  if (options.withWorld ?? true) {
    beforeEach(async () => {
      await env.moto.reset();
      env.world = await new World().create();
    });
  }
  return env;
}
