// EpiLabel report page. Reads the data embedded in <script id="epilabel-data"> (written by
// pseudolabel/report/html_report.cc) and draws the 3D view (three.js), the SVG plots and the
// tables. Every part of the data may be missing: the page shows what exists.
// World frame: metres, z up. Cameras: cam_from_world (x_cam = R X + t), looking along +z,
// x right, y down in the image.
// Test hook: window.epilabelReport (ready, numFrames, frame(), setFrame(f), play(), pause(), ...).
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';

const api = (window.epilabelReport = { ready: false, renderCount: 0 });
const D = JSON.parse(document.getElementById('epilabel-data').textContent);

// ---------------------------------------------------------------------------------------------
// Helpers
const $ = (id) => document.getElementById(id);
const SVGNS = 'http://www.w3.org/2000/svg';
const isNum = (x) => typeof x === 'number' && Number.isFinite(x);
const isObj = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);
const DASH = '\u2013';
const fmt = (x, d = 2) => (isNum(x) ? x.toFixed(d) : DASH);
const fmtInt = (x) => (isNum(x) ? Math.round(x).toLocaleString('en-US') : DASH);
const pct = (x, d = 0) => (isNum(x) ? (100 * x).toFixed(d) + '%' : DASH);
const clamp = (x, a, b) => Math.min(b, Math.max(a, x));

