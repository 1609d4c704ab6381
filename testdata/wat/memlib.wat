;; An import module: exports its memory, a counter global, a table holding one function, and a
;; function that writes a greeting into that memory. Used by the linking tests, which import it by Alias, by Target and by path.
(module
  (memory (export "memory") 1)
  (global (export "calls") (mut i32) (i32.const 0))
  (data (i32.const 1024) "hello from memlib\n")
  ;; table[0] returns 7; importers reach it with call_indirect.
  (table (export "table") 1 funcref)
  (elem (i32.const 0) $seven)
  (func $seven (result i32) (i32.const 7))
  ;; greet(ptr) copies the 18-byte greeting to ptr and returns its length.
  (func (export "greet") (param $ptr i32) (result i32)
    (global.set 0 (i32.add (global.get 0) (i32.const 1)))
    (memory.copy (local.get $ptr) (i32.const 1024) (i32.const 18))
    (i32.const 18))
)
