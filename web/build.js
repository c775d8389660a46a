#!/usr/bin/env node
'use strict';
// Bundles the web view (web/src) into dist/web: index.html, app.js, app.css. Everything the page
// needs is in those three files, so it works offline and the agent serves them as they are.
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const src = path.join(__dirname, 'src');
const modules = path.join(__dirname, '..', 'node_modules');
/** The libraries in the bundle: their license texts travel with it (MIT asks for the notice). */
const BUNDLED = ['preact', 'uplot'];
const out = path.join(__dirname, '..', 'dist', 'web');

async function main() {
  // Built beside the output and swapped in, so an agent serving dist/web never sees half a bundle.
  const tmp = `${out}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  try {
    await esbuild.build({
      entryPoints: { app: path.join(src, 'main.tsx') },
      bundle: true,
      minify: true,
      format: 'iife',
      target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
      jsx: 'automatic',
      jsxImportSource: 'preact',
      outdir: tmp,
      sourcemap: false,
      legalComments: 'eof',
      charset: 'utf8',
      logLevel: 'silent',
      // No path or time in the output: the same sources give the same bytes.
      absWorkingDir: path.join(__dirname, '..'),
      define: { 'process.env.NODE_ENV': '"production"' },
      banner: { js: `/*! corral web view; bundles ${BUNDLED.join(', ')} (MIT): see LICENSES.txt */`, css: '/*! corral web view; bundles uplot.css (MIT): see LICENSES.txt */' },
    });
    const licenses = BUNDLED.map((name) => {
      const version = JSON.parse(fs.readFileSync(path.join(modules, name, 'package.json'), 'utf8')).version;
      return `${name} ${version}\n\n${fs.readFileSync(path.join(modules, name, 'LICENSE'), 'utf8').trim()}\n`;
    });
    fs.writeFileSync(path.join(tmp, 'LICENSES.txt'), licenses.join('\n' + '-'.repeat(72) + '\n\n'));
    fs.copyFileSync(path.join(src, 'index.html'), path.join(tmp, 'index.html'));
    for (const f of ['index.html', 'app.js', 'app.css']) {
      if (!fs.existsSync(path.join(tmp, f))) throw new Error(`web build: ${f} was not produced`);
    }
    fs.rmSync(out, { recursive: true, force: true });
    fs.renameSync(tmp, out);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

main().catch((e) => {
  const errors = e && Array.isArray(e.errors) ? e.errors : [];
  if (errors.length) {
    for (const m of esbuild.formatMessagesSync(errors, { kind: 'error', color: false })) process.stderr.write(m);
  } else {
    process.stderr.write(`web build failed: ${e && e.stack ? e.stack : e}\n`);
  }
  process.exit(1);
});
