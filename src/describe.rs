//! Human-readable text for WebAssembly types, in the WAT-like notation every message uses:
//! `func (i32, i32) -> i32`, `memory 1..16 pages`, `global mut i64`, `table 2.. funcref`.

use wasmi::{
    ExternType, FuncType, GlobalType, MemoryType, Mutability, RefType, TableType, ValType,
};

/// The kind of an extern: `func`, `memory`, `table` or `global`.
pub fn kind(ty: &ExternType) -> &'static str {
    match ty {
        ExternType::Func(_) => "func",
        ExternType::Memory(_) => "memory",
        ExternType::Table(_) => "table",
        ExternType::Global(_) => "global",
    }
}

/// The kind and type of an extern, e.g. `func (i32) -> ()`.
pub fn extern_type(ty: &ExternType) -> String {
    match ty {
        ExternType::Func(f) => format!("func {}", func_type(f)),
        ExternType::Memory(m) => format!("memory {}", memory_type(m)),
        ExternType::Table(t) => format!("table {}", table_type(t)),
        ExternType::Global(g) => format!("global {}", global_type(g)),
    }
}

/// `(i32, i64) -> f32`; no results print as `()`, several as `(i32, i32)`.
pub fn func_type(ty: &FuncType) -> String {
    let list = |types: &[ValType]| types.iter().map(val_type).collect::<Vec<_>>().join(", ");
    let results = match ty.results() {
        [one] => val_type(one).to_string(),
        many => format!("({})", list(many)),
    };
    format!("({}) -> {results}", list(ty.params()))
}

pub fn val_type(ty: &ValType) -> &'static str {
    match ty {
        ValType::I32 => "i32",
        ValType::I64 => "i64",
        ValType::F32 => "f32",
        ValType::F64 => "f64",
        ValType::V128 => "v128",
        ValType::FuncRef => "funcref",
        ValType::ExternRef => "externref",
    }
}

fn limits(min: u64, max: Option<u64>) -> String {
    match max {
        Some(max) => format!("{min}..{max}"),
        None => format!("{min}.."),
    }
}

fn memory_type(ty: &MemoryType) -> String {
    let index = if ty.is_64() { " i64" } else { "" };
    format!("{} pages{index}", limits(ty.minimum(), ty.maximum()))
}

fn table_type(ty: &TableType) -> String {
    let element = match ty.element() {
        RefType::Func => "funcref",
        RefType::Extern => "externref",
    };
    format!("{} {element}", limits(ty.minimum(), ty.maximum()))
}

fn global_type(ty: &GlobalType) -> String {
    let mutability = match ty.mutability() {
        Mutability::Var => "mut ",
        Mutability::Const => "",
    };
    format!("{mutability}{}", val_type(&ty.content()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn func_types_read_like_signatures() {
        let ty = FuncType::new([ValType::I32, ValType::I64], [ValType::F32]);
        assert_eq!(func_type(&ty), "(i32, i64) -> f32");
        assert_eq!(func_type(&FuncType::new([], [])), "() -> ()");
        let two = FuncType::new([], [ValType::I32, ValType::I32]);
        assert_eq!(func_type(&two), "() -> (i32, i32)");
    }

    #[test]
    fn other_externs_show_their_limits() {
        let mem = MemoryType::new(1, Some(16));
        assert_eq!(extern_type(&ExternType::Memory(mem)), "memory 1..16 pages");
        let global = GlobalType::new(ValType::I64, Mutability::Var);
        assert_eq!(extern_type(&ExternType::Global(global)), "global mut i64");
        let table = TableType::new(RefType::Func, 2, None);
        assert_eq!(extern_type(&ExternType::Table(table)), "table 2.. funcref");
    }
}
