//! What `bolinho inspect` prints: a module's imports, exports and memories, the import modules it
//! needs, and whatever bolinho cannot provide.

use std::collections::BTreeSet;
use std::fmt::Write;

use wasmi::{ExternType, Module};

use crate::describe;
use crate::link;
use crate::net;

/// The report for `module`, named `label` in its first line.
pub fn report(label: &str, module: &Module) -> String {
    let mut out = format!("module {label}\n");
    let mut missing = Vec::new();
    out.push_str("imports:\n");
    for import in module.imports() {
        let (from, name, ty) = (import.module(), import.name(), import.ty());
        let _ = writeln!(out, "  {from}::{name}: {}", describe::extern_type(ty));
        let check = match from {
            wasi_shim::MODULE => link::check_wasi(name, ty),
            net::MODULE => net::check_import(name, ty),
            _ => Ok(()),
        };
        if let Err(reason) = check {
            missing.push(format!("{from}::{name}: {reason}"));
        }
    }
    out.push_str("exports:\n");
    for export in module.exports() {
        let _ = writeln!(
            out,
            "  {}: {}",
            export.name(),
            describe::extern_type(export.ty())
        );
    }
    out.push_str("memories:\n");
    for import in module
        .imports()
        .filter(|i| matches!(i.ty(), ExternType::Memory(_)))
    {
        let ty = describe::extern_type(import.ty());
        let _ = writeln!(
            out,
            "  imported {}::{}: {ty}",
            import.module(),
            import.name()
        );
    }
    for export in module
        .exports()
        .filter(|e| matches!(e.ty(), ExternType::Memory(_)))
    {
        let _ = writeln!(
            out,
            "  exported {}: {}",
            export.name(),
            describe::extern_type(export.ty())
        );
    }
    let modules: BTreeSet<&str> = module
        .imports()
        .map(|i| i.module())
        .filter(|m| *m != wasi_shim::MODULE)
        .collect();
    for name in modules {
        if name == net::MODULE {
            let _ = writeln!(
                out,
                "needs the network ({name}): --network host or http, or a job's Network.Type Host or HTTP"
            );
            continue;
        }
        let _ = writeln!(
            out,
            "needs import module `{name}` (an ImportModules entry, --import {name}=PATH, or the file /{} in the guest)",
            name.trim_start_matches('/')
        );
    }
    if missing.is_empty() {
        out.push_str("bolinho provides every WASI import\n");
    } else {
        out.push_str("bolinho cannot provide:\n");
        missing.iter().for_each(|m| {
            let _ = writeln!(out, "  {m}");
        });
    }
    out
}
