;; Starts with one page and grows by one page three times, printing `ok` for each growth that
;; succeeded and `-1` for each that failed: the memory-limit tests run it with --memory.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "ok\n-1\n")
  (func $say (param $at i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $at))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $grow
    (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1))
      (then (call $say (i32.const 19) (i32.const 3)))
      (else (call $say (i32.const 16) (i32.const 3)))))
  (func (export "_start") (call $grow) (call $grow) (call $grow))
)
