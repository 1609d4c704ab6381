;; Prints "sleeping", asks poll_oneoff for a 10 s sleep on the monotonic clock, then prints
;; "woke": with the host clock (--nondeterministic) a timeout must cut the sleep short; on the
;; default virtual clock the sleep takes no real time and the guest wakes at once.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "sleeping\n")
  (data (i32.const 32) "woke\n")
  (func $print (param $at i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $at))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (call $print (i32.const 16) (i32.const 9))
    ;; One clock subscription at 64: userdata 0, tag 0 (clock), id 1 (monotonic),
    ;; timeout 10 s relative, precision 0, flags 0; the event goes to 128, nevents to 8.
    (i32.store (i32.const 80) (i32.const 1))
    (i64.store (i32.const 88) (i64.const 10000000000))
    (drop (call $poll (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 8)))
    (call $print (i32.const 32) (i32.const 5)))
)
