//! `wasi:http/requests`: the host module through which Bacalhau gives WASM guests HTTP(S).
//!
//! Owns: whether a run offers the module (`Network.Type` Host, Full or HTTP; module runs
//! `--network`), the check of an import of it at link time, its one function `http_request`
//! (12 `i32` -> `i32`), and the policy of which hosts it may reach. The ABI and result codes
//! live in `abi`, host matching in `spec::domains`, the HTTP exchange in `client`. Must not know
//! about WASI: it reads guest memory itself, through the calling instance's `memory` export
//! (Bacalhau reads the caller's memory too); a module without one gets `Memory` (7).
//!
//! Behaviour follows Bacalhau's implementation (pkg/executor/wasm/funcs/http/http.go, read at
//! bacalhau-project/bacalhau e28960c); each submodule lists where and why we differ. What
//! the guest sees depends on the servers, so a run with results records each request and its
//! answer on its tape (`tape`), and `verify` answers from the tape, with no network.
//!
//! Testing aid: `BOLINHO_HTTP_TIMEOUT_MS` replaces the 30 s timeout (the same variable sets
//! the timeouts of downloads; see `fetch::http`).

mod abi;
mod client;
mod tape;

use std::sync::Arc;
use std::time::Duration;

use wasi_shim::{Interrupt, Interrupted, Recorder, Replay};
use wasmi::{Caller, Extern, ExternType, FuncType, Linker, ValType};

pub use abi::{Args, Code};

use crate::describe;
use crate::spec::{Network, Origin, Plan, Policy};

/// The module name guests import from.
pub const MODULE: &str = "wasi:http/requests";
/// Its one function.
pub const FUNCTION: &str = "http_request";
/// The time one request may take, redirects and body included (Bacalhau's `DefaultTimeout`).
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// `http_request`'s type: twelve `i32` parameters, one `i32` result.
pub fn func_type() -> FuncType {
    FuncType::new([ValType::I32; 12], [ValType::I32])
}

/// Whether `wasi:http/requests` is offered to a run; if not, what would offer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offer {
    Provided,
    /// The reason an import of it cannot be linked, naming the setting that would allow it.
    Withheld(&'static str),
}

impl Offer {
    pub fn for_plan(plan: &Plan) -> Offer {
        match (&plan.network, plan.origin) {
            (Network::Host | Network::Http { .. }, _) => Offer::Provided,
            (Network::None, Origin::Job) => Offer::Withheld(
                "the job has no network (Network.Type None, Bridge, Default or unset): \
                 set Network.Type to Host, or HTTP with Domains, or run with --network host, \
                 or --network http --allow-domain GLOB, to allow wasi:http/requests",
            ),
            (Network::None, Origin::Module) => Offer::Withheld(
                "the network is off: run with --network host, or --network http \
                 --allow-domain GLOB, to allow wasi:http/requests",
            ),
        }
    }
}

/// Whether the module provides `name` with type `ty`; the error says why not.
pub fn check_import(name: &str, ty: &ExternType) -> Result<(), String> {
    if name != FUNCTION {
        return Err(format!(
            "`{name}` is not a function of {MODULE}; it has only {FUNCTION}"
        ));
    }
    match ty {
        ExternType::Func(f)
            if f.params() == [ValType::I32; 12] && f.results() == [ValType::I32] =>
        {
            Ok(())
        }
        _ => Err(format!(
            "{MODULE} defines it as func {}",
            describe::func_type(&func_type())
        )),
    }
}

/// The network of one run: where it may go, and the client that goes there.
pub struct Net {
    policy: Policy,
    client: client::Client,
    /// The run's hold on the guest, which `http_request` passes through as WASI calls do.
    interrupt: Arc<Interrupt>,
    exchange: Exchange,
}

/// Where the answers to a run's requests come from.
enum Exchange {
    /// The network.
    Live,
    /// The network, each request and answer going on the run's tape.
    Record(Recorder),
    /// A tape: nothing is sent.
    Replay(Replay),
}

impl Net {
    /// Ends every request at the run's deadline at the latest, and makes the call that
    /// one cut short, or that a stop of the run caught, end the guest.
    pub fn stop_with(&mut self, deadline: Option<std::time::Instant>, interrupt: Arc<Interrupt>) {
        if let Some(at) = deadline {
            self.client.end_by(at);
        }
        self.interrupt = interrupt;
    }

    /// Puts each request and its answer on `recorder`'s tape.
    pub fn record_to(&mut self, recorder: &Recorder) {
        self.exchange = Exchange::Record(recorder.clone());
    }

    /// Answers each request from `replay`'s tape, sending nothing.
    pub fn replay_from(&mut self, replay: &Replay) {
        self.exchange = Exchange::Replay(replay.clone());
    }

