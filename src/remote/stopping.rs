//! A request that Ctrl-C or SIGTERM ends while it waits for the server.
//!
//! ureq waits for an answer in a blocking read, and retries a read that a signal interrupts
//! (`EINTR`) for as long as its timeout lasts: 30 s a read for a download, 30 s for a guest's
//! request; connecting to a server that never answers waits out its timeout too. A signal
//! caught meanwhile would be seen only then, and a job's partitions each waited out three
//! tries. Here the wait for input, over ureq's TCP and TLS layers (`Stopping`), and the wait to
//! connect (`TcpAtSignal`, ureq's own TCP connector on a thread of its own) go in slices of
//! [`SLICE`], and between two the wait ends if a signal has been caught since the request was
//! sent, or the connection begun.
//!
//! A request sent after the signal is not ended by it: results are published after the signal
//! that stopped their guest, and a second signal ends bolinho anyway (`signal`). Owns: the
//! slicing of those waits. Must not change what a request sends, nor cut a write short (a
//! write cut short would leave a request half sent), nor decide what a stopped request means:
//! its caller sees an error naming the signal.

use std::fmt;
use std::io;
use std::sync::mpsc;
use std::time::Instant;

use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::time::Duration;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, NextTimeout, TcpConnector, Transport,
};

use crate::signal::{self, Signal};

/// The longest wait between two looks at the signal.
const SLICE: std::time::Duration = std::time::Duration::from_millis(50);

/// The connector that puts [`Stopping`] over every connection the ones before it made.
#[derive(Debug, Clone, Copy)]
pub struct AtSignal;

impl<In: Transport> Connector<In> for AtSignal {
    type Out = Stopping;

    fn connect(
        &self,
        _: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Stopping>, ureq::Error> {
        Ok(chained.map(|inner| Stopping::new(inner.boxed(), signal::received)))
    }
}

/// ureq's `TcpConnector`, run on a thread of its own while the caller waits in slices: a
/// connection whose server never answers its SYN (a full accept queue, a firewall dropping
/// it) takes the whole timeout to fail, and a signal caught meanwhile ends the wait. The
/// thread then finishes on its own, within that timeout, and drops what it made.
#[derive(Debug, Clone, Copy)]
pub struct TcpAtSignal;

impl<In: Transport> Connector<In> for TcpAtSignal {
    type Out = Either<In, Box<dyn Transport>>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        // A connection made before (through a proxy) is used as it is, as ureq's does.
        if chained.is_some() {
            return Ok(chained.map(Either::A));
        }
        let signalled_before = signal::received().is_some();
        let (uri, config) = (details.uri.clone(), details.config.clone());
        let (addrs, request_level) = (details.addrs.clone(), details.request_level);
        let (now, timeout) = (details.now, details.timeout);
        let current_time = details.current_time.clone();
        let run_connector = details.run_connector.clone();
        let register_shutdown = details.register_shutdown.clone();
        let (send, receive) = mpsc::sync_channel(1);
        let connecting = move || {
            let resolver = DefaultResolver::default();
            let details = ConnectionDetails {
                uri: &uri,
                addrs,
                config: &config,
                request_level,
                resolver: &resolver,
                now,
                timeout,
                current_time,
                run_connector,
                register_shutdown,
            };
            let made = TcpConnector::default().connect(&details, None::<()>);
            let _ = send.send(made.map(|made| made.map(Transport::boxed)));
        };
        std::thread::Builder::new()
            .name("connect".into())
            .spawn(connecting)
            .map_err(ureq::Error::Io)?;
        loop {
            match receive.recv_timeout(SLICE) {
                Ok(made) => return made.map(|made| made.map(Either::B)),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                // Only if the thread panicked.
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let ended = io::Error::other("the connecting thread ended");
                    return Err(ureq::Error::Io(ended));
                }
            }
            if let Some(caught) = signal::received().filter(|_| !signalled_before) {
                return Err(stopped(caught));
            }
        }
    }
}

/// The error of a wait a signal ended.
fn stopped(caught: Signal) -> ureq::Error {
    ureq::Error::Io(io::Error::other(format!("stopped by {}", caught.name())))
}

/// A connection whose waits for input end at a signal caught after its last request was sent.
pub struct Stopping {
    inner: Box<dyn Transport>,
    /// The signal caught, if any: `signal::received`, but for tests.
    caught: fn() -> Option<Signal>,
    /// Whether a signal had been caught when the last output was sent: it does not stop this.
    sent_after_signal: bool,
}

impl Stopping {
    fn new(inner: Box<dyn Transport>, caught: fn() -> Option<Signal>) -> Stopping {
        Stopping {
            inner,
            caught,
            sent_after_signal: caught().is_some(),
        }
    }
}

impl fmt::Debug for Stopping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stopping").finish_non_exhaustive()
    }
}

