// zarrita_slice.mjs - the peer of tools/bench/partial_query.sh: reads
// a[:, START:STOP] of a 2-d array with zarrita.js (zarr.open + zarr.get
// through @zarrita/storage's FileSystemStore) and prints the seconds that
// took inside this process and the sha256 of the result (C order, little
// endian; hashed after the timing).
//
// usage: node zarrita_slice.mjs STORE START STOP
//   zarrita and @zarrita/storage must resolve from this file's folder.
import * as crypto from "node:crypto";
import FileSystemStore from "@zarrita/storage/fs";
import * as zarr from "zarrita";

const [store, start, stop] = process.argv.slice(2);
const t0 = process.hrtime.bigint();
const arr = await zarr.open(new FileSystemStore(store), { kind: "array" });
const res = await zarr.get(arr, [null, zarr.slice(Number(start), Number(stop))]);
const t1 = process.hrtime.bigint();
const d = res.data;
const sha = crypto.createHash("sha256")
  .update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)).digest("hex");
console.log((Number(t1 - t0) / 1e9).toFixed(4) + " " + sha);