function el(tag, attrs, parent, text) {
  const e = document.createElement(tag);
  if (attrs) for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function sv(tag, attrs, parent, text) {
  const e = document.createElementNS(SVGNS, tag);
  if (attrs) for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

// Base64 little-endian typed arrays ({dtype, shape, b64}).
function decode(a) {
  if (!isObj(a) || typeof a.b64 !== 'string') return null;
  const bin = atob(a.b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  if (a.dtype === 'f32') return new Float32Array(bytes.buffer);
  if (a.dtype === 'f64') return new Float64Array(bytes.buffer);
  if (a.dtype === 'u8') return bytes;
  throw new Error('unknown dtype ' + a.dtype);
}

function quantile(values, q) {
  const v = Array.from(values).filter(isNum).sort((a, b) => a - b);
  if (!v.length) return NaN;
  return v[clamp(Math.floor(q * (v.length - 1)), 0, v.length - 1)];
}
function niceStep(range, target) {
  const raw = range / Math.max(1, target);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p;
}
function ticks(lo, hi, target) {
  if (!(hi > lo)) return [lo];
  const s = niceStep(hi - lo, target);
  const out = [];
  for (let v = Math.ceil(lo / s) * s; v <= hi + 1e-9 * s; v += s) out.push(+v.toPrecision(12));
  return out;
}
const tickLabel = (v) =>
  Math.abs(v) >= 1e6 ? +(v / 1e6).toPrecision(3) + 'M' : Math.abs(v) >= 1e4 ? +(v / 1e3).toPrecision(3) + 'k' :
  Math.abs(v) >= 1000 ? fmtInt(v) : String(+v.toPrecision(4));

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const camColor = (i) => (i < PALETTE.length ? PALETTE[i] : `hsl(${(i * 137.5) % 360}, 55%, 55%)`);

// Error colour scale: green (0) -> yellow -> red (>= max); grey when unknown.
const STOPS = [[0, [26, 152, 80]], [0.5, [254, 224, 139]], [1, [215, 48, 39]]];
const UNKNOWN_RGB = [138, 143, 153];
function errorRgb(e, max) {
  if (!isNum(e)) return UNKNOWN_RGB;
  const t = clamp(e / max, 0, 1);
  for (let i = 1; i < STOPS.length; i++) {
    if (t <= STOPS[i][0]) {
      const [t0, c0] = STOPS[i - 1];
      const [t1, c1] = STOPS[i];
      const u = (t - t0) / (t1 - t0);
      return c0.map((c, k) => Math.round(c + u * (c1[k] - c)));
    }
  }
  return STOPS[STOPS.length - 1][1];
}
const rgbCss = (c) => `rgb(${c[0]},${c[1]},${c[2]})`;

// ---------------------------------------------------------------------------------------------
// Data
const cams = Array.isArray(D.cameras) ? D.cameras : [];
const C = cams.length;
const skel = isObj(D.skeleton) ? D.skeleton : {};
const jointNames = Array.isArray(skel.joint_names) ? skel.joint_names : [];
const bones = (Array.isArray(skel.bones) ? skel.bones : []).filter((b) => b[0] < jointNames.length && b[1] < jointNames.length);
const J = jointNames.length;
const arrays = isObj(D.arrays) ? D.arrays : {};
const P = decode(arrays.points);
const E = decode(arrays.reproj_error_px);
const NV = decode(arrays.n_views);
const FN = decode(arrays.frame_numbers);
const CE = decode(arrays.camera_frame_error);
const F = P && J ? Math.floor(P.length / (J * 3)) : 0;
// Further people of a multi-person points3d.npz: [Q, F, J, 3], drawn beside the first.
const OP = decode(arrays.other_points);
const Q = OP && F && J ? Math.floor(OP.length / (F * J * 3)) : 0;
const trackIds = isObj(D.people) && Array.isArray(D.people.track_ids) ? D.people.track_ids : [];
const personColors = [0xf28e2b, 0x59a14f, 0xb07aa1, 0x76b7b2, 0xedc948, 0xff9da7, 0x9c755f];
const frames = isObj(D.frames) ? D.frames : {};
const stride = frames.stride || 1;
const fps = isNum(frames.fps) && frames.fps > 0 ? frames.fps : 30;

const R = isObj(D.report) ? D.report : null;
function part(name, looksLike) {
  if (!R) return null;
  if (R.kind === name) return R;
  if (isObj(R[name])) return R[name];
  if (!R.kind && looksLike(R)) return R;
  return null;
}
const calib = part('calibration', (r) => 'verdict' in r || 'pairs' in r);
const tri = part('triangulation', (r) => 'joints' in r || 'counts' in r);
const camIndex = new Map(cams.map((c, i) => [c.name, i]));
const byName = (list) => new Map((Array.isArray(list) ? list : []).filter(isObj).map((x) => [x.name, x]));
const calibCams = byName(calib && calib.cameras);
const triCams = byName(tri && tri.cameras);
const statCams = byName(D.camera_stats);
const detCams = byName(D.detections);

// Per-frame and per-joint statistics of the embedded points.
const valid = (f, j) => {
  const b = (f * J + j) * 3;
  return Number.isFinite(P[b]) && Number.isFinite(P[b + 1]) && Number.isFinite(P[b + 2]);
};
const frameMeanErr = new Float32Array(F).fill(NaN);
const frameShare = new Float32Array(F).fill(NaN);
const jointShare = new Array(J).fill(NaN);
const jointMeanErr = new Array(J).fill(NaN);
let pointsValid = 0;
if (F) {
  const jv = new Array(J).fill(0), je = new Array(J).fill(0), jn = new Array(J).fill(0);
  for (let f = 0; f < F; f++) {
    let n = 0, es = 0, en = 0;
    for (let j = 0; j < J; j++) {
      if (!valid(f, j)) continue;
      n++;
      jv[j]++;
      const e = E ? E[f * J + j] : NaN;
      if (Number.isFinite(e)) { es += e; en++; je[j] += e; jn[j]++; }
    }
    pointsValid += n;
    frameShare[f] = n / J;
    frameMeanErr[f] = en ? es / en : NaN;
  }
  for (let j = 0; j < J; j++) {
    jointShare[j] = jv[j] / F;
    jointMeanErr[j] = jn[j] ? je[j] / jn[j] : NaN;
  }
}
const errP95 = E ? quantile(E.length > 400000 ? E.filter((_, i) => i % 4 === 0) : E, 0.95) : NaN;
let errorMax = isNum(errP95) ? Math.max(2, Math.ceil(errP95)) : 10;
const frameNumber = (f) => (FN ? FN[f] : f * stride);

// ---------------------------------------------------------------------------------------------
// Header: verdict and summary cards
function drawHeader() {
  const verdict = (R && isObj(R.verdict) ? R.verdict : null) || (calib && isObj(calib.verdict) ? calib.verdict : null);
  if (verdict && verdict.status) {
    const v = $('verdict');
    const status = String(verdict.status);
    v.textContent = 'calibration: ' + status;
    v.className = 'verdict ' + (['good', 'check', 'failed'].includes(status) ? status : 'unknown');
    v.hidden = false;
    const reasons = Array.isArray(verdict.reasons) ? verdict.reasons : [];
    const notes = Array.isArray(verdict.notes) ? verdict.notes : [];
    if (reasons.length || notes.length) {
      const r = $('verdict-reasons');
      const ul = el('ul', null, r);
      for (const reason of reasons) el('li', null, ul, String(reason));
      for (const note of notes) el('li', { class: 'note' }, ul, 'note: ' + String(note));
      r.hidden = false;
    }
  }
  const cards = $('summary');
  const card = (value, label, title) => {
    const c = el('div', { class: 'card', title }, cards);
    el('div', { class: 'value' }, c, value);
    el('div', { class: 'label' }, c, label);
  };
  const withExt = cams.filter((c) => c.has_extrinsics).length;
  card(String(C), withExt === C ? 'cameras' : `cameras (${withExt} posed)`);
  if (F) {
    card(fmtInt(frames.total || F), stride > 1 ? `frames (every ${stride}th shown)` : 'frames');
    card(String(J), 'joints' + (skel.name ? ' (' + skel.name + ')' : ''));
    card(pct(pointsValid / (F * J), 1), 'points triangulated');
  } else if (tri && isNum(tri.num_frames)) {
    card(fmtInt(tri.num_frames), 'frames');
  }
  const med = tri && isNum(tri.median_error_px) ? tri.median_error_px : E ? quantile(E, 0.5) : NaN;
  if (isNum(med)) card(fmt(med, 2) + ' px', 'median reprojection error');
  const counts = tri && isObj(tri.counts) ? tri.counts : null;
  if (counts) {
    if (isNum(counts.outliers_dropped)) card(fmtInt(counts.outliers_dropped), 'outliers dropped');
    if (isNum(counts.swaps_fixed)) card(fmtInt(counts.swaps_fixed), 'left/right swaps fixed');
    if (isNum(counts.bone_fixed) && counts.bone_fixed > 0) card(fmtInt(counts.bone_fixed), 'joints re-fit to the skeleton');
    if (isNum(counts.gaps_filled) && counts.gaps_filled > 0) card(fmtInt(counts.gaps_filled), 'gaps filled');
  }
  if (calib) {
    const ba = isObj(calib.bundle_adjustment) ? calib.bundle_adjustment : null;
    if (ba && isNum(ba.sigma0_px)) card(fmt(ba.sigma0_px, 2) + ' px', 'bundle adjustment \u03c3\u2080');
    const scale = isObj(calib.scale) ? calib.scale : null;
    if (scale && scale.method) {
      const u = isNum(scale.uncertainty_rel) ? scale.uncertainty_rel : scale.uncertainty;
      card(String(scale.method).replace(/_/g, ' '), 'metric scale' + (isNum(u) ? ` (\u00b1${pct(u, 1)})` : ''));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 3D view
const view = {};
function setupScene() {
  const host = $('view3d');
  let renderer;
  try {
    renderer = new THREE.WebGLRenderer({ antialias: true });
  } catch (err) {
    $('noscript-note').textContent = 'The 3D view needs WebGL, which this browser does not provide.';
    return false;
  }
  $('noscript-note').remove();
  renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
  host.insertBefore(renderer.domElement, host.firstChild);
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0x1b2130);
  const camera = new THREE.PerspectiveCamera(50, 1, 0.01, 1000);
  camera.up.set(0, 0, 1);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x445066, 2.2));
  const sun = new THREE.DirectionalLight(0xffffff, 1.6);
  sun.position.set(3, -4, 8);
  scene.add(sun);
  Object.assign(view, { renderer, scene, camera, host, dirty: true });

  // Extent of the scene: camera centres and the bulk of the points.
  const centres = cams.filter((c) => c.has_extrinsics && Array.isArray(c.center)).map((c) => new THREE.Vector3(...c.center));
  const lo = new THREE.Vector3(Infinity, Infinity, Infinity), hi = new THREE.Vector3(-Infinity, -Infinity, -Infinity);
  let target = new THREE.Vector3(0, 0, 1);
  if (F) {
    const step = Math.max(1, Math.floor(F / 2000));
    const xs = [[], [], []];
    for (let f = 0; f < F; f += step)
      for (let j = 0; j < J; j++) if (valid(f, j)) for (let k = 0; k < 3; k++) xs[k].push(P[(f * J + j) * 3 + k]);
    if (xs[0].length) {
      lo.set(quantile(xs[0], 0.02), quantile(xs[1], 0.02), quantile(xs[2], 0.02));
      hi.set(quantile(xs[0], 0.98), quantile(xs[1], 0.98), quantile(xs[2], 0.98));
      target = lo.clone().add(hi).multiplyScalar(0.5);
    }
  } else if (centres.length) {
    const m = centres.reduce((a, b) => a.clone().add(b)).multiplyScalar(1 / centres.length);
    target = new THREE.Vector3(m.x, m.y, Math.min(1, Math.max(0, m.z * 0.5)));
  }
  for (const c of centres) { lo.min(c); hi.max(c); }
  if (!Number.isFinite(lo.x)) { lo.set(-2, -2, 0); hi.set(2, 2, 2); }
  const extent = Math.max(2, hi.clone().sub(lo).length() / 2, ...centres.map((c) => c.distanceTo(target)));
  // Initial viewing direction: from the middle of the widest gap between the cameras (seen from
  // above), so that no camera stands between the viewer and the scene.
  let azimuth = Math.atan2(-1.25, 0.9);
  const az = centres.map((c) => Math.atan2(c.y - target.y, c.x - target.x)).sort((a, b) => a - b);
  if (az.length >= 2) {
    let best = -1;
    az.forEach((a, i) => {
      const next = i + 1 < az.length ? az[i + 1] : az[0] + 2 * Math.PI;
      if (next - a > best) { best = next - a; azimuth = a + (next - a) / 2; }
    });
  } else if (az.length === 1) {
    azimuth = az[0] + Math.PI * 0.75;
  }
  Object.assign(view, { target, extent, azimuth });

  // Floor grid (z = 0), 1 m cells, and the world axes.
  const half = Math.ceil(Math.max(Math.abs(lo.x), Math.abs(hi.x), Math.abs(lo.y), Math.abs(hi.y), 2) + 0.5);
  const grid = new THREE.GridHelper(2 * half, 2 * half, 0x6d7891, 0x363f52);
  grid.rotation.x = Math.PI / 2;
  scene.add(grid);
  const axes = new THREE.AxesHelper(0.5);
  axes.material.depthTest = false;
  axes.renderOrder = 2;
  scene.add(axes);

  // Camera frusta: image corners at depth d, back to the world.
  const depth = clamp(0.12 * extent, 0.2, 1.0);
  view.frusta = [];
  const labels = $('labels');
  cams.forEach((c, i) => {
    if (!c.has_extrinsics || !Array.isArray(c.R) || !(c.fx > 0) || !(c.fy > 0)) return;
    const Rm = c.R, t = c.t;
    const toWorld = (u, v, d) => {
      const x = ((u - c.cx) / c.fx) * d - t[0], y = ((v - c.cy) / c.fy) * d - t[1], z = d - t[2];
      return new THREE.Vector3(Rm[0] * x + Rm[3] * y + Rm[6] * z, Rm[1] * x + Rm[4] * y + Rm[7] * z, Rm[2] * x + Rm[5] * y + Rm[8] * z);
    };
    const w = c.width || 2 * c.cx, h = c.height || 2 * c.cy;
    const o = new THREE.Vector3(...c.center);
    const k = [toWorld(0, 0, depth), toWorld(w, 0, depth), toWorld(w, h, depth), toWorld(0, h, depth)];
    const up = toWorld(w / 2, -0.18 * h, depth);
    const seg = [o, k[0], o, k[1], o, k[2], o, k[3], k[0], k[1], k[1], k[2], k[2], k[3], k[3], k[0], k[0], up, up, k[1]];
    const group = new THREE.Group();
    const color = new THREE.Color(camColor(i));
    group.add(new THREE.LineSegments(new THREE.BufferGeometry().setFromPoints(seg), new THREE.LineBasicMaterial({ color })));
    const planeGeo = new THREE.BufferGeometry().setFromPoints([k[0], k[1], k[2], k[0], k[2], k[3]]);
    group.add(new THREE.Mesh(planeGeo, new THREE.MeshBasicMaterial({ color, transparent: true, opacity: 0.18, side: THREE.DoubleSide, depthWrite: false })));
    const dot = new THREE.Mesh(new THREE.SphereGeometry(0.035 * Math.max(1, extent / 4), 12, 8), new THREE.MeshBasicMaterial({ color }));
    dot.position.copy(o);
    group.add(dot);
    scene.add(group);
    const label = el('div', { class: 'cam-label', title: `look through ${c.name}` }, labels, c.name);
    label.style.borderLeft = `3px solid ${camColor(i)}`;
    label.addEventListener('click', () => viewFromCamera(i));
    view.frusta.push({ index: i, group, label, anchor: o.clone() });
  });

  // Skeleton: instanced spheres (joints) and cylinders (bones).
  if (F) {
    view.jointRadius = 0.035;
    view.boneRadius = 0.016;
    const joints = new THREE.InstancedMesh(new THREE.SphereGeometry(1, 16, 12), new THREE.MeshLambertMaterial({ color: 0xffffff }), J);
    const bonesMesh = new THREE.InstancedMesh(new THREE.CylinderGeometry(1, 1, 1, 10), new THREE.MeshLambertMaterial({ color: 0xd8dfeb }), Math.max(1, bones.length));
    joints.frustumCulled = false;
    bonesMesh.frustumCulled = false;
    for (let j = 0; j < J; j++) joints.setColorAt(j, new THREE.Color(0xffffff));
    scene.add(joints, bonesMesh);
    Object.assign(view, { joints, bonesMesh });
    view.others = [];
    for (let q = 0; q < Q; q++) {
      const color = personColors[q % personColors.length];
      const oj = new THREE.InstancedMesh(new THREE.SphereGeometry(1, 12, 8), new THREE.MeshLambertMaterial({ color }), J);
      const ob = new THREE.InstancedMesh(new THREE.CylinderGeometry(1, 1, 1, 8), new THREE.MeshLambertMaterial({ color }), Math.max(1, bones.length));
      oj.frustumCulled = false;
      ob.frustumCulled = false;
      scene.add(oj, ob);
      view.others.push({ joints: oj, bonesMesh: ob, offset: q * F * J * 3 });
    }
    // Trajectory of the mean of the valid joints.
    const traj = [];
    for (let f = 0; f < F; f++) {
      let n = 0, x = 0, y = 0, z = 0;
      for (let j = 0; j < J; j++) if (valid(f, j)) { const b = (f * J + j) * 3; x += P[b]; y += P[b + 1]; z += P[b + 2]; n++; }
      if (n) traj.push(new THREE.Vector3(x / n, y / n, z / n));
    }
    if (traj.length > 1) {
      view.trajectory = new THREE.Line(new THREE.BufferGeometry().setFromPoints(traj), new THREE.LineBasicMaterial({ color: 0x9fb4d9, transparent: true, opacity: 0.55 }));
      view.trajectory.visible = false;
      scene.add(view.trajectory);
    }
    el('div', { id: 'frame-info', class: 'mono' }, host);
  }

  const controls = new OrbitControls(camera, renderer.domElement);
  controls.enableDamping = false;
  controls.addEventListener('change', () => { view.dirty = true; });
  controls.addEventListener('start', () => leaveCameraView());
  view.controls = controls;
  resetView();

  const resize = () => {
    const w = host.clientWidth, h = host.clientHeight;
    if (!w || !h) return;
    renderer.setSize(w, h, false);
    camera.aspect = w / h;
    camera.updateProjectionMatrix();
    view.dirty = true;
  };
  new ResizeObserver(resize).observe(host);
  resize();
  setupTooltip();
  return true;
}

function resetView() {
  const { camera, controls, target, extent } = view;
  leaveCameraView();
  camera.fov = 50;
  camera.updateProjectionMatrix();
  controls.target.copy(target);
  const elev = 0.62;  // radians above the horizon
  const dir = new THREE.Vector3(Math.cos(view.azimuth) * Math.cos(elev), Math.sin(view.azimuth) * Math.cos(elev), Math.sin(elev));
  camera.position.copy(target).add(dir.multiplyScalar(extent * 1.6));
  controls.update();
  view.dirty = true;
}

function viewFromCamera(i) {
  const c = cams[i];
  const { camera, controls, target } = view;
  leaveCameraView();
  const o = new THREE.Vector3(...c.center);
  const dir = new THREE.Vector3(c.R[6], c.R[7], c.R[8]).normalize();
  const dist = Math.max(0.5, o.distanceTo(target));
  camera.fov = (2 * Math.atan((c.height || 2 * c.cy) / 2 / c.fy) * 180) / Math.PI;
  camera.updateProjectionMatrix();
  camera.position.copy(o);
  controls.target.copy(o.clone().add(dir.multiplyScalar(dist)));
  controls.update();
  const fr = view.frusta.find((x) => x.index === i);
  if (fr) { fr.group.visible = false; fr.label.classList.add('active'); view.active = fr; }
  view.dirty = true;
}
function leaveCameraView() {
  if (!view.active) return;
  view.active.group.visible = $('show-frusta').checked;
  view.active.label.classList.remove('active');
  view.active = null;
}

const tmp = { m: new THREE.Matrix4(), q: new THREE.Quaternion(), s: new THREE.Vector3(), p: new THREE.Vector3(),
  a: new THREE.Vector3(), b: new THREE.Vector3(), y: new THREE.Vector3(0, 1, 0), c: new THREE.Color(), zero: new THREE.Matrix4().makeScale(0, 0, 0) };
function updateSkeleton(f) {
  if (!view.joints) return;
  const { joints, bonesMesh } = view;
  const { m, q, s, p, a, b, c } = tmp;
  q.identity();
  for (let j = 0; j < J; j++) {
    const base = (f * J + j) * 3;
    if (valid(f, j)) {
      m.compose(p.set(P[base], P[base + 1], P[base + 2]), q, s.setScalar(view.jointRadius));
      joints.setMatrixAt(j, m);
    } else {
      joints.setMatrixAt(j, tmp.zero);
    }
    const rgb = errorRgb(E ? E[f * J + j] : NaN, errorMax);
    joints.setColorAt(j, c.setRGB(rgb[0] / 255, rgb[1] / 255, rgb[2] / 255, THREE.SRGBColorSpace));
  }
  bones.forEach(([u, v], i) => {
    if (!valid(f, u) || !valid(f, v)) { bonesMesh.setMatrixAt(i, tmp.zero); return; }
    a.fromArray(P, (f * J + u) * 3);
    b.fromArray(P, (f * J + v) * 3);
    const len = a.distanceTo(b);
    p.copy(a).add(b).multiplyScalar(0.5);
    q.setFromUnitVectors(tmp.y, b.sub(a).normalize());
    bonesMesh.setMatrixAt(i, m.compose(p, q, s.set(view.boneRadius, len, view.boneRadius)));
  });
  joints.instanceMatrix.needsUpdate = true;
  if (joints.instanceColor) joints.instanceColor.needsUpdate = true;
  bonesMesh.instanceMatrix.needsUpdate = true;
  joints.boundingSphere = null;
  for (const o of view.others || []) updateOtherPerson(o, f);
  view.dirty = true;
}

// A further person: one colour, no error shading.
function updateOtherPerson(o, f) {
  const { m, q, s, p, a, b } = tmp;
  const at = (j) => o.offset + (f * J + j) * 3;
  const ok = (j) => Number.isFinite(OP[at(j)]) && Number.isFinite(OP[at(j) + 1]) && Number.isFinite(OP[at(j) + 2]);
  q.identity();
  for (let j = 0; j < J; j++)
    o.joints.setMatrixAt(j, ok(j) ? m.compose(p.fromArray(OP, at(j)), q, s.setScalar(view.jointRadius)) : tmp.zero);
  bones.forEach(([u, v], i) => {
    if (!ok(u) || !ok(v)) { o.bonesMesh.setMatrixAt(i, tmp.zero); return; }
    a.fromArray(OP, at(u));
    b.fromArray(OP, at(v));
    const len = a.distanceTo(b);
    p.copy(a).add(b).multiplyScalar(0.5);
    q.setFromUnitVectors(tmp.y, b.sub(a).normalize());
    o.bonesMesh.setMatrixAt(i, m.compose(p, q, s.set(view.boneRadius, len, view.boneRadius)));
  });
  o.joints.instanceMatrix.needsUpdate = true;
  o.bonesMesh.instanceMatrix.needsUpdate = true;
  o.joints.boundingSphere = null;
}

function updateLabels() {
  if (!view.frusta) return;
  const show = $('show-names').checked && $('show-frusta').checked;
  const w = view.host.clientWidth, h = view.host.clientHeight;
  const v = tmp.p;
  for (const fr of view.frusta) {
    v.copy(fr.anchor).project(view.camera);
    const visible = show && v.z < 1 && v.z > -1 && Math.abs(v.x) < 1.2 && Math.abs(v.y) < 1.2 && fr !== view.active;
    fr.label.hidden = !visible;
    if (visible) {
      fr.label.style.left = ((v.x + 1) / 2) * w + 'px';
      fr.label.style.top = ((1 - v.y) / 2) * h + 'px';
    }
  }
}

function render() {
  view.renderer.render(view.scene, view.camera);
  updateLabels();
  view.dirty = false;
  api.renderCount++;
  api.lastRenderedFrame = state.frame;
}

function setupTooltip() {
  if (!view.joints) return;
  const tip = $('tooltip');
  const ray = new THREE.Raycaster();
  const ndc = new THREE.Vector2();
  let pending = null;
  view.renderer.domElement.addEventListener('pointermove', (ev) => {
    pending = ev;
    requestAnimationFrame(() => {
      if (!pending) return;
      const e = pending;
      pending = null;
      const r = view.renderer.domElement.getBoundingClientRect();
      ndc.set(((e.clientX - r.left) / r.width) * 2 - 1, -((e.clientY - r.top) / r.height) * 2 + 1);
      ray.setFromCamera(ndc, view.camera);
      const hit = ray.intersectObject(view.joints, false)[0];
      if (!hit || hit.instanceId === undefined || !valid(state.frame, hit.instanceId)) { tip.hidden = true; return; }
      const j = hit.instanceId, f = state.frame, base = (f * J + j) * 3;
      tip.textContent = `${jointNames[j]}: error ${fmt(E ? E[f * J + j] : NaN, 2)} px, ${NV ? NV[f * J + j] : DASH} views, ` +
        `(${fmt(P[base])}, ${fmt(P[base + 1])}, ${fmt(P[base + 2])}) m`;
      tip.style.left = e.clientX - r.left + 14 + 'px';
      tip.style.top = e.clientY - r.top + 10 + 'px';
      tip.hidden = false;
    });
  });
  view.renderer.domElement.addEventListener('pointerleave', () => { tip.hidden = true; });
}

function drawLegend() {
  if (!F || !E) return;
  const lg = $('legend');
  lg.replaceChildren();
  el('div', null, lg, 'joint reprojection error (px)');
  const bar = el('div', { class: 'bar' }, lg);
  bar.style.background = `linear-gradient(to right, ${STOPS.map(([t, c]) => rgbCss(c) + ' ' + t * 100 + '%').join(', ')})`;
  const t = el('div', { class: 'ticks mono' }, lg);
  for (const v of [0, errorMax / 2, errorMax]) el('span', null, t, tickLabel(v));
  const u = el('div', null, lg);
  el('span', { class: 'unknown' }, u);
  u.appendChild(document.createTextNode('unknown \u00b7 \u2265 max in red'));
  lg.hidden = false;
}

// ---------------------------------------------------------------------------------------------
// Playback
const state = { frame: 0, playing: false, speed: 1, acc: 0, last: 0 };
const cursors = [];
function setFrame(f) {
  if (!F) return;
  f = clamp(Math.round(f), 0, F - 1);
  state.frame = f;
  updateSkeleton(f);
  $('frame-slider').value = String(f);
  const label = `frame ${fmtInt(frameNumber(f))}` + (frames.total ? ` (${f + 1}/${F})` : '');
  $('frame-label').textContent = label;
  const info = $('frame-info');
  const people = Q ? ` \u00b7 ${Q + 1} people (track ${trackIds.length ? trackIds.join(', ') : '0..' + Q}; errors shown for track ${trackIds.length ? trackIds[0] : 0})` : '';
  if (info) info.textContent = `${label} \u00b7 mean error ${fmt(frameMeanErr[f], 1)} px \u00b7 ${pct(frameShare[f])} joints${people}`;
  for (const c of cursors) c(f);
}
function setPlaying(on) {
  state.playing = on && F > 1;
  $('play').innerHTML = state.playing ? '&#10073;&#10073;' : '&#9654;';
  state.acc = 0;
}
function loop(t) {
  if (state.playing) {
    const dt = Math.min(0.25, (t - state.last) / 1000);
    state.acc += (dt * fps * state.speed) / stride;
    if (state.acc >= 1) {
      const n = Math.floor(state.acc);
      state.acc -= n;
      setFrame((state.frame + n) % F);
    }
  }
  state.last = t;
  if (view.renderer && view.dirty) render();
  requestAnimationFrame(loop);
}

function setupControls() {
  const slider = $('frame-slider');
  if (!F) {
    for (const id of ['play', 'frame-slider', 'frame-label', 'speed', 'show-trajectory', 'error-max'])
      $(id).closest('label') ? ($(id).closest('label').hidden = true) : ($(id).hidden = true);
    el('span', { class: 'hint' }, $('controls'), 'no 3D points in this report (epilabel report --points points3d.npz)');
  }
  slider.max = String(Math.max(0, F - 1));
  slider.addEventListener('input', () => setFrame(Number(slider.value)));
  $('play').addEventListener('click', () => setPlaying(!state.playing));
  $('speed').addEventListener('change', (e) => { state.speed = Number(e.target.value); });
  $('reset-view').addEventListener('click', resetView);
  $('show-frusta').addEventListener('change', (e) => {
    for (const fr of view.frusta || []) fr.group.visible = e.target.checked && fr !== view.active;
    view.dirty = true;
  });
  $('show-names').addEventListener('change', () => { view.dirty = true; });
  $('show-trajectory').addEventListener('change', (e) => {
    if (view.trajectory) view.trajectory.visible = e.target.checked;
    view.dirty = true;
  });
  const maxInput = $('error-max');
  maxInput.value = String(errorMax);
  maxInput.addEventListener('change', () => {
    const v = Number(maxInput.value);
    if (v > 0) { errorMax = v; drawLegend(); setFrame(state.frame); }
  });
  document.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
    if (e.key === ' ') { setPlaying(!state.playing); e.preventDefault(); }
    else if (e.key === 'ArrowRight') setFrame(state.frame + 1);
    else if (e.key === 'ArrowLeft') setFrame(state.frame - 1);
  });
}

// ---------------------------------------------------------------------------------------------
// Plots (SVG)
function axesFrame(g, x0, x1, y0, y1, sx, sy, xt, yt, opts = {}) {
  const grid = sv('g', { class: 'grid' }, g);
  const ax = sv('g', { class: 'axis' }, g);
  for (const v of yt) {
    sv('line', { x1: sx(x0), x2: sx(x1), y1: sy(v), y2: sy(v) }, grid);
    sv('text', { x: sx(x0) - 6, y: sy(v) + 4, 'text-anchor': 'end' }, ax, opts.yFmt ? opts.yFmt(v) : tickLabel(v));
  }
  for (const v of xt) sv('text', { x: sx(v), y: sy(y0) + 15, 'text-anchor': 'middle' }, ax, opts.xFmt ? opts.xFmt(v) : tickLabel(v));
  sv('line', { x1: sx(x0), x2: sx(x1), y1: sy(y0), y2: sy(y0) }, ax);
  sv('line', { x1: sx(x0), x2: sx(x0), y1: sy(y0), y2: sy(y1) }, ax);
}

// Bucketed mean of a per-frame series (at most `n` buckets), as [frame, value] pairs.
function buckets(get, n) {
  const size = Math.max(1, Math.ceil(F / n));
  const out = [];
  for (let s = 0; s < F; s += size) {
    let sum = 0, k = 0;
    for (let f = s; f < Math.min(F, s + size); f++) { const v = get(f); if (Number.isFinite(v)) { sum += v; k++; } }
    out.push([Math.min(F - 1, s + (size - 1) / 2), k ? sum / k : NaN]);
  }
  return out;
}
function pathOf(pts, sx, sy) {
  let d = '', pen = false;
  for (const [x, y] of pts) {
    if (!Number.isFinite(y)) { pen = false; continue; }
    d += (pen ? 'L' : 'M') + sx(x).toFixed(1) + ',' + sy(y).toFixed(1);
    pen = true;
  }
  return d;
}

function timeChart(host, series, { height, yMax, yLabel, yFmt, area }) {
  const W = 1000, H = height, L = 52, Rm = 12, T = 10, B = 26;
  const svg = sv('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img' }, host);
  const xMax = Math.max(1, F - 1);
  const sx = (f) => L + (f / xMax) * (W - L - Rm);
  const sy = (v) => T + (1 - clamp(v / yMax, 0, 1)) * (H - T - B);
  axesFrame(svg, 0, xMax, 0, yMax, sx, sy, ticks(0, xMax, 8).filter((v) => Number.isInteger(v)), ticks(0, yMax, 4),
    { xFmt: (v) => fmtInt(frameNumber(v)), yFmt });
  sv('text', { x: 12, y: T + (H - T - B) / 2, transform: `rotate(-90 12 ${T + (H - T - B) / 2})`, 'text-anchor': 'middle', class: 'muted' }, svg, yLabel);
  for (const s of series) {
    const d = pathOf(s.points, sx, sy);
    if (area) {
      sv('path', { d: d + `L${sx(s.points[s.points.length - 1][0])},${sy(0)}L${sx(s.points[0][0])},${sy(0)}Z`, fill: s.color, opacity: 0.18, stroke: 'none' }, svg);
    }
    sv('path', { d, fill: 'none', stroke: s.color, 'stroke-width': s.width || 1.2, opacity: s.opacity || 1 }, svg);
  }
  const cursor = sv('line', { y1: T, y2: H - B, stroke: '#2f6fde', 'stroke-width': 1.5 }, svg);
  cursors.push((f) => { cursor.setAttribute('x1', sx(f)); cursor.setAttribute('x2', sx(f)); });
  svg.style.cursor = 'crosshair';
  svg.addEventListener('click', (e) => {
    const r = svg.getBoundingClientRect();
    const x = ((e.clientX - r.left) / r.width) * W;
    setFrame(((x - L) / (W - L - Rm)) * xMax);
  });
  return svg;
}

