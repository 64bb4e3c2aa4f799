import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { RENDERER_CSP, secureWebPreferences } from './window-security';

describe('Electron window security (DESIGN.md section 8)', () => {
  it('isolates and sandboxes the renderer with no Node access', () => {
    expect(secureWebPreferences('/p/preload.cjs')).toMatchObject({
      preload: '/p/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('allows no remote content, inline scripts or plugins', () => {
    const directives = Object.fromEntries(
      RENDERER_CSP.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values];
      }),
    );
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(directives['connect-src']).toEqual(["'self'"]);
  });
});

/**
 * The settings above only matter if the main process uses them: these read src-main/electron/main.ts (and
 * the preload) as the compiler parses it, so a window created without them, or a navigation left open,
 * fails here without an Electron binary.
 */
function parse(file: string): ts.SourceFile {
  const path = new URL(file, import.meta.url);
  return ts.createSourceFile(file, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
}

function nodes(root: ts.Node, test: (node: ts.Node) => boolean): ts.Node[] {
  const found: ts.Node[] = [];
  const visit = (node: ts.Node): void => {
    if (test(node)) found.push(node);
    node.forEachChild(visit);
  };
  visit(root);
  return found;
}

/** Calls of `<anything>.<method>(...)`. */
function methodCalls(root: ts.Node, method: string): ts.CallExpression[] {
  return nodes(
    root,
    (n) => ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === method,
  ) as ts.CallExpression[];
}

const text = (node: ts.Node): string => node.getText().replace(/\s+/g, ' ');

describe('main.ts applies the security settings', () => {
  const main = parse('./main.ts');

  it('creates every window with secureWebPreferences', () => {
    const windows = nodes(
      main,
      (n) => ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'BrowserWindow',
    ) as ts.NewExpression[];
    expect(windows.length).toBeGreaterThan(0);
    for (const window of windows) {
      const options = window.arguments?.[0];
      expect(options && ts.isObjectLiteralExpression(options)).toBe(true);
      const prefs = (options as ts.ObjectLiteralExpression).properties.find(
        (p) => p.name && ts.isIdentifier(p.name) && p.name.text === 'webPreferences',
      );
      expect(prefs && ts.isPropertyAssignment(prefs) && text(prefs.initializer)).toMatch(/^secureWebPreferences\(/);
    }
  });

  it('denies new windows and blocks navigation', () => {
    const openHandlers = methodCalls(main, 'setWindowOpenHandler');
    expect(openHandlers).toHaveLength(1);
    const returns = nodes(openHandlers[0]!, ts.isReturnStatement).map(text);
    expect(returns).toEqual(["return { action: 'deny' };"]);

    const navigation = methodCalls(main, 'on').filter((c) => text(c.arguments[0]!) === "'will-navigate'");
    expect(navigation).toHaveLength(1);
    expect(text(navigation[0]!.arguments[1]!)).toMatch(/\.preventDefault\(\)/);
  });

  it('sends the CSP with every response and refuses every permission request', () => {
    const headers = methodCalls(main, 'onHeadersReceived');
    expect(headers).toHaveLength(1);
    expect(text(headers[0]!)).toContain("'Content-Security-Policy': [RENDERER_CSP]");
    const permissions = methodCalls(main, 'setPermissionRequestHandler');
    expect(permissions).toHaveLength(1);
    expect(text(permissions[0]!)).toMatch(/callback\(false\)/);
  });

  it('loads only the bundled renderer (or the dev server in development), never remote pages', () => {
    const loads = [...methodCalls(main, 'loadURL'), ...methodCalls(main, 'loadFile')].map(text);
    expect(loads.sort()).toEqual([
      "window.loadFile(join(here, '../renderer/index.html'))",
      'window.loadURL(process.env.ELECTRON_RENDERER_URL)',
    ]);
  });

  it('exposes one bridge object from the preload, with request and on only', () => {
    const preload = parse('./preload.ts');
    const exposed = methodCalls(preload, 'exposeInMainWorld');
    expect(exposed).toHaveLength(1);
    expect(text(exposed[0]!.arguments[0]!)).toBe("'orreryBridge'");
    const bridge = exposed[0]!.arguments[1]!;
    expect(ts.isObjectLiteralExpression(bridge)).toBe(true);
    const keys = (bridge as ts.ObjectLiteralExpression).properties.map((p) => p.name?.getText());
    expect(keys).toEqual(['request', 'on']);
  });
});
