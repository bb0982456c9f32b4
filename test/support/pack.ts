/**
 * Installs this package, as `npm pack` makes it, into a fresh temporary app without the network:
 * the app's lockfile is cut from the repository's, so `npm ci --offline` takes every tarball from the
 * npm cache that installing the repository filled. The peer dependencies a test names (the CDK and
 * the packages the Lambda functions bundle) are linked from the repository's node_modules, as a CDK
 * app has them installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';

interface LockEntry {
  readonly version?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly [key: string]: unknown;
}

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  readonly bin: Record<string, string>;
}

/** Where `name` resolves from the package at `from` (a lockfile key), as Node resolves it. */
function resolveIn(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
    const key = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[key]) return key;
    if (!dir) return undefined;
  }
}

/** The tarball URL npm derives for a registry package; with it and the integrity, npm reads the cache. */
function tarballUrl(registry: string, key: string, version: string): string {
  const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
  return `${registry.replace(/\/?$/, '/')}${name}/-/${name.slice(name.indexOf('/') + 1)}-${version}.tgz`;
}

/**
 * The lockfile entries `roots` need, flags of the repository's tree (dev, peer) removed and the
 * tarball URL written out (the repository's lockfile omits it; npm would ask the registry).
 */
function closureOf(
  packages: Record<string, LockEntry>,
  roots: readonly string[],
  registry: string,
): Record<string, LockEntry> {
  const keep = new Map<string, LockEntry>();
  const visit = (from: string, name: string, optional: boolean) => {
    const key = resolveIn(packages, from, name);
    if (!key) {
      if (optional) return;
      throw new Error(`${name} (needed by ${from || 'the app'}) is not in package-lock.json`);
    }
    if (keep.has(key)) return;
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = packages[key] as LockEntry;
    keep.set(
      key,
      entry.inBundle || entry.resolved || !entry.version
        ? entry
        : { ...entry, resolved: tarballUrl(registry, key, entry.version) },
    );
    for (const dep of Object.keys(entry.dependencies ?? {})) visit(key, dep, false);
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(key, dep, true);
    for (const dep of Object.keys(entry.peerDependencies ?? {})) visit(key, dep, true);
  };
  for (const root of roots) visit('', root, false);
  return Object.fromEntries([...keep].sort(([a], [b]) => a.localeCompare(b)));
}

/** Newest modification time under `dir`, in ms. */
function newest(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? newest(path) : statSync(path).mtimeMs;
    }),
  );
}

/** Builds dist/ unless it is newer than every source it is built from. */
export function ensureBuilt(root: string): void {
  const sources = ['bin', 'lib', 'lambdas'].map((dir) => newest(join(root, dir)));
  const built = existsSync(join(root, 'dist')) ? newest(join(root, 'dist')) : 0;
  if (built < Math.max(...sources))
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'pipe' });
}

export interface InstalledApp {
  readonly dir: string;
  readonly manifest: Manifest;
  /** What npm printed on stderr while installing. */
  readonly installOutput: string;
}

/**
 * Packs the repository and installs the tarball into a new app directory (offline), as a user's
 * `npm install` does: install scripts run, peer dependencies are checked, warnings are printed.
 */
export function installPackedInto(root: string, peers: readonly string[]): InstalledApp {
  ensureBuilt(root);
  const dir = mkdtempSync(join(tmpdir(), 'packed-app-'));
  // The package was just built: `--ignore-scripts` skips prepack's second build.
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
      cwd: root,
      encoding: 'utf8',
    }),
  ) as { filename: string; integrity: string }[];
  if (!packed) throw new Error('npm pack produced nothing');
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const spec = `file:${packed.filename}`;
  const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim();
  const app = {
    name: 'packed-app',
    version: '1.0.0',
    private: true,
    type: 'module',
    dependencies: { [manifest.name]: spec },
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(app, null, 2));
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify(
      {
        name: app.name,
        version: app.version,
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: app.name, version: app.version, dependencies: app.dependencies },
          [`node_modules/${manifest.name}`]: {
            version: manifest.version,
            resolved: spec,
            integrity: packed.integrity,
            dependencies: manifest.dependencies,
            peerDependencies: manifest.peerDependencies,
            peerDependenciesMeta: manifest.peerDependenciesMeta,
            bin: manifest.bin,
          },
          ...closureOf(lock.packages, Object.keys(manifest.dependencies ?? {}), registry),
        },
      },
      null,
      2,
    ),
  );
  const install = spawnSync('npm', ['ci', '--offline', '--no-audit', '--no-fund'], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (install.status !== 0) throw new Error(`npm ci failed: ${install.stderr}`);
  for (const peer of peers) {
    const target = join(root, 'node_modules', peer);
    const link = join(dir, 'node_modules', peer);
    mkdirSync(join(link, '..'), { recursive: true });
    symlinkSync(posix.normalize(relative(join(link, '..'), target)), link, 'dir');
  }
  return { dir, manifest, installOutput: install.stderr };
}