function drawTimeCharts() {
  if (!F || !E) return;
  const n = 1000;
  const series = [];
  if (CE) {
    cams.forEach((c, i) => {
      const pts = buckets((f) => CE[i * F + f], n);
      if (pts.some((p) => isNum(p[1]))) series.push({ name: c.name, color: camColor(i), points: pts, width: 1, opacity: 0.5 });
    });
  }
  const mean = buckets((f) => frameMeanErr[f], n);
  series.push({ name: 'mean over joints (3D points)', color: '#1d2433', points: mean, width: 2 });
  const all = series.flatMap((s) => s.points.map((p) => p[1]));
  const top = Math.max(0.5, quantile(all, 0.99) * 1.15 || 1);
  const step = niceStep(top, 4);
  const yMax = Math.ceil(top / step) * step;
  timeChart($('plot-time'), series, { height: 230, yMax, yLabel: 'error (px)' });
  const legend = el('div', { class: 'chart-legend' }, $('plot-time'));
  for (const s of series.slice().reverse()) {
    const item = el('span', null, legend, s.name);
    item.style.setProperty('--swatch', s.color);
  }
  timeChart($('plot-share-time'), [{ color: '#59a14f', points: buckets((f) => frameShare[f], n), width: 1.2 }],
    { height: 110, yMax: 1, yLabel: 'triangulated', yFmt: (v) => pct(v), area: true });
  $('time-card').hidden = false;
}

