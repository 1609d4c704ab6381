;; Reads the monotonic clock, sleeps 1 s through poll_oneoff, reads it again and prints
;; "slept" and whether at least 1 s passed ("1") or not ("0"). Under --nondeterministic the
;; sleep is real; the tape records it, and a replay from the tape must not wait
;; (tests/integration/tapes.rs).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "slept 0\n")
  (func (export "_start")
    (local $before i64)
    (drop (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 256)))
    (local.set $before (i64.load (i32.const 256)))
    ;; One clock subscription at 64: userdata 0, tag 0 (clock), id 1 (monotonic),
    ;; timeout 1 s relative, precision 0, flags 0; the event goes to 128, nevents to 8.
    (i32.store (i32.const 80) (i32.const 1))
    (i64.store (i32.const 88) (i64.const 1000000000))
    (drop (call $poll (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 8)))
    (drop (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 256)))
    (if (i64.ge_u (i64.sub (i64.load (i32.const 256)) (local.get $before)) (i64.const 1000000000))
      (then (i32.store8 (i32.const 22) (i32.const 49))))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 8))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
