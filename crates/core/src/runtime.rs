//! Running a future to completion without an async runtime.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

/// Wakes the thread blocked in [`block_on`] by unparking it.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs a future that never waits on I/O (age-only work) to completion.
///
/// For callers without an async runtime; network providers need a real one.
/// Between polls the thread parks until the future's waker unparks it, so a
/// pending future costs no CPU.
pub fn block_on<F: Future>(f: F) -> F::Output {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::block_on;
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Waker};

    /// Pending until another thread sets `done` and wakes the stored waker.
    struct Signal {
        done: Arc<AtomicBool>,
        waker: Arc<Mutex<Option<Waker>>>,
        polls: usize,
    }

    impl Future for Signal {
        type Output = usize;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
            self.polls += 1;
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            if self.done.load(Ordering::SeqCst) {
                Poll::Ready(self.polls)
            } else {
                Poll::Pending
            }
        }
    }

    #[test]
    fn a_pending_future_is_polled_again_only_when_woken() {
        let done = Arc::new(AtomicBool::new(false));
        let waker: Arc<Mutex<Option<Waker>>> = Arc::default();
        let (d, w) = (done.clone(), waker.clone());
        let helper = std::thread::spawn(move || {
            while w.lock().unwrap().is_none() {
                std::thread::yield_now();
            }
            // A window in which a busy loop would poll over and over.
            std::thread::sleep(std::time::Duration::from_millis(20));
            d.store(true, Ordering::SeqCst);
            w.lock().unwrap().take().unwrap().wake();
        });
        let polls = block_on(Signal {
            done,
            waker,
            polls: 0,
        });
        helper.join().unwrap();
        // A busy loop polls many times before the helper runs; parking polls
        // once, then once per wake (a spurious unpark may add one).
        assert!(polls <= 3, "polled {polls} times");
    }
}