function histogramChart(host, name, color, hist, note) {
  const edges = hist.edges, counts = hist.counts;
  if (!Array.isArray(edges) || !Array.isArray(counts) || edges.length !== counts.length + 1 || !counts.length) return false;
  const W = 320, H = 190, L = 44, Rm = 10, T = 30, B = 28;
  const div = el('div', null, host);
  const svg = sv('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'data-camera': name }, div);
  const x0 = edges[0], x1 = edges[edges.length - 1];
  const total = counts.reduce((a, b) => a + b, 0);
  const yMax = Math.max(1, ...counts);
  const sx = (v) => L + ((v - x0) / (x1 - x0 || 1)) * (W - L - Rm);
  const sy = (v) => T + (1 - v / yMax) * (H - T - B);
  axesFrame(svg, x0, x1, 0, yMax, sx, sy, ticks(x0, x1, 5), ticks(0, yMax, 3));
  counts.forEach((c, i) => {
    if (!c) return;
    sv('rect', { x: sx(edges[i]) + 0.5, width: Math.max(0.5, sx(edges[i + 1]) - sx(edges[i]) - 1), y: sy(c), height: sy(0) - sy(c), fill: color }, svg);
  });
  sv('text', { x: L, y: 14, 'font-weight': 600 }, svg, name);
  sv('text', { x: W - Rm, y: 14, 'text-anchor': 'end', class: 'muted' }, svg, note || `n = ${fmtInt(total)}`);
  sv('text', { x: W - Rm, y: H - 2, 'text-anchor': 'end', class: 'muted' }, svg, 'px');
  return true;
}

function drawHistograms() {
  const host = $('plot-hist');
  let drawn = 0;
  const fromReport = cams.length && [...triCams.values()].some((c) => isObj(c.error_histogram));
  const source = fromReport ? triCams : statCams;
  cams.forEach((c, i) => {
    const s = source.get(c.name);
    if (!s || !isObj(s.error_histogram)) return;
    const med = s.median_error_px;
    const n = s.error_histogram.counts ? s.error_histogram.counts.reduce((a, b) => a + b, 0) : 0;
    if (histogramChart(host, c.name, camColor(i), s.error_histogram, `median ${fmt(med, 2)} px \u00b7 n = ${fmtInt(n)}`)) drawn++;
  });
  if (!drawn) return;
  $('hist-source').textContent = (fromReport
    ? 'views used by the triangulation (report.json)'
    : 'every detection above the confidence threshold vs. the 3D points (computed from the 2D poses)') +
    ' \u00b7 the last bin holds everything beyond';
  $('hist-card').hidden = false;
}

function drawJoints() {
  let rows = [];
  const tj = tri && Array.isArray(tri.joints) ? tri.joints.filter(isObj) : [];
  if (tj.length) rows = tj.map((j) => ({ name: j.name, share: j.share_triangulated, err: j.mean_error_px }));
  else if (F) rows = jointNames.map((name, j) => ({ name, share: jointShare[j], err: jointMeanErr[j] }));
  if (!rows.length) return;
  const W = 520, L = 120, Rm = 110, T = 8, row = 19, H = T + rows.length * row + 24;
  const svg = sv('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img' }, $('plot-joints'));
  const sx = (v) => L + clamp(v, 0, 1) * (W - L - Rm);
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    sv('line', { x1: sx(v), x2: sx(v), y1: T, y2: H - 20, stroke: '#eceff4' }, svg);
    sv('text', { x: sx(v), y: H - 6, 'text-anchor': 'middle', class: 'muted' }, svg, pct(v));
  }
  rows.forEach((r, i) => {
    const y = T + i * row;
    sv('text', { x: L - 8, y: y + 13, 'text-anchor': 'end' }, svg, String(r.name));
    if (isNum(r.share)) sv('rect', { x: sx(0), y: y + 2, width: sx(r.share) - sx(0), height: row - 5, rx: 2, fill: rgbCss(errorRgb(r.err, errorMax)) }, svg);
    sv('text', { x: W - Rm + 8, y: y + 13, class: 'muted' }, svg, `${pct(r.share, 1)} \u00b7 ${fmt(r.err, 1)} px`);
  });
  $('joints-card').hidden = false;
}

