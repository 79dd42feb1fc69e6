;; peermpc Z_2^64 ring kernel: hand-written WebAssembly with 128-bit SIMD (i64x2).
;;
;; Every value is a 64-bit word; every operation wraps mod 2^64. All pointers are byte offsets into
;; the imported shared memory, 8-byte aligned (the TypeScript allocator hands out 16-byte aligned
;; blocks, but operands may be any 8-aligned view); counts are in words.
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
    (local $i i32) (local $e4 i32) (local $e i32)
    (local.set $e (i32.shl (local.get $n) (i32.const 3)))
    (local.set $e4 (i32.and (local.get $e) (i32.const -32)))
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
  ;; (a, b, c, m, k, n, kb, nb): c = a · b, a is m x k, b is k x n, c is m x n, all row-major.
  ;; c must not overlap a or b. Cache-blocked i-k-j: for each panel of b (kb rows x nb columns,
  ;; small enough to stay in cache) every row i of a streams through it, adding a[i,p] * b[p, j..]
  ;; into the row segment c[i, jj..jj+nb) (which stays in L1) with i64x2 over j.
  (func (export "matmul") (param $a i32) (param $b i32) (param $c i32)
                          (param $m i32) (param $k i32) (param $n i32)
                          (param $kb i32) (param $nb i32)
    (local $rowB i32)   ;; n * 8: bytes per row of b and c
    (local $rowA i32)   ;; k * 8: bytes per row of a
    (local $jj i32)     ;; first column of the panel, in bytes
    (local $w i32)      ;; panel width in bytes
    (local $w4 i32)     ;; panel width rounded down to 4 words, in bytes
    (local $kk i32)     ;; first row of the panel (index)
    (local $ke i32)     ;; one past the last row of the panel (index)
    (local $i i32)
    (local $p i32)
    (local $crow i32)   ;; c + i*rowB + jj
    (local $arow i32)   ;; a + i*rowA
    (local $bp i32)     ;; b + p*rowB + jj
    (local $j i32)      ;; byte index within the panel row
    (local $s i64)
    (local $v v128)
    (local.set $rowB (i32.shl (local.get $n) (i32.const 3)))
    (local.set $rowA (i32.shl (local.get $k) (i32.const 3)))
    (memory.fill (local.get $c) (i32.const 0) (i32.mul (local.get $m) (local.get $rowB)))
    (if (i32.or (i32.eqz (local.get $k)) (i32.eqz (local.get $n))) (then (return)))
    (local.set $nb (i32.shl (local.get $nb) (i32.const 3)))
    (local.set $jj (i32.const 0))
    (loop $panelJ
      (local.set $w (i32.sub (local.get $rowB) (local.get $jj)))
      (if (i32.gt_u (local.get $w) (local.get $nb)) (then (local.set $w (local.get $nb))))
      (local.set $w4 (i32.and (local.get $w) (i32.const -32)))
      (local.set $kk (i32.const 0))
      (loop $panelK
        (local.set $ke (i32.add (local.get $kk) (local.get $kb)))
        (if (i32.gt_u (local.get $ke) (local.get $k)) (then (local.set $ke (local.get $k))))
        (local.set $i (i32.const 0))
        (block $rowsDone
          (loop $rows
            (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $m)))
            (local.set $crow (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $rowB)))
                                      (local.get $jj)))
            (local.set $arow (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rowA))))
            (local.set $p (local.get $kk))
            (local.set $bp (i32.add (i32.add (local.get $b) (i32.mul (local.get $p) (local.get $rowB)))
                                    (local.get $jj)))
            (loop $ps
              (local.set $s (i64.load (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 3)))))
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
              (if (i32.and (local.get $w) (i32.const 16))
                (then
                  (v128.store (i32.add (local.get $crow) (local.get $j))
                    (i64x2.add (v128.load (i32.add (local.get $crow) (local.get $j)))
                               (i64x2.mul (local.get $v) (v128.load (i32.add (local.get $bp) (local.get $j))))))
                  (local.set $j (i32.add (local.get $j) (i32.const 16)))))
              (if (i32.and (local.get $w) (i32.const 8))
                (then
                  (i64.store (i32.add (local.get $crow) (local.get $j))
                    (i64.add (i64.load (i32.add (local.get $crow) (local.get $j)))
                             (i64.mul (local.get $s) (i64.load (i32.add (local.get $bp) (local.get $j))))))))
              (local.set $bp (i32.add (local.get $bp) (local.get $rowB)))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (br_if $ps (i32.lt_u (local.get $p) (local.get $ke))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rows)))
        (local.set $kk (local.get $ke))
        (br_if $panelK (i32.lt_u (local.get $kk) (local.get $k))))
      (local.set $jj (i32.add (local.get $jj) (local.get $w)))
      (br_if $panelJ (i32.lt_u (local.get $jj) (local.get $rowB)))))
)
