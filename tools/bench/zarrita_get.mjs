// zarrita_get.mjs - the peer of tools/bench/run.sh: reads a whole array with
// zarrita.js (zarr.open + zarr.get through @zarrita/storage's
// FileSystemStore) and prints the seconds zarr.open + zarr.get took inside
// this process, then (with --sha256) the sha256 of the result's bytes, C
// order, little endian (hashed after the timing).
//
// usage: node zarrita_get.mjs STORE [--sha256]
//   zarrita and @zarrita/storage must resolve from this file's folder
//   (run.sh links node_modules beside a copy, as tests/sh/zarrita_reads_pack.sh
//   does for tests/peer/read_zarrita.mjs).
import * as crypto from "node:crypto";
import FileSystemStore from "@zarrita/storage/fs";
import * as zarr from "zarrita";

const [store, flag] = process.argv.slice(2);
const t0 = process.hrtime.bigint();
const arr = await zarr.open(new FileSystemStore(store), { kind: "array" });
const res = await zarr.get(arr);
const t1 = process.hrtime.bigint();
let line = (Number(t1 - t0) / 1e9).toFixed(4);
if (flag === "--sha256") {
  const d = res.data;
  line += " " + crypto.createHash("sha256")
    .update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)).digest("hex");
}
console.log(line);
