;; Prints, one per line in hex, clock_time_get of realtime, monotonic, realtime and
;; monotonic (u64, most significant digit first), then 16 bytes of random_get in memory
;; order: what a deterministic run must print the same every time (README "Determinism").
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 512) "0123456789abcdef")
  ;; Writes the hex digits of the `$len` bytes at `$from`, the byte at `$from + $len - 1`
  ;; first when `$reverse` (a little-endian number), into 256.., then prints them and "\n".
  (func $print_hex (param $from i32) (param $len i32) (param $reverse i32)
    (local $i i32) (local $b i32) (local $at i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $at
          (if (result i32) (local.get $reverse)
            (then (i32.sub (i32.add (local.get $from) (i32.sub (local.get $len) (i32.const 1))) (local.get $i)))
            (else (i32.add (local.get $from) (local.get $i)))))
        (local.set $b (i32.load8_u (local.get $at)))
        (i32.store8 (i32.add (i32.const 256) (i32.shl (local.get $i) (i32.const 1)))
          (i32.load8_u (i32.add (i32.const 512) (i32.shr_u (local.get $b) (i32.const 4)))))
        (i32.store8 (i32.add (i32.const 257) (i32.shl (local.get $i) (i32.const 1)))
          (i32.load8_u (i32.add (i32.const 512) (i32.and (local.get $b) (i32.const 15)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.store8 (i32.add (i32.const 256) (i32.shl (local.get $len) (i32.const 1))) (i32.const 10))
    (i32.store (i32.const 0) (i32.const 256))
    (i32.store (i32.const 4) (i32.add (i32.shl (local.get $len) (i32.const 1)) (i32.const 1)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $time (param $id i32)
    (drop (call $clock_time_get (local.get $id) (i64.const 0) (i32.const 64)))
    (call $print_hex (i32.const 64) (i32.const 8) (i32.const 1)))
  (func (export "_start")
    (call $time (i32.const 0))
    (call $time (i32.const 1))
    (call $time (i32.const 0))
    (call $time (i32.const 1))
    (drop (call $random_get (i32.const 128) (i32.const 16)))
    (call $print_hex (i32.const 128) (i32.const 16) (i32.const 0)))
)
