// Packs every publishable package, installs the tarballs into a scratch project outside the
// workspace and imports each one: catches a file missing from `files`, a broken `exports` map or
// an import that only resolves inside the workspace.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const packagesDir = join(root, 'packages');
const scratch = mkdtempSync(join(tmpdir(), 'mcp-auth-kit-pack-'));
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] }).toString();

const packages = readdirSync(packagesDir)
  .filter((dir) => existsSync(join(packagesDir, dir, 'package.json')))
  .map((dir) => ({
    dir: join(packagesDir, dir),
    manifest: JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8')),
  }))
  .filter((p) => !p.manifest.private);

const tarballs = [];
const peers = new Set();
for (const { dir } of packages) {
  const out = run('pnpm', ['pack', '--pack-destination', scratch, '--json'], dir);
  const info = JSON.parse(out);
  const tarball = (Array.isArray(info) ? info[0] : info).filename;
  tarballs.push(tarball);
  // The packed manifest, where pnpm has replaced catalog: and workspace: ranges with real ones.
  const packed = JSON.parse(run('tar', ['-xzf', tarball, '-O', 'package/package.json'], scratch));
  const ranges = { ...packed.dependencies, ...packed.peerDependencies };
  for (const [name, range] of Object.entries(ranges)) {
    if (/^(catalog|workspace):/.test(String(range))) {
      throw new Error(`${packed.name}: unresolved range ${range} for ${name} in the packed manifest`);
    }
  }
  for (const [name, range] of Object.entries(packed.peerDependencies ?? {})) {
    if (!packed.peerDependenciesMeta?.[name]?.optional) peers.add(`${name}@${range}`);
  }
}

writeFileSync(
  join(scratch, 'package.json'),
  JSON.stringify({ name: 'pack-check', private: true, type: 'module' }),
);
run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, ...peers], scratch);

const checks = packages.map(
  ({ manifest }) => `
  {
    const m = await import(${JSON.stringify(manifest.name)});
    const names = Object.keys(m);
    if (names.length === 0) throw new Error(${JSON.stringify(manifest.name)} + ' exports nothing');
    console.log('ok ' + ${JSON.stringify(manifest.name)} + ' (' + names.length + ' exports)');
  }`,
);
writeFileSync(join(scratch, 'check.mjs'), checks.join('\n'));
process.stdout.write(run('node', ['check.mjs'], scratch));
rmSync(scratch, { recursive: true, force: true });
console.log(`pack-check: ${packages.length} packages packed, installed outside the workspace and imported`);
