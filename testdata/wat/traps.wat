;; One exported function per trap kind; tests pick one with --entrypoint. Each writes a line to
;; stdout first, so the tests check that output before a trap is kept.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "before\n")
  (func $say
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 7))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $recurse (param i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "unreachable") (call $say) unreachable)
  (func (export "divide_by_zero") (call $say) (drop (i32.div_s (i32.const 1) (i32.const 0))))
  (func (export "out_of_bounds") (call $say) (drop (i32.load (i32.const 70000))))
  (func (export "stack_overflow") (call $say) (drop (call $recurse (i32.const 0))))
  (func (export "not_void") (result i32) (i32.const 1))
  (global (export "not_a_function") i32 (i32.const 0))
  (func (export "_start") (call $say))
)
