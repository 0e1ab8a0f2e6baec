// Real-browser test of the HTML report: Debian's Chromium (headless, driven by playwright-core,
// no browser download) opens generated reports from file:// URLs and checks that
//  - the page loads with no console error, no uncaught exception and no network request;
//  - the 3D canvas shows non-blank content (the screenshot's pixels vary);
//  - moving the frame slider moves the skeleton (the drawn joints and the canvas pixels change);
//  - play advances the frames; the expected plots and tables are there.
// Usage:
//   node browser_test.mjs [--chromium PATH] [--out DIR] NAME=PAGE.html[:EXPECT,...] ...
// EXPECT: skeleton (animated 3D poses), people (several tracks drawn), hist (a histogram per camera), time (error over time),
//         joints (per-joint chart), graph (view graph), verdict (verdict badge), tri (camera table).
// Screenshots go to DIR/NAME.png (page) and DIR/NAME-canvas-*.png.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
let chromiumPath = '/usr/bin/chromium';
let outDir = null;
const pages = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--chromium') chromiumPath = argv[++i];
  else if (argv[i] === '--out') outDir = argv[++i];
  else {
    const m = /^([^=]+)=(.+?)(?::([a-z,]+))?$/.exec(argv[i]);
    if (!m) { console.error(`browser_test: bad argument ${argv[i]}`); process.exit(2); }
    pages.push({ name: m[1], file: path.resolve(m[2]), expect: new Set(m[3] ? m[3].split(',') : []) });
  }
}
if (!pages.length) { console.error('browser_test: no page given'); process.exit(2); }

let chromium;
try {
  ({ chromium } = await import(pathToFileURL(path.join(here, 'node_modules/playwright-core/index.mjs')).href));
} catch (err) {
  console.error('browser_test: playwright-core is not installed in tests/report/node_modules; run scripts/setup-report.sh');
  process.exit(1);
}
if (!fs.existsSync(chromiumPath)) {
  console.error(`browser_test: ${chromiumPath} not found; install it with scripts/install-deps.sh --with-browser`);
  process.exit(1);
}

// ---- A small PNG decoder (8-bit RGB/RGBA, not interlaced: what Chromium writes).
function decodePng(buf) {
  let pos = 8, width = 0, height = 0, bpp = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('ascii', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('unsupported PNG');
      bpp = data[9] === 6 ? 4 : data[9] === 2 ? 3 : 0;
      if (!bpp) throw new Error('unsupported PNG colour type ' + data[9]);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const px = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? px[y * stride + x - bpp] : 0;
      const b = y > 0 ? px[(y - 1) * stride + x] : 0;
      const c = x >= bpp && y > 0 ? px[(y - 1) * stride + x - bpp] : 0;
      let v = line[x];
      if (f === 1) v += a;
      else if (f === 2) v += b;
      else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) { const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c); v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c; }
      px[y * stride + x] = v & 255;
    }
  }
  return { width, height, bpp, px };
}
function pixelStats(img) {
  const colours = new Set();
  let sum = 0, sum2 = 0;
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    const r = img.px[i * img.bpp], g = img.px[i * img.bpp + 1], b = img.px[i * img.bpp + 2];
    colours.add((r << 16) | (g << 8) | b);
    const l = 0.299 * r + 0.587 * g + 0.114 * b;
    sum += l;
    sum2 += l * l;
  }
  const mean = sum / n;
  return { distinct: colours.size, stdev: Math.sqrt(Math.max(0, sum2 / n - mean * mean)) };
}
function changedPixels(a, b) {
  if (a.width !== b.width || a.height !== b.height) return Infinity;
  let changed = 0;
  for (let i = 0; i < a.width * a.height; i++) {
    let d = 0;
    for (let k = 0; k < 3; k++) d += Math.abs(a.px[i * a.bpp + k] - b.px[i * b.bpp + k]);
    if (d > 30) changed++;
  }
  return changed;
}

