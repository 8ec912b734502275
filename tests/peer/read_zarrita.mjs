// read_zarrita.mjs - reads Zarr arrays with zarrita.js (a real peer) for
// tests/sh/zarrita_reads_pack.sh.
//
// usage: node read_zarrita.mjs LIST
//   LIST: one array a line, "STORE<TAB>OUT": STORE is a folder whose root is
//   an array; its whole content, read with zarr.open + zarr.get through
//   @zarrita/storage's FileSystemStore, is written to OUT as raw bytes in C
//   order, little endian.  Prints "ok STORE" or "error STORE: why" per line;
//   exits 1 if any failed.  zarrita and @zarrita/storage must resolve from
//   this file's folder (the test links node_modules beside it).
import * as fs from "node:fs";
import * as os from "node:os";
import FileSystemStore from "@zarrita/storage/fs";
import * as zarr from "zarrita";

if (os.endianness() !== "LE") {
  console.error("read_zarrita: typed arrays are big endian here; expected LE");
  process.exit(2);
}

// C-order strides of shape.
function cStrides(shape) {
  let s = new Array(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = step;
    step *= shape[i];
  }
  return s;
}

async function readOne(store, out) {
  let arr = await zarr.open(new FileSystemStore(store), { kind: "array" });
  let res = await zarr.get(arr);
  let want = cStrides(res.shape);
  if (res.stride.some((v, i) => v !== want[i]))
    throw new Error(`result strides ${res.stride} are not C order for ${res.shape}`);
  let d = res.data; // a typed array (or zarrita's BoolArray): native = LE
  fs.writeFileSync(out, new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  return `${arr.dtype} [${arr.shape}]`;
}

let failed = 0;
let lines = fs.readFileSync(process.argv[2], "utf8").split("\n").filter(Boolean);
for (let line of lines) {
  let [store, out] = line.split("\t");
  try {
    let what = await readOne(store, out);
    console.log(`ok ${store} ${what}`);
  } catch (e) {
    failed++;
    console.log(`error ${store}: ${e && e.message ? e.message : e}`);
  }
}
process.exit(failed ? 1 : 0);
