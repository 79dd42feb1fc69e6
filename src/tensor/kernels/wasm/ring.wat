;; peermpc Z_2^64 ring kernel: hand-written WebAssembly with 128-bit SIMD (i64x2).
;;
;; Built by scripts/build-wasm.mjs into build/ring.wasm and driven by src/tensor/kernels/wasm.ts.
;;
;; Every value is a 64-bit word; every operation wraps mod 2^64. All pointers are byte offsets into
;; the imported shared memory, 8-byte aligned (the TypeScript allocator hands out 64-byte aligned
;; blocks, but operands may be any subarray); counts are in words.
;;
;; Elementwise ops walk a, b, (c,) out together at one byte index: two vectors (4 words) per loop
;; turn, then at most one vector, then at most one scalar word for odd lengths. Each turn reads all
;; inputs before it writes, so `out` may be the same array as any input.
;;
;; The memory is imported so that TypeScript owns it: it is shared (growing it never detaches the
;; BigUint64Array views that live in it) and its maximum is chosen by the loader. The maximum must
;; stay below 65536 pages so that no block ends at byte 2^32 (end pointers would wrap to 0).
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; ---------------------------------------------------------------- binary elementwise ops
  ;; (a, b, out, n): out[i] = a[i] OP b[i]

  (func (export "add") (param $a i32) (param $b i32) (param $o i32) (param $n i32)
    (local $i i32) (local $e4 i32)
    (local.set $e4 (i32.and (i32.shl (local.get $n) (i32.const 3)) (i32.const -32)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $e4)))
        (v128.store (i32.add (local.get $o) (local.get $i))
          (i64x2.add (v128.load (i32.add (local.get $a) (local.get $i)))
                     (v128.load (i32.add (local.get $b) (local.get $i)))))
        (v128.store offset=16 (i32.add (local.get $o) (local.get $i))
          (i64x2.add (v128.load offset=16 (i32.add (local.get $a) (local.get $i)))
                     (v128.load offset=16 (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $l)))
    (if (i32.and (local.get $n) (i32.const 2))
      (then
        (v128.store (i32.add (local.get $o) (local.get $i))
          (i64x2.add (v128.load (i32.add (local.get $a) (local.get $i)))
                     (v128.load (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (i64.store (i32.add (local.get $o) (local.get $i))
          (i64.add (i64.load (i32.add (local.get $a) (local.get $i)))
                   (i64.load (i32.add (local.get $b) (local.get $i))))))))

  (func (export "sub") (param $a i32) (param $b i32) (param $o i32) (param $n i32)
    (local $i i32) (local $e4 i32)
    (local.set $e4 (i32.and (i32.shl (local.get $n) (i32.const 3)) (i32.const -32)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $e4)))
        (v128.store (i32.add (local.get $o) (local.get $i))
          (i64x2.sub (v128.load (i32.add (local.get $a) (local.get $i)))
                     (v128.load (i32.add (local.get $b) (local.get $i)))))
        (v128.store offset=16 (i32.add (local.get $o) (local.get $i))
          (i64x2.sub (v128.load offset=16 (i32.add (local.get $a) (local.get $i)))
                     (v128.load offset=16 (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $l)))
    (if (i32.and (local.get $n) (i32.const 2))
      (then
        (v128.store (i32.add (local.get $o) (local.get $i))
          (i64x2.sub (v128.load (i32.add (local.get $a) (local.get $i)))
                     (v128.load (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (i64.store (i32.add (local.get $o) (local.get $i))
          (i64.sub (i64.load (i32.add (local.get $a) (local.get $i)))
                   (i64.load (i32.add (local.get $b) (local.get $i))))))))

  (func (export "mul") (param $a i32) (param $b i32) (param $o i32) (param $n i32)
    (local $i i32) (local $e4 i32)
    (local.set $e4 (i32.and (i32.shl (local.get $n) (i32.const 3)) (i32.const -32)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $e4)))
        (v128.store (i32.add (local.get $o) (local.get $i))
          (i64x2.mul (v128.load (i32.add (local.get $a) (local.get $i)))
                     (v128.load (i32.add (local.get $b) (local.get $i)))))
        (v128.store offset=16 (i32.add (local.get $o) (local.get $i))
          (i64x2.mul (v128.load offset=16 (i32.add (local.get $a) (local.get $i)))
                     (v128.load offset=16 (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $l)))
    (if (i32.and (local.get $n) (i32.const 2))
      (then
        (v128.store (i32.add (local.get $o) (local.get $i))
          (i64x2.mul (v128.load (i32.add (local.get $a) (local.get $i)))
                     (v128.load (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (i64.store (i32.add (local.get $o) (local.get $i))
          (i64.mul (i64.load (i32.add (local.get $a) (local.get $i)))
                   (i64.load (i32.add (local.get $b) (local.get $i))))))))

  (func (export "and") (param $a i32) (param $b i32) (param $o i32) (param $n i32)
    (local $i i32) (local $e4 i32)
    (local.set $e4 (i32.and (i32.shl (local.get $n) (i32.const 3)) (i32.const -32)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $e4)))
        (v128.store (i32.add (local.get $o) (local.get $i))
          (v128.and (v128.load (i32.add (local.get $a) (local.get $i)))
                    (v128.load (i32.add (local.get $b) (local.get $i)))))
        (v128.store offset=16 (i32.add (local.get $o) (local.get $i))
          (v128.and (v128.load offset=16 (i32.add (local.get $a) (local.get $i)))
                    (v128.load offset=16 (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $l)))
    (if (i32.and (local.get $n) (i32.const 2))
      (then
        (v128.store (i32.add (local.get $o) (local.get $i))
          (v128.and (v128.load (i32.add (local.get $a) (local.get $i)))
                    (v128.load (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (i64.store (i32.add (local.get $o) (local.get $i))
          (i64.and (i64.load (i32.add (local.get $a) (local.get $i)))
                   (i64.load (i32.add (local.get $b) (local.get $i))))))))

  (func (export "or") (param $a i32) (param $b i32) (param $o i32) (param $n i32)
    (local $i i32) (local $e4 i32)
    (local.set $e4 (i32.and (i32.shl (local.get $n) (i32.const 3)) (i32.const -32)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $e4)))
        (v128.store (i32.add (local.get $o) (local.get $i))
          (v128.or (v128.load (i32.add (local.get $a) (local.get $i)))
                   (v128.load (i32.add (local.get $b) (local.get $i)))))
        (v128.store offset=16 (i32.add (local.get $o) (local.get $i))
          (v128.or (v128.load offset=16 (i32.add (local.get $a) (local.get $i)))
                   (v128.load offset=16 (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $l)))
    (if (i32.and (local.get $n) (i32.const 2))
      (then
        (v128.store (i32.add (local.get $o) (local.get $i))
          (v128.or (v128.load (i32.add (local.get $a) (local.get $i)))
                   (v128.load (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (i64.store (i32.add (local.get $o) (local.get $i))
          (i64.or (i64.load (i32.add (local.get $a) (local.get $i)))
                  (i64.load (i32.add (local.get $b) (local.get $i))))))))

  (func (export "xor") (param $a i32) (param $b i32) (param $o i32) (param $n i32)
    (local $i i32) (local $e4 i32)
    (local.set $e4 (i32.and (i32.shl (local.get $n) (i32.const 3)) (i32.const -32)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $e4)))
        (v128.store (i32.add (local.get $o) (local.get $i))
          (v128.xor (v128.load (i32.add (local.get $a) (local.get $i)))
                    (v128.load (i32.add (local.get $b) (local.get $i)))))
        (v128.store offset=16 (i32.add (local.get $o) (local.get $i))
          (v128.xor (v128.load offset=16 (i32.add (local.get $a) (local.get $i)))
                    (v128.load offset=16 (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $l)))
    (if (i32.and (local.get $n) (i32.const 2))
      (then
        (v128.store (i32.add (local.get $o) (local.get $i))
          (v128.xor (v128.load (i32.add (local.get $a) (local.get $i)))
                    (v128.load (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (i64.store (i32.add (local.get $o) (local.get $i))
          (i64.xor (i64.load (i32.add (local.get $a) (local.get $i)))
                   (i64.load (i32.add (local.get $b) (local.get $i))))))))

  ;; ---------------------------------------------------------------- fused multiply-add
  ;; (a, b, c, out, n): out[i] = a[i] * b[i] + c[i]

  (func (export "mulAdd") (param $a i32) (param $b i32) (param $c i32) (param $o i32) (param $n i32)
    (local $i i32) (local $e4 i32)
    (local.set $e4 (i32.and (i32.shl (local.get $n) (i32.const 3)) (i32.const -32)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $e4)))
        (v128.store (i32.add (local.get $o) (local.get $i))
          (i64x2.add
            (i64x2.mul (v128.load (i32.add (local.get $a) (local.get $i)))
                       (v128.load (i32.add (local.get $b) (local.get $i))))
            (v128.load (i32.add (local.get $c) (local.get $i)))))
        (v128.store offset=16 (i32.add (local.get $o) (local.get $i))
          (i64x2.add
            (i64x2.mul (v128.load offset=16 (i32.add (local.get $a) (local.get $i)))
                       (v128.load offset=16 (i32.add (local.get $b) (local.get $i))))
            (v128.load offset=16 (i32.add (local.get $c) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $l)))
    (if (i32.and (local.get $n) (i32.const 2))
      (then
        (v128.store (i32.add (local.get $o) (local.get $i))
          (i64x2.add
            (i64x2.mul (v128.load (i32.add (local.get $a) (local.get $i)))
                       (v128.load (i32.add (local.get $b) (local.get $i))))
            (v128.load (i32.add (local.get $c) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (i64.store (i32.add (local.get $o) (local.get $i))
          (i64.add
            (i64.mul (i64.load (i32.add (local.get $a) (local.get $i)))
                     (i64.load (i32.add (local.get $b) (local.get $i))))
            (i64.load (i32.add (local.get $c) (local.get $i))))))))

  ;; ---------------------------------------------------------------- unary ops
  ;; (a, out, n)

  (func (export "neg") (param $a i32) (param $o i32) (param $n i32)
    (local $i i32) (local $e4 i32)
    (local.set $e4 (i32.and (i32.shl (local.get $n) (i32.const 3)) (i32.const -32)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $e4)))
        (v128.store (i32.add (local.get $o) (local.get $i))
          (i64x2.neg (v128.load (i32.add (local.get $a) (local.get $i)))))
        (v128.store offset=16 (i32.add (local.get $o) (local.get $i))
          (i64x2.neg (v128.load offset=16 (i32.add (local.get $a) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $l)))
    (if (i32.and (local.get $n) (i32.const 2))
      (then
        (v128.store (i32.add (local.get $o) (local.get $i))
          (i64x2.neg (v128.load (i32.add (local.get $a) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (i64.store (i32.add (local.get $o) (local.get $i))
          (i64.sub (i64.const 0) (i64.load (i32.add (local.get $a) (local.get $i))))))))

  (func (export "not") (param $a i32) (param $o i32) (param $n i32)
    (local $i i32) (local $e4 i32)
    (local.set $e4 (i32.and (i32.shl (local.get $n) (i32.const 3)) (i32.const -32)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $e4)))
        (v128.store (i32.add (local.get $o) (local.get $i))
          (v128.not (v128.load (i32.add (local.get $a) (local.get $i)))))
        (v128.store offset=16 (i32.add (local.get $o) (local.get $i))
          (v128.not (v128.load offset=16 (i32.add (local.get $a) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $l)))
    (if (i32.and (local.get $n) (i32.const 2))
      (then
        (v128.store (i32.add (local.get $o) (local.get $i))
          (v128.not (v128.load (i32.add (local.get $a) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (i64.store (i32.add (local.get $o) (local.get $i))
          (i64.xor (i64.const -1) (i64.load (i32.add (local.get $a) (local.get $i))))))))

  ;; ---------------------------------------------------------------- scalar-operand ops
  ;; (a, s, out, n): out[i] = a[i] OP s

  (func (export "addScalar") (param $a i32) (param $s i64) (param $o i32) (param $n i32)
    (local $i i32) (local $e4 i32) (local $v v128)
    (local.set $v (i64x2.splat (local.get $s)))
    (local.set $e4 (i32.and (i32.shl (local.get $n) (i32.const 3)) (i32.const -32)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $e4)))
        (v128.store (i32.add (local.get $o) (local.get $i))
          (i64x2.add (v128.load (i32.add (local.get $a) (local.get $i))) (local.get $v)))
        (v128.store offset=16 (i32.add (local.get $o) (local.get $i))
          (i64x2.add (v128.load offset=16 (i32.add (local.get $a) (local.get $i))) (local.get $v)))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $l)))
    (if (i32.and (local.get $n) (i32.const 2))
      (then
        (v128.store (i32.add (local.get $o) (local.get $i))
          (i64x2.add (v128.load (i32.add (local.get $a) (local.get $i))) (local.get $v)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (i64.store (i32.add (local.get $o) (local.get $i))
          (i64.add (i64.load (i32.add (local.get $a) (local.get $i))) (local.get $s))))))

  (func (export "mulScalar") (param $a i32) (param $s i64) (param $o i32) (param $n i32)
    (local $i i32) (local $e4 i32) (local $v v128)
    (local.set $v (i64x2.splat (local.get $s)))
    (local.set $e4 (i32.and (i32.shl (local.get $n) (i32.const 3)) (i32.const -32)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $e4)))
        (v128.store (i32.add (local.get $o) (local.get $i))
          (i64x2.mul (v128.load (i32.add (local.get $a) (local.get $i))) (local.get $v)))
        (v128.store offset=16 (i32.add (local.get $o) (local.get $i))
          (i64x2.mul (v128.load offset=16 (i32.add (local.get $a) (local.get $i))) (local.get $v)))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $l)))
    (if (i32.and (local.get $n) (i32.const 2))
      (then
        (v128.store (i32.add (local.get $o) (local.get $i))
          (i64x2.mul (v128.load (i32.add (local.get $a) (local.get $i))) (local.get $v)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (i64.store (i32.add (local.get $o) (local.get $i))
          (i64.mul (i64.load (i32.add (local.get $a) (local.get $i))) (local.get $s))))))

  ;; ---------------------------------------------------------------- shifts
  ;; (a, k, out, n) with k in [0, 63] (the SIMD and scalar shifts both take k mod 64)

  (func (export "shl") (param $a i32) (param $k i32) (param $o i32) (param $n i32)
    (local $i i32) (local $e4 i32)
    (local.set $e4 (i32.and (i32.shl (local.get $n) (i32.const 3)) (i32.const -32)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $e4)))
        (v128.store (i32.add (local.get $o) (local.get $i))
          (i64x2.shl (v128.load (i32.add (local.get $a) (local.get $i))) (local.get $k)))
        (v128.store offset=16 (i32.add (local.get $o) (local.get $i))
          (i64x2.shl (v128.load offset=16 (i32.add (local.get $a) (local.get $i))) (local.get $k)))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $l)))
    (if (i32.and (local.get $n) (i32.const 2))
      (then
        (v128.store (i32.add (local.get $o) (local.get $i))
          (i64x2.shl (v128.load (i32.add (local.get $a) (local.get $i))) (local.get $k)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (i64.store (i32.add (local.get $o) (local.get $i))
          (i64.shl (i64.load (i32.add (local.get $a) (local.get $i)))
                   (i64.extend_i32_u (local.get $k)))))))

  (func (export "shrLogical") (param $a i32) (param $k i32) (param $o i32) (param $n i32)
    (local $i i32) (local $e4 i32)
    (local.set $e4 (i32.and (i32.shl (local.get $n) (i32.const 3)) (i32.const -32)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $e4)))
        (v128.store (i32.add (local.get $o) (local.get $i))
          (i64x2.shr_u (v128.load (i32.add (local.get $a) (local.get $i))) (local.get $k)))
        (v128.store offset=16 (i32.add (local.get $o) (local.get $i))
          (i64x2.shr_u (v128.load offset=16 (i32.add (local.get $a) (local.get $i))) (local.get $k)))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $l)))
    (if (i32.and (local.get $n) (i32.const 2))
      (then
        (v128.store (i32.add (local.get $o) (local.get $i))
          (i64x2.shr_u (v128.load (i32.add (local.get $a) (local.get $i))) (local.get $k)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (i64.store (i32.add (local.get $o) (local.get $i))
          (i64.shr_u (i64.load (i32.add (local.get $a) (local.get $i)))
                     (i64.extend_i32_u (local.get $k)))))))

  (func (export "shrArithmetic") (param $a i32) (param $k i32) (param $o i32) (param $n i32)
    (local $i i32) (local $e4 i32)
    (local.set $e4 (i32.and (i32.shl (local.get $n) (i32.const 3)) (i32.const -32)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $e4)))
        (v128.store (i32.add (local.get $o) (local.get $i))
          (i64x2.shr_s (v128.load (i32.add (local.get $a) (local.get $i))) (local.get $k)))
        (v128.store offset=16 (i32.add (local.get $o) (local.get $i))
          (i64x2.shr_s (v128.load offset=16 (i32.add (local.get $a) (local.get $i))) (local.get $k)))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $l)))
    (if (i32.and (local.get $n) (i32.const 2))
      (then
        (v128.store (i32.add (local.get $o) (local.get $i))
          (i64x2.shr_s (v128.load (i32.add (local.get $a) (local.get $i))) (local.get $k)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (i64.store (i32.add (local.get $o) (local.get $i))
          (i64.shr_s (i64.load (i32.add (local.get $a) (local.get $i)))
                     (i64.extend_i32_u (local.get $k)))))))

  ;; ---------------------------------------------------------------- memory helpers

  ;; Zeroes `bytes` bytes at `p` (bulk memory; used when the allocator reuses a block).
  (func (export "zero") (param $p i32) (param $bytes i32)
    (memory.fill (local.get $p) (i32.const 0) (local.get $bytes)))


  ;; ---------------------------------------------------------------- matmul
  ;; c = a · b, a is m x k, b is k x n, c is m x n, all row-major; c must not overlap a or b.
  ;;
  ;; Products are split into 32-bit halves. With a = ah:al and b = bh:bl,
  ;;   a*b mod 2^64 = al*bl + (((al*bh + ah*bl) mod 2^32) << 32).
  ;; On x64, i64x2.mul lowers to 3 pmuludq + 3 shifts + 2 adds. The micro-kernel instead keeps two
  ;; accumulators per pair of output words: L (i64x2) += al*bl with i64x2.extmul_low_i32x4_u (one
  ;; pmuludq), and X (i32x4) += the cross products with one i32x4.mul (pmulld), which only need to be
  ;; right mod 2^32 because they end up shifted left by 32. X is folded into L once per k-block.
  ;; For that, b is packed per pair of columns (b0, b1) as two vectors of i32 lanes
  ;;   Bp = [b0l, b1l, b0h, b1h] and Br = [b0h, b1h, b0l, b1l],
  ;; and each a[i,p] as P = [al, al, ah, ah], so that
  ;;   extmul_low(Bp, P) = [b0l*al, b1l*al]  and  i32x4.mul(Br, P) = [b0h*al, b1h*al, b0l*ah, b1l*ah].
  ;;
  ;; Blocking: for each block of kb rows of b and each panel of nb columns, the packed panel
  ;; (kb * nb * 16 bytes) stays in L2 while every group of 4 rows of a (packed, kb * 64 bytes, in L1)
  ;; streams through it, one column pair at a time, with all 8 accumulators in registers. The last
  ;; m mod 4 rows take the plain i-k-j path ($rows).

  ;; Packs b[kk..ke) x [jj, jj+w) (jj and w in words) into dst: for each column pair q, for each row
  ;; p, 32 bytes: Bp then Br. An odd last column is paired with a zero word.
  (func $packB (param $b i32) (param $n i32) (param $kk i32) (param $ke i32) (param $jj i32)
               (param $w i32) (param $dst i32)
    (local $q i32) (local $pairs i32) (local $src i32) (local $end i32) (local $rowB i32)
    (local $kc32 i32) (local $v v128)
    (local.set $rowB (i32.shl (local.get $n) (i32.const 3)))
    (local.set $kc32 (i32.shl (i32.sub (local.get $ke) (local.get $kk)) (i32.const 5)))
    (local.set $pairs (i32.shr_u (local.get $w) (i32.const 1)))
    (block $qdone
      (loop $qs
        (br_if $qdone (i32.ge_u (local.get $q) (local.get $pairs)))
        (local.set $src
          (i32.add (local.get $b)
            (i32.shl (i32.add (i32.mul (local.get $kk) (local.get $n))
                              (i32.add (local.get $jj) (i32.shl (local.get $q) (i32.const 1))))
                     (i32.const 3))))
        (local.set $end (i32.add (local.get $dst) (local.get $kc32)))
        (loop $ps
          (local.set $v (v128.load (local.get $src)))
          (v128.store (local.get $dst)
            (i8x16.shuffle 0 1 2 3 8 9 10 11 4 5 6 7 12 13 14 15 (local.get $v) (local.get $v)))
          (v128.store offset=16 (local.get $dst)
            (i8x16.shuffle 4 5 6 7 12 13 14 15 0 1 2 3 8 9 10 11 (local.get $v) (local.get $v)))
          (local.set $src (i32.add (local.get $src) (local.get $rowB)))
          (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
          (br_if $ps (i32.lt_u (local.get $dst) (local.get $end))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $qs)))
    (if (i32.and (local.get $w) (i32.const 1))
      (then
        (local.set $src
          (i32.add (local.get $b)
            (i32.shl (i32.add (i32.mul (local.get $kk) (local.get $n))
                              (i32.add (local.get $jj) (i32.sub (local.get $w) (i32.const 1))))
                     (i32.const 3))))
        (local.set $end (i32.add (local.get $dst) (local.get $kc32)))
        (loop $ps1
          (local.set $v (v128.load64_zero (local.get $src)))
          (v128.store (local.get $dst)
            (i8x16.shuffle 0 1 2 3 8 9 10 11 4 5 6 7 12 13 14 15 (local.get $v) (local.get $v)))
          (v128.store offset=16 (local.get $dst)
            (i8x16.shuffle 4 5 6 7 12 13 14 15 0 1 2 3 8 9 10 11 (local.get $v) (local.get $v)))
          (local.set $src (i32.add (local.get $src) (local.get $rowB)))
          (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
          (br_if $ps1 (i32.lt_u (local.get $dst) (local.get $end)))))))

  ;; Packs rows i0..i0+3 of a, columns [kk, ke), into dst: for each p, the P vectors of the 4 rows
  ;; (64 bytes).
  (func $packA (param $a i32) (param $k i32) (param $i0 i32) (param $kk i32) (param $ke i32)
               (param $dst i32)
    (local $src i32) (local $rowA i32) (local $end i32) (local $v v128)
    (local.set $rowA (i32.shl (local.get $k) (i32.const 3)))
    (local.set $src
      (i32.add (local.get $a)
        (i32.shl (i32.add (i32.mul (local.get $i0) (local.get $k)) (local.get $kk)) (i32.const 3))))
    (local.set $end (i32.add (local.get $dst) (i32.shl (i32.sub (local.get $ke) (local.get $kk)) (i32.const 6))))
    (loop $ps
      (local.set $v (v128.load64_zero (local.get $src)))
      (v128.store (local.get $dst)
        (i8x16.shuffle 0 1 2 3 0 1 2 3 4 5 6 7 4 5 6 7 (local.get $v) (local.get $v)))
      (local.set $v (v128.load64_zero (i32.add (local.get $src) (local.get $rowA))))
      (v128.store offset=16 (local.get $dst)
        (i8x16.shuffle 0 1 2 3 0 1 2 3 4 5 6 7 4 5 6 7 (local.get $v) (local.get $v)))
      (local.set $v (v128.load64_zero (i32.add (local.get $src) (i32.shl (local.get $rowA) (i32.const 1)))))
      (v128.store offset=32 (local.get $dst)
        (i8x16.shuffle 0 1 2 3 0 1 2 3 4 5 6 7 4 5 6 7 (local.get $v) (local.get $v)))
      (local.set $v (v128.load64_zero (i32.add (local.get $src) (i32.mul (local.get $rowA) (i32.const 3)))))
      (v128.store offset=48 (local.get $dst)
        (i8x16.shuffle 0 1 2 3 0 1 2 3 4 5 6 7 4 5 6 7 (local.get $v) (local.get $v)))
      (local.set $src (i32.add (local.get $src) (i32.const 8)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
      (br_if $ps (i32.lt_u (local.get $dst) (local.get $end)))))

  ;; c[0..2) += L + (fold(X) << 32), where fold adds the i32 lanes 0+2 and 1+3 of X; only c[0] when
  ;; $two is 0 (an odd last column).
  (func $store2 (param $c i32) (param $L v128) (param $X v128) (param $two i32)
    (local $r v128)
    (local.set $r
      (i64x2.add (local.get $L)
        (i64x2.shl
          (i64x2.extend_low_i32x4_u
            (i32x4.add (local.get $X)
                       (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $X) (local.get $X))))
          (i32.const 32))))
    (if (local.get $two)
      (then (v128.store (local.get $c) (i64x2.add (v128.load (local.get $c)) (local.get $r))))
      (else (i64.store (local.get $c)
              (i64.add (i64.load (local.get $c)) (i64x2.extract_lane 0 (local.get $r)))))))

  ;; The 4 x 2 micro-kernel: packed rows of a at $ap, one packed column pair of b at $bp, $kc rows
  ;; of the panel; adds the 4 x 2 result into c (row stride $rowB bytes).
  (func $micro (param $ap i32) (param $bp i32) (param $kc i32) (param $c i32) (param $rowB i32)
               (param $two i32)
    (local $end i32) (local $vb v128) (local $vr v128) (local $P v128)
    (local $L0 v128) (local $L1 v128) (local $L2 v128) (local $L3 v128)
    (local $X0 v128) (local $X1 v128) (local $X2 v128) (local $X3 v128)
    (local.set $end (i32.add (local.get $bp) (i32.shl (local.get $kc) (i32.const 5))))
    (loop $ps
      (local.set $vb (v128.load (local.get $bp)))
      (local.set $vr (v128.load offset=16 (local.get $bp)))
      (local.set $P (v128.load (local.get $ap)))
      (local.set $L0 (i64x2.add (local.get $L0) (i64x2.extmul_low_i32x4_u (local.get $vb) (local.get $P))))
      (local.set $X0 (i32x4.add (local.get $X0) (i32x4.mul (local.get $vr) (local.get $P))))
      (local.set $P (v128.load offset=16 (local.get $ap)))
      (local.set $L1 (i64x2.add (local.get $L1) (i64x2.extmul_low_i32x4_u (local.get $vb) (local.get $P))))
      (local.set $X1 (i32x4.add (local.get $X1) (i32x4.mul (local.get $vr) (local.get $P))))
      (local.set $P (v128.load offset=32 (local.get $ap)))
      (local.set $L2 (i64x2.add (local.get $L2) (i64x2.extmul_low_i32x4_u (local.get $vb) (local.get $P))))
      (local.set $X2 (i32x4.add (local.get $X2) (i32x4.mul (local.get $vr) (local.get $P))))
      (local.set $P (v128.load offset=48 (local.get $ap)))
      (local.set $L3 (i64x2.add (local.get $L3) (i64x2.extmul_low_i32x4_u (local.get $vb) (local.get $P))))
      (local.set $X3 (i32x4.add (local.get $X3) (i32x4.mul (local.get $vr) (local.get $P))))
      (local.set $ap (i32.add (local.get $ap) (i32.const 64)))
      (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
      (br_if $ps (i32.lt_u (local.get $bp) (local.get $end))))
    (call $store2 (local.get $c) (local.get $L0) (local.get $X0) (local.get $two))
    (local.set $c (i32.add (local.get $c) (local.get $rowB)))
    (call $store2 (local.get $c) (local.get $L1) (local.get $X1) (local.get $two))
    (local.set $c (i32.add (local.get $c) (local.get $rowB)))
    (call $store2 (local.get $c) (local.get $L2) (local.get $X2) (local.get $two))
    (local.set $c (i32.add (local.get $c) (local.get $rowB)))
    (call $store2 (local.get $c) (local.get $L3) (local.get $X3) (local.get $two)))

  ;; Plain i-k-j for rows [i, m): c[i, :] += a[i, p] * b[p, :] with i64x2.mul over j (the rows
  ;; left over by the 4-row micro-kernel, and matrices with fewer than 4 rows).
  (func $rows (param $a i32) (param $b i32) (param $c i32) (param $i i32) (param $m i32)
              (param $k i32) (param $n i32)
    (local $rowB i32) (local $rowA i32) (local $w4 i32) (local $crow i32) (local $ap i32)
    (local $aend i32) (local $bp i32) (local $j i32) (local $s i64) (local $v v128)
    (local.set $rowB (i32.shl (local.get $n) (i32.const 3)))
    (local.set $rowA (i32.shl (local.get $k) (i32.const 3)))
    (local.set $w4 (i32.and (local.get $rowB) (i32.const -32)))
    (block $rowsDone
      (loop $rowsL
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $crow (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $rowB))))
        (local.set $ap (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rowA))))
        (local.set $aend (i32.add (local.get $ap) (local.get $rowA)))
        (local.set $bp (local.get $b))
        (block $pDone
          (loop $ps
            (br_if $pDone (i32.ge_u (local.get $ap) (local.get $aend)))
            (local.set $s (i64.load (local.get $ap)))
            (local.set $v (i64x2.splat (local.get $s)))
            (local.set $j (i32.const 0))
            (block $jDone
              (loop $js
                (br_if $jDone (i32.ge_u (local.get $j) (local.get $w4)))
                (v128.store (i32.add (local.get $crow) (local.get $j))
                  (i64x2.add (v128.load (i32.add (local.get $crow) (local.get $j)))
                             (i64x2.mul (local.get $v) (v128.load (i32.add (local.get $bp) (local.get $j))))))
                (v128.store offset=16 (i32.add (local.get $crow) (local.get $j))
                  (i64x2.add (v128.load offset=16 (i32.add (local.get $crow) (local.get $j)))
                             (i64x2.mul (local.get $v)
                                        (v128.load offset=16 (i32.add (local.get $bp) (local.get $j))))))
                (local.set $j (i32.add (local.get $j) (i32.const 32)))
                (br $js)))
            (if (i32.and (local.get $rowB) (i32.const 16))
              (then
                (v128.store (i32.add (local.get $crow) (local.get $j))
                  (i64x2.add (v128.load (i32.add (local.get $crow) (local.get $j)))
                             (i64x2.mul (local.get $v) (v128.load (i32.add (local.get $bp) (local.get $j))))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))))
            (if (i32.and (local.get $rowB) (i32.const 8))
              (then
                (i64.store (i32.add (local.get $crow) (local.get $j))
                  (i64.add (i64.load (i32.add (local.get $crow) (local.get $j)))
                           (i64.mul (local.get $s) (i64.load (i32.add (local.get $bp) (local.get $j))))))))
            (local.set $ap (i32.add (local.get $ap) (i32.const 8)))
            (local.set $bp (i32.add (local.get $bp) (local.get $rowB)))
            (br $ps)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rowsL))))

  ;; (a, b, c, m, k, n, scratch, kb, nb): c = a · b. scratch holds kb * 64 bytes for the packed rows
  ;; of a, then ceil(nb / 2) * kb * 32 bytes for the packed panel of b. kb >= 1, nb >= 1.
  (func (export "matmul") (param $a i32) (param $b i32) (param $c i32)
                          (param $m i32) (param $k i32) (param $n i32)
                          (param $scratch i32) (param $kb i32) (param $nb i32)
    (local $rowB i32) (local $m4 i32) (local $kk i32) (local $ke i32) (local $kc i32)
    (local $jj i32) (local $w i32) (local $pairs i32) (local $i0 i32) (local $q i32)
    (local $bpack i32) (local $bq i32) (local $cq i32)
    (local.set $rowB (i32.shl (local.get $n) (i32.const 3)))
    (memory.fill (local.get $c) (i32.const 0) (i32.mul (local.get $m) (local.get $rowB)))
    (if (i32.or (i32.eqz (local.get $k)) (i32.eqz (local.get $n))) (then (return)))
    (local.set $m4 (i32.and (local.get $m) (i32.const -4)))
    (local.set $bpack (i32.add (local.get $scratch) (i32.shl (local.get $kb) (i32.const 6))))
    (if (local.get $m4)
      (then
        (loop $kblocks
          (local.set $ke (i32.add (local.get $kk) (local.get $kb)))
          (if (i32.gt_u (local.get $ke) (local.get $k)) (then (local.set $ke (local.get $k))))
          (local.set $kc (i32.sub (local.get $ke) (local.get $kk)))
          (local.set $jj (i32.const 0))
          (loop $panels
            (local.set $w (i32.sub (local.get $n) (local.get $jj)))
            (if (i32.gt_u (local.get $w) (local.get $nb)) (then (local.set $w (local.get $nb))))
            (call $packB (local.get $b) (local.get $n) (local.get $kk) (local.get $ke) (local.get $jj)
                         (local.get $w) (local.get $bpack))
            (local.set $pairs (i32.shr_u (i32.add (local.get $w) (i32.const 1)) (i32.const 1)))
            (local.set $i0 (i32.const 0))
            (loop $rowBlocks
              (call $packA (local.get $a) (local.get $k) (local.get $i0) (local.get $kk) (local.get $ke)
                           (local.get $scratch))
              (local.set $cq
                (i32.add (local.get $c)
                  (i32.shl (i32.add (i32.mul (local.get $i0) (local.get $n)) (local.get $jj)) (i32.const 3))))
              (local.set $bq (local.get $bpack))
              (local.set $q (i32.const 0))
              (loop $pairsL
                (call $micro (local.get $scratch) (local.get $bq) (local.get $kc) (local.get $cq)
                             (local.get $rowB)
                             (i32.lt_u (i32.or (i32.shl (local.get $q) (i32.const 1)) (i32.const 1))
                                       (local.get $w)))
                (local.set $bq (i32.add (local.get $bq) (i32.shl (local.get $kc) (i32.const 5))))
                (local.set $cq (i32.add (local.get $cq) (i32.const 16)))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br_if $pairsL (i32.lt_u (local.get $q) (local.get $pairs))))
              (local.set $i0 (i32.add (local.get $i0) (i32.const 4)))
              (br_if $rowBlocks (i32.lt_u (local.get $i0) (local.get $m4))))
            (local.set $jj (i32.add (local.get $jj) (local.get $w)))
            (br_if $panels (i32.lt_u (local.get $jj) (local.get $n))))
          (local.set $kk (local.get $ke))
          (br_if $kblocks (i32.lt_u (local.get $kk) (local.get $k))))))
    (if (i32.lt_u (local.get $m4) (local.get $m))
      (then (call $rows (local.get $a) (local.get $b) (local.get $c) (local.get $m4) (local.get $m)
                        (local.get $k) (local.get $n)))))
)
