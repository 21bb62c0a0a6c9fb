// A tiny WebAssembly emitter: enough of the binary format to build the numeric kernels at run time
// from TypeScript, with no toolchain in the build. A module imports one memory and exports functions
// whose parameters and locals are i32, f64 or v128.

/** Value types of the binary format. */
export const I32 = 0x7f, F64 = 0x7c, V128 = 0x7b
type ValType = typeof I32 | typeof F64 | typeof V128

/** Unsigned LEB128 bytes of n (n >= 0). */
export function uleb(n: number): number[] {
  const out: number[] = []
  do {
    let b = n & 0x7f
    n = Math.floor(n / 128)
    if (n !== 0) b |= 0x80
    out.push(b)
  } while (n !== 0)
  return out
}

/** Signed LEB128 bytes of a 32-bit integer. */
export function sleb(n: number): number[] {
  const out: number[] = []
  for (;;) {
    const b = n & 0x7f
    n >>= 7
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) { out.push(b); return out }
    out.push(b | 0x80)
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()]
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body]
const name = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]))

/**
 * A function body under construction. Methods append one instruction each and return this, so a
 * body reads as a chain; `l(i)` etc. take local indices (parameters first).
 */
export class Body {
  readonly bytes: number[] = []
  private readonly extra: ValType[] = []
  constructor(readonly params: readonly ValType[], readonly results: readonly ValType[]) {}

  /** Declares a local of type t and returns its index. */
  local(t: ValType): number { this.extra.push(t); return this.params.length + this.extra.length - 1 }

  op(...b: number[]): this { this.bytes.push(...b); return this }
  /** SIMD instruction (0xfd prefix) with its LEB128 opcode. */
  simd(code: number, ...imm: number[]): this { return this.op(0xfd, ...uleb(code), ...imm) }

  get(i: number): this { return this.op(0x20, ...uleb(i)) }
  set(i: number): this { return this.op(0x21, ...uleb(i)) }
  tee(i: number): this { return this.op(0x22, ...uleb(i)) }
  i32(v: number): this { return this.op(0x41, ...sleb(v)) }
  f64(v: number): this { return this.op(0x44, ...new Uint8Array(Float64Array.of(v).buffer)) }
  /** v128.const of two f64 lanes. */
  f64x2(a: number, b = a): this { return this.simd(0x0c, ...new Uint8Array(Float64Array.of(a, b).buffer)) }
  /** v128.const of two i64 lanes given as bigints. */
  i64x2(a: bigint, b = a): this { return this.simd(0x0c, ...new Uint8Array(BigInt64Array.of(a, b).buffer)) }

  /** Memory access: opcode with alignment exponent and static byte offset. */
  mem(code: number, align: number, offset = 0): this { return this.op(code, ...uleb(align), ...uleb(offset)) }
  memSimd(code: number, align: number, offset = 0): this { return this.simd(code, ...uleb(align), ...uleb(offset)) }

  /** v128.load from a fixed address (a constant table in memory). */
  v128At(addr: number): this { return this.i32(addr).memSimd(0x00, 4) }

  /** block/loop/if with no result. */
  block(): this { return this.op(0x02, 0x40) }
  loop(): this { return this.op(0x03, 0x40) }
  if(): this { return this.op(0x04, 0x40) }
  else(): this { return this.op(0x05) }
  end(): this { return this.op(0x0b) }
  br(depth: number): this { return this.op(0x0c, ...uleb(depth)) }
  brIf(depth: number): this { return this.op(0x0d, ...uleb(depth)) }
  call(f: number): this { return this.op(0x10, ...uleb(f)) }

  /** The encoded body: local declarations (one entry per local) then the code and `end`. */
  encode(): number[] {
    const locals = vec(this.extra.map((t) => [1, t]))
    const code = [...locals, ...this.bytes, 0x0b]
    return [...uleb(code.length), ...code]
  }
}

/** A function to export from a module. */
export interface WasmFunc { readonly name: string; readonly body: Body }
/** A function the module imports from `env` (index i of the imports, before the module's own). */
export interface WasmImport { readonly name: string; readonly params: readonly ValType[]; readonly results: readonly ValType[] }

/**
 * The bytes of a module that imports `env.memory` and the given functions, and exports `funcs` under
 * their names. Imported functions take indices 0..imports-1, the module's own follow in order.
 */
export function wasmModule(imports: readonly WasmImport[], funcs: readonly WasmFunc[]): Uint8Array<ArrayBuffer> {
  const sigs = [...imports, ...funcs.map((f) => f.body)].map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))])
  const importEntries = [
    [...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)],
    ...imports.map((f, i) => [...name('env'), ...name(f.name), 0x00, ...uleb(i)]),
  ]
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(sigs)),
    ...section(2, vec(importEntries)),
    ...section(3, vec(funcs.map((_, i) => uleb(imports.length + i)))),
    ...section(7, vec(funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(imports.length + i)]))),
    ...section(10, vec(funcs.map((f) => f.body.encode()))),
  ]
  return Uint8Array.from(bytes)
}