impl Transport for Stopping {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.sent_after_signal = (self.caught)().is_some();
        self.inner.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let started = Instant::now();
        loop {
            let left = less(timeout, started.elapsed());
            // The wait's own end is in this slice: whatever comes of it is the answer.
            if *left.for_read().after <= SLICE {
                return self.inner.await_input(left);
            }
            match self.inner.await_input(sliced(left)) {
                Err(ureq::Error::Timeout(_)) => {}
                answer => return answer,
            }
            if let Some(caught) = (self.caught)().filter(|_| !self.sent_after_signal) {
                return Err(stopped(caught));
            }
        }
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

/// `timeout` less `elapsed`, the per-read bound included.
fn less(timeout: NextTimeout, elapsed: std::time::Duration) -> NextTimeout {
    let minus = |d: Duration| match d {
        Duration::NotHappening => d,
        Duration::Exact(d) => Duration::Exact(d.saturating_sub(elapsed)),
    };
    NextTimeout {
        after: minus(timeout.after),
        per_read: timeout.per_read.map(minus),
        ..timeout
    }
}

/// `timeout` ending after [`SLICE`] at the latest.
fn sliced(timeout: NextTimeout) -> NextTimeout {
    let cap = |d: Duration| d.min(Duration::Exact(SLICE));
    NextTimeout {
        after: cap(timeout.after),
        per_read: timeout.per_read.map(cap),
        ..timeout
    }
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};
    use std::time::Duration as Std;

    use ureq::Timeout;
    use ureq::unversioned::transport::LazyBuffers;

    use super::*;

    thread_local! {
        /// The signal the test says was caught.
        static CAUGHT: Cell<Option<Signal>> = const { Cell::new(None) };
        /// The waits the server was asked for, and how many it answers before it has input.
        static WAITS: RefCell<Vec<Std>> = const { RefCell::new(Vec::new()) };
    }

    fn caught() -> Option<Signal> {
        CAUGHT.get()
    }

    /// A server that has input after `silent_for` and, meanwhile, times every wait out, and
    /// whose first timed-out wait brings `signal_then`, if any.
    #[derive(Debug)]
    struct Server {
        buffers: LazyBuffers,
        silent_for: Std,
        started: Instant,
        signal_then: Option<Signal>,
    }

    impl Transport for Server {
        fn buffers(&mut self) -> &mut dyn Buffers {
            &mut self.buffers
        }
        fn transmit_output(&mut self, _: usize, _: NextTimeout) -> Result<(), ureq::Error> {
            Ok(())
        }
        fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
            let wait = *timeout.for_read().after;
            WAITS.with_borrow_mut(|w| w.push(wait));
            let left = self.silent_for.saturating_sub(self.started.elapsed());
            if left <= wait {
                std::thread::sleep(left);
                return Ok(true);
            }
            std::thread::sleep(wait);
            if let Some(signal) = self.signal_then.take() {
                CAUGHT.set(Some(signal));
            }
            Err(ureq::Error::Timeout(timeout.for_read().reason))
        }
        fn is_open(&mut self) -> bool {
            true
        }
    }

    /// A connection to a `Server`, made when `before` was caught, its request sent.
    fn connect(silent_for: Std, before: Option<Signal>, then: Option<Signal>) -> Stopping {
        CAUGHT.set(before);
        WAITS.with_borrow_mut(Vec::clear);
        let server = Server {
            buffers: LazyBuffers::new(64, 64),
            silent_for,
            started: Instant::now(),
            signal_then: then,
        };
        let mut connection = Stopping::new(Box::new(server), caught);
        connection
            .transmit_output(0, NextTimeout::default())
            .unwrap();
        connection
    }

    fn read_timeout(after: Std) -> NextTimeout {
        NextTimeout {
            per_read: Some(Duration::Exact(after)),
            ..NextTimeout::default()
        }
    }

    fn waits() -> Vec<Std> {
        WAITS.with_borrow(Vec::clone)
    }

    #[test]
    fn a_signal_caught_while_waiting_ends_the_wait_after_one_slice() {
        let mut connection = connect(Std::from_secs(30), None, Some(Signal::Interrupt));
        let error = connection
            .await_input(read_timeout(Std::from_secs(30)))
            .unwrap_err();
        assert_eq!(error.to_string(), "io: stopped by SIGINT");
        assert_eq!(waits(), [SLICE]);
    }

    #[test]
    fn a_signal_caught_before_the_request_was_sent_does_not_end_its_wait() {
        let mut connection = connect(Std::from_millis(120), Some(Signal::Terminate), None);
        assert!(
            connection
                .await_input(read_timeout(Std::from_secs(30)))
                .unwrap()
        );
        assert_eq!(waits()[..2], [SLICE, SLICE]);
        assert_eq!(waits().len(), 3, "{:?}", waits());
    }

    #[test]
    fn without_a_signal_the_wait_ends_at_its_own_timeout_with_its_reason() {
        let mut connection = connect(Std::from_secs(30), None, None);
        let started = Instant::now();
        let error = connection
            .await_input(read_timeout(Std::from_millis(120)))
            .unwrap_err();
        assert!(
            matches!(error, ureq::Error::Timeout(Timeout::PerRead)),
            "{error}"
        );
        assert!(started.elapsed() >= Std::from_millis(120));
        let waits = waits();
        assert_eq!(waits[..2], [SLICE, SLICE]);
        // The last wait is what was left of the timeout, not another slice.
        assert_eq!(waits.len(), 3);
        assert!(waits[2] <= Std::from_millis(20), "{waits:?}");
    }

    #[test]
    fn a_wait_shorter_than_a_slice_is_not_cut() {
        let mut connection = connect(Std::from_millis(5), None, None);
        assert!(
            connection
                .await_input(read_timeout(Std::from_millis(30)))
                .unwrap()
        );
        // One wait, of the whole 30 ms but what the call itself took.
        let waits = waits();
        assert_eq!(waits.len(), 1);
        assert!(waits[0] > Std::from_millis(29), "{waits:?}");
    }
}
