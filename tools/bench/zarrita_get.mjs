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
// result dropped when it arrives (tools/bench/peers.sh); no --sha256 then.
//
// usage: node zarrita_get.mjs STORE [--sha256] [--plane AXIS,K | --boxes B]
//   zarrita and @zarrita/storage must resolve from this file's folder
//   (run.sh links node_modules beside a copy, as tests/sh/zarrita_reads_pack.sh
//   does for tests/peer/read_zarrita.mjs).
import * as crypto from "node:crypto";
import FileSystemStore from "@zarrita/storage/fs";
import * as zarr from "zarrita";

const [store, ...flags] = process.argv.slice(2);
const flag = flags.includes("--sha256") ? "--sha256" : null;
const p = flags.indexOf("--plane");
const plane = p >= 0 ? flags[p + 1].split(",").map(Number) : null;
const b = flags.indexOf("--boxes");
const box = b >= 0 ? flags[b + 1].split(",").map(Number) : null;

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
let res = null;
if (box) {
  await Promise.all(boxes(arr.shape, box).map((s) => zarr.get(arr, s).then((r) => r.data.byteLength)));
} else {
  const sel = plane ? arr.shape.map((_, d) => (d === plane[0] ? plane[1] : null)) : undefined;
  res = sel ? await zarr.get(arr, sel) : await zarr.get(arr);
}
const t1 = process.hrtime.bigint();
let line = (Number(t1 - t0) / 1e9).toFixed(4);
if (flag === "--sha256" && res) {
  const d = res.data, h = crypto.createHash("sha256"), step = 1 << 28;
  // (in slices: Hash.update refuses 2 GiB at once)
  for (let o = 0; o < d.byteLength; o += step)
    h.update(new Uint8Array(d.buffer, d.byteOffset + o, Math.min(step, d.byteLength - o)));
  line += " " + h.digest("hex");
}
console.log(line);
