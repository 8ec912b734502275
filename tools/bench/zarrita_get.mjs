// zarrita_get.mjs - the peer of tools/bench/run.sh: reads a whole array with
// zarrita.js (zarr.open + zarr.get through @zarrita/storage's
// FileSystemStore) and prints the seconds zarr.open + zarr.get took inside
// this process, then (with --sha256) the sha256 of the result's bytes, C
// order, little endian (hashed after the timing).
//
// With --plane AXIS,K it reads the plane a[..., K, ...] (K on axis AXIS)
// with zarr.get(arr, selection) instead (tools/bench/subarray.sh).
// With --boxes B0,B1,... it reads box by box (boxes of that shape tiling
// the array, edge boxes clipped), all boxes asked for at once, each
// result dropped when it arrives (tools/bench/peers.sh); no --sha256 then,
// but --verify RAW compares each box as it arrives with the same box of
// RAW, the array's raw bytes (C order; a check, its time not meaningful),
// and prints "verified" last, or exits 1 naming the box.
// With --bytes the bytes read follow the seconds.
//
// usage: node zarrita_get.mjs STORE [--sha256] [--bytes]
//                                   [--plane AXIS,K | --boxes B [--verify RAW]]
//   zarrita and @zarrita/storage must resolve from this file's folder
//   (run.sh links node_modules beside a copy, as tests/sh/zarrita_reads_pack.sh
//   does for tests/peer/read_zarrita.mjs).
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import FileSystemStore from "@zarrita/storage/fs";
import * as zarr from "zarrita";

const [store, ...flags] = process.argv.slice(2);
const flag = flags.includes("--sha256") ? "--sha256" : null;
const p = flags.indexOf("--plane");
const plane = p >= 0 ? flags[p + 1].split(",").map(Number) : null;
const b = flags.indexOf("--boxes");
const box = b >= 0 ? flags[b + 1].split(",").map(Number) : null;
const v = flags.indexOf("--verify");
const raw = v >= 0 ? readAll(flags[v + 1]) : null;

// The whole of a file in one Buffer (read before the clock starts).
function readAll(path) {
  const fd = fs.openSync(path, "r"), size = fs.fstatSync(fd).size, buf = Buffer.allocUnsafe(size);
  for (let o = 0; o < size; ) {
    const n = fs.readSync(fd, buf, o, Math.min(1 << 30, size - o), o);
    if (n <= 0) throw new Error(`${path}: short read`);
    o += n;
  }
  fs.closeSync(fd);
  return buf;
}

// Compares the result of box `sel` (zarr.slice per dimension) with raw's
// bytes, one contiguous run of the last dimension at a time.
function check(shape, sel, res) {
  const item = res.data.BYTES_PER_ELEMENT, nd = shape.length;
  const got = Buffer.from(res.data.buffer, res.data.byteOffset, res.data.byteLength);
  const lo = sel.map((s) => s.start), n = sel.map((s) => s.stop - s.start);
  const run = n[nd - 1] * item, idx = new Array(nd - 1).fill(0);
  for (let at = 0; at < got.length; at += run) {
    let off = 0;
    for (let d = 0; d < nd; d++) off = off * shape[d] + lo[d] + (d < nd - 1 ? idx[d] : 0);
    off *= item;
    if (got.compare(raw, off, off + run, at, at + run) !== 0) {
      console.error(`zarrita_get.mjs: box ${JSON.stringify(lo)} differs from the raw array`);
      process.exit(1);
    }
    for (let d = nd - 2; d >= 0 && ++idx[d] === n[d]; d--) idx[d] = 0;
  }
  return got.length;
}

// The selections of the boxes of shape `box` tiling `shape`, C order.
function boxes(shape, box) {
  let out = [[]];
  shape.forEach((n, d) => {
    const next = [];
    for (const s of out)
      for (let a = 0; a < n; a += box[d]) next.push([...s, zarr.slice(a, Math.min(a + box[d], n))]);
    out = next;
  });
  return out;
}

const t0 = process.hrtime.bigint();
const arr = await zarr.open(new FileSystemStore(store), { kind: "array" });
let res = null, bytes = 0;
if (box) {
  const sizes = await Promise.all(boxes(arr.shape, box).map((s) =>
    zarr.get(arr, s).then((r) => (raw ? check(arr.shape, s, r) : r.data.byteLength))));
  bytes = sizes.reduce((a, x) => a + x, 0);
} else {
  const sel = plane ? arr.shape.map((_, d) => (d === plane[0] ? plane[1] : null)) : undefined;
  res = sel ? await zarr.get(arr, sel) : await zarr.get(arr);
  bytes = res.data.byteLength;
}
const t1 = process.hrtime.bigint();
let line = (Number(t1 - t0) / 1e9).toFixed(4);
if (flags.includes("--bytes")) line += " " + bytes;
if (flag === "--sha256" && res) {
  const d = res.data, h = crypto.createHash("sha256"), step = 1 << 28;
  // (in slices: Hash.update refuses 2 GiB at once)
  for (let o = 0; o < d.byteLength; o += step)
    h.update(new Uint8Array(d.buffer, d.byteOffset + o, Math.min(step, d.byteLength - o)));
  line += " " + h.digest("hex");
}
if (raw && box) line += " verified";
console.log(line);