function drawViewGraph() {
  const pairs = calib && Array.isArray(calib.pairs) ? calib.pairs.filter(isObj) : [];
  if (!pairs.length) return;
  const names = cams.map((c) => c.name);
  for (const p of pairs) for (const n of [p.a, p.b]) if (!names.includes(n)) names.push(n);
  const W = 520, H = 380, pad = 56;
  // Top view of the camera centres when known, else a circle.
  let pos = names.map((n) => { const c = cams[camIndex.get(n)]; return c && c.has_extrinsics ? [c.center[0], -c.center[1]] : null; });
  const known = pos.filter(Boolean);
  const spread = known.length >= 2 ? Math.max(...known.map((p) => Math.hypot(p[0] - known[0][0], p[1] - known[0][1]))) : 0;
  if (known.length !== names.length || spread < 1e-6) pos = names.map((_, i) => [Math.cos((2 * Math.PI * i) / names.length - Math.PI / 2), Math.sin((2 * Math.PI * i) / names.length - Math.PI / 2)]);
  const xs = pos.map((p) => p[0]), ys = pos.map((p) => p[1]);
  const [mx, Mx, my, My] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const s = Math.min((W - 2 * pad) / (Mx - mx || 1), (H - 2 * pad) / (My - my || 1));
  const px = (p) => [W / 2 + (p[0] - (mx + Mx) / 2) * s, H / 2 + (p[1] - (my + My) / 2) * s];
  const svg = sv('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img' }, $('plot-graph'));
  const maxIn = Math.max(1, ...pairs.map((p) => (isNum(p.inliers) ? p.inliers : 0)));
  const labelsG = [];
  for (const p of pairs) {
    const a = names.indexOf(p.a), b = names.indexOf(p.b);
    const [x1, y1] = px(pos[a]), [x2, y2] = px(pos[b]);
    const used = p.used !== false;
    const w = 1 + 6 * (isNum(p.inliers) ? p.inliers : 0) / maxIn;
    const line = sv('line', { x1, y1, x2, y2, stroke: used ? '#2f6fde' : '#a0a7b4', 'stroke-width': w, 'stroke-linecap': used ? 'round' : 'butt', opacity: used ? 0.8 : 0.7 }, svg);
    if (!used) line.setAttribute('stroke-dasharray', '7 5');
    const t = sv('title', null, line, `${p.a} \u2013 ${p.b}: ${fmtInt(p.inliers)} inliers of ${fmtInt(p.correspondences)}` +
      (isNum(p.quality) ? `, quality ${fmt(p.quality, 2)}` : '') + (p.reason ? ` (${p.reason})` : ''));
    void t;
    labelsG.push([x1 + 0.42 * (x2 - x1), y1 + 0.42 * (y2 - y1), fmtInt(p.inliers)]);  // off-centre: crossing edges keep apart
  }
  for (const [x, y, text] of labelsG)
    sv('text', { x, y: y + 4, 'text-anchor': 'middle', 'paint-order': 'stroke', stroke: '#fff', 'stroke-width': 4, 'font-size': 11 }, svg, text);
  names.forEach((n, i) => {
    const [x, y] = px(pos[i]);
    const ci = camIndex.has(n) ? camIndex.get(n) : i;
    const cc = calibCams.get(n);
    const registered = !cc || cc.registered !== false;
    sv('circle', { cx: x, cy: y, r: 9, fill: registered ? camColor(ci) : '#fff', stroke: camColor(ci), 'stroke-width': 2.5 }, svg);
    sv('text', { x, y: y - 14, 'text-anchor': 'middle', 'font-weight': 600, 'paint-order': 'stroke', stroke: '#fff', 'stroke-width': 4 }, svg, n);
  });
  if (known.length === names.length && spread >= 1e-6) sv('text', { x: W - 6, y: H - 6, 'text-anchor': 'end', class: 'muted' }, svg, 'top view of the camera centres');
  $('graph-card').hidden = false;
}

