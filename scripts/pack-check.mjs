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
for (const { dir, manifest } of packages) {
  const out = run('pnpm', ['pack', '--pack-destination', scratch, '--json'], dir);
  const info = JSON.parse(out);
  tarballs.push((Array.isArray(info) ? info[0] : info).filename);
  for (const [name, range] of Object.entries(manifest.peerDependencies ?? {})) peers.add(`${name}@${range}`);
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