    /// The network `plan` allows, or `None`. Its domains were parsed with the job.
    pub fn for_plan(plan: &Plan) -> Option<Net> {
        let policy = match &plan.network {
            Network::None => return None,
            Network::Host => Policy::Any,
            Network::Http { domains } => Policy::Domains(domains.clone()),
        };
        Some(Net {
            policy,
            client: client::Client::new(timeout_from_env()),
            interrupt: Arc::new(Interrupt::new()),
            exchange: Exchange::Live,
        })
    }

    /// One `http_request` call on guest memory `mem`.
    pub fn request(&self, mem: &mut [u8], args: &Args) -> Code {
        let (request, out) = match abi::read(mem, args, &self.policy) {
            Ok(read) => read,
            Err(code) => return code,
        };
        let limit = abi::body_limit(mem.len());
        let keep = out.body_capacity();
        let answer = match &self.exchange {
            Exchange::Live => self.client.send(&self.policy, request, keep, limit),
            Exchange::Record(recorder) => {
                let asked = tape::request(&request, keep, limit);
                let answer = self.client.send(&self.policy, request, keep, limit);
                recorder.host_call(MODULE, &asked, &tape::answer(&answer));
                answer
            }
            Exchange::Replay(replay) => {
                let asked = tape::request(&request, keep, limit);
                // A guest that asked for something else has diverged and is being stopped;
                // an answer the tape cannot give (malformed) stops it too.
                match replay.host_call(MODULE, &asked) {
                    Some(bytes) => tape::read_answer(&bytes, keep).unwrap_or_else(|| {
                        self.interrupt.request();
                        Err(Code::Network)
                    }),
                    None => Err(Code::Network),
                }
            }
        };
        match answer {
            Ok(response) => abi::write(mem, &out, &response),
            Err(code) => code,
        }
    }
}

/// `BOLINHO_HTTP_TIMEOUT_MS` if it is a number of milliseconds, else [`TIMEOUT`].
fn timeout_from_env() -> Duration {
    std::env::var("BOLINHO_HTTP_TIMEOUT_MS")
        .ok()
        .and_then(|ms| ms.trim().parse().ok())
        .map_or(TIMEOUT, Duration::from_millis)
}

/// Defines `wasi:http/requests::http_request`, working on the `Net` that `get` finds in the
/// store data `T` (as `wasi_shim::add_to_linker` finds its context).
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: fn(&T) -> Option<&Net>,
) -> Result<(), wasmi::Error> {
    linker.func_wrap(
        MODULE,
        FUNCTION,
        move |mut caller: Caller<'_, T>,
              a0: i32,
              a1: i32,
              a2: i32,
              a3: i32,
              a4: i32,
              a5: i32,
              a6: i32,
              a7: i32,
              a8: i32,
              a9: i32,
              a10: i32,
              a11: i32|
              -> Result<i32, wasmi::Error> {
            let args = Args::from_wasm([a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11]);
            let (mem, host): (&mut [u8], &mut T) = match caller.get_export("memory") {
                Some(Extern::Memory(m)) => m.data_and_store_mut(&mut caller),
                _ => (&mut [], caller.data_mut()),
            };
            // Defined only for runs with a network; kept total rather than panicking.
            let Some(net) = get(host) else {
                return Ok(Code::NotAllowed as i32);
            };
            if !net.interrupt.enter() {
                return Err(wasmi::Error::host(Interrupted));
            }
            let code = net.request(mem, &args);
            // A request the run's deadline or a signal cut short ends the guest, as a cut
            // sleep does: it must not go on as if the server had been slow.
            if net.client.past_end() || crate::signal::received().is_some() {
                net.interrupt.request();
            }
            if net.interrupt.leave() {
                return Err(wasmi::Error::host(Interrupted));
            }
            Ok(code as i32)
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn func(params: usize, results: &[ValType]) -> ExternType {
        ExternType::Func(FuncType::new(vec![ValType::I32; params], results.to_vec()))
    }

    #[test]
    fn only_http_request_with_its_type_links() {
        assert_eq!(
            check_import("http_request", &func(12, &[ValType::I32])),
            Ok(())
        );
        let want = "wasi:http/requests defines it as func (i32, i32, i32, i32, i32, i32, \
                    i32, i32, i32, i32, i32, i32) -> i32";
        assert_eq!(
            check_import("http_request", &func(11, &[ValType::I32])).unwrap_err(),
            want
        );
        assert_eq!(
            check_import("http_request", &func(12, &[])).unwrap_err(),
            want
        );
        assert_eq!(
            check_import("http_get", &func(12, &[ValType::I32])).unwrap_err(),
            "`http_get` is not a function of wasi:http/requests; it has only http_request"
        );
    }
}