// ---------------------------------------------------------------------------------------------
// Tables
function table(host, header, rows, rowClass) {
  const t = el('table', null, host);
  const tr = el('tr', null, el('thead', null, t));
  for (const h of header) el('th', { title: h.title, class: h.text ? 'text' : null }, tr, h.label || h);
  const body = el('tbody', null, t);
  rows.forEach((r, i) => {
    const row = el('tr', { class: rowClass ? rowClass(i) : null }, body);
    r.forEach((cell, k) => {
      const td = el('td', { class: header[k] && header[k].text ? 'text' : null }, row);
      if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell === undefined || cell === null ? DASH : String(cell);
    });
  });
  return t;
}
function pill(status) {
  if (!status) return DASH;
  const s = el('span', { class: 'pill ' + status }, null, status);
  return s;
}
function nameCell(i, name) {
  const span = el('span');
  el('span', { class: 'swatch', style: `background:${camColor(i)}` }, span);
  span.appendChild(document.createTextNode(name));
  return span;
}

function drawCalibrationTable() {
  const anySigma = [...calibCams.values()].some((c) => isNum(c.focal_sigma_px) || isNum(c.center_sigma_m) || isNum(c.rotation_sigma_deg));
  const anyRms = [...calibCams.values()].some((c) => isNum(c.rms_px));
  const anyVerdict = [...calibCams.values()].some((c) => c.verdict || c.reason);
  const anyLoo = [...calibCams.values()].some((c) => isNum(c.loo_rotation_deg));
  const header = ['camera', 'size (px)', { label: 'fx / fy (px)', title: 'focal lengths' },
    { label: 'cx, cy (px)', title: 'principal point' }, { label: 'k1, k2', title: 'radial distortion' },
    { label: 'position x, y, z (m)', title: 'camera centre in the world (z up)' },
    { label: 'looks az / el (\u00b0)', title: 'direction of the optical axis: azimuth from +x, elevation above the floor ' +
      '(hover a cell for the world-to-camera rotation vector as in the calibration TOML)' }];
  if (anyRms) header.push({ label: 'rms (px)', title: 'reprojection error in the bundle adjustment' });
  if (anySigma) header.push({ label: '\u03c3 f (px)', title: 'standard deviation of the focal length' },
    { label: '\u03c3 pos (m)', title: 'standard deviation of the camera centre' },
    { label: '\u03c3 rot (\u00b0)', title: 'standard deviation of the rotation' });
  if (anyLoo) header.push({ label: 'LOO rot (\u00b0)', title: 'leave-one-camera-out: how far the camera turns when resected on the joints the other cameras triangulate without it' },
    { label: 'LOO pos (m)', title: 'leave-one-camera-out: how far its centre moves' });
  if (anyVerdict) header.push('verdict', { label: 'note', text: true });
  const rows = cams.map((c, i) => {
    const r = calibCams.get(c.name) || {};
    let look = DASH, position = DASH;
    if (c.has_extrinsics && Array.isArray(c.R)) {
      const d = [c.R[6], c.R[7], c.R[8]];
      look = el('span', { title: 'Rodrigues rotation (rad): ' + c.rodrigues.map((v) => fmt(v, 4)).join(', ') }, null,
        `${fmt((Math.atan2(d[1], d[0]) * 180) / Math.PI, 1)} / ${fmt((Math.asin(clamp(d[2], -1, 1)) * 180) / Math.PI, 1)}`);
      position = c.center.map((v) => fmt(v, 3)).join(', ');
    }
    const k = Array.isArray(c.distortion) ? c.distortion : [];
    const row = [nameCell(i, c.name), c.width && c.height ? `${c.width}\u00d7${c.height}` : DASH,
      c.fx > 0 ? `${fmt(c.fx, 1)} / ${fmt(c.fy, 1)}` : DASH, c.fx > 0 ? `${fmt(c.cx, 1)}, ${fmt(c.cy, 1)}` : DASH,
      `${fmt(k[0], 3)}, ${fmt(k[1], 3)}`, position, look];
    if (anyRms) row.push(fmt(r.rms_px, 2));
    if (anySigma) row.push(fmt(r.focal_sigma_px, 1), fmt(r.center_sigma_m, 3), fmt(r.rotation_sigma_deg, 2));
    if (anyLoo) row.push(fmt(r.loo_rotation_deg, 2), fmt(r.loo_center_m, 3));
    if (anyVerdict) row.push(pill(r.verdict), r.reason || (r.registered === false ? 'not registered' : ''));
    return row;
  });
  table($('table-calib'), header, rows, (i) => { const v = (calibCams.get(cams[i].name) || {}).verdict; return v ? 'v-' + v : null; });
}

