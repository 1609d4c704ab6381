;; One line for each WebAssembly proposal beyond the 1.0 MVP that bolinho runs (README,
;; "WebAssembly proposals"): "<proposal>: <an i32 result, in hex>", each result computed by
;; code that needs the proposal, so that a module like this one would not load without it.
;; tests/integration/simd.rs checks the exact output; the proposals bolinho refuses have their
;; own tests there.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  ;; multi-memory: three memories; memory64: the third has 64-bit addresses.
  (memory $main (export "memory") 1)
  (memory $second 1)
  (memory $wide i64 1)
  (data (i32.const 512) "0123456789abcdef")
  (data (i32.const 1024)
    "multi-value\00"
    "sign-extension\00"
    "non-trapping float-to-int\00"
    "mutable-global\00"
    "bulk-memory\00"
    "reference-types\00"
    "tail-call\00"
    "extended-const\00"
    "multi-memory\00"
    "memory64\00"
    "simd\00"
    "relaxed-simd\00")
  (data $bulk "bulk")

  ;; mutable-global: an exported global that changes.
  (global $counter (export "counter") (mut i32) (i32.const 0))
  ;; extended-const: arithmetic in a constant expression.
  (global $extended i32 (i32.add (i32.const 100) (i32.mul (i32.const 2) (i32.const 3))))

  (global $label (mut i32) (i32.const 1024))

  (table $funcs 0 funcref)
  (elem declare func $forty_two)
  (type $to_i32 (func (result i32)))

  ;; Writes "<next label>: <value as 8 hex digits>\n" to stdout.
  (func $show (param $value i32)
    (local $p i32) (local $c i32) (local $shift i32)
    (local.set $p (i32.const 16))
    (block $done
      (loop $copy
        (local.set $c (i32.load8_u (global.get $label)))
        (global.set $label (i32.add (global.get $label) (i32.const 1)))
        (br_if $done (i32.eqz (local.get $c)))
        (i32.store8 (local.get $p) (local.get $c))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $copy)))
    (i32.store16 (local.get $p) (i32.const 0x203a))
    (local.set $p (i32.add (local.get $p) (i32.const 2)))
    (local.set $shift (i32.const 28))
    (loop $hex
      (i32.store8 (local.get $p)
        (i32.load8_u offset=512 (i32.and (i32.shr_u (local.get $value) (local.get $shift)) (i32.const 15))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $shift (i32.sub (local.get $shift) (i32.const 4)))
      (br_if $hex (i32.ge_s (local.get $shift) (i32.const 0))))
    (i32.store8 (local.get $p) (i32.const 10))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.sub (i32.add (local.get $p) (i32.const 1)) (i32.const 16)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; multi-value: two results.
  (func $pair (result i32 i32) (i32.const 1) (i32.const 2))

  (func $forty_two (result i32) (i32.const 42))

  ;; tail-call: 100,000 calls deep in constant stack (a plain call this deep overflows).
  (func $count_down (param $n i32) (param $acc i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (local.get $acc))
      (else
        (return_call $count_down
          (i32.sub (local.get $n) (i32.const 1))
          (i32.add (local.get $acc) (i32.const 1))))))

  (func (export "_start")
    (local $a i32) (local $b i32)
    (call $pair)
    (local.set $b)
    (local.set $a)
    (call $show (i32.or (i32.shl (local.get $a) (i32.const 8)) (local.get $b)))
    (call $show (i32.extend8_s (i32.const 0x80)))
    (call $show (i32.trunc_sat_f32_s (f32.const 1e10)))
    (global.set $counter (i32.add (global.get $counter) (i32.const 7)))
    (call $show (global.get $counter))
    ;; bulk-memory: a passive segment copied in, moved, then dropped; a fill.
    (memory.init $bulk (i32.const 300) (i32.const 0) (i32.const 4))
    (data.drop $bulk)
    (memory.copy (i32.const 304) (i32.const 300) (i32.const 4))
    (memory.fill (i32.const 300) (i32.const 0) (i32.const 4))
    (call $show (i32.load (i32.const 304)))
    ;; reference-types: a function reference put into a table at run time, called through it.
    (drop (table.grow $funcs (ref.func $forty_two) (i32.const 1)))
    (call $show (call_indirect $funcs (type $to_i32) (i32.const 0)))
    (call $show (call $count_down (i32.const 100000) (i32.const 0)))
    (call $show (global.get $extended))
    (i32.store $second (i32.const 0) (i32.const 5))
    (call $show (i32.add (i32.load $second (i32.const 0)) (i32.load $main (i32.const 300))))
    (i64.store $wide (i64.const 65528) (i64.const 0x1122334455667788))
    (call $show (i32.add (i32.wrap_i64 (memory.size $wide)) (i32.load $wide (i64.const 65528))))
    (call $show (i32x4.extract_lane 3 (i32x4.add (v128.const i32x4 1 2 3 4) (v128.const i32x4 10 20 30 40))))
    (call $show
      (i32.trunc_f32_s (f32x4.extract_lane 0
        (f32x4.relaxed_madd (v128.const f32x4 2 0 0 0) (v128.const f32x4 3 0 0 0) (v128.const f32x4 1 0 0 0))))))
)
