//! What the guest sees: its arguments, environment and stdio (copied live and saved for its
//! results, each copy capped at the output limit), the mounts composing its `/`, its clock and
//! random source, and its network, recorded or replayed as `tape` decides. Built after
//! everything is fetched and hashed, right before it is linked and run.
//!
//! Owns: the WASI context and the network of a run. Must not compile or run modules.

use std::io;
use std::sync::Arc;

use wasi_shim::{Access, Clock, Interrupt, WasiCtx, WasiCtxBuilder};

use super::RunOptions;
use super::modules::{MAX_MODULE, Modules};
use super::prepare::Prepared;
use super::sources::{self, Seeding};
use super::tape::Taping;
use crate::engine::{Deadline, StopClock};
use crate::error::Error;
use crate::link::GuestFiles;
use crate::net::Net;
use crate::results::ResultsDir;
use crate::spec::{Origin, Plan};
use crate::tee::{Live, Saved, Tee};

/// The saved copies of the guest's stdout and stderr, by results file name.
pub type SavedOutput = [(&'static str, Saved); 2];

/// What the guest is given to run with.
pub struct Guest {
    pub wasi: WasiCtx,
    pub net: Option<Net>,
    /// The saved copies of its output, when the run has results.
    pub saved: Option<SavedOutput>,
}

/// How the guest is stopped from outside, and what it is told that its content does not fix.
pub struct Stopping<'a> {
    /// Its clock's sleeps and its network's requests end here.
    pub deadline: Option<Deadline>,
    /// Its host calls pass through this.
    pub interrupt: &'a Arc<Interrupt>,
    /// Records or replays its host clock and randomness, stdin and network.
    pub taping: &'a Taping,
}

/// Builds what the guest of `plan` sees.
pub fn build(
    plan: &Plan,
    modules: &Modules,
    prepared: &Prepared,
    seeding: Option<Seeding>,
    stopping: Stopping<'_>,
    options: &RunOptions,
) -> Result<Guest, Error> {
    let Stopping {
        deadline,
        interrupt,
        taping,
    } = stopping;
    let mut net = Net::for_plan(plan);
    if let Some(net) = &mut net {
        net.stop_with(deadline.map(|d| d.at), Arc::clone(interrupt));
        taping.network(net);
    }
    let saved = match &prepared.results {
        Some(results) => Some(save_output(results, plan.limits.output_bytes)?),
        None => None,
    };
    let sources = sources::sources(seeding);
    let mut clock = stop_clock(sources.clock, deadline, Arc::clone(interrupt));
    let mut random = sources.random;
    if seeding.is_none() {
        (clock, random) = taping.host_sources(clock, random, interrupt);
    }
    let saving = prepared.results.as_ref().zip(saved.as_ref());
    let wasi = guest_context(plan, modules, prepared, saving, options, interrupt)?
        .stdin(match plan.origin {
            Origin::Module => taping.stdin(),
            Origin::Job => Box::new(io::empty()),
        })
        .random(random)
        .clock(clock)
        // Virtual even with the host's clock, which dates it: the host's inode numbers and
        // times are on no tape, so a replay could not give them again.
        .virtual_metadata(true)
        .interrupt(Arc::clone(interrupt))
        .build()
        .map_err(|e| Error::host("build the guest's filesystem", e))?;
    Ok(Guest { wasi, net, saved })
}

/// The saved copies of the guest's stdout and stderr, each capped at `limit` bytes.
fn save_output(results: &ResultsDir, limit: u64) -> Result<SavedOutput, Error> {
    let saved = |name: &'static str| -> Result<(&'static str, Saved), Error> {
        let file = results.create_file(name)?;
        let marker = format!("{name}.truncated");
        Ok((name, Saved::new(file, limit, results.opener()?, marker)))
    };
    Ok([saved("stdout")?, saved("stderr")?])
}

/// The guest's view: argv, environment, stdout, stderr and the mounts composing `/`; the run
/// adds its stdin, clock and random source.
fn guest_context(
    plan: &Plan,
    modules: &Modules,
    prepared: &Prepared,
    saving: Option<(&ResultsDir, &SavedOutput)>,
    options: &RunOptions,
    interrupt: &Arc<Interrupt>,
) -> Result<WasiCtxBuilder, Error> {
    let mut builder = WasiCtxBuilder::new().arg(modules.argv0.as_str());
    for arg in &plan.args {
        builder = builder.arg(arg.as_str());
    }
    for (name, value) in &prepared.env {
        builder = builder.env(name.as_str(), value.as_str());
    }
    for (input, fetched) in plan.inputs.iter().zip(&prepared.fetched) {
        let access = if fetched.writable {
            Access::ReadWrite
        } else {
            Access::ReadOnly
        };
        builder = builder.mount(&input.target, fetched.path.clone(), access);
    }
    for output in &plan.outputs {
        let Some((results, _)) = saving else { break };
        builder = builder.mount(
            &output.path,
            results.create_output_dir(&output.name)?,
            Access::ReadWrite,
        );
    }
    let (stdout, stderr) = match saving {
        Some((_, [(_, stdout), (_, stderr)])) => (Some(stdout.clone()), Some(stderr.clone())),
        None => (None, None),
    };
    let interrupt = || Arc::clone(interrupt);
    // `verify` prints its checks, not the guest's output; partitions running together would
    // mix theirs (`partitions` prints each whole once it has ended).
    builder = if options.rerun.is_some() || options.partition_of.is_some() {
        builder
            .stdout(Box::new(Tee::new(io::sink(), stdout, interrupt())))
            .stderr(Box::new(Tee::new(io::sink(), stderr, interrupt())))
    } else {
        builder
            .stdout(Box::new(Tee::new(Live(io::stdout()), stdout, interrupt())))
            .stderr(Box::new(Tee::new(Live(io::stderr()), stderr, interrupt())))
    };
    builder = builder.preopen_root(plan.preopen_root);
    Ok(builder)
}

/// The guest's clock: virtual (its sleeps take no real time), or the host's with sleeps that
/// end at the deadline; either way one whose cut sleep, or a caught signal, ends the guest's
/// host call. The timeout itself is measured in real time by `engine::execute`, whatever the guest's clock.
fn stop_clock(
    clock: sources::Clock,
    deadline: Option<Deadline>,
    interrupt: Arc<Interrupt>,
) -> Box<dyn Clock + Send> {
    match clock {
        sources::Clock::Virtual(clock) => Box::new(StopClock::virtual_time(clock, interrupt)),
        sources::Clock::Host(clock) => {
            Box::new(StopClock::real(clock, deadline.map(|d| d.at), interrupt))
        }
    }
}

impl GuestFiles for WasiCtx {
    fn read(&self, guest_path: &str) -> Option<Vec<u8>> {
        self.read_file(guest_path, MAX_MODULE).ok()
    }
}