// ---- The checks.
let passed = 0, failed = 0;
function check(page, what, ok, detail = '') {
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} [${page}] ${what}${detail ? ': ' + detail : ''}`);
}
const nextFrames = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'epilabel-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: chromiumPath,
  headless: true,
  viewport: { width: 1400, height: 1000 },
  deviceScaleFactor: 1,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  for (const spec of pages) {
    const name = spec.name;
    const page = await context.newPage();
    const consoleErrors = [], pageErrors = [], external = [];
    page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('request', (req) => { if (!/^(file|data|blob):/.test(req.url())) external.push(req.url()); });
    const size = fs.statSync(spec.file).size;
    const t0 = Date.now();
    await page.goto(pathToFileURL(spec.file).href, { waitUntil: 'load', timeout: 120000 });
    let ready = true;
    try {
      await page.waitForFunction(() => window.epilabelReport && window.epilabelReport.ready, null, { timeout: 120000 });
    } catch (err) {
      ready = false;
    }
    const loadMs = Date.now() - t0;
    check(name, `page ready (${(size / 1e6).toFixed(1)} MB, ${loadMs} ms)`, ready, pageErrors.join(' | '));
    if (!ready) { await page.close(); continue; }
    await nextFrames(page);
    const info = await page.evaluate(() => {
      const a = window.epilabelReport;
      return { webgl: a.webgl, frames: a.numFrames, joints: a.numJoints, cameras: a.numCameras, frusta: a.numFrusta,
        posed: (JSON.parse(document.getElementById('epilabel-data').textContent).cameras || []).filter((c) => c.has_extrinsics && c.fx > 0).length };
    });
    check(name, 'WebGL 3D view created', info.webgl === true);
    check(name, `a frustum per posed camera (${info.frusta}/${info.posed})`, info.frusta === info.posed && info.frusta > 0);
    const labels = await page.locator('.cam-label:visible').count();
    check(name, `camera names shown (${labels})`, labels > 0);

    const canvas = page.locator('#view3d canvas');
    const shotA = await canvas.screenshot({ path: outDir ? path.join(outDir, `${name}-canvas-a.png`) : undefined });
    const imgA = decodePng(shotA);
    const stats = pixelStats(imgA);
    check(name, `3D canvas not blank (${stats.distinct} colours, luminance stdev ${stats.stdev.toFixed(1)})`,
      stats.distinct >= 50 && stats.stdev > 4);

    // Look through the first camera (click its name), then back.
    const firstLabel = page.locator('.cam-label:visible').first();
    const camName = await firstLabel.textContent();
    await firstLabel.click();
    await nextFrames(page);
    const active = await page.evaluate(() => window.epilabelReport.activeCamera());
    const imgCam = decodePng(await canvas.screenshot({ path: outDir ? path.join(outDir, `${name}-canvas-camera.png`) : undefined }));
    check(name, `clicking ${camName} looks through it`, active === camName && changedPixels(imgA, imgCam) > 100);
    await page.click('#reset-view');
    await nextFrames(page);
    const imgReset = decodePng(await canvas.screenshot());
    check(name, 'reset view restores the first view', changedPixels(imgA, imgReset) < 50 &&
      (await page.evaluate(() => window.epilabelReport.activeCamera())) === null);

    if (spec.expect.has('people')) {
      // Several people: every track drawn where its own points are, apart from the first, in
      // the first frame where both are seen (a track may start late or end early).
      const people = await page.evaluate((J) => {
        const r = window.epilabelReport;
        const centre = (get) => {
          const ok = Array.from({ length: J }, (_, j) => get(j)).filter((p) => p && Math.hypot(p[0], p[1], p[2]) > 1e-9);
          return ok.length >= J / 2 ? [0, 1, 2].map((k) => ok.reduce((s, p) => s + p[k], 0) / ok.length) : null;
        };
        const distances = [];
        for (let q = 0; q < r.numPeople - 1; q++) {
          let d = null;
          for (let f = 0; f < r.numFrames && d === null; f++) {
            r.setFrame(f);
            const a = centre((j) => r.drawnJoint(j)), b = centre((j) => r.drawnOtherJoint(q, j));
            if (a && b) d = Math.hypot(a[0] - b[0], a[1] - b[1]);
          }
          distances.push(d);
        }
        r.setFrame(0);
        return { n: r.numPeople, ids: r.trackIds, distances };
      }, info.joints);
      check(name, `several people drawn (${people.n}, tracks ${people.ids.join(',')})`, people.n >= 2 && people.ids.length === people.n);
      const apart = people.distances.filter((d) => d !== null && d > 0.3).length;
      const seen = people.distances.filter((d) => d !== null).length;
      check(name, `further people drawn apart from the first where both are seen (${apart}/${seen}, ${people.distances.map((d) => (d === null ? '-' : d.toFixed(2))).join(' ')} m)`,
        seen > 0 && apart === seen);
    }
    if (spec.expect.has('skeleton')) {
      check(name, `frames embedded (${info.frames})`, info.frames > 1);
      const before = await page.evaluate((J) => Array.from({ length: J }, (_, j) => window.epilabelReport.drawnJoint(j)), info.joints);
      const target = Math.floor(info.frames / 2);
      await page.locator('#frame-slider').fill(String(target));
      await nextFrames(page);
      const state = await page.evaluate((J) => ({ frame: window.epilabelReport.frame(), rendered: window.epilabelReport.lastRenderedFrame,
        joints: Array.from({ length: J }, (_, j) => window.epilabelReport.drawnJoint(j)), label: document.getElementById('frame-label').textContent }), info.joints);
      check(name, `slider moved to frame ${target} (${state.label})`, state.frame === target && state.rendered === target);
      let moved = 0;
      for (let j = 0; j < info.joints; j++) {
        const a = before[j], b = state.joints[j];
        if (Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]) > 0.01) moved++;
      }
      check(name, `skeleton moved with the slider (${moved}/${info.joints} joints)`, moved >= Math.ceil(info.joints / 2));
      const imgB = decodePng(await canvas.screenshot({ path: outDir ? path.join(outDir, `${name}-canvas-b.png`) : undefined }));
      const changed = changedPixels(imgA, imgB);
      check(name, `canvas pixels changed with the slider (${changed})`, changed > 100);
      // Play for a moment, then pause.
      await page.click('#play');
      await page.waitForFunction((f) => window.epilabelReport.frame() !== f, target, { timeout: 10000 }).catch(() => {});
      const playing = await page.evaluate(() => ({ frame: window.epilabelReport.frame(), playing: window.epilabelReport.isPlaying() }));
      await page.click('#play');
      check(name, `play advances the frames (${target} -> ${playing.frame})`, playing.playing && playing.frame !== target);
      check(name, 'pause stops', await page.evaluate(() => !window.epilabelReport.isPlaying()));
    }
    const visible = (sel) => page.locator(sel).isVisible();
    if (spec.expect.has('hist')) {
      const n = await page.locator('#plot-hist svg').count();
      check(name, `a histogram per camera (${n}/${info.cameras})`, (await visible('#hist-card')) && n === info.cameras);
    }
    if (spec.expect.has('time')) {
      const paths = await page.locator('#plot-time svg path').count();
      check(name, `error over time plotted (${paths} series)`, (await visible('#time-card')) && paths >= 1);
    }
    if (spec.expect.has('joints')) {
      const bars = await page.locator('#plot-joints svg rect').count();
      check(name, `per-joint bars (${bars})`, (await visible('#joints-card')) && bars > 0);
    }
    if (spec.expect.has('graph')) {
      const edges = await page.locator('#plot-graph svg line').count();
      check(name, `view graph drawn (${edges} edges)`, (await visible('#graph-card')) && edges > 0);
    }
    if (spec.expect.has('verdict')) {
      const text = await page.locator('#verdict').textContent();
      check(name, `verdict shown (${text})`, await visible('#verdict'));
    }
    if (spec.expect.has('tri')) check(name, 'camera statistics table', await visible('#tri-card'));
    const rows = await page.locator('#table-calib tbody tr').count();
    check(name, `calibration table has a row per camera (${rows})`, rows === info.cameras);

    if (outDir) await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
    check(name, 'no console errors', consoleErrors.length === 0, consoleErrors.slice(0, 3).join(' | '));
    check(name, 'no uncaught exceptions', pageErrors.length === 0, pageErrors.slice(0, 3).join(' | '));
    check(name, 'no network requests', external.length === 0, external.slice(0, 3).join(' | '));
    await page.close();
  }
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
