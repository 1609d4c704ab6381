;; 200,000 clock_time_get(realtime) calls, then prints how many readings were not earlier than
;; the one before ("200000"): the host-call-bound workload bench/tape.sh records and replays.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $i i32) (local $ok i32) (local $last i64) (local $now i64) (local $at i32)
    (loop $next
      (drop (call $clock_time_get (i32.const 0) (i64.const 0) (i32.const 64)))
      (local.set $now (i64.load (i32.const 64)))
      (if (i64.ge_u (local.get $now) (local.get $last))
        (then (local.set $ok (i32.add (local.get $ok) (i32.const 1)))))
      (local.set $last (local.get $now))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 200000))))
    ;; $ok in decimal, right to left, ending at 127, then a newline at 128.
    (i32.store8 (i32.const 128) (i32.const 10))
    (local.set $at (i32.const 128))
    (loop $digit
      (local.set $at (i32.sub (local.get $at) (i32.const 1)))
      (i32.store8 (local.get $at) (i32.add (i32.const 48) (i32.rem_u (local.get $ok) (i32.const 10))))
      (local.set $ok (i32.div_u (local.get $ok) (i32.const 10)))
      (br_if $digit (local.get $ok)))
    (i32.store (i32.const 0) (local.get $at))
    (i32.store (i32.const 4) (i32.sub (i32.const 129) (local.get $at)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
