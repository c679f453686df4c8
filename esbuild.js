// Bundles the command-line tool and the VS Code extension into single
// CommonJS files under dist/, so the package needs no node_modules. The
// extension host provides `vscode`; pg's optional native binding is unused,
// and pg's WebCrypto helpers are replaced by src/core/connection/pgCrypto.ts.
// `--tests` bundles the extension-host test suite into out/test/ instead
// (mocha stays external: it is loaded from the project's node_modules).
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests');

/** Prints errors in the shape VS Code's esbuild problem matcher reads. */
const problemMatcherPlugin = {
  name: 'esbuild-problem-matcher',
  setup(build) {
    build.onStart(() => {
      if (watch) console.log('[watch] build started');
    });
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      if (watch) console.log('[watch] build finished');
    });
  },
};

/**
 * pg's crypto helpers become src/core/connection/pgCrypto.ts, the same functions on
 * Node's crypto instead of WebCrypto (faster logins; see that file). Only
 * pg's own two imports of pg/lib/crypto/utils.js are redirected.
 */
const pgCryptoPlugin = {
  name: 'pg-node-crypto',
  setup(build) {
    // Real paths: node_modules may be a link (a worktree sharing another's), and esbuild resolves through it.
    const pgCryptoUtils = fs.realpathSync(path.join(__dirname, 'node_modules', 'pg', 'lib', 'crypto', 'utils.js'));
    build.onResolve({ filter: /^\.\/(crypto\/)?utils$/ }, (args) => {
      const candidate = path.resolve(args.resolveDir, `${args.path}.js`);
      if (!fs.existsSync(candidate) || fs.realpathSync(candidate) !== pgCryptoUtils) return undefined;
      return { path: path.join(__dirname, 'src', 'core', 'connection', 'pgCrypto.ts') };
    });
  },
};

/**
 * The AWS SDK (src/core/offsite/sdk.ts) is a bundle of its own,
 * dist/offsite-sdk.js, that the CLI and the extension load from beside
 * themselves when an offsite command runs: it is as large as the rest of
 * the CLI, and a plain backup, the CLI's start and the extension's
 * activation must not pay for it.
 */
const offsiteSdkPlugin = {
  name: 'offsite-sdk-apart',
  setup(build) {
    const sdkModule = path.join(__dirname, 'src', 'core', 'offsite', 'sdk.ts');
    // `import('./sdk')` becomes a module that requires the SDK's bundle when first imported: a plain
    // require, since the launcher runs the CLI's bundle in a vm.Script, where import() cannot load files.
    build.onResolve({ filter: /^\.\/sdk$/ }, (args) => {
      if (path.resolve(args.resolveDir, `${args.path}.ts`) !== sdkModule) return undefined;
      return { path: 'offsite-sdk', namespace: 'offsite-sdk' };
    });
    build.onLoad({ filter: /.*/, namespace: 'offsite-sdk' }, () => ({ contents: "module.exports = require('./offsite-sdk.js');", loader: 'js' }));
    build.onResolve({ filter: /^\.\/offsite-sdk\.js$/ }, () => ({ path: './offsite-sdk.js', external: true }));
  },
};

const entryPoints = tests
  ? { 'extension/suite': 'test/extension/suite/index.ts' }
  : { cli: 'src/cli/launcher.ts', 'cli-main': 'src/cli/main.ts', extension: 'src/extension/extension.ts', 'offsite-sdk': 'src/core/offsite/sdk.ts' };

async function main() {
  const context = await esbuild.context({
    entryPoints,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outdir: tests ? 'out/test' : 'dist',
    external: tests ? ['vscode', 'pg-native', 'mocha'] : ['vscode', 'pg-native'],
    minify: production,
    sourcemap: !production,
    sourcesContent: false,
    logLevel: 'silent',
    plugins: [problemMatcherPlugin, pgCryptoPlugin, offsiteSdkPlugin],
  });
  if (watch) {
    await context.watch();
  } else {
    const result = await context.rebuild();
    await context.dispose();
    if (result.errors.length > 0) process.exit(1);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
