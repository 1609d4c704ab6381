;; Exception handling, which wasmi 2.0 does not implement: a tag, a `throw` and a `try_table`
;; that catches it. bolinho refuses the module when it loads it (tests/integration/simd.rs).
(module
  (tag $oops)
  (func (export "_start")
    (block $caught
      (try_table (catch_all $caught)
        (throw $oops)))))