function drawTriangulationTable() {
  if (!triCams.size && !statCams.size && !detCams.size) return;
  const header = ['camera'];
  const cols = [];
  const add = (label, title, get) => { header.push(title ? { label, title } : label); cols.push(get); };
  if (detCams.size) {
    add('frames', 'frames with a keypoint file / entry', (d) => fmtInt(d.det && d.det.frames));
    add('joints detected', 'share of (frame, joint) slots with a detection', (d) => pct(d.det && d.det.joints_detected_share, 1));
    add('mean confidence', null, (d) => fmt(d.det && d.det.mean_confidence, 2));
  }
  if (triCams.size) {
    add('observed', 'detections above the confidence threshold', (d) => fmtInt(d.tri && d.tri.observed));
    add('used', 'views kept by the robust view selection', (d) => fmtInt(d.tri && d.tri.used));
    add('share used', null, (d) => pct(d.tri && d.tri.share_used, 1));
    add('mean error (px)', 'over the views used', (d) => fmt(d.tri && d.tri.mean_error_px, 2));
    add('median error (px)', 'over the views used', (d) => fmt(d.tri && d.tri.median_error_px, 2));
  }
  if (statCams.size) {
    add('all detections: mean (px)', 'every detection vs. the 3D points', (d) => fmt(d.stat && d.stat.mean_error_px, 2));
    add('median (px)', 'every detection vs. the 3D points', (d) => fmt(d.stat && d.stat.median_error_px, 2));
  }
  const rows = cams.map((c, i) => {
    const d = { tri: triCams.get(c.name), stat: statCams.get(c.name), det: detCams.get(c.name) };
    return [nameCell(i, c.name), ...cols.map((g) => g(d))];
  });
  table($('table-tri'), header, rows);
  $('tri-card').hidden = false;
}

