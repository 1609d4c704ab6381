//! Instantiation of a linked graph: each module in order, its deferred start function
//! (`link::start_section`) and a reactor's `_initialize` run through `slices::call` like the
//! entrypoint, and its instance registered under the names others import it by. Ends with the
//! entrypoint to call, or with the guest's end if a start-up function ended it.

use wasmi::errors::{ErrorKind, InstantiationError, MemoryError, TableError};
use wasmi::{Func, Instance, Store};

use super::StoreData;
use super::execute::{CannotRun, Guest};
use super::outcome::Outcome;
use super::slices::call;
use crate::link::{LinkError, start_section};

/// What instantiation gave: the entrypoint, or the end of the guest in a start-up function.
pub(super) enum Started {
    Ready(Func),
    Ended(Outcome),
}

/// Instantiates the import modules (running their start functions and a reactor's
/// `_initialize`), then the entry module, and returns the entrypoint. Start-up functions run
/// through `call`, in fuel slices, bounded like the entrypoint; a guest that ends during
/// start-up ends the run. An engine error here is the guest's doing (a trap in a data
/// segment's initialisation), except a memory or table the limit refuses.
pub(super) fn instantiate(guest: &mut Guest) -> Result<Started, CannotRun> {
    let Guest {
        store,
        linker,
        linked,
        limits,
        deadline,
        ..
    } = guest;
    let limit = store.data().limiter.limit();
    let count = linked.modules.len();
    for (i, module) in std::mem::take(&mut linked.modules).into_iter().enumerate() {
        let instance = linker
            .instantiate_and_start(&mut *store, &module.module)
            .map_err(|e| refused(e, &module.label, limit))?;
        // Runs a start-up function of `instance`, if it exports a `() -> ()` named `name`.
        let mut start_up = |name: &str| -> Result<Option<Outcome>, CannotRun> {
            match startable(store, instance, name) {
                Some(func) => call(store, func, limits, *deadline).map_err(CannotRun::Engine),
                None => Ok(None),
            }
        };
        if module.deferred_start
            && let Some(outcome) = start_up(start_section::EXPORT)?
        {
            return Ok(Started::Ended(outcome));
        }
        if i + 1 == count {
            let entrypoint = instance
                .get_func(&*store, &linked.entrypoint)
                .expect("entrypoint checked by link::resolve");
            return Ok(Started::Ready(entrypoint));
        }
        if let Some(outcome) = start_up("_initialize")? {
            return Ok(Started::Ended(outcome));
        }
        for name in &module.names {
            linker
                .instance(&mut *store, name, instance)
                .map_err(CannotRun::Engine)?;
        }
    }
    unreachable!("a linked graph ends with its entry module")
}

/// The function `name` of `instance` if it is a `() -> ()`.
fn startable(store: &Store<StoreData>, instance: Instance, name: &str) -> Option<Func> {
    instance.get_func(store, name).filter(|f| {
        let ty = f.ty(store);
        ty.params().is_empty() && ty.results().is_empty()
    })
}

/// An instantiation error, as the limit's refusal if it was one.
fn refused(error: wasmi::Error, label: &str, limit: u64) -> CannotRun {
    use InstantiationError::{FailedToInstantiateMemory, FailedToInstantiateTable};
    match error.kind() {
        ErrorKind::Instantiation(
            FailedToInstantiateMemory(MemoryError::ResourceLimiterDeniedAllocation)
            | FailedToInstantiateTable(TableError::ResourceLimiterDeniedAllocation),
        )
        | ErrorKind::Memory(MemoryError::ResourceLimiterDeniedAllocation)
        | ErrorKind::Table(TableError::ResourceLimiterDeniedAllocation) => {
            CannotRun::MemoryLimit(LinkError::MemoryLimit {
                label: label.to_string(),
                item: None,
                limit,
            })
        }
        _ => CannotRun::Engine(error),
    }
}