function drawPairsTable() {
  const pairs = calib && Array.isArray(calib.pairs) ? calib.pairs.filter(isObj) : [];
  if (!pairs.length) return;
  const rows = pairs.map((p) => [`${p.a} \u2013 ${p.b}`, fmtInt(p.correspondences), fmtInt(p.inliers),
    isNum(p.inliers) && isNum(p.correspondences) && p.correspondences > 0 ? pct(p.inliers / p.correspondences) : DASH,
    fmt(p.median_angle_deg, 1), fmt(p.quality, 2), p.used === undefined ? DASH : p.used ? 'yes' : 'no', p.reason || '']);
  table($('table-pairs'), ['pair', 'correspondences', 'inliers', 'inlier share', { label: 'median angle (\u00b0)', title: 'median triangulation angle' },
    'quality', 'in view graph', { label: 'note', text: true }], rows);
  $('pairs-card').hidden = false;
}

// Everything else in report.json, as key/value tables.
function drawDetails() {
  const host = $('table-details');
  const shown = new Set(['cameras', 'pairs', 'joints', 'verdict', 'kind', 'calibration', 'triangulation']);
  const value = (v) => {
    if (v === null || v === undefined) return DASH;
    if (typeof v === 'number') return Number.isInteger(v) ? fmtInt(v) : String(+v.toPrecision(5));
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    if (Array.isArray(v)) return v.every((x) => !isObj(x) && !Array.isArray(x)) ? v.map(value).join(', ') : JSON.stringify(v);
    if (isObj(v)) return JSON.stringify(v);
    return String(v);
  };
  const flatten = (obj, prefix, out) => {
    for (const [k, v] of Object.entries(obj)) {
      if (isObj(v) && prefix.split('.').length < 3) flatten(v, prefix + k + '.', out);
      else out.push([prefix + k, value(v)]);
    }
    return out;
  };
  const section = (title, rows) => {
    if (!rows.length) return;
    const d = el('div', null, host);
    el('h3', null, d, title);
    table(d, ['field', { label: 'value', text: true }], rows);
  };
  const parts = [];
  if (R) parts.push([R.kind ? R.kind : 'report', R]);
  if (R && isObj(R.calibration)) parts.push(['calibration', R.calibration]);
  if (R && isObj(R.triangulation)) parts.push(['triangulation', R.triangulation]);
  for (const [name, obj] of parts) {
    const scalars = [];
    for (const [k, v] of Object.entries(obj)) {
      if (shown.has(k)) continue;
      if (isObj(v)) section(`${name}: ${k.replace(/_/g, ' ')}`, flatten(v, '', []));
      else scalars.push([k, value(v)]);
    }
    section(name, scalars);
  }
  if (host.children.length) $('details-card').hidden = false;
}

function drawFooter() {
  const f = $('footer');
  const src = isObj(D.sources) ? Object.entries(D.sources) : [];
  if (src.length) {
    const p = el('div', null, f, 'Inputs: ');
    src.forEach(([k, v], i) => {
      if (i) p.appendChild(document.createTextNode(' \u00b7 '));
      p.appendChild(document.createTextNode(k + ' '));
      el('code', null, p, String(v));
    });
  }
  el('div', null, f, `Written by epilabel report \u00b7 3D view: three.js ${D.three_version || ''} (MIT licence), embedded` +
    (F ? ` \u00b7 ${fmtInt(F)} frames embedded` + (stride > 1 ? ` (every ${stride}th of ${fmtInt(frames.total)})` : '') : ''));
}

// ---------------------------------------------------------------------------------------------
// Start
drawHeader();
const has3d = setupScene();
setupControls();
drawLegend();
drawTimeCharts();
drawHistograms();
drawJoints();
drawViewGraph();
drawCalibrationTable();
drawTriangulationTable();
drawPairsTable();
drawDetails();
drawFooter();
if (F) setFrame(0);
Object.assign(api, {
  webgl: has3d,
  numFrames: F,
  numJoints: J,
  numCameras: C,
  numFrusta: view.frusta ? view.frusta.length : 0,
  numPeople: F ? Q + 1 : 0,
  trackIds: trackIds.slice(),
  frame: () => state.frame,
  setFrame,
  play: () => setPlaying(true),
  pause: () => setPlaying(false),
  isPlaying: () => state.playing,
  joint: (f, j) => (F ? [P[(f * J + j) * 3], P[(f * J + j) * 3 + 1], P[(f * J + j) * 3 + 2]] : null),
  // World position of joint j of further person q (0 = the second track) as drawn.
  drawnOtherJoint: (q, j) => {
    if (!view.others || !view.others[q]) return null;
    const m = new THREE.Matrix4();
    view.others[q].joints.getMatrixAt(j, m);
    return [m.elements[12], m.elements[13], m.elements[14]];
  },
  // World position of a joint as currently drawn (from the instanced mesh).
  drawnJoint: (j) => {
    if (!view.joints) return null;
    const m = new THREE.Matrix4();
    view.joints.getMatrixAt(j, m);
    return [m.elements[12], m.elements[13], m.elements[14]];
  },
  viewFromCamera,
  resetView,
  activeCamera: () => (view.active ? cams[view.active.index].name : null),
});
requestAnimationFrame((t) => { state.last = t; loop(t); });
api.ready = true;
